/**
 * The DOIP client as an Effect service, over the binary envelope.
 *
 * One connection is opened on first use and reused by every later call, one call at a time (the binary framing
 * answers strictly in order). A call that fails half-way (timeout, broken framing, a component stream dropped before
 * its end) closes the connection, and the next call opens a fresh one.
 *
 * `retrieve(objectId, componentId)` streams the component: its `content` holds the connection until it has been read
 * to the end or the caller's scope closes.
 *
 * @since 0.1.0
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import * as Socket from "effect/socket/Socket"
import * as Stream from "effect/Stream"
import * as Envelope from "../protocol/Envelope.ts"
import { pullOne } from "../protocol/internal/pullOne.ts"
import { OperationCode } from "../protocol/Operation.ts"
import {
  type ClientError,
  ConnectionError,
  fromSocketError,
  NotFoundError,
  ProtocolError,
  ServerError,
  TimeoutError
} from "./ClientError.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface ClientOptions {
  readonly host: string
  readonly port: number
  /** `true` for TLS with the system's trusted CAs; an object to pin a CA or (for development) skip verification */
  readonly tls?: boolean | {
    /** PEM certificate(s) to trust instead of the system's */
    readonly ca?: string | Uint8Array | undefined
    /** `false` skips certificate verification (development only) */
    readonly verify?: boolean | undefined
    readonly servername?: string | undefined
  } | undefined
  /** how long one call may take until its answer starts (default 30 seconds) */
  readonly timeout?: Duration.Input | undefined
  readonly connectTimeout?: Duration.Input | undefined
  /** sent with writes: a token, or a username and password */
  readonly credentials?: {
    readonly token?: Redacted.Redacted<string> | string | undefined
    readonly username?: string | undefined
    readonly password?: Redacted.Redacted<string> | string | undefined
  } | undefined
}

/**
 * A component as retrieved: `content` streams `size` bytes from the connection.
 *
 * @category models
 * @since 0.1.0
 */
export interface RetrievedComponent {
  readonly componentId: string
  readonly mediaType: string
  readonly size: number
  readonly content: Stream.Stream<Uint8Array, ClientError>
}

/**
 * A component as received in a whole answer (invoke), its bytes in memory.
 *
 * @category models
 * @since 0.1.0
 */
export interface ReceivedComponent {
  readonly componentId: string
  readonly mediaType: string
  readonly content: Uint8Array
}

/**
 * A whole answer: its metadata blocks, components and workflow blocks.
 *
 * @category models
 * @since 0.1.0
 */
export interface Answer {
  readonly metadata: ReadonlyArray<Record<string, unknown>>
  readonly components: ReadonlyArray<ReceivedComponent>
  readonly workflow: ReadonlyArray<Record<string, unknown>>
}

/**
 * Content to upload: bytes, or a stream of exactly `size` bytes.
 *
 * @category models
 * @since 0.1.0
 */
export type Content<E = never> = Uint8Array | { readonly size: number; readonly stream: Stream.Stream<Uint8Array, E> }

/**
 * @category services
 * @since 0.1.0
 */
export class DoipClient extends Context.Service<DoipClient, {
  readonly hello: () => Effect.Effect<Record<string, unknown>, ClientError>
  readonly listOps: () => Effect.Effect<Record<string, number>, ClientError>
  readonly retrieve: {
    (objectId: string): Effect.Effect<Record<string, unknown>, ClientError>
    (objectId: string, componentId: string): Effect.Effect<RetrievedComponent, ClientError, Scope.Scope>
  }
  readonly updateComponent: <E = never>(
    objectId: string,
    componentId: string,
    content: Content<E>,
    mediaType?: string
  ) => Effect.Effect<Record<string, unknown>, ClientError | E>
  readonly invoke: (
    objectId: string,
    workflow: string,
    params?: Readonly<Record<string, unknown>>
  ) => Effect.Effect<Answer, ClientError>
  readonly purge: (objectId: string) => Effect.Effect<Record<string, unknown>, ClientError>
  /** any request: `operation` is a code, the metadata blocks are sent as given */
  readonly call: (request: {
    readonly operation: number
    readonly objectId: string
    readonly metadata?: ReadonlyArray<Record<string, unknown>> | undefined
    readonly workflow?: ReadonlyArray<Record<string, unknown>> | undefined
  }) => Effect.Effect<Answer, ClientError>
}>()("effect-doip/client/DoipClient") {}

