/**
 * retrieve: without `element`, the object (binary: its FDO manifest; DOIP v2.0: the digital object, with every
 * element's bytes after it when `includeElementData` is set); with `element`, that component, streamed from storage
 * (its size is known from `stat` before the first byte is sent).
 *
 * Element `rocrate` is the object's RO-Crate: the component of that name when storage holds one, else a zip of the
 * object's components (or of its distribution) built as it streams (`rocrate/RoCrate.ts`). A built crate has no
 * ranges.
 *
 * `version` (a commit id, as `versions` lists them) retrieves the object as it was at that commit: the manifest from
 * what storage held then (`FdoFacade.manifest(objectId, version)`), an element's bytes as they were (ranges too), the
 * RO-Crate of the components then. A version that names no commit, or one at which the object or element was not
 * there, is `NotFound`, saying so.
 *
 * A type id (`types/Dataset`, or its full URI under the configured façade) answers the type FDO from the façade:
 * binary as the one metadata block, DOIP v2.0 as a `DigitalObjectType` object with the FDO as its content. Types have
 * no elements.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { builtin } from "../../protocol/OperationCodes.ts"
import * as DigitalObject from "../../protocol/DigitalObject.ts"
import { type ContentReader, type DoipRequest, type DoipResponse, dualResponse, type OutgoingComponent } from "../../protocol/DoipMessage.ts"
import { badRequest, type DoipError } from "../../protocol/DoipError.ts"
import { FdoFacade } from "../../layers/metadata/FdoFacade.ts"
import { ServerConfig } from "../../layers/config/ServerConfig.ts"
import { Storage } from "../../layers/storage/Storage.ts"
import { failWith, logLeftOut, storageToDoipError } from "../ServiceErrors.ts"
import * as TypeCatalog from "../../layers/metadata/TypeCatalog.ts"
import type { Operation } from "../OperationRegistry.ts"
import * as RoCrate from "../rocrate/RoCrate.ts"
import type { ByteRange, ComponentStat, StorageReader } from "../../layers/storage/Storage.ts"
import { componentIdOf, objectIdOf, optionalBoolean, optionalString, rangeOf, typeIdOf } from "./Requests.ts"

/**
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const storage = yield* Storage
  const facade = yield* FdoFacade
  const typesBase = TypeCatalog.baseUri((yield* ServerConfig).fdoApi)
  const crates = yield* RoCrate.make
  const component = (
    reader: StorageReader,
    objectId: string,
    componentId: string,
    attributes?: Readonly<Record<string, unknown>>
  ) =>
    Effect.map(reader.stat(objectId, componentId), (stat) =>
      new StoredComponent(reader, objectId, componentId, stat, undefined, attributes))
  /** one element, or the part of it `attributes.range` asks for */
  const element = (request: DoipRequest, reader: StorageReader, objectId: string, componentId: string) =>
    request.attributes["range"] === undefined
      ? component(reader, objectId, componentId)
      : Effect.flatMap(reader.stat(objectId, componentId), (stat) =>
        Effect.map(rangeOf(request, stat.size), (range) => new StoredComponent(reader, objectId, componentId, stat, range)))
  /**
   * The file name a client gave the element, when not its id. From the (cached) manifest, or the manifest at the
   * version asked for; the bytes do not depend on it, so a façade that cannot answer leaves the name at the id.
   */
  const filenameOf = (objectId: string, componentId: string, version: string | undefined) =>
    facade.manifest(objectId, version).pipe(
      Effect.map((manifest) => {
        const filename = DigitalObject.elementAttributes(manifest, componentId)?.["filename"]
        return typeof filename === "string" && filename !== componentId ? filename : undefined
      }),
      Effect.orElseSucceed(() => undefined)
    )

  /**
   * The object's RO-Crate, built, when storage holds no component `rocrate` (`undefined` when it does: that one is
   * answered as any element is).
   */
  const crateUnlessStored = Effect.fnUntraced(function*(
    request: DoipRequest,
    reader: StorageReader,
    objectId: string,
    version: string | undefined
  ) {
    const held = yield* reader.stat(objectId, RoCrate.elementId).pipe(
      Effect.as(true),
      Effect.catchIf((error) => error.kind === "NotFound", () => Effect.succeed(false))
    )
    if (held) return undefined
    if (request.attributes["range"] !== undefined && request.attributes["range"] !== null) {
      return yield* badRequest(`object ${objectId} holds no RO-Crate; the one built for it has no ranges`)
    }
    const crate = yield* crates.build(objectId, version)
    return {
      metadata: [],
      components: [crate],
      workflow: [],
      // DOIP v2.0 clients save an element's bytes under its file name
      ...(request.endpoint.framing === "doip2" ? { attributes: { filename: `${objectId}-ro-crate.zip` } } : {})
    } satisfies DoipResponse
  })

  const retrieve = Effect.fnUntraced(function*(request: DoipRequest) {
    const elementId = yield* optionalString(request, "element")
    const version = yield* optionalString(request, "version")
    const typeId = yield* typeIdOf(request, typesBase)
    if (typeId !== undefined) {
      if (elementId !== undefined) return yield* badRequest(`type ${typeId} has no elements; retrieve it without "element"`)
      if (version !== undefined) return yield* badRequest(`type ${typeId} has no versions; retrieve it without "version"`)
      const fdo = yield* facade.type(typeId)
      return dualResponse(fdo, {
        id: `${TypeCatalog.prefix}${typeId}`,
        type: "DigitalObjectType",
        attributes: { content: fdo }
      } satisfies DigitalObject.DigitalObject)
    }
    const objectId = yield* objectIdOf(request)
    // what storage held at the version asked for, or holds now
    const reader: StorageReader = version === undefined ? storage : yield* storage.at(version)
    if (elementId !== undefined) {
      const componentId = yield* componentIdOf(elementId, objectId)
      if (componentId === RoCrate.elementId) {
        const built = yield* crateUnlessStored(request, reader, objectId, version)
        if (built !== undefined) return built
      }
      const stored = yield* element(request, reader, objectId, componentId)
      // only DOIP v2.0 answers carry a file name; the binary envelope names the component by its id
      const filename = request.endpoint.framing === "doip2" ? yield* filenameOf(objectId, componentId, version) : undefined
      return {
        metadata: [],
        components: [stored],
        workflow: [],
        // DOIP v2.0 names the element's bytes by the file name its client gave it (doipy saves the download so)
        ...(filename === undefined ? {} : { attributes: { filename } })
      }
    }
    if (request.attributes["range"] !== undefined && request.attributes["range"] !== null) {
      return yield* badRequest(`"range" selects bytes of one element: name it with "element"`)
    }
    const manifest = yield* facade.manifest(objectId, version)
    const object = DigitalObject.fromManifest(objectId, manifest)
    if (!(yield* optionalBoolean(request, "includeElementData"))) return dualResponse(manifest, object)
    const components = yield* Effect.forEach(object.elements ?? [], (e) => component(reader, objectId, e.id, e.attributes))
    return { metadata: [manifest], components, workflow: [], output: object }
  })
  return {
    ...builtin("retrieve"),
    target: "object",
    handler: retrieve
  } satisfies Operation
})

