/**
 * The reconnect policy (`src/client/Reconnect.ts`) on its own, on TestClock: the waits between attempts, their
 * bounds, and which failed calls are made again. Then the DOIP v2.0 client against a scripted server that closes a
 * connection with calls in flight, and both clients against a port nobody listens on yet.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Random from "effect/Random"
import { TestClock } from "effect/testing"
import { ConnectionError, NotFoundError, TimeoutError } from "../../src/client/ClientError.ts"
import * as DoipClient from "../../src/client/DoipClient.ts"
import * as Reconnect from "../../src/client/Reconnect.ts"
import { recordStates } from "../support/ClientStates.ts"
import { restartableServer } from "../support/RestartableServer.ts"
import { scriptedServer } from "../support/ScriptedDoip2Server.ts"

/** runs `retrying` over attempts that each report `progress` and fail with `error`; when each attempt began */
const attemptsOf = (
  options: Reconnect.ReconnectOptions | false | undefined,
  call: Reconnect.CallInfo,
  progress: Partial<Reconnect.Attempt>,
  error: () => ConnectionError | TimeoutError | NotFoundError | string,
  answered = true
) =>
  Effect.gen(function*() {
    const starts: Array<number> = []
    const fiber = yield* Reconnect.retrying(Reconnect.policy(options, () => answered), call, (attempt) =>
      Effect.gen(function*() {
        starts.push(yield* Clock.currentTimeMillis)
        Object.assign(attempt, progress)
        return yield* Effect.fail(error())
      })).pipe(Effect.flip, Effect.forkChild)
    yield* TestClock.adjust("10 minutes")
    return { error: yield* Fiber.join(fiber), starts }
  })

const lost = () => new ConnectionError({ message: "the server closed the connection" })
const refused = { connected: false, sent: false }
const sent = { connected: true, sent: true }

