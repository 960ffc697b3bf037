/**
 * Component content on its way out, for every framing.
 *
 * **Opened before it is announced.** A success head promises the client the content that follows it (the binary
 * envelope's payload length, DOIP v2.0's `Status.001` and `@`); once it is sent, a failure can only cut the answer
 * and close the connection. So a framing hands its answer to {@link whenReadable} first: the first component that
 * needs opening is opened (a file, a storage's `GET` that answered) and its first piece read before the framing
 * queues a byte of the answer; later ones open in their turn. A failure there is a `DoipError` the framing answers instead (a storage that is
 * down is `Unavailable`, a component deleted since its stat is `NotFound`), and the connection stays usable. Content
 * in memory already (`OutgoingComponent.bytes`) needs no opening: such answers take no scope and no effect here.
 *
 * **Then written.** Each piece is framed (the binary envelope sends it as is, DOIP v2.0 adds chunk size lines) and
 * written in one call behind what the connection has queued, and the socket is awaited before more is read: memory
 * holds a piece or two, not the component. A component that can be opened (`OutgoingComponent.open`: the embedded
 * store's files, lakeFS's answers) is read in 1 MiB pieces into buffers that are reused from one piece, and one
 * response, to the next, and the next piece is read while the current one is written, as a bare `node:net` server
 * would do it. Fresh buffers per piece would cost an allocation, page faults and garbage collection for every MiB
 * sent. Other content streams through as its source chunks it.
 *
 * The announced size is a promise to the client: content that runs longer or shorter breaks the answer, and so does
 * content that fails after the head went out. All three fail with `ResponseFailed`, and the loop closes the
 * connection, since the client can no longer find the next message.
 *
 * @since 0.1.0
 */
import type * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Pull from "effect/Pull"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { DoipError } from "../../protocol/DoipError.ts"
import type { ContentReader, OutgoingComponent } from "../../protocol/DoipMessage.ts"
import { type ConnectionError, type Output, ResponseFailed } from "../Listener.ts"

/**
 * What the writers need of a component.
 *
 * @category models
 * @since 0.1.0
 */
export type Component = Pick<OutgoingComponent, "componentId" | "size" | "content" | "open" | "bytes">

/**
 * A component's content, open and proven readable, waiting for its answer to be announced: a reader (with the first
 * piece already read, for the answer's first opened component), or a stream with its first chunks.
 *
 * @category models
 * @since 0.1.0
 */
export type OpenContent =
  | {
    readonly _tag: "Reader"
    readonly reader: ContentReader
    /** the buffer the first piece was read into, and how much of it holds content; none for a later component */
    readonly first: { readonly buffer: Uint8Array; readonly length: number } | undefined
  }
  | {
    readonly _tag: "Stream"
    readonly pull: Pull.Pull<Arr.NonEmptyReadonlyArray<Uint8Array>, DoipError>
    readonly first: Arr.NonEmptyReadonlyArray<Uint8Array>
  }

/**
 * The open content of an answer's components, by index; `undefined` where a component needs no opening (empty, or in
 * memory) or is opened when its turn comes (every one after the first that needs opening).
 *
 * @category models
 * @since 0.1.0
 */
export type Opened = ReadonlyArray<OpenContent | undefined>

/**
 * Opens the first of `components` whose content needs opening and reads its first piece, then runs `write` (which
 * announces the answer and streams it) in a scope that closes the content afterwards. When it cannot be opened, or is
 * no longer the size its stat announced, `refuse` gets the error instead and nothing of the answer is written.
 *
 * **Details**
 *
 * The first component goes out right behind the head, so proving it readable proves the answer's start. Later ones
 * (an `includeElementData` answer, an invoke's derived components) are opened when their turn comes, one at a time:
 * opening all of them ahead would hold a file handle or a lakeFS response per element for the whole answer, and an
 * object with many elements would spend them by the thousand. A later one that fails cuts the answer, as content
 * that fails part-way always does.
 *
 * @category combinators
 * @since 0.1.0
 */
