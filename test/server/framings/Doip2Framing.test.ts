/**
 * The DOIP v2.0 listener seen from a raw `node:net` socket, with every request written by hand as the bytes of
 * PROTOCOL.md §2 (nothing here uses `src/protocol/doip2/Codec.ts`) and every answer split into segments by a small
 * reader of its own: the byte vectors of PROTOCOL.md, the operations, pipelining, error answers that keep the
 * connection open, framing errors that close it, odd chunkings, and an extension operation on both listeners.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { metadataResponse } from "../../../src/protocol/DoipMessage.ts"
import { Storage } from "../../../src/layers/storage/Storage.ts"
import { ListenAddress } from "../../../src/server/DoipServer.ts"
import type { Operation } from "../../../src/server/OperationRegistry.ts"
import { concatBytes } from "../../support/Random.ts"
import { bytes, connectTo, exchange, framing, text, u32, utf8 } from "../../support/RawSocket.ts"
import { layerServer, seed, token } from "../../support/TestServer.ts"

// -----------------------------------------------------------------------------
// constants
// -----------------------------------------------------------------------------

const OK = "0.DOIP/Status.001"
const status = (code: 101 | 102 | 103 | 104 | 105 | 200 | 500) => `0.DOIP/Status.${code}`
const serviceId = "effect-doip/service" // ServerConfig's default

/** a bearer `authentication` object, as a JSON fragment */
const auth = `"authentication":{"token":"${token}"}`

// -----------------------------------------------------------------------------
// an independent reader of answers (PROTOCOL.md §2)
// -----------------------------------------------------------------------------

type Segment =
  | { readonly kind: "json"; readonly text: string; readonly json: any }
  | { readonly kind: "bytes"; readonly data: Uint8Array; readonly chunks: ReadonlyArray<number> }

interface Answer {
  /** the message exactly as it came off the wire */
  readonly bytes: Uint8Array
  readonly segments: ReadonlyArray<Segment>
  /** the first segment, parsed */
  readonly first: Record<string, any>
}

const NL = 0x0a
const HASH = 0x23

/**
 * The first whole message in `buffer`: its length and segments, or `undefined` when more bytes are needed. Throws
 * when the bytes are not a well-formed message.
 */
const splitMessage = (buffer: Uint8Array): { readonly length: number; readonly segments: Array<Segment> } | undefined => {
  const segments: Array<Segment> = []
  /** a line without its `\n` and trailing blanks */
  const line = (from: number, nl: number) => text(buffer.subarray(from, nl)).replace(/[ \t\r]+$/, "")
  let at = 0
  for (;;) {
    const nl = buffer.indexOf(NL, at)
    if (nl === -1) return undefined
    const first = line(at, nl)
    if (first === "#") return { length: nl + 1, segments }
    if (first === "@") {
      at = nl + 1
      const data: Array<Uint8Array> = []
      const chunks: Array<number> = []
      for (;;) {
        const end = buffer.indexOf(NL, at)
        if (end === -1) return undefined
        const sizeLine = line(at, end)
        if (sizeLine === "#") {
          at = end + 1
          break
        }
        if (!/^[1-9][0-9]*$/.test(sizeLine)) throw new Error(`answer: chunk size line ${JSON.stringify(sizeLine)}`)
        const size = Number(sizeLine)
        const start = end + 1
        if (buffer.length < start + size + 1) return undefined
        if (buffer[start + size] !== NL) throw new Error("answer: chunk data not followed by \\n")
        data.push(buffer.slice(start, start + size))
        chunks.push(size)
        at = start + size + 1
      }
      segments.push({ kind: "bytes", data: bytes(...data), chunks })
      continue
    }
    if (first.startsWith("#") || first.startsWith("@")) throw new Error(`answer: marker line ${JSON.stringify(first)}`)
    // JSON text, up to the first `#` that directly follows a `\n`
    let hash = -1
    for (let i = buffer.indexOf(NL, at); i !== -1; i = buffer.indexOf(NL, i + 1)) {
      if (i + 1 >= buffer.length) return undefined
      if (buffer[i + 1] === HASH) {
        hash = i + 1
        break
      }
    }
    if (hash === -1) return undefined
    const end = buffer.indexOf(NL, hash)
    if (end === -1) return undefined
    if (line(hash, end) !== "#") throw new Error(`answer: JSON segment ended by ${JSON.stringify(line(hash, end))}`)
    const body = text(buffer.subarray(at, hash - 1)).replace(/\r$/, "")
    segments.push({ kind: "json", text: body, json: JSON.parse(body) })
    at = end + 1
  }
}

// -----------------------------------------------------------------------------
// the binary envelope, for the extension test (PROTOCOL.md §1)
// -----------------------------------------------------------------------------

/** header (version 2, request, `operation`, flags 0, no object id), then one metadata block */
const binaryRequest = (operation: number, metadata: string) => {
  const body = utf8(metadata)
  return bytes([0x02, 0x01, operation, 0x00, 0x00, 0x00], u32(5 + body.length), [0x01], u32(body.length), body)
}

interface BinaryReply {
  readonly msgType: number
  readonly operation: number
  readonly metadata: ReadonlyArray<Record<string, any>>
}

const splitBinary = (buffer: Uint8Array): { readonly length: number; readonly reply: BinaryReply } | undefined => {
  if (buffer.length < 10) return undefined
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  const length = 10 + view.getUint16(4, false) + view.getUint32(6, false)
  if (buffer.length < length) return undefined
  const metadata: Array<Record<string, any>> = []
  for (let offset = 10 + view.getUint16(4, false); offset < length;) {
    const bodyLen = view.getUint32(offset + 1, false)
    if (view.getUint8(offset) === 0x01) metadata.push(JSON.parse(text(buffer.subarray(offset + 5, offset + 5 + bodyLen))))
    offset += 5 + bodyLen
  }
  return { length, reply: { msgType: view.getUint8(1), operation: view.getUint8(2), metadata } }
}

// -----------------------------------------------------------------------------
// raw connections
// -----------------------------------------------------------------------------

/** DOIP v2.0 answers: whole messages as `splitMessage` finds them, each starting with a JSON segment */
const answers = framing("a DOIP v2.0 answer", splitMessage, ({ segments }, message): Answer => {
  assert.isAbove(segments.length, 0, "an answer has a first segment")
  const head = segments[0]!
  assert.strictEqual(head.kind, "json", "an answer starts with a JSON segment")
  return { bytes: message, segments, first: (head as { json: any }).json }
})

/** binary envelopes, for the binary listener */
const binaryReplies = framing("a binary envelope", splitBinary, (split) => split.reply)

/** a raw connection to a listener of the server in context, destroyed when the test's scope closes */
const connect = (listener: "doip2Port" | "binaryPort" = "doip2Port") => connectTo((address) => address[listener], answers)

// -----------------------------------------------------------------------------
// requests, by hand
// -----------------------------------------------------------------------------

/** CNRI's hello vector (PROTOCOL.md §2) */
const helloCnri = `{"requestId":"1","targetId":"20.500.123/service","operationId":"0.DOIP/Op.Hello"}\n#\n#\n`
/** doip-sdk's hello vector: no requestId, spaces */
const helloSdk = `{"targetId": "20.500.123/service", "operationId": "0.DOIP/Op.Hello"}\n#\n#\n`
/** the CRLF vector */
const helloCrlf = `{"operationId":"0.DOIP/Op.Hello"}\r\n#\r\n#\r\n`

const hello = (requestId: string) => `{"requestId":"${requestId}","operationId":"0.DOIP/Op.Hello"}\n#\n#\n`

const retrieveElement = (requestId: string, objectId: string, element: string) =>
  `{"requestId":"${requestId}","targetId":"${objectId}","operationId":"0.DOIP/Op.Retrieve","attributes":{"element":"${element}"}}\n#\n#\n`

const retrieveObject = (requestId: string, objectId: string) =>
  `{"requestId":"${requestId}","targetId":"${objectId}","operationId":"0.DOIP/Op.Retrieve"}\n#\n#\n`

// -----------------------------------------------------------------------------
// checks
// -----------------------------------------------------------------------------

/** status ok, the request id echoed (or absent when the request had none) */
const assertOk = (answer: Answer, requestId: unknown) => {
  assert.strictEqual(answer.first["status"], OK, JSON.stringify(answer.first))
  if (requestId === undefined) assert.isFalse(Object.hasOwn(answer.first, "requestId"), "no requestId in the answer")
  else assert.deepStrictEqual(answer.first["requestId"], requestId)
}

