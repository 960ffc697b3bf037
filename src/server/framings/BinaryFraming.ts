/**
 * The binary envelope listener (PROTOCOL.md §1): one connection at a time, any number of requests on it, answered
 * strictly in order.
 *
 * Each request is assembled from decoded parts: the header, the metadata blocks, and then either the end of the
 * message or its first component, whose content the handler streams straight from the socket. After the handler
 * answers, whatever it left unread is skipped, so the next request starts at its header.
 *
 * Errors: a handler's `DoipError` becomes an error envelope and the connection stays open. A framing error (bad
 * version, oversize field, malformed block, truncation) is answered once and the connection is closed, because the
 * position of the next message can no longer be trusted. Nothing a client sends can fail the listener itself.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Socket from "effect/socket/Socket"
import * as SocketServer from "effect/socket/SocketServer"
import * as Stream from "effect/Stream"
import * as Credentials from "../../protocol/Credentials.ts"
import { DoipError } from "../../protocol/DoipError.ts"
import type { DoipRequest, DoipResponse, Endpoint, IncomingComponent } from "../../protocol/DoipMessage.ts"
import * as Envelope from "../../protocol/binary/Codec.ts"
import { ServerConfig } from "../../layers/config/ServerConfig.ts"
import { pullOne } from "../../protocol/internal/pullOne.ts"
import { endOn, ResponseFailed, serveConnections } from "../Listener.ts"
import { type Operation, Operations, run } from "../OperationRegistry.ts"

/**
 * Serves one connection until the client closes it, a framing error, or the idle timeout.
 *
 * @category handlers
 * @since 0.1.0
 */
export const handleConnection = Effect.fnUntraced(
  function*(socket: Socket.Socket, endpoint: Endpoint) {
    const operations = yield* Operations
    const { limits } = yield* ServerConfig
    const envelopeLimits: Partial<Envelope.Limits> = {
      maxObjectIdLength: limits.maxObjectIdLength,
      maxJsonBlockSize: limits.maxMetadataSize,
      maxMessageSize: limits.maxMessageSize,
      maxComponentSize: limits.maxComponentSize
    }
    const writer = yield* socket.writer
    const parts = yield* Stream.toPull(
      Socket.toStream(socket).pipe(Stream.pipeThroughChannel(Envelope.decode({ limits: envelopeLimits })))
    )
    const idle = Duration.seconds(limits.idleTimeoutSeconds)
    yield* serveRequests(operations, writer, pullOne(parts), idle, endpoint).pipe(
      Effect.catch(endOn(Envelope.isEnvelopeError, writer, framingErrorEnvelope))
    )
  },
  Effect.scoped
)

/**
 * Starts the binary listener on the `SocketServer` in context, until the layer's scope closes.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<never, never, SocketServer.SocketServer | Operations | ServerConfig> = Layer
  .effectDiscard(serveConnections("binary", handleConnection))

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const serveRequests = Effect.fnUntraced(function*(
  operations: Operations["Service"],
  writer: Socket.Writer,
  next: Next,
  idle: Duration.Duration,
  endpoint: Endpoint
) {
  for (;;) {
    const head = yield* next.pipe(Effect.timeoutOption(idle))
    if (Option.isNone(head) || head.value === undefined) return // idle, or the client closed cleanly
    const part = head.value
    if (part._tag !== "Head") return yield* Effect.die(new Error(`decoder emitted ${part._tag} before Head`))
    const { header, objectId } = part
    const assembled = yield* assemble(next, part, operations, endpoint)
    const outcome = yield* Effect.result(
      assembled.operation === undefined || assembled.error !== undefined
        ? Effect.fail(assembled.error!)
        : run(assembled.operation, assembled.request)
    )
    // skip whatever the handler did not read, up to the end of this message
    if (!assembled.state.ended) yield* drainMessage(next)
    if (outcome._tag === "Success") {
      yield* writeResponse(writer, header, objectId, outcome.success).pipe(
        Effect.mapError((error) => Socket.isSocketError(error) ? error : new ResponseFailed({ reason: error.message }))
      )
    } else {
      yield* writer.write(errorEnvelope(header, objectId, outcome.failure))
    }
  }
})

type Next = Effect.Effect<Envelope.Part<Socket.SocketError> | undefined, Envelope.EnvelopeError | Socket.SocketError>

interface Assembled {
  readonly request: DoipRequest
  /** the operation asked for; `undefined` when it is not offered, and then `error` says so */
  readonly operation: Operation | undefined
  readonly error: DoipError | undefined
  /** whether the message's end was read already */
  readonly state: { readonly ended: boolean }
}

