/**
 * The HTTP gateway (issue 16, item 1), with a real HTTP client (Node's fetch) against a whole server: upstream's
 * routes and answer shapes, the objects as resources, downloads (ETag, 304, ranges, 416), streamed uploads with
 * credentials and limits, invoke, Cordra's DOIP API for HTTP clients, the generated OpenAPI document, and bad input
 * of every kind answered as JSON `{error, message}` with the status that fits.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import * as net from "node:net"
import { GatewayAddress } from "../../../src/server/http/GatewayAddress.ts"
import { GatewayApi } from "../../../src/server/http/GatewayApi.ts"
import { prng } from "../../support/Random.ts"
import { layerServerWithHttp, seed, token } from "../../support/TestServer.ts"

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")
const paper = readFileSync(new URL("../../fixtures/papers/heat-kernel.pdf", import.meta.url))
const bytes = prng(7).bytes(300_000)

/** a request to the gateway in context: status, headers, body bytes, and the body as JSON when it is JSON */
const call = (path: string, init?: RequestInit) =>
  Effect.gen(function*() {
    const { port } = yield* GatewayAddress
    return yield* Effect.promise(async () => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { ...init, redirect: "manual" })
      const body = new Uint8Array(await response.arrayBuffer())
      const type = response.headers.get("content-type") ?? ""
      const json = type.startsWith("application/json") && body.length > 0 ? JSON.parse(new TextDecoder().decode(body)) : undefined
      return { status: response.status, headers: response.headers, body, json }
    })
  })

const bearer = { authorization: `Bearer ${token}` }

/** a failure as the gateway must answer every one: JSON `{error, message}` with this status, and no stack trace */
const assertError = (answer: { status: number; json: any }, status: number, error?: string) => {
  assert.strictEqual(answer.status, status, JSON.stringify(answer.json))
  assert.isString(answer.json?.error)
  assert.isString(answer.json?.message)
  if (error !== undefined) assert.strictEqual(answer.json.error, error)
  assert.notMatch(answer.json.message, /\n\s+at /, "no stack trace")
}

const seeded = Effect.gen(function*() {
  yield* seed("Q10", "data.bin", bytes)
  yield* seed("Q10", "fulltext.pdf", paper, "application/pdf")
})

