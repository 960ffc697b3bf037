/**
 * Guessing a password over the wire, on each framing: after `maxFailures` wrong passwords the next attempts wait
 * longer and longer, then every attempt is refused unchecked (a correct one too) with `Unauthenticated` and a message
 * that says how long to wait, until the cool-down ends. Every connection of a test comes from 127.0.0.1, so the
 * "another address is not slowed" half is shown in `AuthThrottle.test.ts`. Each block runs a server of its own: the
 * counters are the server's, shared by its listeners.
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { DoipClient } from "../../src/client/DoipClient.ts"
import * as Transport from "../../src/client/Transport.ts"
import { bytes, connectTo, exchange, framing, text, u32, utf8 } from "../support/RawSocket.ts"
import { layerClient, layerClientDoip2, layerServer, token } from "../support/TestServer.ts"

/** back-off 100, 200, 400 ms after 3 failures, then 1.5 s refused: 6 guesses checked, 700 ms of waits */
const settings = {
  auth: {
    token,
    username: "admin",
    password: "right",
    invokeRequiresAuth: true,
    maxFailures: 3,
    backoffBaseMillis: 100,
    backoffMaxMillis: 400,
    lockoutSeconds: 1.5
  }
}
const CHECKED = 6
const BACKOFF_SUM = 700
/** a timer may fire a little early by the clock's rounding, never by much */
const SLACK = 5

const clients = {
  binary: (credentials: Transport.ClientOptions["credentials"]) => layerClient({ credentials }),
  doip2: (credentials: Transport.ClientOptions["credentials"]) => layerClientDoip2({ credentials })
}

interface Outcome {
  readonly accepted: boolean
  readonly message: string
  readonly millis: number
}

/** one delete of an object that does not exist: accepted (then NotFound) or refused as Unauthenticated */
const attempt = Effect.gen(function*() {
  const client = yield* DoipClient
  const started = performance.now()
  const error = yield* Effect.flip(client.delete("Q999"))
  const millis = performance.now() - started
  if (error._tag === "ServerError") {
    assert.strictEqual(error.error, "Unauthenticated", error.message)
    return { accepted: false, message: error.message, millis } satisfies Outcome
  }
  assert.strictEqual(error._tag, "NotFoundError", error.message)
  return { accepted: true, message: error.message, millis } satisfies Outcome
})

/** `n` attempts, one after the other, on one connection */
const attempts = (n: number) => Effect.forEach(Array.from({ length: n }), () => attempt)

for (const wire of ["binary", "doip2"] as const) {
  describe(`over ${wire}`, () => {
    const wrong = clients[wire]({ username: "admin", password: "wrong" })
    const right = clients[wire]({ username: "admin", password: "right" })

    layer(layerServer({ settings }), { excludeTestServices: true })("guessing", (it) => {
      it.effect("wrong passwords wait longer and longer, then even the right one is refused until the cool-down ends", () =>
        Effect.gen(function*() {
          const outcomes = yield* attempts(CHECKED).pipe(Effect.provide(wrong))
          assert.deepStrictEqual(outcomes.map((o) => o.accepted), Array(CHECKED).fill(false))
          assert.deepStrictEqual(outcomes.slice(0, 2).map((o) => o.message), Array(2).fill("the credentials were not accepted"))
          assert.match(outcomes[2]!.message, /not accepted; after repeated failures, wait 0\.1 s before trying again$/)
          assert.match(outcomes[5]!.message, /wait 1\.5 s before trying again$/)
          for (const [i, wait] of [[3, 100], [4, 200], [5, 400]] as const) {
            assert.isAtLeast(outcomes[i]!.millis, wait - SLACK, `attempt ${i + 1} waited ${outcomes[i]!.millis} ms`)
          }
          // locked out: the right password is refused unchecked, and at once
          const refused = yield* attempt.pipe(Effect.provide(right))
          assert.isFalse(refused.accepted)
          assert.match(refused.message, /^too many failed attempts for this address: refused unchecked, wait 1\.\d s before trying again$/)
          assert.isBelow(refused.millis, 100)
          // after the cool-down the right password works, and the failures are forgotten
          yield* Effect.sleep("1500 millis")
          assert.isTrue((yield* attempt.pipe(Effect.provide(right))).accepted)
          const fresh = yield* attempt.pipe(Effect.provide(wrong))
          assert.strictEqual(fresh.message, "the credentials were not accepted")
        }))
    })

    layer(layerServer({ settings }), { excludeTestServices: true })("50 guesses on one connection", (it) => {
      // before the throttle, all 50 were checked, in a few milliseconds
      it.effect("only the first few are checked, after waits adding up to the back-off; the rest are refused unchecked", () =>
        Effect.gen(function*() {
          const started = performance.now()
          const outcomes = yield* attempts(50).pipe(Effect.provide(wrong))
          const elapsed = performance.now() - started
          const checked = outcomes.filter((o) => o.message.startsWith("the credentials were not accepted"))
          const refused = outcomes.filter((o) => o.message.startsWith("too many failed attempts"))
          assert.strictEqual(checked.length, CHECKED)
          assert.strictEqual(refused.length, 50 - CHECKED)
          assert.isAtLeast(elapsed, BACKOFF_SUM - SLACK)
          for (const o of refused) assert.match(o.message, /wait \d+(\.\d)? s/)
        }))
    })
  })
}

