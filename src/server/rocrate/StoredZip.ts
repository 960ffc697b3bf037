/**
 * A zip archive of stored (uncompressed) entries, streamed as it is built, whose length is known before its first
 * byte.
 *
 * The binary envelope announces a payload's length in its head, so an answer holding a zip must know the zip's
 * length before the zip exists. With stored entries it does: each entry is a local header (30 bytes and the name,
 * with bit 3 set, so the sizes and CRC-32 it would need ahead are zero there), the bytes as they are, and a data
 * descriptor after them (16 bytes: the CRC-32 computed as the bytes went through, and the sizes); the central
 * directory then holds 46 bytes and the name per entry, and its end record 22 bytes. Nothing else is added (no extra
 * fields, no comments), so {@link length} is the sum of these, from names and sizes alone.
 *
 * The archive is written by `fflate`'s streaming `Zip`, which lays a streamed entry out exactly so; the test that
 * compares {@link length} with the bytes produced holds it to that. Its entries are fflate input files of our own
 * (`StoredFile`, what its `ZipPassThrough` is but for the CRC-32): Node's native `zlib.crc32` runs at several GB/s,
 * fflate's own JavaScript CRC at about 250 MB/s, which would have been the crate's speed. An entry's content is
 * pulled only when its turn comes, and passed on chunk by chunk (the chunks themselves, not copies): memory holds a
 * chunk, not an entry. Names are UTF-8 (flag bit 11 set when they are not ASCII).
 *
 * Not written: zip64. An archive of 4 GiB or more, an entry of that size, or more than 65,535 entries is refused by
 * {@link check} (the binary envelope could not carry such an archive anyway).
 *
 * @since 0.1.0
 */
import * as Arr from "effect/Array"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { type AsyncFlateStreamHandler, Zip, type ZipInputFile } from "fflate"
import * as zlib from "node:zlib"

/**
 * One entry: its name in the archive, its size, its time, and its content, which must yield exactly `size` bytes.
 *
 * @category models
 * @since 0.1.0
 */
export interface Entry<E> {
  readonly name: string
  readonly size: number
  readonly modified: Date
  /** pulled when the entry's turn comes, so a later entry's content may depend on what earlier ones streamed */
  readonly content: Stream.Stream<Uint8Array, E>
}

/**
 * An archive that cannot be written (`TooLarge`), or an entry whose content was not the size it promised
 * (`SizeMismatch`: the archive is then broken, and the stream fails).
 *
 * @category errors
 * @since 0.1.0
 */
export class ZipError extends Data.TaggedError("ZipError")<{
  readonly kind: "TooLarge" | "SizeMismatch"
  readonly message: string
}> {}

/**
 * The archive's length in bytes: what {@link stream} produces for these entries.
 *
 * @category sizing
 * @since 0.1.0
 */
export const length = (entries: ReadonlyArray<Pick<Entry<unknown>, "name" | "size">>): number => {
  let total = END_RECORD
  for (const entry of entries) total += LOCAL_HEADER + DESCRIPTOR + CENTRAL_HEADER + 2 * nameBytes(entry.name) + entry.size
  return total
}

/**
 * Fails with `TooLarge` when the entries need zip64: 65,536 entries or more, a name longer than 65,535 bytes, an entry
 * or an archive of 4 GiB or more.
 *
 * @category sizing
 * @since 0.1.0
 */
export const check = (entries: ReadonlyArray<Pick<Entry<unknown>, "name" | "size">>): Effect.Effect<void, ZipError> => {
  if (entries.length > MAX_16) return tooLarge(`${entries.length} entries (at most ${MAX_16})`)
  for (const entry of entries) {
    if (nameBytes(entry.name) > MAX_16) return tooLarge(`an entry name of ${nameBytes(entry.name)} bytes`)
    if (entry.size > MAX_32) return tooLarge(`${JSON.stringify(entry.name)} of ${entry.size} bytes (at most ${MAX_32})`)
  }
  const total = length(entries)
  return total > MAX_32 ? tooLarge(`an archive of ${total} bytes (at most ${MAX_32})`) : Effect.void
}

