/**
 * Credentials checked against a MediaWiki's login API, as the upstream server checks its writers: a user name and
 * a bot password (`User@App`, made on `Special:BotPasswords`).
 *
 * A check is two calls on one session: `action=query&meta=tokens&type=login` gives a login token (tied to the
 * session cookie it sets), then `POST action=login` with `lgname`, `lgpassword`, `lgtoken` answers `Success` or a
 * reason. A success is kept for `cacheTtl`, keyed by an HMAC of the name and password under a secret made at start
 * (never the password itself),
 * so a writer's next calls cost no round trip; failures are never kept. A wrong credential is `undefined` (the
 * server answers `Unauthenticated` and counts the guess); a MediaWiki that is down, slow or answers what cannot be
 * read is `Unavailable`, which says so, and the attempt is taken back from the guessing throttle (`Auth.makeWith`). Credentials are never logged.
 *
 * A configured static token (`auth.token`) is accepted beside it, for the server's operators.
 *
 * @since 0.1.0
 */
import * as Cache from "effect/Cache"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Cookies from "effect/http/Cookies"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import { createHmac, randomBytes } from "node:crypto"
import type { Credentials } from "../protocol/Credentials.ts"
import { DoipError } from "../protocol/DoipError.ts"
import { type Accepted, staticVerifier, type Verifier } from "./Auth.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** the Action API endpoint, ending in `api.php` */
  readonly apiUrl: string
  /** how long both calls of a check may take; default 10 seconds */
  readonly timeout?: Duration.Input | undefined
  /** how long a success is kept; default 5 minutes */
  readonly cacheTtl?: Duration.Input | undefined
}

/**
 * A `Verifier` of user name and bot password against MediaWiki, beside the static token of `accepted`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(options: Options, accepted: Accepted) {
  const client = yield* HttpClient.HttpClient
  const timeout = Duration.fromInputUnsafe(options.timeout ?? "10 seconds")
  const operatorToken = staticVerifier({ token: accepted.token, username: Option.none(), password: Option.none() })
  const unavailable = (why: string) =>
    // a client reads this: MediaWiki's address stays the operator's business
    new DoipError({ kind: "Unavailable", message: `the MediaWiki login cannot check credentials: ${why}` })

  /** whether MediaWiki accepts `name` with `password`; the caller's name when it does */
  const login = (name: string, password: string): Effect.Effect<string | undefined, DoipError> =>
    Effect.gen(function*() {
      const tokens = yield* client.execute(
        HttpClientRequest.get(options.apiUrl, { urlParams: { action: "query", meta: "tokens", type: "login", format: "json" } })
      )
      if (tokens.status !== 200) return yield* unavailable(`the login token request answered HTTP ${tokens.status}`)
      const { query } = yield* HttpClientResponse.schemaBodyJson(TokenAnswer)(tokens)
      // the token belongs to the session its cookie names: the login must carry it (and any other cookie the site or
      // a proxy set beside it)
      const cookie = Cookies.isEmpty(tokens.cookies) ? undefined : Cookies.toCookieHeader(tokens.cookies)
      const answer = yield* client.execute(
        HttpClientRequest.post(options.apiUrl).pipe(
          HttpClientRequest.bodyUrlParams({ action: "login", lgname: name, lgpassword: password, lgtoken: query.tokens.logintoken, format: "json" }),
          cookie === undefined ? (r) => r : HttpClientRequest.setHeader("cookie", cookie)
        )
      )
      if (answer.status !== 200) return yield* unavailable(`the login answered HTTP ${answer.status}`)
      const { login: result } = yield* HttpClientResponse.schemaBodyJson(LoginAnswer)(answer)
      if (result.result === "Success") return result.lgusername ?? name
      // a lost session or an outdated token is MediaWiki's trouble, not a wrong password
      if (result.result === "WrongToken" || result.result === "NeedToken") {
        return yield* unavailable(`the login was refused with ${result.result}`)
      }
      return undefined
    }).pipe(
      Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.fail(unavailable(`no answer within ${Duration.format(timeout)}`)) }),
      Effect.mapError((error) =>
        error instanceof DoipError
          ? error
          : unavailable(error._tag === "SchemaError" ? "an answer that cannot be read" : `the request failed (${error.reason._tag})`)
      )
    )

  // keyed by an HMAC under a secret of this process: a key read out of memory cannot be tested against guesses
  const cacheKeySecret = randomBytes(32)
  // successes only: a wrong password is asked again next time (it may have been made right meanwhile)
  const successes = yield* Cache.makeWith(
    (key: string) => Effect.fail(key),
    { capacity: 10_000, timeToLive: (exit: Exit.Exit<string, string>) => (Exit.isSuccess(exit) ? options.cacheTtl ?? "5 minutes" : Duration.zero) }
  )

  const verify = (credentials: Credentials): Effect.Effect<string | undefined, DoipError> =>
    Effect.gen(function*() {
      if (credentials.token !== undefined) return yield* operatorToken.verify(credentials)
      if (credentials.password === undefined || credentials.username === undefined) return undefined
      const name = credentials.username
      const password = Redacted.value(credentials.password)
      const key = createHmac("sha256", cacheKeySecret).update(name).update("\u0000").update(password).digest("hex")
      const cached = yield* Effect.orElseSucceed(Cache.getOption(successes, key), () => Option.none<string>())
      if (Option.isSome(cached)) return cached.value
      const principal = yield* login(name, password)
      if (principal !== undefined) yield* Cache.set(successes, key, principal)
      return principal
    })

  return { enabled: true, verify } satisfies Verifier
})

// internal

const TokenAnswer = Schema.Struct({ query: Schema.Struct({ tokens: Schema.Struct({ logintoken: Schema.String }) }) })

const LoginAnswer = Schema.Struct({
  login: Schema.Struct({
    result: Schema.String,
    lgusername: Schema.optional(Schema.String),
    reason: Schema.optional(Schema.String)
  })
})

