import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as SharedRuns from "../../../src/layers/workflows/SharedRuns.ts"

describe("SharedRuns", () => {
  it.live("callers asking for one key while it runs share one run; a later call runs again", () =>
    Effect.gen(function*() {
      const runs = yield* SharedRuns.make<string, never>({ maxConcurrent: 2, timeout: "10 seconds" })
      let started = 0
      const gate = yield* Deferred.make<void>()
      const work = Effect.sync(() => ++started).pipe(Effect.andThen(Deferred.await(gate)), Effect.as("result"))
      const callers = yield* Effect.forkChild(Effect.all(Array.from({ length: 5 }, () => runs.run("Q1/a.pdf", work)), {
        concurrency: "unbounded"
      }))
      yield* Effect.sleep("20 millis")
      assert.strictEqual(yield* runs.active, 1)
      yield* Deferred.succeed(gate, undefined)
      assert.deepStrictEqual(yield* Fiber.join(callers), ["result", "result", "result", "result", "result"])
      assert.strictEqual(started, 1)
      yield* runs.run("Q1/a.pdf", work)
      assert.strictEqual(started, 2)
      assert.strictEqual(yield* runs.active, 0)
    }).pipe(Effect.scoped))

  it.live("runs of different keys are bounded by maxConcurrent; the rest queue", () =>
    Effect.gen(function*() {
      const runs = yield* SharedRuns.make<number, never>({ maxConcurrent: 2, timeout: "10 seconds" })
      let now = 0
      let peak = 0
      const work = (i: number) =>
        Effect.sync(() => (peak = Math.max(peak, ++now))).pipe(
          Effect.andThen(Effect.sleep("15 millis")),
          Effect.andThen(Effect.sync(() => now--)),
          Effect.as(i)
        )
      const results = yield* Effect.all(Array.from({ length: 6 }, (_, i) => runs.run(`Q${i}`, work(i))), {
        concurrency: "unbounded"
      })
      assert.deepStrictEqual(results, [0, 1, 2, 3, 4, 5])
      assert.strictEqual(peak, 2)
    }).pipe(Effect.scoped))

  it.live("a run goes on when its first caller goes away, and the others get its outcome", () =>
    Effect.gen(function*() {
      const runs = yield* SharedRuns.make<string, never>({ maxConcurrent: 1, timeout: "10 seconds" })
      let finished = false
      const work = Effect.sleep("50 millis").pipe(Effect.andThen(Effect.sync(() => (finished = true))), Effect.as("stored"))
      const first = yield* Effect.forkChild(runs.run("Q1", work))
      yield* Effect.sleep("5 millis")
      const second = yield* Effect.forkChild(runs.run("Q1", work))
      yield* Fiber.interrupt(first)
      assert.strictEqual(yield* Fiber.join(second), "stored")
      assert.isTrue(finished)
    }).pipe(Effect.scoped))

  it.live("a run past its time limit fails every caller with RunTimeout, and failures are not kept", () =>
    Effect.gen(function*() {
      const runs = yield* SharedRuns.make<string, string>({ maxConcurrent: 1, timeout: "30 millis" })
      const error = yield* Effect.flip(runs.run("Q1", Effect.never))
      assert.instanceOf(error, SharedRuns.RunTimeout)
      assert.include((error as SharedRuns.RunTimeout).message, "Q1 did not finish within")
      const failed = yield* Effect.flip(runs.run("Q1", Effect.fail("broken")))
      assert.strictEqual(failed, "broken")
      assert.strictEqual(yield* runs.run("Q1", Effect.succeed("fine")), "fine")
    }).pipe(Effect.scoped))

  it.live("runs of one group take turns, runs of other groups go on meanwhile", () =>
    Effect.gen(function*() {
      const runs = yield* SharedRuns.make<string, never>({ maxConcurrent: 4, timeout: "10 seconds" })
      const log: Array<string> = []
      const work = (key: string) =>
        Effect.sync(() => log.push(`start ${key}`)).pipe(
          Effect.andThen(Effect.sleep("20 millis")),
          Effect.andThen(Effect.sync(() => log.push(`end ${key}`))),
          Effect.as(key)
        )
      yield* Effect.all([
        runs.run("Q1/a.pdf?pages=1", work("Q1/a.pdf?pages=1"), "Q1/a.pdf"),
        runs.run("Q1/a.pdf?pages=2", work("Q1/a.pdf?pages=2"), "Q1/a.pdf"),
        runs.run("Q2/b.pdf?pages=1", work("Q2/b.pdf?pages=1"), "Q2/b.pdf")
      ], { concurrency: "unbounded" })
      // Q2 started before Q1's first run ended; Q1's second run started only after its first ended
      assert.isBelow(log.indexOf("start Q2/b.pdf?pages=1"), log.indexOf("end Q1/a.pdf?pages=1"))
      assert.isBelow(log.indexOf("end Q1/a.pdf?pages=1"), log.indexOf("start Q1/a.pdf?pages=2"))
    }).pipe(Effect.scoped))
})
