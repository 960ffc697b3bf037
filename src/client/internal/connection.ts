/**
 * What the client's transports share about connections: opening one (TCP or TLS, dialled before anything is
 * written), the one connection a client reuses and reopens after a failure, and the call timeout.
 *
 * @since 0.1.0
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import type * as Arr from "effect/Array"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import * as Socket from "effect/socket/Socket"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type { Machine } from "../../protocol/ByteQueue.ts"
import * as PartReader from "../../protocol/PartReader.ts"
import { pullOne } from "./pullOne.ts"
import { AnswerTooLargeError, type ClientError, ConnectionError, fromSocketError, TimeoutError } from "../ClientError.ts"
import type { ConnectionState } from "../Reconnect.ts"
import type { ClientOptions } from "../Transport.ts"

/**
 * An open connection: its scope (closing it closes the socket), its writer, and the decoded parts of what the
 * server sends, one at a time (`undefined` once the server closed the connection cleanly).
 *
 * @since 0.1.0
 */
export interface Connection<P> {
  readonly scope: Scope.Closeable
  readonly writer: Socket.Writer
  readonly next: Effect.Effect<P | undefined, ClientError>
}

/**
 * Opens a connection and runs the socket's bytes through `decode`. A refused port, a failed TLS handshake or an
 * untrusted certificate fail here, before the first write.
 *
 * @since 0.1.0
 */
export const open = <P, E>(
  options: ClientOptions,
  decode: (bytes: Stream.Stream<Uint8Array, Socket.SocketError>) => Stream.Stream<P, E>,
  toClientError: (error: E) => ClientError
): Effect.Effect<Connection<P>, ClientError> =>
  connect(options, (bytes) =>
    Effect.map(
      Stream.toPull(decode(Stream.fromPull(Effect.succeed(bytes)))),
      (pull) => Effect.mapError(pullOne(pull), toClientError)
    ))

/**
 * How to decode a connection's bytes directly, without a `Channel`: the framing's synchronous decoder, its error
 * guard, and how a part gets its content stream (parts without content are returned as they are).
 *
 * @since 0.1.0
 */
export interface Decoding<P, E> {
  readonly make: () => Machine<P, string, E>
  readonly isError: (u: unknown) => u is E
  readonly bind: (part: P, content: () => Stream.Stream<Uint8Array, E | Socket.SocketError>) => P
}

/**
 * Opens a connection whose bytes go straight into a synchronous decoder (`PartReader`): a part that is buffered
 * costs no waiting, and content streams in the socket's own batches. For a transport that reads one answer at a
 * time, from one fiber (the decoder is not shared between fibers that read at once).
 *
 * @since 0.1.0
 */
export const openDecoding = <P, E>(
  options: ClientOptions,
  decoding: Decoding<P, E>,
  toClientError: (error: E | Socket.SocketError) => ClientError
): Effect.Effect<Connection<P>, ClientError> =>
  connect(options, (bytes) =>
    Effect.sync(() => {
      const reader = PartReader.make(decoding.make(), decoding.isError, PartReader.fromSocket(bytes))
      const next = Effect.map(reader.next, (part) => part === undefined ? undefined : decoding.bind(part, reader.content))
      return Effect.mapError(next, toClientError)
    }))

/**
 * The one connection a client keeps: opened on first use (by one caller at a time, so concurrent first calls share
 * it), closed with the client's scope, and dropped by `close` (or when its scope closes, or `usable` says it broke)
 * so that the next `get` opens a fresh one. `state` follows it (`Reconnect.ts`).
 *
 * @since 0.1.0
 */
export interface Reusable<C extends { readonly scope: Scope.Closeable }> {
  /** the connection, opened when there is none (one attempt: retrying is the caller's) */
  readonly get: Effect.Effect<C, ClientError>
  /** closes `connection`; when it is the current one, the next `get` opens another */
  readonly close: (connection: C) => Effect.Effect<void>
  readonly state: Stream.Stream<ConnectionState>
  /** notes that the server answered (a call that got an answer's beginning, an error answer too) */
  readonly answered: () => void
  /** whether the server has answered this client on any connection */
  readonly hasAnswered: () => boolean
}

/**
 * @since 0.1.0
 */
export const reusable = <C extends { readonly scope: Scope.Closeable }>(
  open: Effect.Effect<C, ClientError>,
  /** whether a connection is still usable, for connections that can fail on their own */
  usable: (connection: C) => boolean = () => true
): Effect.Effect<Reusable<C>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const opening = yield* Semaphore.make(1)
    const state = yield* SubscriptionRef.make<ConnectionState>("connecting")
    let now: ConnectionState = "connecting"
    let current: C | undefined
    let closed = false
    let answered = false
    const become = (next: ConnectionState) =>
      Effect.suspend(() => {
        if (now === next || now === "closed") return Effect.void
        now = next
        return SubscriptionRef.set(state, next)
      })
    /** `connection` is gone: the next call opens another */
    const lost = (connection: C) =>
      Effect.suspend(() => {
        if (current !== connection) return Effect.void
        current = undefined
        return closed ? Effect.void : become("reconnecting")
      })
    const close = (connection: C) => Effect.andThen(lost(connection), Scope.close(connection.scope, Exit.void))
    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        closed = true
        const last = current
        current = undefined
        return Effect.andThen(last === undefined ? Effect.void : Scope.close(last.scope, Exit.void), become("closed"))
      })
    )
    const live = () => (current !== undefined && usable(current) ? current : undefined)
    const get: Effect.Effect<C, ClientError> = Effect.suspend(() => {
      const connection = live()
      return connection !== undefined ? Effect.succeed(connection) : opening.withPermit(Effect.suspend(() => {
        const connection = live()
        if (connection !== undefined) return Effect.succeed(connection)
        return Effect.andThen(
          current === undefined ? Effect.void : lost(current),
          Effect.tap(open, (opened) =>
            Effect.suspend(() => {
              if (closed) {
                return Effect.andThen(
                  Scope.close(opened.scope, Exit.void),
                  Effect.fail(new ConnectionError({ message: "the client is closed" }))
                )
              }
              current = opened
              return Effect.andThen(Scope.addFinalizer(opened.scope, lost(opened)), become("connected"))
            }))
        )
      }))
    })
    return {
      get,
      close,
      state: SubscriptionRef.changes(state).pipe(Stream.takeUntil((s) => s === "closed")),
      answered: () => {
        answered = true
      },
      hasAnswered: () => answered
    } satisfies Reusable<C>
  })