/** a whole answer that is just its first segment, holding a compact output */
const compactOutput = (answer: Answer): any => {
  assert.strictEqual(answer.segments.length, 1, "a compact answer has one segment")
  assert.deepStrictEqual(
    Object.keys(answer.first).filter((k) => k !== "requestId" && k !== "attributes"),
    ["status", "output"]
  )
  return answer.first["output"]
}

/** the hello output of PROTOCOL.md: a `0.TYPE/DOIPService` with this listener's port */
const assertHello = (answer: Answer, requestId: unknown, port: number) => {
  assertOk(answer, requestId)
  const output = compactOutput(answer)
  assert.strictEqual(output["id"], serviceId)
  assert.strictEqual(output["type"], "0.TYPE/DOIPService")
  assert.strictEqual(output["attributes"]["port"], port)
  assert.strictEqual(output["attributes"]["ipAddress"], "127.0.0.1")
  assert.strictEqual(output["attributes"]["protocol"], "TCP")
  assert.strictEqual(output["attributes"]["protocolVersion"], "2.0")
}

/** an error answer: one segment `{requestId?, status, attributes: {message}}`, then the end */
const assertError = (answer: Answer, expected: { readonly status: string; readonly requestId: unknown }) => {
  assert.strictEqual(answer.first["status"], expected.status, JSON.stringify(answer.first))
  if (expected.requestId === undefined) assert.isFalse(Object.hasOwn(answer.first, "requestId"), "no requestId")
  else assert.deepStrictEqual(answer.first["requestId"], expected.requestId)
  assert.strictEqual(answer.segments.length, 1, "an error answer is one segment")
  assert.isFalse(Object.hasOwn(answer.first, "output"), "an error has no output")
  assert.isString(answer.first["attributes"]?.["message"])
  assert.isAbove(answer.first["attributes"]["message"].length, 0)
}

/**
 * An element retrieve's answer: exactly `{"requestId","status","attributes"}` as the server writes it, then one
 * bytes segment holding `data` (in whatever chunks), then the end.
 */
const assertElement = (answer: Answer, requestId: string, attributes: Record<string, unknown>, data: string) => {
  assert.strictEqual(
    (answer.segments[0] as { text: string }).text,
    `{"requestId":"${requestId}","status":"${OK}","attributes":${JSON.stringify(attributes)}}`
  )
  assert.deepStrictEqual(answer.segments.map((s) => s.kind), ["json", "bytes"])
  assert.strictEqual(text((answer.segments[1] as Extract<Segment, { kind: "bytes" }>).data), data)
}

const readContent = (objectId: string, componentId: string) =>
  Effect.gen(function*() {
    const storage = yield* Storage
    return text(concatBytes(yield* Stream.runCollect(storage.read(objectId, componentId))))
  })

// -----------------------------------------------------------------------------
// tests
// -----------------------------------------------------------------------------

