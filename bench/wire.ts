/**
 * Bytes and readers shared by the wire benchmark's processes (the load generator, the bare server, the Effect
 * server, ours): the components ours is seeded with, the hand-written requests, the captured answers the twins
 * send, and two tiny answer readers, one per framing.
 *
 * Nothing here imports src/: the bare and Effect servers must share no code with ours, and the requests are written
 * out by hand. They are checked by use: ours answers each with success before anything is measured, or the
 * benchmark stops.
 *
 * The readers are deliberately dumb (binary: 10-byte header, then skip `objectIdLen + payloadLen` bytes; DOIP v2.0:
 * find the line ends, skip chunk data by its size line) so that the load generator costs the same, and as little as
 * possible, against every server: the comparison then measures the servers.
 */
import * as Fs from "node:fs"
import type * as Net from "node:net"

// -----------------------------------------------------------------------------
// what is stored and moved
// -----------------------------------------------------------------------------

/** an element of the object the benchmark reads and writes */
export interface Component {
  readonly objectId: string
  readonly componentId: string
  readonly mediaType: string
  readonly size: number
}

const KiB = 1024
const MiB = 1024 * KiB

const component = (componentId: string, size: number): Component => ({
  objectId: "Q1",
  componentId,
  mediaType: "application/octet-stream",
  size
})

/** answered whole from memory by the twins: the request/answer cost of a small retrieve */
export const SMALL = component("small.bin", 1 * KiB)
/** the big retrieves, which the bare server reads from ours' blob files */
export const MEDIUM = component("medium.bin", 16 * MiB)
export const BIG = component("big.bin", 256 * MiB)
export const HUGE = component("huge.bin", 1024 * MiB)
/** what ours is seeded with before it says it is ready */
export const SEEDED: ReadonlyArray<Component> = [SMALL, MEDIUM, BIG, HUGE]
/** the element every upload writes, beside the seeded ones (so the retrieves stay untouched) */
export const UPLOAD = component("upload.bin", 256 * MiB)

/** seed chunks, and the bare server's file reads: 1 MiB, as /work/shared/perf/bare_server.mjs reads */
export const CHUNK = 1 * MiB

/** the write credential ours is configured with (the twins check nothing) */
export const TOKEN = "bench-token-0123456789"

/** the service id DOIP v2.0 hello targets: our server's default `serviceId` */
export const SERVICE_ID = "effect-doip/service"

/** what a successful DOIP v2.0 answer's first segment says */
export const DOIP2_OK = "\"status\":\"0.DOIP/Status.001\""

// -----------------------------------------------------------------------------
// requests
// -----------------------------------------------------------------------------

/** a binary-envelope request with one metadata block */
const binaryRequest = (operation: number, objectId: string, metadata: Record<string, unknown>): Buffer => {
  const id = Buffer.from(objectId)
  const json = Buffer.from(JSON.stringify(metadata))
  const out = Buffer.alloc(10 + id.length + 5 + json.length)
  let o = 0
  o = out.writeUInt8(0x02, o) // version
  o = out.writeUInt8(0x01, o) // msgType request
  o = out.writeUInt8(operation, o)
  o = out.writeUInt8(0x00, o) // flags
  o = out.writeUInt16BE(id.length, o)
  o = out.writeUInt32BE(5 + json.length, o) // payload: one metadata block
  o += id.copy(out, o)
  o = out.writeUInt8(0x01, o) // block type metadata
  o = out.writeUInt32BE(json.length, o)
  json.copy(out, o)
  return out
}

export const OP_HELLO = 0x01
export const OP_RETRIEVE = 0x02

/** hello, as the upstream client sends it */
export const helloRequest: Buffer = binaryRequest(OP_HELLO, "", { operation: "hello" })

/** retrieve with element: answered with one component block */
export const retrieveRequest = (c: Component): Buffer =>
  binaryRequest(OP_RETRIEVE, c.objectId, { operation: "retrieve", element: c.componentId })

/**
 * DOIP v2.0 requests take a `requestId` (the load generator numbers them, as /work/shared/perf/loadgen2.mjs does,
 * so that pipelined requests are told apart by a server that checks).
 */
export const doip2HelloRequest = (requestId: string): string =>
  `{"requestId":"${requestId}","targetId":"${SERVICE_ID}","operationId":"0.DOIP/Op.Hello"}\n#\n#\n`

export const doip2RetrieveRequest = (c: Component) => (requestId: string): string =>
  `{"requestId":"${requestId}","targetId":"${c.objectId}","operationId":"0.DOIP/Op.Retrieve",` +
  `"attributes":{"element":"${c.componentId}"}}\n#\n#\n`

/** the end of a DOIP v2.0 request: its last segment's `#` line, then the empty segment's */
export const DOIP2_END = Buffer.from("\n#\n#\n")

