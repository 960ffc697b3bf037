/**
 * URLs without the credentials they may carry: a configured URL such as `https://user:secret@fdo.example/fdo/` keeps
 * working for the requests the server makes, but its user info never reaches a log line, a hello or an answer.
 *
 * @since 0.1.0
 */

/**
 * The URL with its user info replaced by `<redacted>` (`https://<redacted>@fdo.example/fdo/`): for the log and for
 * the dependencies an authenticated hello lists. A URL without user info is returned as it is.
 *
 * @category redaction
 * @since 0.1.0
 */
export const redactUrl = (url: string): string => url.replace(USERINFO, "$1<redacted>@")

/**
 * The URL without its user info (`https://fdo.example/fdo/`): for URIs the server publishes, such as the type FDOs'.
 *
 * @category redaction
 * @since 0.1.0
 */
export const withoutUserinfo = (url: string): string => url.replace(USERINFO, "$1")

/**
 * The text with the user info of every URL in it redacted (`redactUrl`), for log lines built from messages that may
 * quote a URL.
 *
 * @category redaction
 * @since 0.1.0
 */
export const redactUrlsIn = (text: string): string =>
  text.includes("@") ? text.replace(USERINFO_IN_TEXT, "$1<redacted>@") : text

// internal

/** a scheme, then the authority up to its last `@` (user info may hold an `@` of its own) */
const USERINFO = /^(\s*[a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i

const USERINFO_IN_TEXT = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/gi