/**
 * A client for one server. The connection closes with the scope.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(options: ClientOptions) {
  const lock = yield* Semaphore.make(1)
  const timeout = Duration.fromInputUnsafe(options.timeout ?? "30 seconds")
  let connection: Connection | undefined
  yield* Effect.addFinalizer(() => closeConnection())

  const closeConnection = () =>
    Effect.suspend(() => {
      const current = connection
      connection = undefined
      return current === undefined ? Effect.void : Scope.close(current.scope, Exit.void)
    })

  const connected: Effect.Effect<Connection, ClientError> = Effect.suspend(() =>
    connection !== undefined ? Effect.succeed(connection) : Effect.map(open(options), (opened) => {
      connection = opened
      return opened
    })
  )

  /** runs `exchange` on the connection; any failure or interruption leaves the connection closed */
  const onConnection = <A, E, R>(exchange: (connection: Connection) => Effect.Effect<A, E, R>) =>
    connected.pipe(
      Effect.flatMap(exchange),
      Effect.onExit((exit) => (Exit.isSuccess(exit) ? Effect.void : closeConnection()))
    )

  const withTimeout = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.timeoutOrElse(effect, {
      duration: timeout,
      orElse: () =>
        Effect.fail(new TimeoutError({ message: `no answer within ${Duration.format(timeout)}` }))
    })

  /** sends a request and reads the whole answer (component contents into memory) */
  const exchange = <E = never>(message: Envelope.Message<E>): Effect.Effect<Answer, ClientError | E> =>
    lock.withPermit(withTimeout(onConnection((conn) =>
      send(conn, message).pipe(Effect.andThen(readHead(conn, message)), Effect.andThen(readWhole(conn)))
    )))

  const firstMetadata = (answer: Answer) => answer.metadata[0] ?? {}

  const call: DoipClient["Service"]["call"] = (request) =>
    exchange({ msgType: Envelope.MessageType.Request, ...request })

  const credentialFields = (): Record<string, string> => {
    const c = options.credentials
    if (c === undefined) return {}
    const reveal = (v: Redacted.Redacted<string> | string) => (typeof v === "string" ? v : Redacted.value(v))
    return {
      ...(c.token === undefined ? {} : { token: reveal(c.token) }),
      ...(c.username === undefined ? {} : { username: c.username }),
      ...(c.password === undefined ? {} : { password: reveal(c.password) })
    }
  }

  const retrieveComponent = (objectId: string, componentId: string) =>
    Effect.gen(function*() {
      const scope = yield* Effect.scope
      yield* Semaphore.take(lock, 1)
      let finished = false
      let released = false
      const release = Effect.suspend(() => {
        if (released) return Effect.void
        released = true
        return Effect.asVoid(Semaphore.release(lock, 1))
      })
      // the permit goes back as soon as the content was read to its end; when the caller's scope closes first, the
      // connection (its framing now unknown) is closed and then the permit goes back
      yield* Scope.addFinalizer(
        scope,
        Effect.andThen(Effect.suspend(() => (finished ? Effect.void : closeConnection())), release)
      )
      const conn = yield* withTimeout(connected)
      const message: Envelope.Message = {
        msgType: Envelope.MessageType.Request,
        operation: OperationCode.retrieve,
        objectId,
        metadata: [{ operation: "retrieve", element: componentId }]
      }
      const part = yield* withTimeout(
        send(conn, message).pipe(Effect.andThen(readHead(conn, message)), Effect.andThen(conn.next))
      ).pipe(Effect.tapError(() => closeConnection()))
      if (part?._tag !== "Component") {
        yield* closeConnection()
        return yield* new ProtocolError({ message: `expected a component in the answer, got ${part?._tag ?? "nothing"}` })
      }
      const content = part.content.pipe(
        Stream.mapError(toClientError),
        Stream.concat(Stream.fromEffectDrain(Effect.gen(function*() {
          yield* readWhole(conn) // the rest of the answer, up to its end
          finished = true
          yield* release
        }))),
        Stream.onError(() => Effect.andThen(closeConnection(), release))
      )
      return { componentId: part.componentId, mediaType: part.mediaType, size: part.size, content } satisfies RetrievedComponent
    })

  function retrieve(objectId: string): Effect.Effect<Record<string, unknown>, ClientError>
  function retrieve(objectId: string, componentId: string): Effect.Effect<RetrievedComponent, ClientError, Scope.Scope>
  function retrieve(objectId: string, componentId?: string): Effect.Effect<any, ClientError, any> {
    return componentId === undefined
      ? Effect.map(call({ operation: OperationCode.retrieve, objectId, metadata: [{ operation: "retrieve" }] }), firstMetadata)
      : retrieveComponent(objectId, componentId)
  }

  return DoipClient.of({
    hello: () => Effect.map(call({ operation: OperationCode.hello, objectId: "", metadata: [{ operation: "hello" }] }), firstMetadata),
    listOps: () =>
      Effect.map(
        call({ operation: OperationCode.list_ops, objectId: "", metadata: [{ operation: "list_operations" }] }),
        (answer) => (firstMetadata(answer)["availableOperations"] ?? {}) as Record<string, number>
      ),
    retrieve,
    updateComponent: (objectId, componentId, content, mediaType = "application/octet-stream") => {
      const component = content instanceof Uint8Array
        ? { componentId, mediaType, size: content.length, content: Stream.succeed(content) }
        : { componentId, mediaType, size: content.size, content: content.stream }
      return Effect.map(
        exchange({
          msgType: Envelope.MessageType.Request,
          operation: OperationCode.update,
          objectId,
          metadata: [{ operation: "update", element: componentId, ...credentialFields() }],
          components: [component]
        }),
        firstMetadata
      )
    },
    invoke: (objectId, workflow, params = {}) =>
      call({
        operation: OperationCode.invoke,
        objectId,
        metadata: [{ operation: "invoke", workflow, params, ...credentialFields() }]
      }),
    purge: (objectId) =>
      Effect.map(call({ operation: OperationCode.purge, objectId, metadata: [{ operation: "purge" }] }), firstMetadata),
    call
  })
})

