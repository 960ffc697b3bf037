/**
 * The machinery every streaming decoder of this package shares: a queue of input chunks that hands out views
 * ({@link ByteQueue}), a synchronous state machine that returns a part, asks for input or says the input ended
 * ({@link Machine}), and the one `Channel` that drives such a machine from socket bytes ({@link decodeWith}).
 *
 * The machines are synchronous on purpose: they never wait, so a decoder's behaviour cannot depend on how the input
 * is chunked, and the one place that pulls from upstream (here) can serialise part pulls and content pulls.
 *
 * @since 0.1.0
 */
import type * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Channel from "effect/Channel"
import * as Effect from "effect/Effect"
import * as Pull from "effect/Pull"
import * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import * as Stream from "effect/Stream"

/**
 * What a machine step returns when it cannot go on before more input arrives.
 *
 * @since 0.1.0
 */
export const NeedInput: unique symbol = Symbol("effect-doip/internal/NeedInput")

/**
 * One machine step: a value, `undefined` for "nothing more", or {@link NeedInput}.
 *
 * @since 0.1.0
 */
export type Step<A> = A | undefined | typeof NeedInput

const empty = new Uint8Array(0)

/**
 * A queue of input chunks that hands out views, copying only what straddles chunks.
 *
 * @since 0.1.0
 */
export class ByteQueue {
  /**
   * Chunks `head` to `tail - 1` are buffered. The array is never emptied or shrunk: a connection drains it once per
   * request, and V8 gives an emptied array's storage back, to allocate it again with the next push.
   */
  private readonly chunks: Array<Uint8Array | undefined> = []
  private head = 0
  private tail = 0
  private offset = 0
  /** bytes buffered */
  length = 0
  /** bytes ever taken out of the queue: lets a decoder measure a message without counting every take itself */
  consumed = 0

  push(chunk: Uint8Array) {
    if (chunk.length === 0) return
    this.chunks[this.tail++] = chunk
    this.length += chunk.length
  }

  /** up to `max` bytes from the head chunk, as a view */
  takeSome(max: number): Uint8Array {
    const chunk = this.chunks[this.head]!
    const available = chunk.length - this.offset
    if (max < available) {
      const out = chunk.subarray(this.offset, this.offset + max)
      this.offset += max
      this.length -= max
      this.consumed += max
      return out
    }
    const out = this.offset === 0 ? chunk : chunk.subarray(this.offset)
    this.dropHead(available)
    return out
  }

  /** drops the head chunk, of which `available` bytes were still buffered */
  private dropHead(available: number) {
    this.chunks[this.head++] = undefined
    this.length -= available
    this.consumed += available
    this.offset = 0
    if (this.head === this.tail) {
      this.head = 0
      this.tail = 0
    }
  }

  /** the rest of the head chunk, as a view, without consuming it (the queue must not be empty) */
  peekHead(): Uint8Array {
    const chunk = this.chunks[this.head]!
    return this.offset === 0 ? chunk : chunk.subarray(this.offset)
  }

  /** up to `n` bytes from the front, copied, without consuming them */
  peek(n: number): Uint8Array {
    const out = new Uint8Array(Math.min(n, this.length))
    let filled = 0
    let offset = this.offset
    for (let i = this.head; filled < out.length; i++) {
      const chunk = this.chunks[i]!
      const part = chunk.subarray(offset, Math.min(chunk.length, offset + out.length - filled))
      out.set(part, filled)
      filled += part.length
      offset = 0
    }
    return out
  }

  /** where `byte` first occurs among the first `limit` buffered bytes, or -1 (a loop over bytes: for short lines) */
  indexOf(byte: number, limit: number): number {
    let seen = 0
    let offset = this.offset
    for (let i = this.head; i < this.tail && seen < limit; i++) {
      const chunk = this.chunks[i]!
      const end = Math.min(chunk.length, offset + limit - seen)
      for (let at = offset; at < end; at++) if (chunk[at] === byte) return seen + at - offset
      seen += end - offset
      offset = 0
    }
    return -1
  }

