/**
 * DOIP v2.0 segments (PROTOCOL.md §2) as a framing of the request loop (`Listener.ts`), on port + 1: any number of
 * messages per connection, answered strictly in order, each answer echoing its request's `requestId`. Pipelined
 * requests are read while earlier answers wait in the connection's output, and go out together.
 *
 * A request is its first JSON segment (`requestId`, `clientId`, `targetId`, `operationId`, `attributes`,
 * `authentication`, `input`) and its input: the compact `input`, or the segments after it. The first input segment,
 * when JSON, is the request's `input` (a digital object for create and update); then come the elements, each a
 * `{"id": ...}` JSON segment followed by a bytes segment, handed to the handler one at a time as they stream in.
 *
 * Errors: a bad request (bad JSON, an unknown key, a compact input followed by segments) gets status 101 and the
 * connection stays open, because the segment framing still tells where the message ends. A framing error gets 101
 * and the connection is closed.
 *
 * @since 0.1.0
 */
import * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import type * as Socket from "effect/socket/Socket"
import * as Stream from "effect/Stream"
import { concat } from "../../protocol/ByteQueue.ts"
import * as Credentials from "../../protocol/Credentials.ts"
import * as SegmentCodec from "../../protocol/doip2/Codec.ts"
import { badRequest, DoipError } from "../../protocol/DoipError.ts"
import { type DoipRequest, type DoipResponse, type IncomingComponent, noComponents, outputOf } from "../../protocol/DoipMessage.ts"
import * as DoipStatus from "../../protocol/DoipStatus.ts"
import * as PartReader from "../../protocol/PartReader.ts"
import type { Connection, ConnectionError, Exchange, Framing, Incoming } from "../Listener.ts"
import type { Operation } from "../OperationRegistry.ts"
import {
  anyToOpen,
  nothingOpened,
  type OpenContent,
  type Opened,
  queueable,
  streamContent,
  whenReadable
} from "./Content.ts"

/**
 * @category framings
 * @since 0.1.0
 */
export const framing: Framing = {
  name: "doip2",
  open: (connection) => new Doip2Exchange(connection)
}

