/**
 * The FDO façade contract: the JSON-LD manifest of a digital object, and the type FDOs.
 *
 * The real façade is an HTTP service (`HttpFdoFacade`); the embedded default derives manifests from what storage
 * holds and serves the type FDOs of `TypeCatalog`, so the server runs with no façade at all. Implementations cache
 * manifests and types; `purge` and `purgeType` drop one.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type { Storage, StorageError } from "../storage/Storage.ts"
import type { FacadeError } from "./FacadeError.ts"

/**
 * A JSON-LD manifest (`@context`, `@id`, `@type`, `kernel`, `profile`, `provenance`), see BACKENDS.md.
 *
 * @category models
 * @since 0.1.0
 */
export type Manifest = Readonly<Record<string, unknown>>

/**
 * @category services
 * @since 0.1.0
 */
export class FdoFacade extends Context.Service<FdoFacade, {
  /**
   * the manifest of an object; `NotFound` when there is no such object (a `StorageError` when reading what storage
   * holds of it fails). With `version` (a commit id, see `Storage.at`), the manifest as it was at that commit: made
   * from what storage held then, never cached; `NotFound` when there is no such version or the object was not there.
   */
  readonly manifest: (objectId: string, version?: string | undefined) => Effect.Effect<Manifest, FacadeError | StorageError>
  /** a type FDO (`ScholarlyArticle`, `Dataset`, ...); `NotFound` when unknown */
  readonly type: (typeId: string) => Effect.Effect<Manifest, FacadeError>
  /** forgets the cached manifest of an object, so the next `manifest` call reads it afresh */
  readonly purge: (objectId: string) => Effect.Effect<void>
  /** forgets a cached type FDO, so the next `type` call reads it afresh */
  readonly purgeType: (typeId: string) => Effect.Effect<void>
}>()("effect-doip/layers/FdoFacade") {}

/**
 * The manifest of every object storage holds, in storage's order, read 8 at a time; an object deleted between the
 * listing and its read is left out. What search scans.
 *
 * @category queries
 * @since 0.1.0
 */
export const manifestsOf = (
  storage: Storage["Service"],
  facade: FdoFacade["Service"]
): Effect.Effect<ReadonlyArray<readonly [objectId: string, manifest: Manifest]>, FacadeError | StorageError> =>
  Effect.flatMap(storage.objects(), (ids) =>
    Effect.map(
      Effect.forEach(ids, (id) =>
        facade.manifest(id).pipe(
          Effect.map((manifest) => [id, manifest] as const),
          Effect.catchIf((error) => error.kind === "NotFound", () => Effect.succeed(undefined))
        ), { concurrency: 8 }),
      (found) => found.filter((entry) => entry !== undefined)
    ))
