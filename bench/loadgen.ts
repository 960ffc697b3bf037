/**
 * The raw load generator: plain `node:net` sockets and the tiny readers of wire.ts, the same code against both
 * servers. Connections are opened before the clock starts, so the numbers are round trips, not connects.
 */
import * as Net from "node:net"
import {
  BIG,
  DOIP2_OK,
  doip2HelloRequest,
  doip2RetrieveAnswerHead,
  doip2RetrieveRequest,
  doip2UploadChunk,
  doip2UploadHead,
  doip2UploadSize,
  doip2UploadTail,
  drained,
  helloRequest,
  ResponseReader,
  retrieveAnswerHead,
  retrieveAnswerSize,
  retrieveRequest,
  SegmentReader,
  UPLOAD
} from "./wire.ts"

/** one complete answer: whether it says success, its first bytes when asked for, its bytes-segment data bytes */
type OnAnswer = (ok: boolean, captured: Buffer | undefined, data: number) => void

/** what differs between the two listeners, for the load generator */
export interface Framing {
  readonly name: string
  readonly hello: Buffer
  readonly retrieve: Buffer
  /** the retrieve answer's bytes before its content, as the bare server sends them (checked against ours) */
  readonly retrieveHead: Buffer
  /** splits received bytes into answers */
  readonly reader: (onAnswer: OnAnswer, capture?: number) => { push(chunk: Buffer): void }
  /** what is wrong with a retrieve answer of `bytes` on the wire and `data` content bytes, if anything */
  readonly checkRetrieve: (bytes: number, data: number) => string | undefined
}

/** the binary envelope: success is msgType 0x02 (response); the answer must be exactly `retrieveAnswerSize` bytes */
export const binary: Framing = {
  name: "binary",
  hello: helloRequest,
  retrieve: retrieveRequest,
  retrieveHead: retrieveAnswerHead(),
  reader: (onAnswer, capture) => new ResponseReader((msgType, captured) => onAnswer(msgType === 0x02, captured, 0), capture),
  checkRetrieve: (bytes) => bytes === retrieveAnswerSize ? undefined : `got ${bytes} bytes, expected ${retrieveAnswerSize}`
}

const ok2 = Buffer.from(DOIP2_OK)

/** DOIP v2.0: success is status 001 in the first segment; the chunks must hold `BIG.size` bytes in all */
export const doip2: Framing = {
  name: "DOIP v2.0",
  hello: doip2HelloRequest,
  retrieve: doip2RetrieveRequest,
  retrieveHead: doip2RetrieveAnswerHead,
  reader: (onAnswer, capture) => new SegmentReader((head, captured, data) => onAnswer(head.includes(ok2), captured, data), capture),
  checkRetrieve: (_, data) => data === BIG.size ? undefined : `got ${data} content bytes, expected ${BIG.size}`
}

export const connect = (port: number): Promise<Net.Socket> =>
  new Promise((resolve, reject) => {
    const socket = Net.connect({ host: "127.0.0.1", port, noDelay: true })
    socket.once("connect", () => {
      socket.off("error", reject)
      resolve(socket)
    })
    socket.once("error", reject)
  })

/**
 * One connection's sequential hello loop, started by `go` and stopped at `deadline` (performance.now() ms).
 * Resolves with the number of completed round trips and the time the last one completed.
 */
const helloLoop = (framing: Framing) => (socket: Net.Socket) => {
  let count = 0
  let deadline = 0
  let resolveDone!: (r: { count: number; end: number }) => void
  let rejectDone!: (e: Error) => void
  const done = new Promise<{ count: number; end: number }>((res, rej) => {
    resolveDone = res
    rejectDone = rej
  })
  const reader = framing.reader((ok) => {
    if (!ok) return rejectDone(new Error(`${framing.name} hello answered with an error`))
    count++
    const now = performance.now()
    if (now < deadline) socket.write(framing.hello)
    else resolveDone({ count, end: now })
  })
  socket.on("data", (chunk: Buffer) => reader.push(chunk))
  socket.once("error", rejectDone)
  socket.once("close", () => rejectDone(new Error("connection closed during the hello loop")))
  return {
    go: (until: number) => {
      deadline = until
      socket.write(framing.hello)
      return done
    }
  }
}

