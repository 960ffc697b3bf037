/**
 * Component content on its way out, for every framing: each piece is framed (the binary envelope sends it as is,
 * DOIP v2.0 adds chunk size lines) and written in one call behind what the connection has queued, and the socket is
 * awaited before more is read: memory holds a piece or two, not the component.
 *
 * A component that can be opened (`OutgoingComponent.open`: the embedded store's files) is read in 1 MiB pieces into
 * buffers that are reused from one piece, and one response, to the next, and the next piece is read while the
 * current one is written, as a bare `node:net` server would do it. Fresh buffers per piece would cost an allocation,
 * page faults and garbage collection for every MiB sent. A component whose bytes are in memory already
 * (`OutgoingComponent.bytes`: a small one the embedded store has read before) joins the queued answer as it is.
 * Other content streams through as its source chunks it.
 *
 * The announced size is a promise to the client (it is in a header already sent): content that runs longer or
 * shorter breaks the answer, and so does content that fails part-way. All three fail with `ResponseFailed`, and the
 * loop closes the connection, since the client can no longer find the next message.
 *
 * @since 0.1.0
 */
import type * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { ContentReader, OutgoingComponent } from "../../protocol/DoipMessage.ts"
import { type ConnectionError, type Output, ResponseFailed } from "../Listener.ts"

/**
 * @category encoding
 * @since 0.1.0
 */
export const streamContent = (
  output: Output,
  component: Pick<OutgoingComponent, "componentId" | "size" | "content" | "open" | "bytes">,
  frame: (chunks: Arr.NonEmptyReadonlyArray<Uint8Array>) => Arr.NonEmptyReadonlyArray<Uint8Array>
): Effect.Effect<void, ConnectionError<never>> => {
  if (component.size === 0) return Effect.void
  if (component.bytes !== undefined) return fromBytes(output, component, component.bytes, frame)
  return component.open === undefined
    ? fromStream(output, component, frame)
    : Effect.scoped(Effect.flatMap(
      Effect.mapError(component.open, (error) => new ResponseFailed({ reason: error.message })),
      (reader) => fromReader(output, component, reader, frame)
    ))
}

/**
 * The component's content when it can simply join the queued answer: in memory already, of the size announced, and
 * small (a larger one is written on its own by `streamContent`, not copied into the answer's write).
 *
 * @category encoding
 * @since 0.1.0
 */
export const queueable = (component: Pick<OutgoingComponent, "size" | "bytes">): Uint8Array | undefined => {
  const bytes = component.bytes
  return bytes !== undefined && bytes.length === component.size && bytes.length <= SMALL_PIECE ? bytes : undefined
}

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const PIECE = 1024 * 1024

/** a last piece up to this size is queued with the answer's other parts, to go out in one write */
const SMALL_PIECE = 64 * 1024

/**
 * Free 1 MiB buffers, shared by every connection of the process. At most `MAX_FREE` wait here; more in use at once
 * (many large retrieves in parallel) are allocated and left to the collector when they come back.
 */
const free: Array<Uint8Array> = []
const MAX_FREE = 8

const takeBuffer = (size: number): Uint8Array => {
  // small content gets a buffer of its own size, from Node's shared pool for the smallest
  if (size < PIECE) return Buffer.allocUnsafe(size)
  return free.pop() ?? Buffer.allocUnsafeSlow(PIECE)
}

const giveBack = (buffer: Uint8Array) => {
  if (buffer.length === PIECE && free.length < MAX_FREE) free.push(buffer)
}

const mismatch = (component: Pick<OutgoingComponent, "componentId" | "size">, seen: number) =>
  new ResponseFailed({
    reason: `component ${JSON.stringify(component.componentId)} announced ${component.size} bytes but its content had ${seen}`
  })

/**
 * Reads piece n + 1 while piece n is written. A buffer goes back to the pool only after a write of a whole 1 MiB
 * piece, which always waits for the socket to drain (it is larger than any write buffer's high-water mark), so no
 * write still refers to it; the last, partial piece's buffer is left to the collector.
 */
const fromReader = (
  output: Output,
  component: Pick<OutgoingComponent, "componentId" | "size">,
  reader: ContentReader,
  frame: (chunks: Arr.NonEmptyReadonlyArray<Uint8Array>) => Arr.NonEmptyReadonlyArray<Uint8Array>
): Effect.Effect<void, ConnectionError<never>> => {
  const read = (buffer: Uint8Array, remaining: number) =>
    Effect.mapError(
      reader.read(remaining < buffer.length ? buffer.subarray(0, remaining) : buffer),
      (error) => new ResponseFailed({ reason: error.message })
    )
  let seen = 0
  const loop = (buffer: Uint8Array, n: number): Effect.Effect<void, ConnectionError<never>> => {
    if (n === 0) return Effect.fail(mismatch(component, seen))
    seen += n
    const piece = n === buffer.length ? buffer : buffer.subarray(0, n)
    const remaining = component.size - seen
    if (remaining === 0) {
      if (n > SMALL_PIECE) return output.writeChunks(frame([piece]))
      // a small last piece (its buffer is never reused) waits in the queue and goes out with the rest of the answer
      for (const framed of frame([piece])) output.queue(framed)
      return output.flushIfFull
    }
    const next = takeBuffer(remaining)
    return Effect.all([output.writeChunks(frame([piece])), read(next, remaining)], { concurrency: 2 }).pipe(
      Effect.flatMap(([, m]) => {
        if (n === PIECE) giveBack(buffer)
        return loop(next, m)
      })
    )
  }
  return Effect.suspend(() => {
    // the component changed between the stat that sized the answer and the open (a commit in between)
    if (reader.size !== component.size) return Effect.fail(mismatch(component, reader.size))
    const first = takeBuffer(component.size)
    return Effect.flatMap(read(first, component.size), (n) => loop(first, n))
  })
}

/** content already in memory joins the queued answer; a large one is written at once, as a read piece would be */
const fromBytes = (
  output: Output,
  component: Pick<OutgoingComponent, "componentId" | "size">,
  bytes: Uint8Array,
  frame: (chunks: Arr.NonEmptyReadonlyArray<Uint8Array>) => Arr.NonEmptyReadonlyArray<Uint8Array>
): Effect.Effect<void, ConnectionError<never>> => {
  if (bytes.length !== component.size) return Effect.fail(mismatch(component, bytes.length))
  if (bytes.length > SMALL_PIECE) return output.writeChunks(frame([bytes]))
  for (const framed of frame([bytes])) output.queue(framed)
  return output.flushIfFull
}

const fromStream = (
  output: Output,
  component: Pick<OutgoingComponent, "componentId" | "size" | "content">,
  frame: (chunks: Arr.NonEmptyReadonlyArray<Uint8Array>) => Arr.NonEmptyReadonlyArray<Uint8Array>
): Effect.Effect<void, ConnectionError<never>> =>
  Effect.suspend(() => {
    let seen = 0
    const content = component.content.pipe(
      Stream.mapError((error) => new ResponseFailed({ reason: error.message }))
    )
    return Stream.runForEachArray(content, (chunks): Effect.Effect<void, ConnectionError<never>> => {
      for (let i = 0; i < chunks.length; i++) seen += chunks[i]!.length
      return seen > component.size ? Effect.fail(mismatch(component, seen)) : output.writeChunks(frame(chunks))
    }).pipe(
      Effect.flatMap(() => (seen === component.size ? Effect.void : Effect.fail(mismatch(component, seen))))
    )
  })
