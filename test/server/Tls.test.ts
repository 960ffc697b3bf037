/**
 * The binary listener over TLS, with the self-signed test certificate in `test/fixtures/tls/` (CN=localhost,
 * subjectAltName DNS:localhost, IP:127.0.0.1, valid for 20 years, until November 2046). `other.crt` is an unrelated self-signed certificate,
 * to stand for a wrong CA.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { readFileSync } from "node:fs"
import * as net from "node:net"
import type { ClientError } from "../../src/client/ClientError.ts"
import * as DoipClient from "../../src/client/DoipClient.ts"
import { Storage } from "../../src/layers/storage/Storage.ts"
import { ListenAddress } from "../../src/server/DoipServer.ts"
import { concatBytes } from "../support/Random.ts"
import { layerClient, layerServer, seed, token } from "../support/TestServer.ts"

const fixture = (name: string) => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url))
const cert = fixture("server.crt")
const key = fixture("server.key")
const otherCert = fixture("other.crt")

const text = (s: string) => new TextEncoder().encode(s)
const readAll = (stream: Stream.Stream<Uint8Array, unknown>) =>
  Stream.runCollect(stream).pipe(Effect.map((chunks) => new TextDecoder().decode(concatBytes(chunks))))

/** a client for the server in context, with its own options; closed with the test's scope */
const clientWith = (options: Partial<DoipClient.ClientOptions>) =>
  Effect.gen(function*() {
    const { binaryPort } = yield* ListenAddress
    return yield* DoipClient.make({
      host: "127.0.0.1",
      port: binaryPort,
      timeout: "3 seconds",
      connectTimeout: "3 seconds",
      ...options
    })
  })

/** the call's error, and how long it took to fail */
const failure = <A, R>(effect: Effect.Effect<A, ClientError, R>) =>
  Effect.gen(function*() {
    const start = Date.now()
    const error = yield* Effect.flip(effect)
    return { error, millis: Date.now() - start }
  })

const TlsServer = layerServer({ tls: { mode: "required", files: { cert, key } } })
const TlsClients = layerClient({ tls: { ca: cert }, credentials: { token } }).pipe(Layer.provideMerge(TlsServer))

