/**
 * One element at a time from a pull of batches, `undefined` once it is done: what a request/response loop wants from
 * a decoder's output (the decoders emit one part per batch, but nothing in `Pull` promises that).
 *
 * @since 0.1.0
 */
import type * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Pull from "effect/Pull"

/**
 * @since 0.1.0
 */
export const pullOne = <A, E>(pull: Pull.Pull<Arr.NonEmptyReadonlyArray<A>, E>): Effect.Effect<A | undefined, E> => {
  let pending: Array<A> = []
  return Effect.suspend(() => {
    const buffered = pending.shift()
    if (buffered !== undefined) return Effect.succeed<A | undefined>(buffered)
    return pull.pipe(
      Effect.map((batch): A | undefined => {
        pending = batch.slice(1)
        return batch[0]
      }),
      Pull.catchDone(() => Effect.succeed(undefined))
    )
  })
}
