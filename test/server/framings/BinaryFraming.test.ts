/**
 * The binary listener seen from a raw `node:net` socket, with every request written byte by byte from PROTOCOL.md §1
 * (nothing here uses `src/protocol/binary/Codec.ts`): the envelope's layout, error envelopes that keep the connection
 * open, framing errors that close it, odd chunkings, pipelining, and a client that vanishes mid-upload.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { Storage } from "../../../src/layers/storage/Storage.ts"
import { concatBytes } from "../../support/Random.ts"
import { bytes, connectTo, exchange, framing, u32, utf8 } from "../../support/RawSocket.ts"
import { layerServer, seed, token } from "../../support/TestServer.ts"

// -----------------------------------------------------------------------------
// hand-written envelope bytes (PROTOCOL.md §1, big-endian throughout)
// -----------------------------------------------------------------------------

const u16 = (n: number): Uint8Array => {
  const out = new Uint8Array(2)
  new DataView(out.buffer).setUint16(0, n, false)
  return out
}

/** version:u8 msgType:u8 operation:u8 flags:u8 objectIdLen:u16 payloadLen:u32 */
const header = (h: {
  readonly version?: number
  readonly msgType?: number
  readonly operation: number
  readonly flags?: number
  readonly objectIdLen: number
  readonly payloadLen: number
}): Uint8Array => {
  const out = new Uint8Array(10)
  const view = new DataView(out.buffer)
  view.setUint8(0, h.version ?? 0x02)
  view.setUint8(1, h.msgType ?? 0x01)
  view.setUint8(2, h.operation)
  view.setUint8(3, h.flags ?? 0x00)
  view.setUint16(4, h.objectIdLen, false)
  view.setUint32(6, h.payloadLen, false)
  return out
}

/** blockType:u8 bodyLen:u32 body */
const block = (blockType: number, body: Uint8Array) => bytes([blockType], u32(body.length), body)

/** a metadata block; a string is sent as is (to send broken JSON) */
const metadata = (json: string | Record<string, unknown>) =>
  block(0x01, utf8(typeof json === "string" ? json : JSON.stringify(json)))

/** componentIdLen:u16 componentId mediaTypeLen:u16 mediaType contentLen:u32 content */
const componentBody = (componentId: string, mediaType: string, content: Uint8Array) => {
  const id = utf8(componentId)
  const type = utf8(mediaType)
  return bytes(u16(id.length), id, u16(type.length), type, u32(content.length), content)
}

const component = (componentId: string, mediaType: string, content: Uint8Array) =>
  block(0x02, componentBody(componentId, mediaType, content))

/** a whole message: header, object id, then the blocks as the payload */
const message = (m: {
  readonly version?: number
  readonly msgType?: number
  readonly operation: number
  readonly flags?: number
  readonly objectId?: string
  readonly blocks?: ReadonlyArray<Uint8Array>
}) => {
  const objectId = utf8(m.objectId ?? "")
  const payload = bytes(...(m.blocks ?? []))
  return bytes(
    header({ ...m, objectIdLen: objectId.length, payloadLen: payload.length }),
    objectId,
    payload
  )
}

/** the hello request of the brief, every byte spelled out */
const helloRequest = Uint8Array.from([
  0x02, 0x01, 0x01, 0x00, // version 2, request, hello, flags
  0x00, 0x00, // objectIdLen 0
  0x00, 0x00, 0x00, 0x1a, // payloadLen 26 = 5 + 21
  0x01, 0x00, 0x00, 0x00, 0x15, // metadata block, bodyLen 21
  ...utf8(`{"operation":"hello"}`)
])

const updateRequest = (objectId: string, componentId: string, content: Uint8Array, credential = token) =>
  message({
    operation: 0x03,
    objectId,
    blocks: [
      metadata({ operation: "update", element: componentId, token: credential }),
      component(componentId, "text/plain", content)
    ]
  })

// -----------------------------------------------------------------------------
// a small hand-written parser of answers
// -----------------------------------------------------------------------------

interface Reply {
  readonly bytes: Uint8Array
  readonly version: number
  readonly msgType: number
  readonly operation: number
  readonly flags: number
  readonly objectId: string
  readonly blockTypes: ReadonlyArray<number>
  readonly metadata: ReadonlyArray<Record<string, any>>
  readonly components: ReadonlyArray<{ readonly componentId: string; readonly mediaType: string; readonly content: Uint8Array }>
}

const messageLength = (buffer: Uint8Array): number | undefined => {
  if (buffer.length < 10) return undefined
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  return 10 + view.getUint16(4, false) + view.getUint32(6, false)
}

