/**
 * The HTTP gateway's errors: one class per HTTP status, each answered as JSON `{error, message}`.
 *
 * `error` names what went wrong as the DOIP listeners name it (`NotFound`, `Unauthenticated`, ...), so a client that
 * speaks both sees one vocabulary; the class fixes the HTTP status. The services' errors become `DoipError`s in one
 * place (`OperationRegistry.handlerFailure`), and `DoipError`s become these here, in one place too.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import type { DoipError, ErrorKind } from "../../protocol/DoipError.ts"

const fields = { error: Schema.String, message: Schema.String }

/**
 * @category errors
 * @since 0.1.0
 */
export class BadRequest extends Schema.Error<BadRequest>("BadRequest")(fields, { httpApiStatus: 400 }) {}

/**
 * @category errors
 * @since 0.1.0
 */
export class Unauthorized extends Schema.Error<Unauthorized>("Unauthorized")(fields, { httpApiStatus: 401 }) {}

/**
 * @category errors
 * @since 0.1.0
 */
export class Forbidden extends Schema.Error<Forbidden>("Forbidden")(fields, { httpApiStatus: 403 }) {}

/**
 * @category errors
 * @since 0.1.0
 */
export class NotFound extends Schema.Error<NotFound>("NotFound")(fields, { httpApiStatus: 404 }) {}

/**
 * @category errors
 * @since 0.1.0
 */
export class Conflict extends Schema.Error<Conflict>("Conflict")(fields, { httpApiStatus: 409 }) {}

/**
 * @category errors
 * @since 0.1.0
 */
export class PayloadTooLarge extends Schema.Error<PayloadTooLarge>("PayloadTooLarge")(fields, { httpApiStatus: 413 }) {}

/**
 * A `Range` that selects no byte of the component (its size goes in the `Content-Range` header the download sets).
 *
 * @category errors
 * @since 0.1.0
 */
export class RangeNotSatisfiable
  extends Schema.Error<RangeNotSatisfiable>("RangeNotSatisfiable")(fields, { httpApiStatus: 416 })
{}

/**
 * @category errors
 * @since 0.1.0
 */
export class InternalError extends Schema.Error<InternalError>("InternalError")(fields, { httpApiStatus: 500 }) {}

/**
 * An operation this server does not offer (a property update without MaRDI's importer, say).
 *
 * @category errors
 * @since 0.1.0
 */
export class NotImplemented extends Schema.Error<NotImplemented>("NotImplemented")(fields, { httpApiStatus: 501 }) {}

/**
 * A system the server depends on (lakeFS, the façade, MediaWiki) cannot answer now.
 *
 * @category errors
 * @since 0.1.0
 */
export class Unavailable extends Schema.Error<Unavailable>("Unavailable")(fields, { httpApiStatus: 503 }) {}

/**
 * @category models
 * @since 0.1.0
 */
export type GatewayError =
  | BadRequest
  | Unauthorized
  | Forbidden
  | NotFound
  | Conflict
  | PayloadTooLarge
  | RangeNotSatisfiable
  | InternalError
  | NotImplemented
  | Unavailable

/**
 * Every error an endpoint may answer, for its declaration (the OpenAPI document lists each with its status).
 *
 * @category models
 * @since 0.1.0
 */
export const all = [
  BadRequest,
  Unauthorized,
  Forbidden,
  NotFound,
  Conflict,
  PayloadTooLarge,
  InternalError,
  NotImplemented,
  Unavailable
] as const

/**
 * The HTTP error a DOIP error is answered with.
 *
 * @category conversions
 * @since 0.1.0
 */
export const fromDoipError = (error: DoipError): GatewayError => {
  const body = { error: error.kind, message: error.message }
  switch (error.kind satisfies ErrorKind) {
    case "BadRequest":
    case "ProtocolError":
      return new BadRequest(body)
    case "Unauthenticated":
      return new Unauthorized(body)
    case "Forbidden":
      return new Forbidden(body)
    case "NotFound":
      return new NotFound(body)
    case "Conflict":
      return new Conflict(body)
    case "TooLarge":
      return new PayloadTooLarge(body)
    case "UnsupportedOperation":
      return new NotImplemented(body)
    case "Unavailable":
      return new Unavailable(body)
    case "WorkflowError":
    case "InternalError":
      return new InternalError(body)
  }
}

/**
 * A schema's failure message on one line: Schema puts the path on a line of its own, and an error's `message` is
 * one sentence.
 *
 * @category formatting
 * @since 0.1.0
 */
export const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, " ")