/** hello round trips per second over `connections` concurrent connections, each sequential, for `ms` */
export const helloLoad = async (port: number, connections: number, ms: number, framing: Framing = binary): Promise<number> => {
  const sockets = await Promise.all(Array.from({ length: connections }, () => connect(port)))
  try {
    const loops = sockets.map(helloLoop(framing))
    const start = performance.now()
    const results = await Promise.all(loops.map((loop) => loop.go(start + ms)))
    const end = Math.max(...results.map((r) => r.end))
    return results.reduce((n, r) => n + r.count, 0) / ((end - start) / 1000)
  } finally {
    for (const socket of sockets) socket.destroy()
  }
}

/**
 * Writes `request` on a fresh connection and resolves with the first `capture` bytes of the one whole answer, when
 * it says success. `send` writes the request (default: one write); the clock in `seconds` runs from calling it to the
 * arrival of the answer's last byte.
 */
const exchange = async (
  port: number,
  framing: Framing,
  capture: number,
  send: (socket: Net.Socket) => void | Promise<void>
): Promise<{ captured: Buffer | undefined; seconds: number; bytes: number; data: number }> => {
  const socket = await connect(port)
  try {
    return await new Promise((resolve, reject) => {
      let bytes = 0
      let start = 0
      const reader = framing.reader((ok, captured, data) => {
        const seconds = (performance.now() - start) / 1000
        if (!ok) reject(new Error(`${framing.name}: answered with an error: ${captured?.toString() ?? ""}`))
        else resolve({ captured, seconds, bytes, data })
      }, capture)
      socket.on("data", (chunk: Buffer) => {
        bytes += chunk.length
        reader.push(chunk)
      })
      socket.once("error", reject)
      start = performance.now()
      Promise.resolve(send(socket)).catch(reject)
    })
  } finally {
    socket.destroy()
  }
}

/** one whole message answering `request`, captured (first `capture` bytes), on a fresh connection */
export const captureAnswer = async (port: number, request: Buffer, capture: number, framing: Framing = binary): Promise<Buffer> =>
  (await exchange(port, framing, Math.max(capture, 1), (socket) => void socket.write(request))).captured!

/**
 * Retrieves the 256 MiB component once: the clock runs from writing the request to the arrival of the answer's last
 * byte. Returns seconds and wire bytes received.
 */
export const retrieveOnce = async (port: number, framing: Framing = binary): Promise<{ seconds: number; bytes: number }> => {
  const { bytes, data, seconds } = await exchange(port, framing, 0, (socket) => void socket.write(framing.retrieve))
  const wrong = framing.checkRetrieve(bytes, data)
  if (wrong !== undefined) throw new Error(`${framing.name} retrieve: ${wrong}`)
  return { seconds, bytes }
}

/**
 * Uploads `UPLOAD.size` bytes once with a DOIP v2.0 update (see `doip2UploadHead`), `UPLOAD.chunk` bytes a write,
 * waiting for 'drain' when `write` says so. The clock runs from the first write to the answer's last byte (the
 * server answers after it has stored and committed everything). Returns seconds, the request's wire bytes, and the
 * answer's first `capture` bytes.
 */
export const uploadOnce = async (
  port: number,
  capture = 0
): Promise<{ seconds: number; bytes: number; answer: Buffer | undefined }> => {
  const { captured, seconds } = await exchange(port, doip2, capture, async (socket) => {
    socket.write(doip2UploadHead)
    for (let left = UPLOAD.size / UPLOAD.chunk; left > 0 && !socket.destroyed; left--) {
      if (!socket.write(doip2UploadChunk)) await drained(socket)
    }
    if (!socket.destroyed) socket.write(doip2UploadTail)
  })
  return { seconds, bytes: doip2UploadSize, answer: captured }
}
