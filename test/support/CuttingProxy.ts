/**
 * A TCP proxy on loopback that cuts connections at random points: for each connection it draws (from a seeded PRNG,
 * so a failing run repeats) whether to cut it, in which direction, after how many bytes, and how (a clean close or a
 * reset). The bytes up to the cut point are passed on, then both sides are closed, as when a server dies or a network
 * drops in the middle of a request or an answer.
 */
import * as Effect from "effect/Effect"
import * as net from "node:net"
import { prng } from "./Random.ts"

export interface CutOptions {
  readonly seed: number
  /** the chance that a connection is cut at all (default 0.5) */
  readonly cutChance?: number
  /** a cut comes after 0 to this many bytes in its direction (default 4096) */
  readonly maxCutBytes?: number
  /** the first connection passes this many bytes each way before its cut, which then comes for sure (default 0) */
  readonly spareFirst?: number
  /** where to cut connection `n` (1, 2, ...) instead of a random point; `undefined` leaves it whole */
  readonly plan?: (connection: number) => Cut | undefined
}

/** a cut: in which direction (`up` is client to server), after how many bytes, by a clean close or a reset */
export interface Cut {
  readonly direction: "up" | "down"
  readonly after: number
  readonly reset: boolean
}

export interface CuttingProxy {
  readonly port: number
  readonly connections: () => number
  /** what connection `n` passed from the server to the client (1, 2, ...) */
  readonly received: (connection: number) => Uint8Array
  /** where each cut connection was cut: `up` is client to server */
  readonly cuts: () => ReadonlyArray<Cut & { readonly connection: number }>
}

export const cuttingProxy = (targetPort: number, options: CutOptions) =>
  Effect.acquireRelease(
    Effect.callback<CuttingProxy & { readonly close: () => void }>((resume) => {
      const random = prng(options.seed)
      const sockets = new Set<net.Socket>()
      const cuts: Array<Cut & { readonly connection: number }> = []
      let connections = 0
      const received: Array<Array<Buffer>> = []
      const server = net.createServer((client) => {
        const connection = ++connections
        const upstream = net.connect(targetPort, "127.0.0.1")
        const planned = options.plan?.(connection)
        const cut = planned !== undefined
          ? { connection, ...planned }
          : options.plan === undefined && (connection === 1 && (options.spareFirst ?? 0) > 0 || random.next() < (options.cutChance ?? 0.5))
          ? {
            connection,
            direction: random.next() < 0.5 ? "up" as const : "down" as const,
            after: (connection === 1 ? options.spareFirst ?? 0 : 0) + random.int(0, options.maxCutBytes ?? 4096),
            reset: random.next() < 0.5
          }
          : undefined
        if (cut !== undefined) cuts.push(cut)
        const down: Array<Buffer> = []
        received[connection] = down
        let done = false
        const end = () => {
          if (done) return
          done = true
          for (const socket of [client, upstream]) {
            if (cut?.reset === true && !socket.destroyed) socket.resetAndDestroy()
            else socket.destroy()
          }
        }
        for (const socket of [client, upstream]) {
          sockets.add(socket)
          socket.on("close", () => (sockets.delete(socket), end()))
          socket.on("error", end)
        }
        const relay = (from: net.Socket, to: net.Socket, direction: "up" | "down") => {
          let passed = 0
          from.on("data", (chunk: Buffer) => {
            if (done) return
            if (cut?.direction === direction && passed + chunk.length >= cut.after) {
              const part = chunk.subarray(0, cut.after - passed)
              passed = cut.after
              if (direction === "down") down.push(part)
              if (part.length > 0) to.write(part, end)
              else end()
              return
            }
            passed += chunk.length
            if (direction === "down") down.push(chunk)
            to.write(chunk)
          })
          from.on("end", () => to.end())
        }
        relay(client, upstream, "up")
        relay(upstream, client, "down")
      })
      server.listen(0, "127.0.0.1", () => {
        resume(Effect.succeed({
          port: (server.address() as net.AddressInfo).port,
          connections: () => connections,
          received: (connection) => Buffer.concat(received[connection] ?? []),
          cuts: () => cuts,
          close: () => {
            server.close()
            for (const socket of sockets) socket.destroy()
          }
        }))
      })
    }),
    (proxy) => Effect.sync(proxy.close)
  )
