/**
 * versions: an object's versions, newest first. Every write is a commit, and every commit that changed the object is a
 * version of it: its id (what retrieve's `version` takes), when, by whom, the commit message, the operation, and which
 * components it added, changed and removed. A DOIP v2.0 extended operation (`0.DOIP/Op.Versions`) and binary code
 * 0x0b; both wires answer `{operation: "versions", objectId, versions: [...]}` (`protocol/ObjectVersion.ts`).
 *
 * An object that was deleted keeps its versions (the delete is the newest); an object with none is `NotFound`, unless
 * the façade knows it (an object it serves with nothing stored has no versions: an empty list).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { builtin } from "../../protocol/OperationCodes.ts"
import { metadataResponse } from "../../protocol/DoipMessage.ts"
import type { ObjectVersion } from "../../protocol/ObjectVersion.ts"
import { FdoFacade } from "../../layers/metadata/FdoFacade.ts"
import { isReserved } from "../../layers/storage/ObjectId.ts"
import { type CommitInfo, type ComponentChange, Storage } from "../../layers/storage/Storage.ts"
import type { Operation } from "../OperationRegistry.ts"
import { objectIdOf } from "./Requests.ts"

/**
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const storage = yield* Storage
  const facade = yield* FdoFacade
  return {
    ...builtin("versions"),
    target: "object",
    handler: Effect.fnUntraced(function*(request) {
      const objectId = yield* objectIdOf(request)
      const history = yield* storage.history(objectId)
      // no versions: the object must exist all the same (the façade may serve it with nothing stored)
      if (history.length === 0) yield* facade.manifest(objectId)
      const versions = yield* Effect.forEach(
        history,
        (commit) => Effect.map(storage.changes(objectId, commit), (changes) => versionOf(commit, changes)),
        { concurrency: 8 }
      )
      return metadataResponse({ operation: "versions", objectId, versions })
    })
  } satisfies Operation
})

/**
 * A commit and what it changed of the object, as a version.
 *
 * @category constructors
 * @since 0.1.0
 */
export const versionOf = (commit: CommitInfo, changes: ReadonlyArray<ComponentChange>): ObjectVersion => {
  const of = (kind: ComponentChange["change"]) =>
    changes.filter((c) => c.change === kind && !isReserved(c.componentId)).map((c) => c.componentId)
  const record = changes.find((c) => isReserved(c.componentId))
  return {
    id: commit.id,
    time: commit.creationDate,
    author: commit.metadata["committer"] ?? commit.committer,
    message: commit.message,
    ...(commit.metadata["operation"] === undefined ? {} : { operation: commit.metadata["operation"] }),
    components: { added: of("added"), changed: of("changed"), removed: of("removed") },
    ...(record === undefined ? {} : { description: record.change })
  }
}
