/**
 * The DOIP v2.0 segment transport of PROTOCOL.md §2, as a streaming codec.
 *
 * A message is a sequence of segments, then a line holding only `#` (the empty segment):
 *
 * ```text
 * message  = *blank-line *segment "#" eol
 * segment  = json / bytes
 * json     = <UTF-8 JSON text, any number of lines> "\n#" eol
 * bytes    = "@" eol *(<size> eol <size raw bytes> eol) "#" eol
 * eol      = *(" " / "\t" / "\r") "\n"
 * ```
 *
 * - A JSON segment ends at the first `#` that directly follows a `\n`; the rest of that line may hold only spaces,
 *   tabs or `\r`. JSON text never holds a raw newline followed by `#` (JSON escapes newlines inside strings), so the
 *   rule cannot cut a JSON value in two.
 * - A chunk size is ASCII digits, greater than zero and without leading zeros; the data after it is raw and may hold
 *   anything, `\n#\n` included. Empty data is `@\n#\n`.
 * - CRLF line ends are tolerated everywhere. Blank lines before the first segment of a message are skipped, for
 *   people typing requests into `openssl s_client`.
 *
 * `decode` turns socket bytes into a flat sequence of {@link Part}s, `End` closing every message. A bytes segment's
 * `content` is a lazy `Stream` of views into the input, never gathered into one buffer. The encoders write the
 * compact form CNRI's reference writer writes: `JSON.stringify` text, `\n` line ends.
 *
 * **What the framing decides on its own** (PROTOCOL.md leaves these open)
 *
 * - A segment whose first line starts with `#` or `@` but holds more than that marker (and blanks) is `Malformed`:
 *   JSON text never starts with either character.
 * - `{"a":1}#\n#\n` is one JSON segment: its `#` does not follow a `\n`, so the first line is JSON text and the
 *   second line ends the segment. The decoder hands out a `Json` part with the body `{"a":1}#`, which
 *   {@link parseJsonObject} rejects; the message itself still needs its own `#` line (at the end of the input the
 *   decoder fails with `Truncated`).
 * - Blank lines are skipped only before the first segment of a message. Between segments a blank line is the start
 *   of JSON text (JSON may begin with whitespace), so `\n#\n` there is a JSON segment with an empty body.
 * - The `#` line that ends a message may be ended by the end of the input instead of `\n`; every other line needs
 *   its `\n`. Blanks (spaces, tabs, `\r`) after the last message are a clean end.
 * - A marker or size line (`#`, `@`, `<size>`) longer than {@link MAX_LINE} bytes is `Malformed`.
 * - A segment that starts with a control byte (other than tab, line feed, carriage return) is `Malformed` at once:
 *   JSON cannot start so, and a TLS client's handshake (`0x16`) is refused without waiting for a line end.
 * - `maxMessageSize` counts every byte from the end of the previous message, blank lines included.
 *
 * Nothing here opens a socket or reads configuration: limits are arguments, checked before anything is allocated.
 *
 * @since 0.1.0
 */
import * as Arr from "effect/Array"
import * as Data from "effect/Data"
import * as Stream from "effect/Stream"
import * as Envelope from "../binary/Codec.ts"
import { concat, type DecodeChannel, decodeWith, Machine, NeedInput, type Step } from "../ByteQueue.ts"

/**
 * Limits a decoder enforces before it allocates anything. Every size is in bytes.
 *
 * @category models
 * @since 0.1.0
 */
export interface Limits {
  /** the text of one JSON segment */
  readonly maxJsonSegmentSize: number
  /** JSON and bytes segments in one message, the final empty segment not counted */
  readonly maxSegmentsPerMessage: number
  /** the announced size of one chunk of a bytes segment */
  readonly maxChunkSize: number
  /** all the data of one bytes segment */
  readonly maxBytesSegmentSize: number
  /** all the bytes of one message on the wire */
  readonly maxMessageSize: number
}

