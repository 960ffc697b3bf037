/**
 * The DOIP v2.0 client's pipeline: many calls in flight on one connection, answers matched by `requestId`, element
 * streams given up or broken, timeouts and a server that goes away. Our server sits behind a counting proxy, or a
 * scripted stand-in plays the server where ours would behave too well (answering out of order, never answering).
 */
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as net from "node:net"
import type { ClientError } from "../../src/client/ClientError.ts"
import * as DoipClient from "../../src/client/DoipClient.ts"
import { ListenAddress } from "../../src/server/DoipServer.ts"
import { concatBytes } from "../support/Random.ts"
import { scriptedServer } from "../support/ScriptedDoip2Server.ts"
import { layerServer, seed, token } from "../support/TestServer.ts"

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const readAll = (stream: Stream.Stream<Uint8Array, ClientError>) => Stream.runCollect(stream).pipe(Effect.map(concatBytes))

/** a DOIP v2.0 client for our server, through a proxy that counts connections */
const proxiedClient = (options?: Partial<DoipClient.ClientOptions>) =>
  Effect.gen(function*() {
    const { doip2Port } = yield* ListenAddress
    const relay = yield* proxy(doip2Port)
    const client = yield* DoipClient.makeDoip2({
      host: "127.0.0.1",
      port: relay.port,
      timeout: "10 seconds",
      credentials: { token },
      ...options
    })
    return { client, relay }
  })

layer(layerServer(), { excludeTestServices: true })("pipelining against our server", (it) => {
  it.effect("20 concurrent calls of every kind share one connection, each gets its own answer", () =>
    Effect.gen(function*() {
      for (let i = 1; i <= 5; i++) {
        yield* seed(`Q${300 + i}`, "a.txt", `content of ${i} `.repeat(i * 1000), "text/plain")
        yield* seed(`Q${300 + i}`, "b.bin", new Uint8Array(i * 20_000).fill(i))
      }
      const { client, relay } = yield* proxiedClient()
      yield* client.hello() // the connection is open: the 20 calls below go out back to back
      const calls = Array.from({ length: 20 }, (_, n) => {
        const i = (n % 5) + 1
        const id = `Q${300 + i}`
        switch (n % 4) {
          case 0:
            return Effect.map(client.retrieve(id), (object) => [n, object["id"]] as const)
          case 1:
            return Effect.scoped(Effect.flatMap(client.retrieve(id, "a.txt"), (element) =>
              Effect.map(readAll(element.content), (bytes) => [n, decode(bytes)] as const)))
          case 2:
            return Effect.scoped(Effect.flatMap(client.retrieve(id, "b.bin"), (element) =>
              Effect.map(readAll(element.content), (bytes) => [n, bytes.length, bytes.every((b) => b === i)] as const)))
          default:
            return Effect.map(client.search(`id:${id}`, { type: "id" }), (found) => [n, found.results] as const)
        }
      })
      const answers = yield* Effect.all(calls, { concurrency: "unbounded" })
      answers.forEach((answer, n) => {
        const i = (n % 5) + 1
        const id = `Q${300 + i}`
        const expected = [
          [n, id],
          [n, `content of ${i} `.repeat(i * 1000)],
          [n, i * 20_000, true],
          [n, [id]]
        ][n % 4]
        assert.deepStrictEqual<unknown>(answer, expected, `call ${n}`)
      })
      assert.strictEqual(relay.connections(), 1)
      // requests went out while earlier answers were still to come
      assert.isAbove(relay.mostRequestsAhead(), 1)
    }))

  it.effect("an element left unread when its scope closes is drained: the connection goes on", () =>
    Effect.gen(function*() {
      yield* seed("Q320", "big.bin", new Uint8Array(4 * 1024 * 1024).fill(7))
      yield* seed("Q320", "small.txt", "small")
      const { client, relay } = yield* proxiedClient()
      const first = yield* Effect.scoped(Effect.flatMap(client.retrieve("Q320", "big.bin"), (element) =>
        Effect.map(Stream.runHead(element.content), () => element.size)))
      assert.strictEqual(first, 4 * 1024 * 1024)
      const [small, object] = yield* Effect.all([
        Effect.scoped(Effect.flatMap(client.retrieve("Q320", "small.txt"), (e) => readAll(e.content))),
        client.retrieve("Q320")
      ], { concurrency: 2 })
      assert.strictEqual(decode(small), "small")
      assert.strictEqual(object["id"], "Q320")
      assert.strictEqual(relay.connections(), 1)
    }))

  it.effect("an element given up by a failure closes the connection; the next call opens another", () =>
    Effect.gen(function*() {
      yield* seed("Q321", "big.bin", new Uint8Array(4 * 1024 * 1024).fill(9))
      const { client, relay } = yield* proxiedClient()
      const failed = yield* Effect.scoped(Effect.flatMap(client.retrieve("Q321", "big.bin"), (element) =>
        Effect.andThen(Stream.runHead(element.content), Effect.fail("stop reading" as const)))).pipe(Effect.flip)
      assert.strictEqual(failed, "stop reading")
      const object = yield* client.retrieve("Q321")
      assert.strictEqual(object["id"], "Q321")
      assert.strictEqual(relay.connections(), 2)
    }))

  it.effect("a call waiting behind an element being read is answered once the element was read", () =>
    Effect.gen(function*() {
      yield* seed("Q322", "big.bin", new Uint8Array(2 * 1024 * 1024).fill(3))
      const { client, relay } = yield* proxiedClient()
      yield* Effect.scoped(Effect.gen(function*() {
        const element = yield* client.retrieve("Q322", "big.bin")
        // asked while the element holds the connection: its answer waits in the socket until the element was read
        const hello = yield* Effect.forkChild(client.hello())
        const bytes = yield* readAll(element.content)
        assert.strictEqual(bytes.length, 2 * 1024 * 1024)
        assert.strictEqual((yield* Fiber.join(hello))["type"], "0.TYPE/DOIPService")
      }))
      assert.strictEqual(relay.connections(), 1)
    }))
})

