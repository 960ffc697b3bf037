/**
 * The one request loop every listener runs, whatever the framing: read a request, run its operation, write the
 * answer, repeat, until the client closes the connection, the framing breaks, or the connection stays idle too long.
 *
 * A framing (binary envelope, DOIP v2.0 segments, the upstream length-prefixed variant; see `framings/`) is a value
 * that plugs into the loop: it decodes requests from the connection's bytes and encodes answers. The loop owns what
 * all framings share:
 *
 * - **Reading**: the socket's batches go straight into the framing's synchronous decoder (`PartReader`); a request
 *   that is already buffered is decoded without waiting on anything.
 * - **Writing**: answers are queued in an {@link Output} and written together when the loop is about to wait for
 *   input, so pipelined requests are answered with one write; component content streams after its header.
 * - **Deadlines** (`Deadlines.ts`): one timer per connection closes it when the client keeps it waiting too long,
 *   wherever it stopped (between messages, inside one, with an answer unread), or when a message trickles in.
 * - **Errors**: a handler's `DoipError` is answered and the connection stays open; a framing error is answered once
 *   and the connection closes (the position of the next message can no longer be trusted); a socket error or an
 *   answer that failed part-way closes it. Nothing a client sends can fail the listener itself.
 * - **Connections**: at most `limits.maxConnections` at once, per listener.
 * - **Peer**: the client's address, read once from the raw socket, goes with every request (`DoipRequest.peer`):
 *   `Auth` counts failed credentials per address.
 *
 * @since 0.1.0
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import type * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { identity } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as NetAddress from "effect/net/NetAddress"
import * as Socket from "effect/socket/Socket"
import * as SocketServer from "effect/socket/SocketServer"
import { DoipError } from "../protocol/DoipError.ts"
import type { DoipRequest, DoipResponse, Endpoint } from "../protocol/DoipMessage.ts"
import * as PartReader from "../protocol/PartReader.ts"
import type { Source } from "../protocol/PartReader.ts"
import { ServerConfig, type Settings } from "../layers/config/ServerConfig.ts"
import * as Deadlines from "./Deadlines.ts"
import { handlerFailure, type Operation, Operations } from "./OperationRegistry.ts"
import type { ServiceError } from "./ServiceErrors.ts"

/**
 * A response could not be written whole: the connection must close, since the client cannot find the next one.
 *
 * @category errors
 * @since 0.1.0
 */
export class ResponseFailed extends Data.TaggedError("ResponseFailed")<{
  readonly reason: string
  /** the component whose content failed, as the answer names it */
  readonly componentId?: string | undefined
}> {}

/**
 * What ends a connection's loop: the framing broke (`F`, answered before closing), an answer failed part-way, or
 * the socket failed or closed.
 *
 * @category models
 * @since 0.1.0
 */
export type ConnectionError<F> = F | ResponseFailed | Socket.SocketError

/**
 * A request read off the wire: the operation to run and its request, or the `DoipError` to answer instead (the
 * framing is intact: the rest of the message is skipped and the connection stays open).
 *
 * @category models
 * @since 0.1.0
 */
export type Incoming =
  | { readonly _tag: "Request"; readonly operation: Operation; readonly request: DoipRequest }
  | { readonly _tag: "Invalid"; readonly error: DoipError }

/**
 * One connection as a framing sees it. The loop calls `next`, runs the operation, runs `skipRest` (when there is
 * something left to skip), then `respond` or `respondError`, in that order, for every request.
 *
 * @category models
 * @since 0.1.0
 */
export interface Exchange<F> {
  /** the next request, `undefined` when the client closed the connection cleanly between messages */
  readonly next: Effect.Effect<Incoming | undefined, ConnectionError<F>>
  /** skips whatever the handler left unread of the current message; `undefined` once it was read to its end */
  readonly skipRest: Effect.Effect<void, ConnectionError<F>> | undefined
  readonly respond: (response: DoipResponse) => Effect.Effect<void, ConnectionError<F>>
  /** queues the error answer to the current request */
  readonly respondError: (error: DoipError) => void
  /** the answer to a broken framing, before the connection closes */
  readonly framingError: (error: F) => Uint8Array
  readonly isFramingError: (u: unknown) => u is F
}

/**
 * A framing: how to read requests from, and write answers to, one connection.
 *
 * @category models
 * @since 0.1.0
 */
export interface Framing {
  readonly name: Endpoint["framing"]
  readonly open: (connection: Connection) => Exchange<any>
}