layer(layerServer(), { excludeTestServices: true })("DOIP v2.0 segments, written by hand", (it) => {
  it.effect("hello, CNRI's vector: requestId \"1\" echoed, a 0.TYPE/DOIPService on this port, protocol 2.0", () =>
    Effect.gen(function*() {
      const { doip2Port } = yield* ListenAddress
      const raw = yield* connect()
      const answer = yield* exchange(raw, helloCnri)
      assertHello(answer, "1", doip2Port)
      assert.deepStrictEqual(Object.keys(answer.first), ["requestId", "status", "output"])
      assert.isTrue(text(answer.bytes).startsWith(`{"requestId":"1","status":"${OK}","output":{`), text(answer.bytes))
      assert.isTrue(text(answer.bytes).endsWith(`}\n#\n#\n`))
    }))

  it.effect("hello, doip-sdk's vector (spaces, no requestId): no requestId in the answer", () =>
    Effect.gen(function*() {
      const { doip2Port } = yield* ListenAddress
      const raw = yield* connect()
      const answer = yield* exchange(raw, helloSdk)
      assertHello(answer, undefined, doip2Port)
      assert.isTrue(text(answer.bytes).startsWith(`{"status":"${OK}","output":{`), text(answer.bytes))
    }))

  it.effect("hello with CRLF line ends", () =>
    Effect.gen(function*() {
      const { doip2Port } = yield* ListenAddress
      const raw = yield* connect()
      assertHello(yield* exchange(raw, helloCrlf), undefined, doip2Port)
      // and the connection goes on after a CRLF message
      assertHello(yield* exchange(raw, hello("after-crlf")), "after-crlf", doip2Port)
    }))

  it.effect("requestId is echoed exactly: a number stays a number, odd strings stay as they are", () =>
    Effect.gen(function*() {
      const { doip2Port } = yield* ListenAddress
      const raw = yield* connect()
      const numeric = yield* exchange(raw, `{"requestId":42,"operationId":"0.DOIP/Op.Hello"}\n#\n#\n`)
      assertHello(numeric, 42, doip2Port)
      assert.isTrue(text(numeric.bytes).startsWith(`{"requestId":42,`), text(numeric.bytes))
      const odd = yield* exchange(raw, `{"requestId":"a \\"quoted\\" \\u00fc\\n#id","operationId":"0.DOIP/Op.Hello"}\n#\n#\n`)
      assertHello(odd, "a \"quoted\" ü\n#id", doip2Port)
      const zero = yield* exchange(raw, `{"requestId":0,"operationId":"0.DOIP/Op.Hello"}\n#\n#\n`)
      assertHello(zero, 0, doip2Port)
    }))

  it.effect("a first segment spread over many lines, with blanks after its `#`", () =>
    Effect.gen(function*() {
      const { doip2Port } = yield* ListenAddress
      const raw = yield* connect()
      const answer = yield* exchange(raw, `{\n  "requestId": "multi",\n  "operationId": "0.DOIP/Op.Hello"\n}\n# \t\n#\n`)
      assertHello(answer, "multi", doip2Port)
    }))

  it.effect("element retrieve is PROTOCOL.md's vector, byte for byte (with mediaType and length)", () =>
    Effect.gen(function*() {
      yield* seed("Q7", "hello.txt", "Hello World\n", "text/plain")
      const raw = yield* connect()
      const answer = yield* exchange(raw, retrieveElement("2", "Q7", "hello.txt"))
      assert.strictEqual(
        text(answer.bytes),
        `{"requestId":"2","status":"0.DOIP/Status.001","attributes":{"filename":"hello.txt","mediaType":"text/plain","length":12}}\n#\n` +
          `@\n12\nHello World\n\n#\n` +
          `#\n`
      )
      // and through the reader, segment by segment
      assert.deepStrictEqual(answer.segments.map((s) => s.kind), ["json", "bytes"])
      assert.deepStrictEqual(answer.first, {
        requestId: "2",
        status: OK,
        attributes: { filename: "hello.txt", mediaType: "text/plain", length: 12 }
      })
      const data = answer.segments[1] as Extract<Segment, { kind: "bytes" }>
      assert.strictEqual(text(data.data), "Hello World\n")
      assert.deepStrictEqual(data.chunks, [12])
    }))

  it.effect("an empty element is `@` then `#`, never a 0 chunk", () =>
    Effect.gen(function*() {
      yield* seed("Q8", "hello.txt", "Hello World\n", "text/plain")
      yield* seed("Q8", "empty.bin", new Uint8Array(0))
      const raw = yield* connect()
      const answer = yield* exchange(raw, retrieveElement("e", "Q8", "empty.bin"))
      assert.strictEqual(
        text(answer.bytes),
        `{"requestId":"e","status":"${OK}","attributes":{"filename":"empty.bin","mediaType":"application/octet-stream","length":0}}\n#\n@\n#\n#\n`
      )
    }))

  it.effect("element ranges, as CNRI's retrievePartialElement sends them: inclusive, either end open (null)", () =>
    Effect.gen(function*() {
      yield* seed("Q29", "hello.txt", "Hello World\n", "text/plain")
      // past the in-memory size: read from the store's file, not from its small-blob memory
      const big = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 13) & 0xff)
      yield* seed("Q29", "big.bin", big)
      const raw = yield* connect()
      const ranged = (requestId: string, element: string, range: unknown) =>
        exchange(
          raw,
          `{"requestId":"${requestId}","targetId":"Q29","operationId":"0.DOIP/Op.Retrieve",` +
            `"attributes":{"element":"${element}","range":${JSON.stringify(range)}}}\n#\n#\n`
        )
      const attributes = (length: number) => ({ filename: "hello.txt", mediaType: "text/plain", length })
      assertElement(yield* ranged("a", "hello.txt", { start: 0, end: 9 }), "a", attributes(10), "Hello Worl")
      assertElement(yield* ranged("b", "hello.txt", { start: 6, end: null }), "b", attributes(6), "World\n")
      assertElement(yield* ranged("c", "hello.txt", { start: 6 }), "c", attributes(6), "World\n")
      // no start: the last `end` bytes
      assertElement(yield* ranged("d", "hello.txt", { start: null, end: 3 }), "d", attributes(3), "ld\n")
      // an end past the element ends with it
      assertElement(yield* ranged("e", "hello.txt", { start: 11, end: 99 }), "e", attributes(1), "\n")
      assertElement(yield* ranged("f", "hello.txt", { start: null, end: null }), "f", attributes(12), "Hello World\n")
      const middle = yield* ranged("g", "big.bin", { start: 100_000, end: 199_999 })
      assertOk(middle, "g")
      const data = (middle.segments[1] as Extract<Segment, { kind: "bytes" }>).data
      assert.deepStrictEqual(data, big.subarray(100_000, 200_000))
      // bad ranges: 101 with a message, and the connection goes on
      for (const [requestId, range] of [["h", { start: 5, end: 4 }], ["i", { start: 12 }], ["j", { start: -1 }], ["k", "0-9"], [
        "l",
        { start: 1.5 }
      ]] as const) {
        assertError(yield* ranged(requestId, "hello.txt", range), { status: "0.DOIP/Status.101", requestId })
      }
      assertError(
        yield* exchange(
          raw,
          `{"requestId":"m","targetId":"Q29","operationId":"0.DOIP/Op.Retrieve","attributes":{"range":{"start":0}}}\n#\n#\n`
        ),
        { status: "0.DOIP/Status.101", requestId: "m" }
      )
      assertElement(yield* ranged("n", "hello.txt", { start: 0, end: 4 }), "n", attributes(5), "Hello")
    }))

  it.effect("retrieve without element: a compact output holding the digital object", () =>
    Effect.gen(function*() {
      yield* seed("Q9", "hello.txt", "Hello World\n", "text/plain")
      yield* seed("Q9", "data.bin", Uint8Array.of(0, 1, 2, 3, 4))
      const raw = yield* connect()
      const answer = yield* exchange(raw, retrieveObject("r", "Q9"))
      assertOk(answer, "r")
      const object = compactOutput(answer)
      assert.strictEqual(object["id"], "Q9")
      assert.isString(object["type"])
      assert.isObject(object["attributes"]["content"])
      const elements = [...(object["elements"] as Array<any>)].sort((a, b) => a.id.localeCompare(b.id))
      assert.deepStrictEqual(elements.map((e) => [e.id, e.type, e.length, e.attributes.filename]), [
        ["data.bin", "application/octet-stream", 5, "data.bin"],
        ["hello.txt", "text/plain", 12, "hello.txt"]
      ])
    }))

  it.effect("retrieve with includeElementData: the object, then per element `{\"id\"...}` and its bytes", () =>
    Effect.gen(function*() {
      yield* seed("Q10", "hello.txt", "Hello World\n", "text/plain")
      yield* seed("Q10", "tricky.bin", "a\n#\n@\n0\n#\n")
      const raw = yield* connect()
      const answer = yield* exchange(
        raw,
        `{"requestId":"inc","targetId":"Q10","operationId":"0.DOIP/Op.Retrieve","attributes":{"includeElementData":true}}\n#\n#\n`
      )
      assertOk(answer, "inc")
      assert.isFalse(Object.hasOwn(answer.first, "output"), "the object comes as a segment, not compact")
      assert.deepStrictEqual(answer.segments.map((s) => s.kind), ["json", "json", "json", "bytes", "json", "bytes"])
      const object = (answer.segments[1] as { json: any }).json
      assert.strictEqual(object["id"], "Q10")
      const pairs = [2, 4].map((i) => ({
        header: (answer.segments[i] as { json: any }).json,
        data: text((answer.segments[i + 1] as Extract<Segment, { kind: "bytes" }>).data)
      })).sort((a, b) => a.header.id.localeCompare(b.header.id))
      assert.deepStrictEqual(pairs.map((p) => [p.header.id, p.header.type, p.header.length, p.header.attributes?.filename, p.data]), [
        ["hello.txt", "text/plain", 12, "hello.txt", "Hello World\n"],
        ["tricky.bin", "application/octet-stream", 10, "tricky.bin", "a\n#\n@\n0\n#\n"]
      ])
      assert.deepStrictEqual(
        [...(object["elements"] as Array<any>)].map((e) => e.id).sort(),
        ["hello.txt", "tricky.bin"]
      )
    }))

  it.effect("create with one element sent in two chunks (holding `\\n#\\n`), then retrieved back byte for byte", () =>
    Effect.gen(function*() {
      const raw = yield* connect()
      // not there yet (and a cached NotFound must not outlive the create)
      assertError(yield* exchange(raw, retrieveObject("before", "Q500")), { status: status(104), requestId: "before" })
      const chunk1 = "x\n#\ny" // 5 bytes
      const chunk2 = "\n#\n#\n@\n0\n" // 9 bytes
      const answer = yield* exchange(
        raw,
        `{"requestId":"c1","targetId":"${serviceId}","operationId":"0.DOIP/Op.Create",${auth}}\n#\n` +
          `{"id":"Q500","type":"Document","attributes":{"content":{"name":"made by hand"}},"elements":[{"id":"a.txt","type":"text/plain"}]}\n#\n` +
          `{"id":"a.txt","type":"text/plain"}\n#\n` +
          `@\n5\n${chunk1}\n9\n${chunk2}\n#\n` +
          `#\n`
      )
      assertOk(answer, "c1")
      const object = compactOutput(answer)
      assert.strictEqual(object["id"], "Q500")
      assert.strictEqual(object["type"], "Document")
      assert.strictEqual(object["attributes"]["content"]["name"], "made by hand", "the content as sent, not nested")
      assert.deepStrictEqual(
        (object["elements"] as Array<any>).map((e) => [e.id, e.type, e.length, e.attributes.filename]),
        [["a.txt", "text/plain", 14, "a.txt"]]
      )
      assert.strictEqual(yield* readContent("Q500", "a.txt"), chunk1 + chunk2)

      const back = yield* exchange(raw, retrieveElement("c2", "Q500", "a.txt"))
      assertElement(back, "c2", { filename: "a.txt", mediaType: "text/plain", length: 14 }, chunk1 + chunk2)
      const whole = yield* exchange(raw, retrieveObject("c3", "Q500"))
      assert.strictEqual(compactOutput(whole)["type"], "Document")
    }))

  it.effect("create of an id in use is 105; without credentials or with a wrong token 102; the connection stays open", () =>
    Effect.gen(function*() {
      yield* seed("Q501", "old.txt", "already here")
      const { doip2Port } = yield* ListenAddress
      const raw = yield* connect()
      const create = (requestId: string, authentication: string) =>
        `{"requestId":"${requestId}","targetId":"${serviceId}","operationId":"0.DOIP/Op.Create"${authentication}}\n#\n` +
        `{"id":"Q502","elements":[{"id":"b.txt"}]}\n#\n` +
        `{"id":"b.txt"}\n#\n` +
        `@\n3\nbbb\n#\n` +
        `#\n`
      assertError(yield* exchange(raw, create("none", "")), { status: status(102), requestId: "none" })
      assertError(yield* exchange(raw, create("wrong", `,"authentication":{"token":"wrong-token"}`)), {
        status: status(102),
        requestId: "wrong"
      })
      assertError(yield* exchange(raw, create("user", `,"clientId":"someone","authentication":{"password":"guess"}`)), {
        status: status(102),
        requestId: "user"
      })
      assertError(yield* exchange(raw, retrieveObject("absent", "Q502")), { status: status(104), requestId: "absent" })

      assertOk(yield* exchange(raw, create("first", `,${auth}`)), "first")
      assertError(yield* exchange(raw, create("again", `,${auth}`)), { status: status(105), requestId: "again" })
      // an existing object that was not created over DOIP v2.0 is in use too
      const taken = `{"requestId":"taken","operationId":"0.DOIP/Op.Create",${auth}}\n#\n` +
        `{"id":"Q501"}\n#\n{"id":"new.txt"}\n#\n@\n3\nnew\n#\n#\n`
      assertError(yield* exchange(raw, taken), { status: status(105), requestId: "taken" })
      assert.strictEqual(yield* readContent("Q501", "old.txt"), "already here")
      assertHello(yield* exchange(raw, hello("still-open")), "still-open", doip2Port)
    }))

  it.effect("a create refused half-way through its elements: 101, nothing stored, the rest of the message skipped", () =>
    Effect.gen(function*() {
      const { doip2Port } = yield* ListenAddress
      const raw = yield* connect()
      // data for an element the object does not list, after one it does
      const answer = yield* exchange(
        raw,
        `{"requestId":"half","operationId":"0.DOIP/Op.Create",${auth}}\n#\n` +
          `{"id":"Q503","elements":[{"id":"a.txt"}]}\n#\n` +
          `{"id":"a.txt"}\n#\n@\n3\naaa\n#\n` +
          `{"id":"b.txt"}\n#\n@\n4\nb\n#\n\n3\nbbb\n#\n` +
          `#\n`
      )
      assertError(answer, { status: status(101), requestId: "half" })
      assertError(yield* exchange(raw, retrieveObject("none", "Q503")), { status: status(104), requestId: "none" })
      // an element header without its bytes segment
      assertError(
        yield* exchange(raw, `{"requestId":"nobytes","operationId":"0.DOIP/Op.Create",${auth}}\n#\n{"id":"Q504"}\n#\n{"id":"a.txt"}\n#\n#\n`),
        { status: status(101), requestId: "nobytes" }
      )
      // an input segment that is not an object
      assertError(
        yield* exchange(raw, `{"requestId":"notobj","operationId":"0.DOIP/Op.Create",${auth}}\n#\n[1,2]\n#\n#\n`),
        { status: status(101), requestId: "notobj" }
      )
      assertHello(yield* exchange(raw, hello("after")), "after", doip2Port)
    }))

  it.effect("a create of 300 KiB in three chunks, pipelined with its retrieve and a hello", () =>
    Effect.gen(function*() {
      const { doip2Port } = yield* ListenAddress
      const data = new Uint8Array(300 * 1024)
      for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8)) & 0xff
      const [a, b, c] = [data.subarray(0, 1), data.subarray(1, 200_000), data.subarray(200_000)]
      const raw = yield* connect()
      yield* raw.write(bytes(
        utf8(`{"requestId":"big","operationId":"0.DOIP/Op.Create",${auth}}\n#\n{"id":"Q505"}\n#\n{"id":"big.bin"}\n#\n@\n`),
        utf8(`${a.length}\n`),
        a,
        utf8(`\n${b.length}\n`),
        b,
        utf8(`\n${c.length}\n`),
        c,
        utf8(`\n#\n#\n`),
        utf8(retrieveElement("big2", "Q505", "big.bin")),
        utf8(hello("big3"))
      ))
      const created = yield* raw.read()
      assertOk(created, "big")
      assert.deepStrictEqual(
        (compactOutput(created)["elements"] as Array<any>).map((e) => [e.id, e.type, e.length]),
        [["big.bin", "application/octet-stream", data.length]]
      )
      const back = yield* raw.read()
      assertOk(back, "big2")
      assert.deepStrictEqual(back.first["attributes"], { filename: "big.bin", mediaType: "application/octet-stream", length: data.length })
      assert.deepStrictEqual((back.segments[1] as Extract<Segment, { kind: "bytes" }>).data, data)
      assertHello(yield* raw.read(), "big3", doip2Port)
    }))

  it.effect("update with an elements list leaving one out deletes it; delete removes the object", () =>
    Effect.gen(function*() {
      yield* seed("Q510", "a.txt", "aaa", "text/plain")
      yield* seed("Q510", "b.txt", "bbb", "text/plain")
      yield* seed("Q510", "c.txt", "ccc", "text/plain")
      const raw = yield* connect()
      const update = yield* exchange(
        raw,
        `{"requestId":"u1","targetId":"Q510","operationId":"0.DOIP/Op.Update",${auth}}\n#\n` +
          `{"id":"Q510","elements":[{"id":"a.txt"},{"id":"c.txt","type":"text/markdown"}]}\n#\n` +
          `{"id":"c.txt"}\n#\n` +
          `@\n3\nnew\n2\n c\n#\n` +
          `#\n`
      )
      assertOk(update, "u1")
      const object = compactOutput(update)
      assert.strictEqual(object["id"], "Q510")
      assert.deepStrictEqual(
        (object["elements"] as Array<any>).map((e) => [e.id, e.type, e.length]).sort(),
        [["a.txt", "text/plain", 3], ["c.txt", "text/markdown", 5]]
      )
      assert.strictEqual(yield* readContent("Q510", "a.txt"), "aaa")
      assert.strictEqual(yield* readContent("Q510", "c.txt"), "new c")
      assertError(yield* exchange(raw, retrieveElement("u2", "Q510", "b.txt")), { status: status(104), requestId: "u2" })
      const c = yield* exchange(raw, retrieveElement("u3", "Q510", "c.txt"))
      assert.strictEqual(text((c.segments[1] as Extract<Segment, { kind: "bytes" }>).data), "new c")
      assert.strictEqual(c.first["attributes"]["mediaType"], "text/markdown")

      // delete: status only, no output
      const deleted = yield* exchange(raw, `{"requestId":"d1","targetId":"Q510","operationId":"0.DOIP/Op.Delete",${auth}}\n#\n#\n`)
      assert.strictEqual(text(deleted.bytes), `{"requestId":"d1","status":"${OK}"}\n#\n#\n`)
      assertError(yield* exchange(raw, retrieveObject("d2", "Q510")), { status: status(104), requestId: "d2" })
      assertError(yield* exchange(raw, retrieveElement("d3", "Q510", "a.txt")), { status: status(104), requestId: "d3" })
      // deleting again: not found; deleting without credentials: unauthenticated
      assertError(yield* exchange(raw, `{"requestId":"d4","targetId":"Q510","operationId":"0.DOIP/Op.Delete",${auth}}\n#\n#\n`), {
        status: status(104),
        requestId: "d4"
      })
      yield* seed("Q511", "keep.txt", "keep")
      assertError(yield* exchange(raw, `{"requestId":"d5","targetId":"Q511","operationId":"0.DOIP/Op.Delete"}\n#\n#\n`), {
        status: status(102),
        requestId: "d5"
      })
      assert.strictEqual(yield* readContent("Q511", "keep.txt"), "keep")
    }))

  it.effect("retrieve, change, update, three times over (what doipy and CNRI's client do): only the change is kept", () =>
    Effect.gen(function*() {
      const raw = yield* connect()
      const created = yield* exchange(
        raw,
        `{"requestId":"c","targetId":"${serviceId}","operationId":"0.DOIP/Op.Create",${auth}}\n#\n` +
          `{"id":"Q520","attributes":{"content":{"name":"first"}},"elements":[{"id":"a.txt","type":"text/plain"}]}\n#\n` +
          `{"id":"a.txt"}\n#\n@\n3\naaa\n#\n#\n`
      )
      assertOk(created, "c")
      const retrieve = (requestId: string) => Effect.map(exchange(raw, retrieveObject(requestId, "Q520")), compactOutput)
      const first = yield* retrieve("r0")
      assert.strictEqual(first["type"], "DigitalObject")
      let expected = first["attributes"]["content"]
      for (let round = 1; round <= 3; round++) {
        const object = yield* retrieve(`r${round}`)
        // the client changes its copy of the content and sends the whole object back, as it got it
        object["attributes"]["content"]["profile"]["name"] = `round ${round}`
        object["attributes"]["content"]["profile"]["keywords"] = ["doip", `r${round}`]
        object["attributes"]["content"]["note"] = `a key of the client's own, round ${round}`
        const updated = yield* exchange(
          raw,
          `{"requestId":"u${round}","targetId":"Q520","operationId":"0.DOIP/Op.Update",${auth}}\n#\n` +
            `${JSON.stringify(object)}\n#\n#\n`
        )
        assertOk(updated, `u${round}`)
        const content = (yield* retrieve(`a${round}`))["attributes"]["content"]
        expected = {
          ...expected,
          note: `a key of the client's own, round ${round}`,
          profile: { ...expected.profile, name: `round ${round}`, keywords: ["doip", `r${round}`] }
        }
        // what the server makes moves on with each commit; everything else is exactly what the client sent
        assert.deepStrictEqual(content["kernel"]["fdo:hasComponent"], first["attributes"]["content"]["kernel"]["fdo:hasComponent"])
        const { kernel: _k, provenance: _p, ...owned } = content
        const { kernel: _ek, provenance: _ep, ...expectedOwned } = expected
        assert.deepStrictEqual(owned, expectedOwned, `round ${round}`)
        assert.isFalse(Object.hasOwn(content["profile"], "profile"), "nothing nests inside the profile")
        assert.isFalse(Object.hasOwn(content["kernel"], "digitalObjectType"), "sending the reported type back sets none")
      }
      assert.strictEqual(yield* readContent("Q520", "a.txt"), "aaa")
    }))

  it.effect("an object with no elements (Cordra-style JSON): created, retrieved, updated, searched, deleted", () =>
    Effect.gen(function*() {
      const raw = yield* connect()
      const created = yield* exchange(
        raw,
        `{"requestId":"c","targetId":"${serviceId}","operationId":"0.DOIP/Op.Create",${auth}}\n#\n` +
          `{"id":"Q530","type":"Document","attributes":{"content":{"name":"only JSON"}}}\n#\n#\n`
      )
      assertOk(created, "c")
      const object = compactOutput(created)
      assert.strictEqual(object["id"], "Q530")
      assert.strictEqual(object["type"], "Document")
      assert.deepStrictEqual(object["elements"], [])
      assert.strictEqual(object["attributes"]["content"]["name"], "only JSON")
      // a second create of the id is a conflict, as for any object
      const again = yield* exchange(
        raw,
        `{"requestId":"c2","targetId":"${serviceId}","operationId":"0.DOIP/Op.Create",${auth}}\n#\n{"id":"Q530"}\n#\n#\n`
      )
      assertError(again, { status: status(105), requestId: "c2" })
      // metadata only: no elements sent, none touched
      const updated = yield* exchange(
        raw,
        `{"requestId":"u","targetId":"Q530","operationId":"0.DOIP/Op.Update",${auth}}\n#\n` +
          `{"id":"Q530","attributes":{"content":{"name":"renamed"}}}\n#\n#\n`
      )
      assertOk(updated, "u")
      const retrieved = compactOutput(yield* exchange(raw, retrieveObject("r", "Q530")))
      assert.strictEqual(retrieved["attributes"]["content"]["name"], "renamed")
      assert.strictEqual(retrieved["type"], "Document")
      const found = compactOutput(
        yield* exchange(raw, `{"requestId":"s","targetId":"${serviceId}","operationId":"0.DOIP/Op.Search","attributes":{"query":"renamed","type":"id"}}\n#\n#\n`)
      )
      assert.include(found["results"], "Q530")
      const deleted = yield* exchange(raw, `{"requestId":"d","targetId":"Q530","operationId":"0.DOIP/Op.Delete",${auth}}\n#\n#\n`)
      assertOk(deleted, "d")
      assertError(yield* exchange(raw, retrieveObject("r2", "Q530")), { status: status(104), requestId: "r2" })
    }))

  it.effect("a metadata-only update leaves the elements as they are; the server's own record cannot be named", () =>
    Effect.gen(function*() {
      yield* seed("Q531", "a.txt", "aaa", "text/plain")
      const raw = yield* connect()
      const updated = yield* exchange(
        raw,
        `{"requestId":"u","targetId":"Q531","operationId":"0.DOIP/Op.Update",${auth}}\n#\n` +
          `{"id":"Q531","type":"Dataset","attributes":{"content":{"name":"described"}}}\n#\n#\n`
      )
      assertOk(updated, "u")
      const object = compactOutput(updated)
      assert.strictEqual(object["type"], "Dataset")
      assert.deepStrictEqual((object["elements"] as Array<any>).map((e) => e.id), ["a.txt"])
      assert.strictEqual(yield* readContent("Q531", "a.txt"), "aaa")
      // sent back unchanged: answered as it is
      const same = yield* exchange(
        raw,
        `{"requestId":"u2","targetId":"Q531","operationId":"0.DOIP/Op.Update",${auth}}\n#\n${JSON.stringify(object)}\n#\n#\n`
      )
      assertOk(same, "u2")
      assert.deepStrictEqual(compactOutput(same)["attributes"]["content"]["profile"], object["attributes"]["content"]["profile"])
      assertError(yield* exchange(raw, retrieveElement("x", "Q531", ".doip-object.json")), { status: status(101), requestId: "x" })
    }))

  it.effect("element attributes are kept as sent: doipy's uuid id with the file name beside it", () =>
    Effect.gen(function*() {
      const raw = yield* connect()
      const id = "5f0c4e52-8a7e-4b5e-9a51-2f1d0b6c7e11"
      const created = yield* exchange(
        raw,
        `{"requestId":"c","targetId":"${serviceId}","operationId":"0.DOIP/Op.Create",${auth}}\n#\n` +
          `{"id":"Q546","elements":[{"id":"${id}","type":"text/plain","attributes":{"filename":"hello.txt","lang":"en"}}]}\n#\n` +
          `{"id":"${id}"}\n#\n@\n5\nhello\n#\n#\n`
      )
      assertOk(created, "c")
      const element = (object: any) => (object["elements"] as Array<any>).find((e) => e.id === id)
      const retrieved = compactOutput(yield* exchange(raw, retrieveObject("r", "Q546")))
      assert.strictEqual(element(retrieved).attributes.filename, "hello.txt")
      assert.strictEqual(element(retrieved).attributes.lang, "en")
      assert.match(element(retrieved).attributes.checksum, /^sha256:/)
      // the element's bytes come named by that file name, which doipy saves them under
      const bytes = yield* exchange(raw, retrieveElement("e", "Q546", id))
      assertElement(bytes, "e", { filename: "hello.txt", mediaType: "text/plain", length: 5 }, "hello")
      // an update that leaves the element's attributes out keeps them
      const updated = yield* exchange(
        raw,
        `{"requestId":"u","targetId":"Q546","operationId":"0.DOIP/Op.Update",${auth}}\n#\n` +
          `{"id":"Q546","attributes":{"content":{"name":"x"}}}\n#\n#\n`
      )
      assert.strictEqual(element(compactOutput(updated)).attributes.filename, "hello.txt")
      // an element without attributes of its own is named after its id
      yield* seed("Q547", "plain.txt", "p")
      const plain = compactOutput(yield* exchange(raw, retrieveObject("p", "Q547")))
      assert.strictEqual((plain["elements"] as Array<any>)[0].attributes.filename, "plain.txt")
    }))

  it.effect("updates record only what changed; an object without a record keeps existing with no elements", () =>
    Effect.gen(function*() {
      const storage = yield* Storage
      yield* seed("Q550", "a.txt", "aaa", "text/plain")
      const raw = yield* connect()
      const update = (requestId: string, object: unknown) =>
        exchange(raw, `{"requestId":"${requestId}","targetId":"Q550","operationId":"0.DOIP/Op.Update",${auth}}\n#\n${JSON.stringify(object)}\n#\n#\n`)
      // sent back as retrieved, twice: the first gives the object its record, the second commits nothing
      const object = compactOutput(yield* exchange(raw, retrieveObject("r", "Q550")))
      assertOk(yield* update("u1", object), "u1")
      const commits = (yield* storage.history("Q550")).length
      assertOk(yield* update("u2", object), "u2")
      assert.strictEqual((yield* storage.history("Q550")).length, commits, "an unchanged object is not committed again")
      // every element removed: the object stays, with none
      assertOk(yield* update("u3", { id: "Q550", elements: [] }), "u3")
      assert.deepStrictEqual(compactOutput(yield* exchange(raw, retrieveObject("r2", "Q550")))["elements"], [])
    }))

  it.effect("element attributes: a file name must be one, an empty set clears them, a new object of a deleted id starts afresh", () =>
    Effect.gen(function*() {
      const raw = yield* connect()
      const create = (requestId: string, object: unknown) =>
        exchange(
          raw,
          `{"requestId":"${requestId}","targetId":"${serviceId}","operationId":"0.DOIP/Op.Create",${auth}}\n#\n${JSON.stringify(object)}\n#\n` +
            `{"id":"e.txt"}\n#\n@\n1\ne\n#\n#\n`
        )
      const escaping = yield* create("c0", { id: "Q551", elements: [{ id: "e.txt", attributes: { filename: "../../.bashrc" } }] })
      assertError(escaping, { status: status(101), requestId: "c0" })
      assertOk(yield* create("c1", { id: "Q552", type: "Secret", attributes: { content: { name: "old" } }, elements: [{ id: "e.txt", attributes: { filename: "old.txt", lang: "en" } }] }), "c1")
      const cleared = yield* exchange(
        raw,
        `{"requestId":"u","targetId":"Q552","operationId":"0.DOIP/Op.Update",${auth}}\n#\n` +
          `{"id":"Q552","elements":[{"id":"e.txt","attributes":{}}]}\n#\n#\n`
      )
      assert.deepStrictEqual((compactOutput(cleared)["elements"] as Array<any>)[0].attributes.filename, "e.txt")
      assert.isFalse(Object.hasOwn((compactOutput(cleared)["elements"] as Array<any>)[0].attributes, "lang"))
      // includeElementData names each element's bytes as retrieve names the element
      assertOk(
        yield* exchange(
          raw,
          `{"requestId":"n","targetId":"Q552","operationId":"0.DOIP/Op.Update",${auth}}\n#\n` +
            `{"id":"Q552","elements":[{"id":"e.txt","attributes":{"filename":"named.txt"}}]}\n#\n#\n`
        ),
        "n"
      )
      const whole = yield* exchange(
        raw,
        `{"requestId":"w","targetId":"Q552","operationId":"0.DOIP/Op.Retrieve","attributes":{"includeElementData":true}}\n#\n#\n`
      )
      const headers = whole.segments.filter((s) => s.kind === "json").map((s) => JSON.parse((s as { text: string }).text))
      assert.strictEqual(headers.find((h) => h.id === "e.txt").attributes.filename, "named.txt")
      assertOk(yield* exchange(raw, `{"requestId":"d","targetId":"Q552","operationId":"0.DOIP/Op.Delete",${auth}}\n#\n#\n`), "d")
      const fresh = compactOutput(yield* create("c2", { id: "Q552", elements: [{ id: "e.txt" }] }))
      assert.strictEqual(fresh["type"], "DigitalObject")
      assert.isUndefined(fresh["attributes"]["content"]["name"])
      assert.strictEqual((fresh["elements"] as Array<any>)[0].attributes.filename, "e.txt")
    }))

  it.effect("a range of an empty element from byte 0 is empty", () =>
    Effect.gen(function*() {
      yield* seed("Q553", "empty.bin", new Uint8Array(0))
      const raw = yield* connect()
      const answer = yield* exchange(
        raw,
        `{"requestId":"z","targetId":"Q553","operationId":"0.DOIP/Op.Retrieve","attributes":{"element":"empty.bin","range":{"start":0}}}\n#\n#\n`
      )
      assertOk(answer, "z")
      assert.strictEqual((answer.segments[1] as Extract<Segment, { kind: "bytes" }>).data.length, 0)
    }))

  it.effect("ListOperations on the service and on an object", () =>
    Effect.gen(function*() {
      yield* seed("Q520", "x.txt", "x")
      const raw = yield* connect()
      const service = compactOutput(
        yield* exchange(raw, `{"requestId":"l1","targetId":"${serviceId}","operationId":"0.DOIP/Op.ListOperations"}\n#\n#\n`)
      ) as Array<string>
      assert.includeMembers(service, ["0.DOIP/Op.Hello", "0.DOIP/Op.ListOperations", "0.DOIP/Op.Create", "0.DOIP/Op.Search"])
      assert.notInclude(service, "0.DOIP/Op.Retrieve")
      const object = yield* exchange(raw, `{"requestId":"l2","targetId":"Q520","operationId":"0.DOIP/Op.ListOperations"}\n#\n#\n`)
      assertOk(object, "l2")
      const ops = compactOutput(object) as Array<string>
      assert.includeMembers(ops, ["0.DOIP/Op.Retrieve", "0.DOIP/Op.Update", "0.DOIP/Op.Delete", "0.DOIP/Op.Describe"])
      // describe: the FDO record itself as the output, not a digital object around it
      const described = yield* exchange(raw, `{"requestId":"d1","targetId":"Q520","operationId":"0.DOIP/Op.Describe"}\n#\n#\n`)
      assertOk(described, "d1")
      const record = compactOutput(described) as Record<string, unknown>
      assert.deepStrictEqual([record["@id"], record["@type"]], ["Q520", "DigitalObject"])
      assert.notInclude(ops, "0.DOIP/Op.Hello")
      assert.notInclude(ops, "0.DOIP/Op.Create")
      assertError(
        yield* exchange(raw, `{"requestId":"l3","targetId":"Q999999","operationId":"0.DOIP/Op.ListOperations"}\n#\n#\n`),
        { status: status(104), requestId: "l3" }
      )
    }))

  it.effect("a pipelined pair in one write: answered in order, each with its requestId", () =>
    Effect.gen(function*() {
      yield* seed("Q530", "hello.txt", "Hello World\n", "text/plain")
      const { doip2Port } = yield* ListenAddress
      const raw = yield* connect()
      yield* raw.write(retrieveElement("p1", "Q530", "hello.txt") + hello("p2"))
      const first = yield* raw.read()
      assertOk(first, "p1")
      assert.strictEqual(text((first.segments[1] as Extract<Segment, { kind: "bytes" }>).data), "Hello World\n")
      assertHello(yield* raw.read(), "p2", doip2Port)
    }))

  it.effect("a pipelined batch of 50 hellos in one write", () =>
    Effect.gen(function*() {
      const { doip2Port } = yield* ListenAddress
      const raw = yield* connect()
      yield* raw.write(Array.from({ length: 50 }, (_, i) => hello(`h${i}`)).join(""))
      for (let i = 0; i < 50; i++) assertHello(yield* raw.read(), `h${i}`, doip2Port)
      assert.isFalse(raw.closed)
    }))

  it.effect("requests written one byte at a time: hello, a create with data, a retrieve", () =>
    Effect.gen(function*() {
      const { doip2Port } = yield* ListenAddress
      const raw = yield* connect()
      yield* raw.writeBytewise(helloCrlf)
      assertHello(yield* raw.read(), undefined, doip2Port)
      yield* raw.writeBytewise(
        `{"requestId":"bw","operationId":"0.DOIP/Op.Create",${auth}}\n#\n` +
          `{"id":"Q540"}\n#\n{"id":"w.txt","type":"text/plain"}\n#\n@\n4\nbyte\n5\nwise\n\n#\n#\n`
      )
      assertOk(yield* raw.read(), "bw")
      yield* raw.writeBytewise(retrieveElement("bw2", "Q540", "w.txt"))
      assertElement(yield* raw.read(), "bw2", { filename: "w.txt", mediaType: "text/plain", length: 9 }, "bytewise\n")
    }))

  // --- errors that keep the connection open -----------------------------------------------------------------

  const openErrors: ReadonlyArray<{
    readonly name: string
    readonly request: string
    readonly status: string
    readonly requestId: unknown
  }> = [
    {
      name: "bad JSON in the first segment (no requestId can be read)",
      request: `{"requestId":"e1","operationId":\n#\n#\n`,
      status: status(101),
      requestId: undefined
    },
    {
      name: "a first segment that is JSON but not an object",
      request: `["0.DOIP/Op.Hello"]\n#\n#\n`,
      status: status(101),
      requestId: undefined
    },
    {
      name: "an unknown request key",
      request: `{"requestId":"e2","operationId":"0.DOIP/Op.Hello","operation":"hello"}\n#\n#\n`,
      status: status(101),
      requestId: "e2"
    },
    {
      name: "a compact input followed by a JSON segment",
      request: `{"requestId":"e3","operationId":"0.DOIP/Op.Hello","input":{}}\n#\n{"more":true}\n#\n#\n`,
      status: status(101),
      requestId: "e3"
    },
    {
      name: "a compact input followed by a bytes segment",
      request: `{"requestId":"e3b","operationId":"0.DOIP/Op.Hello","input":{"a":1}}\n#\n@\n3\nabc\n#\n#\n`,
      status: status(101),
      requestId: "e3b"
    },
    {
      name: "no operationId",
      request: `{"requestId":"e5","targetId":"Q7"}\n#\n#\n`,
      status: status(101),
      requestId: "e5"
    },
    {
      name: "a message that starts with a bytes segment",
      request: `@\n3\nabc\n#\n#\n`,
      status: status(101),
      requestId: undefined
    },
    {
      name: "an empty message",
      request: `#\n`,
      status: status(101),
      requestId: undefined
    },
    {
      name: "an unknown operation",
      request: `{"requestId":"e4","targetId":"${serviceId}","operationId":"0.DOIP/Op.Frobnicate"}\n#\n#\n`,
      status: status(200),
      requestId: "e4"
    },
    {
      name: "an unknown operation with input segments (skipped)",
      request: `{"requestId":"e4b","operationId":"example/Op.Nope"}\n#\n{"a":1}\n#\n{"id":"x"}\n#\n@\n5\n\n#\n#\n\n#\n#\n`,
      status: status(200),
      requestId: "e4b"
    },
    {
      name: "a missing object",
      request: retrieveObject("e6", "Q999999"),
      status: status(104),
      requestId: "e6"
    },
    {
      name: "a missing element",
      request: retrieveElement("e7", "Q7", "absent.txt"),
      status: status(104),
      requestId: "e7"
    },
    {
      name: "a target that is not a QID: no such object",
      request: retrieveObject("e8", "not-a-qid"),
      status: status(104),
      requestId: "e8"
    },
    {
      name: "search without a query",
      request: `{"requestId":"e9","operationId":"0.DOIP/Op.Search"}\n#\n#\n`,
      status: status(101),
      requestId: "e9"
    }
  ]

  for (const c of openErrors) {
    it.effect(`error, connection stays open: ${c.name}`, () =>
      Effect.gen(function*() {
        yield* seed("Q7", "hello.txt", "Hello World\n", "text/plain")
        const { doip2Port } = yield* ListenAddress
        const raw = yield* connect()
        assertError(yield* exchange(raw, c.request), c)
        assertHello(yield* exchange(raw, hello("next")), "next", doip2Port)
        assert.isFalse(raw.closed)
      }))
  }

  // --- framing errors: 101, then the server closes ---------------------------------------------------------

  const framingErrors: ReadonlyArray<{
    readonly name: string
    readonly request: string
    readonly requestId: unknown
  }> = [
    {
      name: "a zero chunk (`@\\n0\\n`)",
      request: `{"requestId":"f1","operationId":"0.DOIP/Op.Hello"}\n#\n@\n0\n\n#\n#\n`,
      requestId: "f1"
    },
    {
      name: "a chunk size with a leading zero",
      request: `{"requestId":"f2","operationId":"0.DOIP/Op.Hello"}\n#\n@\n012\nHello World\n\n#\n#\n`,
      requestId: "f2"
    },
    {
      name: "a chunk size that is not a number",
      request: `{"requestId":"f2b","operationId":"0.DOIP/Op.Hello"}\n#\n@\n1x\nab\n#\n#\n`,
      requestId: "f2b"
    },
    {
      name: "chunk data not followed by a line end",
      request: `{"requestId":"f2c","operationId":"0.DOIP/Op.Hello"}\n#\n@\n2\nabc\n#\n#\n`,
      requestId: "f2c"
    },
    {
      name: "the `#` line of the first segment followed by garbage",
      request: `{"requestId":"f3","operationId":"0.DOIP/Op.Hello"}\n#garbage\n#\n`,
      requestId: undefined
    },
    {
      name: "the message's final `#` line followed by garbage",
      request: `{"requestId":"f4","operationId":"0.DOIP/Op.Hello"}\n#\n# and more\n`,
      requestId: "f4"
    },
    {
      name: "an `@` line followed by garbage",
      request: `{"requestId":"f5","operationId":"0.DOIP/Op.Hello"}\n#\n@x\n3\nabc\n#\n#\n`,
      requestId: "f5"
    }
  ]

  for (const c of framingErrors) {
    it.effect(`framing error, 101 then the server closes: ${c.name}`, () =>
      Effect.gen(function*() {
        const raw = yield* connect()
        assertError(yield* exchange(raw, c.request), { status: status(101), requestId: c.requestId })
        const rest = yield* raw.closedByServer()
        assert.strictEqual(rest.length, 0, "nothing follows the error answer")
      }))
  }

  it.effect("a framing error after a good request: the good one is answered, then 101, then the close", () =>
    Effect.gen(function*() {
      const { doip2Port } = yield* ListenAddress
      const raw = yield* connect()
      yield* raw.write(hello("good") + `{"requestId":"bad","operationId":"0.DOIP/Op.Hello"}\n#\n@\n0\n\n#\n#\n` + hello("never"))
      assertHello(yield* raw.read(), "good", doip2Port)
      assertError(yield* raw.read(), { status: status(101), requestId: "bad" })
      assert.strictEqual((yield* raw.closedByServer()).length, 0)
    }))

  it.effect("JSON nesting deeper than limits.maxJsonDepth: 101 for the head, credentials and content; the connection goes on", () =>
    Effect.gen(function*() {
      const raw = yield* connect()
      const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`
      // regression (issue 14): as a token the connection died unanswered; as content a create answered 500
      assertError(
        yield* exchange(raw, `{"requestId":"t","targetId":"Q1","operationId":"0.DOIP/Op.Update","authentication":{"token":${deep}}}\n#\n#\n`),
        { status: status(101), requestId: undefined }
      )
      const created = yield* exchange(
        raw,
        `{"requestId":"c","targetId":"${serviceId}","operationId":"0.DOIP/Op.Create",${auth}}\n#\n` +
          `{"id":"Q580","attributes":{"content":{"deep":${deep}}}}\n#\n#\n`
      )
      assertError(created, { status: status(101), requestId: "c" })
      assert.match(created.first["attributes"]["message"], /maxJsonDepth/)
      // 64 levels are fine
      const fine = `${"[".repeat(60)}${"]".repeat(60)}`
      assertOk(
        yield* exchange(
          raw,
          `{"requestId":"c2","targetId":"${serviceId}","operationId":"0.DOIP/Op.Create",${auth}}\n#\n` +
            `{"id":"Q581","attributes":{"content":{"deep":${fine}}}}\n#\n#\n`
        ),
        "c2"
      )
      assertOk(yield* exchange(raw, hello("after")), "after")
    }))

  it.effect("a TLS handshake at a plaintext-only port (TLS off): closed at once, no wait for a line end", () =>
    Effect.gen(function*() {
      const raw = yield* connect()
      // the first bytes of a TLS ClientHello record, and no line end anywhere
      yield* raw.write(Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03))
      assert.strictEqual((yield* raw.closedByServer()).length, 0)
    }))

  it.effect("EOF in the middle of a message: the server closes, and serves new connections afterwards", () =>
    Effect.gen(function*() {
      const { doip2Port } = yield* ListenAddress
      const cuts = [
        `{"requestId":"t1","operationId":"0.DOIP/Op.Hello"}\n#\n`, // before the final `#`
        `{"requestId":"t2","operationId":"0.DOIP/Op.Hel`, // inside the first segment
        `{"requestId":"t3","operationId":"0.DOIP/Op.Hello"}\n#\n@\n100\nabc`, // inside a chunk
        `{"requestId":"t4","operationId":"0.DOIP/Op.Hello"}\n#\n@\n` // before a chunk size
      ]
      for (const cut of cuts) {
        const raw = yield* connect()
        yield* raw.write(cut)
        raw.socket.end() // half-close: the client can still read what the server says
        const rest = yield* raw.closedByServer()
        if (rest.length > 0) {
          // an answer, if any, can only be a 101 for the broken message
          const split = splitMessage(rest)
          assert.isDefined(split, `a whole answer: ${JSON.stringify(text(rest))}`)
          assert.strictEqual(split!.length, rest.length)
          assert.strictEqual((split!.segments[0] as { json: any }).json["status"], status(101))
        }
      }
      // and one that vanishes outright
      const gone = yield* connect()
      yield* gone.write(`{"requestId":"t5","operationId":"0.DOIP/Op.Hello"}\n#\n@\n10\nab`)
      gone.socket.destroy()
      yield* Effect.sleep("50 millis")
      const raw = yield* connect()
      assertHello(yield* exchange(raw, helloCnri), "1", doip2Port)
    }))
})

