/**
 * Bytes shared by the benchmark's processes: the requests the load generator sends, the precomputed retrieve answer
 * head the bare server sends, and a tiny response reader.
 *
 * The reader is deliberately dumb (10-byte header, then skip `objectIdLen + payloadLen` bytes) so that the load
 * generator costs the same, and as little as possible, against both servers: the comparison then measures the servers.
 */

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
  private readonly capture: number
  private captured: Array<Buffer> = []
  private capturedLength = 0
  private readonly onMessage: (msgType: number, captured: Buffer | undefined) => void

  constructor(onMessage: (msgType: number, captured: Buffer | undefined) => void, capture = 0) {
    this.onMessage = onMessage
    this.capture = capture
  }

  push(chunk: Buffer): void {
    let i = 0
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i)
        this.keep(chunk, i, n)
        i += n
        this.skip -= n
        if (this.skip === 0) this.complete()
        continue
      }
      // the header may straddle chunks: gather it
      const n = Math.min(10 - this.have, chunk.length - i)
      chunk.copy(this.header, this.have, i, i + n)
      this.keep(chunk, i, n)
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

  private keep(chunk: Buffer, start: number, n: number) {
    if (this.capturedLength >= this.capture) return
    const take = Math.min(n, this.capture - this.capturedLength)
    this.captured.push(Buffer.from(chunk.subarray(start, start + take)))
    this.capturedLength += take
  }

  private complete() {
    const captured = this.capture > 0 ? Buffer.concat(this.captured) : undefined
    this.captured = []
    this.capturedLength = 0
    this.onMessage(this.msgType, captured)
  }
}
