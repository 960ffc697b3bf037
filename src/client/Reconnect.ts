/**
 * How a client keeps talking to a server that goes away: the reconnect policy both transports follow.
 *
 * - **Reconnecting.** A client holds one connection, opened by the first call. When it breaks (the server closed or
 *   reset it, a call on it timed out, an answer was given up half-way), the next call opens a new one. Opening that
 *   fails because nobody is there (refused, reset, no answer within `connectTimeout`) is tried again after a
 *   jittered, exponentially growing wait ({@link schedule}), within the bounds of {@link ReconnectOptions}; a TLS
 *   failure is never retried.
 * - **Retrying.** A call whose connection broke is made again on the next connection, within the same bounds, when
 *   that cannot change anything twice: always when no byte of its request was sent, and otherwise only for the
 *   idempotent operations ({@link isIdempotent}: hello, list operations, retrieve, search, describe, versions,
 *   purge). A write (create, update, delete, invoke, any other operation) whose request was sent, or partly sent,
 *   fails with `OutcomeUnknownError` instead: the server may have applied it. An element being streamed is fetched
 *   again only while none of its bytes has reached the caller. A timeout, an error answer, broken framing or a
 *   failure of the caller's own upload is never retried. Until the server has answered a client once, a connection
 *   it closes without answering is not retried either: that is what a TLS-only server does to a plaintext client.
 * - **State.** {@link ConnectionState}: `connecting` until the first connection is open, `connected`, `reconnecting`
 *   from the moment that connection is lost until the next one is open (the next call opens it: nothing reconnects
 *   while no call is made), `closed` once the client's scope closed.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { type ClientError, ConnectionError, OutcomeUnknownError, TimeoutError } from "./ClientError.ts"
import { operationName } from "./internal/requests.ts"
import type { RetrievedComponent } from "./Transport.ts"

/**
 * @category models
 * @since 0.1.0
 */
export type ConnectionState = "connecting" | "connected" | "reconnecting" | "closed"

/**
 * The bounds of reconnecting. The wait before retry `n` (1, 2, ...) is `baseDelay * 2^(n-1)`, at most `maxDelay`,
 * then scaled by a random factor between 0.5 and 1 (so that clients cut off together do not come back together).
 * A call gives up when it has made `maxAttempts` attempts, or when `maxElapsed` has passed since its first failure,
 * whichever comes first, with the last error.
 *
 * @category models
 * @since 0.1.0
 */
export interface ReconnectOptions {
  /** the wait before the first retry (default 100 ms) */
  readonly baseDelay?: Duration.Input | undefined
  /** the longest wait between two attempts (default 5 s) */
  readonly maxDelay?: Duration.Input | undefined
  /** attempts of one call, the first included (default 10) */
  readonly maxAttempts?: number | undefined
  /** how long after its first failure a call may still be retried (default 30 s) */
  readonly maxElapsed?: Duration.Input | undefined
}

/**
 * With these a call rides out a server that is gone for about 20 seconds (10 attempts: waits of 0.1, 0.2, 0.4, 0.8,
 * 1.6, 3.2, then 5 seconds, each jittered down by up to half).
 *
 * @category constants
 * @since 0.1.0
 */
export const defaults = {
  baseDelay: "100 millis",
  maxDelay: "5 seconds",
  maxAttempts: 10,
  maxElapsed: "30 seconds"
} as const satisfies ReconnectOptions

/**
 * The waits between the attempts of one call, bounded as `options` ask. Its random factor comes from Effect's
 * `Random`, so a seeded `Random` repeats it.
 *
 * @category constructors
 * @since 0.1.0
 */
export const schedule = (options: ReconnectOptions = {}): Schedule.Schedule<Duration.Duration> => {
  const maxDelay = Duration.toMillis(Duration.fromInputUnsafe(options.maxDelay ?? defaults.maxDelay))
  const maxAttempts = attemptsOf(options)
  return Schedule.exponential(options.baseDelay ?? defaults.baseDelay).pipe(
    Schedule.modifyDelay(({ duration }) =>
      Effect.map(Random.next, (r) => Duration.millis(Math.min(Duration.toMillis(duration), maxDelay) * (0.5 + r / 2)))
    ),
    Schedule.upTo({ times: maxAttempts - 1, duration: options.maxElapsed ?? defaults.maxElapsed })
  )
}

/**
 * Whether making the operation twice means the same as making it once: hello, list operations, retrieve, search,
 * describe, versions and purge, by name, DOIP v2.0 id or binary code. Anything else (writes, workflows, extensions)
 * counts as a write.
 *
 * @category predicates
 * @since 0.1.0
 */
export const isIdempotent = (operation: string | number): boolean => idempotent.has(operationName(operation) ?? "")

/**
 * How far one attempt of a call got, as its transport reports it: whether it had a connection (an attempt that
 * failed before is a failed open), and whether any byte of its request went to the socket.
 *
 * @category models
 * @since 0.1.0
 */
export interface Attempt {
  connected: boolean
  sent: boolean
}

/**
 * What a transport's calls retry by: the schedule (`undefined`: no retries), and whether the server has ever
 * answered this client.
 *
 * @category models
 * @since 0.1.0
 */
