/**
 * Changing one object as one commit, all or nothing.
 *
 * Every write of the server (create, update, delete, the workflows that store results) goes through here. `change`
 * runs a body that stages writes and removals of one object's components, then commits them together with metadata
 * `{operation, object_id, component_ids}`; when the body, a staged step or the commit fails or is interrupted, nothing
 * it staged stays behind. The object's cached manifest is evicted afterwards. How writers share the branch depends on
 * the storage:
 *
 * - **A write branch per change** (lakeFS, `Storage.writeBranch`): the body stages on a private branch, and the commit
 *   merges it into the branch as one commit holding only this change. Changes of different objects run in parallel,
 *   in this process or in other servers on the same branch; changes of one object take turns here, so that a body
 *   that reads the object and then writes it (create, the record of an update) reads what the previous change left.
 *   A failed change leaves nothing to undo: its branch is deleted.
 * - **One branch, one writer at a time** (the embedded and memory stores): a commit takes everything staged on the
 *   branch, so changes run one at a time, and one that fails resets every path it touched. A path whose reset failed
 *   is remembered and reset before the next change starts: until that works, changes fail with `Unavailable` rather
 *   than commit what a client was told had failed. Staging is a rename here, so the turns are short.
 *
 * A client's content must therefore never be read while a change runs: a client that stalls halfway through an
 * element would keep other writers waiting, and a large upload would hold them for its whole length. It is received
 * first, outside any lock, with `spool` (into a private file of the storage; memory does not grow with its size),
 * and the body then stages the spooled content (`Staging.stage`). `write` does both.
 *
 * Every commit is told to the `ChangeEvents` hub when one is in context, so watchers hear of it at once.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as RcMap from "effect/RcMap"
import * as Schedule from "effect/Schedule"
import * as Semaphore from "effect/Semaphore"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import { FdoFacade } from "../metadata/FdoFacade.ts"
import { ChangeEvents } from "./ChangeEvents.ts"
import {
  type BranchStaging,
  type CommitInfo,
  type ComponentStat,
  type Spooled,
  Storage,
  StorageError,
  type WriteBranch,
  type WriteOptions
} from "./Storage.ts"

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
  /**
   * checked inside the change, before the content is staged (say, that the object still exists): on a write branch,
   * again when the change is made again after a conflict, so that it sees what the other writer left
   */
  readonly precondition?: Effect.Effect<unknown, StorageError | E> | undefined
}

/**
 * What the body of a `change` stages with: writes and removals of components of the changed object. Usable only
 * while the body runs; a later call dies, because it would stage outside the lock. Content from a client is staged
 * with `stage`, once `ComponentWriter.spool` has received it; `write` reads its stream while the lock is held, so it
 * is for content the server makes itself (a record, a workflow's result), never for a client's.
 *
 * @category models
 * @since 0.1.0
 */
export interface Staging {
  /** stages `content` as the component, as `Storage.write` does */
  readonly write: <E>(
    componentId: string,
    mediaType: string,
    content: Stream.Stream<Uint8Array, E>,
    options?: WriteOptions | undefined
  ) => Effect.Effect<ComponentStat, StorageError | E>
  /** stages content received by `ComponentWriter.spool` as the component (`Storage.stage`) */
  readonly stage: (componentId: string, mediaType: string, spooled: Spooled) => Effect.Effect<ComponentStat, StorageError>
  /** stages the deletion of the component; `NotFound` when there is none */
  readonly remove: (componentId: string) => Effect.Effect<void, StorageError>
}

/**
 * @category models
 * @since 0.1.0
 */
export interface ChangeRequest {
  readonly objectId: string
  /** recorded in the commit metadata: `create`, `update`, `delete`, a workflow name, ... */
  readonly operation: string
  /** the commit message; default `${operation} ${objectId}` */
  readonly message?: string | undefined
  /** more commit metadata; `operation`, `object_id` and `component_ids` are set by the writer */
  readonly metadata?: Readonly<Record<string, string>> | undefined
}

/**
 * @category models
 * @since 0.1.0
 */
export interface Changed<A> {
  /** what the body returned */
  readonly result: A
  readonly commit: CommitInfo
  readonly branch: string
}

/**
 * @category services
 * @since 0.1.0
 */