layer(TlsClients, { excludeTestServices: true })("the binary listener over TLS", (it) => {
  it.effect("hello, retrieve and update with credentials, with the server's certificate as CA", () =>
    Effect.gen(function*() {
      yield* seed("Q200", "a.txt", "over tls", "text/plain")
      const client = yield* DoipClient.DoipClient
      const hello = yield* client.hello()
      assert.strictEqual(hello["status"], "ok")
      assert.strictEqual(hello["version"], 2)
      assert.strictEqual(hello["tls"], true)

      const manifest = yield* client.retrieve("Q200")
      assert.strictEqual(manifest["@id"], "Q200")
      const component = yield* Effect.scoped(
        Effect.flatMap(client.retrieve("Q200", "a.txt"), (c) => Effect.map(readAll(c.content), (content) => ({ ...c, content })))
      )
      assert.strictEqual(component.mediaType, "text/plain")
      assert.strictEqual(component.size, 8)
      assert.strictEqual(component.content, "over tls")

      const answer = yield* client.updateComponent("Q200", "a.txt", text("updated over tls"), "text/plain")
      assert.strictEqual(answer["status"], "committed")
      assert.strictEqual(answer["size"], 16)
      const storage = yield* Storage
      assert.strictEqual(yield* readAll(storage.read("Q200", "a.txt")), "updated over tls")
      assert.strictEqual((yield* storage.history("Q200"))[0]!.metadata["operation"], "update")
    }))

  it.effect("a wrong token over TLS is refused", () =>
    Effect.gen(function*() {
      yield* seed("Q201", "a.txt", "original")
      const client = yield* clientWith({ tls: { ca: cert }, credentials: { token: "wrong" } })
      const { error } = yield* failure(client.updateComponent("Q201", "a.txt", text("evil")))
      assert.strictEqual(error._tag, "ServerError")
      assert.strictEqual(error._tag === "ServerError" && error.error, "Unauthenticated")
    }))

  it.effect("the CA may be given as a PEM string, and the servername as localhost", () =>
    Effect.gen(function*() {
      const client = yield* clientWith({ tls: { ca: cert.toString("utf8"), servername: "localhost" } })
      assert.strictEqual((yield* client.hello())["status"], "ok")
    }))

  it.effect("a client trusting another CA fails with a TlsError", () =>
    Effect.gen(function*() {
      const client = yield* clientWith({ tls: { ca: otherCert } })
      const { error, millis } = yield* failure(client.hello())
      assert.strictEqual(error._tag, "TlsError", error.message)
      assert.match(error.message, /self-signed|SELF_SIGNED/)
      assert.isBelow(millis, 2_500)
      // the server keeps serving clients that trust it
      const good = yield* clientWith({ tls: { ca: cert } })
      assert.strictEqual((yield* good.hello())["status"], "ok")
    }))

  it.effect("a client trusting the system CAs only fails with a TlsError", () =>
    Effect.gen(function*() {
      const client = yield* clientWith({ tls: true })
      const { error, millis } = yield* failure(client.hello())
      assert.strictEqual(error._tag, "TlsError", error.message)
      assert.isBelow(millis, 2_500)
    }))

  it.effect("a client with verify: false gets through", () =>
    Effect.gen(function*() {
      const client = yield* clientWith({ tls: { verify: false } })
      assert.strictEqual((yield* client.hello())["status"], "ok")
    }))

  it.effect("a plaintext client fails fast with a typed error, and the server goes on", () =>
    Effect.gen(function*() {
      const client = yield* clientWith({})
      const { error, millis } = yield* failure(client.hello())
      assert.include(["ConnectionError", "TlsError", "TimeoutError"], error._tag, error.message)
      assert.isBelow(millis, 2_500, "fails before the call's 3 s timeout")
      const good = yield* clientWith({ tls: { ca: cert } })
      assert.strictEqual((yield* good.hello())["status"], "ok")
    }))

  it.effect("a failed call leaves the client usable: the next call opens a new connection", () =>
    Effect.gen(function*() {
      const client = yield* clientWith({ tls: { ca: cert } })
      const { error } = yield* failure(client.retrieve("Q999999"))
      assert.strictEqual(error._tag, "NotFoundError")
      assert.strictEqual((yield* client.hello())["status"], "ok")
    }))
})

layer(layerServer(), { excludeTestServices: true })("a TLS client against a plaintext server", (it) => {
  it.effect("fails fast with a TlsError", () =>
    Effect.gen(function*() {
      const client = yield* clientWith({ tls: { ca: cert } })
      const { error, millis } = yield* failure(client.hello())
      // a plaintext-only port closes a TLS client at once; the client says the port may not speak TLS
      assert.strictEqual(error._tag, "TlsError", error.message)
      assert.isBelow(millis, 2_500, "fails before the call's 3 s timeout")
    }))

  it.effect("and the plaintext server goes on serving plaintext clients", () =>
    Effect.gen(function*() {
      const client = yield* clientWith({})
      assert.strictEqual((yield* client.hello())["status"], "ok")
    }))
})

describe("opening a connection that fails", () => {
  // the same failure as the TLS handshakes above, without TLS: nothing listens on the port
  it.live("a client against a closed port, told not to reconnect, fails fast with a ConnectionError", () =>
    Effect.gen(function*() {
      const port = yield* Effect.promise(() =>
        new Promise<number>((resolve) => {
          const server = net.createServer()
          server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo
            server.close(() => resolve(port))
          })
        })
      )
      // (by default it waits for the server, test/client/Reconnect.test.ts)
      const client = yield* DoipClient.make({ host: "127.0.0.1", port, timeout: "3 seconds", connectTimeout: "3 seconds", reconnect: false })
      const { error, millis } = yield* failure(client.hello())
      assert.strictEqual(error._tag, "ConnectionError", error.message)
      assert.match(error.message, /ECONNREFUSED/)
      assert.isBelow(millis, 2_500)
    }))
})
