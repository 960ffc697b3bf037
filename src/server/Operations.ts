/**
 * The operation registry: operation names, their binary codes, and the handler Effect that answers each.
 *
 * Listeners look operations up here and never know what a handler needs: handlers capture their services when the
 * registry is built. Every listener (binary envelope, later DOIP v2.0) shares the one registry, so each operation has
 * one implementation.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { DoipError } from "../protocol/DoipError.ts"
import type { DoipRequest, DoipResponse } from "../protocol/DoipMessage.ts"
import { wireName } from "../protocol/Operation.ts"

/**
 * @category models
 * @since 0.1.0
 */
export type Handler = (request: DoipRequest) => Effect.Effect<DoipResponse, DoipError>

/**
 * @category models
 * @since 0.1.0
 */
export interface Operation {
  readonly name: string
  /** the binary envelope's operation code, when the operation has one */
  readonly code: number | undefined
  readonly handler: Handler
}

/**
 * @category services
 * @since 0.1.0
 */
export class Operations extends Context.Service<Operations, {
  readonly all: ReadonlyArray<Operation>
  readonly get: (name: string) => Operation | undefined
}>()("effect-doip/server/Operations") {}

/**
 * A registry of exactly these operations.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (operations: ReadonlyArray<Operation>): Operations["Service"] => {
  const byName = new Map(operations.map((op) => [op.name, op]))
  return Operations.of({ all: [...byName.values()], get: (name) => byName.get(name) })
}

/**
 * The `availableOperations` map of hello and list_ops: wire name to code.
 *
 * @category formatting
 * @since 0.1.0
 */
export const availableOperations = (operations: ReadonlyArray<Operation>) =>
  Object.fromEntries(operations.filter((op) => op.code !== undefined).map((op) => [wireName(op.name), op.code]))
