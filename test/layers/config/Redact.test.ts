/**
 * URLs lose the credentials they carry wherever the server shows them: the log (settings, backends) and the type URIs
 * it publishes.
 */
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Backends from "../../../src/layers/config/Backends.ts"
import { redactUrl, redactUrlsIn, withoutUserinfo } from "../../../src/layers/config/Redact.ts"
import * as ServerConfig from "../../../src/layers/config/ServerConfig.ts"
import * as TypeCatalog from "../../../src/layers/metadata/TypeCatalog.ts"

describe("Redact", () => {
  it("one URL", () => {
    assert.strictEqual(redactUrl("https://user:pw@fdo.example/fdo/"), "https://<redacted>@fdo.example/fdo/")
    assert.strictEqual(redactUrl("http://a@b:p@w@host:8000"), "http://<redacted>@host:8000")
    assert.strictEqual(redactUrl("https://fdo.example/fdo/?mail=x@y"), "https://fdo.example/fdo/?mail=x@y")
    assert.strictEqual(withoutUserinfo("https://user:pw@fdo.example/fdo/"), "https://fdo.example/fdo/")
    assert.strictEqual(withoutUserinfo("https://fdo.example/fdo/"), "https://fdo.example/fdo/")
  })

  it("URLs in a text", () => {
    assert.strictEqual(
      redactUrlsIn("at http://u:p@a.example/x and https://b.example/y, mail me@c.example"),
      "at http://<redacted>@a.example/x and https://b.example/y, mail me@c.example"
    )
  })

  it.effect("the settings and backends the log shows, and the type URIs hello publishes", () =>
    Effect.gen(function*() {
      const settings = yield* ServerConfig.config.parse(ConfigProvider.fromUnknown(ServerConfig.fromEnvironment({
        FDO_API: "https://fdo:pw1@fdo.example/fdo/",
        LAKEFS_URL: "http://key:pw2@127.0.0.1:8000",
        OLLAMA_HOST: "http://o:pw3@127.0.0.1:11434",
        OLLAMA_MODEL: "m"
      })))
      const logged = [ServerConfig.describe(settings), ...Backends.describe(settings)].join("\n")
      for (const secret of ["pw1", "pw2", "pw3"]) assert.notInclude(logged, secret)
      assert.include(logged, "https://<redacted>@fdo.example/fdo/")
      assert.strictEqual(TypeCatalog.baseUri(Option.some("https://fdo:pw1@fdo.example/fdo/")), "https://fdo.example/fdo/types/")
    }))
})
