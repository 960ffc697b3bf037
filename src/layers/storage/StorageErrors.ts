/**
 * How storage failures reach clients: each `StorageError` kind as the DOIP error a user understands.
 *
 * @since 0.1.0
 */
import { DoipError } from "../../protocol/DoipError.ts"
import type { StorageError } from "./Storage.ts"

/**
 * @category conversions
 * @since 0.1.0
 */
export const storageToDoipError = (error: StorageError): DoipError => {
  switch (error.kind) {
    case "NotFound":
      return new DoipError({ kind: "NotFound", message: error.message })
    case "InvalidPath":
    case "SizeMismatch":
      return new DoipError({ kind: "BadRequest", message: error.message })
    case "TooLarge":
      return new DoipError({ kind: "TooLarge", message: error.message })
    case "NoChanges":
      return new DoipError({ kind: "Conflict", message: error.message })
    case "Unauthorized":
    case "Unavailable":
      return new DoipError({ kind: "Unavailable", message: `storage unavailable: ${error.message}` })
  }
}