/**
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: ClientOptions): Layer.Layer<DoipClient> => Layer.effect(DoipClient, make(options))

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

interface Connection {
  readonly scope: Scope.Closeable
  readonly writer: Socket.Writer
  readonly next: Effect.Effect<Envelope.Part<Socket.SocketError> | undefined, ClientError>
}

const open = (options: ClientOptions): Effect.Effect<Connection, ClientError> =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const connectTimeout = options.connectTimeout ?? "10 seconds"
    const tls = options.tls === true ? {} : options.tls === false ? undefined : options.tls
    const socket = tls === undefined
      ? yield* NodeSocket.makeNet({ host: options.host, port: options.port, openTimeout: connectTimeout })
      : yield* NodeSocket.makeTls({
        host: options.host,
        port: options.port,
        openTimeout: connectTimeout,
        ...(tls.servername !== undefined ? { servername: tls.servername } : isIp(options.host) ? {} : { servername: options.host }),
        ...(tls.ca === undefined ? {} : { ca: typeof tls.ca === "string" ? tls.ca : Buffer.from(tls.ca) }),
        rejectUnauthorized: tls.verify !== false
      })
    const opened = Effect.gen(function*() {
      // acquiring the reader dials (and shakes hands): do it first, so a refused port or an untrusted certificate fails
      // here at once, instead of leaving the first write waiting for a reader that never comes
      const bytes = yield* Socket.readerBytes(socket).pipe(Effect.mapError(fromSocketError))
      const writer = yield* socket.writer
      const pull = yield* Stream.toPull(
        Stream.fromPull(Effect.succeed(bytes)).pipe(Stream.pipeThroughChannel(Envelope.decode()))
      )
      return { scope, writer, next: Effect.mapError(pullOne(pull), toClientError) } satisfies Connection
    }).pipe(Scope.provide(scope))
    return yield* opened.pipe(Effect.onError(() => Scope.close(scope, Exit.void)))
  })

const isIp = (host: string) => /^[0-9.]+$/.test(host) || host.includes(":")

const toClientError = (error: Envelope.EnvelopeError | Socket.SocketError | ClientError): ClientError => {
  if (Envelope.isEnvelopeError(error)) return new ProtocolError({ message: `bad answer from the server: ${error.message}` })
  if (Socket.isSocketError(error)) return fromSocketError(error)
  return error
}

/** writes a request; a failure of the caller's own content stream (`E`) passes through as it is */
const send = <E>(conn: Connection, message: Envelope.Message<E>): Effect.Effect<void, ClientError | E> =>
  Envelope.encode(message).pipe(
    Stream.runForEachArray((chunks) => conn.writer.writeAll(chunks)),
    Effect.mapError((error) =>
      Envelope.isEnvelopeError(error) || Socket.isSocketError(error) ? toClientError(error) : error as E
    )
  )

