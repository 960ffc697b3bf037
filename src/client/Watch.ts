/**
 * Watching objects change (`DoipClient.watch`): the server's watch operation (`0.DOIP/Op.Watch`, DOIP v2.0 only) as
 * a `Stream` of `ChangeEvent`s that rides out dropped connections.
 *
 * - Each event's `version` is remembered. When the connection drops (or the server ends the watch, as it does when
 *   it stops), the stream connects again and asks for the events after that version (`since`): those made
 *   meanwhile come first, then live ones, so none is lost and none comes twice. Before the first event, it resumes
 *   from where the server said the watch started (the answer's `attributes.since`).
 * - Connecting again follows the client's reconnect policy (`Reconnect.ts`: `ClientOptions.reconnect`, or the
 *   watch's own): after a short pause, attempts that fail before the answer begins are made again with its back-off
 *   (by default 0.1 s doubling to 5 s, jittered; 10 attempts within 30 s), and the last error ends the stream; every
 *   answer that begins starts the count afresh. The first connection is not retried: a server that is not there,
 *   or refuses the watch, fails the stream at once.
 * - Errors the server answers (a `since` that is no version of the branch, a bad id) end the stream, as do TLS and
 *   protocol failures; `Unavailable` (its storage down) is ridden out like a dropped connection.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Random from "effect/Random"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { ChangeEvent } from "../protocol/ChangeEvent.ts"
import { DoipOperationId } from "../protocol/OperationCodes.ts"
import { type ClientError, InvalidRequestError, ProtocolError } from "./ClientError.ts"
import * as Reconnect from "./Reconnect.ts"
import type { ReconnectOptions } from "./Reconnect.ts"
import type { Transport } from "./Transport.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface WatchOptions {
  /** a version (an event's `version`) to resume after: the events since come first */
  readonly since?: string | undefined
  /**
   * How to ride out a dropped connection (`Reconnect.ts`'s back-off): by default the client's own `reconnect`
   * options; `false`: a dropped connection ends the stream with its error
   */
  readonly reconnect?: ReconnectOptions | false | undefined
}

/**
 * The events of the objects `ids` (every object when empty or absent) over `transport`; see the module's
 * description. With a transport that cannot carry a watch (the binary envelope) it fails at once with an
 * `InvalidRequestError` that says to use DOIP v2.0.
 *
 * @category constructors
 * @since 0.1.0
 */
export const watch = (
  transport: Transport,
  ids: ReadonlyArray<string> = [],
  options: WatchOptions = {}
): Stream.Stream<ChangeEvent, ClientError> => {
  const stream = transport.stream
  if (stream === undefined) {
    return Stream.fail(
      new InvalidRequestError({
        message: `watch needs DOIP v2.0 (UnsupportedOperation on the ${transport.protocol} protocol: its answers cannot ` +
          `stream without end); connect with DOIP v2.0 (DoipClient.layerDoip2, --protocol doip2)`
      })
    )
  }
  const reconnect = options.reconnect ?? transport.reconnect ?? {}
  return Stream.unwrap(Effect.gen(function*() {
    const queue = yield* Queue.bounded<ChangeEvent, ClientError | Cause.Done>(QUEUED)
    /** the version after which the next connection resumes */
    let cursor = options.since
    /** whether the current connection's answer has begun */
    let begun = false

    /** one connection: until it drops, fails, or the server ends the watch */
    const session = Effect.scoped(Effect.gen(function*() {
      begun = false
      const answer = yield* stream({
        operation: DoipOperationId.watch,
        attributes: { ...(ids.length === 0 ? {} : { ids }), ...(cursor === undefined ? {} : { since: cursor }) },
        authenticate: false
      })
      begun = true
      if (cursor === undefined && typeof answer.attributes["since"] === "string") cursor = answer.attributes["since"]
      yield* Stream.runForEach(answer.segments, (segment) =>
        Effect.flatMap(decodeEvent(segment), (event) => {
          cursor = event.version
          return Queue.offer(queue, event)
        }))
    }))

    const loop = Effect.gen(function*() {
      if (reconnect === false) return yield* session
      // connecting again after a drop: attempts that fail before the answer begins are made again with the client's
      // back-off, afresh after every drop
      const reconnecting = session.pipe(
        Effect.retry({ schedule: Reconnect.schedule(reconnect), while: (error) => !begun && transient(error) })
      )
      // the first connection is not retried: no server, or a refusal, is said at once
      yield* session.pipe(Effect.catchIf((error) => begun && transient(error), () => Effect.void))
      for (;;) {
        // a moment first, so that a server that ends every watch at once is not asked again and again
        yield* Effect.sleep(yield* pause(reconnect))
        yield* reconnecting.pipe(Effect.catchIf((error) => begun && transient(error), () => Effect.void))
      }
    })

    yield* loop.pipe(
      Effect.matchCauseEffect({
        onSuccess: () => Queue.end(queue),
        onFailure: (cause) => Queue.failCause(queue, cause)
      }),
      Effect.forkScoped
    )
    return Stream.fromQueue(queue)
  }))
}

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

/** events read ahead of the consumer: beyond, the connection is read no further (and the server waits) */
const QUEUED = 64

const decodeChangeEvent = Schema.decodeUnknownEffect(ChangeEvent)

const decodeEvent = (segment: Record<string, unknown>): Effect.Effect<ChangeEvent, ProtocolError> =>
  decodeChangeEvent(segment).pipe(
    Effect.mapError((error) => new ProtocolError({ message: `a watch's segment is no change event: ${error.message}` }))
  )

/** the failures a watch rides out: the connection, and a server whose storage is down for now */
const transient = (error: ClientError): boolean =>
  error._tag === "ConnectionError" || error._tag === "TimeoutError" ||
  (error._tag === "ServerError" && error.error === "Unavailable")

/** the wait before connecting again after a drop: the back-off's first, jittered */
const pause = (options: ReconnectOptions) =>
  Effect.map(Random.next, (r) =>
    Duration.millis(Duration.toMillis(Duration.fromInputUnsafe(options.baseDelay ?? Reconnect.defaults.baseDelay)) * (0.5 + r / 2)))