export const whenReadable = <E>(
  components: ReadonlyArray<Component>,
  refuse: (error: DoipError) => void,
  write: (opened: Opened) => Effect.Effect<void, E>
): Effect.Effect<void, E> => {
  const first = firstToOpen(components)
  if (first === components.length) return write(nothingOpened)
  return Effect.scoped(Effect.matchEffect(openFirst(components, first), {
    onFailure: (error) => Effect.sync(() => refuse(error)),
    onSuccess: write
  }))
}

/**
 * Whether any of `components` needs opening. When none does (no component, or only ones in memory: the hot path),
 * a framing writes its answer at once with {@link nothingOpened}, and builds no closure for `whenReadable`.
 *
 * @category combinators
 * @since 0.1.0
 */
export const anyToOpen = (components: ReadonlyArray<Component>): boolean => firstToOpen(components) < components.length

/**
 * The `Opened` of an answer whose components need no opening.
 *
 * @category constants
 * @since 0.1.0
 */
export const nothingOpened: Opened = []

/**
 * Writes a component's content: `opened` by {@link whenReadable} (the first that needs opening), or opened now, in a
 * scope of its own that closes as soon as it is written (the later ones), or as it is (in memory).
 *
 * @category encoding
 * @since 0.1.0
 */
export const streamContent = (
  output: Output,
  component: Component,
  opened: OpenContent | undefined,
  frame: (chunks: Arr.NonEmptyReadonlyArray<Uint8Array>) => Arr.NonEmptyReadonlyArray<Uint8Array>
): Effect.Effect<void, ConnectionError<never>> => {
  if (component.size === 0) return Effect.void
  if (component.bytes !== undefined) return fromBytes(output, component, component.bytes, frame)
  if (opened === undefined) {
    return Effect.scoped(Effect.flatMap(
      Effect.mapError(open(component, false), failed(component)),
      (now) => fromOpened(output, component, now, frame)
    ))
  }
  return fromOpened(output, component, opened, frame)
}

const fromOpened = (
  output: Output,
  component: Component,
  opened: OpenContent,
  frame: (chunks: Arr.NonEmptyReadonlyArray<Uint8Array>) => Arr.NonEmptyReadonlyArray<Uint8Array>
): Effect.Effect<void, ConnectionError<never>> =>
  opened._tag === "Reader"
    ? fromReader(output, component, opened.reader, opened.first, frame)
    : fromStream(output, component, opened.pull, opened.first, frame)

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

const needsOpening = (component: Component) => component.size > 0 && component.bytes === undefined

const firstToOpen = (components: ReadonlyArray<Component>): number => {
  let i = 0
  while (i < components.length && !needsOpening(components[i]!)) i++
  return i
}

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

/** opens component `first` and reads its first piece; the later ones are opened by `streamContent` in their turn */
const openFirst = (components: ReadonlyArray<Component>, first: number): Effect.Effect<Opened, DoipError, Scope.Scope> =>
  Effect.map(open(components[first]!, true), (content) => {
    const opened: Array<OpenContent | undefined> = new Array(components.length)
    opened[first] = content
    return opened
  })

const open = (component: Component, readFirst: boolean): Effect.Effect<OpenContent, DoipError, Scope.Scope> =>
  component.open === undefined ? openStream(component) : Effect.gen(function*() {
    const reader = yield* component.open!
    // the component changed between the stat that sized the answer and the open (a commit in between)
    if (reader.size !== component.size) return yield* changed(component, reader.size)
    if (!readFirst) return { _tag: "Reader", reader, first: undefined } as const
    const buffer = takeBuffer(component.size)
    const length = yield* reader.read(buffer.length > component.size ? buffer.subarray(0, component.size) : buffer)
    if (length === 0) return yield* changed(component, 0)
    return { _tag: "Reader", reader, first: { buffer, length } } as const
  })

