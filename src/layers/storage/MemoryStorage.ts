/**
 * An in-memory `Storage` for tests, with the same semantics as the on-disk and lakeFS layers.
 *
 * Writes and removals are staged and invisible until `commit`; `reset` drops one staged change; a commit with nothing
 * staged fails with `NoChanges`. Every commit keeps the tree it made, so `at` reads any of them. Contents are kept as copies of the incoming chunks, because callers may hand out
 * views of buffers they reuse (socket reads). Reads hand out views of those copies: treat them as read-only. Spooled
 * content waits in memory too, since it ends up there anyway. Nothing survives the layer.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as ObjectId from "./ObjectId.ts"
import {
  type CommitInfo,
  type ComponentStat,
  type Spooled,
  Storage,
  StorageError,
  type StorageReader,
  type WriteOptions
} from "./Storage.ts"
import {
  changesIn,
  clamp,
  commitsAfter,
  locate,
  makeStagingArea,
  measure,
  notFound,
  notFoundAt,
  now,
  openFromStream,
  parseObject,
  parseVersion,
  spoolThenStage,
  type Tree,
  versionNotFound
} from "./internal/storageCommon.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** the branch name reported by the service; default `main` */
  readonly branch?: string | undefined
  /** the committer recorded on every commit; default `effect-doip` */
  readonly committer?: string | undefined
}

