/**
 * The embedded on-disk `Storage`: content-addressed, versioned like lakeFS, crash-safe, with no server to run.
 *
 * Layout under `directory`:
 *
 * - `blobs/sha256/ab/<hex>`: every distinct content once, named by its SHA-256.
 * - `commits/<id>.json`: one immutable file per commit with its id, parents, message, metadata, committer,
 *   creation date, the paths it changed (written or removed), and the full tree of the branch after it (path -> blob,
 *   size, media type, checksum, modified); a removed component is simply absent from that tree.
 * - `refs/heads/<branch>`: the id of the branch's head commit.
 * - `tmp/`: files being written, and spooled content (`spool`) waiting to be staged; emptied on start.
 *
 * Since a commit file holds its whole tree and no blob is ever deleted, every commit stays readable (`at`): its
 * file gives the tree, the blobs the bytes.
 *
 * **Details**
 *
 * Every file outside `tmp/` appears by an atomic `rename` of a finished, fsync'd temp file, followed by an fsync of
 * its directory, and only after everything it names is durable: blobs before the commit that names them, the commit
 * before the ref. A process killed at any moment therefore leaves the previous or the new head, never a half-written
 * component. Staged writes and removals live only in memory, so a crash undoes them (as a lakeFS `reset` would); a
 * removal deletes no file, so every commit's tree stays readable. Content is streamed to disk while it is hashed;
 * memory does not grow with its size. `spool` leaves the finished (and fsync'd) file in `tmp/`, and `stage` renames
 * it to its blob path: staging costs a rename and a directory fsync, however large the component.
 *
 * **Gotchas**
 *
 * - One process per directory: start-up empties `tmp/`, which would break another live instance's writes.
 * - Blobs no commit names (reset, failed or crashed writes) stay on disk; nothing collects them yet.
 * - Every commit rewrites the whole tree, so a commit costs time and space linear in the number of components.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import * as Stream from "effect/Stream"
import * as ObjectId from "./ObjectId.ts"
import {
  type CommitInfo,
  type ComponentStat,
  type OpenComponent,
  type Snapshot,
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
  invalidPath,
  locate,
  type Location,
  makeStagingArea,
  notFound,
  notFoundAt,
  now,
  orUnavailable,
  parseObject,
  parseVersion,
  spoolThenStage,
  type Tree as BranchTree,
  unavailable,
  versionNotFound
} from "./internal/storageCommon.ts"
import { makeSpooler, type SpoolFile } from "./internal/spoolFile.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** the store's root directory; created when missing */
  readonly directory: string
  /** default `main` */
  readonly branch?: string | undefined
  /** the committer recorded on every commit; default `effect-doip` */
  readonly committer?: string | undefined
  /**
   * Bytes of small components (64 KiB or less) kept in memory once read, so that retrieving them again costs no
   * file open; default 8 MiB, 0 for none. Blobs never change (they are named by their hash), so nothing is stale.
   */
  readonly smallBlobCacheBytes?: number | undefined
}

