/**
 * A long-lived DOIP v2.0 answer (a watch): one request on a connection of its own, the answer's attributes once it
 * has begun, and its JSON output segments as a stream, one value per segment, for as long as the server sends them.
 *
 * It cannot share the pipelined connection of the other calls: the server answers a connection's requests in order,
 * and this answer does not end while the watch goes on. The connection closes with the stream. The answer's first
 * segment must arrive within the call timeout; after it, no timeout applies (events come when they come). A segment
 * `{error, message}` ends the stream with that error, as the server ends a watch that failed.
 *
 * @since 0.1.0
 */
import type * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import type * as Socket from "effect/socket/Socket"
import * as Stream from "effect/Stream"
import * as DoipStatus from "../../protocol/DoipStatus.ts"
import * as SegmentCodec from "../../protocol/doip2/Codec.ts"
import {
  type ClientError,
  closedBeforeAnswer,
  ConnectionError,
  fromServer,
  fromSocketError,
  InvalidRequestError,
  ProtocolError
} from "../ClientError.ts"
import type { ClientOptions, StreamedAnswer } from "../Transport.ts"
import { callTimeout, maxAnswerSize, open, withTimeout } from "./connection.ts"
import { asRecord } from "./requests.ts"

/**
 * What a long-lived request carries: no elements, no input.
 *
 * @since 0.1.0
 */
export interface LongLivedRequest {
  readonly operationId: string
  readonly targetId: string
  readonly attributes?: Readonly<Record<string, unknown>> | undefined
  readonly authentication?: Readonly<Record<string, string>> | undefined
}

/**
 * Sends the request and waits for the answer to begin; the connection closes with the scope. Fails with the server's
 * error answer (`NotFoundError`, `ServerError`); the segments fail with a `ConnectionError` when the connection breaks
 * or the server closes it mid-answer, and a `ProtocolError` for what no DOIP v2.0 answer holds, and end when the
 * server ends the answer.
 *
 * @since 0.1.0
 */
export const streamAnswer = (
  options: ClientOptions,
  request: LongLivedRequest
): Effect.Effect<StreamedAnswer, ClientError, Scope.Scope> =>
  Effect.gen(function*() {
    const tls = options.tls !== undefined && options.tls !== false
    const bytes = yield* encode(request)
    const connection = yield* Effect.acquireRelease(
      open(
        options,
        (input) =>
          input.pipe(Stream.pipeThroughChannel(SegmentCodec.decode({ limits: { maxJsonSegmentSize: maxAnswerSize(options) } }))),
        toClientError
      ),
      (opened) => Scope.close(opened.scope, Exit.void)
    )
    const head = yield* withTimeout(
      callTimeout(options),
      Effect.gen(function*() {
        yield* connection.writer.write(bytes).pipe(Effect.mapError(fromSocketError))
        const first = yield* connection.next.pipe(
          Effect.catchTag("ConnectionError", (error) =>
            Effect.fail(closedBeforeAnswer(tls, error.message === "the server closed the connection" ? undefined : error.message)))
        )
        if (first === undefined) return yield* closedBeforeAnswer(tls)
        if (first._tag !== "Json") return yield* new ProtocolError({ message: "bad answer from the server: it begins with no JSON segment" })
        return yield* parse(first.body)
      })
    )
    const refusal = refusalOf(head)
    if (refusal !== undefined) return yield* refusal
    const pull: Effect.Effect<Arr.NonEmptyReadonlyArray<Record<string, unknown>>, ClientError | Cause.Done> = Effect.flatMap(
      connection.next,
      (part): Effect.Effect<Arr.NonEmptyReadonlyArray<Record<string, unknown>>, ClientError | Cause.Done> => {
        if (part === undefined) return Effect.fail(new ConnectionError({ message: "the server closed the connection mid-answer" }))
        if (part._tag === "End") return Cause.done()
        if (part._tag === "Bytes") return Effect.fail(new ProtocolError({ message: "bad answer from the server: bytes in a stream of events" }))
        return Effect.flatMap(parse(part.body), (value) => {
          if (typeof value["error"] === "string") {
            return Effect.fail(fromServer(value["error"], typeof value["message"] === "string" ? value["message"] : value["error"]))
          }
          return Effect.succeed([value])
        })
      }
    )
    return { attributes: asRecord(head["attributes"]) ?? {}, segments: Stream.fromPull(Effect.succeed(pull)) }
  })

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const toClientError = (error: SegmentCodec.SegmentError | Socket.SocketError): ClientError =>
  SegmentCodec.isSegmentError(error)
    ? new ProtocolError({ message: `bad answer from the server: ${error.message}` })
    : fromSocketError(error)

const encode = (request: LongLivedRequest): Effect.Effect<Uint8Array, InvalidRequestError> =>
  Effect.try({
    try: () =>
      Buffer.concat([
        SegmentCodec.encodeJson({
          requestId: "1",
          targetId: request.targetId,
          operationId: request.operationId,
          ...(request.attributes === undefined ? {} : { attributes: request.attributes }),
          ...(request.authentication === undefined ? {} : { authentication: request.authentication })
        }),
        SegmentCodec.endOfMessage
      ]),
    catch: (error) => new InvalidRequestError({ message: `the request cannot be sent as JSON: ${String(error)}` })
  })

const textDecoder = new TextDecoder("utf-8", { fatal: true })

const parse = (body: Uint8Array): Effect.Effect<Record<string, unknown>, ProtocolError> =>
  Effect.flatMap(
    Effect.try({
      try: () => JSON.parse(textDecoder.decode(body)) as unknown,
      catch: () => new ProtocolError({ message: "bad answer from the server: a segment is not JSON" })
    }),
    (value) => {
      const record = asRecord(value)
      return record === undefined
        ? Effect.fail(new ProtocolError({ message: "bad answer from the server: a segment is not a JSON object" }))
        : Effect.succeed(record)
    }
  )

/** the error an answer's status stands for, `undefined` for success */
const refusalOf = (head: Record<string, unknown>): ClientError | undefined => {
  const status = typeof head["status"] === "string" ? head["status"] : ""
  const kind = DoipStatus.toErrorKind(status)
  if (kind === undefined) return undefined
  const attributes = asRecord(head["attributes"]) ?? {}
  const message = typeof attributes["message"] === "string"
    ? attributes["message"]
    : `the server answered with status ${status === "" ? "(none)" : status}`
  const error = typeof attributes["error"] === "string" ? attributes["error"] : kind
  return fromServer(kind === "NotFound" ? kind : error, message)
}
