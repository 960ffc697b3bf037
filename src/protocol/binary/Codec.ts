/**
 * The binary DOIP envelope of PROTOCOL.md §1, as a streaming codec.
 *
 * A message is a 10-byte header (`version:u8 msgType:u8 operation:u8 flags:u8 objectIdLen:u16 payloadLen:u32`,
 * big-endian), the object id, and a payload of blocks (`blockType:u8 bodyLen:u32 body`). Metadata and workflow blocks
 * hold one JSON object each; a component block holds `idLen:u16 id mediaTypeLen:u16 mediaType contentLen:u32 content`.
 *
 * `decode` turns socket bytes into a flat sequence of {@link Part}s: `Head`, then the blocks, then `End`, for every
 * message on the connection. A component's content is a lazy `Stream` of views into the input, never gathered into
 * one buffer. `encode` turns a {@link Message} into bytes, streaming component contents after their headers.
 *
 * Nothing here opens a socket or reads configuration: limits are arguments, checked before anything is allocated.
 *
 * @since 0.1.0
 */
import type * as Arr from "effect/Array"
import type * as Channel from "effect/Channel"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { concat, decodeWith, exactly, Machine, type Step } from "../ByteQueue.ts"

/**
 * @category constants
 * @since 0.1.0
 */
export const VERSION = 0x02

/**
 * @category constants
 * @since 0.1.0
 */
export const HEADER_SIZE = 10

/**
 * @category constants
 * @since 0.1.0
 */
export const MessageType = { Request: 0x01, Response: 0x02, Error: 0x7f } as const

/**
 * @category constants
 * @since 0.1.0
 */
export const BlockType = { Metadata: 0x01, Component: 0x02, Workflow: 0x03 } as const

/**
 * @category models
 * @since 0.1.0
 */
export interface Header {
  readonly version: number
  readonly msgType: number
  readonly operation: number
  readonly flags: number
  readonly objectIdLength: number
  readonly payloadLength: number
}

/**
 * Limits a decoder enforces before it allocates anything. Every limit is in bytes.
 *
 * @category models
 * @since 0.1.0
 */
export interface Limits {
  readonly maxObjectIdLength: number
  /** one metadata or workflow block */
  readonly maxJsonBlockSize: number
  /** the whole payload of one message (`payloadLen`) */
  readonly maxMessageSize: number
  /** the content of one component */
  readonly maxComponentSize: number
  readonly maxComponentIdLength: number
}

/**
 * @category constants
 * @since 0.1.0
 */
export const defaultLimits: Limits = {
  maxObjectIdLength: 1024,
  maxJsonBlockSize: 1024 * 1024,
  maxMessageSize: 0xffff_ffff,
  maxComponentSize: 0xffff_ffff,
  maxComponentIdLength: 1024
}

/**
 * One decoded piece of a message. Every message decodes to `Head`, its blocks in wire order, then `End`.
 *
 * @category models
 * @since 0.1.0
 */
export type Part<E = never> = Head | JsonBlock | ComponentPart<E> | End

/**
 * @category models
 * @since 0.1.0
 */
export interface Head {
  readonly _tag: "Head"
  readonly header: Header
  readonly objectId: string
}

/**
 * A metadata or workflow block. `body` is the raw UTF-8 JSON; it is a copy, safe to keep.
 *
 * @category models
 * @since 0.1.0
 */
export interface JsonBlock {
  readonly _tag: "Metadata" | "Workflow"
  readonly body: Uint8Array
}

/**
 * A component block. `content` streams exactly `size` bytes as views into the input: read it (or ignore it) before
 * pulling the next part, and copy chunks you keep. `last` tells whether the block ends the message's payload.
 *
 * @category models
 * @since 0.1.0
 */
export interface ComponentPart<E = never> {
  readonly _tag: "Component"
  readonly componentId: string
  readonly mediaType: string
  readonly size: number
  readonly last: boolean
  readonly content: Stream.Stream<Uint8Array, EnvelopeError | E>
}

/**
 * @category models
 * @since 0.1.0
 */
export interface End {
  readonly _tag: "End"
}

/**
 * A component to encode. `content` must yield exactly `size` bytes, else encoding fails with `SizeMismatch`.
 *
 * @category models
 * @since 0.1.0
 */
export interface OutgoingComponent<E = never, R = never> {
  readonly componentId: string
  readonly mediaType: string
  readonly size: number
  readonly content: Stream.Stream<Uint8Array, E, R>
}

/**
 * A message to encode. Blocks are written in the order the format asks: metadata, components, workflow.
 *
 * @category models
 * @since 0.1.0
 */
