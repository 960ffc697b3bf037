/**
 * Watching (issue 17, item 4): the watch operation over DOIP v2.0, its events in the branch's order with the right
 * fields, filtered by ids, resumed after a dropped connection with nothing lost and nothing repeated, refused by the
 * binary envelope; and a watcher that stops reading, which neither holds back writers nor grows the server's buffer.
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as net from "node:net"
import * as DoipClient from "../../src/client/DoipClient.ts"
import { ChangeEvents } from "../../src/layers/storage/ChangeEvents.ts"
import { ComponentWriter } from "../../src/layers/storage/ComponentWriter.ts"
import { ListenAddress } from "../../src/server/DoipServer.ts"
import { layerServer, token } from "../support/TestServer.ts"

const text = (s: string) => new TextEncoder().encode(s)

/** a DOIP v2.0 client of the server in context, on `port` when given (a proxy's) */
const doip2 = (port?: number, options?: Partial<DoipClient.ClientOptions>) =>
  Effect.gen(function*() {
    const address = yield* ListenAddress
    return yield* DoipClient.makeDoip2({
      host: "127.0.0.1",
      port: port ?? address.doip2Port,
      credentials: { token },
      timeout: "20 seconds",
      ...options
    })
  })

/** the first `n` events of a watch, collected in the background: start it, then make the changes, then join */
const collect = (events: Stream.Stream<DoipClient.ChangeEvent, unknown>, n: number) =>
  events.pipe(Stream.take(n), Stream.runCollect, Effect.timeout("20 seconds"), Effect.forkScoped)

/** until the watch has begun on the server: its first segment came back (a raw watch), or a marker change arrived */
const settle = Effect.sleep("200 millis")

layer(layerServer(), { excludeTestServices: true })("watch over DOIP v2.0", (it) => {
  it.effect("create, update, invoke and delete arrive in order, each with its version, operation and components", () =>
    Effect.gen(function*() {
      const client = yield* doip2()
      const watching = yield* collect(client.watch(["Q9001"]), 4)
      yield* settle
      const created = yield* client.create({ id: "Q9001", type: "Dataset" }, [
        { id: "a.txt", mediaType: "text/plain", content: text("one") }
      ])
      yield* client.updateComponent("Q9001", "b.txt", text("two"), "text/plain")
      yield* client.invoke("Q9001", "fixity")
      yield* client.delete("Q9001")
      const events = yield* Fiber.join(watching)
      assert.deepStrictEqual(events.map((e) => [e.objectId, e.operation]), [
        ["Q9001", "create"],
        ["Q9001", "update"],
        ["Q9001", "invoke"],
        ["Q9001", "delete"]
      ])
      assert.deepStrictEqual(events.map((e) => e.components), [
        { added: ["a.txt"], changed: [], removed: [] },
        { added: ["b.txt"], changed: [], removed: [] },
        { added: ["fixity.sha256"], changed: [], removed: [] },
        { added: [], changed: [], removed: ["a.txt", "b.txt", "fixity.sha256"] }
      ])
      assert.strictEqual(created["id"], "Q9001")
      // each version is the commit: versions lists the same ones, newest first
      const versions = yield* client.versions("Q9001")
      assert.deepStrictEqual(events.map((e) => e.version), versions.map((v) => v.id).reverse())
      for (const event of events) assert.match(event.time, /^\d{4}-\d\d-\d\dT/)
    }).pipe(Effect.scoped))

  it.effect("ids filter: a watch of one object sees its changes only; a watch of all sees every one", () =>
    Effect.gen(function*() {
      const client = yield* doip2()
      const one = yield* collect(client.watch(["Q9012"]), 2)
      const all = yield* collect(client.watch(), 3)
      yield* settle
      yield* client.create({ id: "Q9011" }, [{ id: "x", content: text("x") }])
      yield* client.create({ id: "Q9012" }, [{ id: "y", content: text("y") }])
      yield* client.updateComponent("Q9012", "y", text("y2"))
      assert.deepStrictEqual((yield* Fiber.join(one)).map((e) => [e.objectId, e.operation]), [["Q9012", "create"], ["Q9012", "update"]])
      assert.deepStrictEqual((yield* Fiber.join(all)).map((e) => e.objectId), ["Q9011", "Q9012", "Q9012"])
    }).pipe(Effect.scoped))

  it.effect("since: the changes after a version come first, then live ones", () =>
    Effect.gen(function*() {
      const client = yield* doip2()
      const first = yield* client.create({ id: "Q9021" }, [{ id: "a", content: text("1") }])
      const [v1] = (yield* client.versions("Q9021")).map((v) => v.id)
      yield* client.updateComponent("Q9021", "a", text("2"))
      yield* client.updateComponent("Q9021", "a", text("3"))
      const watching = yield* collect(client.watch(["Q9021"], { since: v1 }), 3)
      yield* settle
      yield* client.updateComponent("Q9021", "a", text("4"))
      const events = yield* Fiber.join(watching)
      const versions = (yield* client.versions("Q9021")).map((v) => v.id).reverse()
      assert.deepStrictEqual(events.map((e) => e.version), versions.slice(1))
      assert.ok(first)
    }).pipe(Effect.scoped))

  it.effect("a since that is no version of the branch is NotFound; the binary client cannot watch", () =>
    Effect.gen(function*() {
      const client = yield* doip2()
      const missing = yield* Stream.runCollect(client.watch([], { since: "f".repeat(64) })).pipe(Effect.flip)
      assert.strictEqual(missing._tag, "NotFoundError")
      const address = yield* ListenAddress
      const binary = yield* DoipClient.make({ host: "127.0.0.1", port: address.binaryPort })
      const refused = yield* Stream.runCollect(binary.watch()).pipe(Effect.flip)
      assert.strictEqual(refused._tag, "InvalidRequestError")
      assert.match(refused.message, /DOIP v2\.0/)
    }).pipe(Effect.scoped))
})

