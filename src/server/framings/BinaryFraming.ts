/**
 * The binary envelope (PROTOCOL.md §1) as a framing of the request loop (`Listener.ts`): any number of requests on a
 * connection, answered strictly in order.
 *
 * A request is its header and object id, its metadata blocks (merged, the first block winning), and then either the
 * end of the message or its first component, whose content the handler streams straight from the socket. The
 * operation is the one named in the metadata (`{"operation": "hello"}`, as the upstream client sends it), else the
 * header's code.
 *
 * An answer echoes the request's operation code, flags and object id; when the code names no operation and the
 * metadata named one (upstream's tests send 0x99 with `{"operation": "hello"}`), it carries the code of the operation
 * performed instead, as the upstream server answers. A `DoipError` is an error
 * envelope (`msgType 0x7F`, `{error, message}`, with the request's own code, as upstream's) and the connection stays
 * open; a framing error (bad version, oversize field, malformed block, truncation) is answered the same way and the
 * connection is closed.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Socket from "effect/socket/Socket"
import * as Stream from "effect/Stream"
import * as Envelope from "../../protocol/binary/Codec.ts"
import { concat } from "../../protocol/ByteQueue.ts"
import * as Credentials from "../../protocol/Credentials.ts"
import { DoipError } from "../../protocol/DoipError.ts"
import { type DoipRequest, type DoipResponse, type IncomingComponent, noComponents } from "../../protocol/DoipMessage.ts"
import * as PartReader from "../../protocol/PartReader.ts"
import { type Connection, type ConnectionError, eventsUnsupported, type Exchange, type Framing, type Incoming } from "../Listener.ts"
import { type Operation, type Operations } from "../OperationRegistry.ts"
import { anyToOpen, nothingOpened, type Opened, queueable, streamContent, whenReadable } from "./Content.ts"

/**
 * @category framings
 * @since 0.1.0
 */
export const framing: Framing = {
  name: "binary",
  open: (connection) => new BinaryExchange(connection)
}

