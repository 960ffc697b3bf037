/**
 * list_ops: what can be asked. The binary envelope gets the upstream `availableOperations` map (answered as
 * `list_operations`); DOIP v2.0 gets the list of operation ids that apply to the target: the service's operations
 * when the target is the service, an object's operations when it names an object (which must exist).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { builtin } from "../../protocol/OperationCodes.ts"
import { type DoipResponse, dualResponse } from "../../protocol/DoipMessage.ts"
import { FdoFacade } from "../../layers/metadata/FdoFacade.ts"
import { parseObjectId } from "../../layers/storage/ObjectId.ts"
import { availableOperations, type Operation } from "../OperationRegistry.ts"

/**
 * @since 0.1.0
 */
export const make = (operations: () => ReadonlyArray<Operation>) =>
  Effect.gen(function*() {
    const facade = yield* FdoFacade
    // the registry is fixed once built: each answer is made once, on first use, and its encoding kept (cacheable)
    const answers = new Map<"service" | "object", DoipResponse>()
    const answer = (target: "service" | "object") => {
      let response = answers.get(target)
      if (response === undefined) {
        response = {
          ...dualResponse(
            { operation: "list_operations", availableOperations: availableOperations(operations()) },
            operations().filter((op) => op.target === target).map((op) => op.doipId)
          ),
          cacheable: true
        }
        answers.set(target, response)
      }
      return response
    }
    return {
      ...builtin("list_ops"),
      target: "service",
      handler: Effect.fnUntraced(function*(request) {
        const objectId = Result.getOrUndefined(parseObjectId(request.objectId))
        // an object's operations are offered only on objects that exist
        if (objectId !== undefined) yield* facade.manifest(objectId)
        return answer(objectId === undefined ? "service" : "object")
      })
    } satisfies Operation
  })