layer(layerServer(), { excludeTestServices: true })("watch on the wire", (it) => {
  it.effect("the answer's first segment says where the watch starts; a request sent meanwhile ends it and is answered", () =>
    Effect.gen(function*() {
      const address = yield* ListenAddress
      const socket = yield* connect(address.doip2Port)
      socket.write(`{"requestId":"w","targetId":"service","operationId":"0.DOIP/Op.Watch","attributes":{"ids":["Q9101"]}}\n#\n#\n`)
      const head = JSON.parse((yield* socket.segment()))
      assert.strictEqual(head.requestId, "w")
      assert.strictEqual(head.status, "0.DOIP/Status.001")
      assert.strictEqual(typeof head.attributes.since, "string")
      assert.deepStrictEqual(head.attributes.ids, ["Q9101"])
      const client = yield* doip2()
      yield* client.create({ id: "Q9101" }, [{ id: "a", content: text("a") }])
      const event = JSON.parse(yield* socket.segment())
      assert.strictEqual(event.objectId, "Q9101")
      assert.strictEqual(event.operation, "create")
      // the next request ends the watch: its end of message, then the hello's answer
      socket.write(`{"requestId":"h","targetId":"service","operationId":"0.DOIP/Op.Hello"}\n#\n#\n`)
      assert.strictEqual(yield* socket.segment(), "")
      const hello = JSON.parse(yield* socket.segment())
      assert.strictEqual(hello.requestId, "h")
      assert.strictEqual(hello.status, "0.DOIP/Status.001")
    }).pipe(Effect.scoped))

  it.effect("the binary envelope answers a watch named in its metadata with UnsupportedOperation", () =>
    Effect.gen(function*() {
      const address = yield* ListenAddress
      const binary = yield* DoipClient.make({ host: "127.0.0.1", port: address.binaryPort })
      const refused = yield* binary.call({ operation: "watch" }).pipe(Effect.flip)
      assert.strictEqual(refused._tag, "ServerError")
      assert.strictEqual((refused as any).error, "UnsupportedOperation")
      // the connection goes on
      assert.ok(yield* binary.hello())
    }).pipe(Effect.scoped))
})