/**
 * The bytes of an error envelope answering a request with `header` and `objectId`.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeError = (header: Pick<Envelope.Header, "operation" | "flags">, objectId: string, error: DoipError) =>
  Envelope.encodeSync({
    msgType: Envelope.MessageType.Error,
    operation: header.operation,
    flags: header.flags,
    objectId,
    metadata: [{ error: error.kind, message: error.message }]
  })

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

type Reader = PartReader.PartReader<Envelope.Part, Envelope.EnvelopeError, Socket.SocketError>
type ReadError = Envelope.EnvelopeError | Socket.SocketError

interface Reading {
  metadata: Record<string, unknown> | undefined
  workflow: Record<string, unknown> | undefined
  error: DoipError | undefined
}

const truncated = () =>
  new Envelope.EnvelopeError({ kind: "Truncated", message: "the connection ended inside a message" })

class BinaryExchange implements Exchange<Envelope.EnvelopeError> {
  private readonly reader: Reader
  private readonly connection: Connection
  /** the request being answered */
  private head: Envelope.Head | undefined
  /** the request's header, with the code of the operation performed when its metadata named another one */
  private answerHeader: Envelope.Header | undefined
  /** whether the end of the current message was read */
  private ended = true

  constructor(connection: Connection) {
    this.connection = connection
    const { limits } = connection
    this.reader = PartReader.make(
      Envelope.makeDecoder({
        maxObjectIdLength: limits.maxObjectIdLength,
        maxJsonBlockSize: limits.maxMetadataSize,
        maxMessageSize: limits.maxMessageSize,
        maxComponentSize: limits.maxComponentSize
      }),
      Envelope.isEnvelopeError,
      connection.input
    )
  }

  readonly isFramingError = Envelope.isEnvelopeError

  /**
   * Reads the header, the object id and the metadata blocks up to the first component or the end of the message,
   * synchronously while they are buffered (a request that arrived whole costs no waiting), and builds the request.
   */
  readonly next: Effect.Effect<Incoming | undefined, ReadError> = Effect.suspend(() => this.advance())

  get skipRest(): Effect.Effect<void, ReadError> | undefined {
    if (this.ended) return undefined
    const self = this
    return Effect.gen(function*() {
      while (!self.ended) yield* self.nextPart
    })
  }

  respond(response: DoipResponse) {
    if (response.events !== undefined) {
      this.respondError(eventsUnsupported(this.head!.objectId))
      return Effect.void
    }
    const { objectId } = this.head!
    const header = this.answerHeader ?? this.head!.header
    if (!anyToOpen(response.components)) return writeResponse(this.connection, header, objectId, response, nothingOpened)
    // the header promises every component's bytes: the first is proven readable before it is queued
    return whenReadable(response.components, this.refuse, (opened) =>
      writeResponse(this.connection, header, objectId, response, opened))
  }

  respondError(error: DoipError) {
    this.connection.output.queue(encodeError(this.head!.header, this.head!.objectId, error))
  }

  /** a response whose content cannot be opened is answered with the error instead */
  private readonly refuse = (error: DoipError) => this.respondError(error)

  framingError(error: Envelope.EnvelopeError) {
    return Envelope.encodeSync({
      msgType: Envelope.MessageType.Error,
      operation: error.operation ?? 0,
      objectId: error.objectId ?? "",
      metadata: [{ error: error.kind === "TooLarge" ? "TooLarge" : "ProtocolError", message: error.message }]
    })
  }

  /** the next part of the current message, `End` included */
  private get nextPart(): Effect.Effect<Exclude<Envelope.Part, Envelope.Head>, ReadError> {
    return Effect.flatMap(this.reader.next, (part) => {
      if (part === undefined) return Effect.fail(truncated())
      if (part._tag === "Head") return Effect.die(new Error("decoder emitted Head inside a message"))
      if (part._tag === "End") this.ended = true
      return Effect.succeed(part)
    })
  }

  /** the request being read, between its head and its first component or end */
  private reading: Reading | undefined

  /** `advance` once more input arrived: bound once, not a closure per wait */
  private readonly advanceAgain = () => this.advance()

  private advance(): Effect.Effect<Incoming | undefined, ReadError> {
    for (;;) {
      let part: Envelope.Part | undefined | typeof PartReader.NeedInput
      try {
        part = this.reader.poll()
      } catch (error) {
        return Envelope.isEnvelopeError(error) ? Effect.fail(error) : Effect.die(error)
      }
      if (part === PartReader.NeedInput) return Effect.flatMap(this.reader.fill, this.advanceAgain)
      const reading = this.reading
      if (reading === undefined) {
        if (part === undefined) return Effect.succeed(undefined) // the client closed cleanly
        if (part._tag !== "Head") return Effect.die(new Error(`decoder emitted ${part._tag} before Head`))
        this.head = part
        this.answerHeader = undefined
        this.ended = false
        this.reading = { metadata: undefined, workflow: undefined, error: undefined }
        continue
      }
      if (part === undefined) return Effect.fail(truncated())
      switch (part._tag) {
        case "Head":
          return Effect.die(new Error("decoder emitted Head inside a message"))
        case "End":
          this.ended = true
          return Effect.succeed(this.build(reading, undefined))
        case "Component":
          return Effect.succeed(this.build(reading, this.incoming(part)))
        default: {
          const parsed = Envelope.parseJsonObject(part.body, this.connection.limits.maxJsonDepth)
          if (typeof parsed === "string") {
            reading.error ??= new DoipError({ kind: "BadRequest", message: `${part._tag.toLowerCase()} block ${parsed}` })
          } else if (part._tag === "Workflow") reading.workflow ??= parsed
          // blocks merge with the first one winning, as upstream reads them
          else reading.metadata = reading.metadata === undefined ? parsed : { ...parsed, ...reading.metadata }
        }
      }
    }
  }

  private build(reading: Reading, first: IncomingComponent | undefined): Incoming {
    this.reading = undefined
    const head = this.head!
    const { credentials, rest } = Credentials.split(reading.metadata ?? {})
    const operation = operationOf(this.connection.operations, head.header, rest)
    let error = reading.error
    if (typeof operation === "string") error ??= new DoipError({ kind: "UnsupportedOperation", message: operation })
    if (head.header.msgType !== Envelope.MessageType.Request) {
      error ??= new DoipError({
        kind: "BadRequest",
        message: `expected a request (msgType 0x01), got 0x${head.header.msgType.toString(16)}`
      })
    }
    if (error !== undefined || typeof operation === "string") return { _tag: "Invalid", error: error! }
    // a header code naming no operation (upstream's tests send 0x99 with a named hello) is answered with the code of
    // the operation performed, as upstream does; a code naming one is echoed, as PROTOCOL.md says
    this.answerHeader = operation.code === undefined || this.connection.operations.byCode(head.header.operation) !== undefined
      ? undefined
      : { ...head.header, operation: operation.code }
    const request: DoipRequest = {
      operation: operation.name,
      objectId: head.objectId,
      attributes: rest,
      credentials,
      input: undefined,
      workflow: reading.workflow,
      // most requests carry no component: they share one source that has none
      nextComponent: first === undefined && this.ended ? noComponents : this.nextComponent(first),
      endpoint: this.connection.endpoint,
      peer: this.connection.peer
    }
    return { _tag: "Request", operation, request }
  }

  /** components after the first are read when the handler asks; workflow blocks after them are skipped */
  private nextComponent(first: IncomingComponent | undefined): Effect.Effect<IncomingComponent | undefined, DoipError> {
    let pending = first
    const self = this
    return Effect.gen(function*() {
      if (pending !== undefined) {
        const component = pending
        pending = undefined
        return component
      }
      while (!self.ended) {
        const part = yield* self.nextPart
        if (part._tag === "Component") return self.incoming(part)
      }
      return undefined
    }).pipe(Effect.mapError(toProtocolError))
  }

  private incoming(part: Envelope.ComponentPart<never>): IncomingComponent {
    return {
      componentId: part.componentId,
      mediaType: part.mediaType,
      size: part.size,
      last: part.last,
      content: this.reader.content().pipe(Stream.mapError(toProtocolError))
    }
  }
}