  /**
   * The `i`-th buffered byte, without consuming it (`i < length`): lets a decoder read a header's fields where they
   * lie, with no copy and no allocation.
   */
  byteAt(i: number): number {
    let index = this.head
    let at = this.offset + i
    for (;;) {
      const chunk = this.chunks[index]!
      if (at < chunk.length) return chunk[at]!
      at -= chunk.length
      index++
    }
  }

  /** the big-endian 16-bit number at buffered offset `i`, without consuming it */
  uint16At(i: number): number {
    return (this.byteAt(i) << 8) | this.byteAt(i + 1)
  }

  /** the big-endian 32-bit number at buffered offset `i`, without consuming it */
  uint32At(i: number): number {
    return this.byteAt(i) * 0x1000000 + ((this.byteAt(i + 1) << 16) | (this.byteAt(i + 2) << 8) | this.byteAt(i + 3))
  }

  /**
   * Exactly `n` bytes: a view when they lie in the head chunk, else a copy. Input chunks are never written to, so a
   * view is as safe to keep as a copy (it keeps its chunk alive).
   */
  take(n: number): Uint8Array {
    if (n === 0) return empty
    const chunk = this.chunks[this.head]
    return chunk !== undefined && chunk.length - this.offset >= n ? this.takeSome(n) : this.takeCopy(n)
  }

  /** exactly `n` bytes, copied into a fresh buffer (safe to keep) */
  takeCopy(n: number): Uint8Array {
    const out = new Uint8Array(n)
    let filled = 0
    while (filled < n) {
      const part = this.takeSome(n - filled)
      out.set(part, filled)
      filled += part.length
    }
    return out
  }

  /** drops exactly `n` buffered bytes */
  skip(n: number) {
    while (n > 0) {
      const available = this.chunks[this.head]!.length - this.offset
      if (n < available) {
        this.offset += n
        this.length -= n
        this.consumed += n
        return
      }
      this.dropHead(available)
      n -= available
    }
  }

  /**
   * Takes views of up to `max` buffered bytes (at least one byte must be buffered): what a content stream hands out
   * in one pull.
   */
  takeViews(max: number): Arr.NonEmptyArray<Uint8Array> {
    const out: Arr.NonEmptyArray<Uint8Array> = [this.takeSome(max)]
    let taken = out[0].length
    while (taken < max && this.length > 0) {
      const chunk = this.takeSome(max - taken)
      taken += chunk.length
      out.push(chunk)
    }
    return out
  }
}

/**
 * The synchronous state machine behind a decoder. `next` returns the next part, {@link NeedInput}, or `undefined`
 * once the input ended cleanly between messages; `read` does the same for the content of the current part.
 *
 * A machine throws its typed error `E` (anything else is a defect). Once the framing is broken it stays broken:
 * {@link Machine.fail} remembers the error, `next` throws it again, and so must a subclass's `read` (by calling
 * {@link Machine.throwIfFailed} first).
 * `K` names the error kinds a subclass fails with besides `"Truncated"`, which the base class uses itself.
 *
 * @since 0.1.0
 */
export abstract class Machine<P, K extends string, E> {
  readonly queue = new ByteQueue()
  /** upstream is done: nothing more will be pushed */
  ended = false
  /** bumped whenever the decoder moves past a part: content streams remember theirs and fail once it changed */
  generation = 0
  private failed: E | undefined

  /** the next part; the previous part's content is stale from here on */
  next(): Step<P> {
    this.throwIfFailed()
    this.generation++
    return this.nextPart()
  }

  /** the step behind {@link Machine.next}, once the machine knows it has not failed */
  protected abstract nextPart(): Step<P>

  read(_generation: number): Step<Arr.NonEmptyArray<Uint8Array>> {
    return undefined
  }

  protected abstract error(kind: K | "Truncated", message: string): E

  protected throwIfFailed() {
    if (this.failed !== undefined) throw this.failed
  }

  protected needInput(): typeof NeedInput {
    if (this.ended) return this.fail("Truncated", "the connection ended inside a message")
    return NeedInput
  }

  protected fail(kind: K | "Truncated", message: string): never {
    this.failed = this.error(kind, message)
    throw this.failed
  }
}

