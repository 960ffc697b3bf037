/**
 * The load generator: plain `node:net` sockets and the tiny readers of wire.ts, the same code against every server.
 *
 * - `closedLoop`: CONNS connections, each keeping DEPTH requests in flight (1: request/response; 16 on one
 *   connection: pipelining, as /work/shared/perf/loadgen2.mjs's DEPTH). Connections are opened, then warmed up, then
 *   measured, so the numbers are round trips, not connects. Latency runs from writing a request to its answer's
 *   last byte.
 * - `retrieveOnce`: one request on a fresh connection, its answer read (never buffered) to the last byte.
 * - `idleConnections`: connections that say hello once and then stay open, doing nothing.
 */
import * as Net from "node:net"
import { DOIP2_OK, ResponseReader, SegmentReader } from "./wire.ts"

/** a complete answer: whether it says success, its wire size (binary), its first bytes when asked for, its data bytes */
type OnAnswer = (ok: boolean, captured: Buffer | undefined, data: number) => void

/** what differs between the two wires, for the load generator */
export interface Framing {
  readonly name: "binary" | "DOIP v2.0"
  /** splits received bytes into answers */
  readonly reader: (onAnswer: OnAnswer, capture?: number) => { push(chunk: Buffer): void }
}

/** the binary envelope: success is msgType 0x02 (response); `data` is the answer's wire size */
export const binary: Framing = {
  name: "binary",
  reader: (onAnswer, capture) =>
    new ResponseReader((msgType, size, captured) => onAnswer(msgType === 0x02, captured, size), capture)
}

const ok2 = Buffer.from(DOIP2_OK)

/** DOIP v2.0: success is status 001 in the first segment; `data` counts the bytes segments' chunk bytes */
export const doip2: Framing = {
  name: "DOIP v2.0",
  reader: (onAnswer, capture) =>
    new SegmentReader((head, captured, data) => onAnswer(head.includes(ok2), captured, data), capture)
}

/** a request's bytes; DOIP v2.0 requests carry the number as their requestId */
export type Request = (n: number) => Buffer | string

export const connect = (port: number): Promise<Net.Socket> =>
  new Promise((resolve, reject) => {
    const socket = Net.connect({ host: "127.0.0.1", port, noDelay: true })
    socket.once("connect", () => {
      socket.off("error", reject)
      resolve(socket)
    })
    socket.once("error", reject)
  })

/** one measured period of one connection */
interface Period {
  readonly until: number
  readonly latencies: Array<number>
  count: number
  end: number
  readonly resolve: () => void
  readonly reject: (error: Error) => void
}

let requestNumber = 0

/**
 * One connection kept busy: `run(until)` writes `depth` requests, then one more for each answer until `until`
 * (performance.now() ms), and resolves once every request in flight is answered.
 */
const busyConnection = (socket: Net.Socket, framing: Framing, request: Request, depth: number) => {
  const sentAt: Array<number> = [] // send times of the requests in flight, oldest first from `first`
  let first = 0
  let period: Period | undefined
  const send = () => {
    sentAt.push(performance.now())
    socket.write(request(++requestNumber))
  }
  const reader = framing.reader((ok) => {
    const now = performance.now()
    const p = period!
    if (!ok) return p.reject(new Error(`${framing.name}: answered with an error`))
    p.latencies.push(now - sentAt[first++]!)
    p.count++
    if (first === sentAt.length) {
      sentAt.length = 0
      first = 0
    }
    if (now < p.until) send()
    else if (sentAt.length === 0) {
      p.end = now
      p.resolve()
    }
  })
  socket.on("data", (chunk: Buffer) => reader.push(chunk))
  socket.on("error", (error) => period?.reject(error))
  socket.on("close", () => period?.reject(new Error(`${framing.name}: connection closed under load`)))
  return {
    run: (until: number, latencies: Array<number>) =>
      new Promise<Period>((resolve, reject) => {
        const p: Period = { until, latencies, count: 0, end: 0, resolve: () => resolve(p), reject }
        period = p
        for (let i = 0; i < depth; i++) send()
      })
  }
}