// -----------------------------------------------------------------------------
// search, on a storage of its own
// -----------------------------------------------------------------------------

layer(layerServer(), { excludeTestServices: true })("DOIP v2.0 search, written by hand", (it) => {
  const search = (requestId: string, attributes: string) =>
    `{"requestId":"${requestId}","targetId":"${serviceId}","operationId":"0.DOIP/Op.Search","attributes":{${attributes}}}\n#\n#\n`

  const seeded = Effect.gen(function*() {
    yield* seed("Q1", "one.txt", "1", "text/plain")
    yield* seed("Q2", "two.txt", "22", "text/plain")
    yield* seed("Q10", "ten.txt", "10 10", "text/csv")
  })

  it.effect("query \"*\", type id: {size, results} of every id", () =>
    Effect.gen(function*() {
      yield* seeded
      const raw = yield* connect()
      const answer = yield* exchange(raw, search("s1", `"query":"*","type":"id"`))
      assertOk(answer, "s1")
      const output = compactOutput(answer)
      assert.deepStrictEqual(Object.keys(output).sort(), ["results", "size"])
      assert.strictEqual(output["size"], 3)
      assert.deepStrictEqual([...output["results"]].sort(), ["Q1", "Q10", "Q2"])
    }))

  it.effect("sortFields \"id DESC\" and \"id ASC\" (numeric order of QIDs)", () =>
    Effect.gen(function*() {
      yield* seeded
      const raw = yield* connect()
      const desc = compactOutput(yield* exchange(raw, search("s2", `"query":"*","type":"id","sortFields":"id DESC"`)))
      assert.deepStrictEqual(desc, { size: 3, results: ["Q10", "Q2", "Q1"] })
      const asc = compactOutput(yield* exchange(raw, search("s3", `"query":"*","type":"id","sortFields":"id ASC"`)))
      assert.deepStrictEqual(asc, { size: 3, results: ["Q1", "Q2", "Q10"] })
    }))

  it.effect("pageNum and pageSize: size counts every match, results only the page", () =>
    Effect.gen(function*() {
      yield* seeded
      const raw = yield* connect()
      const page0 = compactOutput(yield* exchange(raw, search("s4", `"query":"*","type":"id","sortFields":"id ASC","pageNum":0,"pageSize":2`)))
      assert.deepStrictEqual(page0, { size: 3, results: ["Q1", "Q2"] })
      const page1 = compactOutput(yield* exchange(raw, search("s5", `"query":"*","type":"id","sortFields":"id ASC","pageNum":1,"pageSize":2`)))
      assert.deepStrictEqual(page1, { size: 3, results: ["Q10"] })
      // doip-sdk sends numbers as strings
      const page2 = compactOutput(yield* exchange(raw, search("s6", `"query":"*","type":"id","sortFields":"id ASC","pageNum":"2","pageSize":"2"`)))
      assert.deepStrictEqual(page2, { size: 3, results: [] })
    }))

  it.effect("type full: whole digital objects; a query narrows the matches", () =>
    Effect.gen(function*() {
      yield* seeded
      const raw = yield* connect()
      const full = compactOutput(yield* exchange(raw, search("s7", `"query":"*","type":"full","sortFields":"id DESC"`)))
      assert.strictEqual(full["size"], 3)
      const results = full["results"] as Array<any>
      assert.deepStrictEqual(results.map((o) => o.id), ["Q10", "Q2", "Q1"])
      assert.deepStrictEqual(results[0].elements.map((e: any) => [e.id, e.type, e.length, e.attributes.filename]), [
        ["ten.txt", "text/csv", 5, "ten.txt"]
      ])
      assert.isObject(results[0].attributes.content)
      const narrowed = compactOutput(yield* exchange(raw, search("s8", `"query":"text/csv","type":"id"`)))
      assert.deepStrictEqual(narrowed, { size: 1, results: ["Q10"] })
    }))
})

