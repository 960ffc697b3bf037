/**
 * Both framings of the client over TLS, with the self-signed test certificate in `test/fixtures/tls/` (see
 * test/server/Tls.test.ts): the DOIP v2.0 listener speaks TLS whenever the binary one does.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { readFileSync } from "node:fs"
import type { ClientError } from "../../src/client/ClientError.ts"
import * as DoipClient from "../../src/client/DoipClient.ts"
import { Storage } from "../../src/layers/storage/Storage.ts"
import { ListenAddress } from "../../src/server/DoipServer.ts"
import { concatBytes } from "../support/Random.ts"
import { layerServer, token } from "../support/TestServer.ts"

const fixture = (name: string) => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url))
const cert = fixture("server.crt")
const key = fixture("server.key")
const otherCert = fixture("other.crt")

const text = (s: string) => new TextEncoder().encode(s)
const readAll = (stream: Stream.Stream<Uint8Array, ClientError>) =>
  Stream.runCollect(stream).pipe(Effect.map((chunks) => new TextDecoder().decode(concatBytes(chunks))))

const clientFor = (protocol: DoipClient.Protocol, options: Partial<DoipClient.ClientOptions>) =>
  Effect.gen(function*() {
    const address = yield* ListenAddress
    const base: Omit<DoipClient.ClientOptions, "port"> = {
      host: "127.0.0.1",
      timeout: "3 seconds",
      connectTimeout: "3 seconds",
      ...options
    }
    return protocol === "binary"
      ? yield* DoipClient.make({ ...base, port: address.binaryPort })
      : yield* DoipClient.makeDoip2({ ...base, port: address.doip2Port })
  })

layer(layerServer({ tls: { mode: "required", files: { cert, key } } }), { excludeTestServices: true })("the client over TLS", (it) => {
  for (const protocol of ["binary", "doip2"] as const) {
    it.effect(`${protocol}: hello, create, retrieve, update, delete and typed errors, trusting the server's certificate`, () =>
      Effect.gen(function*() {
        const id = protocol === "binary" ? "Q700" : "Q701"
        const client = yield* clientFor(protocol, { tls: { ca: cert }, credentials: { token } })
        const hello = yield* client.hello()
        assert.strictEqual(protocol === "binary" ? hello["tls"] : (hello["attributes"] as any).tls, true)
        yield* client.create({ id, type: "Secret" }, [
          { id: "a.txt", mediaType: "text/plain", content: text("over tls") },
          { id: "b.txt", content: text("second") }
        ])
        const a = yield* Effect.scoped(Effect.flatMap(client.retrieve(id, "a.txt"), (c) => readAll(c.content)))
        assert.strictEqual(a, "over tls")
        yield* client.updateComponent(id, "b.txt", text("updated over tls"), "text/plain")
        const storage = yield* Storage
        assert.strictEqual(yield* readAll(storage.read(id, "b.txt").pipe(Stream.orDie)), "updated over tls")
        const missing = yield* client.retrieve("Q999999").pipe(Effect.flip)
        assert.strictEqual(missing._tag, "NotFoundError")
        // twenty at once on the one connection
        const objects = yield* Effect.all(Array.from({ length: 20 }, () => client.retrieve(id)), { concurrency: "unbounded" })
        assert.strictEqual(objects.length, 20)
        yield* client.delete(id)
        assert.deepStrictEqual(yield* storage.list(id), [])
      }))

    it.effect(`${protocol}: a client trusting another CA fails fast with a TlsError; one skipping verification gets through`, () =>
      Effect.gen(function*() {
        const start = Date.now()
        const untrusting = yield* clientFor(protocol, { tls: { ca: otherCert } })
        const error = yield* untrusting.hello().pipe(Effect.flip)
        assert.strictEqual(error._tag, "TlsError", error.message)
        assert.isBelow(Date.now() - start, 2_500)
        const insecure = yield* clientFor(protocol, { tls: { verify: false } })
        assert.isObject(yield* insecure.hello())
      }))

    it.effect(`${protocol}: a plaintext client fails fast with an error that says to use TLS`, () =>
      Effect.gen(function*() {
        const start = Date.now()
        const plain = yield* clientFor(protocol, {})
        const error = yield* plain.hello().pipe(Effect.flip)
        assert.strictEqual(error._tag, "ConnectionError", error.message)
        assert.match(error.message, /TLS \(--tls\)/)
        assert.isBelow(Date.now() - start, 3_500)
      }))
  }
})

layer(layerServer(), { excludeTestServices: true })("a TLS client at a plaintext server", (it) => {
  for (const protocol of ["binary", "doip2"] as const) {
    it.effect(`${protocol}: fails fast with a TlsError that says the server does not speak TLS there`, () =>
      Effect.gen(function*() {
        const client = yield* clientFor(protocol, { tls: { verify: false } })
        const error = yield* client.hello().pipe(Effect.flip)
        assert.strictEqual(error._tag, "TlsError", error.message)
        assert.match(error.message, /speak TLS on this port/)
      }))
  }
})
