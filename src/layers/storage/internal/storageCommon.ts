/**
 * What every storage implementation shares: id checks, the streaming measure (count, hash, enforce write options),
 * byte-range clamping and the bookkeeping of staged changes, so memory, embedded and lakeFS storage fail the same way
 * on the same input.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Pull from "effect/Pull"
import type { PlatformError } from "effect/PlatformError"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import * as ObjectId from "../ObjectId.ts"
import {
  type ByteRange,
  type ComponentChange,
  type ComponentStat,
  type OpenComponent,
  StorageError,
  type WriteOptions
} from "../Storage.ts"

/** where a component lives: its normalised ids and its storage path */
export interface Location {
  readonly objectId: string
  readonly componentId: string
  readonly path: string
}

export const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis).toISOString())

export const invalidPath = (message: string) => new StorageError({ kind: "InvalidPath", message })

/** a file system failure as `Unavailable`, naming what was done to which path */
export const unavailable = (action: string, path: string, cause: PlatformError) =>
  new StorageError({ kind: "Unavailable", message: `cannot ${action} ${path}: ${cause.message}`, cause })

export const orUnavailable = (action: string, path: string) => <A, R>(effect: Effect.Effect<A, PlatformError, R>) =>
  Effect.mapError(effect, (cause) => unavailable(action, path, cause))

/**
 * `Storage.write` of a store that spools: the content spooled, then staged, in a scope that removes the spool either
 * way; an id that cannot name a path fails before a byte is read.
 */
export const spoolThenStage = <S>(
  spool: <E>(content: Stream.Stream<Uint8Array, E>, options?: WriteOptions | undefined) => Effect.Effect<S, StorageError | E, Scope.Scope>,
  stage: (objectId: string, componentId: string, mediaType: string, spooled: S) => Effect.Effect<ComponentStat, StorageError>
) =>
<E>(
  objectId: string,
  componentId: string,
  mediaType: string,
  content: Stream.Stream<Uint8Array, E>,
  options?: WriteOptions | undefined
): Effect.Effect<ComponentStat, StorageError | E> =>
  Effect.andThen(
    locate(objectId, componentId),
    Effect.scoped(Effect.flatMap(spool(content, options), (spooled) => stage(objectId, componentId, mediaType, spooled)))
  )

/** `NotFound` of the component at a storage path, named as its client named it: `component a.pdf of Q123` */
export const notFound = (path: string) => {
  const key = /^\d{2}\/\d{2}\/\d{2}\/(Q\d+)\/(?:components|checksums)\/(.+)$/.exec(path)
  const what = key === null ? path : `component ${key[2]} of ${key[1]}`
  return new StorageError({ kind: "NotFound", message: `${what} does not exist` })
}

/** `NotFound` of a component that was not there at a version: `component a.pdf of Q123 does not exist at version 3f…` */
export const notFoundAt = (path: string, version: string) => {
  const error = notFound(path)
  return new StorageError({ kind: "NotFound", message: `${error.message} at version ${version}` })
}

/**
 * `log.after` over a log held newest first: the entries after `since`, oldest first (see `BranchLog.after`).
 */
export const commitsAfter = <A extends { readonly id: string }>(
  newestFirst: ReadonlyArray<A>,
  since: string | undefined,
  limit: number
): Effect.Effect<ReadonlyArray<A>, StorageError> => {
  const wanted = since?.toLowerCase()
  const index = wanted === undefined ? newestFirst.length : newestFirst.findIndex((c) => c.id === wanted)
  if (index === -1) return Effect.fail(notOnBranch(since!))
  if (index > limit) return Effect.fail(tooManyAfter(since, limit))
  return Effect.succeed(newestFirst.slice(0, index).reverse())
}

/** `NotFound` of a version that is no commit of the branch */
export const notOnBranch = (version: string) =>
  new StorageError({
    kind: "NotFound",
    message: `version ${JSON.stringify(version.length > 80 ? `${version.slice(0, 80)}…` : version)} is no commit of ` +
      `the branch (a version is a commit id, as events and versions give them)`
  })

/** `TooLarge` of a log read after a version that has too many commits after it */
export const tooManyAfter = (since: string | undefined, limit: number) =>
  new StorageError({
    kind: "TooLarge",
    message: `more than ${limit} commits came after ${since === undefined ? "the branch's first" : `version ${since}`}`
  })

/** `NotFound` of a version that names no commit */
export const versionNotFound = (version: string) =>
  new StorageError({ kind: "NotFound", message: `version ${version} does not exist` })

/**
 * The commit id a version names, lower-cased: 64 hex digits, as every store makes them. Anything else names no
 * commit (`NotFound`): not a branch, not a prefix, whatever a backend would make of it.
 */