/**
 * Opens (or creates) the store in `options.directory`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(options: Options) {
  const branch = options.branch ?? "main"
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(branch)) {
    return yield* invalidPath(`branch name ${JSON.stringify(branch)} cannot name a file`)
  }
  const committer = options.committer ?? "effect-doip"
  const disk = makeDisk(yield* FileSystem.FileSystem, options.directory, branch, options.smallBlobCacheBytes ?? 8 * 1024 * 1024)
  yield* disk.prepare
  const lock = yield* Semaphore.make(1)
  let head = yield* disk.loadHead
  const staged = makeStagingArea<StagedWrite>()
  /** newest first; read from disk on the first `history` call, then kept up to date by `commit` */
  let log: ReadonlyArray<Summary> | undefined

  const spool = <E>(
    content: Stream.Stream<Uint8Array, E>,
    options?: WriteOptions | undefined
  ): Effect.Effect<Spooled, StorageError | E, Scope.Scope> => disk.spoolBlob(content, options)

  const stage = Effect.fnUntraced(function*(objectId: string, componentId: string, mediaType: string, spooled: Spooled) {
    const at = yield* locate(objectId, componentId)
    const file = yield* disk.fileOf(spooled)
    yield* disk.storeBlob(file)
    const stat: ComponentStat = { ...at, size: file.size, mediaType, checksum: `sha256:${file.hex}`, modified: yield* now }
    yield* lock.withPermit(Effect.sync(() => staged.write({ stat, blob: file.hex })))
    return stat
  })

  const write = spoolThenStage(spool, stage)

  // uninterruptible: once the ref is renamed, memory must follow, or the next commit would fork the history
  const commit = (message: string, metadata: Readonly<Record<string, string>>) =>
    lock.withPermit(Effect.uninterruptible(Effect.gen(function*() {
      if (staged.isEmpty()) {
        return yield* new StorageError({ kind: "NoChanges", message: `nothing staged on branch ${branch}` })
      }
      const creationDate = yield* now
      const info: CommitInfo = {
        id: randomBytes(32).toString("hex"),
        parents: head.id === undefined ? [] : [head.id],
        message,
        metadata: { ...metadata },
        committer,
        creationDate
      }
      const changes = staged.paths()
      const tree = staged.apply(head.tree, ({ blob, stat: { checksum, mediaType, size } }) => ({
        blob,
        size,
        mediaType,
        checksum,
        modified: creationDate
      }))
      yield* disk.writeCommit({ ...info, changes, tree: flatten(tree) })
      yield* disk.writeRef(info.id)
      head = { id: info.id, tree }
      staged.clear()
      if (log !== undefined) log = [summarize(info, changes), ...log]
      return info
    })))

  // under the lock, so that no commit lands between the walk and the assignment
  const loadLog = lock.withPermit(Effect.suspend(() =>
    log !== undefined ? Effect.succeed(log) : Effect.map(disk.walk(head.id), (walked) => (log = walked))
  ))

  /** the reads of the tree `tree()` gives, with the history `commits` gives (newest first) */
  const reader = (
    tree: () => Tree,
    commits: Effect.Effect<ReadonlyArray<Summary>, StorageError>,
    version?: string
  ): StorageReader => {
    const committed = (objectId: string, componentId: string) =>
      Effect.flatMap(locate(objectId, componentId), (at) => {
        const entry = tree().get(at.objectId)?.get(at.componentId)
        return entry === undefined
          ? Effect.fail(version === undefined ? notFound(at.path) : notFoundAt(at.path, version))
          : Effect.succeed({ at, entry })
      })
    return {
      stat: (objectId, componentId) =>
        Effect.map(committed(objectId, componentId), ({ at, entry }) => toStat(at, entry, disk.cachedBlob(entry.blob, entry.size))),
      open: (objectId, componentId, range) =>
        Effect.flatMap(committed(objectId, componentId), ({ entry }) => disk.openBlob(entry.blob, entry.size, clamp(entry.size, range))),
      read: (objectId, componentId, range) =>
        Stream.unwrap(Effect.map(
          committed(objectId, componentId),
          ({ entry }) => disk.readBlob(entry.blob, clamp(entry.size, range))
        )),
      list: (objectId) =>
        Effect.map(parseObject(objectId), (id) =>
          Array.from(tree().get(id) ?? [], ([componentId, entry]) =>
            toStat({ objectId: id, componentId, path: ObjectId.componentPath(id, componentId) }, entry))
            .filter((stat) => !ObjectId.isReserved(stat.componentId))
            .sort((a, b) => compare(a.componentId, b.componentId))),
      history: (objectId) =>
        Effect.flatMap(parseObject(objectId), (id) =>
          Effect.map(commits, (log) => log.filter((c) => c.objects.has(id)).map((c) => c.info)))
    }
  }

  /** commit files read lately, parsed: they never change */
  const parsed = new Map<string, Parsed>()
  /** the commit `id` with its tree; `NotFound` when the store has no such commit */
  const loadCommit = (id: string): Effect.Effect<Parsed, StorageError> =>
    Effect.suspend(() => {
      const cached = parsed.get(id)
      if (cached !== undefined) return Effect.succeed(cached)
      // the head's tree is in memory already (a commit may move the head meanwhile: this one is read)
      const current = head
      if (id === current.id) return Effect.map(disk.readCommit(id), (file) => remember(file, current.tree))
      return Effect.gen(function*() {
        if (!(yield* disk.hasCommit(id))) return yield* versionNotFound(id)
        const file = yield* disk.readCommit(id)
        return remember(file, yield* unflatten(file.tree, disk.commitPath(id)))
      })
    })
  const remember = (file: CommitFile, tree: Tree): Parsed => {
    const entry: Parsed = { info: summarize(file, file.changes).info, changes: file.changes, tree }
    parsed.set(file.id, entry)
    // a few trees at most: each holds the whole branch
    for (const oldest of parsed.keys()) {
      if (parsed.size <= PARSED_COMMITS) break
      parsed.delete(oldest)
    }
    return entry
  }

  const at = (version: string): Effect.Effect<Snapshot, StorageError> =>
    Effect.gen(function*() {
      const id = yield* parseVersion(version)
      const commit = yield* loadCommit(id)
      // the branch's own commits are in its log; another branch's are walked from the commit
      const commits = Effect.flatMap(loadLog, (log) => {
        const index = log.findIndex((c) => c.info.id === id)
        return index === -1 ? disk.walk(id) : Effect.succeed(log.slice(index))
      })
      return { commit: commit.info, ...reader(() => commit.tree, commits, id) }
    })

  const changes = (objectId: string, commit: CommitInfo) =>
    Effect.gen(function*() {
      const id = yield* parseObject(objectId)
      const made = yield* loadCommit(yield* parseVersion(commit.id))
      const parent = made.info.parents[0]
      const before = parent === undefined ? new Map() : (yield* loadCommit(parent)).tree
      return changesIn(id, made.changes, before, made.tree)
    })

  return Storage.of({
    branch,
    ...reader(() => head.tree, loadLog),
    at,
    changes,
    log: {
      head: Effect.sync(() => head.id),
      after: (since, limit) => Effect.flatMap(loadLog, (log) => commitsAfter(log.map((c) => c.info), since, limit))
    },
    write,
    spool,
    stage,
    commit,
    remove: (objectId, componentId) =>
      Effect.flatMap(locate(objectId, componentId), (at) =>
        // under the lock, so that a commit cannot move the head between the check and the staging
        lock.withPermit(Effect.suspend(() =>
          staged.remove(at, head.tree.get(at.objectId)?.has(at.componentId) === true)
        ))),
    reset: (objectId, componentId) =>
      Effect.flatMap(locate(objectId, componentId), (at) =>
        lock.withPermit(Effect.sync(() => staged.reset(at)))),
    objects: () =>
      Effect.sync(() => Array.from(head.tree.keys()).sort((a, b) => compare(ObjectId.shard(a), ObjectId.shard(b))))
  })
})