layer(layerServerWithHttp({ settings: { limits: { maxComponentSize: 1_000_000, maxMetadataSize: 10_000 } } }), {
  timeout: "60 seconds",
  excludeTestServices: true
})("HTTP gateway", (it) => {
  it.effect("hello: the server, its operations, workflows and dependencies", () =>
    Effect.gen(function*() {
      const hello = yield* call("/doip/hello")
      assert.strictEqual(hello.status, 200)
      assert.strictEqual(hello.json.protocolVersion, "2.0")
      assert.includeMembers(Object.keys(hello.json.availableOperations), ["retrieve", "update", "invoke"])
      assert.includeMembers(hello.json.workflows.map((w: any) => w.name), ["fixity", "equation_extraction"])
      assert.isArray(hello.json.dependencies)
      // HEAD is answered from the GET route (the catch-all for unknown paths leaves HEAD to the router)
      const head = yield* call("/doip/hello", { method: "HEAD" })
      assert.strictEqual(head.status, 200)
      assert.strictEqual(head.body.length, 0)
    }))

  it.effect("the manifest, and a download with its length, file name and SHA-256 ETag", () =>
    Effect.gen(function*() {
      yield* seeded
      const manifest = yield* call("/doip/objects/q10")
      assert.strictEqual(manifest.status, 200)
      const components = manifest.json.kernel["fdo:hasComponent"]
      assert.deepStrictEqual(components.map((c: any) => c.componentId).sort(), ["data.bin", "fulltext.pdf"])
      for (const path of ["/doip/objects/Q10/components/data.bin", "/doip/retrieve/Q10/data.bin"]) {
        const download = yield* call(path)
        assert.strictEqual(download.status, 200)
        assert.deepStrictEqual(download.body, bytes)
        assert.strictEqual(download.headers.get("content-length"), String(bytes.length))
        assert.strictEqual(download.headers.get("etag"), `"${sha256(bytes)}"`)
        assert.match(download.headers.get("content-disposition")!, /^attachment; filename="data.bin"/)
        assert.strictEqual(download.headers.get("accept-ranges"), "bytes")
      }
      const pdf = yield* call("/doip/objects/Q10/components/fulltext.pdf")
      assert.strictEqual(pdf.headers.get("content-type"), "application/pdf")
      assert.deepStrictEqual(pdf.body, new Uint8Array(paper))
      // upstream's force_reload drops the cached manifest first, and still answers the bytes
      const reloaded = yield* call("/doip/retrieve/Q10/data.bin?force_reload")
      assert.deepStrictEqual(reloaded.body, bytes)
    }))

  it.effect("If-None-Match with the ETag answers 304 without the bytes; another ETag the bytes", () =>
    Effect.gen(function*() {
      yield* seeded
      const etag = `"${sha256(bytes)}"`
      const fresh = yield* call("/doip/objects/Q10/components/data.bin", { headers: { "if-none-match": etag } })
      assert.strictEqual(fresh.status, 304)
      assert.strictEqual(fresh.body.length, 0)
      assert.strictEqual(fresh.headers.get("etag"), etag)
      const stale = yield* call("/doip/objects/Q10/components/data.bin", { headers: { "if-none-match": `"0000", W/"1111"` } })
      assert.strictEqual(stale.status, 200)
      assert.deepStrictEqual(stale.body, bytes)
    }))

  it.effect("Range answers 206 with exactly those bytes; outside the component 416 with its size", () =>
    Effect.gen(function*() {
      yield* seeded
      const path = "/doip/objects/Q10/components/data.bin"
      const cases: ReadonlyArray<readonly [string, number, number]> = [
        ["bytes=0-9", 0, 9],
        ["bytes=1000-", 1000, bytes.length - 1],
        ["bytes=-500", bytes.length - 500, bytes.length - 1],
        ["bytes=299990-999999", 299_990, bytes.length - 1]
      ]
      for (const [header, start, end] of cases) {
        const part = yield* call(path, { headers: { range: header } })
        assert.strictEqual(part.status, 206, header)
        assert.deepStrictEqual(part.body, bytes.subarray(start, end + 1), header)
        assert.strictEqual(part.headers.get("content-range"), `bytes ${start}-${end}/${bytes.length}`)
        assert.strictEqual(part.headers.get("content-length"), String(end - start + 1))
      }
      const outside = yield* call(path, { headers: { range: "bytes=300000-" } })
      assertError(outside, 416, "RangeNotSatisfiable")
      assert.strictEqual(outside.headers.get("content-range"), `bytes */${bytes.length}`)
      // several ranges, or one that is malformed, are answered whole, as HTTP allows
      for (const header of ["bytes=0-1,5-6", "bytes=9-3", "lines=1-2"]) {
        const whole = yield* call(path, { headers: { range: header } })
        assert.strictEqual(whole.status, 200, header)
        assert.deepStrictEqual(whole.body, bytes, header)
      }
      // If-Range with another ETag: the whole component, not the range of a version the client does not hold
      const changed = yield* call(path, { headers: { range: "bytes=0-9", "if-range": `"other"` } })
      assert.strictEqual(changed.status, 200)
    }))

  it.effect("a client that leaves during a download costs the server nothing: the next download is whole", () =>
    Effect.gen(function*() {
      const large = prng(13).bytes(5 * 1024 * 1024 + 17)
      yield* seed("Q10", "large.bin", large)
      const { port } = yield* GatewayAddress
      const first = yield* Effect.promise(async () => {
        const controller = new AbortController()
        const response = await fetch(`http://127.0.0.1:${port}/doip/objects/Q10/components/large.bin`, { signal: controller.signal })
        const reader = response.body!.getReader()
        const { value } = await reader.read()
        controller.abort()
        return value!.length
      })
      assert.isAbove(first, 0)
      const again = yield* call("/doip/objects/Q10/components/large.bin")
      assert.strictEqual(again.status, 200)
      assert.strictEqual(sha256(again.body), sha256(large))
      const tail = yield* call("/doip/objects/Q10/components/large.bin", { headers: { range: "bytes=3000000-" } })
      assert.deepStrictEqual(tail.body, large.subarray(3_000_000))
    }))

  it.effect("an upload streams in with a credential, its Content-Type the media type; without one it is refused", () =>
    Effect.gen(function*() {
      yield* seeded
      const content = prng(11).bytes(700_000)
      const path = "/doip/objects/Q10/components/upload.bin"
      assertError(yield* call(path, { method: "PUT", body: content }), 401, "Unauthenticated")
      assertError(yield* call(path, { method: "PUT", body: content, headers: { authorization: "Bearer wrong" } }), 401)
      assertError(yield* call(path, { method: "PUT", body: content, headers: { authorization: "Digest x" } }), 401)
      const stored = yield* call(path, { method: "PUT", body: content, headers: { ...bearer, "content-type": "application/x-test" } })
      assert.strictEqual(stored.status, 200, JSON.stringify(stored.json))
      assert.strictEqual(stored.json.status, "committed")
      assert.strictEqual(stored.json.checksum, `sha256:${sha256(content)}`)
      const back = yield* call(path)
      assert.deepStrictEqual(back.body, content)
      assert.strictEqual(back.headers.get("content-type"), "application/x-test")
      // a token is no password: sent as Basic credentials it is refused (tokens go as Bearer)
      const basic = `Basic ${Buffer.from(`someone:${token}`).toString("base64")}`
      assertError(yield* call(path, { method: "PUT", body: content, headers: { authorization: basic } }), 401)
    }))

  it.effect("an upload larger than limits.maxComponentSize is refused (announced or not) and leaves nothing", () =>
    Effect.gen(function*() {
      yield* seeded
      const big = prng(12).bytes(1_500_000)
      const announced = yield* call("/doip/objects/Q10/components/big.bin", { method: "PUT", body: big, headers: bearer })
      assertError(announced, 413, "TooLarge")
      // chunked: no Content-Length, so the bytes are counted as they come
      const stream = new Blob([big]).stream()
      const chunked = yield* call("/doip/objects/Q10/components/big.bin", {
        method: "PUT",
        body: stream,
        headers: bearer,
        duplex: "half"
      } as RequestInit)
      assert.include([400, 413], chunked.status)
      const manifest = yield* call("/doip/objects/Q10")
      assert.notInclude(manifest.json.kernel["fdo:hasComponent"].map((c: any) => c.componentId), "big.bin")
      // the server goes on
      assert.strictEqual((yield* call("/doip/hello")).status, 200)
    }))

  it.effect("ids that are no QID, paths in component ids, and missing objects: 404 or 400 as JSON", () =>
    Effect.gen(function*() {
      yield* seeded
      assertError(yield* call("/doip/objects/Q999"), 404, "NotFound")
      assertError(yield* call("/doip/objects/..%2F..%2Fetc"), 404, "NotFound")
      assertError(yield* call("/doip/objects/Q10/components/..%2F..%2Fetc%2Fpasswd"), 400, "BadRequest")
      assertError(yield* call("/doip/objects/Q10/components/nothing.txt"), 404, "NotFound")
      assertError(yield* call("/doip/retrieve/Q10/a%2Fb"), 400)
      assertError(yield* call("/no/such/route"), 404, "NotFound")
      assertError(yield* call(`/doip/objects/${"Q".padEnd(5000, "1")}`), 404)
    }))

  it.effect("upstream's search, purge and create answer upstream's shapes; bad parameters 400", () =>
    Effect.gen(function*() {
      yield* seeded
      const search = yield* call("/doip/search?q=Q10&limit=5")
      assert.strictEqual(search.status, 200)
      assert.hasAllKeys(search.json, ["operation", "status", "query", "type", "total_hits", "limit", "size", "results"])
      assert.strictEqual(search.json.limit, 5)
      assertError(yield* call("/doip/search?q=x&limit=51"), 400, "BadRequest")
      assertError(yield* call("/doip/search?q=x&limit=ten"), 400, "BadRequest")
      assertError(yield* call("/doip/search"), 400, "BadRequest")
      const purge = yield* call("/doip/purge/Q10", { method: "POST" })
      assert.deepInclude(purge.json, { status: "purged", pid: "Q10" })
      const json = { "content-type": "application/json" }
      const created = yield* call("/doip/create", { method: "POST", headers: json, body: JSON.stringify({ label: "An item", token }) })
      assert.strictEqual(created.status, 200, JSON.stringify(created.json))
      assert.strictEqual(created.json.status, "created")
      assert.match(created.json.qid, /^Q\d+$/)
      assertError(yield* call("/doip/create", { method: "POST", headers: json, body: JSON.stringify({ label: "x" }) }), 401)
      assertError(yield* call("/doip/create", { method: "POST", headers: json, body: JSON.stringify({ token }) }), 400)
      assertError(yield* call("/doip/create", { method: "POST", headers: json, body: JSON.stringify({ label: 5, token }) }), 400)
      assertError(yield* call("/doip/create", { method: "POST", headers: json, body: "{not json" }), 400)
      assertError(yield* call("/doip/create", { method: "POST", headers: json, body: JSON.stringify({ label: "x".repeat(20_000) }) }), 413)
    }))

  it.effect("objects search pages through the objects held here", () =>
    Effect.gen(function*() {
      yield* seeded
      yield* seed("Q11", "a.txt", "a")
      yield* seed("Q12", "b.txt", "b")
      const first = yield* call("/doip/objects?q=*&pageSize=2&pageNum=0&sortFields=id")
      assert.strictEqual(first.status, 200)
      assert.isAtLeast(first.json.size, 3)
      assert.lengthOf(first.json.results, 2)
      const second = yield* call("/doip/objects?q=*&pageSize=2&pageNum=1&sortFields=id")
      assert.notInclude(first.json.results.map((r: any) => r.id), second.json.results[0].id)
      assertError(yield* call("/doip/objects?pageNum=-1"), 400)
    }))

  it.effect("invoke runs a workflow with the body as parameters; stored only with a credential", () =>
    Effect.gen(function*() {
      yield* seeded
      const anonymous = yield* call("/doip/invoke/Q10/fixity", { method: "POST" })
      assert.strictEqual(anonymous.status, 200, JSON.stringify(anonymous.json))
      assert.strictEqual(anonymous.json.workflow, "fixity")
      assert.strictEqual(anonymous.json.result.stored, false)
      assert.strictEqual(anonymous.json.components[0].componentId, "fixity.sha256")
      const stored = yield* call("/doip/invoke/Q10/fixity", { method: "POST", headers: bearer, body: "{}" })
      assert.strictEqual(stored.json.result.stored, true)
      const equations = yield* call("/doip/invoke/Q10/equation_extraction", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ pages: [1], mode: "heuristic" })
      })
      assert.strictEqual(equations.status, 200, JSON.stringify(equations.json))
      const found = equations.json.components.find((c: any) => c.componentId === "equations.json")
      assert.isAbove(found.json.equations.length, 0)
      assert.hasAllKeys(found.json.equations[0].bbox, ["left", "bottom", "right", "top"])
      assert.hasAllKeys(found.json.equations[0].box, ["page", "left", "bottom", "right", "top"])
      assert.isNumber(found.json.equations[0].confidence)
      assertError(yield* call("/doip/invoke/Q10/fixity", { method: "POST", body: "[1,2" }), 400)
      assertError(yield* call("/doip/invoke/Q10/fixity", { method: "POST", body: "[1,2]" }), 400)
      assertError(yield* call("/doip/invoke/Q10/nothing", { method: "POST" }), 400)
      assertError(yield* call("/doip/invoke/Q10/fixity", { method: "POST", body: "[".repeat(100) + "]".repeat(100) }), 400)
    }))

  it.effect("delete needs a credential, then the object is gone", () =>
    Effect.gen(function*() {
      yield* seed("Q20", "x.txt", "x")
      assertError(yield* call("/doip/objects/Q20", { method: "DELETE" }), 401)
      const deleted = yield* call("/doip/objects/Q20", { method: "DELETE", headers: bearer })
      assert.strictEqual(deleted.status, 200, JSON.stringify(deleted.json))
      assertError(yield* call("/doip/objects/Q20"), 404)
    }))

  it.effect("Cordra's DOIP API for HTTP clients: operation and target in the query (or path), output as JSON", () =>
    Effect.gen(function*() {
      yield* seeded
      const hello = yield* call("/doip?operationId=0.DOIP/Op.Hello&targetId=service")
      assert.strictEqual(hello.json.type, "0.TYPE/DOIPService")
      const ops = yield* call("/doip?o=0.DOIP/Op.ListOperations&t=Q10")
      assert.include(ops.json, "0.DOIP/Op.Retrieve")
      const object = yield* call("/doip/0.DOIP/Op.Retrieve?targetId=Q10")
      assert.strictEqual(object.json.id, "Q10")
      assert.includeMembers(object.json.elements.map((e: any) => e.id), ["data.bin"])
      const element = yield* call("/doip?operationId=0.DOIP/Op.Retrieve&targetId=Q10&attributes.element=data.bin")
      assert.deepStrictEqual(element.body, bytes)
      const viaJson = yield* call(`/doip?operationId=0.DOIP/Op.Retrieve&targetId=Q10&attributes=${encodeURIComponent('{"element":"data.bin"}')}`)
      assert.deepStrictEqual(viaJson.body, bytes)
      const ids = yield* call("/doip?operationId=0.DOIP/Op.Search&targetId=service&query=*&type=id")
      assert.include(ids.json.results, "Q10")
      const create = (headers: Record<string, string>) =>
        call("/doip?operationId=0.DOIP/Op.Create&targetId=service", {
          method: "POST",
          headers: { "content-type": "application/json", ...headers },
          body: JSON.stringify({ type: "Dataset", attributes: { content: { name: "via HTTP" } } })
        })
      assertError(yield* create({}), 401)
      const created = yield* create(bearer)
      assert.strictEqual(created.status, 200, JSON.stringify(created.json))
      assert.strictEqual(created.json.type, "Dataset")
      assertError(yield* call(`/doip?operationId=0.DOIP/Op.Delete&targetId=${created.json.id}`), 400)
      assertError(yield* call("/doip?operationId=0.DOIP/Op.Nothing&targetId=service", { method: "POST" }), 501)
      assertError(yield* call("/doip?targetId=service"), 400)
      assertError(yield* call("/doip?operationId=0.DOIP/Op.Retrieve&targetId=Q999"), 404)
      assertError(yield* call("/doip?operationId=0.DOIP/Op.Search&targetId=service&attributes=%7Bbad"), 400)
    }))

  it.effect("versions of an object, and ?version= on its manifest and its component downloads (ranges too)", () =>
    Effect.gen(function*() {
      const path = "/doip/objects/Q21/components/v.txt"
      const put = (body: string) => call(path, { method: "PUT", body, headers: { ...bearer, "content-type": "text/plain" } })
      yield* seed("Q21", "other.txt", "x")
      assert.strictEqual((yield* put("version one")).status, 200)
      assert.strictEqual((yield* put("version two, longer")).status, 200)
      const listed = yield* call("/doip/objects/Q21/versions")
      assert.strictEqual(listed.status, 200, JSON.stringify(listed.json))
      assert.strictEqual(listed.json.objectId, "Q21")
      assert.deepStrictEqual(listed.json.versions.map((v: any) => [v.operation, v.author, v.components]), [
        ["update", "token", { added: [], changed: ["v.txt"], removed: [] }],
        ["update", "token", { added: ["v.txt"], changed: [], removed: [] }],
        ["seed", "effect-doip", { added: ["other.txt"], changed: [], removed: [] }]
      ])
      const [newer, older, seeded] = listed.json.versions.map((v: any) => v.id as string)

      const old = yield* call(`${path}?version=${older}`)
      assert.strictEqual(old.status, 200)
      assert.strictEqual(new TextDecoder().decode(old.body), "version one")
      assert.strictEqual(old.headers.get("content-length"), "11")
      const part = yield* call(`${path}?version=${older}`, { headers: { range: "bytes=8-" } })
      assert.deepStrictEqual([part.status, new TextDecoder().decode(part.body)], [206, "one"])
      assert.strictEqual(part.headers.get("content-range"), "bytes 8-10/11")
      assert.strictEqual(new TextDecoder().decode((yield* call(`${path}?version=${newer}`)).body), "version two, longer")
      assert.strictEqual(new TextDecoder().decode((yield* call(path)).body), "version two, longer")

      const manifest = yield* call(`/doip/objects/Q21?version=${older}`)
      assert.strictEqual(manifest.status, 200)
      const sizes = (answer: { json: any }) => answer.json.kernel["fdo:hasComponent"].map((c: any) => [c.componentId, c.size])
      assert.deepStrictEqual(sizes(manifest), [["other.txt", 1], ["v.txt", 11]])
      assert.deepStrictEqual(sizes(yield* call(`/doip/objects/Q21?version=${seeded}`)), [["other.txt", 1]])
      assert.deepStrictEqual(sizes(yield* call("/doip/objects/Q21")), [["other.txt", 1], ["v.txt", 19]])
      assertError(yield* call(`${path}?version=${seeded}`), 404, "NotFound")
      // Cordra's form takes it as an attribute
      const cordra = yield* call(`/doip?operationId=0.DOIP/Op.Retrieve&targetId=Q21&attributes.element=v.txt&attributes.version=${older}`)
      assert.strictEqual(new TextDecoder().decode(cordra.body), "version one")
      const versions = yield* call("/doip?operationId=0.DOIP/Op.Versions&targetId=Q21")
      assert.deepStrictEqual(versions.json.versions.map((v: any) => v.id), [newer, older, seeded])

      const nowhere = "0".repeat(64)
      assertError(yield* call(`${path}?version=${nowhere}`), 404, "NotFound")
      assertError(yield* call(`/doip/objects/Q21?version=${nowhere}`), 404, "NotFound")
      assertError(yield* call("/doip/objects/Q21?version=main"), 404, "NotFound")
      assertError(yield* call("/doip/objects/Q999/versions"), 404, "NotFound")
      assert.include((yield* call(`${path}?version=${nowhere}`)).json.message, `version ${nowhere} does not exist`)
    }))

  it.effect("/openapi.json is generated from the route definitions: every route, with its errors", () =>
    Effect.gen(function*() {
      const document = (yield* call("/openapi.json")).json
      assert.strictEqual(document.openapi, "3.1.0")
      let routes = 0
      for (const group of Object.values(GatewayApi.groups)) {
        for (const endpoint of Object.values((group as any).endpoints) as Array<any>) {
          const path = endpoint.path.replace(/:(\w+)/g, "{$1}")
          const operation = document.paths[path]?.[endpoint.method.toLowerCase()]
          assert.isDefined(operation, `${endpoint.method} ${path} is documented`)
          assert.includeMembers(Object.keys(operation.responses), ["400", "401", "404", "503"])
          routes++
        }
      }
      assert.isAtLeast(routes, 15)
    }))
})