/**
 * Which of `components` a retrieve request names (`"element":"<id>"` in its bytes), without parsing it: the twins'
 * whole understanding of a retrieve.
 */
export const requestedElement = <C extends { readonly componentId: string }>(
  request: Buffer,
  components: ReadonlyArray<C>
): C | undefined => components.find((c) => request.includes(`"element":"${c.componentId}"`))

// -----------------------------------------------------------------------------
// captured answers: what the twins send
// -----------------------------------------------------------------------------

/** one component the bare server streams: ours' answer head on each wire, then the blob file's bytes */
export interface FileAnswer {
  readonly componentId: string
  readonly size: number
  /** ours' blob file of this component */
  readonly path: string
  /** everything of ours' answer before the content */
  readonly binaryHead: Buffer
  /** ours' first segment and the `@` line that opens the bytes segment */
  readonly doip2Head: Buffer
}

/** ours' answers, captured before anything is measured; the twins answer with these exact bytes */
export interface Answers {
  readonly hello: { readonly binary: Buffer; readonly doip2: Buffer }
  /** the whole answers to a retrieve of `SMALL` */
  readonly small: { readonly binary: Buffer; readonly doip2: Buffer }
  readonly files: ReadonlyArray<FileAnswer>
}

const b64 = (b: Buffer) => b.toString("base64")
const unb64 = (s: string) => Buffer.from(s, "base64")

export const saveAnswers = (path: string, a: Answers): void =>
  Fs.writeFileSync(path, JSON.stringify({
    hello: { binary: b64(a.hello.binary), doip2: b64(a.hello.doip2) },
    small: { binary: b64(a.small.binary), doip2: b64(a.small.doip2) },
    files: a.files.map((f) => ({ ...f, binaryHead: b64(f.binaryHead), doip2Head: b64(f.doip2Head) }))
  }))

export const loadAnswers = (path: string): Answers => {
  const raw = JSON.parse(Fs.readFileSync(path, "utf8"))
  return {
    hello: { binary: unb64(raw.hello.binary), doip2: unb64(raw.hello.doip2) },
    small: { binary: unb64(raw.small.binary), doip2: unb64(raw.small.doip2) },
    files: raw.files.map((f: Record<string, unknown>) => ({
      ...f,
      binaryHead: unb64(f["binaryHead"] as string),
      doip2Head: unb64(f["doip2Head"] as string)
    }))
  }
}

// -----------------------------------------------------------------------------
// readers
// -----------------------------------------------------------------------------

/**
 * Splits a byte stream of binary-envelope messages: reads the 10-byte header, then skips `objectIdLen + payloadLen`
 * bytes. Calls `onMessage` with the message's msgType and wire size when it is complete; with `capture > 0`, with
 * its first `capture` bytes too.
 */
export class ResponseReader {
  private readonly header = Buffer.alloc(10)
  private have = 0
  private skip = 0
  private size = 0
  private msgType = 0
  private readonly capture: Capture
  private readonly onMessage: (msgType: number, size: number, captured: Buffer | undefined) => void

  constructor(onMessage: (msgType: number, size: number, captured: Buffer | undefined) => void, capture = 0) {
    this.onMessage = onMessage
    this.capture = new Capture(capture)
  }

  push(chunk: Buffer): void {
    let i = 0
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i)
        this.capture.keep(chunk, i, n)
        i += n
        this.skip -= n
        if (this.skip === 0) this.complete()
        continue
      }
      // the header may straddle chunks: gather it
      const n = Math.min(10 - this.have, chunk.length - i)
      chunk.copy(this.header, this.have, i, i + n)
      this.capture.keep(chunk, i, n)
      this.have += n
      i += n
      if (this.have === 10) {
        this.have = 0
        this.msgType = this.header[1]!
        this.skip = this.header.readUInt16BE(4) + this.header.readUInt32BE(6)
        this.size = 10 + this.skip
        if (this.skip === 0) this.complete()
      }
    }
  }

  private complete() {
    this.onMessage(this.msgType, this.size, this.capture.take())
  }
}

/** keeps the first `limit` bytes of a message (nothing at all when `limit` is 0) */
class Capture {
  private parts: Array<Buffer> = []
  private length = 0
  private readonly limit: number

  constructor(limit: number) {
    this.limit = limit
  }

  keep(chunk: Buffer, start: number, n: number): void {
    if (n <= 0 || this.length >= this.limit) return
    const take = Math.min(n, this.limit - this.length)
    this.parts.push(Buffer.from(chunk.subarray(start, start + take)))
    this.length += take
  }