export interface Policy {
  readonly schedule: Schedule.Schedule<Duration.Duration> | undefined
  /** attempts of one call, the first included (1 without retries) */
  readonly maxAttempts: number
  readonly answered: () => boolean
}

/**
 * @category constructors
 * @since 0.1.0
 */
export const policy = (options: ReconnectOptions | false | undefined, answered: () => boolean): Policy => ({
  schedule: options === false ? undefined : schedule(options),
  maxAttempts: options === false ? 1 : attemptsOf(options),
  answered
})

/**
 * What a call is, for deciding whether to retry it and for naming it in an `OutcomeUnknownError`.
 *
 * @category models
 * @since 0.1.0
 */
export interface CallInfo {
  readonly operation: string | number
  readonly objectId: string | undefined
}

/**
 * Runs `attempt` (given a fresh {@link Attempt} each time) and makes it again while the policy allows: see the
 * module's description. A write that broke after it was sent fails with `OutcomeUnknownError`; a call that runs out
 * of attempts fails with its last error, which says how many attempts were made.
 *
 * @category combinators
 * @since 0.1.0
 */
export const retrying = <A, E, R>(
  policy: Policy,
  call: CallInfo,
  attempt: (progress: Attempt) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | OutcomeUnknownError, R> =>
  Effect.suspend(() => {
    const idempotent = isIdempotent(call.operation)
    let progress: Attempt = { connected: false, sent: false }
    let attempts = 0
    const once = Effect.suspend(() => {
      progress = { connected: false, sent: false }
      attempts++
      return attempt(progress)
    })
    // an open that failed, or a request not sent, is made again; a request sent only when it is idempotent, and only
    // to a server that answered before (one that closes every connection unanswered is no server to wait for)
    const retryable = (error: E) =>
      lost(error, progress) && (!progress.connected || !progress.sent || (idempotent && policy.answered()))
    const run = policy.schedule === undefined ? once : Effect.retry(once, { schedule: policy.schedule, while: retryable })
    return Effect.mapError(run, (error): E | OutcomeUnknownError => {
      if (!lost(error, progress)) return error
      if (progress.connected && progress.sent && !idempotent) {
        const name = String(operationName(call.operation) ?? call.operation)
        return new OutcomeUnknownError({
          operation: name,
          objectId: call.objectId,
          message: `the connection broke after the ${name}${call.objectId === undefined ? "" : ` of ${call.objectId}`} ` +
            `was sent, so it may or may not have been applied (${error.message}); it was not sent again`
        })
      }
      if (attempts === 1) return error
      const message = `${error.message} (gave up after ${attempts} attempts)`
      return (error._tag === "TimeoutError" ? new TimeoutError({ message }) : new ConnectionError({ message })) as E
    })
  })

/**
 * A retrieve of an element, {@link retrying} `attempt` until its answer reaches the element's bytes; the content is
 * fetched again (the same way) when its connection breaks before the first byte reached the caller, at most
 * `maxAttempts - 1` times. Bytes that reached the caller are never fetched again: a break after them fails the
 * content with the `ConnectionError`. So does an element whose size or media type changed in between.
 *
 * @category combinators
 * @since 0.1.0
 */
export const retryingElement = (
  policy: Policy,
  objectId: string,
  attempt: (progress: Attempt) => Effect.Effect<RetrievedComponent, ClientError, Scope.Scope>
): Effect.Effect<RetrievedComponent, ClientError, Scope.Scope> => {
  const once = retrying(policy, { operation: "retrieve", objectId }, attempt)
  return Effect.map(once, (first) => resumable(first, once, policy.maxAttempts - 1))
}

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const attemptsOf = (options: ReconnectOptions | undefined) =>
  Math.max(1, Math.floor(options?.maxAttempts ?? defaults.maxAttempts))

const idempotent = new Set(["hello", "list_ops", "retrieve", "search", "describe", "versions", "purge"])

/** a broken or refused connection, or an open that timed out */
const lost = (error: unknown, progress: Attempt): error is ConnectionError | TimeoutError =>
  typeof error === "object" && error !== null && "_tag" in error &&
  (error._tag === "ConnectionError" || (error._tag === "TimeoutError" && !progress.connected))

/** `first`, its content fetched again by `again` while no byte of it was handed on, at most `retries` times */
const resumable = (
  first: RetrievedComponent,
  again: Effect.Effect<RetrievedComponent, ClientError, Scope.Scope>,
  retries: number
): RetrievedComponent => {
  const from = (component: RetrievedComponent, left: number): Stream.Stream<Uint8Array, ClientError> => {
    let handed = false
    return component.content.pipe(
      Stream.mapArray((chunks) => {
        handed = true
        return chunks
      }),
      Stream.catchIf(
        (error) => !handed && left > 0 && error._tag === "ConnectionError",
        (error) =>
          Stream.unwrap(Effect.map(again, (next) =>
            next.size === component.size && next.mediaType === component.mediaType
              ? from(next, left - 1)
              : Stream.fail(error)))
      )
    )
  }
  return { ...first, content: from(first, retries) }
}
