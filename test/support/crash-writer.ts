/**
 * A writer to be killed: `node test/support/crash-writer.ts <directory>` opens `LocalStorage` on the directory and
 * writes and commits one version after another of one component, for ever, printing `committed <n>` once commit `n`
 * is durable. It continues from the version the store already holds, so it can be killed and restarted on the same
 * directory. `LocalStorageCrash.test.ts` kills it with SIGKILL and checks what is left.
 *
 * The version contents are exported for that test.
 *
 * @since 0.1.0
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { createHash } from "node:crypto"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as LocalStorage from "../../src/layers/storage/LocalStorage.ts"
import { Storage } from "../../src/layers/storage/Storage.ts"

export const objectId = "Q4242"
export const componentId = "payload.bin"

const chunkSize = 64 * 1024

/**
 * Odd versions are 4 MiB and a bit, even ones a few KiB, so that kills land in long writes as well as in the commits
 * that follow short ones. The sizes differ from version to version.
 */
export const versionSize = (n: number) => (n % 2 === 1 ? 4 * 1024 * 1024 : 0) + ((n * 7919) % 65536)

/** Version `n`: chunk `k` is filled with `(n * 31 + k) & 0xff`; the last chunk is shorter. */
export const versionContent = (n: number): Stream.Stream<Uint8Array> => {
  const size = versionSize(n)
  const chunks = Math.ceil(size / chunkSize)
  return Stream.range(0, chunks - 1, 1).pipe(Stream.map((k) =>
    new Uint8Array(Math.min(chunkSize, size - k * chunkSize)).fill((n * 31 + k) & 0xff)
  ))
}

/** `sha256:<hex>` of version `n`. */
export const versionChecksum = (n: number) =>
  versionContent(n).pipe(
    Stream.runFold(() => createHash("sha256"), (hash, chunk) => hash.update(chunk)),
    Effect.map((hash) => `sha256:${hash.digest("hex")}`)
  )

const writeForever = Effect.gen(function*() {
  const storage = yield* Storage
  const [head] = yield* storage.history(objectId)
  let version = head === undefined ? 0 : Number(head.metadata.version)
  while (true) {
    version++
    yield* storage.write(objectId, componentId, "application/octet-stream", versionContent(version), {
      expectedSize: versionSize(version)
    })
    yield* storage.commit(`version ${version}`, { version: String(version) })
    yield* Effect.sync(() => process.stdout.write(`committed ${version}\n`))
  }
})

if (import.meta.main) {
  const directory = process.argv[2]
  if (directory === undefined) throw new Error("usage: crash-writer.ts <directory>")
  writeForever.pipe(
    Effect.provide(LocalStorage.layer({ directory }).pipe(Layer.provide(NodeFileSystem.layer))),
    NodeRuntime.runMain
  )
}