describe("the reconnect policy", () => {
  it.effect("waits grow from baseDelay by doubling, capped at maxDelay, jittered into [d/2, d], for maxAttempts", () =>
    Effect.gen(function*() {
      const { error, starts } = yield* attemptsOf(
        { baseDelay: "100 millis", maxDelay: "1 second", maxAttempts: 8, maxElapsed: "1 hour" },
        { operation: "hello", objectId: undefined },
        refused,
        lost
      )
      assert.strictEqual(starts.length, 8)
      const waits = starts.slice(1).map((at, i) => at - starts[i]!)
      waits.forEach((wait, i) => {
        const full = Math.min(100 * 2 ** i, 1000)
        assert.isAtLeast(wait, full / 2, `wait ${i}: ${waits}`)
        assert.isAtMost(wait, full, `wait ${i}: ${waits}`)
      })
      // jittered: not every wait is the same fraction of its full length
      assert.isAbove(new Set(waits.map((wait, i) => (wait / Math.min(100 * 2 ** i, 1000)).toFixed(3))).size, 1)
      assert.deepInclude(error, { _tag: "ConnectionError", message: "the server closed the connection (gave up after 8 attempts)" })
    }).pipe(Random.withSeed(17)))

  it.effect("maxElapsed ends the retries before maxAttempts does", () =>
    Effect.gen(function*() {
      const { starts } = yield* attemptsOf(
        { baseDelay: "1 second", maxDelay: "1 second", maxAttempts: 1000, maxElapsed: "5 seconds" },
        { operation: "retrieve", objectId: "Q1" },
        refused,
        lost
      )
      assert.isAtMost(starts.at(-1)! - starts[0]!, 6_000)
      assert.isAtLeast(starts.length, 5)
      assert.isAtMost(starts.length, 12)
    }))

  it.effect("the defaults ride out about 20 seconds", () =>
    Effect.gen(function*() {
      const { starts } = yield* attemptsOf(undefined, { operation: "hello", objectId: undefined }, refused, lost)
      assert.strictEqual(starts.length, Reconnect.defaults.maxAttempts)
      const span = starts.at(-1)! - starts[0]!
      assert.isAtLeast(span, 21_300 / 2)
      assert.isAtMost(span, 21_300)
    }))

  it.effect("a write lost after it was sent is not made again: OutcomeUnknownError, naming the call", () =>
    Effect.gen(function*() {
      for (const operation of ["update", "create", "delete", "invoke", 0x03, "0.DOIP/Op.Delete", "my_extension"]) {
        const { error, starts } = yield* attemptsOf({}, { operation, objectId: "Q5" }, sent, lost)
        assert.strictEqual(starts.length, 1, String(operation))
        assert.deepInclude(error, { _tag: "OutcomeUnknownError", objectId: "Q5" })
        assert.match((error as ConnectionError).message, /may or may not have been applied/)
      }
      const { error } = yield* attemptsOf(false, { operation: "update", objectId: "Q5" }, sent, lost)
      assert.deepInclude(error, { _tag: "OutcomeUnknownError", operation: "update", objectId: "Q5" })
    }))

  it.effect("a write whose connection failed before a byte was sent is sent again", () =>
    Effect.gen(function*() {
      for (const progress of [refused, { connected: true, sent: false }]) {
        const { error, starts } = yield* attemptsOf({ maxAttempts: 4 }, { operation: "update", objectId: "Q5" }, progress, lost)
        assert.strictEqual(starts.length, 4)
        assert.deepInclude(error, { _tag: "ConnectionError" })
      }
    }))

  it.effect("idempotent calls are made again after they were sent, once the server has answered this client", () =>
    Effect.gen(function*() {
      for (const operation of ["hello", "list_operations", "retrieve", "search", "describe", "versions", "purge", 0x02, "0.DOIP/Op.Search"]) {
        const { starts } = yield* attemptsOf({ maxAttempts: 3 }, { operation, objectId: undefined }, sent, lost)
        assert.strictEqual(starts.length, 3, String(operation))
      }
      // a server that closes every connection unanswered (a TLS-only port, say) is not waited for
      const { error, starts } = yield* attemptsOf({ maxAttempts: 3 }, { operation: "hello", objectId: undefined }, sent, lost, false)
      assert.strictEqual(starts.length, 1)
      assert.strictEqual((error as ConnectionError).message, "the server closed the connection")
    }))

  it.effect("a timeout, an error answer or anything else is not retried; an open that timed out is", () =>
    Effect.gen(function*() {
      const hello = { operation: "hello", objectId: undefined }
      const timeout = () => new TimeoutError({ message: "no answer within 1s" })
      assert.strictEqual((yield* attemptsOf({}, hello, sent, timeout)).starts.length, 1)
      assert.strictEqual((yield* attemptsOf({}, hello, sent, () => new NotFoundError({ message: "no" }))).starts.length, 1)
      assert.strictEqual((yield* attemptsOf({}, hello, sent, () => "the caller's own failure")).starts.length, 1)
      const connecting = yield* attemptsOf({ maxAttempts: 3 }, hello, refused, timeout)
      assert.strictEqual(connecting.starts.length, 3)
      assert.deepInclude(connecting.error, { _tag: "TimeoutError", message: "no answer within 1s (gave up after 3 attempts)" })
      assert.strictEqual((yield* attemptsOf(false, hello, refused, lost)).starts.length, 1)
    }))

  it("isIdempotent: by name, DOIP v2.0 id or code", () => {
    for (const operation of ["hello", "list_ops", "list_operations", "retrieve", "search", "describe", "versions", "purge"]) {
      assert.isTrue(Reconnect.isIdempotent(operation), operation)
    }
    for (const operation of ["0.DOIP/Op.Hello", "0.DOIP/Op.ListOperations", "0.DOIP/Op.Retrieve", "0.DOIP/Op.Search", 0x01, 0x02, 0x04, 0x09]) {
      assert.isTrue(Reconnect.isIdempotent(operation), String(operation))
    }
    for (const operation of ["create", "update", "delete", "invoke", "0.DOIP/Op.Create", "0.DOIP/Op.Update", 0x03, 0x05, 0x08, 0x0a, "frob", 0x7f]) {
      assert.isFalse(Reconnect.isIdempotent(operation), String(operation))
    }
  })
})