/**
 * `Storage` on disk in `options.directory`.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<Storage, StorageError, FileSystem.FileSystem> =>
  Layer.effect(Storage, make(options))

// internal

/** What a commit file records for one component. */
const TreeEntry = Schema.Struct({
  blob: Schema.String,
  size: Schema.Number,
  mediaType: Schema.String,
  checksum: Schema.String,
  modified: Schema.String
})
type TreeEntry = typeof TreeEntry.Type

const CommitFile = Schema.Struct({
  id: Schema.String,
  parents: Schema.Array(Schema.String),
  message: Schema.String,
  metadata: Schema.Record(Schema.String, Schema.String),
  committer: Schema.String,
  creationDate: Schema.String,
  /** the storage paths this commit changed */
  changes: Schema.Array(Schema.String),
  /** the branch after this commit, by storage path */
  tree: Schema.Record(Schema.String, TreeEntry)
})
type CommitFile = typeof CommitFile.Type

const decodeCommit = Schema.decodeUnknownEffect(Schema.fromJsonString(CommitFile))

/** The branch in memory: object id -> component id -> entry. Replaced, never mutated, on commit. */
type Tree = BranchTree<TreeEntry>

interface StagedWrite {
  readonly stat: ComponentStat
  /** the SHA-256 hex naming the content's blob */
  readonly blob: string
}

