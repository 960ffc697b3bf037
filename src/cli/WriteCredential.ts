/**
 * The write credential a fresh server starts with.
 *
 * When no credential is configured (`auth.token`, or `auth.username` + `auth.password`), `serve` uses the token kept in
 * `<dataDir>/token`, creating it with 32 random bytes (readable by the owner only) on first start. The log names the
 * file, never the token.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import * as Path from "effect/Path"
import * as Redacted from "effect/Redacted"
import { randomBytes } from "node:crypto"
import type { Settings } from "../layers/config/ServerConfig.ts"

/**
 * The settings with a token filled in from `<dataDir>/token` when none was configured.
 *
 * @since 0.1.0
 */
export const ensure = Effect.fnUntraced(function*(settings: Settings) {
  const { auth } = settings
  if (Option.isSome(auth.token) || (Option.isSome(auth.username) && Option.isSome(auth.password))) return settings
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const file = path.join(settings.dataDir, "token")
  yield* fs.makeDirectory(settings.dataDir, { recursive: true })
  if (!(yield* fs.exists(file))) {
    yield* fs.writeFileString(file, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600 })
    yield* Effect.logInfo(`created a write token in ${file} (pass it with --token "$(cat ${file})")`)
  } else {
    yield* Effect.logInfo(`write token: ${file}`)
  }
  const token = (yield* fs.readFileString(file)).trim()
  return { ...settings, auth: { ...auth, token: Option.some(Redacted.make(token)) } }
})