/**
 * What a framing gets to work with for one connection.
 *
 * @category models
 * @since 0.1.0
 */
export interface Connection {
  readonly operations: Operations["Service"]
  readonly limits: Settings["limits"]
  readonly endpoint: Endpoint
  /** the client's address (`DoipRequest.peer`), `undefined` when the connection is no socket of ours */
  readonly peer: string | undefined
  /** the connection's bytes; pending answers are written before it waits for more */
  readonly input: Source<Socket.SocketError>
  /**
   * The connection's bytes, for a framing that watches for its client while a long-lived answer is under way (a
   * watch): the client closing the connection, or sending its next request. Neither flushes nor counts against the
   * idle timeout: the server keeps that client waiting, not the other way round. What it reads must be fed to the
   * framing's decoder, which reads on from there.
   */
  readonly inputWhileAnswering: Source<Socket.SocketError>
  readonly output: Output
}

/**
 * Answers on their way to the socket. Small parts are queued and go out in one write when the loop next waits for
 * input (or when `flush` is called); content streams through `writeChunks`, behind whatever is queued.
 *
 * @category models
 * @since 0.1.0
 */
export class Output {
  /** the first `count` entries are queued; the array is reused, not emptied (V8 would free its storage) */
  private readonly pending: Array<Uint8Array | undefined> = []
  private count = 0
  private pendingBytes = 0
  private readonly writer: Socket.Writer
  /** wraps every write, which waits on the client reading what came before (the connection's deadlines watch it) */
  private readonly watch: <E>(write: Effect.Effect<void, E>) => Effect.Effect<void, E>

  constructor(writer: Socket.Writer, watch: <E>(write: Effect.Effect<void, E>) => Effect.Effect<void, E> = identity) {
    this.writer = writer
    this.watch = watch
  }

  /** queues bytes, to be written with the next write */
  queue(bytes: Uint8Array): void {
    this.pending[this.count++] = bytes
    this.pendingBytes += bytes.length
  }

  /** writes what is queued when it passes 64 KiB: pipelined answers go out together, but not without bound */
  readonly flushIfFull: Effect.Effect<void, Socket.SocketError> = Effect.suspend(() =>
    this.pendingBytes >= FLUSH_AT ? this.flush : Effect.void
  )

  /** writes what is queued, then `chunks`, in one call */
  writeChunks(chunks: Arr.NonEmptyReadonlyArray<Uint8Array>): Effect.Effect<void, Socket.SocketError> {
    if (this.count === 0) return this.watch(this.writer.writeAll(chunks))
    return this.watch(this.writer.writeAll([this.take(), ...chunks]))
  }

  /**
   * Writes what is queued, if anything, then reads with `read`: for the loop's read, which the connection's deadlines
   * watch as a whole already (a flush its client leaves unread is waited for as a read), so the write is not wrapped
   * again on the path every request takes.
   */
  flushThenRead<A, E>(read: Effect.Effect<A, E>): Effect.Effect<A, E | Socket.SocketError> {
    return this.count === 0 ? read : Effect.andThen(this.writer.write(this.take()), read)
  }

  /** writes what is queued */
  readonly flush: Effect.Effect<void, Socket.SocketError> = Effect.suspend(() =>
    this.count === 0 ? Effect.void : this.watch(this.writer.write(this.take()))
  )

  /**
   * What is queued, in one buffer: one `write` of a few hundred bytes costs less than a `writev` of their pieces,
   * and the queue is small (it is written once it passes 64 KiB).
   */
  private take(): Uint8Array {
    const pending = this.pending
    let out: Uint8Array
    if (this.count === 1) out = pending[0]!
    else {
      // from Node's pool of small buffers when it is small: no zero-filling, no backing store of its own
      out = Buffer.allocUnsafe(this.pendingBytes)
      for (let i = 0, offset = 0; i < this.count; i++) {
        out.set(pending[i]!, offset)
        offset += pending[i]!.length
      }
    }
    for (let i = 0; i < this.count; i++) pending[i] = undefined // the answers' buffers are not kept alive here
    this.count = 0
    this.pendingBytes = 0
    return out
  }
}

/**
 * The answer of a framing that cannot carry a long-lived response (`DoipResponse.events`): the binary envelope
 * announces an answer's whole length in its header, and the upstream variant has no way to end one early.
 *
 * @category errors
 * @since 0.1.0
 */
