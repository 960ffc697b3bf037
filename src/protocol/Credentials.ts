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
      rest[key] = value
      continue
    }
    credentials ??= {}
    const text = typeof value === "string" ? value : JSON.stringify(value)
    if (key === "username") credentials.username = text
    else if (key === "password") credentials.password = Redacted.make(text)
    else credentials.token = Redacted.make(text)
  }
  return { credentials, rest }
}