// -----------------------------------------------------------------------------
// the upstream variant, written by hand (an invoke of a workflow that writes, with invokeRequiresAuth)
// -----------------------------------------------------------------------------

const END = Uint8Array.of(0x00, 0x00, 0x00, 0x00)
const segment = (body: string) => bytes(u32(utf8(body).length), utf8(body))

/** the first segment of the first whole message, parsed */
const answers = framing("an answer", (buffer: Uint8Array) => {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  let at = 0
  let first: Uint8Array | undefined
  for (;;) {
    if (buffer.length < at + 4) return undefined
    const length = view.getUint32(at, false)
    at += 4
    if (length === 0) return { length: at, first }
    if (buffer.length < at + length) return undefined
    first ??= buffer.slice(at, at + length)
    at += length
  }
}, ({ first }) => JSON.parse(text(first!)) as Record<string, string>)

const invoke = (password: string) =>
  bytes(
    segment(JSON.stringify({ operation: "invoke", objectId: "Q20", workflow: "fixity", username: "admin", password })),
    END
  )

layer(layerServer({ settings }), { excludeTestServices: true })("over the upstream variant", (it) => {
  it.effect("the same back-off, then the lock-out", () =>
    Effect.gen(function*() {
      const raw = yield* connectTo((address) => address.doip2Port, answers)
      const outcomes: Array<{ readonly answer: Record<string, string>; readonly millis: number }> = []
      for (let i = 0; i < CHECKED + 1; i++) {
        const started = performance.now()
        const answer = yield* exchange(raw, invoke(`wrong-${i}`))
        outcomes.push({ answer, millis: performance.now() - started })
      }
      for (const { answer } of outcomes) {
        assert.strictEqual(answer["status"], "error")
        assert.strictEqual(answer["error"], "Unauthenticated")
      }
      assert.strictEqual(outcomes[0]!.answer["message"], "the credentials were not accepted")
      assert.match(outcomes[3]!.answer["message"]!, /wait 0\.2 s/)
      assert.isAtLeast(outcomes[5]!.millis, 400 - SLACK)
      assert.match(outcomes[6]!.answer["message"]!, /^too many failed attempts for this address: refused unchecked, wait/)
      // the password is never echoed
      for (const { answer } of outcomes) assert.notInclude(answer["message"]!, "wrong-")
    }))
})

// the DOIP v2.0 and binary listeners of one server share the counters: a client cannot switch wires to start afresh
layer(layerServer({ settings }), { excludeTestServices: true })("across the listeners", (it) => {
  it.effect("failures on one wire count on the other", () =>
    Effect.gen(function*() {
      yield* attempts(3).pipe(Effect.provide(clients.binary({ username: "admin", password: "wrong" })))
      const next = yield* attempt.pipe(Effect.provide(clients.doip2({ username: "admin", password: "wrong" })))
      assert.isAtLeast(next.millis, 100 - SLACK)
      assert.match(next.message, /wait 0\.2 s/)
    }))
})
