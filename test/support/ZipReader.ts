/**
 * Reads a zip the way a user's unzip would, with a real reader (yauzl): its entries' names, flags, CRC-32s and
 * bytes. yauzl checks the central directory against the local headers, and each entry's size as it is read; the CRC
 * is checked here, against Node's own `zlib.crc32`, and so is the data descriptor after each entry's bytes (what a
 * reader that streams the zip from its start, without the central directory, relies on).
 */
import * as Effect from "effect/Effect"
import * as yauzl from "yauzl"
import * as zlib from "node:zlib"

export interface ZipEntry {
  readonly name: string
  readonly flags: number
  readonly compressionMethod: number
  readonly crc32: number
  readonly bytes: Uint8Array
}

export const readZip = (zip: Uint8Array): Effect.Effect<ReadonlyArray<ZipEntry>, Error> =>
  Effect.tryPromise({
    try: async () => {
      const file = await yauzl.fromBufferPromise(Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength), {
        lazyEntries: true,
        strictFileNames: true,
        validateEntrySizes: true
      })
      const entries: Array<ZipEntry> = []
      try {
        for await (const entry of file.eachEntry()) {
          const { fileDataStart } = await file.readLocalFileHeaderPromise(entry, { minimal: true })
          const descriptor = Buffer.from(zip.buffer, zip.byteOffset + fileDataStart + entry.compressedSize, 16)
          if (
            descriptor.readUInt32LE(0) !== 0x08074b50 || descriptor.readUInt32LE(4) !== entry.crc32 ||
            descriptor.readUInt32LE(8) !== entry.compressedSize || descriptor.readUInt32LE(12) !== entry.uncompressedSize
          ) throw new Error(`the data descriptor of ${entry.fileName} does not match its central directory entry`)
          const stream = await file.openReadStreamPromise(entry)
          const chunks: Array<Buffer> = []
          for await (const chunk of stream) chunks.push(chunk as Buffer)
          const bytes = Buffer.concat(chunks)
          if (zlib.crc32(bytes) !== entry.crc32) throw new Error(`CRC-32 of ${entry.fileName} does not match its bytes`)
          entries.push({
            name: entry.fileName,
            flags: entry.generalPurposeBitFlag,
            compressionMethod: entry.compressionMethod,
            crc32: entry.crc32,
            bytes: new Uint8Array(bytes)
          })
        }
      } finally {
        file.close()
      }
      return entries
    },
    catch: (error) => (error instanceof Error ? error : new Error(String(error)))
  })

/** the entry named `name` (the test fails without one) */
export const entryNamed = (entries: ReadonlyArray<ZipEntry>, name: string): ZipEntry => {
  const entry = entries.find((e) => e.name === name)
  if (entry === undefined) throw new Error(`no entry ${name} in the zip (${entries.map((e) => e.name).join(", ")})`)
  return entry
}