const parseReply = (message: Uint8Array): Reply => {
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength)
  const decode = (from: number, length: number) => new TextDecoder("utf-8", { fatal: true }).decode(message.subarray(from, from + length))
  const objectIdLen = view.getUint16(4, false)
  const payloadLen = view.getUint32(6, false)
  const blockTypes: Array<number> = []
  const metadata: Array<Record<string, any>> = []
  const components: Array<{ componentId: string; mediaType: string; content: Uint8Array }> = []
  let offset = 10 + objectIdLen
  const end = offset + payloadLen
  while (offset < end) {
    const blockType = view.getUint8(offset)
    const bodyLen = view.getUint32(offset + 1, false)
    const body = offset + 5
    blockTypes.push(blockType)
    if (blockType === 0x01) metadata.push(JSON.parse(decode(body, bodyLen)))
    if (blockType === 0x02) {
      const idLen = view.getUint16(body, false)
      const typeLen = view.getUint16(body + 2 + idLen, false)
      const contentLen = view.getUint32(body + 4 + idLen + typeLen, false)
      const contentAt = body + 8 + idLen + typeLen
      assert.strictEqual(contentAt + contentLen, body + bodyLen, "component block length")
      components.push({
        componentId: decode(body + 2, idLen),
        mediaType: decode(body + 4 + idLen, typeLen),
        content: message.slice(contentAt, contentAt + contentLen)
      })
    }
    offset = body + bodyLen
  }
  assert.strictEqual(offset, end, "blocks fill the payload exactly")
  return {
    bytes: message,
    version: view.getUint8(0),
    msgType: view.getUint8(1),
    operation: view.getUint8(2),
    flags: view.getUint8(3),
    objectId: decode(10, objectIdLen),
    blockTypes,
    metadata,
    components
  }
}

/** the binary envelope's framing: a whole message is the header plus the lengths it gives */
const replies = framing("an answer", (buffer) => {
  const length = messageLength(buffer)
  return length !== undefined && buffer.length >= length ? { length } : undefined
}, (_, message) => parseReply(message))

/** a raw connection to the binary listener in context, destroyed when the test's scope closes */
const connect = connectTo((address) => address.binaryPort, replies)

const assertHello = (reply: Reply) => {
  assert.strictEqual(reply.version, 0x02)
  assert.strictEqual(reply.msgType, 0x02)
  assert.strictEqual(reply.operation, 0x01)
  assert.strictEqual(reply.flags, 0x00)
  assert.strictEqual(reply.objectId, "")
  assert.deepStrictEqual(reply.blockTypes, [0x01])
  const hello = reply.metadata[0]!
  assert.strictEqual(hello["status"], "ok")
  assert.strictEqual(hello["version"], 2)
  assert.isObject(hello["availableOperations"])
  assert.strictEqual(hello["availableOperations"]["hello"], 1)
  assert.strictEqual(hello["availableOperations"]["retrieve"], 2)
  assert.strictEqual(hello["availableOperations"]["update"], 3)
}

/** an error envelope: msgType 0x7F, the request's operation and object id, one block `{error, message}` */
const assertErrorEnvelope = (reply: Reply, expected: { operation: number; objectId: string; error: string }) => {
  assert.strictEqual(reply.version, 0x02)
  assert.strictEqual(reply.msgType, 0x7f, `msgType of ${JSON.stringify(reply.metadata)}`)
  assert.strictEqual(reply.operation, expected.operation)
  assert.strictEqual(reply.objectId, expected.objectId)
  assert.deepStrictEqual(reply.blockTypes, [0x01])
  const body = reply.metadata[0]!
  assert.deepStrictEqual(Object.keys(body).sort(), ["error", "message"])
  assert.strictEqual(body["error"], expected.error, body["message"])
  assert.isString(body["message"])
  assert.isAbove(body["message"].length, 0)
}

const readContent = (objectId: string, componentId: string) =>
  Effect.gen(function*() {
    const storage = yield* Storage
    return new TextDecoder().decode(concatBytes(yield* Stream.runCollect(storage.read(objectId, componentId))))
  })

// -----------------------------------------------------------------------------
// tests
// -----------------------------------------------------------------------------

