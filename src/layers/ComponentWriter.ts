/**
 * Writing one component as one commit, all or nothing.
 *
 * Every write of the server (update, the workflows that store results) goes through here: stage the content, commit
 * it with metadata `{operation, object_id, component_id, media_type}`, and when either step fails or is interrupted,
 * undo the staged change so nothing half-done stays on the branch. Writes run one at a time, because a commit takes
 * everything staged on the branch and must not take another writer's half-finished upload with it. The object's
 * cached manifest is evicted after a commit.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Semaphore from "effect/Semaphore"
import type * as Stream from "effect/Stream"
import { DoipError } from "../protocol/DoipError.ts"
import { FdoFacade } from "./FdoFacade.ts"
import { type CommitInfo, type ComponentStat, Storage, type StorageError } from "./Storage.ts"
import { storageToDoipError } from "./StorageErrors.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface Written {
  readonly stat: ComponentStat
  readonly commit: CommitInfo
  readonly branch: string
}

/**
 * @category models
 * @since 0.1.0
 */
export interface WriteRequest<E> {
  readonly objectId: string
  readonly componentId: string
  readonly mediaType: string
  readonly content: Stream.Stream<Uint8Array, E>
  /** the operation recorded in the commit metadata, for example `update` */
  readonly operation: string
  readonly message?: string | undefined
  readonly metadata?: Readonly<Record<string, string>> | undefined
  readonly maxSize?: number | undefined
  readonly expectedSize?: number | undefined
}

/**
 * @category services
 * @since 0.1.0
 */
export class ComponentWriter extends Context.Service<ComponentWriter, {
  readonly write: <E>(request: WriteRequest<E>) => Effect.Effect<Written, DoipError | E>
}>()("effect-doip/layers/ComponentWriter") {}

/**
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const storage = yield* Storage
  const facade = yield* FdoFacade
  const lock = yield* Semaphore.make(1)
  const toDoip = <E>(error: StorageError | E): DoipError | E =>
    isStorageError(error) ? storageToDoipError(error) : error

  const write = Effect.fnUntraced(function*<E>(request: WriteRequest<E>) {
    const { componentId, mediaType, objectId } = request
    const staged = yield* storage.write(objectId, componentId, mediaType, request.content, {
      maxSize: request.maxSize,
      expectedSize: request.expectedSize
    })
    const commit = yield* storage.commit(
      request.message ?? `${request.operation} ${objectId}/${componentId}`,
      {
        ...request.metadata,
        operation: request.operation,
        object_id: objectId,
        component_id: componentId,
        media_type: mediaType
      }
    )
    yield* facade.purge(objectId)
    return { stat: staged, commit, branch: storage.branch }
  }, (effect, request) =>
    effect.pipe(
      Effect.onExit((exit) =>
        Exit.isSuccess(exit) ? Effect.void : storage.reset(request.objectId, request.componentId).pipe(
          Effect.catch((error) => Effect.logWarning("could not undo a staged write", error.message))
        )
      ),
      Effect.mapError(toDoip),
      lock.withPermit
    ))

  return ComponentWriter.of({ write })
})

/**
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<ComponentWriter, never, Storage | FdoFacade> = Layer.effect(ComponentWriter, make)

const isStorageError = (u: unknown): u is StorageError =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "StorageError"

