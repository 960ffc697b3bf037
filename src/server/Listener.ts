/**
 * What every listener does with its connections, whatever the framing: count them against
 * `limits.maxConnections`, and tell each handler where the listener is.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as NetAddress from "effect/net/NetAddress"
import * as Socket from "effect/socket/Socket"
import * as SocketServer from "effect/socket/SocketServer"
import type { Endpoint } from "../protocol/DoipMessage.ts"
import { ServerConfig } from "../layers/config/ServerConfig.ts"

/**
 * A response could not be written whole: the connection must close, since the client cannot find the next one.
 *
 * @since 0.1.0
 */
export class ResponseFailed extends Data.TaggedError("ResponseFailed")<{ readonly reason: string }> {}

/**
 * How a connection's request loop ends on an error: a framing error (the framing's own error class, told apart by
 * `isFramingError`) is answered once with `answer` before the connection closes; a response that failed part-way
 * and a socket error just close it.
 *
 * @since 0.1.0
 */
export const endOn = <F extends { readonly message: string }>(
  isFramingError: (u: unknown) => u is F,
  writer: Socket.Writer,
  answer: (error: F) => Uint8Array
) =>
(error: F | ResponseFailed | Socket.SocketError): Effect.Effect<void> => {
  if (isFramingError(error)) {
    return Effect.logDebug("framing error, closing the connection", error.message).pipe(
      Effect.andThen(writer.write(answer(error))),
      Effect.ignore
    )
  }
  if (Socket.isSocketError(error)) return Effect.logDebug("connection closed", error.reason._tag)
  return Effect.logWarning("a response failed part-way, closing the connection", (error as ResponseFailed).reason)
}

/**
 * Runs `handle` for every connection of the `SocketServer` in context, in the background of the current scope.
 *
 * @since 0.1.0
 */
export const serveConnections = <E, R>(
  framing: Endpoint["framing"],
  handle: (socket: Socket.Socket, endpoint: Endpoint) => Effect.Effect<void, E, R>
) =>
  Effect.gen(function*() {
    const server = yield* SocketServer.SocketServer
    const config = yield* ServerConfig
    const endpoint: Endpoint = NetAddress.isInetAddress(server.address)
      ? { framing, host: NetAddress.formatHost(server.address), port: server.address.port }
      : { framing, host: config.host, port: config.port }
    const limited = limitConnections(config.limits.maxConnections, (socket) => handle(socket, endpoint))
    const context = yield* Effect.context<R>()
    yield* Effect.forkScoped(server.run((socket) => Effect.provideContext(limited(socket), context)))
  })

const limitConnections = <E, R>(max: number, handler: (socket: Socket.Socket) => Effect.Effect<void, E, R>) => {
  let active = 0
  return (socket: Socket.Socket) =>
    Effect.suspend(() => {
      if (active >= max) {
        return Effect.logWarning(`refusing a connection: ${max} connections are open (limits.maxConnections)`)
      }
      active++
      return Effect.ensuring(handler(socket), Effect.sync(() => active--))
    })
}