/**
 * @category constants
 * @since 0.1.0
 */
export const defaultLimits: Limits = {
  maxJsonSegmentSize: 1024 * 1024,
  maxSegmentsPerMessage: 10_000,
  maxChunkSize: 0xffff_ffff,
  maxBytesSegmentSize: Number.MAX_SAFE_INTEGER,
  maxMessageSize: Number.MAX_SAFE_INTEGER
}

/**
 * The longest marker (`#`, `@`) or chunk size line, without its `\n`, the decoder reads.
 *
 * @category constants
 * @since 0.1.0
 */
export const MAX_LINE = 24

/**
 * One decoded piece of a message. Every message decodes to its segments in wire order, then `End`.
 *
 * @category models
 * @since 0.1.0
 */
export type Part<E = never> = JsonSegment | BytesSegment<E> | End

/**
 * A JSON segment. `body` is the raw UTF-8 text without the line that ends it (nor the `\r` of a CRLF); it is a
 * copy, safe to keep. The framing does not parse it: see {@link parseJsonObject}.
 *
 * @category models
 * @since 0.1.0
 */
export interface JsonSegment {
  readonly _tag: "Json"
  readonly body: Uint8Array
}

/**
 * A bytes segment. `content` streams its data, chunk framing removed, as views into the input: read it (or ignore
 * it) before pulling the next part, and copy chunks you keep.
 *
 * @category models
 * @since 0.1.0
 */
export interface BytesSegment<E = never> {
  readonly _tag: "Bytes"
  readonly content: Stream.Stream<Uint8Array, SegmentError | E>
}

/**
 * The empty segment (the line `#`) that ends a message.
 *
 * @category models
 * @since 0.1.0
 */
export interface End {
  readonly _tag: "End"
}

/**
 * Why bytes could not be decoded. `Malformed`, `TooLarge` and `Truncated` mean the framing of the connection can no
 * longer be trusted, and the decoder keeps failing with the same error. `ContentConsumed` is a reader's mistake (a
 * bytes segment's content read after the decoder moved on) and leaves the decoder working.
 *
 * @category errors
 * @since 0.1.0
 */
export class SegmentError extends Data.TaggedError("SegmentError")<{
  readonly kind: "Malformed" | "TooLarge" | "Truncated" | "ContentConsumed"
  readonly message: string
}> {}

/**
 * @category guards
 * @since 0.1.0
 */
export const isSegmentError = (u: unknown): u is SegmentError =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "SegmentError"

// -----------------------------------------------------------------------------
// encoding
// -----------------------------------------------------------------------------

const textEncoder = new TextEncoder()

/**
 * One JSON segment: `JSON.stringify(value)`, then `\n#\n`. Throws a `TypeError` for a value JSON cannot represent
 * (`undefined`, a function, a bigint, a cycle): that is a programming error, not a wire condition.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeJson = (value: unknown): Uint8Array => {
  const text: string | undefined = JSON.stringify(value)
  if (text === undefined) throw new TypeError("encodeJson: the value has no JSON text")
  return textEncoder.encode(text + "\n#\n")
}

/**
 * The empty segment that ends a message: `#\n`.
 *
 * @category encoding
 * @since 0.1.0
 */
export const endOfMessage: Uint8Array = textEncoder.encode("#\n")

/**
 * The line that opens a bytes segment: `@\n`.
 *
 * @category encoding
 * @since 0.1.0
 */
export const bytesStart: Uint8Array = textEncoder.encode("@\n")

