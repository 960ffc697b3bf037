/**
 * The health of the systems the server stands on (storage, the FDO façade), as hello reports it.
 *
 * Each dependency comes with a check. The checks run once when the layer starts, so `serve` can warn about an
 * unreachable system before the first request (the server starts anyway), and then again every `interval` in the
 * background. Hello reads the last results and never waits for a check: a hello must stay cheap even when a
 * dependency hangs, and the results are at most one interval old.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import { redactUrlsIn } from "./Redact.ts"

/**
 * A system the server needs, and how to tell whether it works.
 *
 * @category models
 * @since 0.1.0
 */
export interface Dependency {
  /** what the server uses it for: `storage` or `metadata` */
  readonly name: string
  /** which implementation: `lakeFS`, `FDO façade`, `embedded`, ... */
  readonly kind: string
  /**
   * where it is (a URL, user info redacted, or a folder), when that means something to an operator; hello shows it
   * to authenticated callers only
   */
  readonly target?: string | undefined
  /** succeeds when the system works; fails with the reason it does not */
  readonly check: Effect.Effect<void, string>
}

/**
 * The outcome of a dependency's last check.
 *
 * @category models
 * @since 0.1.0
 */
export interface DependencyStatus {
  readonly name: string
  readonly kind: string
  readonly target?: string | undefined
  readonly status: "ok" | "failing"
  /** why the check failed; hello shows it to authenticated callers only */
  readonly detail?: string | undefined
  /** when the check ran, ISO 8601 */
  readonly checkedAt: string
}

/**
 * @category services
 * @since 0.1.0
 */
export class Health extends Context.Service<Health, {
  /** the last results, in the order the dependencies were given */
  readonly report: Effect.Effect<ReadonlyArray<DependencyStatus>>
}>()("effect-doip/layers/Health") {}

/**
 * A dependency that is always healthy: the embedded store and the derived façade live in the server's own process.
 *
 * @category constructors
 * @since 0.1.0
 */
export const inProcess = (name: string, kind: string, target?: string): Dependency => ({
  name,
  kind,
  target,
  check: Effect.void
})

/**
 * Runs every check (each bounded by `timeout`), logs the outcome, and keeps checking every `interval` while the
 * layer lives, logging only the changes.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (
  dependencies: ReadonlyArray<Dependency>,
  options?: { readonly interval?: Duration.Input | undefined; readonly timeout?: Duration.Input | undefined }
): Layer.Layer<Health> =>
  Layer.effect(
    Health,
    Effect.gen(function*() {
      const timeout = Duration.fromInputUnsafe(options?.timeout ?? "5 seconds")
      const checkAll = Effect.forEach(dependencies, (dependency) => runCheck(dependency, timeout), {
        concurrency: "unbounded"
      })
      const first = yield* checkAll
      yield* Effect.forEach(first, logStatus)
      const last = yield* Ref.make(first)
      const recheck = Effect.gen(function*() {
        const next = yield* checkAll
        const previous = yield* Ref.getAndSet(last, next)
        yield* Effect.forEach(next, (status, i) => status.status === previous[i]?.status ? Effect.void : logStatus(status))
      })
      yield* Effect.forkScoped(Effect.repeat(recheck, Schedule.spaced(options?.interval ?? "30 seconds")).pipe(
        Effect.delay(options?.interval ?? "30 seconds")
      ))
      return Health.of({ report: Ref.get(last) })
    })
  )

/**
 * Fixed results, for servers whose dependencies all live in-process (tests, benchmarks).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerInProcess = (storageKind: string): Layer.Layer<Health> =>
  layer([inProcess("storage", storageKind), inProcess("metadata", "derived from storage")])

// internal

const runCheck = (dependency: Dependency, timeout: Duration.Duration): Effect.Effect<DependencyStatus> =>
  Effect.gen(function*() {
    const failure = yield* dependency.check.pipe(
      Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.fail(`no answer within ${Duration.format(timeout)}`) }),
      Effect.flip,
      Effect.option
    )
    const checkedAt = new Date(yield* Clock.currentTimeMillis).toISOString()
    return {
      name: dependency.name,
      kind: dependency.kind,
      ...(dependency.target === undefined ? {} : { target: dependency.target }),
      ...(Option.isNone(failure) ? { status: "ok" as const } : { status: "failing" as const, detail: failure.value }),
      checkedAt
    }
  })

const logStatus = (status: DependencyStatus) => {
  const what = redactUrlsIn(`${status.name} (${status.kind}${status.target === undefined ? "" : ` at ${status.target}`})`)
  return status.status === "ok"
    ? Effect.logInfo(`${what}: ok`)
    : Effect.logWarning(`${what}: failing, ${redactUrlsIn(status.detail ?? "")}; the server keeps serving what it can`)
}
