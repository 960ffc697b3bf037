/**
 * The server's edge: how the services' own errors reach clients. Storage, the façade, the workflows and the knowledge
 * graph fail with errors of their own (`StorageError`, `FacadeError`, `WorkflowError`, `KnowledgeGraphError`); handlers let them through, and this is the
 * one place that says which DOIP error each one is.
 *
 * It is also where a service's message becomes what a client may read (`forClient`): the services word their
 * messages for the operator, with storage keys (`00/01/23/Q123/components/a.pdf`), file paths and backend URLs; the
 * client reads the object and component as it named them, and no path or URL. `failWith` logs what the client's
 * message left out, so the operator keeps the detail.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { redactUrlsIn } from "../layers/config/Redact.ts"
import type { KnowledgeGraphError } from "../layers/knowledge/KnowledgeGraph.ts"
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
export type ServiceError = StorageError | FacadeError | WorkflowError | KnowledgeGraphError

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
      return new DoipError({ kind: FACADE_KINDS[error.kind], message: forClient(error.message) })
    case "WorkflowError":
      return new DoipError({ kind: WORKFLOW_KINDS[error.kind], message: forClient(error.message) })
    case "KnowledgeGraphError":
      switch (error.kind) {
        case "BadRequest":
        case "Conflict":
        case "Forbidden":
        case "NotFound":
          return new DoipError({ kind: error.kind, message: forClient(error.message) })
        case "Unauthorized":
          return new DoipError({ kind: "Unauthenticated", message: forClient(error.message) })
        case "Unavailable":
          return new DoipError({ kind: "Unavailable", message: `knowledge graph unavailable: ${forClient(error.message)}` })
      }
  }
}

/**
 * Fails with the DOIP error a handler's failure means (`toDoipError`), after logging the service's own message when
 * the client's leaves something out (a path, a URL), so the operator can still tell what failed.
 *
 * @category conversions
 * @since 0.1.0
 */
export const failWith = (error: DoipError | ServiceError): Effect.Effect<never, DoipError> =>
  error._tag === "DoipError" ? Effect.fail(error) : Effect.andThen(logLeftOut(error), Effect.fail(toDoipError(error)))

/**
 * Logs a service error's message when the client reads less of it (`forClient`); nothing otherwise.
 *
 * @category conversions
 * @since 0.1.0
 */
export const logLeftOut = (error: DoipError | ServiceError): Effect.Effect<void> =>
  error._tag === "DoipError" || forClient(error.message) === error.message
    ? Effect.void
    : Effect.logWarning(`${error._tag} (${error.kind}), answered without its detail: ${redactUrlsIn(error.message)}`)

/**
 * A service's message as a client may read it: a storage key names the component and object (`component a.pdf of
 * Q123`), and absolute file paths, URLs and stack traces are left out (`<path>`, `<url>`).
 *
 * @category conversions
 * @since 0.1.0
 */
export const forClient = (message: string): string =>
  !SUSPECT.test(message) ? message : message
    .replace(STACK, "")
    .replace(REQUEST, "")
    .replace(URL_IN_TEXT, "<url>")
    .replace(STORAGE_KEY, (_, objectId: string, folder: string | undefined, componentId: string | undefined) =>
      componentId !== undefined && componentId !== ""
        ? `component ${componentId} of ${objectId}`
        : folder !== undefined
        ? `the components of ${objectId}`
        : objectId)
    .replace(ABSOLUTE_PATH, "$1<path>")

/**
 * Each `StorageError` kind as the DOIP error a user understands.
 *
 * @category conversions
 * @since 0.1.0
 */
export const storageToDoipError = (error: StorageError): DoipError => {
  switch (error.kind) {
    case "NotFound":
      return new DoipError({ kind: "NotFound", message: forClient(error.message) })
    case "InvalidPath":
    case "SizeMismatch":
    // only a change that staged nothing commits nothing (ComponentWriter): the request asked for no change
    case "NoChanges":
      return new DoipError({ kind: "BadRequest", message: forClient(error.message) })
    case "TooLarge":
      return new DoipError({ kind: "TooLarge", message: forClient(error.message) })
    case "Unauthorized":
    case "Unavailable":
      return new DoipError({ kind: "Unavailable", message: `storage unavailable: ${forClient(error.message)}` })
    case "Conflict":
      return new DoipError({ kind: "Conflict", message: forClient(error.message) })
    case "OutcomeUnknown":
      return new DoipError({
        kind: "Unavailable",
        message: `outcome unknown: the change may or may not have been applied; retrieve the object to see ` +
          `whether it was (${forClient(error.message)})`
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

// what `forClient` looks for; a message without a slash, a backslash or a line break has none of it
const SUSPECT = /[/\\\n]/

/** everything after the first line: a stack trace's frames, or whatever else a message should not carry */
const STACK = /\n[^]*$/

/** what an HTTP client's error adds: ` (GET http://…)`, ` (404 GET http://…)` */
const REQUEST = / ?\((?:\d{3} )?(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) [^)]*\)/g

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>()]*/gi

/**
 * `{shard}/components/{componentId}` (or `checksums`), a listing prefix `{shard}/components/`, or a bare shard; the
 * component id runs to white space, a quote or a bracket, a trailing `:`, `,` or `.` left out
 */
const STORAGE_KEY =
  /\b\d{2}\/\d{2}\/\d{2}\/(Q\d+)(?:\/(components|checksums)\/([^\s'"()]*?)(?=[:,.]?(?:[\s'"()]|$)))?\/?/g

/** an absolute file path (POSIX or Windows) after a space, a quote, a bracket or `=`, a trailing `:`, `,` or `.` left out */
const ABSOLUTE_PATH = /(^|[\s'"(=])(?:\/|[A-Za-z]:\\)[^\s'"()]+?(?=[:,.]?(?:[\s'"()]|$))/g
