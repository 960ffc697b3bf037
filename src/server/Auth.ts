/**
 * Who may write. Reads are open; writes (update, and the workflows that store results when so configured) need a
 * credential configured on the server: a token, or a username and password.
 *
 * Secrets are compared in constant time over their SHA-256 digests (so neither the content nor the length of the
 * configured secret leaks through timing) and never logged.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { createHash, timingSafeEqual } from "node:crypto"
import type { Credentials } from "../protocol/Credentials.ts"
import { DoipError } from "../protocol/DoipError.ts"
import { ServerConfig } from "../layers/config/ServerConfig.ts"

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
  /** succeeds with the caller's name when the credentials are accepted; `Unauthenticated` otherwise */
  readonly authorizeWrite: (credentials: Credentials | undefined) => Effect.Effect<string, DoipError>
  /** whether anyone may write at all (some credential is configured) */
  readonly writesEnabled: boolean
}>()("effect-doip/layers/Auth") {}

/**
 * An `Auth` that accepts exactly the given credential.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (accepted: Accepted): Auth["Service"] => {
  const token = Option.map(accepted.token, (t) => digest(Redacted.value(t)))
  const user = Option.isSome(accepted.username) && Option.isSome(accepted.password)
    ? Option.some({ username: digest(accepted.username.value), password: digest(Redacted.value(accepted.password.value)) })
    : Option.none()
  const writesEnabled = Option.isSome(token) || Option.isSome(user)
  const unauthenticated = (message: string) => Effect.fail(new DoipError({ kind: "Unauthenticated", message }))
  return Auth.of({
    writesEnabled,
    authorizeWrite: (credentials) => {
      if (!writesEnabled) return unauthenticated("writes are disabled: the server has no credential configured")
      if (credentials === undefined || (credentials.token === undefined && credentials.password === undefined)) {
        return unauthenticated("this operation needs credentials: send a token, or a username and password")
      }
      if (credentials.token !== undefined && Option.isSome(token)) {
        if (equal(digest(Redacted.value(credentials.token)), token.value)) return Effect.succeed("token")
      }
      if (credentials.password !== undefined && Option.isSome(user)) {
        // both comparisons always run, so timing does not tell which part was wrong
        const nameOk = equal(digest(credentials.username ?? ""), user.value.username)
        const passwordOk = equal(digest(Redacted.value(credentials.password)), user.value.password)
        if (nameOk && passwordOk) return Effect.succeed(credentials.username ?? "")
      }
      return unauthenticated("the credentials were not accepted")
    }
  })
}

/**
 * `Auth` from the server configuration (`auth.token`, `auth.username` + `auth.password`).
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<Auth, never, ServerConfig> = Layer.effect(
  Auth,
  Effect.gen(function*() {
    const settings = yield* ServerConfig
    return make(settings.auth)
  })
)

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest()

const equal = (a: Buffer, b: Buffer) => timingSafeEqual(a, b)