/** a stream proves itself by its first chunks: pulled before the answer is announced */
const openStream = (component: Component): Effect.Effect<OpenContent, DoipError, Scope.Scope> =>
  Effect.flatMap(Stream.toPull(component.content), (pull) =>
    pull.pipe(
      Pull.catchDone(() => changed(component, 0)),
      Effect.map((first) => ({ _tag: "Stream", pull, first }) as const)
    ))

const changed = (component: Pick<OutgoingComponent, "componentId" | "size">, found: number) =>
  Effect.fail(
    new DoipError({
      kind: "Unavailable",
      message: `component ${JSON.stringify(component.componentId)} changed while it was retrieved ` +
        `(${component.size} bytes announced, ${found} found); try again`
    })
  )

const mismatch = (component: Pick<OutgoingComponent, "componentId" | "size">, seen: number) =>
  new ResponseFailed({
    componentId: component.componentId,
    reason: `component ${JSON.stringify(component.componentId)} announced ${component.size} bytes but its content had ${seen}`
  })

const failed = (component: Pick<OutgoingComponent, "componentId">) => (error: DoipError) =>
  new ResponseFailed({ componentId: component.componentId, reason: error.message })

/**
 * Reads piece n + 1 while piece n is written. A buffer goes back to the pool only after a write of a whole 1 MiB
 * piece, which always waits for the socket to drain (it is larger than any write buffer's high-water mark), so no
 * write still refers to it; the last, partial piece's buffer is left to the collector.
 */
const fromReader = (
  output: Output,
  component: Pick<OutgoingComponent, "componentId" | "size">,
  reader: ContentReader,
  first: { readonly buffer: Uint8Array; readonly length: number } | undefined,
  frame: (chunks: Arr.NonEmptyReadonlyArray<Uint8Array>) => Arr.NonEmptyReadonlyArray<Uint8Array>
): Effect.Effect<void, ConnectionError<never>> => {
  const read = (buffer: Uint8Array, remaining: number) =>
    Effect.mapError(reader.read(remaining < buffer.length ? buffer.subarray(0, remaining) : buffer), failed(component))
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
  if (first !== undefined) return loop(first.buffer, first.length)
  return Effect.suspend(() => {
    const buffer = takeBuffer(component.size)
    return Effect.flatMap(read(buffer, component.size), (n) => loop(buffer, n))
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

/** the first chunks, then the rest of the stream, each batch written as it comes; the end must come at `size` */
const fromStream = (
  output: Output,
  component: Pick<OutgoingComponent, "componentId" | "size">,
  pull: Pull.Pull<Arr.NonEmptyReadonlyArray<Uint8Array>, DoipError>,
  first: Arr.NonEmptyReadonlyArray<Uint8Array>,
  frame: (chunks: Arr.NonEmptyReadonlyArray<Uint8Array>) => Arr.NonEmptyReadonlyArray<Uint8Array>
): Effect.Effect<void, ConnectionError<never>> => {
  let seen = 0
  const end = Effect.suspend(() => (seen === component.size ? Effect.void : Effect.fail(mismatch(component, seen))))
  // the end is caught on the pull alone: around the whole step, every chunk would nest one more handler
  const next: Effect.Effect<void, ConnectionError<never>> = pull.pipe(
    Pull.catchDone(() => Effect.undefined),
    Effect.mapError(failed(component)),
    Effect.flatMap((chunks) => (chunks === undefined ? end : write(chunks)))
  )
  const write = (chunks: Arr.NonEmptyReadonlyArray<Uint8Array>): Effect.Effect<void, ConnectionError<never>> => {
    for (let i = 0; i < chunks.length; i++) seen += chunks[i]!.length
    if (seen > component.size) return Effect.fail(mismatch(component, seen))
    return Effect.andThen(output.writeChunks(frame(chunks)), next)
  }
  return Effect.suspend(() => write(first))
}
