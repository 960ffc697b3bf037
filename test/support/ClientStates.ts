/**
 * A client's `connectionState`, recorded as it changes, for tests.
 */
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type * as DoipClient from "../../src/client/DoipClient.ts"

/** the states so far, from the state when recording began; returns once that first state was recorded */
export const recordStates = (client: DoipClient.DoipClient["Service"]) =>
  Effect.gen(function*() {
    const states: Array<DoipClient.ConnectionState> = []
    const first = yield* Deferred.make<void>()
    yield* Effect.forkChild(Stream.runForEach(client.connectionState, (state) =>
      Effect.sync(() => {
        states.push(state)
        Deferred.doneUnsafe(first, Effect.void)
      })))
    yield* Deferred.await(first)
    return states
  })

/** waits (polling, up to `within`) until the last recorded state is `state` */
export const awaitState = (states: ReadonlyArray<DoipClient.ConnectionState>, state: DoipClient.ConnectionState, within: Duration.Input = "5 seconds") =>
  Effect.suspend(() => (states.at(-1) === state ? Effect.void : Effect.fail(`still ${states.at(-1)}`))).pipe(
    Effect.retry({ schedule: Schedule.spaced("5 millis") }),
    Effect.timeoutOrElse({ duration: within, orElse: () => Effect.die(new Error(`no ${state} within ${within}: ${states}`)) })
  )
