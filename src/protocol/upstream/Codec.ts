/**
 * The length-prefixed segments the upstream Python server reads on its port + 1 (PROTOCOL.md, end of §2), as a
 * streaming codec.
 *
 * A segment is a 4-byte big-endian unsigned length, then that many bytes; a zero length ends the message:
 *
 * ```text
 * message = *(length:u32 body) 00 00 00 00      (length > 0)
 * ```
 *
 * Segments are small requests (a JSON object, then maybe raw component data), so `decode` hands out each body as one
 * buffer, but only after the length has been checked against `maxSegmentSize`. The format cannot express an empty
 * segment (its length would end the message): the encoders refuse one rather than end a message early.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Stream from "effect/Stream"
import { type DecodeChannel, decodeWith, exactly, Machine, type Step } from "../ByteQueue.ts"

/**
 * One decoded piece: every message decodes to its segments, then `End`.
 *
 * @category models
 * @since 0.1.0
 */
export type Part = { readonly _tag: "Segment"; readonly body: Uint8Array } | { readonly _tag: "End" }

/**
 * Why bytes could not be decoded or a segment could not be encoded.
 *
 * - decoding: `TooLarge`, a length above `maxSegmentSize`; `Truncated`, the input ended inside a message. Either
 *   way the framing can no longer be trusted and the decoder keeps failing.
 * - {@link encodeStreamSegment}: `TooLarge`, the content was longer than announced; `Truncated`, it was shorter.
 *
 * @category errors
 * @since 0.1.0
 */
export class LengthPrefixedError extends Data.TaggedError("LengthPrefixedError")<{
  readonly kind: "TooLarge" | "Truncated"
  readonly message: string
}> {}

/**
 * @category guards
 * @since 0.1.0
 */
export const isLengthPrefixedError = (u: unknown): u is LengthPrefixedError =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "LengthPrefixedError"

/**
 * @category constants
 * @since 0.1.0
 */
export const defaultMaxSegmentSize = 1024 * 1024

/**
 * The zero length that ends a message.
 *
 * @category encoding
 * @since 0.1.0
 */
export const endOfMessage: Uint8Array = new Uint8Array(4)

/**
 * One segment: the length prefix, then `body`. Throws a `RangeError` for an empty body (its zero length would end
 * the message) or one of 4 GiB or more.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeSegment = (body: Uint8Array): Uint8Array => {
  const out = new Uint8Array(4 + body.length)
  out.set(encodeLength(body.length))
  out.set(body, 4)
  return out
}

/**
 * One segment whose body streams: the length prefix, then `content` passed through untouched. `content` must yield
 * exactly `size` bytes: the stream fails with `LengthPrefixedError` `TooLarge` as soon as it yields more, or
 * `Truncated` when it ends short. Throws a `RangeError` at once when `size` is not between 1 and 4 GiB − 1.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeStreamSegment = <E, R>(
  size: number,
  content: Stream.Stream<Uint8Array, E, R>
): Stream.Stream<Uint8Array, LengthPrefixedError | E, R> =>
  Stream.concat(
    Stream.succeed(encodeLength(size)),
    exactly(size, content, (seen) =>
      new LengthPrefixedError({
        kind: seen > size ? "TooLarge" : "Truncated",
        message: `segment announced ${size} bytes but its content had ${seen > size ? "more" : seen}`
      }))
  )

/**
 * Bytes in, {@link Part}s out, for any number of messages and any chunking of the input. The end of the input
 * between two messages ends the output; inside a message (a partial prefix included) it fails with `Truncated`.
 *
 * @category decoding
 * @since 0.1.0
 */
export const decode = <IE = never, Done = unknown>(options?: {
  readonly maxSegmentSize?: number
}): DecodeChannel<Part, LengthPrefixedError, IE, Done> =>
  decodeWith(() => new Decoder(options?.maxSegmentSize ?? defaultMaxSegmentSize), isLengthPrefixedError, (part) => part)

/**
 * The synchronous decoder behind {@link decode}, for a request loop that drives it itself (`PartReader`).
 *
 * @category decoding
 * @since 0.1.0
 */
export const makeDecoder = (maxSegmentSize?: number): Machine<Part, LengthPrefixedError["kind"], LengthPrefixedError> =>
  new Decoder(maxSegmentSize ?? defaultMaxSegmentSize)

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

/**
 * The 4-byte length prefix of a segment of `length` bytes (1 to 4,294,967,295; zero would end the message).
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeLength = (length: number): Uint8Array => {
  if (!Number.isSafeInteger(length) || length < 1 || length > 0xffff_ffff) {
    throw new RangeError(`a length-prefixed segment holds 1 to 4294967295 bytes, not ${length}`)
  }
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, length)
  return out
}

/** the synchronous state machine behind `decode` */
class Decoder extends Machine<Part, LengthPrefixedError["kind"], LengthPrefixedError> {
  /** a segment of the current message has been announced: the end of the input is no longer clean */
  private inMessage = false
  private readonly maxSegmentSize: number

  constructor(maxSegmentSize: number) {
    super()
    this.maxSegmentSize = maxSegmentSize
  }

  protected nextPart(): Step<Part> {
    if (this.queue.length === 0 && this.ended && !this.inMessage) return undefined
    if (this.queue.length < 4) return this.needInput()
    const bytes = this.queue.peek(4)
    const length = new DataView(bytes.buffer).getUint32(0)
    if (length === 0) {
      this.queue.skip(4)
      this.inMessage = false
      return { _tag: "End" }
    }
    // checked on the peeked prefix, before a byte of the body is waited for or buffered
    if (length > this.maxSegmentSize) {
      return this.fail("TooLarge", `segment of ${length} bytes exceeds the limit of ${this.maxSegmentSize}`)
    }
    this.inMessage = true
    if (this.queue.length < 4 + length) return this.needInput()
    this.queue.skip(4)
    return { _tag: "Segment", body: this.queue.takeCopy(length) }
  }

  protected error(kind: LengthPrefixedError["kind"], message: string): LengthPrefixedError {
    return new LengthPrefixedError({ kind, message })
  }
}
