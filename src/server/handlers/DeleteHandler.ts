/**
 * delete: removes every component of an object in one commit, after which the object no longer exists. Its history
 * stays in storage (lakeFS and the embedded store keep every commit).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { builtin } from "../../protocol/OperationCodes.ts"
import { DoipError } from "../../protocol/DoipError.ts"
import { metadataResponse } from "../../protocol/DoipMessage.ts"
import { Auth } from "../Auth.ts"
import { ComponentWriter } from "../../layers/storage/ComponentWriter.ts"
import { Storage } from "../../layers/storage/Storage.ts"
import type { Operation } from "../OperationRegistry.ts"
import { RECORD_ID } from "../../layers/storage/ObjectId.ts"
import * as ObjectRecord from "../../layers/storage/ObjectRecord.ts"
import { objectIdOf } from "./Requests.ts"

/**
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const auth = yield* Auth
  const storage = yield* Storage
  const writer = yield* ComponentWriter
  return {
    ...builtin("delete"),
    target: "object",
    handler: Effect.fnUntraced(function*(request) {
      const principal = yield* auth.authorizeWrite(request.credentials, request.peer)
      const objectId = yield* objectIdOf(request)
      const changed = yield* writer.change(
        { objectId, operation: "delete", metadata: { committer: principal } },
        Effect.fnUntraced(function*(staging) {
          // listed under the lock, so a component created meanwhile is not left behind
          const found = yield* ObjectRecord.find(storage, objectId)
          if (found === undefined) {
            return yield* new DoipError({ kind: "NotFound", message: `object ${objectId} does not exist` })
          }
          yield* Effect.forEach(found.components, (stat) => staging.remove(stat.componentId), { discard: true })
          if (found.recorded) yield* staging.remove(RECORD_ID)
          return found.components.map((stat) => stat.componentId)
        })
      )
      return {
        ...metadataResponse({
          operation: "delete",
          status: "deleted",
          objectId,
          componentIds: changed.result,
          branch: changed.branch,
          commitId: changed.commit.id
        }),
        // DOIP v2.0's delete answers with a status and no output
        output: undefined
      }
    })
  } satisfies Operation
})
