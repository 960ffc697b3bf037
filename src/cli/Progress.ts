/**
 * A progress line for long transfers on a terminal: bytes done of the total, the rate, and the time left, redrawn
 * in place with `\r`, then a final line. The bytes are counted as they pass through the content stream (a tap on
 * each chunk), so the line shows what actually moved, not what was meant to; time comes from `Clock`.
 *
 * Only transfers over 1 MB get a line (from the start when the size is known, else once 1 MB has passed): a short
 * transfer ends before anyone could read one. Nothing is drawn unless stderr is a terminal: in a log file or a pipe
 * every redraw would be a line of its own.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"

/**
 * Where the line is drawn: a terminal's `write`, and its width (read at each redraw: terminals are resized).
 *
 * @category models
 * @since 0.1.0
 */
export interface Display {
  readonly write: (text: string) => void
  readonly columns: () => number | undefined
}

/**
 * The display in use; `undefined` draws nothing (`--quiet` provides that). By default stderr when it is a terminal,
 * else nothing.
 *
 * @category services
 * @since 0.1.0
 */
export const Display = Context.Reference<Display | undefined>("effect-doip/cli/Progress/Display", {
  defaultValue: () =>
    process.stderr.isTTY
      ? { write: (text) => process.stderr.write(text), columns: () => process.stderr.columns }
      : undefined
})

/**
 * What a transfer counts its bytes with.
 *
 * @category models
 * @since 0.1.0
 */
export interface Meter {
  /** `content` as it is, its bytes counted (and the line redrawn) as they pass */
  readonly count: <E, R>(content: Stream.Stream<Uint8Array, E, R>) => Stream.Stream<Uint8Array, E, R>
  /** the bytes counted so far, by every stream this meter counted */
  readonly bytes: Effect.Effect<number>
}

/**
 * Runs `use` with a meter for a transfer of `total` bytes (`undefined` when the size was not announced). When `use`
 * succeeds a line that was shown is finished with the totals; when it fails it is cleared, so that the error stands
 * on a line of its own.
 *
 * @category constructors
 * @since 0.1.0
 */
export const transfer = <A, E, R>(
  label: string,
  total: number | undefined,
  use: (meter: Meter) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.acquireUseRelease(
    Effect.gen(function*() {
      return { display: yield* Display, line: new Line(label, total, yield* Clock.currentTimeMillis) }
    }),
    ({ display, line }) =>
      use({
        // without a display the bytes are still counted (callers report them), but the clock is not read per chunk
        count: (content) =>
          display === undefined
            ? Stream.tap(content, (chunk) => Effect.sync(() => line.add(chunk.length)))
            : Stream.tap(content, (chunk) =>
              Effect.flatMap(Clock.currentTimeMillis, (now) => draw(display, line.next(chunk.length, now, display.columns())))),
        bytes: Effect.sync(() => line.done)
      }),
    ({ display, line }, exit) =>
      display === undefined
        ? Effect.void
        : Effect.flatMap(Clock.currentTimeMillis, (now) =>
          draw(display, line.end(now, Exit.isSuccess(exit), display.columns())))
  )

/**
 * Transfers over this many bytes get a line.
 *
 * @since 0.1.0
 */
export const THRESHOLD = 1_000_000

/**
 * At most one redraw in this many milliseconds: ten a second reads as smooth, and a fast transfer (thousands of
 * chunks a second) spends no time on drawing.
 *
 * @since 0.1.0
 */
export const REDRAW_MILLIS = 100

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const draw = (display: Display, text: string | undefined) =>
  text === undefined ? Effect.void : Effect.sync(() => display.write(text))

/** `\r` then this erases the line: a shorter redraw leaves nothing of the longer one before it */
const CLEAR_LINE = "\x1b[K"

/** The state of one transfer's line; no effects here, the caller draws what it returns. */
class Line {
  done = 0
  private shown = false
  private drawnAt = Number.NEGATIVE_INFINITY
  private readonly label: string
  private readonly total: number | undefined
  private readonly start: number

  constructor(label: string, total: number | undefined, start: number) {
    this.label = label
    this.total = total
    this.start = start
  }

  add(bytes: number): void {
    this.done += bytes
  }

  /** counts `bytes` arrived at `now`; the redraw, when one is due */
  next(bytes: number, now: number, columns: number | undefined): string | undefined {
    this.done += bytes
    if ((this.total ?? this.done) <= THRESHOLD || now - this.drawnAt < REDRAW_MILLIS) return undefined
    this.drawnAt = now
    this.shown = true
    return `\r${this.render(now, columns)}${CLEAR_LINE}`
  }

  /** the final line after a success, a cleared line after a failure; nothing when no line was shown */
  end(now: number, success: boolean, columns: number | undefined): string | undefined {
    if (!this.shown) return undefined
    if (!success) return `\r${CLEAR_LINE}`
    const seconds = (now - this.start) / 1000
    const rate = seconds > 0 ? `, ${formatBytes(this.done / seconds)}/s` : ""
    return `\r${fit(this.label, `  ${formatBytes(this.done)} in ${formatDuration(seconds)}${rate}`, columns)}${CLEAR_LINE}\n`
  }

  private render(now: number, columns: number | undefined): string {
    const seconds = (now - this.start) / 1000
    // the average since the start: steadier than the last interval's, and right soon enough for a long transfer
    const rate = seconds > 0 ? this.done / seconds : undefined
    const rateText = rate === undefined ? "-- B/s" : `${formatBytes(rate)}/s`
    if (this.total === undefined) return fit(this.label, `  ${formatBytes(this.done)}  ${rateText}`, columns)
    const fraction = this.total > 0 ? Math.min(1, this.done / this.total) : 1
    const filled = Math.round(fraction * BAR_WIDTH)
    const left = rate === undefined || rate === 0
      ? "--"
      : formatDuration(Math.max(0, this.total - this.done) / rate)
    return fit(
      this.label,
      ` [${"#".repeat(filled)}${" ".repeat(BAR_WIDTH - filled)}] ${formatBytes(this.done)} / ${formatBytes(this.total)}` +
        ` ${Math.floor(fraction * 100)}%  ${rateText}  ${left} left`,
      columns
    )
  }
}

const BAR_WIDTH = 20

/**
 * the label, shortened from the front when the line would wrap (a wrapped line cannot be redrawn with `\r`); a
 * terminal that does not know its width says 0
 */
const fit = (label: string, rest: string, columns: number | undefined): string => {
  if (columns === undefined || columns <= 0 || label.length + rest.length < columns) return label + rest
  const room = columns - 1 - rest.length
  return (room > 1 ? `…${label.slice(label.length - room + 1)}` : "") + rest
}

/** decimal units, as the 1 MB threshold is: 1.5 MB is 1,500,000 bytes */
const formatBytes = (bytes: number): string => {
  if (bytes < 1000) return `${Math.round(bytes)} B`
  let value = bytes / 1000
  let unit = 0
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000
    unit++
  }
  return `${value.toFixed(1)} ${UNITS[unit]}`
}

const UNITS = ["kB", "MB", "GB", "TB"] as const

/** `4.2 s` under a minute, else `m:ss` or `h:mm:ss` */
const formatDuration = (seconds: number): string => {
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  const whole = Math.round(seconds)
  const h = Math.floor(whole / 3600)
  const m = Math.floor((whole % 3600) / 60)
  const s = String(whole % 60).padStart(2, "0")
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`
}
