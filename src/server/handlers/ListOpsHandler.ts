/**
 * list_ops: the `availableOperations` map, answered as `list_operations` like the upstream server.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { metadataResponse } from "../../protocol/DoipMessage.ts"
import { type Operation, availableOperations } from "../Operations.ts"

/**
 * @since 0.1.0
 */
export const make = (operations: () => ReadonlyArray<Operation>): Operation => ({
  name: "list_ops",
  code: 0x04,
  handler: () =>
    Effect.succeed(metadataResponse({
      operation: "list_operations",
      availableOperations: availableOperations(operations())
    }))
})
