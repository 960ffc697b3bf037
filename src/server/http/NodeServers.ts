/**
 * The Node HTTP server under the gateway, in the listeners' TLS modes (`Tls.ts`): `off` plain HTTP, `required`
 * HTTPS only, `auto` both on one port, told apart by the connection's first byte as the DOIP ports do (a TLS
 * handshake starts with `0x16`, no HTTP request does).
 *
 * @since 0.1.0
 */
import * as http from "node:http"
import * as https from "node:https"
import type * as net from "node:net"
import * as tls from "node:tls"
import type { TlsSetup } from "../tls/Tls.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface Timeouts {
  /** a connection with no byte moving either way for this long is closed (a client that stalls an upload, say) */
  readonly idleMillis: number
  /** the request's headers must have arrived within this long (and a connection's first byte, with TLS auto) */
  readonly headersMillis: number
}

/**
 * @category models
 * @since 0.1.0
 */
export interface Limits extends Timeouts {
  /** connections open at once; more are closed as they arrive */
  readonly maxConnections: number
}

/**
 * A server, not yet listening, that speaks what `setup` allows.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (setup: TlsSetup, timeouts: Limits): http.Server => {
  // uploads of large components take as long as they take: the idle timeout, not a whole-request one, ends a stall
  const options: http.ServerOptions = { requestTimeout: 0, headersTimeout: timeouts.headersMillis, noDelay: true }
  const server = setup.mode === "required"
    ? https.createServer({ ...options, cert: Buffer.from(setup.files.cert), key: Buffer.from(setup.files.key) })
    : http.createServer(options)
  server.setTimeout(timeouts.idleMillis, (socket) => socket.destroy())
  server.maxConnections = timeouts.maxConnections
  if (setup.mode === "auto") {
    const secureContext = tls.createSecureContext({ cert: Buffer.from(setup.files.cert), key: Buffer.from(setup.files.key) })
    sniffTls(server, secureContext, timeouts.headersMillis)
  }
  return server
}

/**
 * Puts a look at each connection's first bytes before Node's HTTP handling: a TLS handshake gets a TLS socket over
 * the connection, anything else the connection as it is. The bytes read are put back, and both sockets read them
 * first.
 */
const sniffTls = (server: http.Server, secureContext: tls.SecureContext, firstByteMillis: number) => {
  const handle = server.listeners("connection") as Array<(this: http.Server, socket: net.Socket | tls.TLSSocket) => void>
  server.removeAllListeners("connection")
  // connections still waiting for their first byte: Node's HTTP server does not know them yet, so its timeouts and
  // its close do not reach them
  const waiting = new Set<net.Socket>()
  const close = server.close.bind(server)
  server.close = (callback?: (error?: Error) => void) => {
    for (const conn of waiting) conn.destroy()
    return close(callback)
  }
  server.on("connection", (conn: net.Socket) => {
    waiting.add(conn)
    const silent = () => conn.destroy()
    const forget = () => {
      waiting.delete(conn)
      conn.off("readable", onReadable)
      conn.off("timeout", silent)
      conn.setTimeout(0)
    }
    const onReadable = () => {
      const first = conn.read() as Buffer | null
      if (first === null) return
      forget()
      conn.pause()
      conn.unshift(first)
      const socket = first[0] === TLS_HANDSHAKE ? new tls.TLSSocket(conn, { isServer: true, secureContext }) : conn
      if (socket !== conn) socket.on("error", () => socket.destroy())
      for (const listener of handle) listener.call(server, socket)
    }
    conn.on("error", () => conn.destroy())
    conn.once("close", forget)
    // a client that connects and says nothing is closed as one that never finishes its headers would be
    conn.setTimeout(firstByteMillis)
    conn.on("timeout", silent)
    conn.on("readable", onReadable)
  })
}

const TLS_HANDSHAKE = 0x16