interface Head {
  readonly id: string | undefined
  readonly tree: Tree
}

interface Summary {
  readonly info: CommitInfo
  /** the objects whose folders the commit changed */
  readonly objects: ReadonlySet<string>
}

/** a commit file read for `at` or `changes` */
interface Parsed {
  readonly info: CommitInfo
  /** the storage paths it changed */
  readonly changes: ReadonlyArray<string>
  /** the branch after it */
  readonly tree: Tree
}

/** how many parsed commit files are kept */
const PARSED_COMMITS = 8


/** All file system work, with every failure turned into `Unavailable` naming the path. */
const makeDisk = (fs: FileSystem.FileSystem, root: string, branch: string, smallBlobCacheBytes: number) => {
  const tmp = `${root}/tmp`
  const blobs = `${root}/blobs/sha256`
  const commits = `${root}/commits`
  const heads = `${root}/refs/heads`
  const ref = `${heads}/${branch}`
  const blobPath = (hex: string) => `${blobs}/${hex.slice(0, 2)}/${hex}`
  const commitPath = (id: string) => `${commits}/${id}.json`
  const smallBlobs = new SmallBlobCache(smallBlobCacheBytes)
  /** a small blob's bytes when it is in the small blob cache */
  const cachedBlob = (hex: string, size: number): Uint8Array | undefined =>
    size <= SMALL_BLOB ? smallBlobs.get(hex) : undefined
  const tempPath = () => `${tmp}/${randomBytes(16).toString("hex")}`
  // spooled content waits in tmp/ too: on the blobs' file system, so that storing it is a rename
  const spooler = makeSpooler(fs, tmp)

  // fsync of a directory makes the creations and renames inside it durable
  const syncDirectory = (dir: string) => Effect.scoped(Effect.flatMap(fs.open(dir), (handle) => handle.sync))

  /** shard folders known to exist durably */
  const shards = new Set<string>()
  const ensureShard = (dir: string) =>
    shards.has(dir) ? Effect.void : fs.makeDirectory(dir, { recursive: true }).pipe(
      Effect.andThen(syncDirectory(blobs)),
      Effect.tap(() => Effect.sync(() => shards.add(dir)))
    )

  /** the temp file is removed whatever happens; after a successful rename there is nothing left to remove */
  const withTemp = <A, E, R>(use: (temp: string) => Effect.Effect<A, E, R>) =>
    Effect.suspend(() => {
      const temp = tempPath()
      return Effect.onExit(use(temp), () => Effect.ignore(fs.remove(temp, { force: true })))
    })

  /** Replaces `path` atomically with `text`, durably. */
  const replaceFile = (path: string, text: string) =>
    withTemp((temp) =>
      Effect.scoped(Effect.gen(function*() {
        const file = yield* fs.open(temp, { flag: "wx" })
        yield* file.writeAll(new TextEncoder().encode(text))
        yield* file.sync
      })).pipe(
        Effect.andThen(fs.rename(temp, path)),
        Effect.andThen(syncDirectory(parent(path))),
        orUnavailable("write", path)
      )
    )

  const readCommit = (id: string) => {
    const path = commitPath(id)
    return fs.readFileString(path).pipe(
      orUnavailable("read", path),
      Effect.flatMap((text) =>
        Effect.mapError(decodeCommit(text), (cause) =>
          new StorageError({ kind: "Unavailable", message: `commit file ${path} is corrupt: ${cause.message}`, cause }))
      )
    )
  }

  return {
    prepare: Effect.gen(function*() {
      yield* fs.remove(tmp, { recursive: true, force: true })
      for (const dir of [tmp, blobs, commits, heads]) yield* fs.makeDirectory(dir, { recursive: true })
      for (const dir of [root, `${root}/blobs`, `${root}/refs`]) yield* syncDirectory(dir)
    }).pipe(orUnavailable("prepare", root)),

    /** The branch as its ref names it; empty before the first commit. */
    loadHead: Effect.gen(function*() {
      const empty: Head = { id: undefined, tree: new Map() }
      if (!(yield* orUnavailable("read", ref)(fs.exists(ref)))) return empty
      const id = (yield* orUnavailable("read", ref)(fs.readFileString(ref))).trim()
      if (!/^[0-9a-f]{64}$/.test(id)) {
        return yield* new StorageError({ kind: "Unavailable", message: `ref ${ref} is corrupt` })
      }
      const head: Head = { id, tree: yield* unflatten((yield* readCommit(id)).tree, commitPath(id)) }
      return head
    }),

    /** The commits from `id` back to the first, newest first. */
    walk: Effect.fnUntraced(function*(id: string | undefined) {
      const out: Array<Summary> = []
      for (let next = id; next !== undefined;) {
        const commit = yield* readCommit(next)
        out.push(summarize(commit, commit.changes))
        next = commit.parents[0]
      }
      return out
    }),

    /**
     * Streams `content` into a spool file in `tmp/` while hashing it, and fsyncs the file unless its blob is stored
     * already (blobs are never removed, so it will still be there when the file is staged). The file is removed
     * with the scope, unless `storeBlob` moved it first.
     */
    spoolBlob: <E>(content: Stream.Stream<Uint8Array, E>, options: WriteOptions | undefined) =>
      spooler.spool(content, options, (file, hex) =>
        Effect.flatMap(fs.exists(blobPath(hex)), (stored) => stored ? Effect.void : file.sync).pipe(
          orUnavailable("sync", tmp)
        )),

    fileOf: spooler.fileOf,

    /** Moves a spool file to its blob path, or leaves it (to be removed) when that content is stored already. */
    storeBlob: (file: SpoolFile) => {
      const target = blobPath(file.hex)
      return Effect.uninterruptible(Effect.gen(function*() {
        if (yield* fs.exists(target)) return
        yield* ensureShard(parent(target))
        yield* fs.rename(file.path, target)
        yield* syncDirectory(parent(target))
      })).pipe(orUnavailable("store", target))
    },

    cachedBlob,

    /** the blob opened for reads into the caller's buffers: one open, then reads of the size asked for */
    openBlob: (
      hex: string,
      blobSize: number,
      [start, end]: readonly [number, number]
    ): Effect.Effect<OpenComponent, StorageError, Scope.Scope> => {
      // a small blob read before answers from memory at once: the most frequent retrieve costs no file work
      const cached = cachedBlob(hex, blobSize)
      if (cached !== undefined) return Effect.succeed(fromBytes(cached.subarray(start, end)))
      return Effect.gen(function*() {
        const path = blobPath(hex)
        const size = end - start
        if (size === 0) return { size, read: () => Effect.succeed(0) }
        if (blobSize <= SMALL_BLOB) {
          const whole = smallBlobs.get(hex) ?? smallBlobs.add(hex, yield* orUnavailable("read", path)(fs.readFile(path)))
          return fromBytes(whole.subarray(start, end))
        }
        const file = yield* orUnavailable("open", path)(fs.open(path))
        if (start > 0) yield* orUnavailable("seek", path)(file.seek(BigInt(start), "start"))
        let remaining = size
        const read = (into: Uint8Array) =>
          remaining === 0 ? Effect.succeed(0) : file.read(into.length > remaining ? into.subarray(0, remaining) : into).pipe(
            Effect.map((n) => {
              remaining -= Number(n)
              return Number(n)
            }),
            orUnavailable("read", path)
          )
        return { size, read }
      })
    },

    readBlob: (hex: string, [start, end]: readonly [number, number]): Stream.Stream<Uint8Array, StorageError> => {
      const path = blobPath(hex)
      // 1 MiB reads: a few hundred reads (and as many chunks down the stream) for a large component, not thousands
      return start === end ? Stream.empty : fs.stream(path, { offset: start, bytesToRead: end - start, chunkSize: READ_SIZE }).pipe(
        Stream.mapError((cause) => unavailable("read", path, cause))
      )
    },

    readCommit,
    commitPath,
    /** whether the store has the commit `id` (a checked commit id) */
    hasCommit: (id: string) => orUnavailable("read", commitPath(id))(fs.exists(commitPath(id))),

    writeCommit: (commit: CommitFile) => replaceFile(commitPath(commit.id), JSON.stringify(commit)),
    writeRef: (id: string) => replaceFile(ref, `${id}\n`)
  }
}

