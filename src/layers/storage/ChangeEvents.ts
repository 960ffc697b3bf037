/**
 * Changes of objects as they happen, for watchers: every commit of the branch that changed an object becomes a
 * `ChangeEvent` (`protocol/ChangeEvent.ts`), delivered in the branch's order, once.
 *
 * **Where events come from.** The write path (`ComponentWriter`) tells the hub of each commit it made (`committed`),
 * at once. Commits made by other processes on the same branch (other servers on one lakeFS repository) are found by
 * reading the branch's log every `events.pollSeconds`. Either way the hub follows the branch's chain of commits (its
 * first parents): a commit whose parent is the last one it published is published as it is; any other (one of
 * another process came between, or this process's commits finished out of order) makes it read the log from its last
 * one, so that every commit is published, in the branch's order, with none twice. The embedded store is not polled:
 * it has one process per data directory (`LocalStorage`), so every commit of it goes through this process's writer.
 *
 * **What an event says.** The object is the commit's `object_id` metadata, as the write path records it (and the
 * upstream server too); the operation its `operation`; the components it added, changed and removed come from
 * `Storage.changes` (a diff on lakeFS). A commit without `object_id` (one made by hand, lakeFS's first) is no event.
 *
 * **A bounded buffer.** The hub holds the last `events.bufferSize` commits in one `PubSub` shared by every watcher
 * (sliding: a publisher never waits, and the oldest give way). A watcher that falls further behind notices the gap in
 * the chain and reads what it missed from the commit log, so a slow watcher never holds back a writer nor grows the
 * server's memory, and still loses nothing; one whose client stops reading altogether is cut by the connection's
 * write deadline, and its client resumes with `since`.
 *
 * **Watching.** `watch` reads the log after `since` (the branch's head when there is none) first, which also says
 * whether `since` is a version of the branch at all; its stream then subscribes to the hub, reads what came since,
 * replays it, and goes on with live events, skipping those it replayed already: nothing lost, nothing twice.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type { ChangeEvent } from "../../protocol/ChangeEvent.ts"
import { ServerConfig } from "../config/ServerConfig.ts"
import { isReserved } from "./ObjectId.ts"
import { type CommitInfo, type ComponentChange, Storage, type StorageError } from "./Storage.ts"

/**
 * A watch: where it starts, and its events.
 *
 * @category models
 * @since 0.1.0
 */
export interface Watch {
  /**
   * The version the watch starts after: its `since`, else the branch's head when it was asked for (`""` when the
   * branch had no commit yet: the watch starts at its beginning). A client that resumes with it loses nothing.
   */
  readonly since: string
  /**
   * The events of the commits after `since`, those already made first, then live ones, for as long as it is read.
   * Fails with a `StorageError` when the commit log it must read cannot be read (storage down), or no longer holds
   * where the watch is (the branch was reset).
   */
  readonly events: Stream.Stream<ChangeEvent, StorageError>
}

/**
 * @category services
 * @since 0.1.0
 */
export class ChangeEvents extends Context.Service<ChangeEvents, {
  /** tells the hub of a commit this process made on the branch; never waits */
  readonly committed: (commit: CommitInfo) => Effect.Effect<void>
  /**
   * A watch of the objects `ids` (every object when absent) after the version `since`. Fails `NotFound` when
   * `since` is no commit of the branch, `TooLarge` when more than {@link MAX_REPLAY} commits came after it.
   */
  readonly watch: (options: {
    readonly ids?: ReadonlySet<string> | undefined
    readonly since?: string | undefined
  }) => Effect.Effect<Watch, StorageError>
  /** how many commits the hub holds for its watchers now: never more than `events.bufferSize` */
  readonly buffered: Effect.Effect<number>
}>()("effect-doip/layers/ChangeEvents") {}

/**
 * The most commits a watch replays after its `since`: a client further behind had better read the objects afresh.
 *
 * @category constants
 * @since 0.1.0
 */
export const MAX_REPLAY = 100_000

