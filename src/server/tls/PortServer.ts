/**
 * A `SocketServer` for one port in a TLS mode (see `Tls`): each connection's first byte says whether the client
 * opens with a TLS handshake (`0x16`) or with a DOIP request, and the mode says what becomes of it: TLS, plaintext,
 * or an immediate close.
 *
 * Effect's TLS server cannot do this: it hands out a socket only after a handshake, and a reader's TLS upgrade
 * loses the bytes already read. Here the first bytes are read off the TCP socket and put back (`unshift`), and
 * Node's `TLSSocket` reads what was put back before it reads the socket.
 *
 * The choice is made when the listener first reads from the connection, so the listener's idle timeout covers a
 * client that connects and says nothing, or never finishes its handshake.
 *
 * @since 0.1.0
 */
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as NetAddress from "effect/net/NetAddress"
import * as Scope from "effect/Scope"
import * as Socket from "effect/socket/Socket"
import * as SocketServer from "effect/socket/SocketServer"
import * as net from "node:net"
import type { Duplex } from "node:stream"
import * as tls from "node:tls"
import type { TlsSetup } from "./Tls.ts"

/**
 * A listening port whose connections speak what `setup` allows, closed with the scope.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(options: {
  readonly host: string
  readonly port: number
  readonly setup: TlsSetup
}) {
  const secureContext = options.setup.mode === "off"
    ? undefined
    : tls.createSecureContext({ cert: Buffer.from(options.setup.files.cert), key: Buffer.from(options.setup.files.key) })
  const open = opener(options.setup.mode, secureContext)
  const services = yield* Effect.context<never>()

  // connections that arrive before `run` wait here
  let onConnection: ((conn: net.Socket) => void) | undefined
  const waiting = new Set<net.Socket>()
  // every write is a whole answer (or a large piece of content): Nagle's algorithm could only hold it back
  const server = net.createServer({ noDelay: true }, (conn) => {
    conn.pause() // nothing is read before the listener asks for it
    // an error before the listener reads (a reset) must not be an unhandled 'error' event; the reader sees it
    conn.on("error", ignore)
    if (onConnection !== undefined) return onConnection(conn)
    waiting.add(conn)
    conn.once("close", () => waiting.delete(conn))
  })
  yield* Effect.addFinalizer(() =>
    Effect.callback<void>((resume) => {
      for (const conn of waiting) conn.destroy()
      server.close(() => resume(Effect.void))
    })
  )
  yield* Effect.callback<void, SocketServer.SocketServerError>((resume) => {
    const failed = (cause: Error) =>
      resume(Effect.fail(new SocketServer.SocketServerError({ reason: new SocketServer.SocketServerOpenError({ cause }) })))
    server.once("error", failed)
    server.listen({ host: options.host, port: options.port }, () => {
      server.off("error", failed)
      // an error of the listening server (a failed accept) must not be an unhandled 'error' event, which would end
      // the process; the server goes on listening
      server.on("error", (error) => Effect.runForkWith(services)(Effect.logWarning("the listener reported an error", error.message)))
      resume(Effect.void)
    })
  })
  const bound = server.address() as net.AddressInfo

  const run = Effect.fnUntraced(function*<R, E, _>(handler: (socket: Socket.Socket) => Effect.Effect<_, E, R>) {
    const scope = yield* Scope.make()
    const services = Context.omit(Scope.Scope)(yield* Effect.context<R>()) as Context.Context<R>
    const track = Fiber.runIn(scope)
    onConnection = (conn) => {
      const socket = NodeSocket.fromDuplex(
        // the wait for the first bytes stays interruptible: the listener's idle timeout ends it
        Effect.acquireRelease(Effect.interruptible(open(conn)), (duplex) => Effect.sync(() => close(duplex)))
      )
      Effect.flatMap(socket, handler).pipe(
        Effect.ignoreCause({ log: "Debug", message: "a connection ended with an error" }),
        Effect.runForkWith(Context.add(services, NodeSocket.NetSocket, conn)),
        track
      )
    }
    for (const conn of waiting) onConnection(conn)
    waiting.clear()
    return yield* Effect.callback<never>(() =>
      Effect.suspend(() => {
        onConnection = undefined
        return Scope.close(scope, Exit.void)
      })
    )
  })

  return SocketServer.SocketServer.of({
    address: NetAddress.inetAddressFromIpStringUnsafe(bound.address, bound.port),
    run
  })
})

/**
 * A port in the mode `setup` asks for, as the `SocketServer` service.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: { readonly host: string; readonly port: number; readonly setup: TlsSetup }) =>
  Layer.effect(SocketServer.SocketServer, make(options))

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

/** how every TLS handshake starts (a TLS record of type handshake); no DOIP request starts so */
const TLS_HANDSHAKE = 0x16

