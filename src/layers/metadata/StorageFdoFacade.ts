/**
 * The embedded FDO façade: manifests derived from what storage holds, and the type FDOs of `TypeCatalog`.
 *
 * The kernel lists every committed component with its media type, size and checksum; `modified` and the provenance
 * come from the object's commit history. Manifests are cached (bounded, with a time to live, checked against the
 * branch's head where several servers share it: `internal/manifestCache.ts`); `purge` evicts one, and concurrent
 * requests for the same object share one derivation. The type FDOs are constants, so there is nothing to
 * purge. A manifest at a version (`manifest(objectId, version)`) is derived the same way from what storage held at that
 * commit (`Storage.at`): its components then, and its history up to then; it is not cached.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { FacadeError, notAtVersion } from "./FacadeError.ts"
import { describedBy, isRecord, overlay } from "./ObjectDescription.ts"
import { FdoFacade, type Manifest } from "./FdoFacade.ts"
import * as ObjectRecord from "../storage/ObjectRecord.ts"
import { type CommitInfo, type ComponentStat, Storage, type StorageError } from "../storage/Storage.ts"
import * as TypeCatalog from "./TypeCatalog.ts"
import * as ManifestCache from "./internal/manifestCache.ts"

/**
 * @category constants
 * @since 0.1.0
 */
export const context = [
  "https://w3id.org/fdo/context/v1",
  { schema: "https://schema.org/", prov: "http://www.w3.org/ns/prov#", fdo: "https://w3id.org/fdo/vocabulary/" }
] as const

/**
 * The manifest of an object from its components and history (pure).
 *
 * @category constructors
 * @since 0.1.0
 */
export const deriveManifest = (
  objectId: string,
  components: ReadonlyArray<ComponentStat>,
  history: ReadonlyArray<CommitInfo>
): Manifest => {
  const newest = history[0]
  const oldest = history[history.length - 1]
  const described = describedBy(history)
  // what clients recorded laid over what storage says (as for the HTTP façade's manifests), then the profile's own keys
  const laid = overlay({
    "@context": context,
    "@id": objectId,
    "@type": "DigitalObject",
    kernel: {
      "@id": objectId,
      primaryIdentifier: objectId,
      ...(described.type === undefined ? {} : { digitalObjectType: described.type }),
      kernelVersion: "v1",
      immutable: false,
      modified: newest?.creationDate ?? components[0]?.modified,
      "fdo:hasComponent": components.map((c) => ({
        "@id": `#${c.componentId}`,
        componentId: c.componentId,
        mediaType: c.mediaType,
        size: c.size,
        checksum: c.checksum
      }))
    },
    profile: {},
    provenance: {
      "prov:generatedAtTime": oldest?.creationDate,
      "prov:wasAttributedTo": oldest?.committer,
      ...(newest === undefined ? {} : { "fdo:commit": newest.id })
    }
  }, described)
  return {
    ...laid,
    "@type": "DigitalObject",
    profile: {
      ...(isRecord(laid["profile"]) ? laid["profile"] : {}),
      "@context": "https://schema.org",
      "@type": described.type ?? "CreativeWork",
      identifier: objectId
    }
  }
}

/**
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(options?: {
  readonly capacity?: number | undefined
  readonly timeToLive?: Duration.Input | undefined
}) {
  const storage = yield* Storage
  const derive = (objectId: string): Effect.Effect<Manifest, FacadeError | StorageError> =>
    Effect.gen(function*() {
      const [found, history] = yield* Effect.all([ObjectRecord.find(storage, objectId), storage.history(objectId)], {
        concurrency: 2
      })
      if (found === undefined) {
        return yield* new FacadeError({ kind: "NotFound", message: `object ${objectId} does not exist` })
      }
      return deriveManifest(objectId, found.components, history)
    })
  const manifests = yield* ManifestCache.make(storage, derive, {
    capacity: options?.capacity ?? 10_000,
    timeToLive: options?.timeToLive ?? "5 minutes"
  })
  /** the manifest as it was at a version: derived the same way from what storage held then */
  const deriveAt = (objectId: string, version: string): Effect.Effect<Manifest, FacadeError | StorageError> =>
    Effect.gen(function*() {
      const snapshot = yield* storage.at(version)
      const [found, history] = yield* Effect.all([ObjectRecord.find(snapshot, objectId), snapshot.history(objectId)], {
        concurrency: 2
      })
      if (found === undefined) return yield* notAtVersion(objectId, snapshot.commit.id)
      return deriveManifest(objectId, found.components, history)
    })
  return FdoFacade.of({
    manifest: (objectId, version) => version === undefined ? manifests.get(objectId) : deriveAt(objectId, version),
    type: (typeId) => {
      const fdo = TypeCatalog.embeddedType(typeId)
      return fdo === undefined
        ? Effect.fail(new FacadeError({ kind: "NotFound", message: `type ${typeId} is not known to the embedded façade` }))
        : Effect.succeed(fdo)
    },
    purge: manifests.invalidate,
    purgeType: () => Effect.void
  })
})

/**
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<FdoFacade, never, Storage> = Layer.effect(FdoFacade, make())