const tlsFixture = (name: string) => readFileSync(new URL(`../../fixtures/tls/${name}`, import.meta.url))

layer(layerServerWithHttp({ tls: { mode: "auto", files: { cert: tlsFixture("server.crt"), key: tlsFixture("server.key") } } }))(
  "HTTP gateway with TLS auto",
  (it) => {
    it.effect("answers plain HTTP and HTTPS on one port", () =>
      Effect.gen(function*() {
        const { port } = yield* GatewayAddress
        assert.strictEqual((yield* call("/doip/hello")).status, 200)
        const secure = yield* Effect.promise(() =>
          new Promise<{ status: number; body: string }>((resolve, reject) => {
            https.get({ host: "127.0.0.1", port, path: "/doip/hello", ca: tlsFixture("server.crt"), servername: "localhost" }, (res) => {
              let body = ""
              res.on("data", (chunk) => (body += chunk))
              res.on("end", () => resolve({ status: res.statusCode!, body }))
            }).on("error", reject)
          })
        )
        assert.strictEqual(secure.status, 200)
        assert.strictEqual(JSON.parse(secure.body).protocolVersion, "2.0")
      }))
  }
)

layer(layerServerWithHttp({
  tls: { mode: "auto", files: { cert: tlsFixture("server.crt"), key: tlsFixture("server.key") } },
  settings: { limits: { messageTimeoutSeconds: 1, minBytesPerSecond: 100_000, idleTimeoutSeconds: 30 } }
}), { excludeTestServices: true })("HTTP gateway, slow and silent clients", (it) => {
  it.effect("a connection that never sends a byte is closed after limits.messageTimeoutSeconds", () =>
    Effect.gen(function*() {
      const { port } = yield* GatewayAddress
      const closedAfter = yield* Effect.promise(() =>
        new Promise<number>((resolve) => {
          const started = Date.now()
          const socket = net.connect({ port, host: "127.0.0.1" })
          socket.on("error", () => {})
          socket.on("close", () => resolve(Date.now() - started))
        })
      )
      assert.isAtLeast(closedAfter, 900)
      assert.isBelow(closedAfter, 5000)
    }))

  it.effect("an upload slower than limits.minBytesPerSecond is refused, and nothing is stored", () =>
    Effect.gen(function*() {
      yield* seeded
      const { port } = yield* GatewayAddress
      const answer = yield* Effect.promise(() =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const request = http.request({
            host: "127.0.0.1",
            port,
            method: "PUT",
            path: "/doip/objects/Q10/components/slow.bin",
            headers: { authorization: `Bearer ${token}`, "content-length": "300000" }
          }, (response) => {
            let body = ""
            response.on("data", (chunk) => (body += chunk))
            response.on("end", () => resolve({ status: response.statusCode!, body }))
          })
          request.on("error", reject)
          // 1 KiB every 100 ms: 10 KiB/s, well under the 100 kB/s asked for once the first second is over
          let sent = 0
          const timer = setInterval(() => {
            if (sent >= 300_000 || request.destroyed) return clearInterval(timer)
            request.write(Buffer.alloc(1024))
            sent += 1024
          }, 100)
          request.on("close", () => clearInterval(timer))
        })
      )
      assert.strictEqual(answer.status, 400, answer.body)
      assert.match(JSON.parse(answer.body).message, /minBytesPerSecond/)
      const manifest = yield* call("/doip/objects/Q10")
      assert.notInclude(manifest.json.kernel["fdo:hasComponent"].map((c: any) => c.componentId), "slow.bin")
    }), 20_000)

  it.effect("HEAD on a download answers its head and reads nothing; a media type Node refuses is sent as octet-stream", () =>
    Effect.gen(function*() {
      yield* seed("Q30", "odd.txt", "hello", "text/plain; name=\u20ac")
      const head = yield* call("/doip/objects/Q30/components/odd.txt", { method: "HEAD" })
      assert.strictEqual(head.status, 200)
      assert.strictEqual(head.headers.get("content-length"), "5")
      assert.strictEqual(head.body.length, 0)
      const get = yield* call("/doip/objects/Q30/components/odd.txt")
      assert.strictEqual(get.status, 200)
      assert.strictEqual(new TextDecoder().decode(get.body), "hello")
      assert.strictEqual(get.headers.get("content-type"), "application/octet-stream")
    }))
})
