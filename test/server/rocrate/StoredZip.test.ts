/**
 * The streamed zip: its length, computed ahead from names and sizes, is the length of the bytes it produces, for
 * many sets of entries (none, empty ones, non-ASCII names, many chunks); a real reader opens it and finds every
 * entry's bytes, stored, with CRC-32 and data descriptor right; content of the wrong size fails it; what would need
 * zip64 is refused; and a large entry streams through in constant memory.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as StoredZip from "../../../src/server/rocrate/StoredZip.ts"
import { concatBytes, prng } from "../../support/Random.ts"
import { readZip } from "../../support/ZipReader.ts"

const text = (s: string) => new TextEncoder().encode(s)
const when = new Date("2024-02-02T12:00:00Z")

interface Spec {
  readonly name: string
  readonly bytes: Uint8Array
  /** chunks of at most this many bytes */
  readonly chunk?: number
}

const entriesOf = (specs: ReadonlyArray<Spec>, seed = 1): Array<StoredZip.Entry<never>> => {
  const random = prng(seed)
  return specs.map((spec) => ({
    name: spec.name,
    size: spec.bytes.length,
    modified: when,
    content: Stream.fromArray(random.chunk(spec.bytes, spec.chunk ?? 4096))
  }))
}

const zipOf = (entries: ReadonlyArray<StoredZip.Entry<never>>) =>
  Effect.map(Stream.runCollect(StoredZip.stream(entries)), concatBytes)

const random = prng(42)
const sets: ReadonlyArray<readonly [string, ReadonlyArray<Spec>]> = [
  ["no entries", []],
  ["one empty entry", [{ name: "empty.txt", bytes: new Uint8Array(0) }]],
  ["empty entries between others", [
    { name: "a.txt", bytes: text("alpha") },
    { name: "nothing", bytes: new Uint8Array(0) },
    { name: "b.bin", bytes: random.bytes(70_000), chunk: 9_999 },
    { name: "also-nothing", bytes: new Uint8Array(0) }
  ]],
  ["non-ASCII names", [
    { name: "données é.csv", bytes: text("x;y\n1;2\n") },
    { name: "数学 ∂∇.tex", bytes: text("\\int_0^1 f") },
    { name: "emoji 🧮.json", bytes: text("{}") }
  ]],
  ["a name with spaces, and one byte", [{ name: "a b", bytes: new Uint8Array([7]) }]],
  ["many small chunks", [{ name: "many.bin", bytes: random.bytes(50_000), chunk: 3 }]],
  ["sixty entries", Array.from({ length: 60 }, (_, i) => ({ name: `part-${i}.dat`, bytes: random.bytes(i * 37) }))]
]

describe("StoredZip", () => {
  for (const [title, specs] of sets) {
    it.effect(`length is the bytes produced, and a real reader reads them back: ${title}`, () =>
      Effect.gen(function*() {
        const zip = yield* zipOf(entriesOf(specs))
        assert.strictEqual(zip.length, StoredZip.length(specs.map((s) => ({ name: s.name, size: s.bytes.length }))))
        const read = yield* readZip(zip)
        assert.deepStrictEqual(read.map((e) => e.name), specs.map((s) => s.name))
        for (const [i, entry] of read.entries()) {
          assert.deepStrictEqual(entry.bytes, specs[i]!.bytes, entry.name)
          assert.strictEqual(entry.compressionMethod, 0, "stored")
          assert.strictEqual(entry.flags & 0x8, 0x8, "sizes and CRC in a data descriptor")
          const ascii = /^[\x20-\x7e]*$/.test(entry.name)
          assert.strictEqual(entry.flags & 0x800, ascii ? 0 : 0x800, "UTF-8 names are flagged as such")
        }
      }))
  }

  it.effect("content shorter or longer than its size fails the stream", () =>
    Effect.gen(function*() {
      for (const size of [4, 6]) {
        const entry = { name: "x", size, modified: when, content: Stream.make(text("abc"), text("de")) }
        const error = yield* Effect.flip(zipOf([entry]))
        assert.strictEqual(error._tag, "ZipError")
        assert.strictEqual((error as StoredZip.ZipError).kind, "SizeMismatch")
      }
    }))

  it.effect("an archive that would need zip64 is refused", () =>
    Effect.gen(function*() {
      const big = yield* Effect.flip(StoredZip.check([{ name: "big", size: 2 ** 32 }]))
      assert.strictEqual(big.kind, "TooLarge")
      const sum = yield* Effect.flip(StoredZip.check([{ name: "a", size: 2 ** 31 }, { name: "b", size: 2 ** 31 }]))
      assert.strictEqual(sum.kind, "TooLarge")
      const many = yield* Effect.flip(StoredZip.check(Array.from({ length: 65_536 }, (_, i) => ({ name: `${i}`, size: 0 }))))
      assert.strictEqual(many.kind, "TooLarge")
      yield* StoredZip.check([{ name: "a", size: 2 ** 32 - 200 }])
    }))

  it.live("a 256 MiB entry streams through in constant memory", () =>
    Effect.gen(function*() {
      const piece = new Uint8Array(1024 * 1024).fill(0x5a)
      const pieces = 256
      const before = process.memoryUsage()
      let peak = 0
      let seen = 0
      const start = performance.now()
      yield* StoredZip.stream([{
        name: "large.bin",
        size: piece.length * pieces,
        modified: when,
        // the same MiB again and again: whatever memory grows by is the zip's own
        content: Stream.range(1, pieces).pipe(Stream.map(() => piece))
      }]).pipe(Stream.runForEach((chunk) =>
        Effect.sync(() => {
          seen += chunk.length
          const now = process.memoryUsage()
          peak = Math.max(peak, now.rss - before.rss, now.arrayBuffers - before.arrayBuffers)
        })
      ))
      const seconds = (performance.now() - start) / 1000
      assert.strictEqual(seen, StoredZip.length([{ name: "large.bin", size: piece.length * pieces }]))
      assert.isBelow(peak, 64 * 1024 * 1024, `memory grew by ${peak} bytes`)
      console.log(`StoredZip: 256 MiB in ${seconds.toFixed(2)} s, memory grew by ${(peak / 2 ** 20).toFixed(1)} MiB`)
    }), 60_000)
})