const ignore = () => {}

const openError = (message: string, cause?: unknown) =>
  new Socket.SocketError({
    reason: new Socket.SocketOpenError({ kind: "Unknown", cause: cause ?? new Error(message) })
  })

/**
 * Waits for the connection's first bytes, puts them back, and gives the stream to read requests from: the socket
 * itself, a TLS socket over it, or a failure (the connection is closed at once).
 */
const opener = (mode: TlsSetup["mode"], secureContext: tls.SecureContext | undefined) => (conn: net.Socket) =>
  Effect.callback<Duplex, Socket.SocketError>((resume) => {
    const detach = () => {
      conn.off("readable", onReadable)
      conn.off("end", onEnd)
      conn.off("close", onEnd)
    }
    const refuse = (message: string) => {
      conn.destroy()
      resume(Effect.fail(openError(message)))
    }
    function onEnd() {
      detach()
      resume(Effect.fail(new Socket.SocketError({ reason: new Socket.SocketCloseError({ code: 1000 }) })))
    }
    function onReadable() {
      const first = conn.read() as Buffer | null
      if (first === null) return
      detach()
      conn.unshift(first)
      if (first[0] !== TLS_HANDSHAKE) {
        return mode === "required" ? refuse("a plaintext client at a port that speaks TLS only") : resume(Effect.succeed(conn))
      }
      if (mode === "off") return refuse("a TLS handshake at a port that speaks plaintext only")
      const secure = new tls.TLSSocket(conn, { isServer: true, secureContext: secureContext! })
      const failed = (cause: Error) => {
        secure.destroy()
        resume(Effect.fail(openError("the TLS handshake failed", cause)))
      }
      const closed = () => failed(new Error("the client closed the connection during the TLS handshake"))
      secure.once("error", failed)
      secure.once("close", closed)
      secure.once("secure", () => {
        secure.off("error", failed)
        secure.off("close", closed)
        secure.on("error", ignore) // the reader sees errors from here on
        resume(Effect.succeed(secure))
      })
    }
    if (conn.closed) return onEnd()
    conn.on("readable", onReadable)
    conn.on("end", onEnd)
    conn.on("close", onEnd)
    onReadable()
    return Effect.sync(() => {
      detach()
      conn.destroy()
    })
  })

/**
 * Closes the connection after what is written has gone out, unless the client has stopped reading (its buffer is
 * full, which is how an idle timeout while writing ends): what is buffered would never go, and the socket with it.
 */
const close = (duplex: Duplex) => {
  if (duplex.closed) return
  if (!(duplex instanceof net.Socket) || duplex.writableNeedDrain) return duplex.destroy()
  duplex.destroySoon()
  // what is left may still never drain (less than a high-water mark, behind full kernel buffers): the socket goes
  // anyway after a while, rather than live on outside every limit
  setTimeout(() => duplex.destroy(), DRAIN_GRACE_MILLIS).unref()
}

/** how long a closing connection's last answers may take to go out */
const DRAIN_GRACE_MILLIS = 10_000
