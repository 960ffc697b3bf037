/**
 * The DOIP v2.0 listener (PROTOCOL.md §2), on port + 1: any number of messages per connection, answered strictly
 * in order, each answer echoing its request's `requestId`. Pipelined requests are simply read after the previous
 * answer is written; the socket holds them meanwhile.
 *
 * A request is its first JSON segment (`requestId`, `clientId`, `targetId`, `operationId`, `attributes`,
 * `authentication`, `input`) and its input: the compact `input`, or the segments after it. The first input segment,
 * when JSON, is the request's `input` (a digital object for create and update); then come the elements, each a
 * `{"id": ...}` JSON segment followed by a bytes segment, handed to the handler one at a time as they stream in.
 *
 * Errors: a bad request (bad JSON, an unknown key, a compact input followed by segments) gets status 101 and the
 * connection stays open, because the segment framing still tells where the message ends. A framing error gets 101
 * and the connection is closed. A connection whose first byte is `0x00` speaks the upstream server's
 * length-prefixed variant instead (`UpstreamListener`).
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Socket from "effect/socket/Socket"
import type * as SocketServer from "effect/socket/SocketServer"
import * as Stream from "effect/Stream"
import * as Credentials from "../../protocol/Credentials.ts"
import { badRequest, DoipError } from "../../protocol/DoipError.ts"
import type { DoipRequest, DoipResponse, Endpoint, IncomingComponent } from "../../protocol/DoipMessage.ts"
import * as DoipStatus from "../../protocol/DoipStatus.ts"
import { concat } from "../../protocol/ByteQueue.ts"
import { pullOne } from "../../protocol/internal/pullOne.ts"
import * as SegmentCodec from "../../protocol/doip2/Codec.ts"
import { ServerConfig } from "../../layers/config/ServerConfig.ts"
import { endOn, ResponseFailed, serveConnections } from "../Listener.ts"
import { Operations, run } from "../OperationRegistry.ts"
import * as UpstreamListener from "./UpstreamFraming.ts"

/**
 * Serves one connection until the client closes it, a framing error, or the idle timeout.
 *
 * @category handlers
 * @since 0.1.0
 */
export const handleConnection = Effect.fnUntraced(
  function*(socket: Socket.Socket, endpoint: Endpoint) {
    const { limits } = yield* ServerConfig
    const idle = Duration.seconds(limits.idleTimeoutSeconds)
    const input = yield* Stream.toPull(Socket.toStream(socket))
    // the first bytes tell the framing: 0x00 starts the upstream variant's length prefix, never a DOIP segment
    const first = yield* input.pipe(Effect.timeoutOption(idle), Effect.catch(() => Effect.succeed(Option.none())))
    if (Option.isNone(first)) return
    const bytes = Stream.concat(Stream.fromArray(first.value), Stream.fromPull(Effect.succeed(input)))
    if (first.value[0]![0] === 0x00) {
      return yield* UpstreamListener.serve(socket, bytes, { ...endpoint, framing: "upstream" })
    }
    const writer = yield* socket.writer
    const parts = yield* Stream.toPull(bytes.pipe(Stream.pipeThroughChannel(SegmentCodec.decode({
      limits: {
        maxJsonSegmentSize: limits.maxMetadataSize,
        maxSegmentsPerMessage: limits.maxSegmentsPerMessage,
        maxChunkSize: limits.maxComponentSize,
        maxBytesSegmentSize: limits.maxComponentSize,
        maxMessageSize: limits.maxMessageSize
      }
    }))))
    const connection = new Connection(yield* Operations, writer, pullOne(parts), endpoint)
    const framingError = (error: SegmentCodec.SegmentError) =>
      connection.errorMessage(new DoipError({ kind: "ProtocolError", message: error.message }))
    yield* connection.serve(idle).pipe(Effect.catch(endOn(SegmentCodec.isSegmentError, writer, framingError)))
  },
  Effect.scoped
)

/**
 * Starts the DOIP v2.0 listener on the `SocketServer` in context, until the layer's scope closes.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<never, never, SocketServer.SocketServer | Operations | ServerConfig> = Layer
  .effectDiscard(serveConnections("doip2", handleConnection))

/**
 * The segments of a DOIP v2.0 response: the first segment (`requestId`, `status`, `attributes`, compact `output`),
 * then the output segments, then the end of the message.
 *
 * - no components: the output is compact (the `output` rendering, or the single metadata block);
 * - one component and nothing else (an element retrieve): one bytes segment, its name in `attributes.filename`;
 * - otherwise: the output JSON, then per component `{"id","type","length"}` and a bytes segment, then the workflow
 *   blocks.
 *
 * @category encoding
 * @since 0.1.0
 */