/**
 * A bytes segment streaming `content`: `@\n`, then a chunk `<size>\n<data>\n` for every non-empty input chunk, then
 * `#\n`.
 *
 * **Details**
 *
 * Input chunks longer than `maxChunkSize` (default 1 MiB) are split into views. Data of more than 4 KiB is passed
 * through untouched; smaller data is copied together with the framing around it, so small chunks cost one write,
 * not three. The `\n` after a chunk is written with the next size line (or the final `#\n`). The final `#\n` is
 * written only when `content` ends successfully: a failing content never looks complete to the peer.
 *
 * Throws a `RangeError` at once when `maxChunkSize` is not a positive safe integer.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeBytes = <E, R>(
  content: Stream.Stream<Uint8Array, E, R>,
  options?: { readonly maxChunkSize?: number | undefined }
): Stream.Stream<Uint8Array, E, R> => {
  const maxChunkSize = chunkSizeOption(options)
  return Stream.suspend(() => {
    let owed: Uint8Array = bytesStart
    return content.pipe(
      // an empty chunk frames to nothing: dropping it first lets every batch frame to at least one write
      Stream.filter((chunk) => chunk.length > 0),
      Stream.mapArray((chunks) => {
        const framed = frameChunks(owed, chunks, maxChunkSize)
        owed = framed.owed
        return Arr.isArrayNonEmpty(framed.out) ? framed.out : Arr.of(new Uint8Array(0)) // the filter makes it non-empty
      }),
      Stream.concat(Stream.sync(() => concat([owed, endOfMessage])))
    )
  })
}

/**
 * A bytes segment holding `data`, in one buffer. The framing is that of {@link encodeBytes}.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeBytesSync = (
  data: Uint8Array,
  options?: { readonly maxChunkSize?: number | undefined }
): Uint8Array => {
  const framed = frameChunks(bytesStart, data.length > 0 ? [data] : [], chunkSizeOption(options))
  return concat([...framed.out, framed.owed, endOfMessage])
}

// -----------------------------------------------------------------------------
// decoding
// -----------------------------------------------------------------------------

/**
 * Bytes in, {@link Part}s out, for any number of messages and any chunking of the input.
 *
 * **Details**
 *
 * JSON segments, marker and size lines are checked against `limits` while they are read; bytes segment data is
 * never buffered: `content` streams views of the input as it arrives. The end of the input between two messages
 * ends the output; inside a message it fails with `Truncated`.
 *
 * **Gotchas**
 *
 * A bytes segment's `content` is readable only until the next part is pulled (what is left unread is then
 * skipped) and only while the decoded stream runs; a later read fails with `ContentConsumed`. So no
 * `Stream.buffer` between `decode` and the content reads.
 *
 * @category decoding
 * @since 0.1.0
 */
export const decode = <IE = never, Done = unknown>(options?: {
  readonly limits?: Partial<Limits> | undefined
}): DecodeChannel<Part<IE>, SegmentError, IE, Done> =>
  decodeWith(
    () => new Decoder({ ...defaultLimits, ...options?.limits }),
    isSegmentError,
    (part, content): Part<IE> => part._tag === "Bytes" ? { _tag: "Bytes", content } : part
  )

/**
 * The synchronous decoder behind {@link decode}, for a request loop that drives it itself (`PartReader`). A `Bytes`
 * part's `content` is empty here: the driver binds the content of the machine's current part.
 *
 * @category decoding
 * @since 0.1.0
 */
export const makeDecoder = (limits?: Partial<Limits> | undefined): Machine<Part, SegmentError["kind"], SegmentError> =>
  new Decoder({ ...defaultLimits, ...limits })

/**
 * Parses a JSON segment body into an object, or says why it is not one. The same rules as
 * `Envelope.parseJsonObject`: strict UTF-8, one JSON object, nesting at most `maxDepth` deep.
 *
 * @category decoding
 * @since 0.1.0
 */
export const parseJsonObject: (body: Uint8Array, maxDepth?: number) => Record<string, unknown> | string =
  Envelope.parseJsonObject

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const NL = 0x0a
const CR = 0x0d
const HASH = 0x23
const AT = 0x40
const TLS_HANDSHAKE = 0x16