/**
 * The most bytes of one answer a client holds in memory when the options name no limit: search answers hold whole
 * objects.
 *
 * @since 0.1.0
 */
export const defaultMaxAnswerSize = 64 * 1024 * 1024

/**
 * The answer size limit of the options.
 *
 * @since 0.1.0
 */
export const maxAnswerSize = (options: ClientOptions): number => options.maxAnswerSize ?? defaultMaxAnswerSize

/**
 * Counts the bytes of an answer read whole, and fails once they pass `limit`: `take` counts bytes held, `collect`
 * reads content into one buffer, counting it as it comes.
 *
 * @since 0.1.0
 */
export const answerBudget = (limit: number) => {
  let used = 0
  const take = (bytes: number): Effect.Effect<void, AnswerTooLargeError> => {
    used += bytes
    return used <= limit ? Effect.void : Effect.fail(tooLarge(limit, `the answer holds more than ${limit} bytes`))
  }
  const collect = <E>(content: Stream.Stream<Uint8Array, E>): Effect.Effect<Uint8Array, E | AnswerTooLargeError> =>
    Effect.suspend(() => {
      const chunks: Array<Uint8Array> = []
      return content.pipe(
        Stream.runForEachArray((batch) => {
          let bytes = 0
          for (const chunk of batch) {
            chunks.push(chunk)
            bytes += chunk.length
          }
          return take(bytes)
        }),
        Effect.map(() => Buffer.concat(chunks))
      )
    })
  return { take, collect }
}

/**
 * The error of an answer past the limit.
 *
 * @since 0.1.0
 */
export const tooLarge = (limit: number, what: string): AnswerTooLargeError =>
  new AnswerTooLargeError({ limit, message: `${what}, the client's maxAnswerSize` })

/**
 * The call timeout of the options (default 30 seconds).
 *
 * @since 0.1.0
 */
export const callTimeout = (options: ClientOptions): Duration.Duration =>
  Duration.fromInputUnsafe(options.timeout ?? "30 seconds")

/**
 * Fails `effect` with a `TimeoutError` (after `onTimeout`) when it takes longer than `timeout`.
 *
 * @since 0.1.0
 */
export const withTimeout = <A, E, R>(
  timeout: Duration.Duration,
  effect: Effect.Effect<A, E, R>,
  onTimeout: Effect.Effect<void> = Effect.void
): Effect.Effect<A, E | TimeoutError, R> =>
  Effect.timeoutOrElse(effect, {
    duration: timeout,
    orElse: () =>
      Effect.andThen(onTimeout, Effect.fail(new TimeoutError({ message: `no answer within ${Duration.format(timeout)}` })))
  })

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

/**
 * What both ways of opening share: the connection's scope, the dial (acquiring the reader dials and shakes hands, so
 * a refused port or an untrusted certificate fails here at once, instead of leaving the first write waiting for a
 * reader that never comes), the writer, and closing everything when setting up the decoding fails.
 */
const connect = <P>(
  options: ClientOptions,
  decoding: (
    bytes: Effect.Effect<Arr.NonEmptyReadonlyArray<Uint8Array>, Socket.SocketError>
  ) => Effect.Effect<Connection<P>["next"], never, Scope.Scope>
): Effect.Effect<Connection<P>, ClientError> =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const opened = Effect.gen(function*() {
      const socket = yield* makeSocket(options)
      const bytes = yield* Socket.readerBytes(socket).pipe(Effect.mapError(fromSocketError))
      const writer = yield* socket.writer
      return { scope, writer, next: yield* decoding(bytes) } satisfies Connection<P>
    }).pipe(Scope.provide(scope))
    return yield* opened.pipe(Effect.onError(() => Scope.close(scope, Exit.void)))
  })

const makeSocket = (options: ClientOptions) => {
  const connectTimeout = options.connectTimeout ?? "10 seconds"
  const tls = options.tls === true ? {} : options.tls === false ? undefined : options.tls
  return tls === undefined
    ? NodeSocket.makeNet({ host: options.host, port: options.port, openTimeout: connectTimeout })
    : NodeSocket.makeTls({
      host: options.host,
      port: options.port,
      openTimeout: connectTimeout,
      ...(tls.servername !== undefined ? { servername: tls.servername } : isIp(options.host) ? {} : { servername: options.host }),
      ...(tls.ca === undefined ? {} : { ca: typeof tls.ca === "string" ? tls.ca : Buffer.from(tls.ca) }),
      rejectUnauthorized: tls.verify !== false
    })
}

const isIp = (host: string) => /^[0-9.]+$/.test(host) || host.includes(":")