layer(layerServer(), { excludeTestServices: true })("the binary envelope, written by hand", (it) => {
  it.effect("hello: header 0x02 0x01 0x01 0x00, one metadata block, answered with status ok, version 2", () =>
    Effect.gen(function*() {
      const raw = yield* connect
      assertHello(yield* exchange(raw, helloRequest))
    }))

  it.effect("the flags byte is echoed in the answer", () =>
    Effect.gen(function*() {
      const raw = yield* connect
      const reply = yield* exchange(raw, message({ operation: 0x01, flags: 0x80, blocks: [metadata({ operation: "hello" })] }))
      assert.strictEqual(reply.msgType, 0x02)
      assert.strictEqual(reply.flags, 0x80)
    }))

  it.effect("retrieve with element answers one component block, byte for byte", () =>
    Effect.gen(function*() {
      yield* seed("Q100", "hello.txt", "Hello, DOIP!\n", "text/plain")
      const raw = yield* connect
      const reply = yield* exchange(
        raw,
        message({ operation: 0x02, objectId: "Q100", blocks: [metadata(`{"operation":"retrieve","element":"hello.txt"}`)] })
      )
      const expected = Uint8Array.from([
        0x02, 0x02, 0x02, 0x00, // version, response, retrieve, flags
        0x00, 0x04, // objectIdLen
        0x00, 0x00, 0x00, 0x2d, // payloadLen 45 = 5 + 40
        ...utf8("Q100"),
        0x02, 0x00, 0x00, 0x00, 0x28, // component block, bodyLen 40 = 2 + 9 + 2 + 10 + 4 + 13
        0x00, 0x09, ...utf8("hello.txt"),
        0x00, 0x0a, ...utf8("text/plain"),
        0x00, 0x00, 0x00, 0x0d, ...utf8("Hello, DOIP!\n")
      ])
      assert.deepStrictEqual(reply.bytes, expected)
    }))

  it.effect("retrieve with element and range answers the bytes asked for; a bad range is a BadRequest envelope", () =>
    Effect.gen(function*() {
      yield* seed("Q102", "hello.txt", "Hello, DOIP!\n", "text/plain")
      const raw = yield* connect
      const reply = yield* exchange(
        raw,
        message({
          operation: 0x02,
          objectId: "Q102",
          blocks: [metadata({ operation: "retrieve", element: "hello.txt", range: { start: 7, end: 10 } })]
        })
      )
      assert.strictEqual(reply.msgType, 0x02, JSON.stringify(reply.metadata))
      assert.deepStrictEqual(reply.components.map((c) => [c.componentId, new TextDecoder().decode(c.content)]), [["hello.txt", "DOIP"]])
      const bad = yield* exchange(
        raw,
        message({
          operation: 0x02,
          objectId: "Q102",
          blocks: [metadata({ operation: "retrieve", element: "hello.txt", range: { start: 20 } })]
        })
      )
      assertErrorEnvelope(bad, { operation: 0x02, objectId: "Q102", error: "BadRequest" })
    }))

  it.effect("update with a token in the first metadata block commits", () =>
    Effect.gen(function*() {
      yield* seed("Q101", "x.txt", "old x")
      const storage = yield* Storage
      const before = (yield* storage.history("Q101")).length
      const raw = yield* connect
      const reply = yield* exchange(raw, updateRequest("Q101", "x.txt", utf8("new x, by hand")))
      assert.strictEqual(reply.msgType, 0x02, JSON.stringify(reply.metadata))
      assert.strictEqual(reply.operation, 0x03)
      assert.strictEqual(reply.objectId, "Q101")
      assert.deepStrictEqual(reply.blockTypes, [0x01])
      const answer = reply.metadata[0]!
      assert.strictEqual(answer["status"], "committed")
      assert.strictEqual(answer["objectId"], "Q101")
      assert.strictEqual(answer["componentId"], "x.txt")
      assert.strictEqual(answer["mediaType"], "text/plain")
      assert.strictEqual(answer["size"], 14)
      assert.isString(answer["commitId"])
      assert.strictEqual(yield* readContent("Q101", "x.txt"), "new x, by hand")
      const history = yield* storage.history("Q101")
      assert.strictEqual(history.length, before + 1)
      assert.strictEqual(history[0]!.metadata["operation"], "update")
      // and the answer reads back through the listener
      const back = yield* exchange(raw, message({ operation: 0x02, objectId: "Q101", blocks: [metadata({ operation: "retrieve", element: "x.txt" })] }))
      assert.strictEqual(new TextDecoder().decode(back.components[0]!.content), "new x, by hand")
      assert.strictEqual(back.components[0]!.mediaType, "text/plain")
    }))

  it.effect("answers carry the keys upstream's client reads: hello's server_version, create's qid, invoke's result", () =>
    Effect.gen(function*() {
      yield* seed("Q103", "x.txt", "some text")
      const raw = yield* connect
      const hello = (yield* exchange(raw, helloRequest)).metadata[0]!
      assert.strictEqual(hello["server_version"], hello["serverVersion"])
      const created = yield* exchange(raw, message({
        operation: 0x08,
        blocks: [metadata({ operation: "create", token, id: "Q104" }), component("a.txt", "text/plain", utf8("a"))]
      }))
      assert.deepStrictEqual([created.msgType, created.metadata[0]!["qid"]], [0x02, "Q104"])
      // upstream's metadata `result` is the workflow block: {workflow, sourceObject, derivedComponents, ...}
      const invoked = yield* exchange(raw, message({
        operation: 0x05,
        objectId: "Q103",
        blocks: [metadata({ operation: "invoke", workflow: "fixity", params: {} })]
      }))
      const result = invoked.metadata[0]!["result"]
      assert.deepStrictEqual([result["workflow"], result["sourceObject"]], ["fixity", "Q103"])
      assert.deepStrictEqual(result["derivedComponents"].map((c: any) => c.componentId), ["fixity.sha256"])
      assert.strictEqual(result["allOk"], true)
    }))

  it.effect("describe (0x06): the object's FDO record, as retrieve's manifest; by name too", () =>
    Effect.gen(function*() {
      yield* seed("Q106", "a.txt", "a", "text/plain")
      const raw = yield* connect
      const described = yield* exchange(raw, message({ operation: 0x06, objectId: "Q106" }))
      const retrieved = yield* exchange(raw, message({ operation: 0x02, objectId: "Q106" }))
      assert.deepStrictEqual([described.msgType, described.operation, described.objectId], [0x02, 0x06, "Q106"])
      assert.deepStrictEqual(described.metadata, retrieved.metadata)
      assert.strictEqual(described.metadata[0]!["@id"], "Q106")
      const byName = yield* exchange(raw, message({ operation: 0x00, objectId: "Q106", blocks: [metadata({ operation: "describe" })] }))
      assert.deepStrictEqual([byName.operation, byName.metadata], [0x06, retrieved.metadata])
      const missing = yield* exchange(raw, message({ operation: 0x06, objectId: "Q107" }))
      assertErrorEnvelope(missing, { operation: 0x06, objectId: "Q107", error: "NotFound" })
    }))

  it.effect("the operation named in the metadata wins over the header's code; a code naming none is answered with its code", () =>
    Effect.gen(function*() {
      const raw = yield* connect
      const listOps = yield* exchange(raw, message({ operation: 0x01, blocks: [metadata({ operation: "list_operations" })] }))
      assert.strictEqual(listOps.msgType, 0x02)
      assert.strictEqual(listOps.operation, 0x01) // the request's code is echoed
      assert.strictEqual(listOps.metadata[0]!["operation"], "list_operations")
      assert.strictEqual(listOps.metadata[0]!["availableOperations"]["list_operations"], 4)
      assert.isUndefined(listOps.metadata[0]!["status"]) // not a hello answer
      const alias = yield* exchange(raw, message({ operation: 0x02, blocks: [metadata({ operation: "list_ops" })] }))
      assert.strictEqual(alias.operation, 0x02)
      assert.strictEqual(alias.metadata[0]!["operation"], "list_operations")
      const hello = yield* exchange(raw, message({ operation: 0x04, blocks: [metadata({ operation: "hello" })] }))
      assert.strictEqual(hello.operation, 0x04)
      assert.strictEqual(hello.metadata[0]!["status"], "ok")
      // a code no operation has (upstream's test sends 0x99): answered, with hello's code, as upstream answers
      const odd = yield* exchange(raw, message({ operation: 0x99, blocks: [metadata({ operation: "hello" })] }))
      assert.deepStrictEqual([odd.msgType, odd.operation, odd.metadata[0]!["status"]], [0x02, 0x01, "ok"])
      // no metadata at all: the header's code decides
      const byCode = yield* exchange(raw, message({ operation: 0x04 }))
      assert.strictEqual(byCode.msgType, 0x02)
      assert.strictEqual(byCode.metadata[0]!["operation"], "list_operations")
    }))

  const openErrors: ReadonlyArray<{
    readonly name: string
    readonly request: Uint8Array | (() => Effect.Effect<Uint8Array, any, any>)
    readonly operation: number
    readonly objectId: string
    readonly error: string
  }> = [
    {
      name: "an unknown operation code (0x42)",
      request: message({ operation: 0x42 }),
      operation: 0x42,
      objectId: "",
      error: "UnsupportedOperation"
    },
    {
      name: "an unknown operation code with empty metadata",
      request: message({ operation: 0x42, objectId: "Q1", blocks: [metadata({})] }),
      operation: 0x42,
      objectId: "Q1",
      error: "UnsupportedOperation"
    },
    {
      name: "an unknown operation name",
      request: message({ operation: 0x01, blocks: [metadata({ operation: "frobnicate" })] }),
      operation: 0x01,
      objectId: "",
      error: "UnsupportedOperation"
    },
    {
      name: "describe (0x06) of no object",
      request: message({ operation: 0x06 }),
      operation: 0x06,
      objectId: "",
      error: "BadRequest"
    },
    {
      name: "search without a query",
      request: message({ operation: 0x09 }),
      operation: 0x09,
      objectId: "",
      error: "BadRequest"
    },
    {
      name: "an operation name that is not a string",
      request: message({ operation: 0x01, blocks: [metadata({ operation: 5 })] }),
      operation: 0x01,
      objectId: "",
      error: "UnsupportedOperation"
    },
    {
      name: "invalid JSON metadata",
      request: message({ operation: 0x01, blocks: [metadata(`{"operation":"hello"`)] }),
      operation: 0x01,
      objectId: "",
      error: "BadRequest"
    },
    {
      name: "metadata that is JSON but not an object",
      request: message({ operation: 0x01, blocks: [metadata(`["hello"]`)] }),
      operation: 0x01,
      objectId: "",
      error: "BadRequest"
    },
    {
      // regression (issue 14): as a token, 100,000 levels killed the connection in credential handling
      name: "a token nesting 100,000 arrays deep (limits.maxJsonDepth)",
      request: message({
        operation: 0x03,
        objectId: "Q1",
        blocks: [metadata(`{"operation":"update","token":${"[".repeat(100_000)}${"]".repeat(100_000)}}`)]
      }),
      operation: 0x03,
      objectId: "Q1",
      error: "BadRequest"
    },
    {
      name: "metadata that is not UTF-8",
      request: message({ operation: 0x01, blocks: [block(0x01, Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d))] }),
      operation: 0x01,
      objectId: "",
      error: "BadRequest"
    },
    {
      name: "an object id that is not a QID: no such object",
      request: message({ operation: 0x02, objectId: "not-a-qid", blocks: [metadata({ operation: "retrieve" })] }),
      operation: 0x02,
      objectId: "not-a-qid",
      error: "NotFound"
    },
    {
      name: "a missing object",
      request: message({ operation: 0x02, objectId: "Q999999", blocks: [metadata({ operation: "retrieve" })] }),
      operation: 0x02,
      objectId: "Q999999",
      error: "NotFound"
    },
    {
      name: "a missing component",
      request: () =>
        Effect.as(
          seed("Q110", "there.txt", "here"),
          message({ operation: 0x02, objectId: "Q110", blocks: [metadata({ operation: "retrieve", element: "absent.txt" })] })
        ),
      operation: 0x02,
      objectId: "Q110",
      error: "NotFound"
    },
    {
      name: "wrong credentials on update",
      request: () => Effect.as(seed("Q111", "x.txt", "original"), updateRequest("Q111", "x.txt", utf8("evil"), "wrong-token")),
      operation: 0x03,
      objectId: "Q111",
      error: "Unauthenticated"
    },
    {
      name: "no credentials on update",
      request: () =>
        Effect.as(
          seed("Q112", "x.txt", "original"),
          message({
            operation: 0x03,
            objectId: "Q112",
            blocks: [metadata({ operation: "update", element: "x.txt" }), component("x.txt", "", utf8("evil"))]
          })
        ),
      operation: 0x03,
      objectId: "Q112",
      error: "Unauthenticated"
    },
    {
      name: "msgType 0x02 (a response) instead of a request",
      request: message({ msgType: 0x02, operation: 0x01, blocks: [metadata({ operation: "hello" })] }),
      operation: 0x01,
      objectId: "",
      error: "BadRequest"
    },
    {
      name: "msgType 0x7F (an error) instead of a request",
      request: message({ msgType: 0x7f, operation: 0x01, blocks: [metadata({ operation: "hello" })] }),
      operation: 0x01,
      objectId: "",
      error: "BadRequest"
    }
  ]

  for (const c of openErrors) {
    it.effect(`error envelope, connection stays open: ${c.name}`, () =>
      Effect.gen(function*() {
        const request = typeof c.request === "function" ? yield* c.request() : c.request
        const raw = yield* connect
        assertErrorEnvelope(yield* exchange(raw, request), c)
        // the same connection answers the next request
        assertHello(yield* exchange(raw, helloRequest))
        assert.isFalse(raw.closed)
      }))
  }

  it.effect("a refused 2 MiB update changes nothing in storage, and its content is skipped", () =>
    Effect.gen(function*() {
      yield* seed("Q113", "x.txt", "original")
      const storage = yield* Storage
      const before = yield* storage.history("Q113")
      const raw = yield* connect
      const reply = yield* exchange(raw, updateRequest("Q113", "x.txt", new Uint8Array(2 * 1024 * 1024).fill(0x65), "wrong-token"))
      assertErrorEnvelope(reply, { operation: 0x03, objectId: "Q113", error: "Unauthenticated" })
      // the unread 2 MiB were skipped: the next request on the connection is found
      assertHello(yield* exchange(raw, helloRequest))
      assert.strictEqual((yield* storage.history("Q113")).length, before.length)
      assert.strictEqual(yield* readContent("Q113", "x.txt"), "original")
    }))

  it.effect("a request written one byte at a time", () =>
    Effect.gen(function*() {
      yield* seed("Q120", "x.txt", "old")
      const raw = yield* connect
      yield* raw.writeBytewise(helloRequest)
      assertHello(yield* raw.read())
      yield* raw.writeBytewise(updateRequest("Q120", "x.txt", utf8("bytewise content")))
      const update = yield* raw.read()
      assert.strictEqual(update.metadata[0]!["status"], "committed", JSON.stringify(update.metadata))
      yield* raw.writeBytewise(
        message({ operation: 0x02, objectId: "Q120", blocks: [metadata({ operation: "retrieve", element: "x.txt" })] })
      )
      const back = yield* raw.read()
      assert.strictEqual(new TextDecoder().decode(back.components[0]!.content), "bytewise content")
    }))

  it.effect("pipelined requests in one write are answered in order", () =>
    Effect.gen(function*() {
      yield* seed("Q121", "a.txt", "aaa", "text/plain")
      const raw = yield* connect
      yield* raw.write(bytes(
        helloRequest,
        message({ operation: 0x02, objectId: "Q121", blocks: [metadata({ operation: "retrieve", element: "a.txt" })] }),
        message({ operation: 0x42 }),
        updateRequest("Q121", "a.txt", utf8("bbbb")),
        message({ operation: 0x04, blocks: [metadata({ operation: "list_operations" })] }),
        message({ operation: 0x02, objectId: "Q121", blocks: [metadata({ operation: "retrieve", element: "a.txt" })] })
      ))
      assertHello(yield* raw.read())
      const first = yield* raw.read()
      assert.strictEqual(first.operation, 0x02)
      assert.strictEqual(new TextDecoder().decode(first.components[0]!.content), "aaa")
      assertErrorEnvelope(yield* raw.read(), { operation: 0x42, objectId: "", error: "UnsupportedOperation" })
      const update = yield* raw.read()
      assert.strictEqual(update.operation, 0x03)
      assert.strictEqual(update.metadata[0]!["status"], "committed")
      const listOps = yield* raw.read()
      assert.strictEqual(listOps.operation, 0x04)
      assert.strictEqual(listOps.metadata[0]!["operation"], "list_operations")
      const second = yield* raw.read()
      assert.strictEqual(new TextDecoder().decode(second.components[0]!.content), "bbbb")
    }))

  it.effect("a client that vanishes mid-upload changes nothing, and the server goes on", () =>
    Effect.gen(function*() {
      yield* seed("Q130", "c.txt", "original content of c")
      yield* seed("Q131", "d.txt", "original content of d")
      const storage = yield* Storage
      const historyBefore = yield* storage.history("Q130")
      const statBefore = yield* storage.stat("Q130", "c.txt")

      const raw = yield* connect
      const content = new Uint8Array(1000).fill(0x61)
      const full = updateRequest("Q130", "c.txt", content)
      yield* raw.write(full.subarray(0, full.length - 500)) // half of the component's content
      yield* Effect.sleep("100 millis") // the server is now streaming the upload into storage
      raw.socket.destroy()
      yield* Effect.sleep("300 millis")

      // a later commit (one commit takes everything staged) must not pick up a half upload
      const other = yield* connect
      const reply = yield* exchange(other, updateRequest("Q131", "d.txt", utf8("new d")))
      assert.strictEqual(reply.metadata[0]!["status"], "committed", JSON.stringify(reply.metadata))
      assertHello(yield* exchange(other, helloRequest))

      const historyAfter = yield* storage.history("Q130")
      assert.strictEqual(historyAfter.length, historyBefore.length)
      assert.strictEqual(historyAfter[0]!.id, historyBefore[0]!.id)
      assert.strictEqual(yield* readContent("Q130", "c.txt"), "original content of c")
      const statAfter = yield* storage.stat("Q130", "c.txt")
      assert.strictEqual(statAfter.size, statBefore.size)
      assert.strictEqual(statAfter.checksum, statBefore.checksum)
    }))

  it.effect("a client that vanishes inside a header or a metadata block does not break the server", () =>
    Effect.gen(function*() {
      for (const cut of [3, 10, 14, 20]) {
        const raw = yield* connect
        yield* raw.write(helloRequest.subarray(0, cut))
        raw.socket.destroy()
      }
      const raw = yield* connect
      assertHello(yield* exchange(raw, helloRequest))
    }))
})