/** a control byte JSON text cannot start with (its blanks, tab, line feed and carriage return, can) */
const isControl = (byte: number) => (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f

/** what may stand between a marker and the end of its line */
const isBlank = (byte: number) => byte === 0x20 || byte === 0x09 || byte === CR

const newline = textEncoder.encode("\n")

/** data up to this size is copied next to its framing rather than written on its own */
const COPY_LIMIT = 4096

const chunkSizeOption = (options: { readonly maxChunkSize?: number | undefined } | undefined): number => {
  const size = options?.maxChunkSize ?? 1024 * 1024
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw new RangeError(`maxChunkSize must be a positive integer, got ${size}`)
  }
  return size
}

/**
 * Frames data as chunks, a batch at a time, for a writer that sends a bytes segment's data as it comes (what
 * {@link encodeBytes} does over a stream). `owed` is framing written before the first size line ({@link bytesStart},
 * or the `\n` that ends the previous chunk); the returned `owed` is what the next batch or the end (`owed`, then
 * `#\n`) must write. Data of 4 KiB or less is copied next to its framing; larger data is passed through as views.
 *
 * @category encoding
 * @since 0.1.0
 */
export const frameChunks = (
  owed: Uint8Array,
  chunks: ReadonlyArray<Uint8Array>,
  maxChunkSize: number
): { readonly owed: Uint8Array; readonly out: Array<Uint8Array> } => {
  const out: Array<Uint8Array> = []
  let small: Array<Uint8Array> = []
  for (const chunk of chunks) {
    for (let offset = 0; offset < chunk.length; offset += maxChunkSize) {
      const data = chunk.length <= maxChunkSize ? chunk : chunk.subarray(offset, offset + maxChunkSize)
      small.push(owed, textEncoder.encode(`${data.length}\n`))
      if (data.length <= COPY_LIMIT) {
        small.push(data)
      } else {
        out.push(concat(small), data)
        small = []
      }
      owed = newline
    }
  }
  if (small.length > 0) out.push(concat(small))
  return { owed, out }
}

type State =
  /** between messages: blank lines may come before the first segment */
  | { readonly _tag: "MessageStart" }
  | { readonly _tag: "SegmentStart" }
  /** inside JSON text; `afterNewline` says whether the last byte taken was a `\n` */
  | { readonly _tag: "Json"; readonly text: Accumulator; afterNewline: boolean }
  /** the rest of the `#` line that ends a JSON segment */
  | { readonly _tag: "JsonEnd"; readonly text: Accumulator; lineLength: number }
  /** inside a bytes segment: a size line or the closing `#` */
  | { readonly _tag: "ChunkSize" }
  | { readonly _tag: "ChunkData"; remaining: number }
  /** the `\n` (or `\r\n`) after a chunk's data */
  | { readonly _tag: "ChunkEnd" }

// the states without fields, and the end part, are shared: a message passes through them several times
const messageStart: State = { _tag: "MessageStart" }
const segmentStart: State = { _tag: "SegmentStart" }
const chunkSize: State = { _tag: "ChunkSize" }
const chunkEnd: State = { _tag: "ChunkEnd" }
const endPart: Part = { _tag: "End" }
const noBytes = new Uint8Array(0)

/** the synchronous state machine behind `decode`: it returns a part, asks for input, or says the input ended */
class Decoder extends Machine<Part, SegmentError["kind"], SegmentError> {
  private state: State = messageStart
  /** segments seen in the current message */
  private segments = 0
  /** data seen in the current bytes segment */
  private segmentData = 0
  /** `queue.consumed` when the current message started */
  private messageStart = 0
  private readonly limits: Limits

  constructor(limits: Limits) {
    super()
    this.limits = limits
  }

