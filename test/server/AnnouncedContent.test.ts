/**
 * A success is announced only after the content can be read (issue 14, item 3): an element retrieve while lakeFS
 * fails or hangs on the content's `GET` gets an error answer on every wire (binary, DOIP v2.0, upstream), not a
 * success head followed by a cut or a hang, and the same connection then serves the next request. Content that fails
 * after its first piece went out can only cut the answer: the connection closes, and the log names the object and
 * element as the client named them. Raw sockets, so that what is checked is the bytes on the wire.
 */
import { assert, layer } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Envelope from "../../src/protocol/binary/Codec.ts"
import * as Stream from "effect/Stream"
import * as DoipClient from "../../src/client/DoipClient.ts"
import { Storage } from "../../src/layers/storage/Storage.ts"
import * as DoipServer from "../../src/server/DoipServer.ts"
import type { ListenAddress } from "../../src/server/DoipServer.ts"
import { concatBytes } from "../support/Random.ts"
import { LakeFsStandIn } from "../support/LakeFsStandIn.ts"
import { bytes, connectTo, exchange, framing, type Framing, text, u32, utf8 } from "../support/RawSocket.ts"
import { layerServerOnLakeFs } from "../support/StorageBackends.ts"
import { seed, token } from "../support/TestServer.ts"

/** what a test needs of an answer, whatever the wire */
interface Answer {
  /** the error kind, when it is an error answer */
  readonly error: string | undefined
  readonly message: string | undefined
  /** the element's bytes, when it succeeded */
  readonly content: Uint8Array | undefined
}

interface Wire {
  readonly name: string
  readonly port: (address: (typeof ListenAddress)["Service"]) => number
  readonly retrieve: (objectId: string, element: string) => Uint8Array
  readonly answers: Framing<Answer>
  /** whether the bytes start a success answer */
  readonly announcesSuccess: (received: Uint8Array) => boolean
}

// -----------------------------------------------------------------------------
// the three wires, read by hand
// -----------------------------------------------------------------------------

const u16At = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!
const u32At = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at, false)

const binary: Wire = {
  name: "binary",
  port: (address) => address.binaryPort,
  retrieve: (objectId, element) =>
    Envelope.encodeSync({
      msgType: Envelope.MessageType.Request,
      operation: 0x02,
      objectId,
      metadata: [{ operation: "retrieve", element }]
    }),
  // header: version, msgType, operation, flags, objectIdLen:u16, payloadLen:u32
  answers: framing("a binary envelope", (buffer) => {
    if (buffer.length < 10) return undefined
    const length = 10 + u16At(buffer, 4) + u32At(buffer, 6)
    return buffer.length < length ? undefined : { length }
  }, (_, message): Answer => {
    const payload = message.subarray(10 + u16At(message, 4))
    if (message[1] === Envelope.MessageType.Error) {
      const body = JSON.parse(text(payload.subarray(5, 5 + u32At(payload, 1))))
      return { error: body.error, message: body.message, content: undefined }
    }
    // one component block: type, bodyLen, idLen:u16, id, mediaTypeLen:u16, mediaType, contentLen:u32, content
    let at = 5
    at += 2 + u16At(payload, at)
    at += 2 + u16At(payload, at)
    return { error: undefined, message: undefined, content: payload.subarray(at + 4, at + 4 + u32At(payload, at)) }
  }),
  announcesSuccess: (received) => received.length >= 2 && received[1] === Envelope.MessageType.Response
}