/**
 * An error answer: the status of the error's kind, its text in `attributes.message`.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeError = (requestId: unknown, error: DoipError): Uint8Array =>
  concat([
    SegmentCodec.encodeJson({
      ...(requestId === undefined ? {} : { requestId }),
      status: DoipStatus.fromErrorKind(error.kind),
      attributes: { message: error.message, error: error.kind }
    }),
    SegmentCodec.endOfMessage
  ])

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

type ReadError = SegmentCodec.SegmentError | Socket.SocketError
type Segment = SegmentCodec.JsonSegment | SegmentCodec.BytesSegment<never>

const requestKeys = new Set(["requestId", "clientId", "targetId", "operationId", "attributes", "authentication", "input"])

class Doip2Exchange implements Exchange<SegmentCodec.SegmentError> {
  private readonly reader: PartReader.PartReader<SegmentCodec.Part, SegmentCodec.SegmentError, Socket.SocketError>
  private readonly connection: Connection
  /** the `requestId` of the request being answered, also for a framing error's answer */
  private requestId: unknown = undefined
  private ended = true

  constructor(connection: Connection) {
    this.connection = connection
    const { limits } = connection
    this.reader = PartReader.make(
      SegmentCodec.makeDecoder({
        maxJsonSegmentSize: limits.maxMetadataSize,
        maxSegmentsPerMessage: limits.maxSegmentsPerMessage,
        maxChunkSize: limits.maxComponentSize,
        maxBytesSegmentSize: limits.maxComponentSize,
        maxMessageSize: limits.maxMessageSize
      }),
      SegmentCodec.isSegmentError,
      connection.input
    )
  }

  readonly isFramingError = SegmentCodec.isSegmentError

  /**
   * Reads the first segment and the first input segment, synchronously while they are buffered (a request that
   * arrived whole costs no waiting), and builds the request. A `DoipError` is answered; a framing or socket error
   * ends the connection.
   */
  readonly next: Effect.Effect<Incoming | undefined, ReadError> = Effect.suspend(() => this.advance())

  get skipRest(): Effect.Effect<void, ReadError> | undefined {
    if (this.ended) return undefined
    const self = this
    return Effect.gen(function*() {
      while ((yield* self.pull) !== undefined) {
        // skipped: the decoder drops unread bytes content itself
      }
    })
  }

  respond(response: DoipResponse) {
    const requestId = this.requestId
    if (response.events !== undefined) return this.streamEvents(requestId, response, response.events)
    if (!anyToOpen(response.components)) return writeResponse(this.connection, requestId, response, nothingOpened)
    // `Status.001` promises the content: it is opened before the first segment is queued
    return whenReadable(response.components, this.refuse, (opened) =>
      writeResponse(this.connection, requestId, response, opened))
  }

  respondError(error: DoipError) {
    this.connection.output.queue(encodeError(this.requestId, error))
  }

  /** a response whose content cannot be opened is answered with the error instead */
  private readonly refuse = (error: DoipError) => this.respondError(error)

  /**
   * A long-lived answer: its first segment at once, then one JSON segment per event, each written as it comes (and
   * awaited: a client that stops reading holds the events back, and the connection's write deadline closes it once
   * a write has waited for the idle timeout). Between events the connection waits on the server, which no deadline
   * counts. Meanwhile its input is watched: the client closing the connection, or sending anything (its next
   * request, which the loop reads next), ends the answer. A stream that fails ends it with a last segment
   * `{error, message}`; the connection stays open.
   */
  private streamEvents(
    requestId: unknown,
    response: DoipResponse,
    events: Stream.Stream<Readonly<Record<string, unknown>>, DoipError>
  ): Effect.Effect<void, ConnectionError<never>> {
    const { inputWhileAnswering, output } = this.connection
    output.queue(firstSegment(requestId, tailOf(response.attributes, undefined)))
    const written = events.pipe(
      Stream.runForEachArray((batch) => {
        for (let i = 0; i < batch.length; i++) output.queue(SegmentCodec.encodeJson(batch[i]))
        return output.flush
      }),
      Effect.catchTag("DoipError", (error) =>
        Effect.sync(() => output.queue(SegmentCodec.encodeJson({ error: error.kind, message: error.message }))))
    )
    const clientMoved = Effect.map(inputWhileAnswering, (batch) => this.reader.feed(batch))
    return output.flush.pipe(
      Effect.andThen(Effect.raceFirst(written, clientMoved)),
      Effect.andThen(Effect.suspend(() => {
        output.queue(SegmentCodec.endOfMessage)
        return output.flush
      }))
    )
  }

  framingError(error: SegmentCodec.SegmentError) {
    return encodeError(this.requestId, new DoipError({ kind: "ProtocolError", message: error.message }))
  }

  /** the request being read: its first segment is read and valid, its first input segment is not yet */
  private reading: Head | undefined

  /** `advance` once more input arrived: bound once, not a closure per wait */
  private readonly advanceAgain = () => this.advance()

  private advance(): Effect.Effect<Incoming | undefined, ReadError> {
    for (;;) {
      let part: SegmentCodec.Part | undefined | typeof PartReader.NeedInput
      try {
        part = this.ended && this.reading !== undefined ? undefined : this.reader.poll()
      } catch (error) {
        return SegmentCodec.isSegmentError(error) ? Effect.fail(error) : Effect.die(error)
      }
      if (part === PartReader.NeedInput) return Effect.flatMap(this.reader.fill, this.advanceAgain)
      const head = this.reading
      if (head === undefined) {
        if (part === undefined) return Effect.succeed(undefined) // the client closed cleanly
        this.requestId = undefined
        this.ended = part._tag === "End"
        const first = this.first(part)
        if (first instanceof DoipError) return Effect.succeed({ _tag: "Invalid", error: first })
        this.reading = first
        continue
      }
      if (part === undefined && !this.ended) return Effect.fail(truncated())
      this.reading = undefined
      if (part !== undefined && part._tag === "End") this.ended = true
      const input = this.input(head, part === undefined || part._tag === "End" ? undefined : part)
      if (input instanceof DoipError) return Effect.succeed({ _tag: "Invalid", error: input })
      const request: DoipRequest = {
        operation: head.operation.name,
        objectId: head.targetId,
        attributes: head.attributes,
        credentials: head.credentials,
        input: input.json,
        workflow: undefined,
        // most requests carry no element: they share one source that has none
        nextComponent: input.bytes === undefined && this.ended ? noComponents : this.components(input.bytes),
        endpoint: this.connection.endpoint,
        peer: this.connection.peer
      }
      return Effect.succeed({ _tag: "Request", operation: head.operation, request })
    }
  }

  /** the request's first segment, checked; every failure is a bad request, the framing is intact */
  private first(part: SegmentCodec.Part): Head | DoipError {
    if (part._tag !== "Json") {
      return badRequest(part._tag === "End"
        ? "empty message: a request starts with a JSON segment"
        : "a request starts with a JSON segment, not a bytes segment")
    }
    const head = SegmentCodec.parseJsonObject(part.body, this.connection.limits.maxJsonDepth)
    if (typeof head === "string") return badRequest(`first segment: ${head}`)
    this.requestId = head["requestId"]
    for (const key in head) {
      if (!requestKeys.has(key)) {
        const unknown = Object.keys(head).filter((key) => !requestKeys.has(key))
        return badRequest(`unknown request key ${unknown.map((k) => JSON.stringify(k)).join(", ")}`)
      }
    }
    const operationId = head["operationId"]
    if (typeof operationId !== "string" || operationId === "") {
      return badRequest(`"operationId" must be a non-empty string`)
    }
    const targetId = optional(head, "targetId", "string", "")
    if (targetId instanceof DoipError) return targetId
    const attributes = optional(head, "attributes", "object", {})
    if (attributes instanceof DoipError) return attributes
    const clientId = optional(head, "clientId", "string", undefined)
    if (clientId instanceof DoipError) return clientId
    const authentication = optional(head, "authentication", "object", undefined)
    if (authentication instanceof DoipError) return authentication
    const operation = this.connection.operations.byDoipId(operationId)
    if (operation === undefined) {
      return new DoipError({ kind: "UnsupportedOperation", message: `operation ${operationId} is not supported` })
    }
    const { credentials } = authentication === undefined
      ? noCredentials
      : Credentials.split({ ...(clientId === undefined ? {} : { username: clientId }), ...authentication })
    return {
      operation,
      targetId,
      attributes,
      credentials,
      compact: Object.hasOwn(head, "input") ? { json: head["input"] } : undefined
    }
  }

  /**
   * The request's input from the segment after the first (`undefined` at the end of the message): a compact input
   * must end the message; otherwise a JSON segment is the input and a bytes segment the first (unnamed) element.
   */
  private input(head: Head, part: Segment | undefined) {
    if (head.compact !== undefined) {
      return part === undefined
        ? { json: head.compact.json, bytes: undefined }
        : badRequest("a request with a compact \"input\" takes no further segments")
    }
    if (part === undefined) return { json: undefined, bytes: undefined }
    if (part._tag === "Bytes") return { json: undefined, bytes: this.incoming({ id: "" }) }
    const json = SegmentCodec.parseJsonObject(part.body, this.connection.limits.maxJsonDepth)
    if (typeof json === "string") return badRequest(`input segment: ${json}`)
    return { json, bytes: undefined }
  }

  /** the elements: `{"id": ...}` then a bytes segment, each; an input that starts with bytes is one unnamed element */
  private components(pending: IncomingComponent | undefined) {
    const self = this
    let unnamed = pending
    return Effect.gen(function*() {
      if (unnamed !== undefined) {
        const bytes = unnamed
        unnamed = undefined
        return bytes
      }
      const part = yield* self.pull
      if (part === undefined) return undefined
      if (part._tag === "Bytes") return self.incoming({ id: "" })
      const header = SegmentCodec.parseJsonObject(part.body, self.connection.limits.maxJsonDepth)
      if (typeof header === "string") return yield* badRequest(`element segment: ${header}`)
      if (typeof header["id"] !== "string") return yield* badRequest(`an element segment needs an "id" string`)
      const bytes = yield* self.pull
      if (bytes?._tag !== "Bytes") {
        return yield* badRequest(`element ${JSON.stringify(header["id"])} must be followed by a bytes segment`)
      }
      return self.incoming(header)
    }).pipe(Effect.mapError(toDoipError))
  }

  /** the next segment of the current message, `undefined` at its end */
  private get pull(): Effect.Effect<Segment | undefined, ReadError> {
    if (this.ended) return Effect.undefined
    return Effect.flatMap(this.reader.next, (part) => {
      if (part === undefined) return Effect.fail(truncated())
      if (part._tag === "End") {
        this.ended = true
        return Effect.undefined
      }
      return Effect.succeed(part)
    })
  }

  /** the element whose bytes segment the decoder is at now */
  private incoming(header: Readonly<Record<string, unknown>>): IncomingComponent {
    const mediaType = header["type"] ?? header["mediaType"]
    return {
      componentId: String(header["id"]),
      mediaType: typeof mediaType === "string" && mediaType !== "" ? mediaType : undefined,
      size: undefined,
      last: undefined,
      content: this.reader.content().pipe(Stream.mapError(toDoipError))
    }
  }
}

