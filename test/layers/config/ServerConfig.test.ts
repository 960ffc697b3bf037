import * as NodeServices from "@effect/platform-node/NodeServices"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Backends from "../../../src/layers/config/Backends.ts"
import * as ServerConfig from "../../../src/layers/config/ServerConfig.ts"

const yamlFile = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), "doip-config-")), "config.yaml")
  writeFileSync(file, text)
  return file
}

describe("ServerConfig", () => {
  it.effect("defaults < config.yaml < environment < flags", () =>
    Effect.gen(function*() {
      const file = yamlFile("port: 4000\ndataDir: /yaml\nfdoApi: https://yaml.example/fdo/\nlakefs:\n  repo: yaml-repo\n  branch: dev\n")
      const settings = yield* ServerConfig.load({
        configFile: file,
        env: { DOIP_PORT: "5000", FDO_API: "https://env.example/fdo/", LAKEFS_PASSWORD: "s3cret", DOIP_TOKEN: "tok" },
        overrides: { port: 6000 }
      })
      assert.strictEqual(settings.port, 6000) // flag beats env and yaml
      assert.strictEqual(settings.dataDir, "/yaml") // yaml beats the default
      assert.deepStrictEqual(settings.fdoApi, Option.some("https://env.example/fdo/")) // env beats yaml
      assert.deepStrictEqual(settings.lakefs.repo, Option.some("yaml-repo"))
      assert.strictEqual(settings.lakefs.branch, "dev")
      assert.strictEqual(settings.host, "0.0.0.0") // the default
      assert.strictEqual(Redacted.value(Option.getOrThrow(settings.lakefs.password)), "s3cret")
      assert.strictEqual(Redacted.value(Option.getOrThrow(settings.auth.token)), "tok")
    }).pipe(Effect.provide(NodeServices.layer)))

  it.effect("secrets never appear in the description that is logged", () =>
    Effect.gen(function*() {
      const settings = yield* ServerConfig.load({
        env: { DOIP_TOKEN: "token-value-xyz", LAKEFS_PASSWORD: "lakefs-secret", OLLAMA_API_KEY: "ollama-key" }
      })
      const line = ServerConfig.describe(settings)
      for (const secret of ["token-value-xyz", "lakefs-secret", "ollama-key"]) assert.notInclude(line, secret)
      assert.include(line, "<redacted>")
      assert.notInclude(String(settings.auth.token), "token-value-xyz")
    }).pipe(Effect.provide(NodeServices.layer)))

  it.effect("a bad value is a clear error", () =>
    Effect.gen(function*() {
      const error = yield* ServerConfig.load({ env: { DOIP_PORT: "70000" } }).pipe(Effect.flip)
      assert.include(String(error), "port")
      const yamlError = yield* ServerConfig.load({ configFile: yamlFile("port: [1, 2\n"), env: {} }).pipe(Effect.flip)
      assert.strictEqual(yamlError._tag, "ConfigFileError")
    }).pipe(Effect.provide(NodeServices.layer)))

  it.effect("the guessing throttle: defaults, environment names, and at least one failure tolerated", () =>
    Effect.gen(function*() {
      const defaults = yield* ServerConfig.load({ env: {} })
      assert.deepStrictEqual(
        [defaults.auth.maxFailures, defaults.auth.failureWindowSeconds, defaults.auth.backoffBaseMillis,
          defaults.auth.backoffMaxMillis, defaults.auth.lockoutSeconds, defaults.auth.maxTrackedClients],
        [5, 60, 250, 5000, 60, 10_000]
      )
      const set = yield* ServerConfig.load({
        env: {
          DOIP_AUTH_MAX_FAILURES: "3",
          DOIP_AUTH_FAILURE_WINDOW_SECONDS: "30",
          DOIP_AUTH_BACKOFF_BASE_MILLIS: "100",
          DOIP_AUTH_BACKOFF_MAX_MILLIS: "1000",
          DOIP_AUTH_LOCKOUT_SECONDS: "600",
          DOIP_AUTH_MAX_TRACKED_CLIENTS: "500"
        }
      })
      assert.deepStrictEqual(
        [set.auth.maxFailures, set.auth.failureWindowSeconds, set.auth.backoffBaseMillis,
          set.auth.backoffMaxMillis, set.auth.lockoutSeconds, set.auth.maxTrackedClients],
        [3, 30, 100, 1000, 600, 500]
      )
      // with none tolerated, a client's very first attempt would wait
      const error = yield* ServerConfig.load({ env: { DOIP_AUTH_MAX_FAILURES: "0" } }).pipe(Effect.flip)
      assert.include(String(error), "maxFailures")
    }).pipe(Effect.provide(NodeServices.layer)))

  it.effect("a lakeFS URL without a scheme means https", () =>
    Effect.gen(function*() {
      const bare = yield* ServerConfig.load({ env: { LAKEFS_URL: "lakefs.example:8000" } })
      assert.deepStrictEqual(bare.lakefs.url, Option.some("https://lakefs.example:8000"))
      const plain = yield* ServerConfig.load({ env: { LAKEFS_URL: "http://127.0.0.1:8000" } })
      assert.deepStrictEqual(plain.lakefs.url, Option.some("http://127.0.0.1:8000"))
    }).pipe(Effect.provide(NodeServices.layer)))

  it.effect("a half-configured lakeFS names what is missing", () =>
    Effect.gen(function*() {
      const settings = yield* ServerConfig.load({ env: { LAKEFS_URL: "http://127.0.0.1:8000", LAKEFS_USER: "key" } })
      const error = yield* Effect.flip(Backends.lakeFsOptions(settings))
      assert.include(error.message, "LAKEFS_REPO")
      assert.include(error.message, "LAKEFS_PASSWORD")
      assert.notInclude(error.message, "LAKEFS_USER")
      const none = yield* Backends.lakeFsOptions(yield* ServerConfig.load({ env: {} }))
      assert.isUndefined(none)
    }).pipe(Effect.provide(NodeServices.layer)))

  it.effect("the reset of uncommitted changes at start is on by default, and can be turned off", () =>
    Effect.gen(function*() {
      const env = { LAKEFS_URL: "http://127.0.0.1:8000", LAKEFS_REPO: "r", LAKEFS_USER: "key", LAKEFS_PASSWORD: "secret" }
      const on = yield* Backends.lakeFsOptions(yield* ServerConfig.load({ env }))
      assert.isTrue(on?.resetUncommittedOnStart)
      const off = yield* Backends.lakeFsOptions(
        yield* ServerConfig.load({ env: { ...env, DOIP_LAKEFS_RESET_UNCOMMITTED_ON_START: "false" } })
      )
      assert.isFalse(off?.resetUncommittedOnStart)
    }).pipe(Effect.provide(NodeServices.layer)))
})
