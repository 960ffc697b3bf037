/**
 * The ceiling: a bare `node:net` server that answers the same bytes as ours, with no Effect, no storage, no parsing
 * beyond the 10-byte header. `node bench/server-bare.ts <port> <hello answer, base64>`.
 *
 * - hello (operation 0x01): writes the hello answer our server sent, captured once by run.ts.
 * - retrieve (operation 0x02): writes the precomputed answer head (envelope header + component block header), then
 *   256 MiB from one preallocated 64 KiB buffer, slice by slice, waiting for 'drain' when `write` says so, as our
 *   server's writer does.
 *
 * Requests on a connection are answered strictly in order, like ours. Prints "ready" once listening.
 */
import * as Net from "node:net"
import { BIG, CHUNK, retrieveAnswerHead } from "./wire.ts"

const port = Number(process.argv[2])
const helloAnswer = Buffer.from(process.argv[3] ?? "", "base64")
if (!Number.isInteger(port) || port <= 0 || helloAnswer.length < 10) {
  console.error("usage: node bench/server-bare.ts <port> <hello answer as base64>")
  process.exit(2)
}

const head = retrieveAnswerHead()
const slice = Buffer.alloc(CHUNK, 0xab) // never mutated, so writing it again before it is flushed is safe

/** resolves on 'drain', or when the socket is gone (then the caller stops writing) */
const drained = (socket: Net.Socket) =>
  new Promise<void>((resolve) => {
    const done = () => {
      socket.off("drain", done)
      socket.off("close", done)
      resolve()
    }
    socket.on("drain", done)
    socket.on("close", done)
  })

const sendBig = async (socket: Net.Socket) => {
  socket.write(head)
  let left = BIG.size
  while (left > 0 && !socket.destroyed) {
    const n = Math.min(left, CHUNK)
    left -= n
    if (!socket.write(n === CHUNK ? slice : slice.subarray(0, n))) await drained(socket)
  }
}

const server = Net.createServer((socket) => {
  let pending: Buffer = Buffer.alloc(0)
  let busy = false

  // answers every complete request in the buffer, in order; a retrieve suspends the loop while it streams
  const pump = async () => {
    busy = true
    while (pending.length >= 10) {
      const total = 10 + pending.readUInt16BE(4) + pending.readUInt32BE(6)
      if (pending.length < total) break
      const operation = pending[2]
      pending = pending.subarray(total)
      if (operation === 0x01) socket.write(helloAnswer)
      else if (operation === 0x02) await sendBig(socket)
      else {
        socket.destroy()
        break
      }
    }
    busy = false
  }

  socket.on("data", (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    if (!busy) void pump()
  })
  socket.on("error", () => {}) // a client resetting the connection is not our problem
})

server.listen(port, "127.0.0.1", () => console.log("ready"))
