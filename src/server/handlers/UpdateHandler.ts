/**
 * update: replaces one component of an existing object and commits it.
 *
 * Credentials are checked before a single byte of the content is read, and so is the shape of the request (exactly
 * one component block, whose id equals `element`). The write itself goes through `ComponentWriter`: a failed write
 * or commit leaves nothing staged. Other components stay as they were.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { badRequest, DoipError } from "../../protocol/DoipError.ts"
import { metadataResponse } from "../../protocol/DoipMessage.ts"
import { Auth } from "../../layers/Auth.ts"
import { ComponentWriter } from "../../layers/ComponentWriter.ts"
import { ServerConfig } from "../../layers/ServerConfig.ts"
import { Storage } from "../../layers/Storage.ts"
import { storageToDoipError } from "../../layers/StorageErrors.ts"
import type { Operation } from "../Operations.ts"
import { componentIdOf, objectIdOf, optionalString } from "./Requests.ts"

/**
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const auth = yield* Auth
  const storage = yield* Storage
  const writer = yield* ComponentWriter
  const { limits } = yield* ServerConfig
  return {
    name: "update",
    code: 0x03,
    handler: Effect.fnUntraced(function*(request) {
      const principal = yield* auth.authorizeWrite(request.credentials)
      const objectId = yield* objectIdOf(request)
      const component = request.component
      if (component === undefined) {
        return yield* badRequest("update needs exactly one component block holding the new content")
      }
      if (request.moreAfterComponent) {
        return yield* badRequest("update takes exactly one component block and nothing after it")
      }
      const element = (yield* optionalString(request, "element")) ?? component.componentId
      if (element !== component.componentId) {
        return yield* badRequest(
          `"element" is ${JSON.stringify(element)} but the component block is ${JSON.stringify(component.componentId)}`
        )
      }
      const componentId = yield* componentIdOf(element)
      const existing = yield* storage.list(objectId).pipe(Effect.mapError(storageToDoipError))
      if (existing.length === 0) {
        return yield* new DoipError({ kind: "NotFound", message: `object ${objectId} does not exist` })
      }
      const written = yield* writer.write({
        objectId,
        componentId,
        mediaType: component.mediaType,
        content: component.content,
        operation: "update",
        metadata: { committer: principal },
        maxSize: limits.maxComponentSize,
        expectedSize: component.size
      })
      return metadataResponse({
        operation: "update",
        status: "committed",
        objectId,
        componentId,
        mediaType: written.stat.mediaType,
        size: written.stat.size,
        checksum: written.stat.checksum,
        branch: written.branch,
        commitId: written.commit.id
      })
    })
  } satisfies Operation
})
