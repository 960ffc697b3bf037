/**
 * Writes of one large size from chunks of any size: what the embedded store does with an upload and the client with
 * a download, so that a file is written in a few hundred calls, not thousands.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"

/**
 * @category constants
 * @since 0.1.0
 */
export const WRITE_SIZE = 1024 * 1024

/**
 * Gathers chunks (as they come off a socket: tens of KiB) into writes of 1 MiB, copied into one of two buffers that
 * are reused for every write, so a large file costs a few hundred write calls and no allocation per write. While
 * one buffer is being written (a file write runs on the thread pool), the next one fills: the disk and whatever
 * produces the chunks (a socket) work at the same time. Chunks are copied as they arrive: a caller may reuse its
 * buffer once the stream has moved on. Call `flush` after the last chunk: it writes the rest and waits for every
 * write.
 *
 * @category models
 * @since 0.1.0
 */
export class WriteBatches<E> {
  private readonly buffers = [new Uint8Array(WRITE_SIZE), new Uint8Array(WRITE_SIZE)] as const
  private current = 0
  private filled = 0
  /** the write of the other buffer, while it runs */
  private writing: Fiber.Fiber<void, E> | undefined
  private readonly write: (bytes: Uint8Array) => Effect.Effect<void, E>

  constructor(write: (bytes: Uint8Array) => Effect.Effect<void, E>) {
    this.write = write
  }

  readonly add = (chunks: ReadonlyArray<Uint8Array>): Effect.Effect<void, E> =>
    Effect.suspend(() => this.copy(chunks, 0, 0))

  /** writes what is buffered, and waits for every write */
  readonly flush: Effect.Effect<void, E> = Effect.suspend(() => {
    const rest = this.buffers[this.current].subarray(0, this.filled)
    this.filled = 0
    return Effect.andThen(this.settle, rest.length === 0 ? Effect.void : this.write(rest))
  })

  /** waits for the write in flight, if any */
  private readonly settle: Effect.Effect<void, E> = Effect.suspend(() => {
    const writing = this.writing
    this.writing = undefined
    return writing === undefined ? Effect.void : Fiber.join(writing)
  })

  /** the full current buffer goes to be written in the background, and the other one (once written) fills next */
  private readonly rotate: Effect.Effect<void, E> = Effect.andThen(this.settle, () =>
    Effect.map(Effect.forkChild(this.write(this.buffers[this.current])), (fiber) => {
      this.writing = fiber
      this.current = 1 - this.current
      this.filled = 0
    }))

  /** copies `chunks` from chunk `index`, byte `offset` on, handing each full buffer to `rotate` */
  private copy(chunks: ReadonlyArray<Uint8Array>, index: number, offset: number): Effect.Effect<void, E> {
    const buffer = this.buffers[this.current]
    while (index < chunks.length) {
      const chunk = chunks[index]!
      const n = Math.min(buffer.length - this.filled, chunk.length - offset)
      buffer.set(n === chunk.length ? chunk : chunk.subarray(offset, offset + n), this.filled)
      this.filled += n
      offset += n
      if (offset === chunk.length) {
        index++
        offset = 0
      }
      if (this.filled === buffer.length) {
        const [i, o] = [index, offset]
        return Effect.flatMap(this.rotate, () => this.copy(chunks, i, o))
      }
    }
    return Effect.void
  }
}