  /** what was kept of the message that just ended, and a fresh start for the next one */
  take(): Buffer | undefined {
    if (this.limit === 0) return undefined
    const captured = Buffer.concat(this.parts)
    this.parts = []
    this.length = 0
    return captured
  }
}

/** resolves on 'drain', or when the socket is gone (then the caller stops writing) */
export const drained = (socket: Net.Socket): Promise<void> =>
  new Promise<void>((resolve) => {
    const done = () => {
      socket.off("drain", done)
      socket.off("close", done)
      resolve()
    }
    socket.on("drain", done)
    socket.on("close", done)
  })

const NL = 0x0a
const CR = 0x0d
const HASH = 0x23
const AT = 0x40
const ZERO = 0x30
const NINE = 0x39

/** what the reader is inside of */
const SEGMENT = 0 // at the first byte of a segment: `#` ends the message, `@` opens bytes, anything else is JSON
const JSON_TEXT = 1 // JSON text: it ends at a `#` right after a `\n`
const LINE = 2 // the rest of a line, up to its `\n`; then `next`
const SIZE = 3 // a chunk's size line, or the `#` that ends the bytes segment
const DATA = 4 // `left` bytes of chunk data

/** how many first bytes of every message `SegmentReader` shows without allocating (enough for a first segment's status) */
const HEAD_WINDOW = 256

/**
 * Splits a byte stream of DOIP v2.0 messages: finds line ends with `indexOf`, skips chunk data by its size line and
 * never buffers it. Calls `onMessage` at the end of each message with `head` (its first bytes, at most 256: a view
 * valid only during the call), `captured` (its first `capture` bytes, when `capture > 0`) and `data` (the bytes of
 * all its bytes segments' chunks).
 */
export class SegmentReader {
  private state = SEGMENT
  private next = SEGMENT
  /** the line being skipped is the `#` that ends the message */
  private endsMessage = false
  private afterNewline = false
  /** SIZE: the digits so far; DATA: the bytes left */
  private left = 0
  private data = 0
  private readonly head = Buffer.alloc(HEAD_WINDOW)
  private headLength = 0
  private readonly capture: Capture
  private readonly onMessage: (head: Buffer, captured: Buffer | undefined, data: number) => void

  constructor(onMessage: (head: Buffer, captured: Buffer | undefined, data: number) => void, capture = 0) {
    this.onMessage = onMessage
    this.capture = new Capture(capture)
  }

  push(chunk: Buffer): void {
    let i = 0
    while (i < chunk.length) {
      const start = i
      let ended = false
      switch (this.state) {
        case SEGMENT: {
          const byte = chunk[i]!
          if (byte === HASH || byte === AT) {
            this.skipLine(byte === AT ? SIZE : SEGMENT, byte === HASH)
            i++
          } else {
            this.state = JSON_TEXT
            this.afterNewline = false
          }
          break
        }
        case JSON_TEXT: {
          if (this.afterNewline && chunk[i] === HASH) {
            this.skipLine(SEGMENT, false)
            i++
            break
          }
          const nl = chunk.indexOf(NL, i)
          this.afterNewline = nl >= 0
          i = nl >= 0 ? nl + 1 : chunk.length
          break
        }
        case LINE: {
          const nl = chunk.indexOf(NL, i)
          if (nl < 0) {
            i = chunk.length
            break
          }
          i = nl + 1
          this.state = this.next
          this.left = 0
          ended = this.endsMessage
          break
        }
        case SIZE: {
          const byte = chunk[i++]!
          if (byte >= ZERO && byte <= NINE) this.left = this.left * 10 + byte - ZERO
          else if (byte === HASH && this.left === 0) this.skipLine(SEGMENT, false)
          else if (byte === NL && this.left > 0) this.state = DATA
          else if (byte !== CR) throw new Error(`DOIP v2.0: unexpected byte 0x${byte.toString(16)} in a chunk size line`)
          break
        }
        case DATA: {
          const n = Math.min(this.left, chunk.length - i)
          i += n
          this.left -= n
          this.data += n
          if (this.left === 0) this.skipLine(SIZE, false) // the `\n` after the data
          break
        }
      }
      this.took(chunk, start, i)
      if (ended) this.complete()
    }
  }

  private skipLine(next: number, endsMessage: boolean) {
    this.state = LINE
    this.next = next
    this.endsMessage = endsMessage
  }

  private took(chunk: Buffer, start: number, end: number) {
    if (this.headLength < HEAD_WINDOW && end > start) {
      this.headLength += chunk.copy(this.head, this.headLength, start, end)
    }
    this.capture.keep(chunk, start, end - start)
  }

  private complete() {
    const data = this.data
    this.data = 0
    const headLength = this.headLength
    this.headLength = 0
    this.onMessage(this.head.subarray(0, headLength), this.capture.take(), data)
  }
}