export class ComponentWriter extends Context.Service<ComponentWriter, {
  /**
   * Receives content for a later `Staging.stage`, without the lock: as slowly as it comes, without holding back any
   * other writer. Fails as a staged write would when the content breaks `options`; what it received is dropped when
   * the scope closes (`Storage.spool`).
   */
  readonly spool: <E>(
    content: Stream.Stream<Uint8Array, E>,
    options?: WriteOptions | undefined
  ) => Effect.Effect<Spooled, StorageError | E, Scope.Scope>
  /**
   * Runs `body`, which stages changes to the object's components through `staging`, and commits them as one commit.
   * On any failure or interruption nothing it staged stays (its write branch is deleted, or every path it touched is
   * reset) and the error is returned; a body that staged nothing
   * fails with `NoChanges` (which the server answers as `BadRequest`: the request asked for no change).
   */
  readonly change: <A, E, R>(
    request: ChangeRequest,
    body: (staging: Staging) => Effect.Effect<A, E, R>
  ) => Effect.Effect<Changed<A>, StorageError | E, R>
  /**
   * one component as one commit, with `component_id` and `media_type` in the commit metadata too; the content is
   * spooled before the change takes the lock
   */
  readonly write: <E>(request: WriteRequest<E>) => Effect.Effect<Written, StorageError | E>
}>()("effect-doip/layers/ComponentWriter") {}

/**
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const storage = yield* Storage
  const facade = yield* FdoFacade
  // watchers hear of every commit, when there is a hub to tell (`DoipServer.layerServicesWith` provides one)
  const events = yield* Effect.serviceOption(ChangeEvents)
  const notify = (commit: CommitInfo) => Option.isSome(events) ? events.value.committed(commit) : Effect.void
  const lock = yield* Semaphore.make(1)
  /** with write branches: one turn per object at a time, for the objects being changed now */
  const objectLocks = yield* RcMap.make({ lookup: (_objectId: string) => Semaphore.make(1) })
  /** components staged by failed changes whose reset failed too, by `objectId/componentId` */
  const leftovers: Leftovers = new Map()

  /** resets what a failed change staged on the branch; what cannot be reset is remembered as a leftover */
  const undo = (objectId: string, touched: ReadonlySet<string>) =>
    Effect.forEach(touched, (componentId) =>
      storage.reset(objectId, componentId).pipe(
        Effect.catch((error) =>
          // an id that cannot name a path cannot have staged anything either
          error.kind === "InvalidPath"
            ? Effect.void
            : Effect.logWarning(`could not undo the staged change of ${objectId}/${componentId}`, error.message).pipe(
              Effect.andThen(Effect.sync(() => leftovers.set(`${objectId}/${componentId}`, { objectId, componentId })))
            )
        )
      ), { discard: true })

  /** resets what failed changes left staged; a change must not start (and commit it) before this works */
  const resetLeftovers = Effect.suspend(() =>
    Effect.forEach(Array.from(leftovers), ([key, { componentId, objectId }]) =>
      storage.reset(objectId, componentId).pipe(
        Effect.tap(() => Effect.sync(() => leftovers.delete(key))),
        Effect.mapError((error) =>
          new StorageError({
            kind: "Unavailable",
            message: `a failed change of ${key} is still staged and cannot be undone ` +
              `(${error.message}); nothing is committed until it is`
          })
        )
      ), { discard: true })
  )

  /** the commit message and metadata of a change that staged `changed` */
  const commitOf = (request: ChangeRequest, changed: ReadonlySet<string>) => ({
    message: request.message ?? `${request.operation} ${request.objectId}`,
    metadata: {
      ...request.metadata,
      operation: request.operation,
      object_id: request.objectId,
      component_ids: Array.from(changed).join(",")
    }
  })

  /** one writer at a time on the branch itself, resetting what a failed change staged */
  const changeOnBranch = <A, E, R>(
    request: ChangeRequest,
    body: (staging: Staging) => Effect.Effect<A, E, R>
  ): Effect.Effect<Changed<A>, StorageError | E, R> =>
    Effect.suspend(() => {
      const { objectId } = request
      const session = makeSession(storage, objectId)
      return Effect.gen(function*() {
        yield* resetLeftovers
        const result = yield* body(session.staging)
        if (session.changed.size === 0) return yield* nothingToChange()
        const { message, metadata } = commitOf(request, session.changed)
        const commit = yield* orNothingToChange(storage.commit(message, metadata))
        // under the lock: watchers hear of the commits in the order they were made
        yield* notify(commit)
        return { result, commit, branch: storage.branch }
      }).pipe(
        Effect.onExit((exit) => {
          session.close()
          // purged whatever the outcome: an interrupted commit may still have landed in storage
          return Effect.andThen(Exit.isSuccess(exit) ? Effect.void : undo(objectId, session.touched), facade.purge(objectId))
        }),
        lock.withPermit
      )
    })

  /**
   * A private branch per change, changes of one object taking turns; the branch goes with the scope. A change that
   * collides with another server's change of the same paths (`Conflict`: nothing of it was applied) is made again,
   * body and all, on a fresh branch: the body then sees what the other change left (the object it meant to create
   * exists now, the one it meant to update is gone) and answers accordingly. After `CONFLICT_TRIES` the conflict is
   * the answer.
   */
  const changeOnWriteBranch = <A, E, R>(
    writeBranch: () => Effect.Effect<WriteBranch, StorageError, Scope.Scope>,
    request: ChangeRequest,
    body: (staging: Staging) => Effect.Effect<A, E, R>
  ): Effect.Effect<Changed<A>, StorageError | E, R> => {
    const attempt = Effect.gen(function*() {
      const branch = yield* writeBranch()
      const session = makeSession(branch, request.objectId)
      return yield* Effect.gen(function*() {
        const result = yield* body(session.staging)
        if (session.changed.size === 0) return yield* nothingToChange()
        const { message, metadata } = commitOf(request, session.changed)
        const commit = yield* orNothingToChange(branch.commit(message, metadata))
        yield* notify(commit)
        return { result, commit, branch: storage.branch }
      }).pipe(Effect.ensuring(Effect.sync(session.close)))
    }).pipe(Effect.scoped)
    return Effect.gen(function*() {
      const turn = yield* RcMap.get(objectLocks, request.objectId)
      return yield* turn.withPermit(
        attempt.pipe(
          Effect.retry({
            while: (error) => error instanceof StorageError && error.kind === "Conflict",
            schedule: Schedule.exponential("20 millis").pipe(Schedule.jittered),
            times: CONFLICT_TRIES - 1
          }),
          // purged whatever the outcome: an interrupted merge may still have landed in storage
          Effect.ensuring(facade.purge(request.objectId))
        )
      )
    }).pipe(Effect.scoped)
  }

  const change = <A, E, R>(
    request: ChangeRequest,
    body: (staging: Staging) => Effect.Effect<A, E, R>
  ): Effect.Effect<Changed<A>, StorageError | E, R> =>
    storage.writeBranch === undefined
      ? changeOnBranch(request, body)
      : changeOnWriteBranch(storage.writeBranch, request, body)

  const write = <E>(request: WriteRequest<E>): Effect.Effect<Written, StorageError | E> => {
    const { componentId, mediaType, objectId, operation } = request
    return storage.spool(request.content, { maxSize: request.maxSize, expectedSize: request.expectedSize }).pipe(
      Effect.flatMap((spooled) =>
        change({
          objectId,
          operation,
          message: request.message ?? `${operation} ${objectId}/${componentId}`,
          metadata: { ...request.metadata, component_id: componentId, media_type: mediaType }
        }, (staging) =>
          request.precondition === undefined
            ? staging.stage(componentId, mediaType, spooled)
            : Effect.andThen(request.precondition, staging.stage(componentId, mediaType, spooled)))
      ),
      Effect.map(({ branch, commit, result }) => ({ stat: result, commit, branch })),
      Effect.scoped
    )
  }

  return ComponentWriter.of({ spool: storage.spool, change, write })
})