  protected nextPart(): Step<Part> {
    for (;;) {
      // skip what nobody read of a bytes segment: framing is checked, the data dropped
      const skipped = this.bytes()
      if (skipped === NeedInput) return NeedInput
      if (skipped === undefined) break
    }
    for (;;) {
      const state = this.state
      switch (state._tag) {
        case "MessageStart": {
          const start = this.skipBlankLines()
          if (start !== "segment") return start
          this.state = segmentStart
          continue
        }
        case "SegmentStart": {
          if (this.queue.length === 0) return this.needInput()
          const first = this.queue.byteAt(0)
          if (first === HASH) {
            if (this.markerLine(HASH, true) === NeedInput) return NeedInput
            this.state = messageStart
            this.segments = 0
            this.messageStart = this.queue.consumed
            return endPart
          }
          if (first === AT) {
            if (this.markerLine(AT, false) === NeedInput) return NeedInput
            this.countSegment()
            this.state = chunkSize
            this.segmentData = 0
            return { _tag: "Bytes", content: Stream.empty } // `decode` binds the content to this generation
          }
          if (isControl(first)) {
            // JSON text starts with `{`, a value or blanks; 0x16 is how a TLS handshake starts
            return this.fail(
              "Malformed",
              `a segment cannot start with byte 0x${first.toString(16).padStart(2, "0")}` +
                (first === TLS_HANDSHAKE ? " (a TLS handshake? this port speaks plaintext DOIP)" : "")
            )
          }
          this.countSegment()
          this.state = {
            _tag: "Json",
            text: new Accumulator(this.limits.maxJsonSegmentSize + 2),
            afterNewline: false
          }
          continue
        }
        case "Json": {
          if (this.jsonText(state) === NeedInput) return NeedInput
          continue
        }
        case "JsonEnd": {
          return this.jsonEnd(state)
        }
        default: {
          // `bytes()` above returns `undefined` only once it has left the bytes states
          throw new Error(`SegmentCodec: decoder in state ${state._tag} between parts`)
        }
      }
    }
  }

  override read(generation: number): Step<Arr.NonEmptyArray<Uint8Array>> {
    this.throwIfFailed()
    if (generation !== this.generation) {
      // a stale read is the reader's mistake, not a broken framing: it does not poison the decoder
      throw new SegmentError({ kind: "ContentConsumed", message: "bytes segment content read after the decoder moved on" })
    }
    return this.bytes()
  }

  protected error(kind: SegmentError["kind"], message: string): SegmentError {
    return new SegmentError({ kind, message })
  }

  /** skips blank lines before a message; says whether a segment starts or the input ended between messages */
  private skipBlankLines(): "segment" | undefined | typeof NeedInput {
    const queue = this.queue
    for (;;) {
      const n = Math.min(queue.length, MAX_LINE + 1)
      let i = 0
      while (i < n && isBlank(queue.byteAt(i))) i++
      if (i < n) {
        if (queue.byteAt(i) !== NL) return "segment"
        this.consume(i + 1)
        continue
      }
      // a long run of blanks can only be the start of JSON text, which has its own limit
      if (i > MAX_LINE) return "segment"
      if (!this.ended) return NeedInput
      this.consume(i)
      return undefined
    }
  }

  private countSegment() {
    if (this.segments >= this.limits.maxSegmentsPerMessage) {
      this.fail("TooLarge", `message has more than ${this.limits.maxSegmentsPerMessage} segments`)
    }
    this.segments++
  }

  /**
   * Takes JSON text up to the `#` that ends it, scanning every byte once however the input is chunked. The text
   * kept includes the `\n` before the `#`.
   */
  private jsonText(state: Extract<State, { _tag: "Json" }>): typeof NeedInput | undefined {
    for (;;) {
      if (this.queue.length === 0) return this.needInput()
      const view = this.queue.peekHead()
      let hash = state.afterNewline && view[0] === HASH ? 0 : -1
      for (let nl = view.indexOf(NL); hash === -1 && nl !== -1 && nl + 1 < view.length; nl = view.indexOf(NL, nl + 1)) {
        if (view[nl + 1] === HASH) hash = nl + 1
      }
      const take = hash === -1 ? view.length : hash
      // the body is the text less its `\n` and maybe a `\r`: two bytes of slack before it is surely too large
      if (state.text.length + take > this.limits.maxJsonSegmentSize + 2) {
        return this.fail("TooLarge", `JSON segment exceeds the limit of ${this.limits.maxJsonSegmentSize} bytes`)
      }
      if (take > 0) state.text.append(this.consume(take))
      if (hash === -1) {
        state.afterNewline = view[view.length - 1] === NL
        continue
      }
      this.consume(1)
      this.state = { _tag: "JsonEnd", text: state.text, lineLength: 1 }
      return undefined
    }
  }

