/**
 * The registry of the built-in operations, and the way to add operations of your own.
 *
 * An extension is an `Effect` that builds an {@link Operation} (name, optional binary code, DOIP v2.0 operation id,
 * target, handler); it may use any service its layer provides. Both listeners expose it: the binary envelope by its
 * name in the metadata `operation` field (or its code), DOIP v2.0 by its `doipId`.
 *
 * ```ts
 * const echo = Effect.succeed({
 *   name: "echo", code: undefined, doipId: "example/Op.Echo", target: "service",
 *   handler: (request) => Effect.succeed(metadataResponse({ echo: request.attributes }))
 * } satisfies Operation)
 * const services = DoipServer.layerServicesWith(DoipServer.layerWorkflows, [echo])
 * ```
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as CreateHandler from "./handlers/CreateHandler.ts"
import * as DeleteHandler from "./handlers/DeleteHandler.ts"
import * as HelloHandler from "./handlers/HelloHandler.ts"
import * as InvokeHandler from "./handlers/InvokeHandler.ts"
import * as ListOpsHandler from "./handlers/ListOpsHandler.ts"
import * as PurgeHandler from "./handlers/PurgeHandler.ts"
import * as DescribeHandler from "./handlers/DescribeHandler.ts"
import * as RetrieveHandler from "./handlers/RetrieveHandler.ts"
import * as SearchHandler from "./handlers/SearchHandler.ts"
import * as UpdateHandler from "./handlers/UpdateHandler.ts"
import * as WatchHandler from "./handlers/WatchHandler.ts"
import * as VersionsHandler from "./handlers/VersionsHandler.ts"
import { make, type Operation, Operations } from "./OperationRegistry.ts"

/**
 * The built-in operations and `extensions` after them.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerWith = <E, R>(extensions: ReadonlyArray<Effect.Effect<Operation, E, R>>) =>
  Layer.effect(
    Operations,
    Effect.gen(function*() {
      // hello and list_ops describe the registry they are part of: they read it when called
      let all: ReadonlyArray<Operation> = []
      const operations = [
        yield* HelloHandler.make(() => all),
        yield* ListOpsHandler.make(() => all),
        yield* CreateHandler.make,
        yield* RetrieveHandler.make,
        yield* UpdateHandler.make,
        yield* DeleteHandler.make,
        yield* SearchHandler.make,
        yield* InvokeHandler.make,
        yield* PurgeHandler.make,
        yield* DescribeHandler.make,
        yield* VersionsHandler.make,
        yield* WatchHandler.make,
        ...yield* Effect.all(extensions)
      ]
      const registry = make(operations)
      all = registry.all
      return registry
    })
  )

/**
 * The built-in operations.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = layerWith<never, never>([])
