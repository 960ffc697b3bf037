/**
 * purge: forgets the cached manifest of an object, or the cached type FDO of a type id (`types/X`, or its full URI),
 * so the next retrieve reads it afresh.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { builtin } from "../../protocol/OperationCodes.ts"
import { metadataResponse } from "../../protocol/DoipMessage.ts"
import { FdoFacade } from "../../layers/metadata/FdoFacade.ts"
import { ServerConfig } from "../../layers/config/ServerConfig.ts"
import * as TypeCatalog from "../../layers/metadata/TypeCatalog.ts"
import type { Operation } from "../OperationRegistry.ts"
import { objectIdOf, typeIdOf } from "./Requests.ts"

/**
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const facade = yield* FdoFacade
  const typesBase = TypeCatalog.baseUri((yield* ServerConfig).fdoApi)
  return {
    ...builtin("purge"),
    target: "object",
    handler: Effect.fnUntraced(function*(request) {
      const typeId = yield* typeIdOf(request, typesBase)
      if (typeId !== undefined) {
        yield* facade.purgeType(typeId)
        const id = `${TypeCatalog.prefix}${typeId}`
        return metadataResponse({ operation: "purge", status: "purged", objectId: id, pid: id })
      }
      const objectId = yield* objectIdOf(request)
      yield* facade.purge(objectId)
      // upstream clients read `pid`; ours `objectId`
      return metadataResponse({ operation: "purge", status: "purged", objectId, pid: objectId })
    })
  } satisfies Operation
})