// -----------------------------------------------------------------------------
// limits
// -----------------------------------------------------------------------------

const maxMetadataSize = 1024

layer(layerServer({ settings: { limits: { maxMetadataSize } } }), { excludeTestServices: true })(
  "DOIP v2.0 limits, written by hand",
  (it) => {
    /** a hello first segment of exactly `size` bytes */
    const paddedHello = (requestId: string, size: number) => {
      const bare = `{"requestId":"${requestId}","operationId":"0.DOIP/Op.Hello","attributes":{"pad":""}}`
      const json = bare.replace(`"pad":""`, `"pad":"${"x".repeat(size - bare.length)}"`)
      assert.strictEqual(utf8(json).length, size)
      return json
    }

    it.effect("a first segment of exactly limits.maxMetadataSize is served", () =>
      Effect.gen(function*() {
        const { doip2Port } = yield* ListenAddress
        const raw = yield* connect()
        assertHello(yield* exchange(raw, `${paddedHello("fits", maxMetadataSize)}\n#\n#\n`), "fits", doip2Port)
      }))

    it.effect("a first segment one byte over the limit: 101, then the close", () =>
      Effect.gen(function*() {
        const raw = yield* connect()
        const answer = yield* exchange(raw, `${paddedHello("over", maxMetadataSize + 1)}\n#\n#\n`)
        assertError(answer, { status: status(101), requestId: undefined })
        assert.strictEqual((yield* raw.closedByServer()).length, 0)
      }))

    it.effect("JSON text past the limit is refused before its end arrives", () =>
      Effect.gen(function*() {
        const raw = yield* connect()
        // no `\n#\n`: the server must not wait for it
        const answer = yield* exchange(raw, `{"requestId":"huge","operationId":"0.DOIP/Op.Hello","attributes":{"pad":"${"y".repeat(4 * maxMetadataSize)}`)
        assertError(answer, { status: status(101), requestId: undefined })
        assert.strictEqual((yield* raw.closedByServer()).length, 0)
      }))

    it.effect("an input segment past the limit: 101 with the requestId, then the close", () =>
      Effect.gen(function*() {
        const raw = yield* connect()
        const answer = yield* exchange(
          raw,
          `{"requestId":"in","operationId":"0.DOIP/Op.Create",${auth}}\n#\n{"id":"Q1","attributes":{"content":{"pad":"${"z".repeat(2 * maxMetadataSize)}"}}}\n#\n#\n`
        )
        assertError(answer, { status: status(101), requestId: "in" })
        assert.strictEqual((yield* raw.closedByServer()).length, 0)
      }))

    it.effect("the server goes on: a fresh connection gets a hello answer", () =>
      Effect.gen(function*() {
        const { doip2Port } = yield* ListenAddress
        const raw = yield* connect()
        assertHello(yield* exchange(raw, helloCnri), "1", doip2Port)
      }))
  }
)