/**
 * The event of `commit`, given what it changed of the object `objectId`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const eventOf = (objectId: string, commit: CommitInfo, changes: ReadonlyArray<ComponentChange>): ChangeEvent => {
  const of = (kind: ComponentChange["change"]) =>
    changes.filter((c) => c.change === kind && !isReserved(c.componentId)).map((c) => c.componentId)
  return {
    objectId,
    version: commit.id,
    operation: commit.metadata["operation"] ?? "commit",
    time: commit.creationDate,
    components: { added: of("added"), changed: of("changed"), removed: of("removed") }
  }
}

/**
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const storage = yield* Storage
  const { events: settings } = yield* ServerConfig

  /** the published commits, in the branch's order; the oldest give way to new ones */
  const hub = yield* PubSub.sliding<Step>(settings.bufferSize)
  yield* Effect.addFinalizer(() => PubSub.shutdown(hub))

  /** the event of `commit`, if it is one of an object in `ids` (of any object when absent) */
  const eventsOf = (commit: CommitInfo, ids?: ReadonlySet<string>): Effect.Effect<ReadonlyArray<ChangeEvent>, StorageError> => {
    const objectId = commit.metadata["object_id"]
    if (objectId === undefined || (ids !== undefined && !ids.has(objectId))) return Effect.succeed([])
    return Effect.map(storage.changes(objectId, commit), (changes) => [eventOf(objectId, commit, changes)])
  }

  // -- the hub's side: publishing every commit of the branch once, in order --------------------------------------

  /** the last commit published (where the hub is on the branch's chain); unknown until the head was read */
  let position: string | undefined | typeof UNKNOWN = UNKNOWN
  /** the ids of commits published lately, so that one reported twice (by the writer and the log) goes out once */
  const recent = new Set<string>()
  /** what the worker has yet to do: commits this process made, and polls; the oldest give way (the log has them) */
  const work = yield* Queue.sliding<CommitInfo | typeof POLL | typeof JUMP>(WORK_QUEUE)
  /**
   * How many watches are subscribed. With none, the hub only keeps its place: it reads neither what a commit changed
   * nor the log, and does not poll (a store nobody watches costs nothing more per write).
   */
  let watchers = 0

  const publish = (commit: CommitInfo) =>
    Effect.gen(function*() {
      const events = watchers === 0 ? [] : yield* eventsOf(commit).pipe(
        Effect.retry({ schedule: Schedule.exponential("100 millis"), times: 4 }),
        // without what it changed, the event says what the commit's metadata says, rather than nothing
        Effect.catch((error) =>
          Effect.as(
            Effect.logWarning(`the change of commit ${commit.id} cannot be read (${error.message}); its event says less`),
            fallbackEvents(commit)
          )
        )
      )
      position = commit.id
      recent.add(commit.id)
      if (recent.size > RECENT) recent.delete(recent.values().next().value!)
      yield* PubSub.publish(hub, { version: commit.id, parent: commit.parents[0], events })
    })

  /**
   * Puts the hub at the branch's head without publishing the commits before it. Watchers are told (a step that
   * follows no commit, which they take for a gap), so that they read what they may have missed from the log.
   */
  const moveToHead = Effect.flatMap(storage.log.head, (head) => {
    position = head
    return head === undefined || watchers === 0
      ? Effect.void
      : Effect.asVoid(PubSub.publish(hub, { version: head, parent: MOVED, events: [] }))
  })

  /** publishes the commits after the last one published, from the branch's log */
  const catchUp = Effect.gen(function*() {
    if (position === UNKNOWN) return yield* moveToHead
    const commits = yield* storage.log.after(position, MAX_REPLAY).pipe(
      Effect.catchIf((error) => error.kind === "NotFound" || error.kind === "TooLarge", (error) =>
        Effect.gen(function*() {
          // the branch was reset under the hub (or it fell very far behind): it starts over at the head, and its
          // watchers, who find the chain broken, read the log from where they are (and fail if that is gone too)
          yield* Effect.logWarning(`watchers: the branch's log no longer follows from ${String(position)} (${error.message}); starting at its head`)
          yield* moveToHead
          return []
        }))
    )
    for (const commit of commits) {
      if (recent.has(commit.id)) position = commit.id
      else yield* publish(commit)
    }
  })

  const handle = (item: CommitInfo | typeof POLL | typeof JUMP): Effect.Effect<void, StorageError> => {
    if (item === JUMP) return moveToHead
    if (item === POLL) return watchers === 0 ? Effect.void : catchUp
    if (recent.has(item.id)) return Effect.void
    // nobody to tell: the commit is only where the hub is now
    if (watchers === 0) return publish(item)
    // not following the branch yet: this commit's parent is where the hub starts
    if (position === UNKNOWN && item.parents.length > 0) position = item.parents[0]
    return item.parents[0] === position ? publish(item) : catchUp
  }

  yield* Effect.gen(function*() {
    yield* Effect.ignore(catchUp) // the head, to start from
    for (;;) {
      const batch = yield* Queue.takeAll(work)
      for (const item of batch) {
        // storage down: the next commit or poll tries again, from the same place
        yield* handle(item).pipe(
          Effect.catch((error) => Effect.logDebug(`watchers: cannot follow the branch now (${error.message})`))
        )
      }
    }
  }).pipe(Effect.forkScoped)

  // other processes' commits: only where other processes write (lakeFS), and only when asked to
  if (storage.versions !== undefined && settings.pollSeconds > 0) {
    yield* Queue.offer(work, POLL).pipe(
      Effect.repeat(Schedule.spaced(Duration.seconds(settings.pollSeconds))),
      Effect.forkScoped
    )
  }

  const committed = (commit: CommitInfo) => Effect.asVoid(Queue.offer(work, commit))

  // -- the watcher's side --------------------------------------------------------------------------------------

  const watch = (options: { readonly ids?: ReadonlySet<string> | undefined; readonly since?: string | undefined }) =>
    Effect.gen(function*() {
      const { ids } = options
      const since = options.since ?? (yield* storage.log.head) ?? ""
      const first = yield* storage.log.after(since === "" ? undefined : since, MAX_REPLAY)
      const events = Stream.unwrap(Effect.gen(function*() {
        // the first watch after none makes the hub start at the head: where it was may be far behind (other
        // servers' commits, which it does not follow while nobody watches)
        yield* Effect.acquireRelease(
          Effect.suspend(() => (watchers++ === 0 ? Effect.asVoid(Queue.offer(work, JUMP)) : Effect.void)),
          () => Effect.sync(() => watchers--)
        )
        const subscription = yield* PubSub.subscribe(hub)
        /**
         * the version of the last live step seen, at first where the hub was when this subscribed: a step whose
         * parent is another one follows a gap (a commit the hub published while this was subscribing looks like one
         * too, which costs a read of the log and nothing else)
         */
        let previous: string | undefined | typeof UNKNOWN = position
        /** the events of `commits`, in their order, a few read ahead */
        const eventsFrom = (commits: ReadonlyArray<CommitInfo>) =>
          Stream.fromIterable(commits).pipe(
            Stream.rechunk(1),
            Stream.mapEffect((commit) => eventsOf(commit, ids), { concurrency: 4 }),
            Stream.flattenIterable
          )
        // what came between the read above and the subscription: from here on the hub has it, or the log does
        let cursor: string | undefined = first.at(-1)?.id ?? (since === "" ? undefined : since)
        const more = yield* storage.log.after(cursor, MAX_REPLAY)
        cursor = more.at(-1)?.id ?? cursor
        const replay = eventsFrom([...first, ...more])
        const live = Stream.fromSubscription(subscription).pipe(
          Stream.flatMap((step): Stream.Stream<ChangeEvent, StorageError> => {
            // (not knowing where the hub was, the first step is taken for one too)
            const gap = step.parent === MOVED || previous === UNKNOWN || step.parent !== previous
            previous = step.version
            if (gap) {
              // steps went by unread (this watcher fell behind the buffer): what it missed is in the log, read
              // now, so past this step too; the steps after it that are already replayed are skipped below
              return Stream.unwrap(Effect.map(storage.log.after(cursor, MAX_REPLAY), (missed) => {
                cursor = missed.at(-1)?.id ?? cursor
                return eventsFrom(missed)
              }))
            }
            // the next commit after the last one delivered; any other is one delivered from the log already
            if (step.parent !== cursor) return Stream.empty
            cursor = step.version
            return Stream.fromIterable(ids === undefined ? step.events : step.events.filter((e) => ids.has(e.objectId)))
          })
        )
        return Stream.concat(replay, live)
      }))
      return { since, events } satisfies Watch
    })

  return ChangeEvents.of({ committed, watch, buffered: PubSub.size(hub) })
})

