/**
 * The storage contract: components of digital objects, versioned the way lakeFS versions them.
 *
 * Writes and removals are staged on the branch and become visible to readers only when committed; a staged change
 * can be undone with `reset`. A write can also come in two steps: `spool` receives the content (as slowly as its
 * sender sends it) without touching the branch, and `stage` puts it there, quickly; a writer that must keep other
 * writers off the branch while it stages and commits thus holds them back only for the second step. Reads (`stat`,
 * `read`, `list`) see the branch's last commit. Every implementation (embedded on-disk, memory, lakeFS) keeps these
 * semantics, so handlers never know which one runs.
 *
 * Every commit stays readable: `at` reads what storage held at one (a version of the objects it changed), `history`
 * lists the commits that changed an object, and `changes` says which of its components one of them changed.
 *
 * A storage whose staging is slow or shared with other processes (lakeFS) also offers `writeBranch`: staging apart
 * from every other writer, on a private branch that its `commit` merges into the branch as one commit. Writers on
 * write branches need not wait for each other.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"

/**
 * What storage knows about one stored component.
 *
 * @category models
 * @since 0.1.0
 */
export interface ComponentStat {
  readonly objectId: string
  readonly componentId: string
  /** the storage path, `{shard}/components/{componentId}` */
  readonly path: string
  readonly size: number
  readonly mediaType: string
  /** `algorithm:hex`, for example `sha256:9f86…` */
  readonly checksum: string
  /** ISO 8601 time of the commit (or staging) that last changed the component */
  readonly modified: string
  /**
   * All of the content, when the storage holds it in memory already (the embedded store keeps small components it
   * has read): a retrieve answers from it without opening anything. Never to be written to.
   */
  readonly content?: Uint8Array | undefined
}

/**
 * One commit on the branch.
 *
 * @category models
 * @since 0.1.0
 */
export interface CommitInfo {
  readonly id: string
  readonly parents: ReadonlyArray<string>
  readonly message: string
  readonly metadata: Readonly<Record<string, string>>
  readonly committer: string
  /** ISO 8601 */
  readonly creationDate: string
}

/**
 * A committed component opened for reading: `read` fills the front of `into` with the next bytes and says how
 * many; 0 means the end. It yields `size` bytes in all, never more, and fills `into` whole until the end.
 *
 * @category models
 * @since 0.1.0
 */
export interface OpenComponent {
  /** the bytes `read` yields in all: the component's size, or the range's */
  readonly size: number
  readonly read: (into: Uint8Array) => Effect.Effect<number, StorageError>
}

/**
 * A byte range, both ends inclusive, as in HTTP `Range: bytes=start-end`.
 *
 * @category models
 * @since 0.1.0
 */
export interface ByteRange {
  readonly start: number
  readonly end: number
}

/**
 * Options of a staged write.
 *
 * @category models
 * @since 0.1.0
 */
export interface WriteOptions {
  /** the write fails with `TooLarge`, keeping nothing, once the content passes this many bytes */
  readonly maxSize?: number | undefined
  /** when given, the write fails with `SizeMismatch`, keeping nothing, unless exactly this many bytes arrive */
  readonly expectedSize?: number | undefined
}

/**
 * Content received by `spool`, counted, hashed and checked against its write options, but not yet staged: the
 * storage holds it (in a private file, or in memory for the memory store) until `stage` puts it on the branch, or
 * until the scope of the `spool` closes, which drops it.
 *
 * @category models
 * @since 0.1.0
 */
export interface Spooled {
  readonly size: number
  /** `sha256:hex` */
  readonly checksum: string
}

/**
 * Why a storage call failed.
 *
 * - `NotFound`: no such component (or object) in the last commit; for `remove`, none staged either.
 * - `InvalidPath`: the object or component id cannot name a stored file.
 * - `TooLarge` / `SizeMismatch`: the content broke a write option; nothing was kept.
 * - `NoChanges`: a commit with nothing staged.
 * - `Unavailable`: the storage itself failed (disk, network); the operation may be retried.
 * - `Unauthorized`: the server's own storage credentials were rejected.
 * - `OutcomeUnknown`: a commit's answer was lost and storage could not say whether it happened: the change may or
 *   may not have been applied (a read of the object tells which).
 * - `Conflict`: a write branch's change collided with another writer's change of the same paths, made since the
 *   write branch was (another server's, say); nothing was applied, and the change may be made again from the start.
 *
 * @category errors
 * @since 0.1.0
 */
