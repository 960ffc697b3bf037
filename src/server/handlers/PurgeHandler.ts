/**
 * purge: forgets the cached manifest of an object, so the next retrieve reads it afresh.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { builtin } from "../../protocol/Operation.ts"
import { metadataResponse } from "../../protocol/DoipMessage.ts"
import { FdoFacade } from "../../layers/FdoFacade.ts"
import type { Operation } from "../Operations.ts"
import { objectIdOf } from "./Requests.ts"

/**
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const facade = yield* FdoFacade
  return {
    ...builtin("purge"),
    target: "object",
    handler: Effect.fnUntraced(function*(request) {
      const objectId = yield* objectIdOf(request)
      yield* facade.purge(objectId)
      return metadataResponse({ operation: "purge", status: "purged", objectId })
    })
  } satisfies Operation
})