// -----------------------------------------------------------------------------
// an extension operation, on both listeners
// -----------------------------------------------------------------------------

const echo = Effect.succeed({
  name: "echo",
  code: undefined,
  doipId: "example/Op.Echo",
  target: "service",
  handler: (request) => Effect.succeed(metadataResponse({ echo: request.attributes, objectId: request.objectId }))
} satisfies Operation)

/** a handler with a bug: it dies */
const crash = Effect.succeed({
  name: "crash",
  code: undefined,
  doipId: "example/Op.Crash",
  target: "service",
  handler: () => Effect.die(new Error("a bug in a handler"))
} satisfies Operation)

/** a handler that lets a storage failure through, as the built-in handlers do */
const missing = Effect.map(Storage, (storage) => ({
  name: "missing",
  code: undefined,
  doipId: "example/Op.Missing",
  target: "service",
  handler: () => Effect.map(storage.stat("Q999999", "nothing.bin"), () => metadataResponse({}))
} satisfies Operation))

layer(layerServer({ extensions: [echo, crash, missing] }), { excludeTestServices: true })("an extension operation", (it) => {
  it.effect("a handler's defect is a 500 and its storage failure a 104; the connection goes on", () =>
    Effect.gen(function*() {
      const raw = yield* connect()
      assertError(yield* exchange(raw, `{"requestId":"c1","operationId":"example/Op.Crash"}\n#\n#\n`), {
        status: status(500),
        requestId: "c1"
      })
      assertError(yield* exchange(raw, `{"requestId":"m1","operationId":"example/Op.Missing"}\n#\n#\n`), {
        status: status(104),
        requestId: "m1"
      })
      assertOk(yield* exchange(raw, `{"requestId":"e1","operationId":"example/Op.Echo"}\n#\n#\n`), "e1")
    }))

  it.effect("DOIP v2.0 reaches it by its doipId, and ListOperations lists it", () =>
    Effect.gen(function*() {
      const raw = yield* connect()
      const answer = yield* exchange(
        raw,
        `{"requestId":"x1","targetId":"${serviceId}","operationId":"example/Op.Echo","attributes":{"say":"hi","n":[1,2]}}\n#\n#\n`
      )
      assertOk(answer, "x1")
      assert.deepStrictEqual(compactOutput(answer), { echo: { say: "hi", n: [1, 2] }, objectId: serviceId })
      const ops = compactOutput(
        yield* exchange(raw, `{"requestId":"x2","targetId":"${serviceId}","operationId":"0.DOIP/Op.ListOperations"}\n#\n#\n`)
      ) as Array<string>
      assert.include(ops, "example/Op.Echo")
      // credentials never reach a handler's attributes
      const withAuth = yield* exchange(
        raw,
        `{"requestId":"x3","operationId":"example/Op.Echo","attributes":{"say":"x"},${auth}}\n#\n#\n`
      )
      assert.deepStrictEqual(compactOutput(withAuth), { echo: { say: "x" }, objectId: "" })
    }))

  it.effect("the binary listener reaches it by metadata {\"operation\":\"echo\"}", () =>
    Effect.gen(function*() {
      const raw = yield* connect("binaryPort")
      yield* raw.write(binaryRequest(0x00, `{"operation":"echo","say":"hi"}`))
      const reply = yield* raw.readWith(binaryReplies)
      assert.strictEqual(reply.msgType, 0x02, JSON.stringify(reply.metadata))
      assert.strictEqual(reply.operation, 0x00)
      assert.deepStrictEqual(reply.metadata, [{ echo: { operation: "echo", say: "hi" }, objectId: "" }])
    }))
})
