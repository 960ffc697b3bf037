/**
 * The registry of the built-in operations (hello, list_ops, retrieve, update, invoke, purge).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as HelloHandler from "./handlers/HelloHandler.ts"
import * as InvokeHandler from "./handlers/InvokeHandler.ts"
import * as ListOpsHandler from "./handlers/ListOpsHandler.ts"
import * as PurgeHandler from "./handlers/PurgeHandler.ts"
import * as RetrieveHandler from "./handlers/RetrieveHandler.ts"
import * as UpdateHandler from "./handlers/UpdateHandler.ts"
import { make, type Operation, Operations } from "./Operations.ts"

/**
 * @category layers
 * @since 0.1.0
 */
export const layer = Layer.effect(
  Operations,
  Effect.gen(function*() {
    // hello and list_ops describe the registry they are part of: they read it when called
    let all: ReadonlyArray<Operation> = []
    const operations = [
      yield* HelloHandler.make(() => all),
      yield* RetrieveHandler.make,
      yield* UpdateHandler.make,
      ListOpsHandler.make(() => all),
      yield* InvokeHandler.make,
      yield* PurgeHandler.make
    ]
    const registry = make(operations)
    all = registry.all
    return registry
  })
)