const doip2: Wire = {
  name: "DOIP v2.0",
  port: (address) => address.doip2Port,
  retrieve: (objectId, element) =>
    utf8(`${
      JSON.stringify({ requestId: "r", targetId: objectId, operationId: "0.DOIP/Op.Retrieve", attributes: { element } })
    }\n#\n#\n`),
  // the first segment (our test answers hold no "\n#\n" in their JSON), then a bytes segment or the end
  answers: framing("a DOIP v2.0 answer", (buffer) => {
    const s = Buffer.from(buffer).toString("latin1")
    const headEnd = s.indexOf("\n#\n")
    if (headEnd < 0) return undefined
    const head = JSON.parse(Buffer.from(buffer.subarray(0, headEnd)).toString("utf8"))
    let at = headEnd + 3
    const chunks: Array<Uint8Array> = []
    if (s.startsWith("@\n", at)) {
      at += 2
      for (;;) {
        if (s.length < at + 2) return undefined
        if (s.startsWith("#\n", at)) {
          at += 2
          break
        }
        const line = s.indexOf("\n", at)
        if (line < 0) return undefined
        const size = Number(s.slice(at, line))
        if (s.length < line + 1 + size + 1) return undefined
        chunks.push(buffer.subarray(line + 1, line + 1 + size))
        at = line + 1 + size + 1
      }
    }
    if (s.length < at + 2) return undefined
    assert.strictEqual(s.slice(at, at + 2), "#\n", "the message ends")
    return { length: at + 2, head, chunks }
  }, ({ chunks, head }): Answer =>
    head.status === "0.DOIP/Status.001"
      ? { error: undefined, message: undefined, content: bytes(...chunks) }
      : { error: `${head.status} ${head.attributes?.error}`, message: head.attributes?.message, content: undefined }),
  announcesSuccess: (received) => text(received.subarray(0, 200)).includes(`"status":"0.DOIP/Status.001"`)
}

const upstream: Wire = {
  name: "upstream",
  port: (address) => address.doip2Port,
  retrieve: (objectId, element) => {
    const request = utf8(JSON.stringify({ operationId: "0.DOIP/Op.Retrieve", targetId: objectId, attributes: { element } }))
    return bytes(u32(request.length), request, u32(0))
  },
  answers: framing("an upstream answer", (buffer) => {
    const segments: Array<Uint8Array> = []
    for (let at = 0;;) {
      if (buffer.length < at + 4) return undefined
      const length = u32At(buffer, at)
      at += 4
      if (length === 0) return { length: at, segments }
      if (buffer.length < at + length) return undefined
      segments.push(buffer.subarray(at, at + length))
      at += length
    }
  }, ({ segments }): Answer => {
    const head = JSON.parse(text(segments[0]!))
    return head.status === "success"
      ? { error: undefined, message: undefined, content: bytes(...segments.slice(1)) }
      : { error: head.error, message: head.message, content: undefined }
  }),
  announcesSuccess: (received) => received.length > 4 && text(received.subarray(4, 40)).startsWith(`{"status":"success"`)
}

/** the error kind each wire answers `Unavailable` with */
const unavailableOn = (wire: Wire) => (wire === doip2 ? "0.DOIP/Status.500 Unavailable" : "Unavailable")

// -----------------------------------------------------------------------------
// the server
// -----------------------------------------------------------------------------

const timeout = Duration.millis(400)
/** a content read (`GET …/objects?path=`), not its stat (`…/objects/stat?path=`) */
const contentGet = /^GET [^?]*\/objects\?path=/

/** the warnings the server logged */
const warnings: Array<string> = []
const recordWarnings = Logger.layer([
  Logger.make((options) => {
    if (options.logLevel === "Warn") {
      warnings.push(Array.isArray(options.message) ? options.message.join(" ") : String(options.message))
    }
  })
])

const server = layerServerOnLakeFs({ lakeFs: { timeout } }).pipe(Layer.provide(recordWarnings))