export const encodeResponse = (
  requestId: unknown,
  response: DoipResponse,
  options?: { readonly maxChunkSize?: number | undefined }
): Stream.Stream<Uint8Array, DoipError> => {
  const output = Object.hasOwn(response, "output")
    ? response.output
    : response.metadata.length <= 1
    ? response.metadata[0]
    : response.metadata
  const head = (attributes: Record<string, unknown> | undefined, compact: boolean) =>
    SegmentCodec.encodeJson({
      ...(requestId === undefined ? {} : { requestId }),
      status: DoipStatus.Status.ok,
      ...(attributes === undefined || Object.keys(attributes).length === 0 ? {} : { attributes }),
      ...(compact && output !== undefined ? { output } : {})
    })
  const { components, workflow } = response
  if (components.length === 0 && workflow.length === 0) {
    return Stream.succeed(concat([head(response.attributes, true), SegmentCodec.endOfMessage]))
  }
  const bytes = (content: Stream.Stream<Uint8Array, DoipError>) => SegmentCodec.encodeBytes(content, options)
  if (components.length === 1 && output === undefined && workflow.length === 0) {
    const [only] = components as [DoipResponse["components"][0]]
    const attributes = { filename: only.componentId, mediaType: only.mediaType, length: only.size, ...response.attributes }
    return Stream.succeed(head(attributes, false)).pipe(
      Stream.concat(bytes(only.content)),
      Stream.concat(Stream.succeed(SegmentCodec.endOfMessage))
    )
  }
  const pieces: Array<Stream.Stream<Uint8Array, DoipError>> = [
    Stream.succeed(head(response.attributes, false)),
    ...(output === undefined ? [] : [Stream.succeed(SegmentCodec.encodeJson(output))])
  ]
  for (const component of components) {
    pieces.push(
      Stream.succeed(SegmentCodec.encodeJson({
        id: component.componentId,
        type: component.mediaType,
        length: component.size,
        attributes: { filename: component.componentId }
      })),
      bytes(component.content)
    )
  }
  for (const block of workflow) pieces.push(Stream.succeed(SegmentCodec.encodeJson(block)))
  pieces.push(Stream.succeed(SegmentCodec.endOfMessage))
  return Stream.flatten(Stream.fromIterable(pieces))
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

type Next = Effect.Effect<SegmentCodec.Part<Socket.SocketError> | undefined, SegmentCodec.SegmentError | Socket.SocketError>

const requestKeys = new Set(["requestId", "clientId", "targetId", "operationId", "attributes", "authentication", "input"])

/** one connection's request loop, and what it knows of the message being read */
class Connection {
  /** the `requestId` of the request being answered, for a framing error's answer */
  private requestId: unknown = undefined
  private ended = true

  readonly operations: Operations["Service"]
  readonly writer: Socket.Writer
  readonly next: Next
  readonly endpoint: Endpoint

  constructor(operations: Operations["Service"], writer: Socket.Writer, next: Next, endpoint: Endpoint) {
    this.operations = operations
    this.writer = writer
    this.next = next
    this.endpoint = endpoint
  }

  serve(idle: Duration.Duration) {
    const self = this
    return Effect.gen(function*() {
      for (;;) {
        const first = yield* self.next.pipe(Effect.timeoutOption(idle))
        if (Option.isNone(first) || first.value === undefined) return // idle, or the client closed cleanly
        self.requestId = undefined
        self.ended = first.value._tag === "End"
        // a DoipError is answered; a framing or socket error ends the connection
        const outcome = yield* self.request(first.value).pipe(
          Effect.flatMap(({ operation, request }) => run(operation, request)),
          Effect.map((response) => ({ _tag: "Success", success: response }) as const),
          Effect.catchTag("DoipError", (error) => Effect.succeed({ _tag: "Failure", failure: error } as const))
        )
        // skip whatever the handler did not read, up to the end of this message
        yield* self.drain
        if (outcome._tag === "Success") {
          yield* encodeResponse(self.requestId, outcome.success).pipe(
            Stream.runForEachArray((chunks) => self.writer.writeAll(chunks)),
            Effect.mapError((error) => Socket.isSocketError(error) ? error : new ResponseFailed({ reason: error.message }))
          )
        } else {
          yield* self.writer.write(self.errorMessage(outcome.failure))
        }
      }
    })
  }

  errorMessage(error: DoipError): Uint8Array {
    return encodeError(this.requestId, error)
  }

  /** the request of a message whose first part was read; every failure is a bad request, the framing is intact */
  private request(first: SegmentCodec.Part<Socket.SocketError>) {
    const self = this
    return Effect.gen(function*() {
      if (first._tag !== "Json") {
        return yield* badRequest(first._tag === "End"
          ? "empty message: a request starts with a JSON segment"
          : "a request starts with a JSON segment, not a bytes segment")
      }
      const head = SegmentCodec.parseJsonObject(first.body)
      if (typeof head === "string") return yield* badRequest(`first segment: ${head}`)
      self.requestId = head["requestId"]
      const unknown = Object.keys(head).filter((key) => !requestKeys.has(key))
      if (unknown.length > 0) {
        return yield* badRequest(`unknown request key ${unknown.map((k) => JSON.stringify(k)).join(", ")}`)
      }
      const operationId = head["operationId"]
      if (typeof operationId !== "string" || operationId === "") {
        return yield* badRequest(`"operationId" must be a non-empty string`)
      }
      const targetId = yield* optional(head, "targetId", "string", "")
      const attributes = yield* optional(head, "attributes", "object", {})
      const clientId = yield* optional(head, "clientId", "string", undefined)
      const authentication = yield* optional(head, "authentication", "object", undefined)
      const operation = self.operations.byDoipId(operationId)
      if (operation === undefined) {
        return yield* new DoipError({ kind: "UnsupportedOperation", message: `operation ${operationId} is not supported` })
      }
      const { credentials } = Credentials.split(
        authentication === undefined ? {} : { ...(clientId === undefined ? {} : { username: clientId }), ...authentication }
      )
      const input = Object.hasOwn(head, "input") ? yield* self.compactInput(head["input"]) : yield* self.inputJson
      const request: DoipRequest = {
        operation: operation.name,
        objectId: targetId,
        attributes,
        credentials,
        input: input.json,
        workflow: undefined,
        nextComponent: self.components(input.bytes),
        endpoint: self.endpoint
      }
      return { operation, request }
    })
  }

  /** a compact input must end the message */
  private compactInput(json: unknown) {
    const self = this
    return Effect.gen(function*() {
      if (!self.ended) {
        const part = yield* self.pull
        if (part !== undefined) return yield* badRequest("a request with a compact \"input\" takes no further segments")
      }
      return { json, bytes: undefined }
    })
  }

  /** the first input segment: JSON is the request's input; bytes are its first (unnamed) component */
  private get inputJson() {
    const self = this
    return Effect.gen(function*() {
      const part = yield* self.pull
      if (part === undefined) return { json: undefined, bytes: undefined }
      if (part._tag === "Bytes") return { json: undefined, bytes: part }
      const json = SegmentCodec.parseJsonObject(part.body)
      if (typeof json === "string") return yield* badRequest(`input segment: ${json}`)
      return { json, bytes: undefined }
    })
  }

  /** the elements: `{"id": ...}` then a bytes segment, each; an input that starts with bytes is one unnamed element */
  private components(pending: SegmentCodec.BytesSegment<Socket.SocketError> | undefined) {
    const self = this
    let unnamed = pending
    return Effect.gen(function*() {
      if (unnamed !== undefined) {
        const bytes = unnamed
        unnamed = undefined
        return incoming({ id: "" }, bytes)
      }
      const part = yield* self.pull
      if (part === undefined) return undefined
      if (part._tag === "Bytes") return incoming({ id: "" }, part)
      const header = SegmentCodec.parseJsonObject(part.body)
      if (typeof header === "string") return yield* badRequest(`element segment: ${header}`)
      if (typeof header["id"] !== "string") return yield* badRequest(`an element segment needs an "id" string`)
      const bytes = yield* self.pull
      if (bytes?._tag !== "Bytes") {
        return yield* badRequest(`element ${JSON.stringify(header["id"])} must be followed by a bytes segment`)
      }
      return incoming(header, bytes)
    }).pipe(Effect.mapError(toDoipError))
  }

  /** the next segment of the current message, `undefined` at its end */
  private get pull(): Effect.Effect<
    SegmentCodec.JsonSegment | SegmentCodec.BytesSegment<Socket.SocketError> | undefined,
    SegmentCodec.SegmentError | Socket.SocketError
  > {
    const self = this
    return Effect.gen(function*() {
      if (self.ended) return undefined
      const part = yield* self.next
      if (part === undefined) {
        return yield* new SegmentCodec.SegmentError({ kind: "Truncated", message: "the connection ended inside a message" })
      }
      if (part._tag === "End") {
        self.ended = true
        return undefined
      }
      return part
    })
  }

  private get drain() {
    const self = this
    return Effect.gen(function*() {
      while ((yield* self.pull) !== undefined) {
        // skipped: the decoder drops unread bytes content itself
      }
    })
  }
}

const optional = <T extends "string" | "object", D>(
  head: Readonly<Record<string, unknown>>,
  key: string,
  type: T,
  fallback: D
): Effect.Effect<(T extends "string" ? string : Record<string, unknown>) | D, DoipError> => {
  const value = head[key]
  if (value === undefined) return Effect.succeed(fallback)
  const ok = type === "string" ? typeof value === "string" : typeof value === "object" && value !== null && !Array.isArray(value)
  return ok
    ? Effect.succeed(value as T extends "string" ? string : Record<string, unknown>)
    : Effect.fail(badRequest(`"${key}" must be ${type === "string" ? "a string" : "a JSON object"}`))
}

const toDoipError = (error: DoipError | SegmentCodec.SegmentError | Socket.SocketError): DoipError =>
  error._tag === "DoipError" ? error : new DoipError({
    kind: "ProtocolError",
    message: SegmentCodec.isSegmentError(error) ? error.message : "the connection failed while reading the request"
  })

const incoming = (
  header: Readonly<Record<string, unknown>>,
  part: SegmentCodec.BytesSegment<Socket.SocketError>
): IncomingComponent => {
  const mediaType = header["type"] ?? header["mediaType"]
  return {
    componentId: String(header["id"]),
    mediaType: typeof mediaType === "string" && mediaType !== "" ? mediaType : undefined,
    size: undefined,
    last: undefined,
    content: part.content.pipe(Stream.mapError(toDoipError))
  }
}