/**
 * The archive's bytes, entry after entry, then the central directory. Each entry's content is checked to be the size
 * it promised; one that is not fails the stream with `SizeMismatch` (the archive's announced length would be wrong).
 *
 * @category encoding
 * @since 0.1.0
 */
export const stream = <E>(entries: ReadonlyArray<Entry<E>>): Stream.Stream<Uint8Array, E | ZipError> =>
  Stream.suspend(() => {
    // fflate hands out what it writes synchronously, from each push: collected here and passed on at once
    let out: Array<Uint8Array> = []
    const zip = new Zip((error, data) => {
      if (error !== null) throw error
      if (data.length > 0) out.push(data)
    })
    const take = (): Array<Uint8Array> => {
      const taken = out
      out = []
      return taken
    }
    const entry = (entry: Entry<E>): Stream.Stream<Uint8Array, E | ZipError> =>
      Stream.suspend(() => {
        const file = new StoredFile(entry.name, dosTime(entry.modified))
        zip.add(file)
        let seen = 0
        const body = entry.content.pipe(
          // every push of a non-empty chunk writes it (and the local header, the first time): never an empty batch
          Stream.filter((chunk) => chunk.length > 0),
          Stream.mapArrayEffect((chunks) => {
            for (const chunk of chunks) {
              seen += chunk.length
              if (seen > entry.size) return Effect.fail(mismatch(entry, seen))
              file.push(chunk)
            }
            const written = take()
            return Arr.isArrayNonEmpty(written) ? Effect.succeed(written) : Effect.die("fflate wrote nothing for a chunk")
          })
        )
        // the local header goes out with the first bytes, the data descriptor after the last
        const end = Stream.suspend(() => {
          if (seen !== entry.size) return Stream.fail(mismatch(entry, seen))
          file.push(EMPTY, true)
          return Stream.fromArray(take())
        })
        return Stream.concat(body, end)
      })
    const directory = Stream.suspend(() => {
      zip.end()
      return Stream.fromArray(take())
    })
    return Stream.fromArray(entries).pipe(Stream.flatMap(entry), Stream.concat(directory))
  })

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

/**
 * An entry's bytes on their way into the archive, stored as they are: fflate's input-file interface, with the
 * CRC-32 and size it reads from the data descriptor once the last chunk is pushed.
 */
class StoredFile implements ZipInputFile {
  readonly filename: string
  readonly mtime: Date
  readonly compression = 0
  size = 0
  crc = 0
  ondata?: AsyncFlateStreamHandler

  constructor(filename: string, mtime: Date) {
    this.filename = filename
    this.mtime = mtime
  }

  push(chunk: Uint8Array, final = false) {
    this.crc = zlib.crc32(chunk, this.crc)
    this.size += chunk.length
    // fflate's types ask for an ArrayBuffer-backed array; it passes the chunk on as it is, whatever backs it
    this.ondata!(null, chunk as Uint8Array<ArrayBuffer>, final)
  }
}

const LOCAL_HEADER = 30
const DESCRIPTOR = 16
const CENTRAL_HEADER = 46
const END_RECORD = 22
const MAX_16 = 0xffff
const MAX_32 = 0xffff_ffff
const EMPTY = new Uint8Array(0)

const encoder = new TextEncoder()
const nameBytes = (name: string): number => encoder.encode(name).length

/** the DOS date and time hold 1980 to 2107 (fflate: to 2099); a time outside, or none, is clamped into it */
const dosTime = (date: Date): Date => {
  const time = date.getTime()
  if (!(time >= DOS_FIRST.getTime())) return DOS_FIRST
  return time > DOS_LAST.getTime() ? DOS_LAST : date
}
// local times, as DOS times are
const DOS_FIRST = new Date(1980, 0, 1, 0, 0, 0)
const DOS_LAST = new Date(2099, 11, 31, 23, 59, 58)

const tooLarge = (what: string) =>
  Effect.fail(new ZipError({ kind: "TooLarge", message: `a zip without zip64 cannot hold ${what}` }))

const mismatch = (entry: Pick<Entry<unknown>, "name" | "size">, seen: number) =>
  new ZipError({
    kind: "SizeMismatch",
    message: `${JSON.stringify(entry.name)} promised ${entry.size} bytes but its content had ${seen > entry.size ? "more" : seen}`
  })