export interface Message<E = never, R = never> {
  readonly msgType: number
  readonly operation: number
  readonly flags?: number | undefined
  readonly objectId: string
  readonly metadata?: ReadonlyArray<unknown> | undefined
  readonly components?: ReadonlyArray<OutgoingComponent<E, R>> | undefined
  readonly workflow?: ReadonlyArray<unknown> | undefined
}

/**
 * Why bytes could not be decoded or a message could not be encoded. Every kind means the framing of the connection
 * can no longer be trusted. `operation` and `objectId` are those of the message being decoded, when already known.
 *
 * @category errors
 * @since 0.1.0
 */
export class EnvelopeError extends Data.TaggedError("EnvelopeError")<{
  readonly kind: "UnsupportedVersion" | "TooLarge" | "Malformed" | "Truncated" | "SizeMismatch" | "ContentConsumed"
  readonly message: string
  readonly operation?: number | undefined
  readonly objectId?: string | undefined
}> {}

/**
 * @category guards
 * @since 0.1.0
 */
export const isEnvelopeError = (u: unknown): u is EnvelopeError =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "EnvelopeError"

// -----------------------------------------------------------------------------
// encoding
// -----------------------------------------------------------------------------

const textEncoder = new TextEncoder()

/**
 * The 10-byte header, written at the start of `into` when given (a buffer that goes on with the object id and the
 * payload: one allocation for the whole head of a message), else into a buffer of its own.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeHeader = (
  header: Omit<Header, "version"> & { readonly version?: number },
  into: Uint8Array = new Uint8Array(HEADER_SIZE)
): Uint8Array => {
  const view = new DataView(into.buffer, into.byteOffset, HEADER_SIZE)
  view.setUint8(0, header.version ?? VERSION)
  view.setUint8(1, header.msgType)
  view.setUint8(2, header.operation)
  view.setUint8(3, header.flags)
  view.setUint16(4, header.objectIdLength)
  view.setUint32(6, header.payloadLength)
  return into
}

/**
 * The header of a component block: block type and length, then the component's id, media type and content length.
 * The content follows it.
 *
 * @category encoding
 * @since 0.1.0
 */
export const componentHeader = (component: Pick<OutgoingComponent<any, any>, "componentId" | "mediaType" | "size">): Uint8Array => {
  const idLength = Buffer.byteLength(component.componentId, "utf8")
  const mediaTypeLength = Buffer.byteLength(component.mediaType, "utf8")
  // from Node's pool of small buffers: a header per retrieve costs no backing store of its own
  const out = Buffer.allocUnsafe(5 + 2 + idLength + 2 + mediaTypeLength + 4)
  let offset = out.writeUInt8(BlockType.Component, 0)
  offset = out.writeUInt32BE(2 + idLength + 2 + mediaTypeLength + 4 + component.size, offset)
  offset = out.writeUInt16BE(idLength, offset)
  offset += out.write(component.componentId, offset, "utf8")
  offset = out.writeUInt16BE(mediaTypeLength, offset)
  offset += out.write(component.mediaType, offset, "utf8")
  out.writeUInt32BE(component.size, offset)
  return out
}

/**
 * Encodes a message whose components stream their content. The prefix (header, object id, metadata blocks, the
 * first component's header) is one chunk; every content chunk passes through untouched.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encode = <E, R>(message: Message<E, R>): Stream.Stream<Uint8Array, EnvelopeError | E, R> =>
  Stream.unwrap(Effect.map(Effect.try({ try: () => layoutOf(message), catch: (error) => error as EnvelopeError }), (layout) => {
    const pieces: Array<Stream.Stream<Uint8Array, EnvelopeError | E, R>> = []
    let pending: Array<Uint8Array> = [layout.head]
    const flush = () => {
      if (pending.length > 0) pieces.push(Stream.succeed(concat(pending)))
      pending = []
    }
    for (const block of layout.metadata) pending.push(block)
    for (const component of message.components ?? []) {
      pending.push(componentHeader(component))
      flush()
      pieces.push(exactlyAnnounced(component.size, component.componentId, component.content))
    }
    for (const block of layout.workflow) pending.push(block)
    flush()
    return Stream.flatten(Stream.fromIterable(pieces))
  }))

/**
 * Encodes a message without components into one buffer (hello, list_ops, errors, metadata answers). Throws an
 * `EnvelopeError` when the object id is longer than 65,535 bytes.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeSync = (message: Omit<Message, "components">): Uint8Array => {
  const layout = layoutOf(message)
  return concat([layout.head, ...layout.metadata, ...layout.workflow])
}

/**
 * One JSON block (`blockType`, `bodyLen`, UTF-8 JSON).
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeJsonBlock = (blockType: number, value: unknown): Uint8Array => {
  const body = textEncoder.encode(JSON.stringify(value))
  const out = new Uint8Array(5 + body.length)
  out[0] = blockType
  new DataView(out.buffer).setUint32(1, body.length)
  out.set(body, 5)
  return out
}

// -----------------------------------------------------------------------------
// decoding
// -----------------------------------------------------------------------------

/**
 * Bytes in, {@link Part}s out, for any number of messages and any chunking of the input.
 *
 * **Details**
 *
 * Headers, ids and JSON blocks are small and checked against `limits` before they are read; component content is
 * never buffered: `content` streams views of the input as it arrives.
 *
 * **Gotchas**
 *
 * Consume (or drop) a component's `content` before pulling the next part, and while the decoded stream is running;
 * unread content is skipped when the next part is pulled, and reading a stale `content` fails with
 * `ContentConsumed`. Do not put `Stream.buffer` between `decode` and the content reads.
 *
 * @category decoding
 * @since 0.1.0
 */
