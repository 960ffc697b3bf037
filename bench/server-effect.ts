/**
 * The Effect ceiling: the bare server's work done with Effect 4's own socket primitives (`NodeSocketServer`,
 * `socket.reader`'s `pull`, one `writer.writeAll` per batch of answers), on the model of
 * /work/shared/perf/effect_hello.ts. It shows what Effect itself costs beside bare `node:net`, so that what ours
 * costs beyond it is ours.
 * `node bench/server-effect.ts <port> <answers.json>` (see wire.ts `Answers`); binary on `port`, DOIP v2.0 on
 * `port + 1`, both on free ports when `port` is 0. Prints "ready <port> <DOIP v2.0 port>" once listening.
 *
 * It answers what server-bare.ts answers from memory, with the same bytes and the same request handling: hello
 * (DOIP v2.0: any message that is not a retrieve; the captured requestId is kept, as the bare server keeps it) and
 * the retrieve of `SMALL`. It streams no files: a retrieve of anything else closes the connection.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeSocketServer from "@effect/platform-node/NodeSocketServer"
import * as Effect from "effect/Effect"
import * as NetAddress from "effect/net/NetAddress"
import type * as Socket from "effect/socket/Socket"
import { type Answers, DOIP2_END, loadAnswers, OP_HELLO, requestedElement, SMALL } from "./wire.ts"

const port = Number(process.argv[2])
if (!Number.isInteger(port) || port < 0 || port > 65534 || process.argv[3] === undefined) {
  console.error("usage: node bench/server-effect.ts <port> <answers.json>")
  process.exit(2)
}
const answers: Answers = loadAnswers(process.argv[3])

class UnknownElement extends Error {}

const retrieveAnswer = (request: Buffer, doip2: boolean): Buffer => {
  if (requestedElement(request, [SMALL]) === undefined) throw new UnknownElement("the Effect server only has SMALL")
  return doip2 ? answers.small.doip2 : answers.small.binary
}

/** the complete requests at the front of `pending`, answered; what is left of `pending` */
type Splitter = (pending: Buffer, answers: Array<Buffer>) => Buffer

/** binary: 10-byte header, then `objectIdLen + payloadLen` bytes; the operation is the header's third byte */
const binaryRequests: Splitter = (pending, out) => {
  while (pending.length >= 10) {
    const total = 10 + pending.readUInt16BE(4) + pending.readUInt32BE(6)
    if (pending.length < total) break
    const request = pending.subarray(0, total)
    pending = pending.subarray(total)
    out.push(request[2] === OP_HELLO ? answers.hello.binary : retrieveAnswer(request, false))
  }
  return pending
}

/** DOIP v2.0: a request ends at "\n#\n#\n"; a retrieve names its operation */
const doip2Requests: Splitter = (pending, out) => {
  for (let end = pending.indexOf(DOIP2_END); end >= 0; end = pending.indexOf(DOIP2_END)) {
    const request = pending.subarray(0, end)
    pending = pending.subarray(end + DOIP2_END.length)
    out.push(request.includes("Op.Retrieve") ? retrieveAnswer(request, true) : answers.hello.doip2)
  }
  return pending
}

const asBuffer = (chunk: Uint8Array): Buffer =>
  Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)

/** a connection's loop: pull a batch, answer every request it completes with one `writeAll` */
const connection = (split: Splitter) => (socket: Socket.Socket) =>
  Effect.scoped(Effect.gen(function*() {
    const { pull } = yield* socket.reader
    const writer = yield* socket.writer
    let pending: Buffer = Buffer.alloc(0)
    for (;;) {
      const batch = yield* pull
      for (const chunk of batch) {
        const bytes = asBuffer(typeof chunk === "string" ? Buffer.from(chunk) : chunk)
        pending = pending.length === 0 ? bytes : Buffer.concat([pending, bytes])
      }
      const out: Array<Buffer> = []
      pending = yield* Effect.try(() => split(pending, out))
      if (out.length > 0) yield* writer.writeAll(out as [Buffer, ...Array<Buffer>])
    }
  })).pipe(Effect.ignore)

/** listens on `at` and serves every connection with `split` for as long as the program runs; the bound port */
const listen = (at: number, split: Splitter) =>
  Effect.gen(function*() {
    const server = yield* NodeSocketServer.make({ host: "127.0.0.1", port: at })
    yield* Effect.forkScoped(server.run(connection(split)))
    return NetAddress.isInetAddress(server.address) ? server.address.port : at
  })

const program = Effect.gen(function*() {
  const binaryPort = yield* listen(port, binaryRequests)
  const doip2Port = yield* listen(port === 0 ? 0 : port + 1, doip2Requests)
  console.log(`ready ${binaryPort} ${doip2Port}`)
  return yield* Effect.never
})

NodeRuntime.runMain(Effect.scoped(program))
