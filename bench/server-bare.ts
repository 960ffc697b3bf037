/**
 * The ceiling: a bare `node:net` server answering with ours' own captured bytes, with no Effect, no storage and no
 * parsing beyond finding where a request ends (the servers of /work/shared/perf, bare_server.mjs and
 * bare_server2.mjs, made one process serving both wires).
 * `node bench/server-bare.ts <port> <answers.json>` (see wire.ts `Answers`); binary on `port`, DOIP v2.0 on
 * `port + 1`, both on free ports when `port` is 0. Prints "ready <port> <DOIP v2.0 port>" once listening.
 *
 * - hello: ours' captured answer (DOIP v2.0: every message that is not a retrieve, as bare_server2.mjs answers all;
 *   like it, the captured requestId is not replaced by the request's).
 * - retrieve of `SMALL`: ours' captured whole answer.
 * - retrieve of a seeded file component: ours' captured answer head, then ours' blob file read in 1 MiB chunks into
 *   two reused buffers (disk cache to socket: the work a real retrieve must do), each written after the previous
 *   was taken by the kernel; DOIP v2.0 frames each chunk with its size line.
 *
 * Answers on a connection go out in order; the answers to all requests completed by one read go out in one write.
 */
import { once } from "node:events"
import * as Fs from "node:fs"
import * as Net from "node:net"
import {
  type Answers,
  CHUNK,
  DOIP2_END,
  drained,
  type FileAnswer,
  loadAnswers,
  OP_HELLO,
  requestedElement,
  SMALL
} from "./wire.ts"

const port = Number(process.argv[2])
if (!Number.isInteger(port) || port < 0 || port > 65534 || process.argv[3] === undefined) {
  console.error("usage: node bench/server-bare.ts <port> <answers.json>")
  process.exit(2)
}
const answers: Answers = loadAnswers(process.argv[3])

/** a request's answer: bytes written at once, or a stream (later answers wait for it) */
type Answer = Buffer | ((socket: Net.Socket) => Promise<void>)

/**
 * Keeps a connection's answers in order: whole answers gather into one write per read (`flush`), a stream takes the
 * socket until it ends.
 */
const answerQueue = (socket: Net.Socket) => {
  let batch: Array<Buffer> = []
  let streaming: Promise<void> | undefined
  const after = (f: () => void | Promise<void>) => {
    const next = (streaming ?? Promise.resolve()).then(f).catch(() => void socket.destroy())
    streaming = next
    void next.finally(() => {
      if (streaming === next) streaming = undefined
    })
  }
  const flush = () => {
    if (batch.length === 0) return
    const bytes = batch.length === 1 ? batch[0]! : Buffer.concat(batch)
    batch = []
    if (streaming === undefined) socket.write(bytes)
    else after(() => void socket.write(bytes))
  }
  return {
    push: (answer: Answer) => {
      if (Buffer.isBuffer(answer)) return void batch.push(answer)
      flush()
      after(() => answer(socket))
    },
    flush
  }
}

/**
 * Streams `file`'s blob after `head`: 1 MiB reads into two buffers used in turn. A buffer is read into again only
 * after the write of the other one (1 MiB, above the socket's high-water mark) returned without asking to wait, or
 * after 'drain': by then the kernel has taken all of it.
 */
const sendFile = (file: FileAnswer, doip2: boolean) => async (socket: Net.Socket) => {
  socket.write(doip2 ? file.doip2Head : file.binaryHead)
  const buffers = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)]
  const handle = await Fs.promises.open(file.path, "r")
  try {
    for (let position = 0, k = 0; position < file.size && !socket.destroyed; k ^= 1) {
      const buffer = buffers[k]!
      const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK, file.size - position), position)
      if (bytesRead === 0) throw new Error(`${file.path} is shorter than ${file.size} bytes`)
      position += bytesRead
      const data = bytesRead === CHUNK ? buffer : buffer.subarray(0, bytesRead)
      if (doip2) socket.write(`${bytesRead}\n`)
      socket.write(data)
      if (doip2) socket.write(position < file.size ? "\n" : "\n#\n#\n")
      if (socket.writableNeedDrain) await drained(socket)
    }
  } finally {
    await handle.close()
  }
}

const retrieveAnswer = (request: Buffer, doip2: boolean): Answer => {
  if (requestedElement(request, [SMALL]) !== undefined) return doip2 ? answers.small.doip2 : answers.small.binary
  const file = requestedElement(request, answers.files)
  if (file === undefined) throw new Error("a retrieve of an element the bare server does not have")
  return sendFile(file, doip2)
}

/** binary: 10-byte header, then `objectIdLen + payloadLen` bytes; the operation is the header's third byte */
const binaryConnection = (socket: Net.Socket) => {
  const queue = answerQueue(socket)
  let pending: Buffer = Buffer.alloc(0)
  socket.on("data", (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    while (pending.length >= 10) {
      const total = 10 + pending.readUInt16BE(4) + pending.readUInt32BE(6)
      if (pending.length < total) break
      const request = pending.subarray(0, total)
      pending = pending.subarray(total)
      queue.push(request[2] === OP_HELLO ? answers.hello.binary : retrieveAnswer(request, false))
    }
    queue.flush()
  })
}

/** DOIP v2.0: a request ends at "\n#\n#\n" (no request here carries bytes); a retrieve names its operation */
const doip2Connection = (socket: Net.Socket) => {
  const queue = answerQueue(socket)
  let pending: Buffer = Buffer.alloc(0)
  socket.on("data", (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk])
    for (let end = pending.indexOf(DOIP2_END); end >= 0; end = pending.indexOf(DOIP2_END)) {
      const request = pending.subarray(0, end)
      pending = pending.subarray(end + DOIP2_END.length)
      queue.push(request.includes("Op.Retrieve") ? retrieveAnswer(request, true) : answers.hello.doip2)
    }
    queue.flush()
  })
}

const listen = async (onConnection: (socket: Net.Socket) => void, at: number): Promise<number> => {
  const server = Net.createServer((socket) => {
    socket.setNoDelay(true)
    socket.on("error", () => {}) // a client resetting the connection is not the server's problem
    onConnection(socket)
  })
  server.listen(at, "127.0.0.1")
  await once(server, "listening")
  return (server.address() as Net.AddressInfo).port
}

const binaryPort = await listen(binaryConnection, port)
const doip2Port = await listen(doip2Connection, port === 0 ? 0 : port + 1)
console.log(`ready ${binaryPort} ${doip2Port}`)
// a clean exit on SIGTERM, so that a `--cpu-prof` run writes its profile (see wire-bench.ts, BENCH_PROFILE)
process.once("SIGTERM", () => process.exit(0))
