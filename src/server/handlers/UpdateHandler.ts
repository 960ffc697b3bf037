/**
 * update: changes an existing object and commits the change as one commit.
 *
 * Two shapes, one operation:
 *
 * - the upstream binary shape: `element` names one component and exactly one component block carries its new
 *   content; other components stay as they were;
 * - the DOIP v2.0 shape: the input is a digital object; every element sent with data is replaced or added, and when
 *   the object lists its `elements`, components it leaves out are deleted (with no `elements`, none is touched). Its
 *   `type` and `attributes.content`, when given, are recorded: the content as retrieve gave it, less what the server
 *   makes (`clientContent`), so that a retrieve, change, update loop keeps exactly the client's changes. An object
 *   sent back unchanged is answered as it is, with no commit.
 *
 * Credentials are checked before a single byte of content is read. Content is received (spooled) before the change
 * takes the writer's lock, so a slow client holds back no other writer. A failed write or commit leaves nothing
 * staged (`ComponentWriter`).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as DigitalObject from "../../protocol/DigitalObject.ts"
import { builtin } from "../../protocol/OperationCodes.ts"
import { badRequest, DoipError } from "../../protocol/DoipError.ts"
import { type DoipRequest, metadataResponse } from "../../protocol/DoipMessage.ts"
import * as ImporterItems from "../../layers/knowledge/ImporterItems.ts"
import { KnowledgeGraph } from "../../layers/knowledge/KnowledgeGraph.ts"
import { Auth } from "../Auth.ts"
import { ComponentWriter } from "../../layers/storage/ComponentWriter.ts"
import * as ObjectRecord from "../../layers/storage/ObjectRecord.ts"
import { FdoFacade } from "../../layers/metadata/FdoFacade.ts"
import { ServerConfig } from "../../layers/config/ServerConfig.ts"
import { Storage } from "../../layers/storage/Storage.ts"
import type { Operation } from "../OperationRegistry.ts"
import { answerWithObject, descriptionMetadata, receiveElements, stageElements } from "./ObjectInput.ts"
import { componentIdOf, digitalObjectOf, objectIdOf, optionalString, wikiWriterOf } from "./Requests.ts"

/**
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const auth = yield* Auth
  const storage = yield* Storage
  const writer = yield* ComponentWriter
  const facade = yield* FdoFacade
  const { limits } = yield* ServerConfig
  const graph = yield* Effect.serviceOption(KnowledgeGraph)

  /**
   * The object as storage holds it; `NotFound` when it does not exist. An object the façade knows exists though
   * storage holds nothing of it yet (a knowledge-graph item whose first component is being uploaded, as the upstream
   * server takes it); with the embedded façade, derived from storage, that is the same question.
   */
  const existing = Effect.fnUntraced(function*(objectId: string) {
    const found = yield* ObjectRecord.find(storage, objectId)
    if (found !== undefined) return found
    const known = yield* facade.manifest(objectId).pipe(
      Effect.as(true),
      Effect.catchIf((error) => error._tag === "FacadeError" && error.kind === "NotFound", () => Effect.succeed(false))
    )
    if (!known) return yield* new DoipError({ kind: "NotFound", message: `object ${objectId} does not exist` })
    return { components: [], recorded: false } satisfies ObjectRecord.Found
  })

  const updateOneComponent = Effect.fnUntraced(function*(request: DoipRequest, objectId: string, principal: string) {
    const component = yield* request.nextComponent
    if (component === undefined) {
      return yield* badRequest("update needs exactly one component block holding the new content")
    }
    if (component.last === false) {
      return yield* badRequest("update takes exactly one component block and nothing after it")
    }
    const block = yield* componentIdOf(component.componentId, objectId)
    const element = yield* optionalString(request, "element")
    const componentId = element === undefined ? block : yield* componentIdOf(element, objectId)
    if (componentId !== block) {
      return yield* badRequest(
        `"element" is ${JSON.stringify(element)} but the component block is ${JSON.stringify(component.componentId)}`
      )
    }
    // before the content is received, to refuse at once; and in the change, where it counts (a delete may land
    // meanwhile, here or on another server)
    yield* existing(objectId)
    const written = yield* writer.write({
      objectId,
      componentId,
      mediaType: component.mediaType ?? "application/octet-stream",
      content: component.content,
      operation: "update",
      metadata: { committer: principal },
      maxSize: limits.maxComponentSize,
      expectedSize: component.size,
      precondition: existing(objectId)
    })
    if ((yield* request.nextComponent) !== undefined) {
      // the change is committed already; say so rather than pretend nothing happened
      return yield* badRequest(
        `update takes exactly one component block; ${componentId} was committed (${written.commit.id}), the rest ignored`
      )
    }
    const metadata = {
      operation: "update",
      status: "committed",
      objectId,
      componentId,
      mediaType: written.stat.mediaType,
      size: written.stat.size,
      checksum: written.stat.checksum,
      branch: written.branch,
      commitId: written.commit.id
    }
    return yield* answerWithObject(facade, objectId, metadata)
  })

  const updateObject = Effect.fnUntraced(function*(request: DoipRequest, objectId: string, principal: string) {
    const object = yield* digitalObjectOf(request)
    if (object.id !== undefined && object.id !== objectId && object.id !== request.objectId) {
      return yield* badRequest(`the input object's id ${JSON.stringify(object.id)} is not the target ${objectId}`)
    }
    const { components, recorded } = yield* existing(objectId)
    const current = DigitalObject.fromManifest(objectId, yield* facade.manifest(objectId))
    const description = yield* descriptionMetadata(object, current)
    const changed = yield* receiveElements({
      request,
      objectId,
      object,
      existing: components,
      writer,
      maxComponentSize: limits.maxComponentSize
    }).pipe(
      // the data first, before the lock: a slow client holds back no other writer
      Effect.flatMap((received) =>
        writer.change(
          { objectId, operation: "update", metadata: { committer: principal, ...description } },
          (staging) =>
            Effect.tap(
              // the object must still be there (a delete may land meanwhile, here or on another server)
              Effect.andThen(existing(objectId), stageElements(received, staging)),
              // a new description is a change of the object even when no element changes; and an object made before
              // records (or by the binary wire) gets one now, so that an update leaving it no component does not end it
              () => Object.keys(description).length === 0 && recorded ? Effect.void : ObjectRecord.stage(staging, description)
            )
        )
      ),
      Effect.scoped,
      Effect.map((changed) => Option.some(changed)),
      // the object sent back as it is: nothing to commit, and nothing wrong with that
      Effect.catchIf((error) => error._tag === "StorageError" && error.kind === "NoChanges", () => Effect.succeed(Option.none()))
    )
    if (Option.isNone(changed)) {
      return yield* answerWithObject(facade, objectId, { operation: "update", status: "unchanged", objectId })
    }
    const { branch, commit, result } = changed.value
    const metadata = {
      operation: "update",
      status: "committed",
      objectId,
      componentIds: result.written.map((stat) => stat.componentId),
      removed: result.removed,
      branch,
      commitId: commit.id
    }
    return yield* answerWithObject(facade, objectId, metadata)
  })

  /**
   * Upstream's property update (`{properties: {P28: ...}}`, no component): the item's properties set through the
   * importer, with the writer's wiki user name and bot password; a property set already is a `Conflict` naming the
   * values the item has. Without an importer there is no item to set them on: `UnsupportedOperation`.
   */
  const updateProperties = Effect.fnUntraced(function*(request: DoipRequest, objectId: string) {
    const properties = ImporterItems.checkProperties(request.attributes["properties"])
    if (Result.isFailure(properties)) {
      return yield* badRequest(`"properties" must be a JSON object of what to set: ${properties.failure}`)
    }
    if ((yield* request.nextComponent) !== undefined) {
      return yield* badRequest(`an update of "properties" takes no component`)
    }
    const items = Option.getOrUndefined(graph)?.items
    if (items === undefined) {
      return yield* new DoipError({
        kind: "UnsupportedOperation",
        message: "updating properties needs MaRDI's importer (IMPORTER_API_URL); this server has none"
      })
    }
    yield* items.updateProperties(objectId, properties.success, yield* wikiWriterOf(request, "updating properties"))
    yield* facade.purge(objectId)
    return metadataResponse({ operation: "update", status: "updated", objectId })
  })

  return {
    ...builtin("update"),
    target: "object",
    handler: Effect.fnUntraced(function*(request) {
      const principal = yield* auth.authorizeWrite(request.credentials, request.peer)
      const objectId = yield* objectIdOf(request)
      if (request.input === undefined && request.attributes["properties"] !== undefined) {
        return yield* updateProperties(request, objectId)
      }
      return request.input === undefined
        ? yield* updateOneComponent(request, objectId, principal)
        : yield* updateObject(request, objectId, principal)
    })
  } satisfies Operation
})
