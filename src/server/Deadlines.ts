/**
 * A connection's deadlines: how long the client may keep the server waiting.
 *
 * The request loop tells a connection's {@link Progress} around every read from the socket and every write of
 * content, so a connection is seen to wait wherever it stopped: between messages, inside a header, a segment, a
 * component, or with an answer its client no longer reads. {@link enforce} then ends the loop when
 *
 * - a read or write has been pending for `limits.idleTimeoutSeconds`, or
 * - a message trickles in: it must arrive within `limits.messageTimeoutSeconds` plus its bytes at
 *   `limits.minBytesPerSecond` (a client that sends a byte now and then is never idle, but never done either).
 *
 * A handler at work (a workflow, a slow backend) is the server's time, not the client's, and counts for neither.
 *
 * @since 0.1.0
 */
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { Settings } from "../layers/config/ServerConfig.ts"

/**
 * Where a connection stands. Plain fields, set on the request loop's path: a read costs two assignments and a clock
 * read more, not an effect.
 *
 * @category models
 * @since 0.1.0
 */
export interface Progress {
  /** `READING` while a read from the socket is pending, `WRITING` while content waits to be written, else `NOTHING` */
  waiting: number
  /** when the pending read or write started, in ms */
  since: number
  /** whether a message's first bytes have arrived (and it is not read to its end yet) */
  inMessage: boolean
  /** the bytes read since then */
  messageBytes: number
  /** how long reads of the message have waited for the client, in ms (a handler's own time is not the client's) */
  messageWaited: number
}

/**
 * A new connection's progress: waiting for its first bytes since now.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (clock: Clock.Clock): Progress => ({
  waiting: READING,
  since: clock.currentTimeMillisUnsafe(),
  inMessage: false,
  messageBytes: 0,
  messageWaited: 0
})

/**
 * The message being read was read to its end: the next one's deadline starts with its first bytes.
 *
 * @category mutations
 * @since 0.1.0
 */
export const messageDone = (progress: Progress): void => {
  progress.inMessage = false
  progress.messageBytes = 0
  progress.messageWaited = 0
}

/**
 * The socket's reads, told to `progress`.
 *
 * @category combinators
 * @since 0.1.0
 */
export const watchRead = <E>(
  read: Effect.Effect<ReadonlyArray<Uint8Array> | undefined, E>,
  progress: Progress,
  clock: Clock.Clock
): Effect.Effect<ReadonlyArray<Uint8Array> | undefined, E> => {
  const arrived = (batch: ReadonlyArray<Uint8Array> | undefined) => {
    progress.waiting = NOTHING
    if (batch !== undefined) {
      // a message's first bytes end a wait between messages, which is not the message's: only later reads add
      // their waits (and only they read the clock, which a small request then never does on arrival)
      if (!progress.inMessage) progress.inMessage = true
      else progress.messageWaited += clock.currentTimeMillisUnsafe() - progress.since
      for (let i = 0; i < batch.length; i++) progress.messageBytes += batch[i]!.length
    }
    return batch
  }
  return Effect.suspend(() => {
    progress.waiting = READING
    progress.since = clock.currentTimeMillisUnsafe()
    return Effect.map(read, arrived)
  })
}

/**
 * A write, told to `progress`: a client that stops reading is waited for as one that stops sending. What the
 * connection waited for before (a read that flushes the answers first) is waited for again after the write, counted
 * from the write's start (a write that goes at once, as nearly all do, costs no second clock read); a failed write
 * ends the connection, so only success restores it.
 *
 * @category combinators
 * @since 0.1.0
 */
export const watchWrite = <E>(write: Effect.Effect<void, E>, progress: Progress, clock: Clock.Clock): Effect.Effect<void, E> =>
  Effect.suspend(() => {
    const before = progress.waiting
    progress.waiting = WRITING
    progress.since = clock.currentTimeMillisUnsafe()
    return Effect.map(write, () => {
      progress.waiting = before
    })
  })

/**
 * Completes (with a debug log line saying why) when the connection has kept the server waiting too long; raced
 * against the request loop, which it then ends. It sleeps until the next deadline, not on a fixed tick, so an idle
 * connection costs one timer.
 *
 * @category constructors
 * @since 0.1.0
 */
export const enforce = (progress: Progress, limits: Settings["limits"], clock: Clock.Clock): Effect.Effect<void> => {
  const idleMillis = limits.idleTimeoutSeconds * 1000
  const messageMillis = limits.messageTimeoutSeconds * 1000
  const bytesPerMilli = limits.minBytesPerSecond / 1000
  // a handler at work is checked on again this often: its connection may be back to reading long before the idle
  // timeout, with its message's deadline due
  const busyMillis = Math.min(idleMillis, messageMillis)
  return Effect.suspend(function check(): Effect.Effect<void> {
    const now = clock.currentTimeMillisUnsafe()
    if (progress.waiting === NOTHING) return Effect.flatMap(Effect.sleep(busyMillis), check)
    const idleAt = progress.since + idleMillis
    if (now >= idleAt) {
      return Effect.logDebug(`idle timeout ${progress.waiting === READING ? "reading" : "writing"}, closing the connection`)
    }
    let wakeAt = idleAt
    // only the client's sending is its message's time: an answer it reads slowly is bounded by the idle timeout
    if (progress.waiting === READING && progress.inMessage) {
      // the message's allowance is spent by the time its reads waited, not by the handler's time between them
      const messageAt = progress.since - progress.messageWaited + messageMillis + progress.messageBytes / bytesPerMilli
      if (now >= messageAt) {
        return Effect.logDebug(`a message arrived too slowly (${progress.messageBytes} bytes), closing the connection`)
      }
      wakeAt = Math.min(wakeAt, messageAt)
    }
    return Effect.flatMap(Effect.sleep(wakeAt - now), check)
  })
}

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

/** what a connection waits for: nothing from the client (a handler is at work), its bytes, or its reading */
const NOTHING = 0
const READING = 1
const WRITING = 2
