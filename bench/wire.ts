/**
 * Bytes shared by the benchmark's processes: the requests the load generator sends, the precomputed answer heads the
 * bare server sends, and two tiny readers, one per framing.
 *
 * The readers are deliberately dumb (binary: 10-byte header, then skip `objectIdLen + payloadLen` bytes; DOIP v2.0:
 * find the line ends, skip chunk data by its size line) so that the load generator costs the same, and as little as
 * possible, against both servers: the comparison then measures the servers.
 *
 * Nothing here imports src/: the bytes are written out by hand, and run.ts checks them against our own encoders.
 */
import type * as Net from "node:net"

/** the component every retrieve run fetches */
export const BIG = {
  objectId: "Q1",
  componentId: "big.bin",
  mediaType: "application/octet-stream",
  size: 256 * 1024 * 1024
} as const

/** content chunk size: the seed's chunks and the bare server's write slices */
export const CHUNK = 64 * 1024

/**
 * A request with one metadata block. Hand-written (no import of src/) so that the bare server loads nothing but
 * node:net; a wrong byte would show up as an error answer (msgType 0x7F), which the load generator rejects.
 */
const request = (operation: number, objectId: string, metadata: Record<string, unknown>): Buffer => {
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

/** hello, as the upstream client sends it */
export const helloRequest: Buffer = request(0x01, "", { operation: "hello" })

/** retrieve with element: answered with one component block holding `BIG.size` bytes */
export const retrieveRequest: Buffer = request(0x02, BIG.objectId, { operation: "retrieve", element: BIG.componentId })

/**
 * Everything of the retrieve answer before the content: envelope header, object id, component block header.
 * Written out by hand (not with `Envelope.encode`) so the bare server shares no code with ours; `run.ts` checks that
 * it equals the bytes our server actually sends.
 */
export const retrieveAnswerHead = (): Buffer => {
  const objectId = Buffer.from(BIG.objectId)
  const componentId = Buffer.from(BIG.componentId)
  const mediaType = Buffer.from(BIG.mediaType)
  const componentFixed = 2 + componentId.length + 2 + mediaType.length + 4
  const blockBody = componentFixed + BIG.size
  const payload = 5 + blockBody
  const out = Buffer.alloc(10 + objectId.length + 5 + componentFixed)
  let o = 0
  o = out.writeUInt8(0x02, o) // version
  o = out.writeUInt8(0x02, o) // msgType response
  o = out.writeUInt8(0x02, o) // operation retrieve
  o = out.writeUInt8(0x00, o) // flags
  o = out.writeUInt16BE(objectId.length, o)
  o = out.writeUInt32BE(payload, o)
  o += objectId.copy(out, o)
  o = out.writeUInt8(0x02, o) // block type component
  o = out.writeUInt32BE(blockBody, o)
  o = out.writeUInt16BE(componentId.length, o)
  o += componentId.copy(out, o)
  o = out.writeUInt16BE(mediaType.length, o)
  o += mediaType.copy(out, o)
  out.writeUInt32BE(BIG.size, o)
  return out
}

/** total bytes of the retrieve answer on the wire */
export const retrieveAnswerSize = retrieveAnswerHead().length + BIG.size

/**
 * Splits a byte stream into messages: reads the 10-byte header, then skips `objectIdLen + payloadLen` bytes
 * (the object id is not counted in `payloadLen`). Calls `onMessage` with the message's msgType when it is complete.
 * With `capture > 0`, the first `capture` bytes of each message are kept (for checks outside the timed loops).
 */
export class ResponseReader {
  private readonly header = Buffer.alloc(10)
  private have = 0
  private skip = 0
  private msgType = 0
  private readonly capture: Capture
  private readonly onMessage: (msgType: number, captured: Buffer | undefined) => void

  constructor(onMessage: (msgType: number, captured: Buffer | undefined) => void, capture = 0) {
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
        if (this.skip === 0) this.complete()
      }
    }
  }

  private complete() {
    this.onMessage(this.msgType, this.capture.take())
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

// -----------------------------------------------------------------------------
// DOIP v2.0 segments (PROTOCOL.md §2), on the listener at port + 1
// -----------------------------------------------------------------------------

/** the service id hello targets: our server's default `serviceId` */
export const SERVICE_ID = "effect-doip/service"

/** the write credential our bench server is configured with (the bare server checks nothing) */
export const TOKEN = "bench-token-0123456789"

/** the element every upload run writes, next to `BIG` in the same object (so the retrieves stay untouched) */
export const UPLOAD = {
  componentId: "upload.bin",
  size: 256 * 1024 * 1024,
  /** bytes per chunk of the upload's bytes segment */
  chunk: 1024 * 1024
} as const

/** what a successful answer's first segment says */
export const DOIP2_OK = "\"status\":\"0.DOIP/Status.001\""

const segment = (value: unknown) => `${JSON.stringify(value)}\n#\n`
const END = "#\n"

/** hello, one request per message, as CNRI's client writes it */
export const doip2HelloRequest: Buffer = Buffer.from(
  segment({ requestId: "h", targetId: SERVICE_ID, operationId: "0.DOIP/Op.Hello" }) + END
)

/** retrieve with element: answered with one bytes segment holding `BIG.size` bytes */
export const doip2RetrieveRequest: Buffer = Buffer.from(
  segment({
    requestId: "r",
    targetId: BIG.objectId,
    operationId: "0.DOIP/Op.Retrieve",
    attributes: { element: BIG.componentId }
  }) + END
)

/** the retrieve answer before its first chunk: the first segment (status, element attributes), then `@` */
export const doip2RetrieveAnswerHead: Buffer = Buffer.from(
  segment({
    requestId: "r",
    status: "0.DOIP/Status.001",
    attributes: { filename: BIG.componentId, mediaType: BIG.mediaType, length: BIG.size }
  }) + "@\n"
)

/**
 * An update in the DOIP v2.0 shape, up to its bytes: the request segment with the token, the input object (no
 * `elements` list, so the object's other components stay), the element's `{"id","type"}`, then `@` opening the
 * bytes segment. `UPLOAD.size / UPLOAD.chunk` times `doip2UploadChunk` follow, then `doip2UploadTail`.
 */
export const doip2UploadHead: Buffer = Buffer.from(
  segment({
    requestId: "u",
    targetId: BIG.objectId,
    operationId: "0.DOIP/Op.Update",
    authentication: { token: TOKEN }
  }) +
    segment({ id: BIG.objectId }) +
    segment({ id: UPLOAD.componentId, type: BIG.mediaType }) +
    "@\n"
)

/** one chunk of the upload: size line, data, the newline after it (written again and again, never mutated) */
export const doip2UploadChunk: Buffer = Buffer.concat([
  Buffer.from(`${UPLOAD.chunk}\n`),
  Buffer.alloc(UPLOAD.chunk, 0xcd),
  Buffer.from("\n")
])

/** the end of the bytes segment, then the end of the message */
export const doip2UploadTail: Buffer = Buffer.from(END + END)

/** total bytes of the upload request on the wire */
export const doip2UploadSize = doip2UploadHead.length + (UPLOAD.size / UPLOAD.chunk) * doip2UploadChunk.length +
  doip2UploadTail.length

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
