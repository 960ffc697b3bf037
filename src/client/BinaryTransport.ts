/**
 * The client's binary envelope transport (PROTOCOL.md §1).
 *
 * One connection is opened on first use and reused by every later call, one call at a time: the binary framing
 * answers strictly in order and its answers carry no request id. An error answer (an error envelope) is read to its
 * end and leaves the connection open; any other failure (a timeout, broken framing, a failed upload, an element
 * stream given up before its end) closes it, and the next call opens a fresh one. Between calls the idle connection
 * is watched, so that one the server closed is never sent on. Calls whose connection broke are made again as
 * `Reconnect.ts` says.
 *
 * `retrieveComponent` holds the connection until the element's content has been read to its end; when the
 * caller's scope closes first, the connection (its position in the framing now unknown) is closed.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Result from "effect/Result"
import * as Semaphore from "effect/Semaphore"
import * as Socket from "effect/socket/Socket"
import * as Stream from "effect/Stream"
import * as Envelope from "../protocol/binary/Codec.ts"
import { OperationCode } from "../protocol/OperationCodes.ts"
import {
  type ClientError,
  closedBeforeAnswer,
  ConnectionError,
  fromServer,
  fromSocketError,
  InvalidRequestError,
  type NotFoundError,
  ProtocolError,
  type ServerError
} from "./ClientError.ts"
import * as Reconnect from "./Reconnect.ts"
import type { Answer, CallRequest, ClientOptions, ReceivedComponent, RetrievedComponent, Transport } from "./Transport.ts"
import {
  answerBudget,
  callTimeout,
  type Connection,
  maxAnswerSize,
  openDecoding,
  reusable,
  tooLarge,
  withTimeout
} from "./internal/connection.ts"
import { asRecord, binaryOperation, credentialFields, sizedStream } from "./internal/requests.ts"

/**
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(options: ClientOptions) {
  const lock = yield* Semaphore.make(1)
  const timeout = callTimeout(options)
  const limit = maxAnswerSize(options)
  const credentials = credentialFields(options.credentials)
  const tls = options.tls !== undefined && options.tls !== false
  const connections = yield* reusable(
    Effect.map(
      openDecoding(options, {
        make: () => Envelope.makeDecoder({ maxJsonBlockSize: limit }),
        isError: Envelope.isEnvelopeError,
        bind: (part, content): Part => part._tag === "Component" ? { ...part, content: content() } : part
      }, toClientError(limit)),
      (conn): Idle => ({ ...conn, watcher: undefined, broken: false })
    ),
    (conn) => !conn.broken
  )
  const policy = Reconnect.policy(options.reconnect, connections.hasAnswered)

  /**
   * Between calls a watcher reads the idle connection: the server closing it (a restart, its idle timeout) is seen
   * at once, so the next call opens a fresh connection instead of sending on a dead one. Anything the watcher reads
   * (an end, an error, bytes nobody asked for) ends the connection.
   */
  const watch = (conn: Idle) =>
    Effect.suspend(() => {
      if (conn.broken || conn.watcher !== undefined) return Effect.void
      return conn.next.pipe(
        Effect.exit,
        Effect.andThen(Effect.suspend(() => {
          conn.broken = true
          // closing the connection's scope from a fiber forked in it would wait for itself
          return Effect.asVoid(Effect.forkDetach(connections.close(conn)))
        })),
        Effect.forkIn(conn.scope),
        Effect.map((fiber) => {
          conn.watcher = fiber
        })
      )
    })

  /** the connection for the next call, its watcher stopped; one the watcher found ended is replaced */
  const acquire: Effect.Effect<Idle, ClientError> = Effect.gen(function*() {
    for (;;) {
      const conn = yield* connections.get
      const watcher = conn.watcher
      conn.watcher = undefined
      if (watcher !== undefined) yield* Fiber.interrupt(watcher)
      if (!conn.broken) return conn
      yield* connections.close(conn)
    }
  })

  /** sends a request and reads the whole answer (component contents into memory) */
  const exchange = <E>(message: Envelope.Message<E>, progress: Reconnect.Attempt): Effect.Effect<Answer, ClientError | E> =>
    lock.withPermit(withTimeout(
      timeout,
      Effect.flatMap(acquire, (conn) => {
        progress.connected = true
        return send(conn, message, progress).pipe(
          Effect.andThen(readHead(conn, message, tls, limit)),
          Effect.tap(() => Effect.sync(connections.answered)),
          Effect.flatMap((refused) =>
            refused === undefined
              ? Effect.map(readWhole(conn, limit), (answer): Result.Result<Answer, Refusal> => Result.succeed(answer))
              : Effect.succeed(Result.fail(refused))
          ),
          // anything but a whole answer (or refusal) leaves the connection closed
          Effect.onExit((exit) => (Exit.isSuccess(exit) ? watch(conn) : connections.close(conn)))
        )
      })
    )).pipe(Effect.flatMap(Effect.fromResult))

  const call = <E = never>(request: CallRequest<E>): Effect.Effect<Answer, ClientError | E> =>
    Effect.suspend(() => {
      const input = asRecord(request.input)
      if (request.input !== undefined && input === undefined) {
        return Effect.fail(new InvalidRequestError({
          message: "the binary envelope has no input: it carries only a JSON object input, as metadata keys"
        }))
      }
      const { code, name } = binaryOperation(request.operation)
      const first = {
        ...(name === undefined ? {} : { operation: name }),
        ...request.attributes,
        ...input,
        ...(request.authenticate === false ? {} : credentials)
      }
      const message: Envelope.Message<E> = {
        msgType: Envelope.MessageType.Request,
        operation: code,
        objectId: request.targetId ?? "",
        metadata: [first, ...(request.metadata ?? [])],
        components: (request.elements ?? []).map((element) => {
          const { size, stream } = sizedStream(element.content)
          return { componentId: element.id, mediaType: element.mediaType ?? "", size, content: stream }
        }),
        workflow: request.workflow
      }
      return Reconnect.retrying(
        policy,
        { operation: request.operation, objectId: request.targetId },
        (progress) => exchange(message, progress)
      )
    })

  /** one attempt of a retrieve of an element: its answer up to the element's first byte */
  const retrieveOnce = (
    objectId: string,
    componentId: string,
    progress: Reconnect.Attempt,
    asked: Readonly<Record<string, unknown>> | undefined
  ) =>
    Effect.suspend(() => {
      let conn: Idle | undefined
      let taken = false
      let finished = false
      const release = Effect.suspend(() => {
        if (!taken) return Effect.void
        taken = false
        return Effect.asVoid(Semaphore.release(lock, 1))
      })
      // the connection (its framing unknown unless the answer was read to its end) is closed, then the permit goes back
      const settle = Effect.suspend(() => {
        const unfinished = finished ? undefined : conn
        conn = undefined
        return Effect.andThen(unfinished === undefined ? Effect.void : connections.close(unfinished), release)
      })
      const done = (on: Idle) =>
        Effect.suspend(() => {
          finished = true
          return Effect.andThen(watch(on), release)
        })
      return Effect.gen(function*() {
        // the permit goes back as soon as the content was read to its end; when the caller's scope closes first, the
        // connection is closed and then the permit goes back
        yield* Effect.addFinalizer(() => settle)
        yield* Effect.uninterruptibleMask((restore) =>
          Effect.map(restore(Semaphore.take(lock, 1)), () => {
            taken = true
          })
        )
        const on = conn = yield* withTimeout(timeout, acquire)
        progress.connected = true
        const message: Envelope.Message = {
          msgType: Envelope.MessageType.Request,
          operation: OperationCode.retrieve,
          objectId,
          metadata: [{ ...asked, operation: "retrieve", element: componentId }]
        }
        const refused = yield* withTimeout(timeout, Effect.andThen(send(on, message, progress), readHead(on, message, tls, limit)))
        connections.answered()
        if (refused !== undefined) {
          // an error answer, read to its end: the connection stays usable
          yield* done(on)
          return yield* refused
        }
        const part = yield* withTimeout(timeout, on.next)
        if (part?._tag !== "Component") {
          return yield* new ProtocolError({ message: `expected a component in the answer, got ${part?._tag ?? "nothing"}` })
        }
        const content = part.content.pipe(
          Stream.mapError(toClientError(limit)),
          Stream.concat(Stream.fromEffectDrain(Effect.andThen(readWhole(on, limit), done(on)))), // the rest of the answer
          Stream.onError(() => settle)
        )
        return { componentId: part.componentId, mediaType: part.mediaType, size: part.size, content } satisfies RetrievedComponent
      }).pipe(Effect.onError(() => settle))
    })

  const retrieveComponent = (objectId: string, componentId: string, asked?: Readonly<Record<string, unknown>>) =>
    Reconnect.retryingElement(policy, objectId, (progress) => retrieveOnce(objectId, componentId, progress, asked))

  return { protocol: "binary", connectionState: connections.state, call, retrieveComponent } satisfies Transport
})

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

