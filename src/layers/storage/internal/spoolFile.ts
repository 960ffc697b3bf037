/**
 * Spool files: a component's content received into a private file, counted, hashed and checked against its write
 * options on the way, before anything is staged. The embedded and lakeFS storages spool this way (`Storage.spool`),
 * so that a client's upload, however slow, happens before a writer takes the lock that serialises commits, and
 * memory does not grow with the content's size.
 *
 * @since 0.1.0
 */
import { randomBytes } from "node:crypto"
import * as Effect from "effect/Effect"
import type * as FileSystem from "effect/FileSystem"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { WriteBatches } from "../../../protocol/WriteBatches.ts"
import type { Spooled, StorageError, WriteOptions } from "../Storage.ts"
import { measure, orUnavailable, unavailable } from "./storageCommon.ts"

/** a spooled content's file, and what spooling learnt about it */
export interface SpoolFile {
  readonly path: string
  readonly size: number
  /** the SHA-256 of the content, hex */
  readonly hex: string
}

/** content is read back from a spool file in pieces of this size: as large as a socket's, so that an upload from it holds
 * no more in memory than one from a client */
const READ_SIZE = 64 * 1024

/**
 * The spool files of one storage instance, in `directory`, which belongs to that instance alone: `prepare` empties
 * it (what a crash left there), so two live instances must not share it.
 */
export const makeSpooler = (fs: FileSystem.FileSystem, directory: string) => {
  /** the spool files' handles: `Spooled` is what callers hold, the file stays the storage's business */
  const files = new WeakMap<Spooled, SpoolFile>()

  return {
    directory,

    /** an empty spool directory: files left by a process that died are removed */
    prepare: Effect.andThen(
      fs.remove(directory, { recursive: true, force: true }),
      fs.makeDirectory(directory, { recursive: true })
    ).pipe(orUnavailable("prepare", directory)),

    /**
     * Streams `content` into a fresh spool file, counting and hashing it and failing as soon as it breaks `options`
     * (`measure`). `finish` runs on the open file once all of it is written (to `sync` it, say). The file is removed
     * when the scope closes, whatever happened: a storage that keeps the content moves the file away before that.
     */
    spool: <E>(
      content: Stream.Stream<Uint8Array, E>,
      options: WriteOptions | undefined,
      finish: (file: FileSystem.File, hex: string) => Effect.Effect<void, StorageError> = () => Effect.void
    ): Effect.Effect<Spooled, StorageError | E, Scope.Scope> =>
      Effect.gen(function*() {
        const path = `${directory}/${randomBytes(16).toString("hex")}`
        yield* Effect.addFinalizer(() => Effect.ignore(fs.remove(path, { force: true })))
        const { hex, size } = yield* Effect.scoped(Effect.gen(function*() {
          const file = yield* orUnavailable("create", path)(fs.open(path, { flag: "wx" }))
          // uninterruptible: an abandoned write could land in whatever file reuses the descriptor after close
          const batches = new WriteBatches((bytes) =>
            Effect.uninterruptible(file.writeAll(bytes)).pipe(orUnavailable("write", path))
          )
          const measured = yield* measure(content, options, batches.add)
          yield* batches.flush
          yield* finish(file, measured.hex)
          return measured
        }))
        // what callers hold names no file: only this spooler can stage it
        const spooled: Spooled = { size, checksum: `sha256:${hex}` }
        files.set(spooled, { path, size, hex })
        return spooled
      }),

    /** the file behind a `Spooled` of this spooler; one of another storage is a defect of the caller */
    fileOf: (spooled: Spooled): Effect.Effect<SpoolFile> => {
      const file = files.get(spooled)
      return file === undefined ? Effect.die(new Error("the content was spooled by another storage")) : Effect.succeed(file)
    },

    /** the spool file's content, read in 64 KiB pieces */
    read: (file: SpoolFile): Stream.Stream<Uint8Array, StorageError> =>
      file.size === 0 ? Stream.empty : fs.stream(file.path, { chunkSize: READ_SIZE }).pipe(
        Stream.mapError((cause) => unavailable("read", file.path, cause))
      )
  }
}