/**
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<ComponentWriter, never, Storage | FdoFacade> = Layer.effect(ComponentWriter, make)

// internal

/** how often a change that meets a `Conflict` is made in all */
const CONFLICT_TRIES = 3

const nothingToChange = () => new StorageError({ kind: "NoChanges", message: "nothing to change" })

/** a commit; when the body staged and then undid its own changes (say, wrote and removed a new component), NoChanges */
const orNothingToChange = (commit: Effect.Effect<CommitInfo, StorageError>) =>
  Effect.catchIf(commit, (error) => error.kind === "NoChanges", () => Effect.fail(nothingToChange()))

type Leftovers = Map<string, { readonly objectId: string; readonly componentId: string }>


/**
 * The staging of one change: remembers every component it touched (to reset them, on the storage's branch, should
 * the change fail) and the ones it changed, in order, for the commit metadata.
 */
const makeSession = (stager: BranchStaging, objectId: string) => {
  /** every component a staging call started on, including failed and interrupted ones; a Set keeps first order */
  const touched = new Set<string>()
  /** the components whose staging succeeded */
  const changed = new Set<string>()
  let open = true

  /** records `componentId` before `stage` runs, so that an interrupted step is reset too */
  const step = <A, E>(componentId: string, stage: Effect.Effect<A, StorageError | E>) =>
    Effect.suspend(() => {
      if (!open) return Effect.die(new Error(`staging of ${objectId} used after its change ended`))
      touched.add(componentId)
      return Effect.tap(stage, () => Effect.sync(() => changed.add(componentId)))
    })

  const staging: Staging = {
    write: (componentId, mediaType, content, options) =>
      step(componentId, stager.write(objectId, componentId, mediaType, content, options)),
    stage: (componentId, mediaType, spooled) =>
      step<ComponentStat, never>(componentId, stager.stage(objectId, componentId, mediaType, spooled)),
    remove: (componentId) => step<void, never>(componentId, stager.remove(objectId, componentId))
  }

  return {
    staging,
    touched: touched as ReadonlySet<string>,
    changed: changed as ReadonlySet<string>,
    close: () => {
      open = false
    }
  }
}