type Part = Envelope.Part<Socket.SocketError>

/** a connection, and what reads it between calls */
interface Idle extends Connection<Part> {
  watcher: Fiber.Fiber<void> | undefined
  /** the server ended it (or said something unasked) while it was idle */
  broken: boolean
}

/** an error answer, read to its end */
type Refusal = NotFoundError | ServerError

const toClientError = (limit: number) => (error: Envelope.EnvelopeError | Socket.SocketError | ClientError): ClientError => {
  if (Envelope.isEnvelopeError(error)) {
    return error.kind === "TooLarge"
      ? tooLarge(limit, `the answer is too large: ${error.message}`)
      : error.kind === "Truncated"
      ? new ConnectionError({ message: "the server closed the connection mid-answer" })
      : new ProtocolError({ message: `bad answer from the server: ${error.message}` })
  }
  if (Socket.isSocketError(error)) return fromSocketError(error)
  return error
}

/** writes a request; a failure of the caller's own content stream (`E`) passes through as it is */
const send = <E>(
  conn: Connection<Part>,
  message: Envelope.Message<E>,
  progress: Reconnect.Attempt
): Effect.Effect<void, ClientError | E> =>
  Envelope.encode(message).pipe(
    Stream.runForEachArray((chunks) => {
      progress.sent = true
      return conn.writer.writeAll(chunks)
    }),
    Effect.mapError((error) =>
      Envelope.isEnvelopeError(error)
        ? new InvalidRequestError({ message: `the request cannot be sent: ${error.message}` })
        : Socket.isSocketError(error)
        ? fromSocketError(error)
        : error as E
    )
  )