describe("watch, resumed", () => {
  layer(layerServer(), { excludeTestServices: true })("across dropped connections", (it) => {
    it.effect("connections cut mid-stream lose no change and repeat none", () =>
      Effect.gen(function*() {
        const address = yield* ListenAddress
        const proxy = yield* cuttingProxy(address.doip2Port)
        const watcher = yield* doip2(proxy.port)
        const writer = yield* doip2()
        const total = 30
        const watching = yield* collect(watcher.watch(["Q9201"], { reconnect: { baseDelay: "20 millis" } }), total)
        yield* settle
        // cut before any change: the watch resumes from where the server said it started
        proxy.cut()
        yield* writer.create({ id: "Q9201" }, [{ id: "n", content: text("0") }])
        for (let i = 1; i < total; i++) {
          yield* writer.updateComponent("Q9201", "n", text(String(i)))
          // cut every connection through the proxy now and then, between changes and in the middle of them
          if (i % 7 === 0) proxy.cut()
          if (i % 11 === 0) yield* Effect.sleep("30 millis").pipe(Effect.andThen(Effect.sync(proxy.cut)))
        }
        const events = yield* Fiber.join(watching)
        const versions = (yield* writer.versions("Q9201")).map((v) => v.id).reverse()
        assert.strictEqual(events.length, total)
        assert.deepStrictEqual(events.map((e) => e.version), versions, "every change once, in order")
        assert.isAbove(proxy.connections(), 1, "the watch did reconnect")
      }).pipe(Effect.scoped), { timeout: 60_000 })
  })

  layer(
    layerServer({ settings: { events: { bufferSize: 4 }, limits: { idleTimeoutSeconds: 2 } } }),
    { excludeTestServices: true }
  )("a watcher that waits, and one that stops reading", (it) => {
    it.effect("a watch waiting for changes outlives the idle timeout: the wait is the server's", () =>
      Effect.gen(function*() {
        const client = yield* doip2()
        const watching = yield* collect(client.watch(["Q9401"]), 1)
        yield* Effect.sleep("4500 millis")
        yield* client.create({ id: "Q9401" }, [{ id: "a", content: text("a") }])
        assert.deepStrictEqual((yield* Fiber.join(watching)).map((e) => e.operation), ["create"])
      }).pipe(Effect.scoped), { timeout: 30_000 })

    it.effect("writers go on, the hub holds no more than its buffer, a slow watcher misses nothing, one that never reads is cut", () =>
      Effect.gen(function*() {
        const address = yield* ListenAddress
        const hub = yield* ChangeEvents
        const writer = yield* ComponentWriter
        // a raw watcher of every object that reads the answer's first segment, then nothing at all
        const stalled = yield* connect(address.doip2Port)
        stalled.write(`{"requestId":"w","targetId":"service","operationId":"0.DOIP/Op.Watch"}\n#\n#\n`)
        yield* stalled.segment()
        stalled.pause()
        // a watcher that reads slowly, and must still see every change of its object, once, in order
        const client = yield* doip2()
        const rounds = 16
        const slow = yield* client.watch(["Q9301"]).pipe(
          Stream.tap(() => Effect.sleep("50 millis")),
          Stream.take(rounds + 1),
          Stream.runCollect,
          Effect.timeout("60 seconds"),
          Effect.forkScoped
        )
        yield* settle
        // commits of 2,000 components with long ids: each event is about 430 KB, and 16 of them (7 MB) overfill the
        // stalled connection's socket buffers (4 MB or so on loopback), so that its writes wait for a reader that never
        // comes
        const ids = Array.from({ length: 2000 }, (_, i) => `component-${i}-${"x".repeat(200)}`)
        let most = 0
        let slowest = 0
        yield* client.create({ id: "Q9301" }, [{ id: "n", content: text("start") }])
        for (let i = 0; i < rounds; i++) {
          const started = Date.now()
          yield* writer.change({ objectId: `Q95${String(i).padStart(2, "0")}`, operation: "create" }, (staging) =>
            Effect.forEach(ids, (id) => staging.write(id, "text/plain", Stream.succeed(text("x"))), { discard: true }))
          yield* client.updateComponent("Q9301", "n", text(String(i)))
          slowest = Math.max(slowest, Date.now() - started)
          most = Math.max(most, yield* hub.buffered)
        }
        assert.isAtMost(most, 4, "the hub holds no more than events.bufferSize commits")
        assert.isBelow(slowest, 10_000, `the slowest round of writes took ${slowest} ms`)
        const seen = yield* Fiber.join(slow)
        assert.deepStrictEqual(
          seen.map((e) => e.version),
          (yield* client.versions("Q9301")).map((v) => v.id).reverse(),
          "the slow watcher saw every change of its object, once, in order"
        )
        // cut by the write deadline, the idle timeout (2 s) after its writes stopped draining: once it reads again, it
        // finds what the socket buffers held, then the end of the connection (a watch never ends by itself), and far
        // less than the changes' events
        yield* Effect.sleep("5 seconds")
        stalled.resume()
        yield* stalled.closed.pipe(Effect.timeout("10 seconds"))
        assert.isBelow(stalled.received(), rounds * ids.length * 200, "the stalled watcher got a part of the events only")
      }).pipe(Effect.scoped), { timeout: 120_000 })
  })
})