  /** reads the rest of the `#` line that ends a JSON segment, then hands the segment out */
  private jsonEnd(state: Extract<State, { _tag: "JsonEnd" }>): Step<Part> {
    for (;;) {
      if (this.queue.length === 0) return this.needInput()
      const byte = this.queue.byteAt(0)
      this.checkMessageSize(1)
      this.queue.skip(1)
      if (byte === NL) break
      if (!isBlank(byte)) return this.fail("Malformed", "the line ending a JSON segment holds more than `#`")
      if (++state.lineLength > MAX_LINE) return this.fail("Malformed", `line longer than ${MAX_LINE} bytes after \`#\``)
    }
    const text = state.text
    let length = text.length - 1 // the `\n` before the `#`
    if (length > 0 && text.bytes[length - 1] === CR) length--
    if (length > this.limits.maxJsonSegmentSize) {
      return this.fail("TooLarge", `JSON segment exceeds the limit of ${this.limits.maxJsonSegmentSize} bytes`)
    }
    this.state = segmentStart
    return { _tag: "Json", body: text.bytes.subarray(0, length) }
  }

  /**
   * One step through a bytes segment: data views, or `undefined` once its closing `#` line is read (and whenever
   * the decoder is not inside a bytes segment).
   */
  private bytes(): Step<Arr.NonEmptyArray<Uint8Array>> {
    for (;;) {
      const state = this.state
      switch (state._tag) {
        case "ChunkSize": {
          const line = this.line(false)
          if (line === NeedInput) return NeedInput
          if (line[0] === HASH) {
            this.expectMarker(line, HASH)
            this.state = segmentStart
            return undefined
          }
          const size = this.chunkSize(line)
          this.checkMessageSize(size + 1)
          this.segmentData += size
          this.state = { _tag: "ChunkData", remaining: size }
          continue
        }
        case "ChunkData": {
          if (this.queue.length === 0) return this.needInput()
          const before = this.queue.length
          const out = this.queue.takeViews(state.remaining)
          state.remaining -= before - this.queue.length
          if (state.remaining === 0) this.state = chunkEnd
          return out
        }
        case "ChunkEnd": {
          const queue = this.queue
          if (queue.length === 0 || (queue.length === 1 && queue.byteAt(0) === CR)) return this.needInput()
          const first = queue.byteAt(0)
          const length = first === NL ? 1 : first === CR && queue.byteAt(1) === NL ? 2 : 0
          if (length === 0) return this.fail("Malformed", "chunk data is not followed by a line end")
          this.consume(length)
          this.state = chunkSize
          continue
        }
        default:
          return undefined
      }
    }
  }

  /** parses a chunk size line and checks it against the limits */
  private chunkSize(line: Uint8Array): number {
    const digits = line[line.length - 1] === CR ? line.subarray(0, line.length - 1) : line
    const text = String.fromCharCode(...digits)
    if (!/^[0-9]+$/.test(text)) {
      return this.fail("Malformed", `chunk size line ${JSON.stringify(text)} is not a decimal number`)
    }
    if (text === "0") return this.fail("Malformed", "chunk of size 0 (empty data is `@` then `#`)")
    if (text.startsWith("0")) return this.fail("Malformed", `chunk size ${text} has a leading zero`)
    const size = Number(text)
    if (size > this.limits.maxChunkSize) {
      return this.fail("TooLarge", `chunk of ${text} bytes exceeds the limit of ${this.limits.maxChunkSize}`)
    }
    if (this.segmentData + size > this.limits.maxBytesSegmentSize) {
      return this.fail("TooLarge", `bytes segment exceeds the limit of ${this.limits.maxBytesSegmentSize} bytes`)
    }
    return size
  }

