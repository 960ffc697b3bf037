/**
 * Watching objects change (`DoipClient.watch`): the server's watch operation (`0.DOIP/Op.Watch`, DOIP v2.0 only) as
 * a `Stream` of `ChangeEvent`s that rides out dropped connections.
 *
 * - Each event's `version` is remembered. When the connection drops (or the server ends the watch, as it does when
 *   it stops), the stream connects again and asks for the events after that version (`since`): those made
 *   meanwhile come first, then live ones, so none is lost and none comes twice. Before the first event, it resumes
 *   from where the server said the watch started (the answer's `attributes.since`).
 * - Connecting again waits 0.1 s, then twice as long each time up to 5 s (each wait scaled by a random factor
 *   between 0.5 and 1), and gives up after 10 attempts or 30 s of trying, with the last error; every answer that
 *   begins starts the count afresh. The first connection is not retried: a server that is not there, or refuses
 *   the watch, fails the stream at once.
 * - Errors the server answers (a `since` that is no version of the branch, a bad id) end the stream, as do TLS and
 *   protocol failures; `Unavailable` (its storage down) is ridden out like a dropped connection.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Random from "effect/Random"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { ChangeEvent } from "../protocol/ChangeEvent.ts"
import { DoipOperationId } from "../protocol/OperationCodes.ts"
import { type ClientError, InvalidRequestError, ProtocolError } from "./ClientError.ts"
import type { Transport } from "./Transport.ts"

/**
 * How a watch rides out a dropped connection: the waits between attempts to connect again, and when to give up.
 *
 * @category models
 * @since 0.1.0
 */
export interface WatchReconnect {
  /** the wait before the first attempt (default 100 ms) */
  readonly baseDelay?: Duration.Input | undefined
  /** the longest wait between two attempts (default 5 s) */
  readonly maxDelay?: Duration.Input | undefined
  /** attempts after one drop before giving up (default 10) */
  readonly maxAttempts?: number | undefined
  /** how long after a drop attempts go on (default 30 s) */
  readonly maxElapsed?: Duration.Input | undefined
}

/**
 * @category models
 * @since 0.1.0
 */
export interface WatchOptions {
  /** a version (an event's `version`) to resume after: the events since come first */
  readonly since?: string | undefined
  /** `false`: a dropped connection ends the stream with its error */
  readonly reconnect?: WatchReconnect | false | undefined
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
  const reconnect = options.reconnect === false ? undefined : options.reconnect ?? {}
  return Stream.unwrap(Effect.gen(function*() {
    const queue = yield* Queue.bounded<ChangeEvent, ClientError | Cause.Done>(QUEUED)
    /** the version after which the next connection resumes */
    let cursor = options.since
    /** whether an answer has begun on some connection: only then is a drop ridden out */
    let begun = false

    /** one connection: until it drops, fails, or the server ends the watch */
    const session = Effect.scoped(Effect.gen(function*() {
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
      let attempt = 0
      let since = 0
      for (;;) {
        const startedBefore = begun
        const exit = yield* Effect.exit(session)
        // an answer that began since the last drop starts the count afresh
        if (begun && !startedBefore) attempt = 0
        const error = exit._tag === "Failure" ? Cause.findErrorOption(exit.cause) : undefined
        if (exit._tag === "Failure" && (error === undefined || error._tag === "None")) return yield* Effect.failCause(exit.cause as Cause.Cause<never>)
        const failure = error?._tag === "Some" ? error.value : undefined
        if (reconnect === undefined || !begun || (failure !== undefined && !transient(failure))) {
          return yield* (failure === undefined ? Effect.void : Effect.fail(failure))
        }
        const now = yield* Clock.currentTimeMillis
        if (attempt === 0) since = now
        attempt++
        if (attempt > (reconnect.maxAttempts ?? 10) || now - since > Duration.toMillis(Duration.fromInputUnsafe(reconnect.maxElapsed ?? "30 seconds"))) {
          return yield* (failure === undefined ? Effect.void : Effect.fail(failure))
        }
        yield* Effect.sleep(yield* delay(reconnect, attempt))
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

/** the wait before attempt `attempt` (1, 2, ...) */
const delay = (options: WatchReconnect, attempt: number) =>
  Effect.map(Random.next, (r) => {
    const base = Duration.toMillis(Duration.fromInputUnsafe(options.baseDelay ?? "100 millis"))
    const max = Duration.toMillis(Duration.fromInputUnsafe(options.maxDelay ?? "5 seconds"))
    return Duration.millis(Math.min(base * 2 ** (attempt - 1), max) * (0.5 + r / 2))
  })
