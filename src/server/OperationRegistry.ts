/**
 * The operation registry: operation names, their binary codes and DOIP v2.0 operation ids, and the handler Effect
 * that answers each.
 *
 * Listeners look operations up here and never know what a handler needs: handlers capture their services when the
 * registry is built. Both listeners (binary envelope and DOIP v2.0) share the one registry, so each operation has
 * one implementation and two framings. Users add operations of their own with `BuiltinOperations.layerWith`.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { DoipError } from "../protocol/DoipError.ts"
import type { DoipRequest, DoipResponse } from "../protocol/DoipMessage.ts"
import { failWith, type ServiceError } from "./ServiceErrors.ts"

/**
 * @category models
 * @since 0.1.0
 */
export type Handler = (request: DoipRequest) => Effect.Effect<DoipResponse, DoipError | ServiceError>

/**
 * @category models
 * @since 0.1.0
 */
export interface Operation {
  /** the name the binary envelope's metadata `operation` field uses */
  readonly name: string
  /** the binary envelope's operation code, when the operation has one */
  readonly code: number | undefined
  /** the DOIP v2.0 `operationId` */
  readonly doipId: string
  /** whether the operation's target is the service itself or one object (ListOperations lists them apart) */
  readonly target: "service" | "object"
  readonly handler: Handler
}

/**
 * @category services
 * @since 0.1.0
 */
export class Operations extends Context.Service<Operations, {
  readonly all: ReadonlyArray<Operation>
  /** by name; `list_operations` is `list_ops`, as the upstream client spells it */
  readonly get: (name: string) => Operation | undefined
  readonly byCode: (code: number) => Operation | undefined
  /** by DOIP v2.0 operation id, or by name */
  readonly byDoipId: (operationId: string) => Operation | undefined
}>()("effect-doip/server/Operations") {}

/**
 * A registry of exactly these operations. Names, codes and DOIP ids must be unique: a clash is a programming error
 * and throws when the registry is built.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (operations: ReadonlyArray<Operation>): Operations["Service"] => {
  const byName = uniqueIndex(operations, (op) => op.name, "name")
  const byCode = uniqueIndex(operations.filter((op) => op.code !== undefined), (op) => op.code!, "code")
  const byDoipId = uniqueIndex(operations, (op) => op.doipId, "DOIP operation id")
  return Operations.of({
    all: operations,
    get: (name) => byName.get(aliases[name] ?? name),
    byCode: (code) => byCode.get(code),
    byDoipId: (operationId) => byDoipId.get(operationId) ?? byName.get(operationId)
  })
}

/**
 * The `availableOperations` map of hello and list_ops: wire name to code.
 *
 * @category formatting
 * @since 0.1.0
 */
export const availableOperations = (operations: ReadonlyArray<Operation>) =>
  Object.fromEntries(operations.filter((op) => op.code !== undefined).map((op) => [wireName(op.name), op.code]))

/**
 * The name a binary response echoes in its `operation` field: the upstream server answers list_ops as
 * `list_operations`.
 *
 * @category formatting
 * @since 0.1.0
 */
export const wireName = (name: string): string => (name === "list_ops" ? "list_operations" : name)

/**
 * What a handler's failure answers, for a listener: the services' errors become DOIP errors here, in one place
 * (with the detail their client's message leaves out in the log); its defects an `InternalError` that names only
 * the operation for the client (never the defect's message or stack) and an error with all of it in the log, so a
 * bug in a handler never takes the connection down; an interruption stays one.
 *
 * @category running
 * @since 0.1.0
 */
export const handlerFailure = (
  operation: Operation,
  cause: Cause.Cause<DoipError | ServiceError>
): Effect.Effect<never, DoipError> => {
  const error = Cause.findError(cause)
  if (Result.isSuccess(error)) return failWith(error.success)
  const defect = Cause.findDefect(cause)
  if (Result.isFailure(defect)) return Effect.failCause(cause as Cause.Cause<never>) // interrupted
  return Effect.logError("operation failed unexpectedly", operation.name, defect.success).pipe(
    Effect.andThen(Effect.fail(new DoipError({ kind: "InternalError", message: `${operation.name} failed unexpectedly` })))
  )
}

const uniqueIndex = <K>(operations: ReadonlyArray<Operation>, key: (op: Operation) => K, what: string) => {
  const index = new Map<K, Operation>()
  for (const op of operations) {
    const k = key(op)
    if (index.has(k)) throw new Error(`two operations share the ${what} ${String(k)}: ${index.get(k)!.name}, ${op.name}`)
    index.set(k, op)
  }
  return index
}

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const aliases: Readonly<Record<string, string>> = { list_operations: "list_ops" }
