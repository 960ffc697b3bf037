/**
 * ByteQueue: reading header fields in place and taking bytes as views must give the same bytes however the input
 * was chunked.
 */
import { describe, expect, it } from "@effect/vitest"
import { ByteQueue } from "../../src/protocol/ByteQueue.ts"

/** a queue holding `bytes` split into chunks of the given lengths */
const queueOf = (bytes: ReadonlyArray<number>, lengths: ReadonlyArray<number>) => {
  const queue = new ByteQueue()
  let at = 0
  for (const length of lengths) {
    queue.push(Uint8Array.from(bytes.slice(at, at + length)))
    at += length
  }
  return queue
}

const bytes = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xff, 0xfe]

describe("ByteQueue", () => {
  it("reads bytes and big-endian numbers in place, across chunks and after a partial take", () => {
    for (const lengths of [[10], [1, 9], [3, 3, 4], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]) {
      const queue = queueOf(bytes, lengths)
      expect(bytes.map((_, i) => queue.byteAt(i))).toEqual(bytes)
      expect(queue.uint16At(1)).toBe(0x0203)
      expect(queue.uint32At(6)).toBe(0x0708fffe) // > 2^31: must not turn negative
      expect(queue.length).toBe(10) // nothing consumed
      queue.skip(2)
      expect(queue.byteAt(0)).toBe(0x03)
      expect(queue.uint32At(4)).toBe(0x0708fffe)
    }
  })

  it("take gives a view inside one chunk and a copy across chunks, the same bytes either way", () => {
    const chunk = Uint8Array.from(bytes)
    const whole = new ByteQueue()
    whole.push(chunk)
    const view = whole.take(4)
    expect([...view]).toEqual([1, 2, 3, 4])
    expect(view.buffer).toBe(chunk.buffer) // no copy
    const split = queueOf(bytes, [2, 8])
    const across = split.take(4)
    expect([...across]).toEqual([1, 2, 3, 4])
    expect(across.byteOffset).toBe(0) // a buffer of its own
    expect(across.buffer.byteLength).toBe(4)
    expect([...split.take(6)]).toEqual([5, 6, 7, 8, 0xff, 0xfe])
    expect(split.length).toBe(0)
    expect(split.take(0).length).toBe(0)
  })
})
