/**
 * describe: the object's FDO record, as the façade gives it (the upstream server's describe, binary code 0x06; a
 * DOIP v2.0 extended operation, `0.DOIP/Op.Describe`). Unlike retrieve, it never answers elements, and on DOIP v2.0
 * it answers the record itself rather than a digital object wrapping it. A type id (`types/X`, or its full URI)
 * answers the type FDO.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { builtin } from "../../protocol/OperationCodes.ts"
import { dualResponse } from "../../protocol/DoipMessage.ts"
import { ServerConfig } from "../../layers/config/ServerConfig.ts"
import { FdoFacade } from "../../layers/metadata/FdoFacade.ts"
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
    ...builtin("describe"),
    target: "object",
    handler: Effect.fnUntraced(function*(request) {
      const typeId = yield* typeIdOf(request, typesBase)
      const record = typeId !== undefined
        ? yield* facade.type(typeId)
        : yield* facade.manifest(yield* objectIdOf(request))
      return dualResponse(record, record)
    })
  } satisfies Operation
})
