/**
 * The HTTP benchmark's load generator, in its own process so that it takes no CPU from the process that starts and
 * watches the servers: `node bench/http-loadgen.ts '<job as JSON>'` prints one JSON line, the result.
 *
 * It speaks just enough HTTP/1.1 over plain `node:net` sockets, the same code against every server: a fixed request
 * head, answers read to their `Content-Length` (every server here sends one) into one reused 1 MiB buffer
 * (`onread`), their bodies counted and dropped. Deliberately dumb, as loadgen.ts is for DOIP, so that it costs as
 * little as possible: undici (installed as a dependency of @effect/platform-node) cost ~3x the CPU per request (4–9k
 * hellos/s at 60–70% of a core against bare, this loop 14–20k at 40–50%) and its body stream held downloads to
 * ~100–250 MB/s at 60–80% of a core, so against bare it set the pace, not the server.
 *
 * Jobs (`Job`):
 * - `rate`: a closed loop of GETs of `path` over `connections` keep-alive connections, `warmMs` of warm-up then
 *   `measureMs` measured on the same connections: requests/s, p50/p99 ms (from writing the request to its body's last
 *   byte), and the measured window in µs of CLOCK_MONOTONIC (the clock of `--cpu-prof`'s timestamps);
 * - `download`: `warmUps` then `runs` GETs of `path`, each on a fresh connection: MB/s each, from the request to the
 *   last byte;
 * - `upload`: `runs` PUTs of `file` to `path` (read in 1 MiB chunks, written with backpressure), each on a fresh
 *   connection, its first 8 bytes made new before each (a store that has the content already may skip work): MB/s
 *   each, from the request to the answer.
 * An answer other than a 200, or a body of the wrong size, fails the job.
 */
import * as Fs from "node:fs"
import * as Net from "node:net"
import { pipeline } from "node:stream/promises"

export type Job =
  | {
    readonly kind: "rate"
    readonly port: number
    readonly path: string
    readonly connections: number
    readonly warmMs: number
    readonly measureMs: number
  }
  | {
    readonly kind: "download"
    readonly port: number
    readonly path: string
    readonly size: number
    readonly warmUps: number
    readonly runs: number
  }
  | {
    readonly kind: "upload"
    readonly port: number
    readonly path: string
    readonly file: string
    readonly headers: Readonly<Record<string, string>>
    readonly runs: number
  }

export interface RateResult {
  readonly perSecond: number
  readonly p50: number
  readonly p99: number
  /** CLOCK_MONOTONIC µs */
  readonly from: number
  readonly to: number
  /** this process's CPU over the measured period, % of one core */
  readonly cpu: number
}

export interface TransferResult {
  /** MB/s (10^6 bytes of content) of each measured run */
  readonly mbs: ReadonlyArray<number>
  readonly from: number
  readonly to: number
  readonly cpu: number
}

const MiB = 1 << 20
const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n)
const CRLF2 = Buffer.from("\r\n\r\n")

/** one connection, answers read one after the other: `onAnswer(head, bodyBytes)` for each, or `onError` */
interface Connection {
  readonly socket: Net.Socket
  onAnswer: (head: string, body: number) => void
  onError: (error: Error) => void
}

/**
 * Connects to `port`, reading into one reused buffer: each answer's head (copied) up to its blank line, then as many
 * body bytes as its `Content-Length` says, counted.
 */
const connect = (port: number): Promise<Connection> =>
  new Promise((resolve, reject) => {
    let head: Buffer | undefined // the head so far, until its blank line
    let headText = ""
    let length = 0
    let bodyLeft = -1 // -1: reading a head
    const read = (chunk: Buffer) => {
      while (chunk.length > 0) {
        if (bodyLeft < 0) {
          const soFar: Buffer = head === undefined ? Buffer.from(chunk) : Buffer.concat([head, chunk])
          const end = soFar.indexOf(CRLF2)
          if (end < 0) {
            head = soFar
            return
          }
          head = undefined
          headText = soFar.toString("latin1", 0, end)
          const match = /\r\ncontent-length: *(\d+)/i.exec(headText)
          if (match === null) return connection.onError(new Error(`an answer without Content-Length: ${headText}`))
          length = bodyLeft = Number(match[1])
          chunk = chunk.subarray(chunk.length - (soFar.length - end - 4))
        }
        const taken = Math.min(bodyLeft, chunk.length)
        bodyLeft -= taken
        chunk = chunk.subarray(taken)
        if (bodyLeft === 0) {
          bodyLeft = -1
          if (chunk.length > 0) return connection.onError(new Error("bytes after the answer"))
          connection.onAnswer(headText, length)
        }
      }
    }
    const buffer = Buffer.allocUnsafe(MiB)
    const socket = Net.connect({
      host: "127.0.0.1",
      port,
      noDelay: true,
      onread: {
        buffer,
        callback: (n) => {
          read(buffer.subarray(0, n))
          return true
        }
      }
    })
    const connection: Connection = { socket, onAnswer: () => {}, onError: reject }
    socket.on("error", (error) => connection.onError(error))
    socket.on("close", () => connection.onError(new Error("connection closed")))
    socket.once("connect", () => resolve(connection))
  })