/** reads the answer's header; an error envelope becomes the error it carries */
const readHead = (conn: Connection, request: Envelope.Message<unknown>) =>
  Effect.gen(function*() {
    const part = yield* conn.next
    if (part === undefined) return yield* new ConnectionError({ message: "the server closed the connection" })
    if (part._tag !== "Head") return yield* new ProtocolError({ message: `answer began with ${part._tag}` })
    if (part.header.msgType === Envelope.MessageType.Error) {
      const answer = yield* readWhole(conn)
      const body = answer.metadata[0] ?? {}
      const error = typeof body["error"] === "string" ? body["error"] : "Error"
      const message = typeof body["message"] === "string" ? body["message"] : "the server answered with an error"
      return yield* (error === "NotFound" ? new NotFoundError({ message }) : new ServerError({ error, message }))
    }
    if (part.header.msgType !== Envelope.MessageType.Response) {
      return yield* new ProtocolError({ message: `answer has msgType 0x${part.header.msgType.toString(16)}` })
    }
    if (part.header.operation !== request.operation) {
      return yield* new ProtocolError({
        message: `answer is for operation 0x${part.header.operation.toString(16)}, not 0x${request.operation.toString(16)}`
      })
    }
  })

/** reads the rest of an answer, up to its end */
const readWhole = (conn: Connection): Effect.Effect<Answer, ClientError> =>
  Effect.gen(function*() {
    const metadata: Array<Record<string, unknown>> = []
    const workflow: Array<Record<string, unknown>> = []
    const components: Array<ReceivedComponent> = []
    for (;;) {
      const part = yield* conn.next
      if (part === undefined) return yield* new ConnectionError({ message: "the server closed the connection mid-answer" })
      switch (part._tag) {
        case "End":
          return { metadata, components, workflow }
        case "Metadata":
        case "Workflow": {
          const parsed = Envelope.parseJsonObject(part.body)
          if (typeof parsed === "string") return yield* new ProtocolError({ message: `answer's ${parsed}` })
          ;(part._tag === "Metadata" ? metadata : workflow).push(parsed)
          break
        }
        case "Component": {
          const chunks = yield* Stream.runCollect(part.content).pipe(Effect.mapError(toClientError))
          components.push({ componentId: part.componentId, mediaType: part.mediaType, content: Buffer.concat(chunks) })
          break
        }
        case "Head":
          return yield* new ProtocolError({ message: "a new answer began inside an answer" })
      }
    }
  })
