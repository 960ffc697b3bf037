/**
 * A scripted DOIP v2.0 server, for client tests where ours would behave too well (answering out of order, never
 * answering, closing a connection with requests in flight).
 */
import * as Effect from "effect/Effect"
import * as net from "node:net"

/**
 * A stand-in DOIP v2.0 server for requests without input segments: after every request it calls `script` with the
 * connection's requests so far, which may answer (any of them, in any order) or close the connection.
 */
export const scriptedServer = (
  script: (
    requests: ReadonlyArray<Record<string, unknown>>,
    answer: (head: Record<string, unknown>) => void,
    close: () => void,
    /** the connection's number: 1, 2, ... */
    connection: number
  ) => void
) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly port: number; readonly connections: () => number; readonly server: net.Server }>((resume) => {
      let connections = 0
      const sockets = new Set<net.Socket>()
      const server = net.createServer((socket) => {
        const connection = ++connections
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
        socket.on("error", () => socket.destroy())
        const requests: Array<Record<string, unknown>> = []
        let buffer = ""
        socket.on("data", (data: Buffer) => {
          buffer += data.toString("utf8")
          for (let end = buffer.indexOf("\n#\n#\n"); end !== -1; end = buffer.indexOf("\n#\n#\n")) {
            requests.push(JSON.parse(buffer.slice(0, end)))
            buffer = buffer.slice(end + 5)
            script(requests, (head) => socket.write(`${JSON.stringify(head)}\n#\n#\n`), () => socket.destroy(), connection)
          }
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo
        resume(Effect.succeed({ port, connections: () => connections, server }))
      })
      ;(server as net.Server & { sockets?: Set<net.Socket> }).sockets = sockets
    }),
    (scripted) =>
      Effect.sync(() => {
        for (const socket of (scripted.server as net.Server & { sockets?: Set<net.Socket> }).sockets ?? []) socket.destroy()
        scripted.server.close()
      })
  )
