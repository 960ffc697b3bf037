/**
 * Who may write. Reads are open; writes (update, and the workflows that store results when so configured) need a
 * credential a `Verifier` accepts: the one configured on the server (a token, or a username and password;
 * `staticVerifier`), or a wiki user's bot password checked by MediaWiki (`MediaWikiLogin`, chosen by `AuthBackends`).
 *
 * Secrets are compared in constant time over their SHA-256 digests (so neither the content nor the length of the
 * configured secret leaks through timing) and never logged.
 *
 * Guessing is slowed down (`AuthThrottle`): after `auth.maxFailures` failed attempts from one client address (or for
 * one user name), each further attempt waits an exponential back-off before it is checked, and once the back-off is
 * spent, attempts are refused unchecked for `auth.lockoutSeconds`. Both answers are `Unauthenticated` and say how long
 * to wait. The wait is an `Effect.sleep` on the request's own fiber: other connections go on, and no lock is held
 * (every handler authorizes before it takes the writer's lock or reads a byte of content).
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { createHash, timingSafeEqual } from "node:crypto"
import type { Credentials } from "../protocol/Credentials.ts"
import { DoipError } from "../protocol/DoipError.ts"
import { ServerConfig, type Settings as ServerSettings } from "../layers/config/ServerConfig.ts"
import * as AuthThrottle from "./AuthThrottle.ts"

/**
 * The credential the server accepts.
 *
 * @category models
 * @since 0.1.0
 */
export interface Accepted {
  readonly token: Option.Option<Redacted.Redacted<string>>
  readonly username: Option.Option<string>
  readonly password: Option.Option<Redacted.Redacted<string>>
}

/**
 * @category services
 * @since 0.1.0
 */
export class Auth extends Context.Service<Auth, {
  /**
   * Succeeds with the caller's name when the credentials are accepted; `Unauthenticated` otherwise. `peer` is the
   * client's address (`DoipRequest.peer`): failures are counted per address.
   */
  readonly authorizeWrite: (credentials: Credentials | undefined, peer: string | undefined) => Effect.Effect<string, DoipError>
  /** whether anyone may write at all (some credential is configured) */
  readonly writesEnabled: boolean
}>()("effect-doip/layers/Auth") {}

/**
 * The throttle's settings from the `auth` settings (seconds and all, as configured).
 *
 * @category constructors
 * @since 0.1.0
 */
export const throttleSettings = (auth: ServerSettings["auth"]): AuthThrottle.Settings => ({
  maxFailures: auth.maxFailures,
  failureWindowMillis: auth.failureWindowSeconds * 1000,
  backoffBaseMillis: auth.backoffBaseMillis,
  backoffMaxMillis: auth.backoffMaxMillis,
  lockoutMillis: auth.lockoutSeconds * 1000,
  maxTrackedClients: auth.maxTrackedClients
})

/**
 * What checks a credential: `verify` succeeds with the caller's name, with `undefined` when the credential is wrong,
 * and fails (`Unavailable`) only when it cannot tell (the service that would check it is down); such a failure is
 * not counted as a wrong guess.
 *
 * @category models
 * @since 0.1.0
 */
export interface Verifier {
  /** whether anyone may write at all (some credential can be accepted) */
  readonly enabled: boolean
  readonly verify: (credentials: Credentials) => Effect.Effect<string | undefined, DoipError>
}

/**
 * The credential configured on the server: the token, or the user name and password, compared in constant time.
 *
 * @category constructors
 * @since 0.1.0
 */
export const staticVerifier = (accepted: Accepted): Verifier => {
  const token = Option.map(accepted.token, (t) => digest(Redacted.value(t)))
  const user = Option.isSome(accepted.username) && Option.isSome(accepted.password)
    ? Option.some({ username: digest(accepted.username.value), password: digest(Redacted.value(accepted.password.value)) })
    : Option.none()
  /** the caller's name when the credentials are the configured ones */
  const check = (credentials: Credentials): string | undefined => {
    if (credentials.token !== undefined && Option.isSome(token)) {
      if (equal(digest(Redacted.value(credentials.token)), token.value)) return "token"
    }
    if (credentials.password !== undefined && Option.isSome(user)) {
      // both comparisons always run, so timing does not tell which part was wrong
      const nameOk = equal(digest(credentials.username ?? ""), user.value.username)
      const passwordOk = equal(digest(Redacted.value(credentials.password)), user.value.password)
      if (nameOk && passwordOk) return credentials.username ?? ""
    }
    return undefined
  }
  return { enabled: Option.isSome(token) || Option.isSome(user), verify: (credentials) => Effect.sync(() => check(credentials)) }
}