// -----------------------------------------------------------------------------
// helpers
// -----------------------------------------------------------------------------

/** a raw DOIP v2.0 connection that reads JSON segments (the empty string for a message's end) */
const connect = (port: number) =>
  Effect.acquireRelease(
    Effect.callback<net.Socket>((resume) => {
      const socket = net.connect(port, "127.0.0.1", () => resume(Effect.succeed(socket)))
      socket.on("error", () => {})
    }),
    (socket) => Effect.sync(() => socket.destroy())
  ).pipe(Effect.map((socket) => {
    let buffer = ""
    let ended = false
    const waiting = new Set<() => void>()
    socket.setEncoding("utf8")
    socket.on("data", (chunk: string) => {
      buffer += chunk
      for (const wake of waiting) wake()
    })
    socket.on("close", () => {
      ended = true
      for (const wake of waiting) wake()
    })
    /** the next segment: a JSON segment's text, or "" for the end of a message (`#` alone) */
    const segment = () =>
      Effect.callback<string, Error>((resume) => {
        const check = () => {
          const end = buffer.indexOf("\n#\n")
          if (buffer.startsWith("#\n")) {
            buffer = buffer.slice(2)
            waiting.delete(check)
            return resume(Effect.succeed(""))
          }
          if (end >= 0) {
            const json = buffer.slice(0, end)
            buffer = buffer.slice(end + 3)
            waiting.delete(check)
            return resume(Effect.succeed(json))
          }
          if (ended) {
            waiting.delete(check)
            resume(Effect.fail(new Error("the connection closed")))
          }
        }
        waiting.add(check)
        check()
      }).pipe(Effect.timeout("5 seconds"))
    const closed = Effect.callback<boolean>((resume) => {
      if (ended || socket.destroyed) return resume(Effect.succeed(true))
      socket.once("close", () => resume(Effect.succeed(true)))
    })
    return {
      write: (s: string) => socket.write(s),
      pause: () => socket.pause(),
      resume: () => socket.resume(),
      received: () => socket.bytesRead,
      segment,
      closed
    }
  }))

/** a TCP proxy to `port` whose connections can all be cut at once */
const cuttingProxy = (port: number) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly port: number; readonly cut: () => void; readonly connections: () => number; readonly close: () => void }>(
      (resume) => {
        const open = new Set<net.Socket>()
        let connections = 0
        const server = net.createServer((client) => {
          connections++
          const upstream = net.connect(port, "127.0.0.1")
          for (const socket of [client, upstream]) {
            open.add(socket)
            socket.on("close", () => open.delete(socket))
            socket.on("error", () => (client.destroy(), upstream.destroy()))
          }
          client.pipe(upstream)
          upstream.pipe(client)
        })
        server.listen(0, "127.0.0.1", () => {
          const address = server.address() as net.AddressInfo
          resume(Effect.succeed({
            port: address.port,
            cut: () => {
              for (const socket of open) socket.destroy()
            },
            connections: () => connections,
            close: () => {
              server.close()
              for (const socket of open) socket.destroy()
            }
          }))
        })
      }
    ),
    (proxy) => Effect.sync(proxy.close)
  )
