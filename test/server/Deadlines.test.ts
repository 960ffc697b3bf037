/**
 * Deadlines wherever a connection can stop (issue 14, item 4): a connection that makes no progress for the idle
 * timeout is closed wherever it stopped (inside a header, a segment, a component), a message that trickles in is
 * closed by its own deadline (`limits.messageTimeoutSeconds` plus its bytes at `limits.minBytesPerSecond`), and a
 * connection beyond `limits.maxConnections` is closed at once. Each case held a connection open for good before.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as net from "node:net"
import { ListenAddress } from "../../src/server/DoipServer.ts"
import { layerServer, seed, token } from "../support/TestServer.ts"

/** writes `parts` (waiting `gapMillis` before each after the first), then how long the server took to close */
const closedAfter = (port: number, parts: ReadonlyArray<string | Uint8Array>, gapMillis = 0) =>
  Effect.callback<{ readonly millis: number; readonly received: number }, Error>((resume) => {
    const started = Date.now()
    let received = 0
    const timers: Array<ReturnType<typeof setTimeout>> = []
    const socket = net.connect(port, "127.0.0.1", () => {
      parts.forEach((part, i) => {
        timers.push(setTimeout(() => socket.writable && socket.write(part), i * gapMillis))
      })
    })
    socket.on("data", (chunk: Buffer) => {
      received += chunk.length
    })
    socket.on("error", () => {})
    socket.on("close", () => {
      for (const timer of timers) clearTimeout(timer)
      clearTimeout(limit)
      resume(Effect.succeed({ millis: Date.now() - started, received }))
    })
    const limit = setTimeout(() => {
      socket.destroy()
      resume(Effect.fail(new Error("the server did not close the connection within 8 s")))
    }, 8_000)
  })

const u32 = (n: number) => {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, n)
  return out
}
/** a binary request header that announces `payload` bytes, and nothing after it */
const binaryHeaderOnly = Uint8Array.from([0x02, 0x01, 0x01, 0x00, 0x00, 0x00, ...u32(26)])

const auth = `"authentication":{"token":"${token}"}`