layer(server, { excludeTestServices: true })("a success is announced only after the content can be read", (it) => {
  const wires = [binary, doip2, upstream]
  let next = 4100
  /** a fresh object with one small text element */
  const seeded = (content = "the content") =>
    Effect.gen(function*() {
      const objectId = `Q${next++}`
      yield* seed(objectId, "a.txt", content, "text/plain")
      return objectId
    })

  for (const wire of wires) {
    it.effect(`${wire.name}: lakeFS answering 500 to the content GET is an error answer; the connection serves on`, () =>
      Effect.gen(function*() {
        const standIn = yield* LakeFsStandIn
        const objectId = yield* seeded()
        const raw = yield* connectTo(wire.port, wire.answers)
        standIn.failNext(1000, 500, contentGet)
        const refused = yield* exchange(raw, wire.retrieve(objectId, "a.txt")).pipe(
          Effect.ensuring(Effect.sync(() => standIn.failNext(0)))
        )
        assert.strictEqual(refused.error, unavailableOn(wire))
        assert.match(refused.message!, /^storage unavailable: lakeFS read of component a\.txt of Q\d+ failed: HTTP 500$/)
        const served = yield* exchange(raw, wire.retrieve(objectId, "a.txt"))
        assert.strictEqual(served.error, undefined)
        assert.strictEqual(text(served.content!), "the content")
      }))

    it.effect(`${wire.name}: a content GET that hangs is an error answer at the timeout; the connection serves on`, () =>
      Effect.gen(function*() {
        const standIn = yield* LakeFsStandIn
        const objectId = yield* seeded()
        const raw = yield* connectTo(wire.port, wire.answers)
        standIn.hang(contentGet)
        const [took, refused] = yield* Effect.timed(exchange(raw, wire.retrieve(objectId, "a.txt"))).pipe(
          Effect.ensuring(Effect.sync(() => standIn.hang(undefined)))
        )
        assert.strictEqual(refused.error, unavailableOn(wire))
        assert.match(refused.message!, /^storage unavailable: lakeFS read of component a\.txt of Q\d+ failed: no answer within 400ms$/)
        assert.isBelow(Duration.toMillis(took), 3000, "answered at the timeout")
        const served = yield* exchange(raw, wire.retrieve(objectId, "a.txt"))
        assert.strictEqual(text(served.content!), "the content")
      }))

    it.effect(`${wire.name}: a component deleted since its stat is NotFound, not a success`, () =>
      Effect.gen(function*() {
        const standIn = yield* LakeFsStandIn
        const objectId = yield* seeded()
        const raw = yield* connectTo(wire.port, wire.answers)
        standIn.failNext(1, 404, contentGet)
        const refused = yield* exchange(raw, wire.retrieve(objectId, "a.txt"))
        assert.strictEqual(refused.error, wire === doip2 ? "0.DOIP/Status.104 NotFound" : "NotFound")
        const served = yield* exchange(raw, wire.retrieve(objectId, "a.txt"))
        assert.strictEqual(text(served.content!), "the content")
      }))

    it.effect(`${wire.name}: content failing after its first piece went out closes the connection, with a warning`, () =>
      Effect.gen(function*() {
        const standIn = yield* LakeFsStandIn
        const size = 3 * 1024 * 1024
        const objectId = yield* seeded("x".repeat(size))
        const raw = yield* connectTo(wire.port, wire.answers)
        standIn.cutAfter(1536 * 1024, contentGet)
        const named = objectId.toLowerCase()
        yield* raw.write(wire.retrieve(named, "a.txt"))
        const received = yield* raw.closedByServer().pipe(Effect.ensuring(Effect.sync(() => standIn.cutAfter(0, undefined))))
        assert.isTrue(wire.announcesSuccess(received), "the head went out with the first piece")
        assert.isBelow(received.length, size, "the answer is cut")
        const warning = warnings.find((w) => w.includes(JSON.stringify(named)))
        assert.isDefined(warning, `a warning names ${named}: ${JSON.stringify(warnings)}`)
        assert.include(warning!, `retrieve of "${named}", element "a.txt" failed part-way, closing the connection`)
      }))
  }
})

layer(server, { excludeTestServices: true })("a write whose upload to lakeFS stalls", (it) => {
  it.effect("fails at its deadline (the timeout plus its bytes at 1 MB/s) with Unavailable; the next write goes through", () =>
    Effect.gen(function*() {
      const standIn = yield* LakeFsStandIn
      yield* seed("Q4200", "a.txt", "before", "text/plain")
      const { binaryPort } = yield* DoipServer.ListenAddress
      const client = yield* DoipClient.make({ host: "127.0.0.1", port: binaryPort, timeout: "10 seconds", credentials: { token } })
      standIn.hang(/^POST [^?]*\/objects\?path=[^&]*Q4200%2Fcomponents%2Fa\.txt/)
      const [took, refused] = yield* Effect.timed(
        Effect.flip(client.updateComponent("Q4200", "a.txt", new TextEncoder().encode("after"), "text/plain"))
      ).pipe(Effect.ensuring(Effect.sync(() => standIn.hang(undefined))))
      assert.strictEqual(refused._tag === "ServerError" && refused.error, "Unavailable", refused.message)
      assert.isBelow(Duration.toMillis(took), 5_000, "refused at the deadline, not held")
      yield* client.updateComponent("Q4200", "a.txt", new TextEncoder().encode("after"), "text/plain")
      const storage = yield* Storage
      assert.strictEqual(new TextDecoder().decode(concatBytes(yield* Stream.runCollect(storage.read("Q4200", "a.txt")))), "after")
    }).pipe(Effect.scoped))
})