/** blobs up to this size are read whole and kept in the small blob cache */
const SMALL_BLOB = 64 * 1024

/** small blobs by hash, the least recently used dropped first once they pass `maxBytes` in all */
class SmallBlobCache {
  private readonly blobs = new Map<string, Uint8Array>()
  private bytes = 0
  private readonly maxBytes: number

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes
  }

  get(hex: string): Uint8Array | undefined {
    const blob = this.blobs.get(hex)
    if (blob !== undefined) {
      // a Map iterates in insertion order: moving the hit to the end keeps the least recently used first
      this.blobs.delete(hex)
      this.blobs.set(hex, blob)
    }
    return blob
  }

  add(hex: string, blob: Uint8Array): Uint8Array {
    if (blob.length > this.maxBytes || this.blobs.has(hex)) return blob
    this.blobs.set(hex, blob)
    this.bytes += blob.length
    for (const [oldest, evicted] of this.blobs) {
      if (this.bytes <= this.maxBytes) break
      this.blobs.delete(oldest)
      this.bytes -= evicted.length
    }
    return blob
  }
}

/** an open component over bytes in memory */
const fromBytes = (bytes: Uint8Array): OpenComponent => {
  let offset = 0
  return {
    size: bytes.length,
    read: (into) =>
      Effect.sync(() => {
        const n = Math.min(into.length, bytes.length - offset)
        into.set(bytes.subarray(offset, offset + n))
        offset += n
        return n
      })
  }
}

