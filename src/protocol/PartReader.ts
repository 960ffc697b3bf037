/**
 * A decoder's parts, one at a time, straight from a source of byte batches: what a request loop reads from.
 *
 * `decodeWith` (in `ByteQueue.ts`) runs a decoder as a `Channel`, which suits a stream of many consumers. A request
 * loop has one consumer that alternates between asking for the next part and reading a component's content, so it
 * drives the synchronous {@link Machine} itself: a part that is already buffered costs one function call, and the
 * source is pulled only when the machine says it needs input. Nothing here allocates per part beyond the part.
 *
 * @since 0.1.0
 */
import type * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type * as Pull from "effect/Pull"
import type * as Socket from "effect/socket/Socket"
import * as Stream from "effect/Stream"
import { type Machine, NeedInput, type Step } from "./ByteQueue.ts"

export {
  /**
   * What {@link PartReader.poll} answers when the next part is not buffered yet.
   *
   * @since 0.1.0
   */
  NeedInput
} from "./ByteQueue.ts"

/**
 * Where a reader's bytes come from: the next batch, or `undefined` once the peer has ended the input cleanly.
 *
 * @category models
 * @since 0.1.0
 */
export type Source<IE> = Effect.Effect<ReadonlyArray<Uint8Array> | undefined, IE>

/**
 * A {@link Source} from a socket's batches (a reader's `pull`, or `Socket.readerBytes`): the socket reports every
 * end as an error, and a clean close (code 1000) is the end of the input here; the decoder tells whether it came
 * between messages. Text frames, which byte sockets never yield, are encoded as UTF-8 when they are fed.
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromSocket = (
  bytes: Effect.Effect<Arr.NonEmptyReadonlyArray<Uint8Array | string>, Socket.SocketError>
): Source<Socket.SocketError> =>
  Effect.catchIf(
    bytes as Effect.Effect<ReadonlyArray<Uint8Array> | undefined, Socket.SocketError>,
    (error) => error.reason._tag === "SocketCloseError" && error.reason.code === 1000,
    () => Effect.undefined
  )

/**
 * @category models
 * @since 0.1.0
 */
export interface PartReader<P, E, IE> {
  /** the machine being driven; its `generation` names the part whose content {@link PartReader.content} reads */
  readonly machine: Machine<P, string, E>
  /** the next part, or `undefined` when the input ended cleanly between messages */
  readonly next: Effect.Effect<P | undefined, E | IE>
  /** the content of the part the machine is at now; it fails once the machine has moved past that part */
  readonly content: () => Stream.Stream<Uint8Array, E | IE>
  /**
   * The next part if it is buffered, {@link NeedInput} if not (then `fill` and ask again), `undefined` at a clean
   * end. Throws the machine's typed errors: for a caller that assembles a request synchronously as long as it can.
   */
  readonly poll: () => Step<P>
  /** pulls one batch from the source into the machine */
  readonly fill: Effect.Effect<void, IE>
  /** hands the machine a batch read elsewhere (`undefined`: the input ended cleanly) */
  readonly feed: (chunks: ReadonlyArray<Uint8Array> | undefined) => void
}

/**
 * Drives `machine` from `source`. `isError` tells the machine's typed errors from defects.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <P, E, IE>(
  machine: Machine<P, string, E>,
  isError: (u: unknown) => u is E,
  source: Source<IE>
): PartReader<P, E, IE> => {
  const feed = (chunks: ReadonlyArray<Uint8Array> | undefined) => {
    if (chunks === undefined) machine.ended = true
    else {
      for (let i = 0; i < chunks.length; i++) {
        const chunk: Uint8Array | string = chunks[i]!
        machine.queue.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk)
      }
    }
  }
  const step = <A>(run: () => Step<A>): Effect.Effect<A | undefined, E | IE> => {
    const loop = (): Effect.Effect<A | undefined, E | IE> => {
      let result: Step<A>
      try {
        result = run()
      } catch (error) {
        return isError(error) ? Effect.fail(error) : Effect.die(error)
      }
      return result === NeedInput ? Effect.flatMap(source, (chunks) => (feed(chunks), loop())) : Effect.succeed(result)
    }
    return Effect.suspend(loop)
  }
  const next = step(() => machine.next())
  const content = () => {
    const generation = machine.generation
    const pull: Pull.Pull<Arr.NonEmptyReadonlyArray<Uint8Array>, E | IE> = Effect.flatMap(
      step(() => machine.read(generation)),
      (chunks) => chunks === undefined ? Cause.done() : Effect.succeed(chunks)
    )
    return Stream.fromPull(Effect.succeed(pull))
  }
  const fill = Effect.map(source, feed)
  return { machine, next, content, poll: () => machine.next(), fill, feed }
}
