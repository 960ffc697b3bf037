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
import type { Machine } from "../../protocol/ByteQueue.ts"
import * as PartReader from "../../protocol/PartReader.ts"
import { pullOne } from "./pullOne.ts"
import { type ClientError, fromSocketError, TimeoutError } from "../ClientError.ts"
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
 * it), closed with the client's scope, and dropped by `close` so that the next `get` opens a fresh one.
 *
 * @since 0.1.0
 */
export interface Reusable<C extends { readonly scope: Scope.Closeable }> {
  readonly get: Effect.Effect<C, ClientError>
  /** closes `connection`; when it is the current one, the next `get` opens another */
  readonly close: (connection: C) => Effect.Effect<void>
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
    let current: C | undefined
    const close = (connection: C) =>
      Effect.suspend(() => {
        if (current === connection) current = undefined
        return Scope.close(connection.scope, Exit.void)
      })
    yield* Effect.addFinalizer(() => Effect.suspend(() => (current === undefined ? Effect.void : close(current))))
    const live = () => (current !== undefined && usable(current) ? current : undefined)
    const get: Effect.Effect<C, ClientError> = Effect.suspend(() => {
      const connection = live()
      return connection !== undefined ? Effect.succeed(connection) : opening.withPermit(Effect.suspend(() => {
        const connection = live()
        return connection !== undefined ? Effect.succeed(connection) : Effect.map(open, (opened) => {
          current = opened
          return opened
        })
      }))
    })
    return { get, close } satisfies Reusable<C>
  })

/**
 * The largest JSON segment or metadata block a client reads: search answers hold whole objects.
 *
 * @since 0.1.0
 */
export const maxAnswerJsonSize = 64 * 1024 * 1024

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