describe("pipelining against a scripted server", () => {
  it.live("answers come back in another order than asked: each goes to the call whose requestId it echoes", () =>
    Effect.gen(function*() {
      // answers nothing until three requests arrived (a client that waited for answers would never send the third),
      // then answers them last first
      const server = yield* scriptedServer((requests, answer) => {
        if (requests.length !== 3) return
        for (const request of [...requests].reverse()) {
          answer({ requestId: request["requestId"], status: "0.DOIP/Status.001", output: { target: request["targetId"] } })
        }
      })
      const client = yield* DoipClient.makeDoip2({ host: "127.0.0.1", port: server.port, timeout: "5 seconds" })
      const answers = yield* Effect.all(
        ["Q1", "Q2", "Q3"].map((targetId) => client.call({ operation: "0.DOIP/Op.Retrieve", targetId })),
        { concurrency: "unbounded" }
      )
      assert.deepStrictEqual(answers.map((a) => a.output), [{ target: "Q1" }, { target: "Q2" }, { target: "Q3" }])
      assert.strictEqual(server.connections(), 1)
    }))

  it.live("a timeout fails the call, fails the calls waiting with it, and the next call reconnects", () =>
    Effect.gen(function*() {
      // never answers "Q-slow…"; answers anything else at once
      const server = yield* scriptedServer((requests, answer) => {
        const request = requests[requests.length - 1]!
        if (!String(request["targetId"]).startsWith("Q-slow")) {
          answer({ requestId: request["requestId"], status: "0.DOIP/Status.001", output: { ok: request["targetId"] } })
        }
      })
      const client = yield* DoipClient.makeDoip2({ host: "127.0.0.1", port: server.port, timeout: "400 millis" })
      const start = Date.now()
      const [slow, behind] = yield* Effect.all([
        client.call({ operation: "retrieve", targetId: "Q-slow" }).pipe(Effect.flip),
        // asked later on the same connection: it fails when the first call's timeout closes it, before its own
        Effect.sleep("200 millis").pipe(
          Effect.andThen(client.call({ operation: "retrieve", targetId: "Q-slow-too" })),
          Effect.flip,
          Effect.map((error) => ({ error, millis: Date.now() - start }))
        )
      ], { concurrency: 2 })
      assert.strictEqual(slow._tag, "TimeoutError")
      assert.strictEqual(behind.error._tag, "ConnectionError")
      assert.match(behind.error.message, /a call on it timed out/)
      assert.isBelow(behind.millis, 550)
      const next = yield* client.call({ operation: "retrieve", targetId: "Q1" })
      assert.deepStrictEqual(next.output, { ok: "Q1" })
      assert.strictEqual(server.connections(), 2)
    }))

  it.live("the server closing the connection fails the calls waiting on it; the next call reconnects", () =>
    Effect.gen(function*() {
      let first = true
      const server = yield* scriptedServer((requests, answer, close) => {
        const request = requests[requests.length - 1]!
        if (first) {
          first = false
          close()
          return
        }
        answer({ requestId: request["requestId"], status: "0.DOIP/Status.001", output: { ok: true } })
      })
      const client = yield* DoipClient.makeDoip2({ host: "127.0.0.1", port: server.port, timeout: "5 seconds" })
      const lost = yield* client.call({ operation: "hello" }).pipe(Effect.flip)
      assert.strictEqual(lost._tag, "ConnectionError")
      assert.match(lost.message, /closed the connection/)
      assert.deepStrictEqual((yield* client.call({ operation: "hello" })).output, { ok: true })
      assert.strictEqual(server.connections(), 2)
    }))

  it.live("status codes map to typed errors, with the server's message", () =>
    Effect.gen(function*() {
      const statuses: Record<string, [string, string | undefined]> = {
        Q1: ["0.DOIP/Status.104", undefined],
        Q2: ["0.DOIP/Status.102", undefined],
        Q3: ["0.DOIP/Status.105", undefined],
        Q4: ["0.DOIP/Status.500", "WorkflowError"],
        Q5: ["0.DOIP/Status.1", undefined]
      }
      const server = yield* scriptedServer((requests, answer) => {
        const request = requests[requests.length - 1]!
        const [status, error] = statuses[request["targetId"] as string]!
        answer({
          requestId: request["requestId"],
          status,
          attributes: { message: `says ${request["targetId"]}`, ...(error === undefined ? {} : { error }) }
        })
      })
      const client = yield* DoipClient.makeDoip2({ host: "127.0.0.1", port: server.port, timeout: "5 seconds" })
      const errorOf = (targetId: string) => client.call({ operation: "retrieve", targetId }).pipe(Effect.flip)
      const notFound = yield* errorOf("Q1")
      assert.strictEqual(notFound._tag, "NotFoundError")
      assert.strictEqual(notFound.message, "says Q1")
      for (const [targetId, kind] of [["Q2", "Unauthenticated"], ["Q3", "Conflict"], ["Q4", "WorkflowError"]] as const) {
        const error = yield* errorOf(targetId)
        assert.strictEqual(error._tag, "ServerError")
        assert.strictEqual(error._tag === "ServerError" && error.error, kind)
        assert.strictEqual(error.message, `says ${targetId}`)
      }
      // the old short form of success
      const ok = yield* client.call({ operation: "retrieve", targetId: "Q5" })
      assert.strictEqual(ok.attributes["message"], "says Q5")
      assert.strictEqual(server.connections(), 1)
    }))
})

