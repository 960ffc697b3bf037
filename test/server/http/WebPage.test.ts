/**
 * The web page's static routes in the HTTP gateway, over a real socket, asked with Node's HTTP client (it sends a
 * path as written, `..` and escapes included, where fetch would normalise them): the page and the vendored builds
 * are served with their types and validators, and no path reaches a file outside the whitelisted directories,
 * however it is spelled.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { readFileSync } from "node:fs"
import * as Http from "node:http"
import { GatewayAddress } from "../../../src/server/http/GatewayAddress.ts"
import * as WebPage from "../../../src/server/http/WebPage.ts"
import { layerServerWithHttp } from "../../support/TestServer.ts"

interface Answer {
  readonly status: number
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
}

/** one request, the path sent byte for byte as given */
const request = (path: string, options: { readonly method?: string; readonly headers?: Http.OutgoingHttpHeaders } = {}) =>
  Effect.gen(function*() {
    const { port } = yield* GatewayAddress
    return yield* Effect.callback<Answer, Error>((resume) => {
      const req = Http.request({ host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: options.headers, agent: false }, (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (chunk: Buffer) => chunks.push(chunk))
        res.on("end", () => resume(Effect.succeed({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString("latin1") })))
        res.on("error", (error) => resume(Effect.fail(error)))
      })
      req.on("error", (error) => resume(Effect.fail(error)))
      req.end()
    })
  })

layer(layerServerWithHttp(), { excludeTestServices: true })("the web page's routes", (it) => {
  it.effect("GET / is the page, revalidated on each load", () =>
    Effect.gen(function*() {
      const page = yield* request("/")
      assert.strictEqual(page.status, 200)
      assert.strictEqual(page.headers["content-type"], "text/html; charset=utf-8")
      assert.strictEqual(page.headers["cache-control"], "no-cache")
      assert.strictEqual(page.headers["x-content-type-options"], "nosniff")
      assert.include(page.body, `<script type="module" src="ui/app.js">`)
      const again = yield* request("/", { headers: { "if-none-match": page.headers.etag! } })
      assert.strictEqual(again.status, 304)
      assert.strictEqual(again.body, "")
      const head = yield* request("/", { method: "HEAD" })
      assert.strictEqual(head.status, 200)
      assert.strictEqual(head.body, "")
      // the page's own "/" is GET's alone: the gateway's catch-all answers the other methods
      const post = yield* request("/", { method: "POST" })
      assert.strictEqual(post.status, 404)
      assert.strictEqual(JSON.parse(post.body).error, "NotFound")
    }))

  it.effect("serves the page's files and the vendored builds with their types", () =>
    Effect.gen(function*() {
      const expected: ReadonlyArray<readonly [string, string, string]> = [
        ["/ui/app.js", "text/javascript; charset=utf-8", "no-cache"],
        ["/ui/style.css", "text/css; charset=utf-8", "no-cache"],
        ["/ui/katex/katex.min.js", "text/javascript; charset=utf-8", "public, max-age=86400"],
        ["/ui/katex/katex.min.css", "text/css; charset=utf-8", "public, max-age=86400"],
        ["/ui/katex/fonts/KaTeX_Main-Regular.woff2", "font/woff2", "public, max-age=86400"],
        ["/ui/pdfjs/build/pdf.min.mjs", "text/javascript; charset=utf-8", "public, max-age=86400"],
        ["/ui/pdfjs/build/pdf.worker.min.mjs", "text/javascript; charset=utf-8", "public, max-age=86400"],
        ["/ui/pdfjs/standard_fonts/FoxitSerif.pfb", "application/octet-stream", "public, max-age=86400"],
        ["/ui/pdfjs/wasm/openjpeg.wasm", "application/wasm", "public, max-age=86400"]
      ]
      for (const [path, type, cache] of expected) {
        const answer = yield* request(path, { method: "HEAD" })
        assert.strictEqual(answer.status, 200, path)
        assert.strictEqual(answer.headers["content-type"], type, path)
        assert.strictEqual(answer.headers["cache-control"], cache, path)
        assert.isDefined(answer.headers.etag, path)
      }
      const script = yield* request("/ui/app.js")
      assert.strictEqual(script.body, readFileSync(new URL("../../../src/server/http/web/app.js", import.meta.url), "latin1"))
    }))

  it.effect("no path leaves the whitelisted directories, however it is spelled", () =>
    Effect.gen(function*() {
      // each of these names a real file outside the mounts: the repository's package.json, this module's source,
      // KaTeX's and pdf.js's package.json beside the served dist/ and build/, or the system's passwd
      const attempts = [
        "/ui/../package.json",
        "/ui/%2e%2e/WebPage.ts",
        "/ui/%2E%2E%2FWebPage.ts",
        "/ui/..%2f..%2f..%2f..%2fpackage.json",
        "/ui/..%5c..%5cWebPage.ts",
        "/ui/%252e%252e/WebPage.ts",
        "/ui/....//WebPage.ts",
        "/ui/.%2e/.%2e/.%2e/.%2e/package.json",
        "/ui/katex/../package.json",
        "/ui/katex/%2e%2e/package.json",
        "/ui/katex/fonts/..%2f..%2fpackage.json",
        "/ui/pdfjs/build/..%2fpackage.json",
        "/ui/pdfjs/build/%2e%2e%2f%2e%2e%2f%2e%2e%2fpackage.json",
        "/ui/pdfjs/package.json",
        "/ui/katex/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/ui//etc/passwd",
        "/ui/%2fetc%2fpasswd",
        "/ui/%2F%2Fetc%2Fpasswd",
        "/ui/app.js%00.png",
        "/%2e%2e/package.json",
        "/..%2fpackage.json",
        "/ui/%c0%ae%c0%ae/WebPage.ts"
      ]
      for (const path of attempts) {
        const answer = yield* request(path)
        assert.oneOf(answer.status, [400, 404], path)
        // JSON {error, message} as every failure of the gateway, but where the router cannot decode the path at all
        if (answer.body !== "") assert.strictEqual(answer.headers["content-type"], "application/json", path)
        assert.notInclude(answer.body, "effect-doip", path)
        assert.notInclude(answer.body, "root:", path)
        assert.notInclude(answer.body, "HttpStaticServer", path)
        assert.notInclude(answer.body, "\"version\"", path)
      }
    }))

  it.effect("lists no directory", () =>
    Effect.gen(function*() {
      for (const path of ["/ui/", "/ui", "/ui/katex/", "/ui/katex/fonts", "/ui/katex/fonts/", "/ui/pdfjs/build/"]) {
        const answer = yield* request(path)
        assert.oneOf(answer.status, [301, 404], path)
        assert.notInclude(answer.body, "KaTeX_", path)
        assert.notInclude(answer.body, "pdf.min", path)
      }
    }))
})

describe("the whitelist", () => {
  it("every mount is a directory inside the package's own files or a dependency's build", () => {
    for (const mount of WebPage.mounts) {
      assert.match(mount.prefix, /^\/ui(\/[a-z_]+)*$/)
      assert.match(mount.root, /(src\/server\/http\/web|node_modules\/(katex\/dist|pdfjs-dist\/(build|cmaps|standard_fonts|wasm|iccs)))\/?$/)
    }
  })
})