/** waits for the next answer on `connection`, failing unless it is a 200 */
const answer = (connection: Connection) =>
  new Promise<number>((resolve, reject) => {
    connection.onAnswer = (head, body) => head.startsWith("HTTP/1.1 200 ") ? resolve(body) : reject(new Error(head))
    connection.onError = reject
  })

const quantile = (sorted: ReadonlyArray<number>, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN

/**
 * One connection in a closed loop: `run(until, latencies)` sends the request, and again on each answer until
 * `until` (performance.now() ms); resolves with the count of answers.
 */
const loop = (connection: Connection, request: Buffer) => (until: number, latencies: Array<number>) =>
  new Promise<number>((resolve, reject) => {
    let count = 0
    let sentAt = 0
    const send = () => {
      sentAt = performance.now()
      connection.socket.write(request)
    }
    connection.onError = reject
    connection.onAnswer = (head) => {
      if (!head.startsWith("HTTP/1.1 200 ")) return reject(new Error(head))
      const now = performance.now()
      latencies.push(now - sentAt)
      count++
      if (now < until) send()
      else resolve(count)
    }
    send()
  })

const rate = async (job: Extract<Job, { kind: "rate" }>): Promise<RateResult> => {
  const request = Buffer.from(`GET ${job.path} HTTP/1.1\r\nHost: 127.0.0.1:${job.port}\r\nAccept: */*\r\n\r\n`)
  const connections = await Promise.all(Array.from({ length: job.connections }, () => connect(job.port)))
  try {
    const loops = connections.map((c) => loop(c, request))
    const run = async (ms: number, latencies: Array<number>) => {
      const until = performance.now() + ms
      return (await Promise.all(loops.map((l) => l(until, latencies)))).reduce((a, b) => a + b, 0)
    }
    await run(job.warmMs, [])
    const latencies: Array<number> = []
    const from = monotonicMicros()
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const count = await run(job.measureMs, latencies)
    const seconds = (performance.now() - t0) / 1000
    const cpu = process.cpuUsage(cpu0)
    const to = monotonicMicros()
    latencies.sort((a, b) => a - b)
    return {
      perSecond: count / seconds,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      from,
      to,
      cpu: (cpu.user + cpu.system) / 1e4 / seconds
    }
  } finally {
    connections.forEach((c) => c.socket.destroy())
  }
}

/** `once` timed `runs` times after `warmUps` untimed (each returns its seconds): MB/s of `bytes` each, and the CPU */
const transfers = async (bytes: number, warmUps: number, runs: number, once: () => Promise<number>): Promise<TransferResult> => {
  for (let i = 0; i < warmUps; i++) await once()
  const from = monotonicMicros()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const mbs: Array<number> = []
  for (let i = 0; i < runs; i++) mbs.push(bytes / 1e6 / await once())
  const cpu = process.cpuUsage(cpu0)
  return { mbs, from, to: monotonicMicros(), cpu: (cpu.user + cpu.system) / 1e4 / ((performance.now() - t0) / 1000) }
}

/** on a fresh connection, closed after: `f`'s seconds, from its start */
const timed = async (port: number, f: (connection: Connection) => Promise<void>) => {
  const connection = await connect(port)
  try {
    const start = performance.now()
    await f(connection)
    return (performance.now() - start) / 1000
  } finally {
    connection.onError = () => {}
    connection.socket.destroy()
  }
}

const download = (job: Extract<Job, { kind: "download" }>) =>
  transfers(job.size, job.warmUps, job.runs, () =>
    timed(job.port, async (connection) => {
      const answered = answer(connection)
      connection.socket.write(`GET ${job.path} HTTP/1.1\r\nHost: 127.0.0.1:${job.port}\r\n\r\n`)
      const bytes = await answered
      if (bytes !== job.size) throw new Error(`GET ${job.path}: ${bytes} bytes, not ${job.size}`)
    }))

/** makes `file`'s content new: its first 8 bytes hold `run` and the time */
const mark = (file: string, run: number) => {
  const bytes = Buffer.alloc(8)
  bytes.writeBigUInt64BE(BigInt(Date.now()) * 1000n + BigInt(run))
  const fd = Fs.openSync(file, "r+")
  try {
    Fs.writeSync(fd, bytes, 0, 8, 0)
  } finally {
    Fs.closeSync(fd)
  }
}

const upload = (job: Extract<Job, { kind: "upload" }>) => {
  const size = Fs.statSync(job.file).size
  const headers = Object.entries({ ...job.headers, "content-type": "application/octet-stream", "content-length": String(size) })
    .map(([name, value]) => `${name}: ${value}\r\n`).join("")
  let run = 0
  return transfers(size, 0, job.runs, () => {
    mark(job.file, ++run)
    return timed(job.port, async (connection) => {
      const answered = answer(connection)
      connection.socket.write(`PUT ${job.path} HTTP/1.1\r\nHost: 127.0.0.1:${job.port}\r\n${headers}\r\n`)
      await pipeline(Fs.createReadStream(job.file, { highWaterMark: MiB }), connection.socket, { end: false })
      await answered
    })
  })
}

const job: Job = JSON.parse(process.argv[2] ?? "null")
const result = job.kind === "rate" ? await rate(job) : job.kind === "download" ? await download(job) : await upload(job)
process.stdout.write(`${JSON.stringify(result)}\n`)
