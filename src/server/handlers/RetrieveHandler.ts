/**
 * retrieve: without `element`, the object's FDO manifest; with `element`, that component, streamed from storage
 * (its size is known from `stat` before the first byte is sent).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { metadataResponse } from "../../protocol/DoipMessage.ts"
import { FdoFacade } from "../../layers/FdoFacade.ts"
import { Storage } from "../../layers/Storage.ts"
import { storageToDoipError } from "../../layers/StorageErrors.ts"
import type { Operation } from "../Operations.ts"
import { componentIdOf, objectIdOf, optionalString } from "./Requests.ts"

/**
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const storage = yield* Storage
  const facade = yield* FdoFacade
  return {
    name: "retrieve",
    code: 0x02,
    handler: Effect.fnUntraced(function*(request) {
      const objectId = yield* objectIdOf(request)
      const element = yield* optionalString(request, "element")
      if (element === undefined) {
        return metadataResponse(yield* facade.manifest(objectId))
      }
      const componentId = yield* componentIdOf(element)
      const stat = yield* storage.stat(objectId, componentId).pipe(Effect.mapError(storageToDoipError))
      return {
        metadata: [],
        components: [{
          componentId,
          mediaType: stat.mediaType,
          size: stat.size,
          content: storage.read(objectId, componentId).pipe(Stream.mapError(storageToDoipError))
        }],
        workflow: []
      }
    })
  } satisfies Operation
})
