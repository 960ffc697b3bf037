/**
 * The one error a DOIP operation fails with, whatever the transport.
 *
 * Its `kind` is the error name sent to clients (the binary envelope's `{"error": kind, "message": ...}`, and later
 * the DOIP v2.0 status code), its `message` tells the user what was wrong and never contains a secret.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * @category models
 * @since 0.1.0
 */
export const ErrorKind = Schema.Literals([
  "BadRequest",
  "Unauthenticated",
  "Forbidden",
  "NotFound",
  "Conflict",
  "UnsupportedOperation",
  "TooLarge",
  "ProtocolError",
  "WorkflowError",
  "Unavailable",
  "InternalError"
])

/**
 * @category models
 * @since 0.1.0
 */
export type ErrorKind = typeof ErrorKind.Type

/**
 * @category errors
 * @since 0.1.0
 */
export class DoipError extends Schema.TaggedError<DoipError>()("DoipError", {
  kind: ErrorKind,
  message: Schema.String
}) {}

/**
 * @category constructors
 * @since 0.1.0
 */
export const badRequest = (message: string) => new DoipError({ kind: "BadRequest", message })

/**
 * @category constructors
 * @since 0.1.0
 */
export const notFound = (message: string) => new DoipError({ kind: "NotFound", message })
