/**
 * retrieve: without `element`, the object (binary: its FDO manifest; DOIP v2.0: the digital object, with every
 * element's bytes after it when `includeElementData` is set); with `element`, that component, streamed from storage
 * (its size is known from `stat` before the first byte is sent).
 *
 * A type id (`types/Dataset`, or its full URI under the configured façade) answers the type FDO from the façade:
 * binary as the one metadata block, DOIP v2.0 as a `DigitalObjectType` object with the FDO as its content. Types have
 * no elements.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { builtin } from "../../protocol/OperationCodes.ts"
import * as DigitalObject from "../../protocol/DigitalObject.ts"
import { type DoipRequest, dualResponse, type OutgoingComponent } from "../../protocol/DoipMessage.ts"
import { badRequest } from "../../protocol/DoipError.ts"
import { FdoFacade } from "../../layers/metadata/FdoFacade.ts"
import { ServerConfig } from "../../layers/config/ServerConfig.ts"
import { Storage } from "../../layers/storage/Storage.ts"
import { storageToDoipError } from "../../layers/storage/StorageErrors.ts"
import * as TypeCatalog from "../../layers/metadata/TypeCatalog.ts"
import type { Operation } from "../OperationRegistry.ts"
import { componentIdOf, objectIdOf, optionalBoolean, optionalString, typeIdOf } from "./Requests.ts"

/**
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const storage = yield* Storage
  const facade = yield* FdoFacade
  const typesBase = TypeCatalog.baseUri((yield* ServerConfig).fdoApi)
  const component = (objectId: string, componentId: string) =>
    Effect.map(storage.stat(objectId, componentId), (stat) => ({
      componentId,
      mediaType: stat.mediaType,
      size: stat.size,
      // built only when asked for: the listeners read through `open`, and a stream costs dozens of objects to build
      get content() {
        return storage.read(objectId, componentId).pipe(Stream.mapError(storageToDoipError))
      },
      open: Effect.suspend(() =>
        Effect.map(
          Effect.mapError(storage.open(objectId, componentId), storageToDoipError),
          (opened) => ({
            size: opened.size,
            read: (into: Uint8Array) => Effect.mapError(opened.read(into), storageToDoipError)
          })
        )
      )
    } satisfies OutgoingComponent))
  const retrieve = Effect.fnUntraced(function*(request: DoipRequest) {
    const element = yield* optionalString(request, "element")
    const typeId = yield* typeIdOf(request, typesBase)
    if (typeId !== undefined) {
      if (element !== undefined) return yield* badRequest(`type ${typeId} has no elements; retrieve it without "element"`)
      const fdo = yield* facade.type(typeId)
      return dualResponse(fdo, {
        id: `${TypeCatalog.prefix}${typeId}`,
        type: "DigitalObjectType",
        attributes: { content: fdo }
      } satisfies DigitalObject.DigitalObject)
    }
    const objectId = yield* objectIdOf(request)
    if (element !== undefined) {
      return { metadata: [], components: [yield* component(objectId, yield* componentIdOf(element))], workflow: [] }
    }
    const manifest = yield* facade.manifest(objectId)
    const object = DigitalObject.fromManifest(objectId, manifest)
    if (!(yield* optionalBoolean(request, "includeElementData"))) return dualResponse(manifest, object)
    const components = yield* Effect.forEach(object.elements ?? [], (e) => component(objectId, e.id))
    return { metadata: [manifest], components, workflow: [], output: object }
  })
  return {
    ...builtin("retrieve"),
    target: "object",
    handler: retrieve
  } satisfies Operation
})
