/**
 * Bounded, shared runs of expensive work (a workflow on an object's component): one run per key at a time, whose
 * outcome every caller asking for that key meanwhile shares, at most `maxConcurrent` runs of different keys at
 * once (the others queue), and one run per group at a time (runs of one object's component with different params
 * take turns, since they write the same result).
 *
 * Invoke is open to anonymous callers by default, so a caller must not be able to pile up work: asking ten times
 * for the same paper starts one run, and asking for a hundred papers runs `maxConcurrent` of them at a time.
 *
 * A run belongs to the service, not to its first caller: it goes on when that caller disconnects (the others still
 * wait for it, and its result is stored), and it is bounded by `timeout` instead. It is interrupted only when the
 * service's scope closes.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"

/**
 * @category models
 * @since 0.1.0
 */
export interface SharedRuns<A, E> {
  /**
   * the outcome of `work`, or of the run of `key` already under way; runs of one `group` (default: the key) take turns
   */
  readonly run: (key: string, work: Effect.Effect<A, E>, group?: string) => Effect.Effect<A, E | RunTimeout>
  /** how many runs are under way or queued */
  readonly active: Effect.Effect<number>
}

/**
 * A run that took longer than its time limit.
 *
 * @category errors
 * @since 0.1.0
 */
export class RunTimeout extends Data.TaggedError("RunTimeout")<{
  readonly key: string
  readonly message: string
}> {}

/**
 * @category constructors
 * @since 0.1.0
 */
export const make = <A, E>(options: {
  readonly maxConcurrent: number
  readonly timeout: Duration.Input
}): Effect.Effect<SharedRuns<A, E>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const permits = yield* Semaphore.make(Math.max(1, options.maxConcurrent))
    const timeout = Duration.fromInputUnsafe(options.timeout)
    const running = new Map<string, Deferred.Deferred<A, E | RunTimeout>>()
    const groups = new Map<string, { readonly lock: Semaphore.Semaphore; users: number }>()

    /** `effect` holding its group's lock; a group is forgotten once nobody uses it */
    const inGroup = <X, Y>(group: string, effect: Effect.Effect<X, Y>) =>
      Effect.acquireUseRelease(
        Effect.sync(() => {
          const entry = groups.get(group) ?? { lock: Semaphore.makeUnsafe(1), users: 0 }
          groups.set(group, entry)
          entry.users++
          return entry
        }),
        (entry) => Semaphore.withPermit(entry.lock, effect),
        (entry) =>
          Effect.sync(() => {
            if (--entry.users === 0) groups.delete(group)
          })
      )

    /** the work, run with a permit and a time limit, its outcome handed to everyone waiting for `key` */
    const bounded = (
      key: string,
      group: string,
      work: Effect.Effect<A, E>,
      outcome: Deferred.Deferred<A, E | RunTimeout>
    ) =>
      work.pipe(
        Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.fail(new RunTimeout({ key, message: `${key} did not finish within ${Duration.format(timeout)}` })) }),
        // the time limit counts from when the run gets its permit, not from when it was queued; a run waiting for
        // its group's turn holds no permit, so it keeps no other run waiting
        Semaphore.withPermit(permits),
        (bounded) => inGroup(group, bounded),
        Effect.exit,
        Effect.flatMap((exit) => {
          running.delete(key)
          return Deferred.done(outcome, exit)
        })
      )

    return {
      // looking up and registering a run happen in one synchronous step, so two callers never start two runs
      run: (key, work, group = key) =>
        Effect.suspend(() => {
          const existing = running.get(key)
          if (existing !== undefined) return Deferred.await(existing)
          const outcome = Deferred.makeUnsafe<A, E | RunTimeout>()
          running.set(key, outcome)
          return Effect.andThen(Effect.forkIn(bounded(key, group, work, outcome), scope), Deferred.await(outcome))
        }),
      active: Effect.sync(() => running.size)
    }
  })