/** reads the metadata blocks up to the first component or the end of the message, and builds the request */
const assemble = Effect.fnUntraced(function*(
  next: Next,
  head: Envelope.Head,
  operations: Operations["Service"],
  endpoint: Endpoint
) {
  const metadata: Array<Record<string, unknown>> = []
  const workflow: Array<Record<string, unknown>> = []
  let error: DoipError | undefined
  let first: Envelope.ComponentPart<Socket.SocketError> | undefined
  const state = { ended: false }
  while (first === undefined && !state.ended) {
    const part = yield* next
    if (part === undefined) {
      return yield* new Envelope.EnvelopeError({ kind: "Truncated", message: "the connection ended inside a message" })
    }
    switch (part._tag) {
      case "Metadata":
      case "Workflow": {
        const parsed = Envelope.parseJsonObject(part.body)
        if (typeof parsed === "string") error ??= new DoipError({ kind: "BadRequest", message: `${part._tag.toLowerCase()} block ${parsed}` })
        else (part._tag === "Metadata" ? metadata : workflow).push(parsed)
        break
      }
      case "Component":
        first = part
        break
      case "End":
        state.ended = true
        break
      case "Head":
        return yield* Effect.die(new Error("decoder emitted Head inside a message"))
    }
  }
  const merged = Object.assign({}, ...metadata.toReversed()) as Record<string, unknown>
  const { credentials, rest } = Credentials.split(merged)
  const operation = operationOf(operations, head.header, rest)
  if (typeof operation === "string") error ??= new DoipError({ kind: "UnsupportedOperation", message: operation })
  if (head.header.msgType !== Envelope.MessageType.Request) {
    error ??= new DoipError({ kind: "BadRequest", message: `expected a request (msgType 0x01), got 0x${head.header.msgType.toString(16)}` })
  }
  // components after the first are pulled when the handler asks; workflow blocks after them are skipped
  const nextComponent = Effect.gen(function*() {
    if (first !== undefined) {
      const component = first
      first = undefined
      return incoming(component)
    }
    while (!state.ended) {
      const part = yield* next
      if (part === undefined) {
        return yield* new Envelope.EnvelopeError({ kind: "Truncated", message: "the connection ended inside a message" })
      }
      if (part._tag === "End") state.ended = true
      else if (part._tag === "Component") return incoming(part)
    }
    return undefined
  }).pipe(Effect.mapError(toProtocolError))
  const request: DoipRequest = {
    operation: typeof operation === "string" ? "" : operation.name,
    objectId: head.objectId,
    attributes: rest,
    credentials,
    input: undefined,
    workflow: workflow[0],
    nextComponent,
    endpoint
  }
  return { request, operation: typeof operation === "string" ? undefined : operation, error, state } satisfies Assembled
})

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

const toProtocolError = (error: Envelope.EnvelopeError | Socket.SocketError | DoipError): DoipError =>
  error._tag === "DoipError" ? error : new DoipError({
    kind: "ProtocolError",
    message: Envelope.isEnvelopeError(error) ? error.message : "the connection failed while reading the request"
  })

const incoming = (part: Envelope.ComponentPart<Socket.SocketError>): IncomingComponent => ({
  componentId: part.componentId,
  mediaType: part.mediaType,
  size: part.size,
  last: part.last,
  content: part.content.pipe(Stream.mapError(toProtocolError))
})

const drainMessage = (next: Next): Effect.Effect<void, Envelope.EnvelopeError | Socket.SocketError> =>
  Effect.gen(function*() {
    for (;;) {
      const part = yield* next
      if (part === undefined) {
        return yield* new Envelope.EnvelopeError({ kind: "Truncated", message: "the connection ended inside a message" })
      }
      if (part._tag === "End") return
    }
  })

const writeResponse = (
  writer: Socket.Writer,
  header: Envelope.Header,
  objectId: string,
  response: DoipResponse
) =>
  Envelope.encode({
    msgType: Envelope.MessageType.Response,
    operation: header.operation,
    flags: header.flags,
    objectId,
    metadata: response.metadata,
    components: response.components,
    workflow: response.workflow
  }).pipe(Stream.runForEachArray((chunks) => writer.writeAll(chunks)))

const errorEnvelope = (header: Envelope.Header, objectId: string, error: DoipError) =>
  Envelope.encodeSync({
    msgType: Envelope.MessageType.Error,
    operation: header.operation,
    flags: header.flags,
    objectId,
    metadata: [{ error: error.kind, message: error.message }]
  })

/** the answer to a framing error; the connection closes after it */
const framingErrorEnvelope = (error: Envelope.EnvelopeError) =>
  Envelope.encodeSync({
    msgType: Envelope.MessageType.Error,
    operation: error.operation ?? 0,
    objectId: error.objectId ?? "",
    metadata: [{ error: error.kind === "TooLarge" ? "TooLarge" : "ProtocolError", message: error.message }]
  })