export const eventsUnsupported = (objectId: string | undefined): DoipError =>
  new DoipError({
    kind: "UnsupportedOperation",
    message: `this operation streams its answer, which only DOIP v2.0 segments carry (here: the binary port + 1)` +
      (objectId === undefined || objectId === "" ? "" : ` (target ${JSON.stringify(objectId)})`)
  })

/**
 * Serves one connection in the framing `choose` picks from its first byte (the DOIP v2.0 port also speaks the
 * upstream variant, told apart by a first byte of `0x00`).
 *
 * @category handlers
 * @since 0.1.0
 */
export const serveConnection = Effect.fnUntraced(
  function*(socket: Socket.Socket, endpoint: Endpoint, choose: (firstByte: number) => Framing) {
    const operations = yield* Operations
    const { limits } = yield* ServerConfig
    const clock = yield* Clock.Clock
    // the listener's PortServer puts the raw socket in the connection fiber's context; an in-memory socket has none
    const peer = Option.match(yield* Effect.serviceOption(NodeSocket.NetSocket), {
      onNone: () => undefined,
      onSome: (raw) => raw.remoteAddress
    })
    const progress = Deadlines.make(clock)
    const output = new Output(yield* socket.writer, (write) => Deadlines.watchWrite(write, progress, clock))

    const loop = Effect.gen(function*() {
      // opening the reader may wait for the client's first bytes (a port in TLS auto mode reads them to choose), so
      // it runs under the idle timeout too. The reader's own pull: a TCP or TLS socket yields bytes only (PartReader
      // encodes a string, should one come).
      const read = PartReader.fromSocket((yield* socket.reader).pull)
      // pending answers go out before the loop waits for more input: a client that reads none of them is waited
      // for as one that sends nothing is
      const pullBatch = Deadlines.watchRead(Effect.suspend(() => output.flushThenRead(read)), progress, clock)
      const first = yield* pullBatch
      if (first === undefined) return
      const framing = choose(first[0]![0]!)
      let pushedBack: ReadonlyArray<Uint8Array> | undefined = first
      const orPushedBack = (source: Source<Socket.SocketError>) =>
        Effect.suspend(() => {
          if (pushedBack === undefined) return source
          const batch = pushedBack
          pushedBack = undefined
          return Effect.succeed(batch)
        })
      const exchange = framing.open({
        operations,
        limits,
        endpoint: framing.name === endpoint.framing ? endpoint : { ...endpoint, framing: framing.name },
        peer,
        input: orPushedBack(pullBatch),
        inputWhileAnswering: orPushedBack(read),
        output
      })
      const current: Current = { operation: undefined, request: undefined }
      yield* serveRequests(exchange, progress, current).pipe(
        Effect.catch((error) => closeOn(exchange, output, error, current))
      )
    })
    yield* Effect.raceFirst(loop, Deadlines.enforce(progress, limits, clock)).pipe(
      // what is still queued (the last answers before a clean close) goes out before the socket closes, unless the
      // client leaves it unread for the idle timeout (no deadline watches the connection any more)
      Effect.andThen(Effect.ignore(Effect.timeout(output.flush, Duration.seconds(limits.idleTimeoutSeconds))))
    )
  },
  Effect.scoped
)

/**
 * Runs `serveConnection` for every connection of the `SocketServer` in context, in the background of the layer's
 * scope, at most `limits.maxConnections` at once.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (
  name: Endpoint["framing"],
  choose: (firstByte: number) => Framing
): Layer.Layer<never, never, SocketServer.SocketServer | Operations | ServerConfig> =>
  Layer.effectDiscard(Effect.gen(function*() {
    const server = yield* SocketServer.SocketServer
    const config = yield* ServerConfig
    const endpoint: Endpoint = NetAddress.isInetAddress(server.address)
      ? { framing: name, host: NetAddress.formatHost(server.address), port: server.address.port }
      : { framing: name, host: config.host, port: config.port }
    const limited = limitConnections(config.limits.maxConnections, (socket) => serveConnection(socket, endpoint, choose))
    const context = yield* Effect.context<Operations | ServerConfig>()
    yield* Effect.forkScoped(server.run((socket) => Effect.provideContext(limited(socket), context)))
  }))

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

/** queued answers are written once they pass this size, even when more requests are buffered */
const FLUSH_AT = 64 * 1024

/** the request being served: what a log line about its failed answer names */
interface Current {
  operation: Operation | undefined
  request: DoipRequest | undefined
}

/**
 * Request after request until the client closes. Written as continuations built once per connection rather than as
 * a generator: this is the path every request takes, and a generator step, an `Exit` and closures per request are
 * most of what the loop itself would cost. A request that succeeds costs the loop two effects: reading it, and
 * matching its handler's outcome.
 */
