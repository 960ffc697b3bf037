/**
 * The listeners' TLS rule: when the certificate and key files exist, both listeners speak TLS; otherwise plaintext.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"

/**
 * @category models
 * @since 0.1.0
 */
export interface TlsFiles {
  readonly cert: Uint8Array
  readonly key: Uint8Array
}

/**
 * The certificate and key when both files exist; `undefined` for plaintext. One file without the other is an error,
 * since it is almost certainly a mistake the operator wants to hear about.
 *
 * @category constructors
 * @since 0.1.0
 */
export const load = Effect.fnUntraced(function*(paths: { readonly cert: string; readonly key: string }) {
  const fs = yield* FileSystem.FileSystem
  const exists = (path: string) => fs.exists(path).pipe(Effect.orElseSucceed(() => false))
  const [hasCert, hasKey] = [yield* exists(paths.cert), yield* exists(paths.key)]
  if (!hasCert && !hasKey) return undefined
  if (!hasCert || !hasKey) {
    return yield* Effect.fail(
      new Error(`TLS needs both files: ${paths.cert} ${hasCert ? "exists" : "is missing"}, ${paths.key} ${hasKey ? "exists" : "is missing"}`)
    )
  }
  const cert = yield* fs.readFile(paths.cert)
  const key = yield* fs.readFile(paths.key)
  return { cert, key } satisfies TlsFiles
})