export const decode = <IE = never, Done = unknown>(options?: {
  readonly limits?: Partial<Limits> | undefined
}): Channel.Channel<
  Arr.NonEmptyReadonlyArray<Part<IE>>,
  EnvelopeError | IE,
  Done,
  Arr.NonEmptyReadonlyArray<Uint8Array>,
  IE,
  Done
> =>
  decodeWith(
    () => new Decoder({ ...defaultLimits, ...options?.limits }),
    isEnvelopeError,
    (part, content): Part<IE> => part._tag === "Component" ? { ...part, content } : part
  )

/**
 * The synchronous decoder behind {@link decode}, for a request loop that drives it itself (`PartReader`). A
 * `Component` part's `content` is empty here: the driver binds the content of the machine's current part.
 *
 * @category decoding
 * @since 0.1.0
 */
export const makeDecoder = (limits?: Partial<Limits> | undefined): Machine<Part, EnvelopeError["kind"], EnvelopeError> =>
  new Decoder({ ...defaultLimits, ...limits })

/**
 * How deeply JSON a client sends may nest, unless configured otherwise (`limits.maxJsonDepth`): FDO manifests and
 * DOIP requests nest a dozen levels at most, and code that walks a value (credentials, canonical JSON) must not
 * meet one a hundred thousand levels deep.
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_MAX_JSON_DEPTH = 64

/**
 * Parses a JSON block body into an object, or says why it is not one: strict UTF-8, one JSON object, nesting at
 * most `maxDepth` arrays and objects deep.
 *
 * @category decoding
 * @since 0.1.0
 */
export const parseJsonObject = (body: Uint8Array, maxDepth = DEFAULT_MAX_JSON_DEPTH): Record<string, unknown> | string => {
  let text: string
  try {
    text = strictUtf8.decode(body)
  } catch (error) {
    return `is not valid UTF-8 JSON (${(error as Error).message})`
  }
  return parseJsonObjectText(text, maxDepth)
}

/**
 * Parses JSON text into an object, or says why it is not one. The depth is checked before the text is parsed, so a
 * value too deep is never built.
 *
 * @category decoding
 * @since 0.1.0
 */
export const parseJsonObjectText = (text: string, maxDepth = DEFAULT_MAX_JSON_DEPTH): Record<string, unknown> | string => {
  if (!nestsAtMost(text, maxDepth)) return `nests deeper than ${maxDepth} levels (limits.maxJsonDepth)`
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return `is not valid UTF-8 JSON (${(error as Error).message})`
  }
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : "must hold one JSON object"
}

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const strictUtf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * Whether the brackets of JSON text (outside its strings) nest at most `max` deep. It only counts: text that is not
 * JSON passes here and fails in `JSON.parse`.
 */
const nestsAtMost = (text: string, max: number): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // a backslash: the next character is escaped, whatever it is
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return false
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  return true
}

