/**
 * An HTTP request as the operation handlers see every request: a `DoipRequest`, run through the same registry the
 * DOIP listeners use, its failure answered as a `GatewayError`.
 *
 * The gateway is no DOIP client looping back: it calls the handlers in this process, so an HTTP write takes the
 * same credentials, locks, limits and commits as a DOIP one.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import { identity } from "effect/Function"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import type { HttpServerRequest } from "effect/http/HttpServerRequest"
import type { Credentials } from "../../protocol/Credentials.ts"
import { parseJsonObjectText } from "../../protocol/binary/Codec.ts"
import { DoipError } from "../../protocol/DoipError.ts"
import {
  type DoipRequest,
  type DoipResponse,
  type Endpoint,
  type IncomingComponent,
  type JsonObject,
  noComponents
} from "../../protocol/DoipMessage.ts"
import { handlerFailure, type Operations } from "../OperationRegistry.ts"
import * as GatewayErrors from "./GatewayErrors.ts"

/**
 * What a route asks of one operation: the fields of the `DoipRequest` it sets (the rest have defaults).
 *
 * @category models
 * @since 0.1.0
 */
export interface Call {
  /** the operation's registry name (`retrieve`) or DOIP v2.0 id (`0.DOIP/Op.Retrieve`) */
  readonly operation: string
  readonly objectId?: string | undefined
  readonly attributes?: JsonObject | undefined
  readonly input?: unknown
  /** a credential the route found elsewhere than in `Authorization` (upstream's create takes it in the body) */
  readonly credentials?: Credentials | undefined
  readonly nextComponent?: DoipRequest["nextComponent"] | undefined
  /**
   * Which wire's answers the route mirrors: `upstream` routes answer as the upstream server does (search's shape,
   * create's `{json}`), the others as DOIP v2.0 does (element file names, search results). The handlers shape a few
   * answers by it.
   */
  readonly framing: Endpoint["framing"]
}

/**
 * Runs one operation for an HTTP request.
 *
 * @category running
 * @since 0.1.0
 */
export const run = (
  operations: Operations["Service"],
  request: HttpServerRequest,
  endpoint: Omit<Endpoint, "framing">,
  call: Call
): Effect.Effect<DoipResponse, GatewayErrors.GatewayError> =>
  Effect.gen(function*() {
    const operation = operations.get(call.operation) ?? operations.byDoipId(call.operation)
    if (operation === undefined) {
      return yield* new GatewayErrors.NotImplemented({ error: "UnsupportedOperation", message: `no operation ${call.operation}` })
    }
    const credentials = call.credentials ?? (yield* credentialsOf(request))
    return yield* operation.handler({
      operation: operation.name,
      objectId: call.objectId ?? "",
      attributes: call.attributes ?? {},
      credentials,
      input: call.input,
      workflow: undefined,
      nextComponent: call.nextComponent ?? noComponents,
      endpoint: { ...endpoint, framing: call.framing },
      peer: Option.getOrUndefined(request.remoteAddress)
    }).pipe(
      Effect.catchCause((cause) => handlerFailure(operation, cause)),
      Effect.mapError(GatewayErrors.fromDoipError)
    )
  })

/**
 * The credential in the request's `Authorization` header: `Bearer <token>` or `Basic <base64 user:password>`
 * (`undefined` without the header). Another scheme, or a malformed one, is refused: a credential the server cannot
 * read must never pass as no credential at all.
 *
 * @category parsing
 * @since 0.1.0
 */
export const credentialsOf = (request: HttpServerRequest): Effect.Effect<Credentials | undefined, GatewayErrors.GatewayError> => {
  const header = request.headers["authorization"]
  if (header === undefined || header === "") return Effect.undefined
  const space = header.indexOf(" ")
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase()
  const value = space < 0 ? "" : header.slice(space + 1).trim()
  if (scheme === "bearer" && value !== "") return Effect.succeed({ token: Redacted.make(value) })
  if (scheme === "basic") {
    const decoded = Buffer.from(value, "base64").toString("utf8")
    const colon = decoded.indexOf(":")
    if (colon > 0) {
      return Effect.succeed({ username: decoded.slice(0, colon), password: Redacted.make(decoded.slice(colon + 1)) })
    }
  }
  return Effect.fail(
    new GatewayErrors.Unauthorized({
      error: "Unauthenticated",
      message: "Authorization must be \"Bearer <token>\" or \"Basic <base64 of user:password>\""
    })
  )
}

/**
 * The request's body as the one component of an update: streamed as it arrives, never held whole. A body longer
 * than `maxBytes` is refused: at once when its `Content-Length` says so, else when the bytes run past it.
 *
 * @category constructors
 * @since 0.1.0
 */