export interface LoadResult {
  readonly perSecond: number
  /** ms */
  readonly p50: number
  readonly p99: number
}

const quantile = (sorted: ReadonlyArray<number>, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN

/**
 * Closed-loop load: `connections` connections, `depth` requests in flight on each; `warmMs` of warm-up, then
 * `measureMs` measured on the same connections. Requests per second (all answers over the measured period, to the
 * last answer) and latency quantiles.
 */
export const closedLoop = async (options: {
  readonly port: number
  readonly framing: Framing
  readonly request: Request
  readonly connections: number
  readonly depth: number
  readonly warmMs: number
  readonly measureMs: number
}): Promise<LoadResult> => {
  const { connections, depth, framing, port, request } = options
  const sockets = await Promise.all(Array.from({ length: connections }, () => connect(port)))
  try {
    const loops = sockets.map((socket) => busyConnection(socket, framing, request, depth))
    const run = (ms: number, latencies: Array<number>) => {
      const start = performance.now()
      return Promise.all(loops.map((loop) => loop.run(start + ms, latencies))).then((periods) => ({ start, periods }))
    }
    await run(options.warmMs, [])
    globalThis.gc?.() // keep the warm-up's garbage out of the measured period
    const latencies: Array<number> = []
    const { periods, start } = await run(options.measureMs, latencies)
    const end = Math.max(...periods.map((p) => p.end))
    const count = periods.reduce((n, p) => n + p.count, 0)
    latencies.sort((a, b) => a - b)
    return { perSecond: count / ((end - start) / 1000), p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) }
  } finally {
    for (const socket of sockets) socket.destroy()
  }
}

export interface Exchange {
  readonly seconds: number
  /** wire bytes of the answer */
  readonly bytes: number
  /** binary: the answer's size as its header says; DOIP v2.0: its chunk data bytes */
  readonly data: number
  /** the answer's first `capture` bytes */
  readonly captured: Buffer | undefined
}

/**
 * Writes `request` on a fresh connection and reads the one answer to its last byte, keeping its first `capture`
 * bytes. The clock runs from the write to the answer's last byte; an error answer rejects.
 */
export const exchange = async (port: number, framing: Framing, request: Buffer | string, capture = 0): Promise<Exchange> => {
  const socket = await connect(port)
  try {
    return await new Promise<Exchange>((resolve, reject) => {
      let bytes = 0
      const reader = framing.reader((ok, captured, data) => {
        const seconds = (performance.now() - start) / 1000
        if (!ok) reject(new Error(`${framing.name}: answered with an error: ${captured?.toString() ?? ""}`))
        else resolve({ seconds, bytes, data, captured })
      }, capture)
      socket.on("data", (chunk: Buffer) => {
        bytes += chunk.length
        reader.push(chunk)
      })
      socket.once("error", reject)
      socket.once("close", () => reject(new Error(`${framing.name}: connection closed before the answer ended`)))
      const start = performance.now()
      socket.write(request)
    })
  } finally {
    socket.destroy()
  }
}

/**
 * `count` connections that each say hello once (so the server has set everything up for them) and then stay open,
 * idle. Opened 50 at a time, within the listen backlog.
 */
export const idleConnections = async (port: number, framing: Framing, hello: Request, count: number) => {
  const sockets: Array<Net.Socket> = []
  let closed = 0
  const open = async () => {
    const socket = await connect(port)
    await new Promise<void>((resolve, reject) => {
      const reader = framing.reader((ok) => ok ? resolve() : reject(new Error(`${framing.name}: hello failed`)))
      socket.on("data", (chunk: Buffer) => reader.push(chunk))
      socket.once("error", reject)
      socket.write(hello(++requestNumber))
    })
    socket.removeAllListeners("data")
    socket.on("error", () => {})
    socket.once("close", () => closed++)
    sockets.push(socket)
  }
  for (let left = count; left > 0; left -= 50) {
    await Promise.all(Array.from({ length: Math.min(50, left) }, open))
  }
  return {
    /** how many are still open */
    open: () => sockets.length - closed,
    close: () => sockets.forEach((socket) => socket.destroy())
  }
}
