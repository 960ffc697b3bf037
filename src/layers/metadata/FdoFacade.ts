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
import type * as Effect from "effect/Effect"
import type { StorageError } from "../storage/Storage.ts"
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
   * holds of it fails)
   */
  readonly manifest: (objectId: string) => Effect.Effect<Manifest, FacadeError | StorageError>
  /** a type FDO (`ScholarlyArticle`, `Dataset`, ...); `NotFound` when unknown */
  readonly type: (typeId: string) => Effect.Effect<Manifest, FacadeError>
  /** forgets the cached manifest of an object, so the next `manifest` call reads it afresh */
  readonly purge: (objectId: string) => Effect.Effect<void>
  /** forgets a cached type FDO, so the next `type` call reads it afresh */
  readonly purgeType: (typeId: string) => Effect.Effect<void>
}>()("effect-doip/layers/FdoFacade") {}
