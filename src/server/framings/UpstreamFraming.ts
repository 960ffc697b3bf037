/**
 * The upstream server's "compat" framing on port + 1, for the callers of existing upstream deployments: segments
 * are a 4-byte big-endian length and that many bytes, and a zero length ends a message (PROTOCOL.md, end of §2).
 * The DOIP v2.0 listener hands a connection here when its first byte is `0x00`.
 *
 * A request is one JSON segment naming the operation (`operationId` as in DOIP v2.0, or the upstream `operation`
 * name), the target (`targetId`, `objectId` or `object_id`) and its attributes (`attributes`, or the remaining
 * keys, as the binary envelope's metadata: `element`, `workflow`, `params`, credentials). Operations that take no
 * components are served (hello, list_ops, retrieve, invoke, search, purge); the answer is one JSON segment
 * `{"status":"success","metadata":[...],"workflow":[...],"components":[{componentId, mediaType, size}]}`, then each
 * non-empty component's bytes as one segment, in that order, then the end. A failure is
 * `{"status":"error","error":kind,"message":text}` and the end.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Socket from "effect/socket/Socket"
import * as Stream from "effect/Stream"
import * as Credentials from "../../protocol/Credentials.ts"
import { badRequest, DoipError } from "../../protocol/DoipError.ts"
import { type DoipResponse, type Endpoint, noComponents } from "../../protocol/DoipMessage.ts"
import { concat } from "../../protocol/ByteQueue.ts"
import { pullOne } from "../../protocol/internal/pullOne.ts"
import * as LengthPrefixed from "../../protocol/upstream/Codec.ts"
import { parseJsonObject } from "../../protocol/doip2/Codec.ts"
import { ServerConfig } from "../../layers/config/ServerConfig.ts"
import { endOn, ResponseFailed } from "../Listener.ts"
import { Operations, run } from "../OperationRegistry.ts"

/**
 * Serves a connection in the upstream framing until the client closes it, a framing error, or the idle timeout.
 *
 * @category handlers
 * @since 0.1.0
 */
export const serve = Effect.fnUntraced(function*(
  socket: Socket.Socket,
  bytes: Stream.Stream<Uint8Array, Socket.SocketError>,
  endpoint: Endpoint
) {
  const operations = yield* Operations
  const { limits } = yield* ServerConfig
  const writer = yield* socket.writer
  const next = pullOne(yield* Stream.toPull(
    bytes.pipe(Stream.pipeThroughChannel(LengthPrefixed.decode({ maxSegmentSize: limits.maxMetadataSize })))
  ))
  const idle = Duration.seconds(limits.idleTimeoutSeconds)
  const loop = Effect.gen(function*() {
    for (;;) {
      const first = yield* next.pipe(Effect.timeoutOption(idle))
      if (Option.isNone(first) || first.value === undefined) return
      let ended = first.value._tag === "End"
      const outcome = yield* Effect.result(
        first.value._tag === "End"
          ? Effect.fail(badRequest("empty message: a request is one JSON segment"))
          : dispatch(operations, first.value.body, endpoint)
      )
      while (!ended) {
        const part = yield* next
        if (part === undefined) {
          return yield* new LengthPrefixed.LengthPrefixedError({ kind: "Truncated", message: "the connection ended inside a message" })
        }
        ended = part._tag === "End"
      }
      if (outcome._tag === "Success") {
        yield* encodeResponse(outcome.success).pipe(
          Stream.runForEachArray((chunks) => writer.writeAll(chunks)),
          Effect.mapError((error) => Socket.isSocketError(error) ? error : new ResponseFailed({ reason: String(error.message) }))
        )
      } else {
        yield* writer.write(encodeError(outcome.failure))
      }
    }
  })
  const framingError = (error: LengthPrefixed.LengthPrefixedError) =>
    encodeError(new DoipError({ kind: error.kind === "TooLarge" ? "TooLarge" : "ProtocolError", message: error.message }))
  yield* loop.pipe(Effect.catch(endOn(LengthPrefixed.isLengthPrefixedError, writer, framingError)))
})

/**
 * @category encoding
 * @since 0.1.0
 */
export const encodeResponse = (response: DoipResponse) =>
  Stream.succeed(LengthPrefixed.encodeSegment(json({
    status: "success",
    metadata: response.metadata,
    workflow: response.workflow,
    components: response.components.map((c) => ({ componentId: c.componentId, mediaType: c.mediaType, size: c.size }))
  }))).pipe(
    Stream.concat(Stream.flatten(Stream.fromIterable(
      // an empty component has no segment: a zero length would read as the end of the message
      response.components.filter((c) => c.size > 0).map((c) => LengthPrefixed.encodeStreamSegment(c.size, c.content))
    ))),
    Stream.concat(Stream.succeed(LengthPrefixed.endOfMessage))
  )

/**
 * @category encoding
 * @since 0.1.0
 */
export const encodeError = (error: DoipError): Uint8Array =>
  concat([
    LengthPrefixed.encodeSegment(json({ status: "error", error: error.kind, message: error.message })),
    LengthPrefixed.endOfMessage
  ])

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const textEncoder = new TextEncoder()

const json = (value: unknown) => textEncoder.encode(JSON.stringify(value))

const dispatch = (operations: Operations["Service"], body: Uint8Array, endpoint: Endpoint) =>
  Effect.suspend(() => {
    const head = parseJsonObject(body)
    if (typeof head === "string") return Effect.fail(badRequest(`request segment: ${head}`))
    const { attributes, operationId, operation: name, targetId, objectId, object_id, ...rest } = head
    const wanted = operationId ?? name
    const operation = typeof wanted !== "string"
      ? undefined
      : typeof operationId === "string"
      ? operations.byDoipId(operationId)
      : operations.get(wanted)
    if (operation === undefined) {
      return Effect.fail(new DoipError({
        kind: "UnsupportedOperation",
        message: `operation ${JSON.stringify(wanted ?? null)} is not supported`
      }))
    }
    const target = targetId ?? objectId ?? object_id ?? ""
    const merged = typeof attributes === "object" && attributes !== null ? { ...rest, ...attributes } : rest
    const { credentials, rest: plain } = Credentials.split(merged)
    return run(operation, {
      operation: operation.name,
      objectId: typeof target === "string" ? target : String(target),
      attributes: plain,
      credentials,
      input: undefined,
      workflow: undefined,
      nextComponent: noComponents,
      endpoint
    })
  })