/**
 * An `Auth` that accepts exactly the given credential, slowing down failed attempts as `throttle` says.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (accepted: Accepted, throttle: AuthThrottle.Settings): Auth["Service"] =>
  makeWith(staticVerifier(accepted), throttle)

/**
 * An `Auth` that accepts what `verifier` accepts, slowing down failed attempts as `throttle` says.
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeWith = (verifier: Verifier, throttle: AuthThrottle.Settings): Auth["Service"] => {
  const writesEnabled = verifier.enabled
  const unauthenticated = (message: string) => Effect.fail(new DoipError({ kind: "Unauthenticated", message }))
  const attempts = new AuthThrottle.Throttle(throttle)

  /** checks an admitted attempt and settles it; one the verifier could not check is taken back, not counted */
  const decide = (credentials: Credentials, ticket: AuthThrottle.Ticket) =>
    Effect.flatMap(Effect.onError(verifier.verify(credentials), () => Effect.sync(() => attempts.release(ticket))), (principal) =>
      Effect.clockWith((clock) => {
        if (principal !== undefined) {
          attempts.settle(ticket, true, clock.currentTimeMillisUnsafe())
          return Effect.succeed(principal)
        }
        const failure = attempts.settle(ticket, false, clock.currentTimeMillisUnsafe())
        const answer = unauthenticated(
          failure.waitMillis === 0
            ? "the credentials were not accepted"
            : `the credentials were not accepted; after repeated failures, wait ${seconds(failure.waitMillis)} before trying again`
        )
        return failure.lockedOut.length === 0 ? answer : Effect.andThen(logLockOut(ticket.attempt, failure, throttle), answer)
      }))

  return Auth.of({
    writesEnabled,
    authorizeWrite: (credentials, peer) => {
      if (!writesEnabled) return unauthenticated("writes are disabled: the server has no credential configured")
      if (credentials === undefined || (credentials.token === undefined && credentials.password === undefined)) {
        return unauthenticated("this operation needs credentials: send a token, or a username and password")
      }
      return Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const admission = attempts.admit({ peer, userName: credentials.username }, now)
        if (admission._tag === "Refused") {
          return unauthenticated(
            `too many failed attempts for this ${admission.by}: refused unchecked, wait ${
              seconds(admission.retryAfterMillis)
            } before trying again`
          )
        }
        const decided = decide(credentials, admission.ticket)
        // the wait runs before the check whatever the credential, so an answer's timing tells nothing about it
        return admission.delayMillis === 0 ? decided : Effect.andThen(Effect.sleep(admission.delayMillis), decided)
      })
    }
  })
}

/**
 * `Auth` from the server configuration (`auth.token`, `auth.username` + `auth.password`, and the throttle's settings).
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<Auth, never, ServerConfig> = Layer.effect(
  Auth,
  Effect.gen(function*() {
    const settings = yield* ServerConfig
    return make(settings.auth, throttleSettings(settings.auth))
  })
)

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest()

const equal = (a: Buffer, b: Buffer) => timingSafeEqual(a, b)

/** `0.5 s`, `12 s`: what a client is told to wait, rounded up to a tenth below 10 s, to a second above */
const seconds = (millis: number) =>
  millis < 10_000 ? `${Math.ceil(millis / 100) / 10} s` : `${Math.ceil(millis / 1000)} s`

/** once per lock-out: the address and the user name (quoted, cut short), never a secret */
const logLockOut = (attempt: AuthThrottle.Attempt, failure: AuthThrottle.Failure, throttle: AuthThrottle.Settings) => {
  const name = attempt.userName === undefined
    ? ""
    : `, user name ${JSON.stringify(attempt.userName.length > 64 ? `${attempt.userName.slice(0, 64)}...` : attempt.userName)}`
  return Effect.logWarning(
    `authentication: locking out the ${failure.lockedOut.join(" and the ")} for ${seconds(throttle.lockoutMillis)} ` +
      `after repeated failures (client ${AuthThrottle.clientKey(attempt.peer)}${name})`
  )
}