export const parseVersion = (version: string): Effect.Effect<string, StorageError> =>
  /^[0-9a-fA-F]{64}$/.test(version)
    ? Effect.succeed(version.toLowerCase())
    : Effect.fail(
      new StorageError({
        kind: "NotFound",
        message: `version ${JSON.stringify(version.length > 80 ? `${version.slice(0, 80)}…` : version)} does not exist: ` +
          `a version is a commit id (64 hex digits), as the object's versions list them`
      })
    )

/** the object and component of a component's storage path (`{shard}/components/{componentId}`), else `undefined` */
export const componentOfPath = (path: string): { readonly objectId: string; readonly componentId: string } | undefined => {
  const match = /^\d{2}\/\d{2}\/\d{2}\/(Q\d+)\/components\/([^/]+)$/.exec(path)
  return match === null ? undefined : { objectId: match[1]!, componentId: match[2]! }
}

/**
 * What the commit that made `after` out of `before` did to the object's components at `paths` (the paths it
 * changed), sorted by component id; for stores that keep each commit's whole tree (memory, embedded).
 */
export const changesIn = <X>(
  objectId: string,
  paths: Iterable<string>,
  before: Tree<X>,
  after: Tree<X>
): ReadonlyArray<ComponentChange> => {
  const out: Array<ComponentChange> = []
  for (const path of paths) {
    const at = componentOfPath(path)
    if (at === undefined || at.objectId !== objectId) continue
    const was = before.get(objectId)?.has(at.componentId) === true
    const is = after.get(objectId)?.has(at.componentId) === true
    if (!was && !is) continue
    out.push({ componentId: at.componentId, change: !is ? "removed" : was ? "changed" : "added" })
  }
  return out.sort((a, b) => (a.componentId < b.componentId ? -1 : a.componentId > b.componentId ? 1 : 0))
}

export const parseObject = (objectId: string): Effect.Effect<string, StorageError> =>
  Effect.mapError(Effect.fromResult(ObjectId.parseObjectId(objectId)), invalidPath)

export const locate = (objectId: string, componentId: string): Effect.Effect<Location, StorageError> =>
  Effect.flatMap(parseObject(objectId), (objectId) => {
    const component = ObjectId.parseComponentId(componentId)
    return Result.isFailure(component)
      ? Effect.fail(invalidPath(component.failure))
      : Effect.succeed({ objectId, componentId, path: ObjectId.componentPath(objectId, componentId) })
  })

/**
 * Runs `content` through `consume` while counting and hashing it, failing as soon as a write option is broken, so
 * that no byte past a limit is consumed.
 */
export const measure = <E, X>(
  content: Stream.Stream<Uint8Array, E>,
  options: WriteOptions | undefined,
  consume: (chunks: ReadonlyArray<Uint8Array>) => Effect.Effect<void, X>
): Effect.Effect<{ readonly size: number; readonly hex: string }, StorageError | E | X> =>
  Effect.suspend(() => {
    const maxSize = options?.maxSize ?? Infinity
    const expectedSize = options?.expectedSize
    // a declared size over the limit can never succeed: fail before reading anything
    if (expectedSize !== undefined && expectedSize > maxSize) return Effect.fail(tooLarge(maxSize))
    const hash = createHash("sha256")
    let size = 0
    return content.pipe(
      Stream.runForEachArray((chunks) =>
        Effect.suspend((): Effect.Effect<void, StorageError | X> => {
          for (const chunk of chunks) {
            size += chunk.length
            if (size > maxSize) return Effect.fail(tooLarge(maxSize))
            if (expectedSize !== undefined && size > expectedSize) return Effect.fail(sizeMismatch(expectedSize))
            hash.update(chunk)
          }
          return consume(chunks)
        })
      ),
      Effect.flatMap(() =>
        expectedSize !== undefined && size !== expectedSize
          ? Effect.fail(sizeMismatch(expectedSize, size))
          : Effect.succeed({ size, hex: hash.digest("hex") })
      )
    )
  })

export const tooLarge = (maxSize: number) =>
  new StorageError({ kind: "TooLarge", message: `content is larger than ${maxSize} bytes` })

export const sizeMismatch = (expected: number, actual?: number) =>
  new StorageError({
    kind: "SizeMismatch",
    message: actual === undefined
      ? `content is longer than the announced ${expected} bytes`
      : `content has ${actual} bytes, not the announced ${expected}`
  })

/** The inclusive range clamped to the content, as `[start, end)`; empty when nothing of it lies inside. */
export const clamp = (size: number, range: ByteRange | undefined): readonly [number, number] => {
  if (range === undefined) return [0, size]
  const start = Math.max(0, range.start)
  const end = Math.min(size, range.end + 1)
  return start < end ? [start, end] : [0, 0]
}

/**
 * `open` for a storage whose content is a stream (memory, lakeFS): the stream's chunks are copied into the caller's
 * buffers as they are asked for. The stream runs in the scope of the `open`.
 */