/**
 * The hub, given `Storage` and the settings (`events.pollSeconds`, `events.bufferSize`).
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<ChangeEvents, never, Storage | ServerConfig> = Layer.effect(ChangeEvents, make)

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

/** one commit of the branch as the hub publishes it: where it is on the chain, and its events (none or one) */
interface Step {
  readonly version: string
  /** the commit before, `MOVED` when the hub moved to `version` without publishing what came before it */
  readonly parent: string | undefined | typeof MOVED
  readonly events: ReadonlyArray<ChangeEvent>
}

const UNKNOWN: unique symbol = Symbol("unknown")
const POLL: unique symbol = Symbol("poll")
const JUMP: unique symbol = Symbol("jump")
const MOVED: unique symbol = Symbol("moved")

/** how many published commit ids the hub remembers, to publish a commit reported twice once */
const RECENT = 4096

/** how many commits (and polls) may wait for the worker; older ones give way, and are then read from the log */
const WORK_QUEUE = 1024

/** what a commit's metadata says of it, for when what it changed cannot be read */
const fallbackEvents = (commit: CommitInfo): ReadonlyArray<ChangeEvent> => {
  const objectId = commit.metadata["object_id"]
  if (objectId === undefined) return []
  const ids = (commit.metadata["component_ids"] ?? commit.metadata["component_id"] ?? "").split(",").filter((id) => id !== "")
  const removed = commit.metadata["operation"] === "delete"
  return [
    eventOf(objectId, commit, ids.map((componentId) => ({ componentId, change: removed ? "removed" : "changed" })))
  ]
}
