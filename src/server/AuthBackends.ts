/**
 * The `Auth` the configuration asks for (`auth.backend`, env `DOIP_AUTH_BACKEND`):
 *
 * - `static` (default): the token, or user name and password, configured on the server (`Auth`).
 * - `mediawiki`: user names and bot passwords checked against the MediaWiki at `mediawiki.apiUrl`
 *   (`MEDIAWIKI_API_URL`), as the upstream server checks its writers (`MediaWikiLogin`); the configured token is
 *   accepted beside them. Without a MediaWiki URL the server does not start: it would accept no writer.
 *
 * Either way, failed attempts are slowed down alike (`auth.maxFailures` and the rest).
 *
 * @since 0.1.0
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { ServerConfig } from "../layers/config/ServerConfig.ts"
import { Auth, makeWith, staticVerifier, throttleSettings } from "./Auth.ts"
import * as MediaWikiLogin from "./MediaWikiLogin.ts"

/**
 * The configuration asks for MediaWiki credentials but names no MediaWiki.
 *
 * @category errors
 * @since 0.1.0
 */
export class AuthConfigError extends Schema.TaggedError<AuthConfigError>()("AuthConfigError", {
  message: Schema.String
}) {}

/**
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<Auth, AuthConfigError, ServerConfig> = Layer.effect(
  Auth,
  Effect.gen(function*() {
    const settings = yield* ServerConfig
    const throttle = throttleSettings(settings.auth)
    if (settings.auth.backend === "static") return makeWith(staticVerifier(settings.auth), throttle)
    if (Option.isNone(settings.mediawiki.apiUrl)) {
      return yield* new AuthConfigError({
        message: "auth.backend is mediawiki (DOIP_AUTH_BACKEND), but no MediaWiki is configured: set MEDIAWIKI_API_URL"
      })
    }
    const verifier = yield* MediaWikiLogin.make(
      {
        apiUrl: settings.mediawiki.apiUrl.value,
        timeout: `${settings.mediawiki.timeoutSeconds} seconds`,
        cacheTtl: `${settings.auth.mediawikiCacheSeconds} seconds`
      },
      settings.auth
    ).pipe(Effect.provide(NodeHttpClient.layerNodeHttp))
    return makeWith(verifier, throttle)
  })
)