const limits = { maxObjectIdLength: 16, maxMetadataSize: 256, maxMessageSize: 4096, maxComponentSize: 64 }

layer(layerServer({ settings: { limits } }), { excludeTestServices: true })(
  "framing errors are answered once, then the connection closes",
  (it) => {
    const framingErrors: ReadonlyArray<{
      readonly name: string
      /** what is sent; the server must answer without waiting for anything more */
      readonly request: Uint8Array
      readonly operation: number
      readonly objectId: string
      readonly error: "ProtocolError" | "TooLarge"
    }> = [
      {
        name: "version 0x01",
        request: message({ version: 0x01, operation: 0x01, blocks: [metadata({ operation: "hello" })] }),
        operation: 0x01,
        objectId: "",
        error: "ProtocolError"
      },
      {
        name: "version 0x03, header only",
        request: header({ version: 0x03, operation: 0x02, objectIdLen: 0, payloadLen: 0 }),
        operation: 0x02,
        objectId: "",
        error: "ProtocolError"
      },
      {
        name: "objectIdLen above limits.maxObjectIdLength (17 > 16), header only",
        request: header({ operation: 0x02, objectIdLen: 17, payloadLen: 0 }),
        operation: 0x02,
        objectId: "",
        error: "TooLarge"
      },
      {
        name: "objectIdLen 65535, header only",
        request: header({ operation: 0x02, objectIdLen: 0xffff, payloadLen: 0 }),
        operation: 0x02,
        objectId: "",
        error: "TooLarge"
      },
      {
        name: "a metadata block above limits.maxMetadataSize, its body not sent",
        request: bytes(
          header({ operation: 0x01, objectIdLen: 2, payloadLen: 5 + 257 }),
          utf8("Q1"),
          [0x01],
          u32(257)
        ),
        operation: 0x01,
        objectId: "Q1",
        error: "TooLarge"
      },
      {
        name: "payloadLen above limits.maxMessageSize, header only",
        request: header({ operation: 0x03, objectIdLen: 0, payloadLen: 4097 }),
        operation: 0x03,
        objectId: "",
        error: "TooLarge"
      },
      {
        name: "payloadLen 4 GiB - 1, header only",
        request: header({ operation: 0x03, objectIdLen: 0, payloadLen: 0xffff_ffff }),
        operation: 0x03,
        objectId: "",
        error: "TooLarge"
      },
      {
        name: "a component above limits.maxComponentSize, before any of its content",
        request: (() => {
          const meta = metadata({ operation: "update", element: "x.txt", token })
          const id = utf8("x.txt")
          const type = utf8("text/plain")
          const bodyLen = 2 + id.length + 2 + type.length + 4 + 100
          return bytes(
            header({ operation: 0x03, objectIdLen: 2, payloadLen: meta.length + 5 + bodyLen }),
            utf8("Q1"),
            meta,
            [0x02],
            u32(bodyLen),
            u16(id.length),
            id,
            u16(type.length),
            type,
            u32(100)
            // no content: the server must not wait for it
          )
        })(),
        operation: 0x03,
        objectId: "Q1",
        error: "TooLarge"
      },
      {
        name: "an unknown block type (0x09)",
        request: message({ operation: 0x01, objectId: "Q1", blocks: [block(0x09, utf8("{}"))] }),
        operation: 0x01,
        objectId: "Q1",
        error: "ProtocolError"
      },
      {
        name: "an unknown block type (0x00) after a metadata block",
        request: message({ operation: 0x01, blocks: [metadata({ operation: "hello" }), block(0x00, new Uint8Array(0))] }),
        operation: 0x01,
        objectId: "",
        error: "ProtocolError"
      },
      {
        name: "a block longer than the payload",
        request: bytes(header({ operation: 0x01, objectIdLen: 0, payloadLen: 5 + 21 }), [0x01], u32(22), utf8(`{"operation":"hello"}`)),
        operation: 0x01,
        objectId: "",
        error: "ProtocolError"
      },
      {
        name: "a payload that ends inside a block header",
        request: bytes(header({ operation: 0x01, objectIdLen: 0, payloadLen: 3 }), [0x01, 0x00, 0x00]),
        operation: 0x01,
        objectId: "",
        error: "ProtocolError"
      },
      {
        name: "a component whose content length disagrees with its block",
        request: bytes(
          header({ operation: 0x03, objectIdLen: 2, payloadLen: 5 + 2 + 5 + 2 + 0 + 4 + 3 }),
          utf8("Q1"),
          [0x02],
          u32(2 + 5 + 2 + 0 + 4 + 3),
          u16(5),
          utf8("x.txt"),
          u16(0),
          u32(4), // the block holds 3 bytes of content
          utf8("abc")
        ),
        operation: 0x03,
        objectId: "Q1",
        error: "ProtocolError"
      },
      {
        name: "an object id that is not UTF-8",
        request: bytes(header({ operation: 0x02, objectIdLen: 2, payloadLen: 0 }), [0xc3, 0x28]),
        operation: 0x02,
        objectId: "",
        error: "ProtocolError"
      }
    ]

    for (const c of framingErrors) {
      it.effect(`framing error: ${c.name}`, () =>
        Effect.gen(function*() {
          const raw = yield* connect
          const reply = yield* exchange(raw, c.request)
          assertErrorEnvelope(reply, c)
          const rest = yield* raw.closedByServer()
          assert.strictEqual(rest.length, 0, "nothing follows the error envelope")
        }))
    }

    it.effect("a framing error after a good request: the good one is answered, then the error, then the close", () =>
      Effect.gen(function*() {
        const raw = yield* connect
        yield* raw.write(bytes(helloRequest, header({ version: 0x01, operation: 0x01, objectIdLen: 0, payloadLen: 0 }), helloRequest))
        assertHello(yield* raw.read())
        assertErrorEnvelope(yield* raw.read(), { operation: 0x01, objectId: "", error: "ProtocolError" })
        assert.strictEqual((yield* raw.closedByServer()).length, 0)
      }))

    it.effect("requests within the limits are served", () =>
      Effect.gen(function*() {
        yield* seed("Q140", "x.txt", "small")
        const raw = yield* connect
        const id16 = "Q140" // an id of 16 bytes would fail as a QID, so the limit itself is checked by the header test
        const reply = yield* exchange(raw, updateRequest(id16, "x.txt", new Uint8Array(64).fill(0x62)))
        assert.strictEqual(reply.metadata[0]!["status"], "committed", JSON.stringify(reply.metadata))
        const notQid = yield* exchange(raw, message({ operation: 0x02, objectId: "Q".padEnd(16, "x"), blocks: [metadata({ operation: "retrieve" })] }))
        // within the length limit, so the framing passes it on, and no such object exists
        assertErrorEnvelope(notQid, { operation: 0x02, objectId: "Q".padEnd(16, "x"), error: "NotFound" })
      }))

    it.effect("a metadata block of exactly maxMetadataSize in a payload of exactly maxMessageSize is served", () =>
      Effect.gen(function*() {
        /** a metadata block whose body is exactly `size` bytes */
        const padded = (fields: Record<string, unknown>, size: number) => {
          const bare = JSON.stringify({ ...fields, pad: "" })
          const body = JSON.stringify({ ...fields, pad: "x".repeat(size - bare.length) })
          assert.strictEqual(utf8(body).length, size)
          return metadata(body)
        }
        const blocks = [padded({ operation: "hello" }, limits.maxMetadataSize)]
        let payload = blocks[0]!.length
        while (limits.maxMessageSize - payload > 5 + limits.maxMetadataSize) {
          blocks.push(padded({}, limits.maxMetadataSize))
          payload += 5 + limits.maxMetadataSize
        }
        blocks.push(padded({}, limits.maxMessageSize - payload - 5))
        const request = message({ operation: 0x01, blocks })
        assert.strictEqual(request.length, 10 + limits.maxMessageSize)
        const raw = yield* connect
        assertHello(yield* exchange(raw, request))
      }))

    it.effect("the server survives all of that: a fresh connection gets a hello answer", () =>
      Effect.gen(function*() {
        const raw = yield* connect
        assertHello(yield* exchange(raw, helloRequest))
      }))
  }
)