describe("DOIP v2.0: a connection closed with calls in flight", () => {
  it.live("idempotent calls are answered on the next connection; writes fail as unknown and are never sent twice", () =>
    Effect.gen(function*() {
      const writes = ["Q5:0.DOIP/Op.Delete", "Q6:0.DOIP/Op.Invoke", "Q7:0.DOIP/Op.Create"]
      const seen: Array<string> = []
      // the first connection answers the first request, then closes once all eight of the batch arrived
      const server = yield* scriptedServer((requests, answer, close, connection) => {
        const request = requests.at(-1)!
        seen.push(`${connection}:${request["targetId"]}:${request["operationId"]}`)
        if (connection === 1 && requests.length === 1) {
          return answer({ requestId: request["requestId"], status: "0.DOIP/Status.001", output: { ok: "first" } })
        }
        if (connection === 1) return requests.length === 9 ? close() : undefined
        answer({ requestId: request["requestId"], status: "0.DOIP/Status.001", output: { ok: request["targetId"] } })
      })
      const client = yield* DoipClient.makeDoip2({
        host: "127.0.0.1",
        port: server.port,
        timeout: "5 seconds",
        reconnect: { baseDelay: "10 millis", maxAttempts: 3 }
      })
      const states = yield* recordStates(client)
      assert.deepStrictEqual((yield* client.hello())["ok"], "first")
      const results = yield* Effect.all([
        Effect.map(client.retrieve("Q1"), (o) => o["ok"]),
        Effect.map(client.call({ operation: "0.DOIP/Op.Search", attributes: { query: "x" } }), (a) => (a.output as any).ok),
        Effect.map(client.call({ operation: "retrieve", targetId: "Q2" }), (a) => (a.output as any).ok),
        Effect.map(client.call({ operation: "0.DOIP/Op.ListOperations", targetId: "Q3" }), (a) => (a.output as any).ok),
        Effect.map(client.purge("Q4"), (o) => o["ok"]),
        Effect.flip(client.delete("Q5")),
        Effect.flip(client.invoke("Q6", "fixity")),
        Effect.flip(client.create({ id: "Q7" }, []))
      ], { concurrency: "unbounded" })
      assert.deepStrictEqual(results.slice(0, 5), ["Q1", "effect-doip/service", "Q2", "Q3", "Q4"])
      for (const [i, [id, operation]] of [["Q5", "delete"], ["Q6", "invoke"], ["Q7", "create"]].entries()) {
        assert.deepInclude(results[5 + i], { _tag: "OutcomeUnknownError", operation, objectId: id })
      }
      // each write reached the server once, on the first connection; each read twice
      for (const write of writes) assert.deepStrictEqual(seen.filter((s) => s.endsWith(write)), [`1:${write}`])
      assert.strictEqual(seen.filter((s) => s.startsWith("2:")).length, 5)
      assert.strictEqual(server.connections(), 2)
      assert.deepStrictEqual(states, ["connecting", "connected", "reconnecting", "connected"])
    }))
})

describe("DOIP v2.0: a call's own timeout closes the connection", () => {
  it.live("that call fails with a TimeoutError; an idempotent call in flight with it is made again and answered", () =>
    Effect.gen(function*() {
      // never answers Q-slow; the first connection answers only its first request
      const server = yield* scriptedServer((requests, answer, _close, connection) => {
        const request = requests.at(-1)!
        if (request["targetId"] === "Q-slow" || (connection === 1 && requests.length > 1)) return
        answer({ requestId: request["requestId"], status: "0.DOIP/Status.001", output: { ok: request["targetId"] } })
      })
      const client = yield* DoipClient.makeDoip2({
        host: "127.0.0.1",
        port: server.port,
        timeout: "400 millis",
        reconnect: { baseDelay: "10 millis" }
      })
      assert.isObject(yield* client.hello())
      const [slow, behind] = yield* Effect.all([
        Effect.flip(client.call({ operation: "retrieve", targetId: "Q-slow" })),
        Effect.andThen(Effect.sleep("150 millis"), client.call({ operation: "retrieve", targetId: "Q2" }))
      ], { concurrency: 2 })
      assert.strictEqual(slow._tag, "TimeoutError")
      assert.deepStrictEqual(behind.output, { ok: "Q2" })
      assert.strictEqual(server.connections(), 2)
    }))
})

describe("a server that is not there yet", () => {
  for (const protocol of ["binary", "doip2"] as const) {
    it.live(`${protocol}: a refused connection is tried again until the server listens, within the bounds`, () =>
      Effect.gen(function*() {
        const server = yield* restartableServer()
        yield* server.stop
        const make = (reconnect: Reconnect.ReconnectOptions) => {
          const options = { host: "127.0.0.1", timeout: "5 seconds", connectTimeout: "1 second", reconnect } as const
          return protocol === "binary"
            ? DoipClient.make({ ...options, port: server.binaryPort })
            : DoipClient.makeDoip2({ ...options, port: server.doip2Port })
        }
        // a short bound: it gives up, saying how often it tried
        const impatient = yield* make({ baseDelay: "20 millis", maxDelay: "20 millis", maxAttempts: 4 })
        const start = Date.now()
        const error = yield* Effect.flip(impatient.hello())
        assert.strictEqual(error._tag, "ConnectionError")
        assert.match(error.message, /ECONNREFUSED.*\(gave up after 4 attempts\)$/)
        assert.isAtLeast(Date.now() - start, 30)
        // a longer one: the server starts while it waits
        const patient = yield* make({ baseDelay: "50 millis", maxDelay: "100 millis", maxAttempts: 100, maxElapsed: "20 seconds" })
        const states = yield* recordStates(patient)
        const hello = yield* Effect.forkChild(patient.hello())
        yield* Effect.sleep("400 millis")
        assert.isUndefined(hello.pollUnsafe())
        assert.deepStrictEqual(states, ["connecting"])
        yield* server.start
        assert.isObject(yield* Fiber.join(hello))
        assert.deepStrictEqual(states, ["connecting", "connected"])
      }))
  }
})