  /** reads a `#` or `@` line: the marker, then nothing but blanks */
  private markerLine(marker: number, eofEnds: boolean): typeof NeedInput | undefined {
    // checked where it lies, then dropped: the lines of every message, read without a view or a copy
    const queue = this.queue
    const newline = queue.indexOf(NL, MAX_LINE + 1)
    let end = newline
    if (newline === -1) {
      if (queue.length > MAX_LINE || !(eofEnds && this.ended && queue.length > 0)) {
        const line = this.line(eofEnds) // fails or asks for input, as for any line
        if (line === NeedInput) return NeedInput
        this.expectMarker(line, marker)
        return undefined
      }
      end = queue.length
    }
    let valid = queue.byteAt(0) === marker
    for (let i = 1; i < end && valid; i++) valid = isBlank(queue.byteAt(i))
    if (!valid) this.expectMarker(queue.peek(end), marker)
    this.checkMessageSize(newline === -1 ? end : end + 1)
    queue.skip(newline === -1 ? end : end + 1)
    return undefined
  }

  private expectMarker(line: Uint8Array, marker: number) {
    let blank = true
    for (let i = 1; i < line.length && blank; i++) blank = isBlank(line[i]!)
    if (line[0] !== marker || !blank) {
      this.fail("Malformed", `line ${JSON.stringify(String.fromCharCode(...line))} is neither \`#\` nor \`@\``)
    }
  }

  /**
   * A short line, copied, without its `\n`. `eofEnds` lets the end of the input end the line too (only the `#` that
   * ends a message may go without its `\n`).
   */
  private line(eofEnds: boolean): Uint8Array | typeof NeedInput {
    const end = this.queue.indexOf(NL, MAX_LINE + 1)
    if (end !== -1) return this.consume(end + 1).subarray(0, end)
    if (this.queue.length > MAX_LINE) {
      return this.fail("Malformed", `line longer than ${MAX_LINE} bytes where \`#\`, \`@\` or a chunk size belongs`)
    }
    if (eofEnds && this.ended && this.queue.length > 0) return this.consume(this.queue.length)
    return this.needInput()
  }

  /** takes `n` buffered bytes (a view when they lie in one input chunk), counting them against the message limit */
  private consume(n: number): Uint8Array {
    this.checkMessageSize(n)
    return n === 0 ? noBytes : this.queue.take(n)
  }

  private checkMessageSize(more: number) {
    if (this.queue.consumed - this.messageStart + more > this.limits.maxMessageSize) {
      this.fail("TooLarge", `message exceeds the limit of ${this.limits.maxMessageSize} bytes`)
    }
  }
}

/**
 * JSON text being read. Text that arrived in one input chunk (nearly always) is kept as a view of it, with no copy;
 * text in several is copied into a buffer of its own that grows by doubling up to a capacity fixed by the limit, so
 * it never allocates past it.
 */
class Accumulator {
  bytes: Uint8Array = noBytes
  length = 0
  /** whether `bytes` is the accumulator's own buffer rather than a view of an input chunk */
  private owned = false
  private readonly capacity: number

  constructor(capacity: number) {
    this.capacity = capacity
  }

  append(chunk: Uint8Array) {
    if (this.length === 0) {
      this.bytes = chunk // input chunks are never written to: a view is safe to keep
      this.length = chunk.length
      return
    }
    const needed = this.length + chunk.length
    if (!this.owned || needed > this.bytes.length) {
      const grown = new Uint8Array(Math.min(this.capacity, Math.max(needed, this.bytes.length * 2, 256)))
      grown.set(this.bytes.subarray(0, this.length))
      this.bytes = grown
      this.owned = true
    }
    this.bytes.set(chunk, this.length)
    this.length = needed
  }
}