/** the connections that have had an answer: a close before the first one may mean a TLS server (`closedBeforeAnswer`) */
const answered = new WeakSet<Connection<Part>>()

/**
 * Reads the answer's header. An error envelope is read to its end and returned as the error it carries (the
 * connection stays usable); anything unexpected fails.
 */
const readHead = (
  conn: Connection<Part>,
  request: Envelope.Message<unknown>,
  tls: boolean,
  limit: number
): Effect.Effect<Refusal | undefined, ClientError> =>
  Effect.gen(function*() {
    const part = yield* conn.next
    if (part === undefined) {
      return yield* (answered.has(conn) ? new ConnectionError({ message: "the server closed the connection" }) : closedBeforeAnswer(tls))
    }
    answered.add(conn)
    if (part._tag !== "Head") return yield* new ProtocolError({ message: `answer began with ${part._tag}` })
    if (part.header.msgType === Envelope.MessageType.Error) {
      const answer = yield* readWhole(conn, limit)
      const body = answer.metadata[0] ?? {}
      const error = typeof body["error"] === "string" ? body["error"] : "Error"
      const message = typeof body["message"] === "string" ? body["message"] : "the server answered with an error"
      return fromServer(error, message)
    }
    if (part.header.msgType !== Envelope.MessageType.Response) {
      return yield* new ProtocolError({ message: `answer has msgType 0x${part.header.msgType.toString(16)}` })
    }
    // an operation asked for by name alone (code 0) is answered with its own code
    if (part.header.operation !== request.operation && request.operation !== 0) {
      return yield* new ProtocolError({
        message: `answer is for operation 0x${part.header.operation.toString(16)}, not 0x${request.operation.toString(16)}`
      })
    }
    return undefined
  })

/** reads the rest of an answer, up to its end, holding at most `limit` bytes of it */
const readWhole = (conn: Connection<Part>, limit: number): Effect.Effect<Answer, ClientError> =>
  Effect.gen(function*() {
    const metadata: Array<Record<string, unknown>> = []
    const workflow: Array<Record<string, unknown>> = []
    const components: Array<ReceivedComponent> = []
    const budget = answerBudget(limit)
    for (;;) {
      const part = yield* conn.next
      if (part === undefined) return yield* new ConnectionError({ message: "the server closed the connection mid-answer" })
      switch (part._tag) {
        case "End":
          return { output: metadata[0], metadata, components, workflow, attributes: {} }
        case "Metadata":
        case "Workflow": {
          yield* budget.take(part.body.length)
          const parsed = Envelope.parseJsonObject(part.body)
          if (typeof parsed === "string") return yield* new ProtocolError({ message: `answer's ${parsed}` })
          ;(part._tag === "Metadata" ? metadata : workflow).push(parsed)
          break
        }
        case "Component": {
          const content = yield* budget.collect(Stream.mapError(part.content, toClientError(limit)))
          components.push({ componentId: part.componentId, mediaType: part.mediaType, content })
          break
        }
        case "Head":
          return yield* new ProtocolError({ message: "a new answer began inside an answer" })
      }
    }
  })