const layoutOf = (message: Omit<Message<any, any>, "components"> & Pick<Message<any, any>, "components">) => {
  const objectId = textEncoder.encode(message.objectId)
  if (objectId.length > 0xffff) {
    throw new EnvelopeError({ kind: "TooLarge", message: "object id is longer than 65535 bytes" })
  }
  const metadata = (message.metadata ?? []).map((m) => encodeJsonBlock(BlockType.Metadata, m))
  const workflow = (message.workflow ?? []).map((w) => encodeJsonBlock(BlockType.Workflow, w))
  let payloadLength = 0
  for (const block of metadata) payloadLength += block.length
  for (const block of workflow) payloadLength += block.length
  for (const component of message.components ?? []) {
    payloadLength += 5 + 2 + byteLength(component.componentId) + 2 + byteLength(component.mediaType) + 4 +
      component.size
  }
  if (payloadLength > 0xffff_ffff) {
    throw new EnvelopeError({ kind: "TooLarge", message: `payload of ${payloadLength} bytes exceeds 4 GiB - 1` })
  }
  const header = encodeHeader({
    msgType: message.msgType,
    operation: message.operation,
    flags: message.flags ?? 0,
    objectIdLength: objectId.length,
    payloadLength
  })
  const head = new Uint8Array(HEADER_SIZE + objectId.length)
  head.set(header)
  head.set(objectId, HEADER_SIZE)
  return { head, metadata, workflow }
}

const byteLength = (s: string) => Buffer.byteLength(s, "utf8")


/** passes the content through, failing as soon as it is longer, or at its end when shorter, than announced */
const exactlyAnnounced = <E, R>(
  size: number,
  componentId: string,
  content: Stream.Stream<Uint8Array, E, R>
): Stream.Stream<Uint8Array, EnvelopeError | E, R> =>
  exactly(size, content, (seen) =>
    new EnvelopeError({
      kind: "SizeMismatch",
      message: `component ${JSON.stringify(componentId)} announced ${size} bytes but its content had ${seen}`
    }))

type State =
  | { readonly _tag: "Header" }
  | { readonly _tag: "ObjectId"; readonly header: Header }
  | { readonly _tag: "Block" }
  | { readonly _tag: "Json"; readonly blockType: "Metadata" | "Workflow"; readonly length: number }
  | { readonly _tag: "ComponentHeader"; readonly length: number }

// the states without fields are shared: a request passes through them several times
const headerState: State = { _tag: "Header" }
const blockState: State = { _tag: "Block" }
const endPart: Part = { _tag: "End" }

/** the synchronous state machine behind `decode`: it returns a part, asks for input, or says the input ended */
class Decoder extends Machine<Part, EnvelopeError["kind"], EnvelopeError> {
  private state: State = headerState
  private payloadRemaining = 0
  private contentRemaining = 0
  private operation: number | undefined
  private objectId: string | undefined
  private readonly limits: Limits

  constructor(limits: Limits) {
    super()
    this.limits = limits
  }

  protected nextPart(): Step<Part> {
    while (this.contentRemaining > 0) {
      if (this.queue.length === 0) return this.needInput()
      this.contentRemaining -= this.queue.takeSome(this.contentRemaining).length
    }
    for (;;) {
      const state = this.state
      switch (state._tag) {
        case "Header": {
          if (this.queue.length === 0 && this.ended) return undefined
          if (this.queue.length < HEADER_SIZE) return this.needInput()
          // the fields are read where they lie: a header costs no copy
          const queue = this.queue
          const header: Header = {
            version: queue.byteAt(0),
            msgType: queue.byteAt(1),
            operation: queue.byteAt(2),
            flags: queue.byteAt(3),
            objectIdLength: queue.uint16At(4),
            payloadLength: queue.uint32At(6)
          }
          queue.skip(HEADER_SIZE)
          this.operation = header.operation
          this.objectId = undefined
          if (header.version !== VERSION) {
            return this.fail("UnsupportedVersion", `protocol version ${header.version} is not supported (expected 2)`)
          }
          if (header.objectIdLength > this.limits.maxObjectIdLength) {
            return this.fail(
              "TooLarge",
              `object id of ${header.objectIdLength} bytes exceeds the limit of ${this.limits.maxObjectIdLength}`
            )
          }
          if (header.payloadLength > this.limits.maxMessageSize) {
            return this.fail(
              "TooLarge",
              `payload of ${header.payloadLength} bytes exceeds the limit of ${this.limits.maxMessageSize}`
            )
          }
          this.state = { _tag: "ObjectId", header }
          continue
        }
        case "ObjectId": {
          if (this.queue.length < state.header.objectIdLength) return this.needInput()
          const objectId = this.utf8(this.queue.take(state.header.objectIdLength), "object id")
          this.objectId = objectId
          this.payloadRemaining = state.header.payloadLength
          this.state = blockState
          return { _tag: "Head", header: state.header, objectId }
        }
        case "Block": {
          if (this.payloadRemaining === 0) {
            this.state = headerState
            return endPart
          }
          if (this.payloadRemaining < 5) return this.fail("Malformed", "payload ends inside a block header")
          if (this.queue.length < 5) return this.needInput()
          const blockType = this.queue.byteAt(0)
          const length = this.queue.uint32At(1)
          this.queue.skip(5)
          this.payloadRemaining -= 5
          if (length > this.payloadRemaining) {
            return this.fail("Malformed", `block of ${length} bytes is longer than the rest of the payload`)
          }
          this.payloadRemaining -= length
          if (blockType === BlockType.Metadata || blockType === BlockType.Workflow) {
            if (length > this.limits.maxJsonBlockSize) {
              return this.fail(
                "TooLarge",
                `metadata block of ${length} bytes exceeds the limit of ${this.limits.maxJsonBlockSize}`
              )
            }
            this.state = {
              _tag: "Json",
              blockType: blockType === BlockType.Metadata ? "Metadata" : "Workflow",
              length
            }
            continue
          }
          if (blockType === BlockType.Component) {
            if (length < 8) return this.fail("Malformed", "component block is shorter than its own header")
            this.state = { _tag: "ComponentHeader", length }
            continue
          }
          return this.fail("Malformed", `unknown block type 0x${blockType.toString(16).padStart(2, "0")}`)
        }
        case "Json": {
          if (this.queue.length < state.length) return this.needInput()
          this.state = blockState
          return { _tag: state.blockType, body: this.queue.take(state.length) }
        }
        case "ComponentHeader": {
          return this.componentHeader(state.length)
        }
      }
    }
  }

