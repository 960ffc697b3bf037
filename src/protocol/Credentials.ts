/**
 * Credentials as clients send them: `username` and `password`, or a `token`, in the first metadata block (binary
 * envelope) or the `authentication` object (DOIP v2.0). Values are `Redacted` from the moment they are read, so
 * they never reach a log line.
 *
 * @since 0.1.0
 */
import * as Redacted from "effect/Redacted"

/**
 * @category models
 * @since 0.1.0
 */
export interface Credentials {
  readonly username?: string | undefined
  readonly password?: Redacted.Redacted<string> | undefined
  readonly token?: Redacted.Redacted<string> | undefined
}

const credentialKeys = new Set(["username", "password", "token"])

/**
 * Splits the credential keys off a metadata object: the credentials (when any key was present) and the rest.
 *
 * @category parsing
 * @since 0.1.0
 */
export const split = (
  metadata: Readonly<Record<string, unknown>>
): { readonly credentials: Credentials | undefined; readonly rest: Record<string, unknown> } => {
  // most requests carry none: their metadata is the rest as it is
  if (!("username" in metadata || "password" in metadata || "token" in metadata)) return { credentials: undefined, rest: metadata }
  const rest: Record<string, unknown> = {}
  let credentials: { username?: string; password?: Redacted.Redacted<string>; token?: Redacted.Redacted<string> } | undefined
  for (const [key, value] of Object.entries(metadata)) {
    if (!credentialKeys.has(key)) {
      // JSON.parse makes "__proto__" an own key; an assignment would make it rest's prototype instead
      if (key === "__proto__") Object.defineProperty(rest, key, { value, enumerable: true, writable: true, configurable: true })
      else rest[key] = value
      continue
    }
    credentials ??= {}
    const text = typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : NOT_TEXT
    if (key === "username") credentials.username = text
    else if (key === "password") credentials.password = Redacted.make(text)
    else credentials.token = Redacted.make(text)
  }
  return { credentials, rest }
}

/**
 * What a credential that is neither text nor a number stands for: something no configured secret equals (so it is
 * refused like any wrong one), made without walking the value, which may nest arbitrarily deep.
 */
const NOT_TEXT = "\u0000not a text credential"