layer(layerServer({ settings: { limits: { idleTimeoutSeconds: 1, messageTimeoutSeconds: 2, minBytesPerSecond: 1024 } } }), {
  excludeTestServices: true
})("a connection that stops inside a message is closed by the idle timeout", (it) => {
  it.effect("binary: a header and nothing more", () =>
    Effect.gen(function*() {
      const { binaryPort } = yield* ListenAddress
      const { millis } = yield* closedAfter(binaryPort, [binaryHeaderOnly])
      assert.isAtLeast(millis, 900)
      assert.isBelow(millis, 3_000)
    }))

  it.effect("DOIP v2.0: a JSON segment without its end; a `#` glued to the JSON", () =>
    Effect.gen(function*() {
      const { doip2Port } = yield* ListenAddress
      for (const cut of [`{"requestId":"1","operationId":"0.DOIP/Op.Hello"}\n`, `{"requestId":"1","operationId":"0.DOIP/Op.Hello"}#`]) {
        const { millis } = yield* closedAfter(doip2Port, [cut])
        assert.isBelow(millis, 3_000, JSON.stringify(cut))
      }
    }))

  it.effect("DOIP v2.0: half of an element's bytes, while the handler reads them", () =>
    Effect.gen(function*() {
      const { doip2Port } = yield* ListenAddress
      const { millis } = yield* closedAfter(doip2Port, [
        `{"requestId":"c","targetId":"service","operationId":"0.DOIP/Op.Create",${auth}}\n#\n` +
        `{"id":"Q900","elements":[{"id":"a.bin"}]}\n#\n{"id":"a.bin"}\n#\n@\n1000\n` + "x".repeat(500)
      ])
      assert.isAtLeast(millis, 900)
      assert.isBelow(millis, 3_000)
    }))

  it.effect("a client that stops reading a large answer is closed by the idle timeout", () =>
    Effect.gen(function*() {
      yield* seed("Q901", "big.bin", new Uint8Array(32 * 1024 * 1024))
      const { doip2Port } = yield* ListenAddress
      // the socket is paused: its buffers fill, and the server's write of the content waits; a paused socket sees
      // no close, so it reads again after 2.5 s: a server that gave up sent only part, and the close follows
      const outcome = yield* Effect.callback<{ readonly received: number }, Error>((resume) => {
        let received = 0
        const socket = net.connect(doip2Port, "127.0.0.1", () => {
          socket.pause()
          socket.write(`{"requestId":"r","targetId":"Q901","operationId":"0.DOIP/Op.Retrieve","attributes":{"element":"big.bin"}}\n#\n#\n`)
          setTimeout(() => socket.resume(), 2_500)
        })
        socket.on("data", (chunk: Buffer) => {
          received += chunk.length
        })
        socket.on("error", () => {})
        socket.on("close", () => {
          clearTimeout(limit)
          resume(Effect.succeed({ received }))
        })
        const limit = setTimeout(() => {
          socket.destroy()
          resume(Effect.fail(new Error(`the server did not close the connection within 8 s (${received} bytes read)`)))
        }, 8_000)
      })
      assert.isBelow(outcome.received, 32 * 1024 * 1024, "the answer was cut: the server closed while it waited")
    }))

  it.effect("a client that pipelines thousands of hellos and reads none of the answers is closed by the idle timeout", () =>
    Effect.gen(function*() {
      const { doip2Port } = yield* ListenAddress
      const count = 5_000
      const outcome = yield* Effect.callback<{ readonly answers: number }, Error>((resume) => {
        let text = ""
        const socket = net.connect(doip2Port, "127.0.0.1", () => {
          socket.pause()
          socket.write(`{"requestId":"h","operationId":"0.DOIP/Op.Hello"}\n#\n#\n`.repeat(count))
          setTimeout(() => socket.resume(), 3_000)
        })
        socket.on("data", (chunk: Buffer) => {
          text += chunk.toString("latin1")
        })
        socket.on("error", () => {})
        socket.on("close", () => {
          clearTimeout(limit)
          resume(Effect.succeed({ answers: text.split("\n#\n#\n").length - 1 }))
        })
        const limit = setTimeout(() => {
          socket.destroy()
          resume(Effect.fail(new Error("the server did not close the connection within 8 s")))
        }, 8_000)
      })
      assert.isBelow(outcome.answers, count, "the answers were cut: the server closed while the client read none")
    }))

  it.effect("a message that trickles in (a byte every 400 ms, never idle for 1 s) is closed by its own deadline", () =>
    Effect.gen(function*() {
      const { doip2Port } = yield* ListenAddress
      const request = `{"requestId":"slow","operationId":"0.DOIP/Op.Hello","attributes":{"padding":"${"p".repeat(40)}"}}\n#\n#\n`
      const { millis } = yield* closedAfter(doip2Port, Array.from(request), 400)
      assert.isAtLeast(millis, 1_900)
      assert.isBelow(millis, 4_500, "closed by the 2 s message deadline, long before the whole request arrived")
    }))
})

layer(layerServer({ settings: { limits: { maxConnections: 2 } } }), { excludeTestServices: true })(
  "beyond maxConnections",
  (it) => {
    it.effect("the connection over the limit is closed at once, and a place that frees up is taken again", () =>
      Effect.gen(function*() {
        const { doip2Port } = yield* ListenAddress
        const open = () => net.connect(doip2Port, "127.0.0.1")
        const held = [open(), open()]
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 200)))
        const { millis } = yield* closedAfter(doip2Port, [])
        assert.isBelow(millis, 1_000)
        for (const socket of held) socket.destroy()
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 200)))
        const answer = yield* Effect.callback<string>((resume) => {
          const socket = net.connect(doip2Port, "127.0.0.1", () => socket.write(`{"requestId":"h","operationId":"0.DOIP/Op.Hello"}\n#\n#\n`))
          let text = ""
          socket.on("data", (chunk) => {
            text += chunk.toString()
            if (text.includes("\n#\n#\n")) {
              socket.destroy()
              resume(Effect.succeed(text))
            }
          })
        })
        assert.include(answer, "0.DOIP/Status.001")
      }))
  }
)