/** the operation: by name in the metadata when given (as the upstream client does), else by the header's code */
const operationOf = (
  operations: Operations["Service"],
  header: Envelope.Header,
  metadata: Readonly<Record<string, unknown>>
): Operation | string => {
  const named = metadata["operation"]
  if (named !== undefined) {
    return (typeof named === "string" ? operations.get(named) : undefined) ??
      `operation ${JSON.stringify(named)} is not offered by this server`
  }
  return operations.byCode(header.operation) ??
    `operation code 0x${header.operation.toString(16).padStart(2, "0")} is not offered by this server`
}

const toProtocolError = (error: ReadError | DoipError): DoipError =>
  error._tag === "DoipError" ? error : new DoipError({
    kind: "ProtocolError",
    message: Envelope.isEnvelopeError(error) ? error.message : "the connection failed while reading the request"
  })

/** the encoded metadata and workflow blocks of responses that are answered again and again (hello, list_ops) */
const blocksOfCacheable = new WeakMap<DoipResponse, Blocks>()

interface Blocks {
  readonly metadata: Uint8Array
  readonly workflow: Uint8Array
  /** the whole last answer with these blocks, and the request header fields it echoes (`operation << 8 | flags`) */
  last?: { readonly echo: number; readonly objectId: string; readonly bytes: Uint8Array } | undefined
}

const blocksOf = (response: DoipResponse): Blocks => {
  // an element retrieve has neither: nothing to encode
  if (response.metadata.length === 0 && response.workflow.length === 0) return noBlocks
  const cached = response.cacheable ? blocksOfCacheable.get(response) : undefined
  if (cached !== undefined) return cached
  const blocks: Blocks = {
    metadata: concat(response.metadata.map((m) => Envelope.encodeJsonBlock(Envelope.BlockType.Metadata, m))),
    workflow: concat(response.workflow.map((w) => Envelope.encodeJsonBlock(Envelope.BlockType.Workflow, w)))
  }
  if (response.cacheable) blocksOfCacheable.set(response, blocks)
  return blocks
}

const noBlocks: Blocks = { metadata: new Uint8Array(0), workflow: new Uint8Array(0) }

/**
 * Header, object id and metadata blocks go out in one write with the first component's header; each component's
 * content streams behind its header; the workflow blocks close the message.
 */
const writeResponse = (
  connection: Connection,
  header: Envelope.Header,
  objectId: string,
  response: DoipResponse,
  opened: Opened
): Effect.Effect<void, ConnectionError<never>> =>
  Effect.suspend(() => {
    const { output } = connection
    const blocks = blocksOf(response)
    // a cacheable answer to the same header (every hello) is the same bytes: they are sent again as they are
    const echo = header.operation << 8 | header.flags
    const last = blocks.last
    if (last !== undefined && last.echo === echo && last.objectId === objectId) {
      output.queue(last.bytes)
      return output.flushIfFull
    }
    const id = objectId === "" ? empty : Buffer.from(objectId, "utf8")
    const componentHeaders = response.components.map(Envelope.componentHeader)
    let payloadLength = blocks.metadata.length + blocks.workflow.length
    for (let i = 0; i < componentHeaders.length; i++) {
      payloadLength += componentHeaders[i]!.length + response.components[i]!.size
    }
    // header, object id and metadata in one buffer, from Node's pool of small buffers (no zero-filling, no backing
    // store of its own: an allocation per answer the garbage collector barely notices)
    const head = Envelope.encodeHeader({
      msgType: Envelope.MessageType.Response,
      operation: header.operation,
      flags: header.flags,
      objectIdLength: id.length,
      payloadLength
    }, Buffer.allocUnsafe(Envelope.HEADER_SIZE + id.length + blocks.metadata.length))
    head.set(id, Envelope.HEADER_SIZE)
    head.set(blocks.metadata, Envelope.HEADER_SIZE + id.length)
    output.queue(head)
    if (response.components.length === 0) {
      if (response.cacheable) {
        blocks.last = { echo, objectId, bytes: blocks.workflow.length > 0 ? concat([head, blocks.workflow]) : head }
      }
      if (blocks.workflow.length > 0) output.queue(blocks.workflow)
      return output.flushIfFull
    }
    const writeFrom = (i: number): Effect.Effect<void, ConnectionError<never>> => {
      // content already in memory (a small stored component) joins the queue with no effect to run
      for (; i < componentHeaders.length; i++) {
        const bytes = queueable(response.components[i]!)
        if (bytes === undefined) break
        output.queue(componentHeaders[i]!)
        output.queue(bytes)
      }
      if (i < componentHeaders.length) {
        output.queue(componentHeaders[i]!)
        return Effect.andThen(streamContent(output, response.components[i]!, opened[i], same), () => writeFrom(i + 1))
      }
      if (blocks.workflow.length > 0) output.queue(blocks.workflow)
      return output.flushIfFull
    }
    return writeFrom(0)
  })

const empty = new Uint8Array(0)

/** the binary envelope frames content as it is */
const same = <A>(chunks: A): A => chunks
