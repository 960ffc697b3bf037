/**
 * The lakeFS stand-in's block store: object contents as files in a folder that lives as long as the stand-in. An
 * upload's body streams into a file and an answer streams out of one, so a test can push a component through the
 * stand-in that is far larger than it would want to hold in memory (the 512 MiB memory test does).
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { createHash, randomBytes } from "node:crypto"
import { createReadStream, createWriteStream, mkdtempSync, rmSync, unlink } from "node:fs"
import type * as Http from "node:http"
import { tmpdir } from "node:os"
import { basename, join } from "node:path"
import { pipeline } from "node:stream"

/** one object's content, on disk */
export interface BlobFile {
  readonly file: string
  readonly size: number
  /** MD5 of the content, in hex: lakeFS's checksum and ETag of an object uploaded in one part */
  readonly md5: string
}

/** a fresh folder under `parent` (default the system's temporary folder), removed with the scope */
export const folder = (parent?: string): Effect.Effect<string, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(parent ?? tmpdir(), "lakefs-stand-in-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

/** where a blob lives, as lakeFS's `physical_address` names it */
export const physicalAddress = (blob: BlobFile) => `local://stand-in/data/${basename(blob.file)}`

/**
 * Streams the request's body into a new file in `dir`, counting and hashing it on the way. `done` gets the blob once
 * the body has ended, or `undefined` when the connection broke first (or the file could not be written): then the
 * partial file is deleted, so nothing of a cut upload can be staged.
 */
export const receive = (req: Http.IncomingMessage, dir: string, done: (blob: BlobFile | undefined) => void) => {
  const file = join(dir, randomBytes(16).toString("hex"))
  const md5 = createHash("md5")
  let size = 0
  pipeline(
    req,
    async function*(chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        md5.update(chunk)
        size += chunk.length
        yield chunk
      }
    },
    createWriteStream(file),
    (error) => {
      if (error == null && req.complete) return done({ file, size, md5: md5.digest("hex") })
      unlink(file, () => done(undefined))
    }
  )
}

/** the blob's bytes `[start, end]` (inclusive), or all of them, as the body of `res`, whose head is written already */
export const send = (res: Http.ServerResponse, blob: BlobFile, range?: readonly [number, number]) =>
  // a reader that goes away mid-answer ends the pipeline, closing the file; there is no one left to tell
  pipeline(createReadStream(blob.file, range === undefined ? {} : { start: range[0], end: range[1] }), res, () => {})

/**
 * The blob's first `bytes` as the body of `res` (whose head, written already, promised all of it), then the
 * connection dropped once they are on their way: a reader sees a body that breaks off.
 */
export const sendCut = (res: Http.ServerResponse, blob: BlobFile, bytes: number) => {
  const source = createReadStream(blob.file, { start: 0, end: Math.max(0, Math.min(bytes, blob.size) - 1) })
  source.pipe(res, { end: false })
  // the socket's end goes out behind what was written to it: the reader gets the bytes, then the connection's end
  source.on("end", () => res.socket?.end())
}

/** inclusive `[start, end]` of a `Range` header, `undefined` for no (or an unparsable) range */
export const parseRange = (
  header: string | undefined,
  size: number
): readonly [number, number] | "unsatisfiable" | undefined => {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (match === null || (match[1] === "" && match[2] === "")) return undefined
  if (match[1] === "") {
    const suffix = Number(match[2])
    return suffix === 0 || size === 0 ? "unsatisfiable" : [Math.max(0, size - suffix), size - 1]
  }
  const start = Number(match[1])
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1)
  return start >= size || end < start ? "unsatisfiable" : [start, end]
}