/**
 * A stored component on its way out. Its content is in `bytes` when storage holds it in memory; otherwise the
 * listeners `open` it, and a stream (`content`) is built only for a writer that asks for one. A class, not an object
 * literal: a retrieve builds one per component, and methods on the prototype cost no closures per instance.
 */
class StoredComponent implements OutgoingComponent {
  readonly componentId: string
  readonly mediaType: string
  readonly size: number
  readonly checksum: string
  readonly bytes: Uint8Array | undefined
  private readonly storage: StorageReader
  private readonly objectId: string

  /** the bytes asked for, when not all of them */
  private readonly range: ByteRange | undefined
  /** the element's attributes, when the object's manifest is at hand (a retrieve with `includeElementData`) */
  readonly attributes: Readonly<Record<string, unknown>> | undefined

  constructor(
    storage: StorageReader,
    objectId: string,
    componentId: string,
    stat: ComponentStat,
    range?: ByteRange,
    attributes?: Readonly<Record<string, unknown>>
  ) {
    this.storage = storage
    this.attributes = attributes
    this.objectId = objectId
    this.componentId = componentId
    this.mediaType = stat.mediaType
    this.checksum = stat.checksum
    this.range = range
    this.size = range === undefined ? stat.size : range.end - range.start + 1
    this.bytes = range === undefined ? stat.content : stat.content?.subarray(range.start, range.end + 1)
  }

  get content(): Stream.Stream<Uint8Array, DoipError> {
    return this.storage.read(this.objectId, this.componentId, this.range).pipe(
      Stream.tapError((error) => logLeftOut(error)),
      Stream.mapError(storageToDoipError)
    )
  }

  get open(): Effect.Effect<ContentReader, DoipError, Scope.Scope> {
    return Effect.map(
      Effect.catch(this.storage.open(this.objectId, this.componentId, this.range), failWith),
      (opened) => ({
        size: opened.size,
        read: (into: Uint8Array) => Effect.catch(opened.read(into), failWith)
      })
    )
  }
}
