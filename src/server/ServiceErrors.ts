/**
 * The server's edge: how the services' own errors reach clients. Storage, the façade and the workflows fail with
 * errors of their own (`StorageError`, `FacadeError`, `WorkflowError`); handlers let them through, and this is the
 * one place that says which DOIP error each one is.
 *
 * @since 0.1.0
 */
import type { FacadeError } from "../layers/metadata/FacadeError.ts"
import type { StorageError } from "../layers/storage/Storage.ts"
import type { WorkflowError } from "../layers/workflows/WorkflowError.ts"
import { DoipError } from "../protocol/DoipError.ts"

/**
 * What a service fails with.
 *
 * @category models
 * @since 0.1.0
 */
export type ServiceError = StorageError | FacadeError | WorkflowError

/**
 * A handler's failure as the DOIP error a user understands.
 *
 * @category conversions
 * @since 0.1.0
 */
export const toDoipError = (error: DoipError | ServiceError): DoipError => {
  switch (error._tag) {
    case "DoipError":
      return error
    case "StorageError":
      return storageToDoipError(error)
    case "FacadeError":
      return new DoipError({ kind: FACADE_KINDS[error.kind], message: error.message })
    case "WorkflowError":
      return new DoipError({ kind: WORKFLOW_KINDS[error.kind], message: error.message })
  }
}

/**
 * Each `StorageError` kind as the DOIP error a user understands.
 *
 * @category conversions
 * @since 0.1.0
 */
export const storageToDoipError = (error: StorageError): DoipError => {
  switch (error.kind) {
    case "NotFound":
      return new DoipError({ kind: "NotFound", message: error.message })
    case "InvalidPath":
    case "SizeMismatch":
    // only a change that staged nothing commits nothing (ComponentWriter): the request asked for no change
    case "NoChanges":
      return new DoipError({ kind: "BadRequest", message: error.message })
    case "TooLarge":
      return new DoipError({ kind: "TooLarge", message: error.message })
    case "Unauthorized":
    case "Unavailable":
      return new DoipError({ kind: "Unavailable", message: `storage unavailable: ${error.message}` })
    case "OutcomeUnknown":
      return new DoipError({
        kind: "Unavailable",
        message: `outcome unknown: the change may or may not have been applied; retrieve the object to see ` +
          `whether it was (${error.message})`
      })
  }
}

const FACADE_KINDS = {
  NotFound: "NotFound",
  BadIdentifier: "BadRequest",
  Unavailable: "Unavailable"
} as const satisfies Record<FacadeError["kind"], DoipError["kind"]>

const WORKFLOW_KINDS = {
  BadParams: "BadRequest",
  NotFound: "NotFound",
  TooLarge: "TooLarge",
  Failed: "WorkflowError"
} as const satisfies Record<WorkflowError["kind"], DoipError["kind"]>