const noCredentials = { credentials: undefined } as const

const optional = <T extends "string" | "object", D>(
  head: Readonly<Record<string, unknown>>,
  key: string,
  type: T,
  fallback: D
): (T extends "string" ? string : Record<string, unknown>) | D | DoipError => {
  const value = head[key]
  if (value === undefined) return fallback
  const ok = type === "string" ? typeof value === "string" : typeof value === "object" && value !== null && !Array.isArray(value)
  return ok
    ? (value as T extends "string" ? string : Record<string, unknown>)
    : badRequest(`"${key}" must be ${type === "string" ? "a string" : "a JSON object"}`)
}

const truncated = () =>
  new SegmentCodec.SegmentError({ kind: "Truncated", message: "the connection ended inside a message" })

/** what the first segment of a request says */
interface Head {
  readonly operation: Operation
  readonly targetId: string
  readonly attributes: Record<string, unknown>
  readonly credentials: Credentials.Credentials | undefined
  /** the compact `input`, when the request has one */
  readonly compact: { readonly json: unknown } | undefined
}

const toDoipError = (error: DoipError | ReadError): DoipError =>
  error._tag === "DoipError" ? error : new DoipError({
    kind: "ProtocolError",
    message: SegmentCodec.isSegmentError(error) ? error.message : "the connection failed while reading the request"
  })