export class StorageError extends Schema.TaggedError<StorageError>()("StorageError", {
  kind: Schema.Literals(["NotFound", "InvalidPath", "TooLarge", "SizeMismatch", "NoChanges", "Unavailable", "Unauthorized", "OutcomeUnknown", "Conflict"]),
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * The calls that stage changes on a branch, shared by the storage's own branch and its write branches.
 *
 * @category models
 * @since 0.1.0
 */
export interface BranchStaging {
  /** stages `content` as the component; it becomes readable only after `commit` */
  readonly write: <E>(
    objectId: string,
    componentId: string,
    mediaType: string,
    content: Stream.Stream<Uint8Array, E>,
    options?: WriteOptions | undefined
  ) => Effect.Effect<ComponentStat, StorageError | E>
  /**
   * Stages spooled content as the component, as `write` would have; quick on the embedded store (a rename), an
   * upload from a local file on lakeFS. `spooled` must come from this storage's `spool`, and its scope be open.
   */
  readonly stage: (
    objectId: string,
    componentId: string,
    mediaType: string,
    spooled: Spooled
  ) => Effect.Effect<ComponentStat, StorageError>
  /**
   * Stages the deletion of a component (committed or staged). `NotFound` when there is no such component, or its
   * deletion is staged already. `commit` makes it permanent (it counts as a change, so a commit with only deletions
   * is not `NoChanges`); `reset` of that path undoes the deletion (the committed version is visible again). Removing
   * a component that was only staged drops that write: a commit then has nothing to delete at that path.
   */
  readonly remove: (objectId: string, componentId: string) => Effect.Effect<void, StorageError>
}

/**
 * A private branch for one change (see `Storage.writeBranch`): what it stages no other writer sees or commits, and
 * `commit` publishes all of it, and only it, as one commit on the storage's branch. Removed when the scope that made
 * it closes, with whatever it still holds: a change that fails needs no undoing.
 *
 * @category models
 * @since 0.1.0
 */
export interface WriteBranch extends BranchStaging {
  /**
   * commits what this branch staged and merges it into the storage's branch: the answer is the one commit it makes
   * there; `NoChanges` when nothing was staged; `Conflict` (nothing applied) when a path it changed was changed on
   * the storage's branch too since this branch was made
   */
  readonly commit: (message: string, metadata: Readonly<Record<string, string>>) => Effect.Effect<CommitInfo, StorageError>
}

/**
 * What caches of what storage holds check themselves against when other processes write to the branch too (see
 * `Storage.versions`).
 *
 * @category models
 * @since 0.1.0
 */
export interface BranchVersions {
  /** the id of the branch's head commit now (concurrent callers may share one read) */
  readonly head: Effect.Effect<string, StorageError>
  /** whether anything of the object changed between two commits of the branch */
  readonly changedBetween: (objectId: string, from: string, to: string) => Effect.Effect<boolean, StorageError>
}

/**
 * The branch's commit log, in the branch's own order: what follows every change of the branch reads it (the watchers
 * of `ChangeEvents`, which resume after a version, and follow other processes' commits).
 *
 * @category models
 * @since 0.1.0
 */
export interface BranchLog {
  /** the id of the branch's head commit now, `undefined` while the branch has none */
  readonly head: Effect.Effect<string | undefined, StorageError>
  /**
   * The branch's commits after the commit `since` (not included) up to its head, oldest first, following first
   * parents; all of them, from the branch's first, when `since` is `undefined`. `NotFound` when `since` is not one
   * of them (no commit id, a commit of another branch, or one a reset of the branch dropped); `TooLarge` when more
   * than `limit` commits came after it (the caller had better start afresh than read them all).
   */
  readonly after: (since: string | undefined, limit: number) => Effect.Effect<ReadonlyArray<CommitInfo>, StorageError>
}

/**
 * How a commit changed one component of an object, against the commit before it (its first parent).
 *
 * @category models
 * @since 0.1.0
 */
export type ChangeKind = "added" | "changed" | "removed"

/**
 * One component a commit changed: written where it was not (`added`), written again (`changed`, even with the same
 * bytes: a write is a change), or deleted (`removed`).
 *
 * @category models
 * @since 0.1.0
 */
export interface ComponentChange {
  readonly componentId: string
  readonly change: ChangeKind
}

/**
 * The reads of what a commit holds: the branch's last commit (`Storage` itself), or any earlier one (`Storage.at`).
 *
 * @category models
 * @since 0.1.0
 */
export interface StorageReader {
  readonly stat: (objectId: string, componentId: string) => Effect.Effect<ComponentStat, StorageError>
  /**
   * The content of a committed component, opened for reads into the caller's own buffers (the way to a socket
   * without an allocation per chunk); closed when the scope closes. `range` selects inclusive byte offsets.
   */
  readonly open: (
    objectId: string,
    componentId: string,
    range?: ByteRange | undefined
  ) => Effect.Effect<OpenComponent, StorageError, Scope.Scope>
  /** the content of a committed component, streamed; `range` selects inclusive byte offsets */
  readonly read: (
    objectId: string,
    componentId: string,
    range?: ByteRange | undefined
  ) => Stream.Stream<Uint8Array, StorageError>
  /**
   * the committed components of an object, by component id; empty when the object has none (its record,
   * `ObjectId.RECORD_ID`, is not one of them)
   */
  readonly list: (objectId: string) => Effect.Effect<ReadonlyArray<ComponentStat>, StorageError>
  /** the commits that changed the object's folder, newest first, from the commit read back to the first */
  readonly history: (objectId: string) => Effect.Effect<ReadonlyArray<CommitInfo>, StorageError>
}

/**
 * What storage held at one commit (`Storage.at`), read as it was then: what the commit wrote is there, what later
 * commits wrote is not. A component that was not there is `NotFound`, saying at which version.
 *
 * @category models
 * @since 0.1.0
 */
export interface Snapshot extends StorageReader {
  readonly commit: CommitInfo
}

/**
 * @category services
 * @since 0.1.0
 */
export class Storage extends Context.Service<Storage, BranchStaging & StorageReader & {
  /** the branch all calls work on, for example `main` */
  readonly branch: string
  /**
   * Receives `content` without staging anything, failing (and keeping nothing) as `write` would when it breaks
   * `options`. Takes as long as the content takes to arrive; memory does not grow with its size. What it keeps is
   * dropped when the scope closes: `stage` it before.
   */
  readonly spool: <E>(
    content: Stream.Stream<Uint8Array, E>,
    options?: WriteOptions | undefined
  ) => Effect.Effect<Spooled, StorageError | E, Scope.Scope>
  /** commits everything staged on the branch */
  readonly commit: (message: string, metadata: Readonly<Record<string, string>>) => Effect.Effect<CommitInfo, StorageError>
  /** drops the staged (uncommitted) write or removal of one component; succeeds when there is none */
  readonly reset: (objectId: string, componentId: string) => Effect.Effect<void, StorageError>
  /** the ids of all objects that have at least one committed component */
  readonly objects: () => Effect.Effect<ReadonlyArray<string>, StorageError>
  /**
   * What storage held at the commit `version` (a commit id, 64 hex digits, as `history` gives them; any commit of
   * the store, not only the branch's). `NotFound` when there is no such commit, or `version` is no commit id.
   */
  readonly at: (version: string) => Effect.Effect<Snapshot, StorageError>
  /**
   * The components of the object that `commit` (one of `history`'s) changed, against its first parent, by component
   * id; the object's record (`ObjectId.RECORD_ID`) among them when the commit changed it.
   */
  readonly changes: (objectId: string, commit: CommitInfo) => Effect.Effect<ReadonlyArray<ComponentChange>, StorageError>
  /** the branch's head and the commits after one, oldest first */
  readonly log: BranchLog
  /**
   * A private branch for one change, removed when the scope closes; absent where staging on the branch is quick and
   * in-process (the embedded and memory stores), so that writers may take turns on it.
   */
  readonly writeBranch?: (() => Effect.Effect<WriteBranch, StorageError, Scope.Scope>) | undefined
  /**
   * Present where other processes may change the branch (lakeFS): a cache of what storage holds checks an entry
   * against the head before it serves it. Absent where only this process writes, so that evicting on write suffices.
   */
  readonly versions?: BranchVersions | undefined
}>()("effect-doip/layers/Storage") {}