/** content is read from the blob files in pieces of this size */
const READ_SIZE = 1024 * 1024

const parent = (path: string) => path.slice(0, path.lastIndexOf("/"))

const toStat = (at: Location, entry: TreeEntry, content?: Uint8Array): ComponentStat => {
  const stat = { ...at, size: entry.size, mediaType: entry.mediaType, checksum: entry.checksum, modified: entry.modified }
  return content === undefined ? stat : { ...stat, content }
}

const summarize = (commit: CommitInfo, changes: ReadonlyArray<string>): Summary => ({
  info: {
    id: commit.id,
    parents: commit.parents,
    message: commit.message,
    metadata: commit.metadata,
    committer: commit.committer,
    creationDate: commit.creationDate
  },
  // `{shard}/components/{componentId}`, where the shard's last folder is the object id
  objects: new Set(changes.map((path) => path.split("/")[3]!))
})

const flatten = (tree: Tree): Record<string, TreeEntry> => {
  const entries: Array<[string, TreeEntry]> = []
  for (const [objectId, components] of tree) {
    for (const [componentId, entry] of components) entries.push([ObjectId.componentPath(objectId, componentId), entry])
  }
  return Object.fromEntries(entries.sort(([a], [b]) => compare(a, b)))
}

/** The tree of a commit file; a path that does not round-trip to the same object and component is corruption. */
const unflatten = (flat: Readonly<Record<string, TreeEntry>>, file: string): Effect.Effect<Tree, StorageError> =>
  Effect.suspend(() => {
    const tree = new Map<string, Map<string, TreeEntry>>()
    for (const [path, entry] of Object.entries(flat)) {
      const parts = path.split("/")
      const objectId = parts[3] ?? ""
      const componentId = parts[5] ?? ""
      if (ObjectId.componentPath(objectId, componentId) !== path) {
        const message = `commit file ${file} names a bad path ${path}`
        return Effect.fail(new StorageError({ kind: "Unavailable", message }))
      }
      const components = tree.get(objectId) ?? new Map<string, TreeEntry>()
      components.set(componentId, entry)
      tree.set(objectId, components)
    }
    return Effect.succeed(tree)
  })


const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