  override read(generation: number): Step<Arr.NonEmptyArray<Uint8Array>> {
    this.throwIfFailed()
    if (generation !== this.generation) {
      // a stale read is the reader's mistake, not a broken framing: it does not poison the decoder
      throw new EnvelopeError({ kind: "ContentConsumed", message: "component content read after the decoder moved on" })
    }
    if (this.contentRemaining === 0) return undefined
    if (this.queue.length === 0) return this.needInput()
    const before = this.queue.length
    const out = this.queue.takeViews(this.contentRemaining)
    this.contentRemaining -= before - this.queue.length
    return out
  }

  /**
   * Reads the component header only once all of its small fields are buffered: the id and media type lengths are
   * read without consuming, so a partial header simply waits for more input.
   */
  private componentHeader(blockLength: number): Step<Part> {
    const queue = this.queue
    if (queue.length < 2) return this.needInput()
    const idLength = queue.uint16At(0)
    if (idLength > this.limits.maxComponentIdLength) {
      return this.fail(
        "TooLarge",
        `component id of ${idLength} bytes exceeds the limit of ${this.limits.maxComponentIdLength}`
      )
    }
    if (2 + idLength + 2 + 4 > blockLength) return this.fail("Malformed", "component header overruns its block")
    if (queue.length < 2 + idLength + 2) return this.needInput()
    const mediaTypeLength = queue.uint16At(2 + idLength)
    const fixed = 2 + idLength + 2 + mediaTypeLength + 4
    if (fixed > blockLength) return this.fail("Malformed", "component header overruns its block")
    if (queue.length < fixed) return this.needInput()
    const size = queue.uint32At(fixed - 4)
    queue.skip(2)
    const componentId = this.utf8(queue.take(idLength), "component id")
    queue.skip(2)
    const mediaType = this.utf8(queue.take(mediaTypeLength), "media type")
    queue.skip(4)
    if (fixed + size !== blockLength) {
      return this.fail(
        "Malformed",
        `component ${JSON.stringify(componentId)} announces ${size} bytes but its block holds ${blockLength - fixed}`
      )
    }
    if (size > this.limits.maxComponentSize) {
      return this.fail(
        "TooLarge",
        `component of ${size} bytes exceeds the limit of ${this.limits.maxComponentSize}`
      )
    }
    this.contentRemaining = size
    this.state = blockState
    return {
      _tag: "Component",
      componentId,
      mediaType: mediaType === "" ? "application/octet-stream" : mediaType,
      size,
      last: this.payloadRemaining === 0,
      content: Stream.empty // replaced by `decode` with a stream bound to this generation
    }
  }

  private utf8(bytes: Uint8Array, what: string): string {
    try {
      return strictUtf8.decode(bytes)
    } catch {
      return this.fail("Malformed", `${what} is not valid UTF-8`)
    }
  }

  protected error(kind: EnvelopeError["kind"], message: string): EnvelopeError {
    return new EnvelopeError({ kind, message, operation: this.operation, objectId: this.objectId })
  }
}

