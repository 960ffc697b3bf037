/**
 * WriteBatches: chunks of any size become writes of exactly 1 MiB (the last one shorter), in order, byte for byte,
 * while the caller reuses its chunk buffers; a failed write fails the add or the flush that follows it.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { WRITE_SIZE, WriteBatches } from "../../src/protocol/WriteBatches.ts"

describe("WriteBatches", () => {
  it.live("writes 1 MiB pieces in order, copying chunks the caller then reuses", () =>
    Effect.gen(function*() {
      const written: Array<Uint8Array> = []
      // each write takes a moment, so that the next buffer fills while it runs
      const batches = new WriteBatches((bytes) =>
        Effect.andThen(Effect.sleep("1 millis"), Effect.sync(() => void written.push(bytes.slice())))
      )
      const total = 3 * WRITE_SIZE + 12_345
      const chunk = new Uint8Array(70_001) // reused for every add, as a socket reader may
      let offset = 0
      while (offset < total) {
        const n = Math.min(chunk.length, total - offset)
        for (let i = 0; i < n; i++) chunk[i] = (offset + i) % 251
        yield* batches.add([chunk.subarray(0, n)])
        offset += n
      }
      yield* batches.flush
      assert.deepStrictEqual(written.map((w) => w.length), [WRITE_SIZE, WRITE_SIZE, WRITE_SIZE, 12_345])
      let position = 0
      for (const piece of written) {
        for (let i = 0; i < piece.length; i++) {
          if (piece[i] !== (position + i) % 251) assert.fail(`byte ${position + i} is ${piece[i]}`)
        }
        position += piece.length
      }
    }))

  it.effect("a failed write fails the batches", () =>
    Effect.gen(function*() {
      const batches = new WriteBatches(() => Effect.fail("disk full"))
      const error = yield* Effect.flip(Effect.andThen(batches.add([new Uint8Array(2 * WRITE_SIZE + 1)]), batches.flush))
      assert.strictEqual(error, "disk full")
    }))
})
