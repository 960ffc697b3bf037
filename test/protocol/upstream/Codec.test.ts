import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as LengthPrefixed from "../../../src/protocol/upstream/Codec.ts"
import { concatBytes, prng } from "../../support/Random.ts"

const decoded = (chunks: ReadonlyArray<Uint8Array>, maxSegmentSize?: number) =>
  Stream.fromIterable(chunks, { chunkSize: 1 }).pipe(
    Stream.pipeThroughChannel(LengthPrefixed.decode(maxSegmentSize === undefined ? undefined : { maxSegmentSize }))
  )

const decodeAll = (chunks: ReadonlyArray<Uint8Array>, maxSegmentSize?: number) =>
  Stream.runCollect(decoded(chunks, maxSegmentSize))

const segment = (body: Uint8Array): LengthPrefixed.Part => ({ _tag: "Segment", body })
const end: LengthPrefixed.Part = { _tag: "End" }

describe("LengthPrefixed", () => {
  it.effect.prop("round trips any messages under any chunking", { seed: Schema.Int }, ({ seed }) =>
    Effect.gen(function*() {
      const random = prng(seed)
      const wire: Array<Uint8Array> = []
      const expected: Array<LengthPrefixed.Part> = []
      for (let m = random.int(1, 4); m > 0; m--) {
        for (let s = random.int(0, 4); s > 0; s--) {
          const body = random.bytes(random.int(1, 3000))
          if (random.int(0, 1) === 0) {
            wire.push(LengthPrefixed.encodeSegment(body))
          } else {
            const streamed = LengthPrefixed.encodeStreamSegment(body.length, Stream.fromIterable(random.chunk(body, 500)))
            wire.push(concatBytes(yield* Stream.runCollect(streamed)))
          }
          expected.push(segment(body))
        }
        wire.push(LengthPrefixed.endOfMessage)
        expected.push(end)
      }
      const input = concatBytes(wire)
      const seen = yield* decodeAll(random.chunk(input, random.int(1, 64)))
      assert.deepStrictEqual(seen, expected)
    }))

  it.effect("a zero length ends a message; the end of input between messages is clean", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(Array.from(LengthPrefixed.endOfMessage), [0, 0, 0, 0])
      const input = new Uint8Array([0, 0, 0, 2, 0x7b, 0x7d, 0, 0, 0, 0, 0, 0, 0, 0])
      assert.deepStrictEqual(yield* decodeAll([input]), [segment(new Uint8Array([0x7b, 0x7d])), end, end])
      assert.deepStrictEqual(yield* decodeAll([]), [])
    }))

  it.effect("fails TooLarge on the prefix alone, before the body arrives", () =>
    Effect.gen(function*() {
      const error = yield* Stream.concat(Stream.make(new Uint8Array([0, 0, 0x10, 0x01])), Stream.never).pipe(
        Stream.pipeThroughChannel(LengthPrefixed.decode({ maxSegmentSize: 4096 })),
        Stream.runDrain,
        Effect.flip
      )
      assert.strictEqual(error.kind, "TooLarge")
      const atLimit = LengthPrefixed.encodeSegment(new Uint8Array(4096))
      assert.strictEqual((yield* decodeAll([atLimit, LengthPrefixed.endOfMessage], 4096)).length, 2)
      const defaultLimit = new Uint8Array([0, 0x10, 0, 1]) // 1 MiB + 1
      assert.strictEqual((yield* decodeAll([defaultLimit]).pipe(Effect.flip)).kind, "TooLarge")
    }))

  it.effect("fails Truncated when the input ends inside a message", () =>
    Effect.gen(function*() {
      const message = concatBytes([LengthPrefixed.encodeSegment(new Uint8Array([1, 2, 3])), LengthPrefixed.endOfMessage])
      for (const cut of [1, 3, 4, 6, 7, 9]) {
        const error = yield* decodeAll([message.subarray(0, cut)]).pipe(Effect.flip)
        assert.strictEqual(error.kind, "Truncated", `cut at ${cut}`)
      }
    }))

  it.effect("keeps failing once it failed", () =>
    Effect.scoped(Effect.gen(function*() {
      const pull = yield* Stream.toPull(decoded([new Uint8Array([0xff, 0, 0, 0]), LengthPrefixed.endOfMessage]))
      const first = yield* Effect.flip(pull)
      assert.strictEqual(yield* Effect.flip(pull), first)
    })))

  it.effect("a streamed segment must hold exactly its announced size", () =>
    Effect.gen(function*() {
      const longer = yield* Stream.runCollect(LengthPrefixed.encodeStreamSegment(2, Stream.make(new Uint8Array(3)))).pipe(Effect.flip)
      assert.strictEqual(longer._tag === "LengthPrefixedError" && longer.kind, "TooLarge")
      const shorter = yield* Stream.runCollect(LengthPrefixed.encodeStreamSegment(2, Stream.make(new Uint8Array(1)))).pipe(Effect.flip)
      assert.strictEqual(shorter._tag === "LengthPrefixedError" && shorter.kind, "Truncated")
    }))

  it("refuses to encode an empty segment, which would read as the end of the message", () => {
    assert.throws(() => LengthPrefixed.encodeSegment(new Uint8Array(0)), RangeError)
    assert.throws(() => LengthPrefixed.encodeStreamSegment(0, Stream.empty), RangeError)
  })
})
