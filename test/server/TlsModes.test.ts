/**
 * The listeners' TLS modes (`--tls off|auto|required`, see src/server/tls/Tls.ts): in `auto` every port serves
 * plaintext and TLS clients alike; in `required` a plaintext client is closed at once; in `off` a TLS client is. No
 * mode lets a client hang, and the idle timeout covers a client that never finishes its handshake.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { readFileSync } from "node:fs"
import * as net from "node:net"
import * as tls from "node:tls"
import * as DoipClient from "../../src/client/DoipClient.ts"
import { ListenAddress } from "../../src/server/DoipServer.ts"
import { layerServer, token } from "../support/TestServer.ts"

const fixture = (name: string) => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url))
const files = { cert: fixture("server.crt"), key: fixture("server.key") }

const clientFor = (protocol: DoipClient.Protocol, options: Partial<DoipClient.ClientOptions>) =>
  Effect.gen(function*() {
    const address = yield* ListenAddress
    const base = { host: "127.0.0.1", timeout: "3 seconds", connectTimeout: "3 seconds", ...options } as const
    return protocol === "binary"
      ? yield* DoipClient.make({ ...base, port: address.binaryPort })
      : yield* DoipClient.makeDoip2({ ...base, port: address.doip2Port })
  })

/** how long the server takes to close a raw connection that sent `first` (and then nothing) */
const closedAfter = (port: number, first: Uint8Array | undefined) =>
  Effect.callback<number, Error>((resume) => {
    const started = Date.now()
    const socket = net.connect(port, "127.0.0.1", () => {
      if (first !== undefined) socket.write(first)
    })
    const received: Array<Buffer> = []
    socket.on("data", (chunk: Buffer) => received.push(chunk))
    socket.on("error", () => {})
    socket.on("close", () => {
      const bytes = Buffer.concat(received).length
      resume(bytes === 0 ? Effect.succeed(Date.now() - started) : Effect.fail(new Error(`the server sent ${bytes} bytes`)))
    })
    const timer = setTimeout(() => {
      socket.destroy()
      resume(Effect.fail(new Error("the server did not close the connection within 5 s")))
    }, 5_000)
    socket.on("close", () => clearTimeout(timer))
  })

/** the first bytes of a TLS ClientHello, which never goes on */
const stalledHandshake = Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03)

layer(layerServer({ tls: { mode: "auto", files }, settings: { limits: { idleTimeoutSeconds: 1 } } }), {
  excludeTestServices: true
})("TLS auto: plaintext and TLS on every port", (it) => {
  for (const protocol of ["binary", "doip2"] as const) {
    it.effect(`${protocol}: a plaintext client and a TLS client on the same port`, () =>
      Effect.gen(function*() {
        const plain = yield* clientFor(protocol, { credentials: { token } })
        const secure = yield* clientFor(protocol, { tls: { ca: files.cert }, credentials: { token } })
        const id = protocol === "binary" ? "Q910" : "Q911"
        yield* plain.create({ id, type: "Note" }, [{ id: "a.txt", content: new TextEncoder().encode("plain") }])
        const seen = yield* secure.retrieve(id)
        assert.strictEqual(seen["@id"] ?? seen["id"], id)
        const helloOverTls = yield* secure.hello()
        const attributes = protocol === "binary" ? helloOverTls : (helloOverTls["attributes"] as Record<string, unknown>)
        assert.strictEqual(attributes["tls"], true)
      }))
  }

  it.effect("the raw TLS handshake completes with the configured certificate", () =>
    Effect.gen(function*() {
      const { doip2Port } = yield* ListenAddress
      const peer = yield* Effect.callback<tls.PeerCertificate, Error>((resume) => {
        const socket = tls.connect({ port: doip2Port, host: "127.0.0.1", ca: files.cert, servername: "localhost" }, () => {
          resume(Effect.succeed(socket.getPeerCertificate()))
          socket.end()
        })
        socket.on("error", (error) => resume(Effect.fail(error)))
      })
      assert.strictEqual(peer.subject.CN, "localhost")
    }))

  it.effect("a client that never finishes its handshake is closed by the idle timeout", () =>
    Effect.gen(function*() {
      const { binaryPort } = yield* ListenAddress
      const waited = yield* closedAfter(binaryPort, stalledHandshake)
      assert.isAtLeast(waited, 900)
      assert.isBelow(waited, 3_000)
    }))

  it.effect("a client that connects and sends nothing is closed by the idle timeout", () =>
    Effect.gen(function*() {
      const { doip2Port } = yield* ListenAddress
      const waited = yield* closedAfter(doip2Port, undefined)
      assert.isAtLeast(waited, 900)
      assert.isBelow(waited, 3_000)
    }))
})

layer(layerServer({ tls: { mode: "required", files } }), { excludeTestServices: true })(
  "TLS required: TLS only",
  (it) => {
    for (const protocol of ["binary", "doip2"] as const) {
      it.effect(`${protocol}: a plaintext request is closed at once, unanswered, and our client says to use TLS`, () =>
        Effect.gen(function*() {
          const address = yield* ListenAddress
          const request = protocol === "binary"
            ? Uint8Array.of(0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00)
            : new TextEncoder().encode(`{"requestId":"1","targetId":"service","operationId":"0.DOIP/Op.Hello"}\n#\n#\n`)
          const waited = yield* closedAfter(protocol === "binary" ? address.binaryPort : address.doip2Port, request)
          assert.isBelow(waited, 1_000)
          const client = yield* clientFor(protocol, {})
          const error = yield* client.hello().pipe(Effect.flip)
          assert.match(error.message, /--tls/)
          const secure = yield* clientFor(protocol, { tls: { ca: files.cert } })
          const hello = yield* secure.hello()
          const attributes = protocol === "binary" ? hello : (hello["attributes"] as Record<string, unknown>)
          assert.strictEqual(attributes["tls"], true, "answered over TLS")
        }))
    }
  }
)

layer(layerServer({ tls: { mode: "off" } }), { excludeTestServices: true })("TLS off: plaintext only", (it) => {
  it.effect("a TLS handshake is closed at once on both ports", () =>
    Effect.gen(function*() {
      const address = yield* ListenAddress
      for (const port of [address.binaryPort, address.doip2Port]) {
        assert.isBelow(yield* closedAfter(port, stalledHandshake), 1_000)
      }
    }))
})