// -----------------------------------------------------------------------------
// encoding
// -----------------------------------------------------------------------------

const ok = DoipStatus.Status.ok

/**
 * The segments of a DOIP v2.0 response: the first segment (`requestId`, `status`, `attributes`, compact `output`),
 * then the output segments, then the end of the message.
 *
 * - no components: the output is compact (the `output` rendering, or the single metadata block);
 * - one component and nothing else (an element retrieve): one bytes segment, its name in `attributes.filename`;
 * - otherwise: the output JSON, then per component `{"id","type","length"}` and a bytes segment, then the workflow
 *   blocks.
 */
const writeResponse = (
  connection: Connection,
  requestId: unknown,
  response: DoipResponse,
  opened: Opened
): Effect.Effect<void, ConnectionError<never>> =>
  Effect.suspend(() => {
    const { output } = connection
    const { components, workflow } = response
    const rendered = outputOf(response)
    if (components.length === 0 && workflow.length === 0) {
      if (!response.cacheable) output.queue(firstSegment(requestId, tailOf(response.attributes, rendered) + "#\n"))
      else {
        // the same answer to every request but for its id: the id's few bytes, then the tail encoded once
        output.queue(segmentStart(requestId))
        output.queue(compactTail(response, rendered))
      }
      return output.flushIfFull
    }
    if (components.length === 1 && rendered === undefined && workflow.length === 0) {
      const [only] = components as [DoipResponse["components"][0]]
      const attributes = { filename: only.componentId, mediaType: only.mediaType, length: only.size, ...response.attributes }
      const bytes = queueable(only)
      if (bytes !== undefined && bytes.length > 0) {
        // content in memory (a small stored component): the first segment and the bytes segment's opening lines in
        // one string, the content as it is, the closing lines; no effect to run
        output.queue(Buffer.from(`${segmentStartText(requestId)}${tailOf(attributes, undefined)}@\n${bytes.length}\n`, "utf8"))
        output.queue(bytes)
        output.queue(bytesEnd)
        return output.flushIfFull
      }
      output.queue(firstSegment(requestId, tailOf(attributes, undefined)))
      return Effect.andThen(writeBytes(connection, only, opened[0]), () => {
        output.queue(SegmentCodec.endOfMessage)
        return output.flushIfFull
      })
    }
    output.queue(firstSegment(requestId, tailOf(response.attributes, undefined)))
    if (rendered !== undefined) output.queue(SegmentCodec.encodeJson(rendered))
    return Effect.gen(function*() {
      for (let i = 0; i < components.length; i++) {
        const component = components[i]!
        output.queue(SegmentCodec.encodeJson({
          id: component.componentId,
          type: component.mediaType,
          length: component.size,
          attributes: component.attributes ?? { filename: component.componentId }
        }))
        yield* writeBytes(connection, component, opened[i])
      }
      for (const block of workflow) output.queue(SegmentCodec.encodeJson(block))
      output.queue(SegmentCodec.endOfMessage)
      yield* output.flushIfFull
    })
  })