/**
 * What every decoder is: byte chunks in, parts out, the upstream's errors and end passed through.
 *
 * @since 0.1.0
 */
export type DecodeChannel<Out, E, IE, Done> = Channel.Channel<
  Arr.NonEmptyReadonlyArray<Out>,
  E | IE,
  Done,
  Arr.NonEmptyReadonlyArray<Uint8Array>,
  IE,
  Done
>

/**
 * Drives a {@link Machine} from a channel of byte chunks. `bind` turns a machine's part into an output part, given
 * the lazy content stream of that part (parts without content ignore it).
 *
 * Part pulls and content pulls share one upstream: they are serialised by a lock, and a waiting pull only pulls
 * upstream when nobody else has since it looked. When the channel's scope closes the generation moves on, so a
 * content stream that outlives its decoder fails instead of reading from a dead queue.
 *
 * @since 0.1.0
 */
export const decodeWith = <P, E, Out, IE, Done>(
  make: () => Machine<P, string, E>,
  isError: (u: unknown) => u is E,
  bind: (part: P, content: Stream.Stream<Uint8Array, E | IE>) => Out
): DecodeChannel<Out, E, IE, Done> =>
  Channel.fromTransform((upstream, scope) =>
    Effect.suspend(() => {
      const machine = make()
      let done: { readonly value: Done } | undefined
      let pulls = 0
      const pullUpstream = upstream.pipe(
        Effect.map((chunks) => {
          pulls++
          for (const chunk of chunks) machine.queue.push(chunk)
        }),
        Pull.catchDone((value) => {
          pulls++
          done = { value: value as Done }
          machine.ended = true
          return Effect.void
        })
      )
      const lock = Semaphore.makeUnsafe(1)
      const pullInput = (seen: number) =>
        lock.withPermit(Effect.suspend(() => (pulls === seen ? pullUpstream : Effect.void)))

      const run = <A, D>(step: () => Step<A>, end: () => D): Pull.Pull<A, E | IE, D> =>
        Effect.suspend(function loop(): Pull.Pull<A, E | IE, D> {
          const seen = pulls
          let result: Step<A>
          try {
            result = step()
          } catch (error) {
            return isError(error) ? Effect.fail(error) : Effect.die(error)
          }
          if (result === NeedInput) return Effect.flatMap(pullInput(seen), loop)
          return result === undefined ? Cause.done(end()) : Effect.succeed(result)
        })

      const content = (generation: number): Stream.Stream<Uint8Array, E | IE> =>
        Stream.fromPull(Effect.succeed(run(() => machine.read(generation), () => undefined)))

      const next = run((): Step<Arr.NonEmptyReadonlyArray<Out>> => {
        const part = machine.next()
        if (part === NeedInput) return NeedInput
        if (part === undefined) return undefined
        return [bind(part, content(machine.generation))]
      }, () => done!.value)

      return Effect.as(Scope.addFinalizer(scope, Effect.sync(() => machine.generation++)), next)
    })
  )

/**
 * One buffer holding `chunks` one after the other (the chunk itself when there is only one).
 *
 * @since 0.1.0
 */
export const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  if (chunks.length === 1) return chunks[0]!
  let length = 0
  for (const chunk of chunks) length += chunk.length
  // from Node's pool of small buffers when it is small: no zero-filling, no backing store of its own
  const out = Buffer.allocUnsafe(length)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.length
  }
  return out
}

/**
 * Passes `content` through, failing with `mismatch(seen, size)` as soon as it is longer, or at its end when
 * shorter, than `size` bytes.
 *
 * @since 0.1.0
 */
export const exactly = <E, R, M>(
  size: number,
  content: Stream.Stream<Uint8Array, E, R>,
  mismatch: (seen: number) => M
): Stream.Stream<Uint8Array, E | M, R> =>
  Stream.suspend(() => {
    let seen = 0
    return content.pipe(
      Stream.mapEffect((chunk) => {
        seen += chunk.length
        return seen > size ? Effect.fail(mismatch(seen)) : Effect.succeed(chunk)
      }),
      Stream.concat(Stream.suspend(() => (seen === size ? Stream.empty : Stream.fail(mismatch(seen)))))
    )
  })