/**
 * An empty in-memory store.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options?: Options): Effect.Effect<Storage["Service"]> =>
  Effect.sync(() => {
    const branch = options?.branch ?? "main"
    const committer = options?.committer ?? "effect-doip"
    /** committed components: object id -> component id -> content; replaced, never mutated, on commit */
    let head: Tree<Stored> = new Map()
    const staged = makeStagingArea<Stored>()
    /** newest first */
    const log: Array<LogEntry> = []

    /** the chunks of spooled content; the content lives here, not in what callers hold */
    const spooled = new WeakMap<Spooled, ReadonlyArray<Uint8Array>>()

    const spool = Effect.fnUntraced(function*<E>(content: Stream.Stream<Uint8Array, E>, options?: WriteOptions | undefined) {
      const chunks: Array<Uint8Array> = []
      const { hex, size } = yield* measure(content, options, (views) =>
        Effect.sync(() => {
          // copies: the caller may reuse the buffers behind these views
          for (const view of views) chunks.push(view.slice())
        }))
      const handle: Spooled = { size, checksum: `sha256:${hex}` }
      spooled.set(handle, chunks)
      return handle
    })

    const stage = Effect.fnUntraced(function*(objectId: string, componentId: string, mediaType: string, handle: Spooled) {
      const at = yield* locate(objectId, componentId)
      const chunks = spooled.get(handle)
      if (chunks === undefined) return yield* Effect.die(new Error("the content was spooled by another storage"))
      const stat: ComponentStat = { ...at, size: handle.size, mediaType, checksum: handle.checksum, modified: yield* now }
      staged.write({ stat, chunks })
      return stat
    })

    const write = spoolThenStage(spool, stage)

    const commit = Effect.fnUntraced(function*(message: string, metadata: Readonly<Record<string, string>>) {
      const creationDate = yield* now
      // from here on nothing yields, so no other fiber can stage or commit halfway through
      if (staged.isEmpty()) {
        return yield* new StorageError({ kind: "NoChanges", message: `nothing staged on branch ${branch}` })
      }
      const info: CommitInfo = {
        id: randomBytes(32).toString("hex"),
        parents: log.length === 0 ? [] : [log[0]!.info.id],
        message,
        metadata: { ...metadata },
        committer,
        creationDate
      }
      const objects = staged.objects()
      const paths = staged.paths()
      head = staged.apply(head, ({ chunks, stat }) => ({ stat: { ...stat, modified: creationDate }, chunks }))
      staged.clear()
      log.unshift({ info, objects, paths, tree: head })
      return info
    })

    /** the reads of the tree `tree()` gives, whose history starts at `log[from()]` */
    const reader = (tree: () => Tree<Stored>, from: () => number, version?: string): StorageReader => {
      const committed = Effect.fnUntraced(function*(objectId: string, componentId: string) {
        const at = yield* locate(objectId, componentId)
        const stored = tree().get(at.objectId)?.get(at.componentId)
        if (stored === undefined) return yield* (version === undefined ? notFound(at.path) : notFoundAt(at.path, version))
        return stored
      })
      return {
        stat: (objectId, componentId) => Effect.map(committed(objectId, componentId), (stored) => stored.stat),
        open: (objectId, componentId, range) =>
          Effect.flatMap(committed(objectId, componentId), (stored) => {
            const [start, end] = clamp(stored.stat.size, range)
            return openFromStream(end - start, Stream.fromArray(slice(stored.chunks, [start, end])))
          }),
        read: (objectId, componentId, range) =>
          Stream.unwrap(Effect.map(
            committed(objectId, componentId),
            (stored) => Stream.fromArray(slice(stored.chunks, clamp(stored.stat.size, range)))
          )),
        list: (objectId) =>
          Effect.map(parseObject(objectId), (id) =>
            Array.from(tree().get(id)?.values() ?? [], (stored) => stored.stat)
              .filter((stat) => !ObjectId.isReserved(stat.componentId))
              .sort((a, b) => compare(a.componentId, b.componentId))),
        history: (objectId) =>
          Effect.map(parseObject(objectId), (id) => log.slice(from()).filter((c) => c.objects.has(id)).map((c) => c.info))
      }
    }

    /** the log entry of the commit `version`, and where it is in the log */
    const entryOf = (version: string) =>
      Effect.flatMap(parseVersion(version), (id) => {
        const index = log.findIndex((entry) => entry.info.id === id)
        return index === -1 ? Effect.fail(versionNotFound(id)) : Effect.succeed({ index, entry: log[index]! })
      })

    return Storage.of({
      branch,
      ...reader(() => head, () => 0),
      write,
      spool,
      stage,
      commit,
      remove: (objectId, componentId) =>
        Effect.flatMap(locate(objectId, componentId), (at) =>
          staged.remove(at, head.get(at.objectId)?.has(at.componentId) === true)),
      reset: (objectId, componentId) =>
        Effect.map(locate(objectId, componentId), staged.reset),
      at: (version) =>
        Effect.map(entryOf(version), ({ entry }) => {
          // the log only grows at its front: the entry's place moves on with every later commit
          const from = () => log.indexOf(entry)
          return { commit: entry.info, ...reader(() => entry.tree, from, entry.info.id) }
        }),
      changes: (objectId, commit) =>
        Effect.flatMap(parseObject(objectId), (id) =>
          Effect.map(entryOf(commit.id), ({ entry, index }) =>
            changesIn(id, entry.paths, log[index + 1]?.tree ?? new Map(), entry.tree))),
      log: {
        head: Effect.sync(() => log[0]?.info.id),
        after: (since, limit) => commitsAfter(log.map((entry) => entry.info), since, limit)
      },
      objects: () =>
        Effect.sync(() =>
          Array.from(head.keys())
            .sort((a, b) => compare(ObjectId.shard(a), ObjectId.shard(b)))
        )
    })
  })

/**
 * `Storage` held in memory; every build of the layer starts empty.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<Storage> = Layer.effect(Storage, make())

// internal

interface Stored {
  readonly stat: ComponentStat
  readonly chunks: ReadonlyArray<Uint8Array>
}

interface LogEntry {
  readonly info: CommitInfo
  /** the objects whose folders the commit changed */
  readonly objects: ReadonlySet<string>
  /** the storage paths the commit changed */
  readonly paths: ReadonlyArray<string>
  /** the branch after the commit */
  readonly tree: Tree<Stored>
}



/** Views of the bytes `[start, end)` of the chunked content. */
const slice = (chunks: ReadonlyArray<Uint8Array>, [start, end]: readonly [number, number]): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  let offset = 0
  for (const chunk of chunks) {
    const from = Math.max(start - offset, 0)
    const to = Math.min(end - offset, chunk.length)
    if (from < to) out.push(chunk.subarray(from, to))
    offset += chunk.length
    if (offset >= end) break
  }
  return out
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