export const bodyComponent = (
  request: HttpServerRequest,
  componentId: string,
  maxBytes: number,
  pace: Pace
): Effect.Effect<DoipRequest["nextComponent"], GatewayErrors.GatewayError> => {
  const announced = request.headers["content-length"]
  const size = announced === undefined ? undefined : Number(announced)
  if (size !== undefined && !(Number.isSafeInteger(size) && size >= 0)) {
    return Effect.fail(new GatewayErrors.BadRequest({ error: "BadRequest", message: `Content-Length ${announced} is no byte count` }))
  }
  if (size !== undefined && size > maxBytes) return Effect.fail(tooLarge(size, maxBytes))
  let received = 0
  let started: number | undefined
  const content = request.stream.pipe(
    Stream.mapError((error) => new DoipError({ kind: "BadRequest", message: `the body could not be read: ${error.message}` })),
    Stream.mapEffect((chunk) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        started ??= now
        received += chunk.length
        if (received > maxBytes) return Effect.fail(new DoipError({ kind: "TooLarge", message: tooLarge(received, maxBytes).message }))
        // a body that trickles in holds its connection and a spool file: it must keep the pace DOIP's messages keep
        if (now - started > deadlineMillis(pace, received)) return Effect.fail(new DoipError({ kind: "BadRequest", message: tooSlow(pace) }))
        return Effect.succeed(chunk)
      })
    ),
    // an announced body has its whole deadline from the start: a trickle is cut when it runs out, not only when the
    // next piece happens to arrive (Node hands the body over in pieces of up to 64 KiB)
    size === undefined ? identity : Stream.interruptWhen(
      Effect.sleep(deadlineMillis(pace, size)).pipe(
        Effect.andThen(Effect.fail(new DoipError({ kind: "BadRequest", message: tooSlow(pace) })))
      )
    )
  )
  const component: IncomingComponent = {
    componentId,
    mediaType: mediaTypeOf(request),
    size,
    content,
    last: true
  }
  let given = false
  return Effect.succeed(Effect.sync(() => {
    if (given) return undefined
    given = true
    return component
  }))
}

/**
 * The request's body as a JSON object (`undefined` when it is empty): at most `limits.maxMetadataSize` bytes (the
 * gateway sets the body limit) and `maxDepth` levels deep, checked before it is parsed.
 *
 * @category parsing
 * @since 0.1.0
 */
export const jsonBody = (
  request: HttpServerRequest,
  maxDepth: number,
  pace: Pace
): Effect.Effect<Record<string, unknown> | undefined, GatewayErrors.GatewayError> =>
  request.text.pipe(
    Effect.timeoutOrElse({
      duration: deadlineMillis(pace, pace.maxBodyBytes),
      orElse: () => Effect.fail(new GatewayErrors.BadRequest({ error: "BadRequest", message: tooSlow(pace) }))
    }),
    Effect.mapError((error) =>
      error instanceof GatewayErrors.BadRequest ? error :
      error.reason._tag === "RequestParseError" && error.reason.reason === "BodyTooLarge"
        ? new GatewayErrors.PayloadTooLarge({ error: "TooLarge", message: "the JSON body is larger than limits.maxMetadataSize" })
        : new GatewayErrors.BadRequest({ error: "BadRequest", message: `the body could not be read: ${error.message}` })
    ),
    Effect.flatMap((text) => {
      if (text.trim() === "") return Effect.undefined
      const parsed = parseJsonObjectText(text, maxDepth)
      return typeof parsed === "string"
        ? Effect.fail(new GatewayErrors.BadRequest({ error: "BadRequest", message: `the body ${parsed}` }))
        : Effect.succeed(parsed)
    })
  )

/**
 * How fast a body must arrive: within `messageTimeoutSeconds`, plus its bytes at `minBytesPerSecond` (the limits
 * DOIP's messages keep); a JSON body is given the time its largest allowed size would take.
 *
 * @category models
 * @since 0.1.0
 */
export interface Pace {
  readonly messageTimeoutSeconds: number
  readonly minBytesPerSecond: number
  readonly maxBodyBytes: number
}

const deadlineMillis = (pace: Pace, bytes: number) =>
  (pace.messageTimeoutSeconds + bytes / Math.max(1, pace.minBytesPerSecond)) * 1000

const tooSlow = (pace: Pace) =>
  `the body arrives slower than ${pace.minBytesPerSecond} bytes a second after ${pace.messageTimeoutSeconds} s ` +
  `(limits.minBytesPerSecond, limits.messageTimeoutSeconds)`

/**
 * The body's media type, without parameters a client's library adds (`; charset=...` is kept: it is part of what a
 * text component is).
 */
const mediaTypeOf = (request: HttpServerRequest): string | undefined => {
  const type = request.headers["content-type"]
  return type === undefined || type === "" ? undefined : type
}

const tooLarge = (size: number, maxBytes: number) =>
  new GatewayErrors.PayloadTooLarge({
    error: "TooLarge",
    message: `the body is ${size} bytes or more; components may be at most ${maxBytes} bytes (limits.maxComponentSize)`
  })