const serveRequests = <F>(exchange: Exchange<F>, progress: Deadlines.Progress, current: Current) => {
  const next: Effect.Effect<void, ConnectionError<F>> = Effect.suspend(() => {
    // the message before was read to its end: the next one's deadline starts with its first bytes
    Deadlines.messageDone(progress)
    return Effect.flatMap(exchange.next, onIncoming)
  })
  const onIncoming = (incoming: Incoming | undefined): Effect.Effect<void, ConnectionError<F>> => {
    if (incoming === undefined) return Effect.void
    if (incoming._tag === "Invalid") return afterRest(incoming.error, answerError)
    // what a defect's log line, or that of an answer failing part-way, names
    current.operation = incoming.operation
    current.request = incoming.request
    return Effect.matchCauseEffect(incoming.operation.handler(incoming.request), outcome)
  }
  const answer = (response: DoipResponse) => Effect.andThen(exchange.respond(response), next)
  const answerError = (error: DoipError) => {
    exchange.respondError(error)
    return next
  }
  /** the rest of the request is skipped before it is answered */
  const afterRest = <A>(value: A, then: (value: A) => Effect.Effect<void, ConnectionError<F>>) => {
    const rest = exchange.skipRest
    return rest === undefined ? then(value) : Effect.andThen(rest, () => then(value))
  }
  const outcome = {
    onSuccess: (response: DoipResponse) => afterRest(response, answer),
    onFailure: (cause: Cause.Cause<DoipError | ServiceError>) =>
      Effect.matchCauseEffect(handlerFailure(current.operation!, cause), failure)
  }
  const failure = {
    onSuccess: (): Effect.Effect<void, ConnectionError<F>> => next, // never: a handler failure fails
    onFailure: (cause: Cause.Cause<DoipError>) => {
      const error = Cause.findError(cause)
      // anything but a DoipError (an interruption) ends the connection as it is
      return Result.isSuccess(error) ? afterRest(error.success, answerError) : Effect.failCause(cause as Cause.Cause<never>)
    }
  }
  return next
}

const closeOn = <F>(
  exchange: Exchange<F>,
  output: Output,
  error: ConnectionError<F>,
  current: Current
): Effect.Effect<void> => {
  if (exchange.isFramingError(error)) {
    output.queue(exchange.framingError(error))
    return Effect.logDebug("framing error, closing the connection", (error as { readonly message?: string }).message)
      .pipe(Effect.andThen(output.flush), Effect.ignore)
  }
  if (Socket.isSocketError(error)) return Effect.logDebug("connection closed", error.reason._tag)
  return Effect.logWarning(failedPartWay(error as ResponseFailed, current))
}

/**
 * The warning for an answer cut short: the operation, then the object and element as the client named them (an
 * operator looks them up from the client's report), the component that failed, and why.
 */
const failedPartWay = (error: ResponseFailed, current: Current): string => {
  const request = current.request
  const element = request?.attributes["element"]
  const named = [
    request === undefined ? undefined : `${request.operation} of ${JSON.stringify(request.objectId)}`,
    typeof element === "string" ? `element ${JSON.stringify(element)}` : undefined,
    error.componentId === undefined || error.componentId === element
      ? undefined
      : `component ${JSON.stringify(error.componentId)}`
  ].filter((part) => part !== undefined)
  const what = named.length === 0 ? "an answer" : `the answer to ${named.join(", ")}`
  return `${what} failed part-way, closing the connection: ${error.reason}`
}

/**
 * At most `max` connections at once. One more is closed at once (left open, it would hang its client and hold a
 * socket); the first refusal after a time below the limit is logged, not each one, which a flood would turn into a
 * flood of the log.
 */
const limitConnections = <E, R>(max: number, handler: (socket: Socket.Socket) => Effect.Effect<void, E, R>) => {
  let active = 0
  let refusing = false
  const refuse = Effect.flatMap(Effect.serviceOption(NodeSocket.NetSocket), (raw) => {
    if (Option.isSome(raw)) raw.value.destroy()
    if (refusing) return Effect.void
    refusing = true
    return Effect.logWarning(`refusing connections: ${max} are open (limits.maxConnections)`)
  })
  return (socket: Socket.Socket) =>
    Effect.suspend(() => {
      if (active >= max) return refuse
      active++
      refusing = false
      return Effect.ensuring(handler(socket), Effect.sync(() => active--))
    })
}
