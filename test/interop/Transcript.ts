/**
 * Transcripts recorded by interop/record-proxy.ts between a real DOIP client and our server: loading them, splitting
 * each connection's bytes into DOIP v2.0 messages (a reader of its own, written from the specification, not ours),
 * and replaying a client's requests on one connection per recorded connection.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { concatBytes as concat } from "../support/Random.ts"

export interface Event {
  readonly dir: "c2s" | "s2c"
  readonly step: string
  readonly utf8?: string
  readonly base64?: string
}
export interface Connection {
  readonly id: number
  readonly events: ReadonlyArray<Event>
}
export interface Transcript {
  readonly client: string
  readonly connections: ReadonlyArray<Connection>
}

export type Segment =
  | { readonly kind: "json"; readonly text: string; readonly value: any; readonly raw: Uint8Array }
  | { readonly kind: "bytes"; readonly data: Uint8Array; readonly raw: Uint8Array }

export interface Message {
  readonly segments: ReadonlyArray<Segment>
  readonly raw: Uint8Array
}

export const load = (name: string): Transcript =>
  JSON.parse(fs.readFileSync(path.join(import.meta.dirname, "transcripts", `${name}.json`), "utf8"))

const bytesOf = (event: Event): Uint8Array =>
  event.utf8 !== undefined ? new TextEncoder().encode(event.utf8) : new Uint8Array(Buffer.from(event.base64!, "base64"))


const decoder = new TextDecoder("utf-8", { fatal: true })

/** the first whole message in `buffer` from `start`, or undefined when more bytes are needed */
export const parseMessage = (buffer: Uint8Array, start = 0): { message: Message; end: number } | undefined => {
  let at = start
  const line = (): string | undefined => {
    const nl = buffer.indexOf(0x0a, at)
    if (nl === -1) return undefined
    const text = decoder.decode(buffer.subarray(at, nl)).replace(/[\r \t]+$/, "")
    at = nl + 1
    return text
  }
  const segments: Array<Segment> = []
  for (;;) {
    const segmentStart = at
    const first = line()
    if (first === undefined) return undefined
    if (first === "#") {
      return { message: { segments, raw: buffer.slice(start, at) }, end: at }
    }
    if (first === "@") {
      const parts: Array<Uint8Array> = []
      for (;;) {
        const size = line()
        if (size === undefined) return undefined
        if (size === "#") break
        if (!/^[1-9][0-9]*$/.test(size)) throw new Error(`bad chunk size ${JSON.stringify(size)}`)
        const n = Number(size)
        if (buffer.length < at + n + 1) return undefined
        parts.push(buffer.slice(at, at + n))
        if (buffer[at + n] !== 0x0a) throw new Error("chunk not followed by a newline")
        at += n + 1
      }
      segments.push({ kind: "bytes", data: concat(parts), raw: buffer.slice(segmentStart, at) })
      continue
    }
    const lines = [first]
    for (;;) {
      const next = line()
      if (next === undefined) return undefined
      if (next === "#") break
      lines.push(next)
    }
    const text = lines.join("\n")
    segments.push({ kind: "json", text, value: JSON.parse(text), raw: buffer.slice(segmentStart, at) })
  }
}

export const parseAll = (buffer: Uint8Array): Array<Message> => {
  const out: Array<Message> = []
  let at = 0
  while (at < buffer.length) {
    const found = parseMessage(buffer, at)
    if (found === undefined) throw new Error(`${buffer.length - at} bytes of an unfinished message`)
    out.push(found.message)
    at = found.end
  }
  return out
}

export interface Exchange {
  readonly step: string
  readonly request: Message
  readonly response: Message
}

/** a connection's requests and responses, paired in order, each request tagged with the step of its first byte */
export const exchanges = (connection: Connection): Array<Exchange> => {
  const c2s = connection.events.filter((e) => e.dir === "c2s")
  const s2c = connection.events.filter((e) => e.dir === "s2c")
  const requestBytes = concat(c2s.map(bytesOf))
  const requests = parseAll(requestBytes)
  const responses = parseAll(concat(s2c.map(bytesOf)))
  // the step of each request: the label of the chunk holding its first byte
  const starts: Array<{ at: number; step: string }> = []
  let at = 0
  for (const event of c2s) {
    starts.push({ at, step: event.step })
    at += bytesOf(event).length
  }
  let offset = 0
  return requests.map((request, i) => {
    const step = [...starts].reverse().find((s) => s.at <= offset)?.step ?? ""
    offset += request.raw.length
    if (responses[i] === undefined) throw new Error(`no response to request ${i} (${step}) of connection ${connection.id}`)
    return { step, request, response: responses[i] }
  })
}

/** a request's bytes with recorded object ids replaced in its JSON segments (bytes segments are sent as recorded) */
export const rewrite = (request: Message, ids: ReadonlyMap<string, string>): Uint8Array => {
  if (ids.size === 0) return request.raw
  const pattern = new RegExp(`\\b(${[...ids.keys()].join("|")})\\b`, "g")
  const parts = request.segments.map((segment) =>
    segment.kind === "json" && pattern.test(segment.text)
      ? new TextEncoder().encode(segment.text.replace(pattern, (id) => ids.get(id)!) + "\n#\n")
      : segment.raw
  )
  return concat([...parts, new TextEncoder().encode("#\n")])
}

/** one connection to a DOIP v2.0 port; `exchange` writes a request and reads one whole response */
export class Doip2Connection {
  private buffer: Uint8Array = new Uint8Array(0)
  private waiting: (() => void) | undefined
  private closed = false
  readonly socket: net.Socket
  private constructor(socket: net.Socket) {
    this.socket = socket
    socket.on("data", (chunk: Buffer) => {
      this.buffer = concat([this.buffer, chunk])
      this.waiting?.()
    })
    socket.on("close", () => {
      this.closed = true
      this.waiting?.()
    })
    socket.on("error", () => socket.destroy())
  }

  static open(port: number): Promise<Doip2Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: "127.0.0.1", port }, () => resolve(new Doip2Connection(socket)))
      socket.once("error", reject)
    })
  }

  exchange(request: Uint8Array, timeoutMs = 10_000): Promise<Message> {
    this.socket.write(request)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no whole response within ${timeoutMs} ms`)), timeoutMs)
      const check = () => {
        try {
          const found = parseMessage(this.buffer)
          if (found !== undefined) {
            this.buffer = this.buffer.slice(found.end)
            this.waiting = undefined
            clearTimeout(timer)
            resolve(found.message)
          } else if (this.closed) {
            clearTimeout(timer)
            reject(new Error(`connection closed with ${this.buffer.length} bytes of a partial response`))
          }
        } catch (error) {
          clearTimeout(timer)
          reject(error)
        }
      }
      this.waiting = check
      check()
    })
  }

  close() {
    this.socket.destroy()
  }
}
