/**
 * A TCP proxy on loopback that passes bytes on both ways at a given rate, for tests that need a transfer to take a
 * while (a progress line's redraws, say) with a server that would otherwise answer at memory speed. The rate is kept
 * by pausing the side that sent a chunk for as long as that chunk should have taken.
 */
import * as Effect from "effect/Effect"
import { connect, createServer, type Socket } from "node:net"

export const throttledProxy = (targetPort: number, bytesPerSecond: number) =>
  Effect.acquireRelease(
    Effect.callback<{ readonly port: number; readonly close: () => void }>((resume) => {
      const sockets = new Set<Socket>()
      const server = createServer((client) => {
        const upstream = connect(targetPort, "127.0.0.1")
        for (const socket of [client, upstream]) {
          sockets.add(socket)
          socket.on("close", () => sockets.delete(socket))
          // either side failing ends both: the client sees the connection go, as it would without the proxy
          socket.on("error", () => (client.destroy(), upstream.destroy()))
        }
        pace(client, upstream, bytesPerSecond)
        pace(upstream, client, bytesPerSecond)
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        resume(Effect.succeed({
          port: typeof address === "object" && address !== null ? address.port : 0,
          close: () => {
            server.close()
            for (const socket of sockets) socket.destroy()
          }
        }))
      })
    }),
    (proxy) => Effect.sync(proxy.close)
  )

const pace = (from: Socket, to: Socket, bytesPerSecond: number) => {
  from.on("data", (chunk: Buffer) => {
    to.write(chunk)
    from.pause()
    setTimeout(() => from.resume(), (chunk.length / bytesPerSecond) * 1000)
  })
  from.on("end", () => to.end())
}
