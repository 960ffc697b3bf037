/**
 * Component content to and from files, for callers of the client (the `doip` command among them): files are read in
 * 1 MiB chunks, two ahead of the upload, and downloaded content is written in 1 MiB writes through two reused
 * buffers, one filling while the other is written. A file system's
 * default of 64 KiB pieces would cost thousands of reads or writes (and as many trips through the file system's
 * thread pool) for a large component.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Stream from "effect/Stream"
import { WriteBatches } from "../protocol/WriteBatches.ts"
import type { Content } from "./DoipClient.ts"

/**
 * A file as content to upload: its size and a stream of its bytes.
 *
 * @category constructors
 * @since 0.1.0
 */
export const readFile = Effect.fnUntraced(function*(path: string) {
  const fs = yield* FileSystem.FileSystem
  const size = Number((yield* fs.stat(path)).size)
  // two chunks read ahead: the next reads from disk while the last goes out on the socket
  return {
    size,
    stream: fs.stream(path, { chunkSize: READ_SIZE }).pipe(Stream.buffer({ capacity: 2 }))
  } satisfies Content<unknown>
})

/**
 * Writes `content` to `path` (created or truncated), in 1 MiB writes.
 *
 * @category constructors
 * @since 0.1.0
 */
export const writeFile = <E>(path: string, content: Stream.Stream<Uint8Array, E>) =>
  Effect.scoped(Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const file = yield* fs.open(path, { flag: "w" })
    const batches = new WriteBatches((bytes: Uint8Array) => file.writeAll(bytes))
    yield* Stream.runForEachArray(content, batches.add)
    yield* batches.flush
  }))

const READ_SIZE = 1024 * 1024