// -----------------------------------------------------------------------------
// helpers
// -----------------------------------------------------------------------------

/**
 * A TCP relay to `target` on loopback: counts connections and, per connection, the most requests (`"requestId"`s)
 * the client had sent beyond those answered so far (counting answers by `"requestId"` too).
 */
const proxy = (target: number) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly port: number; readonly connections: () => number; readonly mostRequestsAhead: () => number; readonly server: net.Server }>((resume) => {
      let connections = 0
      let mostAhead = 0
      const server = net.createServer((inbound) => {
        connections++
        let requests = 0
        let answers = 0
        let tail = ""
        let answerTail = ""
        const outbound = net.connect(target, "127.0.0.1")
        inbound.on("data", (data: Buffer) => {
          const text = tail + data.toString("latin1")
          requests += text.split("\"requestId\"").length - 1
          tail = text.slice(-16)
          mostAhead = Math.max(mostAhead, requests - answers)
          outbound.write(data)
        })
        outbound.on("data", (data: Buffer) => {
          const text = answerTail + data.toString("latin1")
          answers += text.split("\"requestId\"").length - 1
          answerTail = text.slice(-16)
          inbound.write(data)
        })
        inbound.on("close", () => outbound.destroy())
        outbound.on("close", () => inbound.destroy())
        inbound.on("error", () => outbound.destroy())
        outbound.on("error", () => inbound.destroy())
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo
        resume(Effect.succeed({ port, connections: () => connections, mostRequestsAhead: () => mostAhead, server }))
      })
    }),
    (relay) => Effect.sync(() => relay.server.close())
  )