export const openFromStream = (
  size: number,
  content: Stream.Stream<Uint8Array, StorageError>
): Effect.Effect<OpenComponent, StorageError, Scope.Scope> =>
  Effect.map(Stream.toPull(content), (pull) => {
    let chunk: Uint8Array = new Uint8Array(0)
    let batch: ReadonlyArray<Uint8Array> = []
    let next = 0
    let done = false
    let remaining = size
    // never more than `size` bytes, whatever the stream holds: a reader's size is a promise
    const read = (into: Uint8Array): Effect.Effect<number, StorageError> =>
      Effect.map(fill(remaining < into.length ? into.subarray(0, remaining) : into), (n) => {
        remaining -= n
        return n
      })
    const fill = (into: Uint8Array): Effect.Effect<number, StorageError> =>
      Effect.suspend(() => {
        let filled = 0
        while (filled < into.length) {
          if (chunk.length === 0) {
            if (next < batch.length) {
              chunk = batch[next++]!
              continue
            }
            if (done) break
            // `into` is filled whole unless the content ends: a reader's pieces then have one size
            const rest = into.subarray(filled)
            return Effect.flatMap(
              Pull.catchDone(Effect.map(pull, (chunks) => {
                batch = chunks
                next = 0
              }), () => Effect.sync(() => void (done = true))),
              () => Effect.map(fill(rest), (n) => filled + n)
            )
          }
          const n = Math.min(chunk.length, into.length - filled)
          into.set(n === chunk.length ? chunk : chunk.subarray(0, n), filled)
          chunk = chunk.subarray(n)
          filled += n
        }
        return Effect.succeed(filled)
      })
    return { size, read }
  })

/** A staged write: its stat, plus whatever the storage keeps of the content. */
export interface Write {
  readonly stat: ComponentStat
}

/** A branch: object id -> component id -> what the storage keeps of the component. */
export type Tree<X> = ReadonlyMap<string, ReadonlyMap<string, X>>

/**
 * The changes staged on a branch, by storage path: writes and removals, applied together by a commit. No method waits
 * (`remove` is an Effect only to fail typed), so a storage can run one under its lock and no other fiber stages in
 * between.
 */
export interface StagingArea<W extends Write> {
  readonly isEmpty: () => boolean
  readonly write: (write: W) => void
  /**
   * Stages the removal of the component at `at`: a committed component gets a removal (which replaces a staged
   * write of it, as a lakeFS delete replaces the staged object), a component that is only staged loses that write
   * (on commit there is nothing to delete), and a component that is neither, or whose removal is staged already, is
   * `NotFound`, as a lakeFS `stat` of the branch would find nothing there.
   */
  readonly remove: (at: Location, committed: boolean) => Effect.Effect<void, StorageError>
  readonly reset: (at: Location) => void
  /** the storage paths with a staged change, sorted */
  readonly paths: () => ReadonlyArray<string>
  /** the objects with a staged change */
  readonly objects: () => ReadonlySet<string>
  /**
   * The tree after the staged changes: a write replaces its component, a removal deletes it, and an object left with
   * no component leaves the tree, so that `objects` no longer names it. A new tree; `tree` is not mutated, so a commit
   * that fails later leaves the branch as it was. Clears nothing: call `clear` once the commit is durable.
   */
  readonly apply: <X>(tree: Tree<X>, entry: (write: W) => X) => Tree<X>
  readonly clear: () => void
}

export const makeStagingArea = <W extends Write>(): StagingArea<W> => {
  const changes = new Map<string, W | Removal>()
  const locationOf = (change: W | Removal) => isRemoval(change) ? change.at : change.stat
  return {
    isEmpty: () => changes.size === 0,
    write: (write) => {
      changes.set(write.stat.path, write)
    },
    remove: (at, committed) =>
      Effect.suspend(() => {
        const change = changes.get(at.path)
        if (change === undefined ? !committed : isRemoval(change)) return Effect.fail(notFound(at.path))
        if (committed) changes.set(at.path, { _tag: "Removal", at })
        else changes.delete(at.path)
        return Effect.void
      }),
    reset: (at) => {
      changes.delete(at.path)
    },
    paths: () => Array.from(changes.keys()).sort(),
    objects: () => new Set(Array.from(changes.values(), (change) => locationOf(change).objectId)),
    apply: (tree, entry) => {
      const next = new Map(tree)
      for (const change of changes.values()) {
        const { componentId, objectId } = locationOf(change)
        const components = new Map(next.get(objectId))
        if (isRemoval(change)) components.delete(componentId)
        else components.set(componentId, entry(change))
        if (components.size === 0) next.delete(objectId)
        else next.set(objectId, components)
      }
      return next
    },
    clear: () => changes.clear()
  }
}

/** A staged deletion: on commit, the component at `at` leaves the branch. */
interface Removal {
  readonly _tag: "Removal"
  readonly at: Location
}

const isRemoval = (change: Write | Removal): change is Removal => "_tag" in change && change._tag === "Removal"