/**
 * The bytes of a cacheable response's compact first segment after `{"requestId": ...,`: status, attributes and
 * output, then the end of the segment and of the message. Encoded once per response.
 */
const compactTail = (response: DoipResponse, rendered: unknown): Uint8Array => {
  let tail = compactTails.get(response)
  if (tail === undefined) {
    tail = Buffer.from(tailOf(response.attributes, rendered) + "#\n", "utf8")
    compactTails.set(response, tail)
  }
  return tail
}

const compactTails = new WeakMap<DoipResponse, Uint8Array>()

/** `{"requestId":<id>,`, or `{` without an id */
const segmentStart = (requestId: unknown): Uint8Array => Buffer.from(segmentStartText(requestId), "utf8")

/** `{"requestId":<id>,`, or `{` without an id: what a first segment starts with before its tail */
const segmentStartText = (requestId: unknown): string =>
  requestId === undefined ? "{" : `{"requestId":${JSON.stringify(requestId)},`

/** `"status":...}\n#\n`, with attributes and compact output when given */
const tailOf = (attributes: Readonly<Record<string, unknown>> | undefined, compactOutput: unknown): string => {
  const text = JSON.stringify({
    status: ok,
    ...(attributes === undefined || Object.keys(attributes).length === 0 ? {} : { attributes }),
    ...(compactOutput === undefined ? {} : { output: compactOutput })
  })
  return text.slice(1) + "\n#\n"
}

// Buffer.from takes small strings from Node's pool of small buffers
const firstSegment = (requestId: unknown, tail: string): Uint8Array =>
  Buffer.from(segmentStartText(requestId) + tail, "utf8")

/** a bytes segment: `@\n`, then `<size>\n<data>\n` per chunk (at most 1 MiB each), then `#\n` once all arrived */
const writeBytes = (connection: Connection, component: DoipResponse["components"][0], opened: OpenContent | undefined) => {
  const { output } = connection
  let owed = SegmentCodec.bytesStart
  const frame = (chunks: Arr.NonEmptyReadonlyArray<Uint8Array>): Arr.NonEmptyReadonlyArray<Uint8Array> => {
    const framed = SegmentCodec.frameChunks(owed, chunks, MAX_CHUNK)
    owed = framed.owed
    return Arr.isArrayNonEmpty(framed.out) ? framed.out : [new Uint8Array(0)]
  }
  return Effect.andThen(
    streamContent(output, component, opened, frame),
    Effect.sync(() => {
      // the segment's first line (empty content), or the newline after the last chunk, then the segment's end
      output.queue(owed)
      output.queue(SegmentCodec.endOfMessage)
    })
  )
}

/** after a bytes segment's one chunk: the chunk's newline, the segment's `#` and the message's `#` */
const bytesEnd: Uint8Array = Buffer.from("\n#\n#\n", "latin1")

/** chunks on the wire are at most this long: the size the content writer reads in */
const MAX_CHUNK = 1024 * 1024
