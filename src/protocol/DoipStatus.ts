/**
 * DOIP v2.0 status codes (PROTOCOL.md §2) and how they map to and from our error kinds.
 *
 * @since 0.1.0
 */
import type { ErrorKind } from "./DoipError.ts"

/**
 * @category constants
 * @since 0.1.0
 */
export const Status = {
  ok: "0.DOIP/Status.001",
  badRequest: "0.DOIP/Status.101",
  unauthenticated: "0.DOIP/Status.102",
  forbidden: "0.DOIP/Status.103",
  notFound: "0.DOIP/Status.104",
  conflict: "0.DOIP/Status.105",
  declined: "0.DOIP/Status.200",
  otherError: "0.DOIP/Status.500"
} as const

/**
 * The status a failure of this kind is answered with.
 *
 * @category conversions
 * @since 0.1.0
 */
export const fromErrorKind = (kind: ErrorKind): string => {
  switch (kind) {
    case "BadRequest":
    case "ProtocolError":
    case "TooLarge":
      return Status.badRequest
    case "Unauthenticated":
      return Status.unauthenticated
    case "Forbidden":
      return Status.forbidden
    case "NotFound":
      return Status.notFound
    case "Conflict":
      return Status.conflict
    case "UnsupportedOperation":
      return Status.declined
    case "WorkflowError":
    case "Unavailable":
    case "InternalError":
      return Status.otherError
  }
}

/**
 * The error kind of a status, for clients; `undefined` for success. The old short forms (`0.DOIP/Status.1`,
 * `0.DOIP/Status.101` as `.101`) are read by their number.
 *
 * @category conversions
 * @since 0.1.0
 */
export const toErrorKind = (status: string): ErrorKind | undefined => {
  const match = /^0\.DOIP\/Status\.0*(\d+)$/.exec(status)
  switch (match === null ? -1 : Number(match[1])) {
    case 1:
      return undefined
    case 101:
      return "BadRequest"
    case 102:
      return "Unauthenticated"
    case 103:
      return "Forbidden"
    case 104:
      return "NotFound"
    case 105:
      return "Conflict"
    case 200:
      return "UnsupportedOperation"
    default:
      return "InternalError"
  }
}
