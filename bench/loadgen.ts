/**
 * The raw load generator: plain `node:net` sockets and the tiny `ResponseReader`, the same code against both servers.
 * Connections are opened before the clock starts, so the numbers are round trips, not connects.
 */
import * as Net from "node:net"
import { helloRequest, ResponseReader, retrieveAnswerSize, retrieveRequest } from "./wire.ts"

const RESPONSE = 0x02

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
const helloLoop = (socket: Net.Socket) => {
  let count = 0
  let deadline = 0
  let resolveDone!: (r: { count: number; end: number }) => void
  let rejectDone!: (e: Error) => void
  const done = new Promise<{ count: number; end: number }>((res, rej) => {
    resolveDone = res
    rejectDone = rej
  })
  const reader = new ResponseReader((msgType) => {
    if (msgType !== RESPONSE) return rejectDone(new Error(`hello answered with msgType 0x${msgType.toString(16)}`))
    count++
    const now = performance.now()
    if (now < deadline) socket.write(helloRequest)
    else resolveDone({ count, end: now })
  })
  socket.on("data", (chunk: Buffer) => reader.push(chunk))
  socket.once("error", rejectDone)
  socket.once("close", () => rejectDone(new Error("connection closed during the hello loop")))
  return {
    go: (until: number) => {
      deadline = until
      socket.write(helloRequest)
      return done
    }
  }
}

/** hello round trips per second over `connections` concurrent connections, each sequential, for `ms` */
export const helloLoad = async (port: number, connections: number, ms: number): Promise<number> => {
  const sockets = await Promise.all(Array.from({ length: connections }, () => connect(port)))
  try {
    const loops = sockets.map(helloLoop)
    const start = performance.now()
    const results = await Promise.all(loops.map((loop) => loop.go(start + ms)))
    const end = Math.max(...results.map((r) => r.end))
    return results.reduce((n, r) => n + r.count, 0) / ((end - start) / 1000)
  } finally {
    for (const socket of sockets) socket.destroy()
  }
}

/** one whole message answering `request`, captured (first `capture` bytes), on a fresh connection */
export const captureAnswer = async (port: number, request: Buffer, capture: number): Promise<Buffer> => {
  const socket = await connect(port)
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const reader = new ResponseReader((msgType, captured) => {
        if (msgType !== RESPONSE) reject(new Error(`answered with msgType 0x${msgType.toString(16)}: ${captured?.subarray(10).toString()}`))
        else resolve(captured!)
      }, capture)
      socket.on("data", (chunk: Buffer) => reader.push(chunk))
      socket.once("error", reject)
      socket.write(request)
    })
  } finally {
    socket.destroy()
  }
}

/**
 * Retrieves the 256 MiB component once: the clock runs from writing the request to the arrival of the answer's last
 * byte. Returns seconds and wire bytes received.
 */
export const retrieveOnce = async (port: number): Promise<{ seconds: number; bytes: number }> => {
  const socket = await connect(port)
  try {
    return await new Promise((resolve, reject) => {
      let bytes = 0
      let start = 0
      const reader = new ResponseReader((msgType) => {
        if (msgType !== RESPONSE) return reject(new Error(`retrieve answered with msgType 0x${msgType.toString(16)}`))
        const seconds = (performance.now() - start) / 1000
        if (bytes !== retrieveAnswerSize) return reject(new Error(`got ${bytes} bytes, expected ${retrieveAnswerSize}`))
        resolve({ seconds, bytes })
      })
      socket.on("data", (chunk: Buffer) => {
        bytes += chunk.length
        reader.push(chunk)
      })
      socket.once("error", reject)
      start = performance.now()
      socket.write(retrieveRequest)
    })
  } finally {
    socket.destroy()
  }
}
