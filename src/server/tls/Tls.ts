/**
 * Which TLS each port speaks, and with which certificate.
 *
 * - `off`: plaintext only; a client that opens with a TLS handshake is closed at once.
 * - `auto`: plaintext and TLS alike on every port, told apart by the connection's first byte (a TLS handshake
 *   starts with `0x16`, which no DOIP request does). The default when no certificate is configured: every client
 *   works out of the box, the TLS-only ones (doipy) and the plaintext ones.
 * - `required`: TLS only; a plaintext client is closed at once. The default when a certificate is configured.
 *
 * The certificate is the configured one (`tls.cert`/`tls.key`, or upstream's `certs/server.crt` and
 * `certs/server.key` when both exist); otherwise one made for the service id on first start and kept in
 * `<dataDir>/tls/` (see `SelfSigned`), so that its fingerprint stays the same across restarts.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import * as Path from "effect/Path"
import * as crypto from "node:crypto"
import * as os from "node:os"
import * as SelfSigned from "./SelfSigned.ts"

/**
 * @category models
 * @since 0.1.0
 */
export type TlsMode = "off" | "auto" | "required"

/**
 * @category models
 * @since 0.1.0
 */
export const modes: ReadonlyArray<TlsMode> = ["off", "auto", "required"]

/**
 * A certificate and its key, PEM-encoded.
 *
 * @category models
 * @since 0.1.0
 */
export interface TlsFiles {
  readonly cert: Uint8Array
  readonly key: Uint8Array
}

/**
 * What the listeners speak: the mode, and the certificate unless the mode is `off`.
 *
 * @category models
 * @since 0.1.0
 */
export type TlsSetup =
  | { readonly mode: "off" }
  | { readonly mode: "auto" | "required"; readonly files: TlsFiles }

/**
 * The setup the settings ask for, with what the log should say about it: the mode, where the certificate comes from
 * and its SHA-256 fingerprint (what a user compares, or pins, when they trust a self-signed certificate).
 *
 * @category constructors
 * @since 0.1.0
 */
export const resolve = Effect.fnUntraced(function*(settings: {
  readonly dataDir: string
  readonly serviceId: string
  readonly host: string
  readonly tls: {
    readonly mode: Option.Option<TlsMode>
    readonly cert: Option.Option<string>
    readonly key: Option.Option<string>
  }
}) {
  const configured = yield* loadConfigured(settings.tls)
  const mode = Option.getOrElse(settings.tls.mode, (): TlsMode => configured === undefined ? "auto" : "required")
  if (mode === "off") {
    return { setup: { mode } as TlsSetup, log: "TLS off: plaintext only, a TLS handshake is closed at once" }
  }
  const { files, source } = configured ?? (yield* selfSigned(settings))
  const fingerprint = new crypto.X509Certificate(files.cert).fingerprint256
  const what = mode === "auto" ? "TLS auto: plaintext and TLS on every port" : "TLS required: TLS only on every port"
  return { setup: { mode, files } as TlsSetup, log: `${what}; certificate ${source}, SHA-256 ${fingerprint}` }
})

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

/** upstream's place for a certificate, used when both files are there */
const UPSTREAM = { cert: "certs/server.crt", key: "certs/server.key" }

/** a self-signed certificate lasts this long, and is made anew when it has less than a month left */
const VALID_DAYS = 3650
const RENEW_DAYS = 30

/**
 * The configured certificate and key. Paths given must both exist (a missing file is a mistake the operator wants
 * to hear about); without paths, upstream's `certs/` is used when both of its files exist.
 */
const loadConfigured = Effect.fnUntraced(function*(paths: {
  readonly cert: Option.Option<string>
  readonly key: Option.Option<string>
}) {
  const fs = yield* FileSystem.FileSystem
  const exists = (path: string) => fs.exists(path).pipe(Effect.orElseSucceed(() => false))
  const given = Option.isSome(paths.cert) || Option.isSome(paths.key)
  const cert = Option.getOrElse(paths.cert, () => UPSTREAM.cert)
  const key = Option.getOrElse(paths.key, () => UPSTREAM.key)
  const [hasCert, hasKey] = [yield* exists(cert), yield* exists(key)]
  if (!given && !hasCert && !hasKey) return undefined
  if (!hasCert || !hasKey) {
    return yield* Effect.fail(
      new Error(`TLS needs both files: ${cert} ${hasCert ? "exists" : "is missing"}, ${key} ${hasKey ? "exists" : "is missing"}`)
    )
  }
  const files: TlsFiles = { cert: yield* fs.readFile(cert), key: yield* fs.readFile(key) }
  return { files, source: cert }
})

/** the certificate kept in `<dataDir>/tls/`, made (again) when it is missing, expiring, or for another service id */
const selfSigned = Effect.fnUntraced(function*(settings: {
  readonly dataDir: string
  readonly serviceId: string
  readonly host: string
}) {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const dir = path.join(settings.dataDir, "tls")
  const certFile = path.join(dir, "server.crt")
  const keyFile = path.join(dir, "server.key")
  const now = new Date()
  const kept = yield* Effect.gen(function*() {
    if (!(yield* fs.exists(certFile)) || !(yield* fs.exists(keyFile))) return undefined
    const files: TlsFiles = { cert: yield* fs.readFile(certFile), key: yield* fs.readFile(keyFile) }
    const cert = new crypto.X509Certificate(files.cert)
    // a key that is not the certificate's (files of two runs) would fail every start: it is made anew instead
    const paired = cert.checkPrivateKey(crypto.createPrivateKey(Buffer.from(files.key)))
    return paired && SelfSigned.isCurrent(cert, settings.serviceId, now, RENEW_DAYS) ? files : undefined
  }).pipe(Effect.orElseSucceed(() => undefined))
  const source = `${certFile} (self-signed for ${settings.serviceId})`
  if (kept !== undefined) return { files: kept, source }

  const hosts = ["localhost", os.hostname(), "127.0.0.1", "::1"]
  if (settings.host !== "0.0.0.0" && settings.host !== "::" && !hosts.includes(settings.host)) hosts.push(settings.host)
  const pem = SelfSigned.generate({ serviceId: settings.serviceId, hosts, now, validDays: VALID_DAYS })
  yield* fs.makeDirectory(dir, { recursive: true })
  // each file is written aside and renamed into place: a crash leaves the old file or the new one, never half of one
  // (and a key and certificate of two runs are caught by the check above); the key is the owner's only from the start
  yield* fs.writeFileString(`${keyFile}.new`, pem.key, { mode: 0o600 })
  yield* fs.chmod(`${keyFile}.new`, 0o600)
  yield* fs.rename(`${keyFile}.new`, keyFile)
  yield* fs.writeFileString(`${certFile}.new`, pem.cert)
  yield* fs.rename(`${certFile}.new`, certFile)
  yield* Effect.logInfo(`made a self-signed certificate for ${settings.serviceId} in ${certFile}`)
  const encode = (text: string) => new TextEncoder().encode(text)
  return { files: { cert: encode(pem.cert), key: encode(pem.key) }, source }
})
