/**
 * The ceiling: a bare `node:net` server that answers the same bytes as ours, with no Effect, no storage, no parsing
 * beyond finding where a request ends.
 * `node bench/server-bare.ts <port> <hello answer> <DOIP v2.0 hello answer> <DOIP v2.0 update answer>` (answers in
 * base64, captured from ours by run.ts). Like ours, it listens on `port` (binary) and `port + 1` (DOIP v2.0), both
 * on free ports when `port` is 0.
 *
 * Binary (10-byte header, then `objectIdLen + payloadLen` bytes):
 * - hello (operation 0x01): writes the captured hello answer.
 * - retrieve (operation 0x02): writes the precomputed answer head (envelope header + component block header), then
 *   256 MiB from one preallocated 64 KiB buffer, slice by slice, waiting for 'drain' when `write` says so, as our
 *   server's writer does.
 *
 * DOIP v2.0 (`SegmentReader`: line ends, chunk sizes; the operation is looked up in the first bytes of the request):
 * - `0.DOIP/Op.Hello`: writes the captured hello answer.
 * - `0.DOIP/Op.Retrieve`: the precomputed first segment and `@`, then the same 256 MiB as 64 KiB chunks, each one
 *   preallocated buffer holding the data and the framing after it (`\n` and the next size line, or the ends).
 * - `0.DOIP/Op.Update`: reads and drops the chunks, then writes the captured update answer.
 *
 * Requests on a connection are answered strictly in order, like ours. Prints "ready <port> <DOIP v2.0 port>" once
 * listening.
 */
import { once } from "node:events"
import * as Net from "node:net"
import { BIG, CHUNK, doip2RetrieveAnswerHead, drained, retrieveAnswerHead, SegmentReader } from "./wire.ts"

const port = Number(process.argv[2])
const [helloAnswer, doip2HelloAnswer, doip2UpdateAnswer] = process.argv.slice(3, 6).map((arg) => Buffer.from(arg, "base64"))
if (!Number.isInteger(port) || port < 0 || port > 65534 || !helloAnswer || !doip2HelloAnswer || !doip2UpdateAnswer) {
  console.error("usage: node bench/server-bare.ts <port> <hello answer> <DOIP v2.0 hello answer> <DOIP v2.0 update answer>")
  process.exit(2)
}
if (BIG.size % CHUNK !== 0) throw new Error("the DOIP v2.0 retrieve below assumes whole chunks")

const head = retrieveAnswerHead()
const slice = Buffer.alloc(CHUNK, 0xab) // never mutated, so writing it again before it is flushed is safe

/** a request's answer: written at once, or streamed (then later requests wait for it) */
type Answer = (socket: Net.Socket) => void | Promise<void>

/** answers queued requests strictly in order; `push` a request's answer when the request is complete */
const inOrder = (socket: Net.Socket) => {
  const queue: Array<Answer> = []
  let busy = false
  const pump = async () => {
    busy = true
    for (let answer = queue.shift(); answer !== undefined; answer = queue.shift()) {
      const streaming = answer(socket)
      if (streaming !== undefined) await streaming
    }
    busy = false
  }
  return (answer: Answer) => {
    queue.push(answer)
    if (!busy) void pump()
  }
}

const listen = async (onConnection: (socket: Net.Socket) => void, at: number): Promise<number> => {
  const server = Net.createServer((socket) => {
    socket.on("error", () => {}) // a client resetting the connection is not our problem
    onConnection(socket)
  })
  server.listen(at, "127.0.0.1")
  await once(server, "listening")
  return (server.address() as Net.AddressInfo).port
}

// -----------------------------------------------------------------------------
// binary
// -----------------------------------------------------------------------------

const sendHello: Answer = (socket) => void socket.write(helloAnswer)

const sendBig: Answer = async (socket) => {
  socket.write(head)
  let left = BIG.size
  while (left > 0 && !socket.destroyed) {
    const n = Math.min(left, CHUNK)
    left -= n
    if (!socket.write(n === CHUNK ? slice : slice.subarray(0, n))) await drained(socket)
  }
}

const binaryConnection = (socket: Net.Socket) => {
  const answer = inOrder(socket)
  let pending: Buffer = Buffer.alloc(0)
  socket.on("data", (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    while (pending.length >= 10) {
      const total = 10 + pending.readUInt16BE(4) + pending.readUInt32BE(6)
      if (pending.length < total) break
      const operation = pending[2]
      pending = pending.subarray(total)
      if (operation === 0x01) answer(sendHello)
      else if (operation === 0x02) answer(sendBig)
      else return socket.destroy()
    }
  })
}

// -----------------------------------------------------------------------------
// DOIP v2.0
// -----------------------------------------------------------------------------

const sizeLine = `${CHUNK}\n`
const doip2First = Buffer.concat([doip2RetrieveAnswerHead, Buffer.from(sizeLine)])
const doip2Middle = Buffer.concat([slice, Buffer.from(`\n${sizeLine}`)])
const doip2Last = Buffer.concat([slice, Buffer.from("\n#\n#\n")])

const sendBig2: Answer = async (socket) => {
  socket.write(doip2First)
  for (let left = BIG.size / CHUNK; left > 0 && !socket.destroyed; left--) {
    if (!socket.write(left === 1 ? doip2Last : doip2Middle)) await drained(socket)
  }
}

const operations: ReadonlyArray<readonly [Buffer, Answer]> = [
  [Buffer.from("\"0.DOIP/Op.Hello\""), (socket) => void socket.write(doip2HelloAnswer)],
  [Buffer.from("\"0.DOIP/Op.Retrieve\""), sendBig2],
  [Buffer.from("\"0.DOIP/Op.Update\""), (socket) => void socket.write(doip2UpdateAnswer)]
]

const doip2Connection = (socket: Net.Socket) => {
  const answer = inOrder(socket)
  const reader = new SegmentReader((first) => {
    const found = operations.find(([operationId]) => first.includes(operationId))
    if (found === undefined) socket.destroy()
    else answer(found[1])
  })
  socket.on("data", (chunk: Buffer) => reader.push(chunk))
}

const binaryPort = await listen(binaryConnection, port)
const doip2Port = await listen(doip2Connection, port === 0 ? 0 : port + 1)
console.log(`ready ${binaryPort} ${doip2Port}`)
