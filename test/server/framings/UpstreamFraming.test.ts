/**
 * The upstream server's "compat" variant on the DOIP v2.0 port (PROTOCOL.md, end of §2), from a raw `node:net`
 * socket with every request written by hand: 4-byte big-endian length-prefixed segments, a zero length ending the
 * message, a first byte 0x00 choosing the variant. Answers are split by a reader of their own (nothing here uses
 * `src/protocol/upstream/Codec.ts`).
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import { bytes, connectTo, exchange, framing, text, u32, utf8 } from "../../support/RawSocket.ts"
import { layerServer, seed, token } from "../../support/TestServer.ts"

// -----------------------------------------------------------------------------
// requests
// -----------------------------------------------------------------------------

/** one segment: its length, big-endian, then its bytes */
const segment = (body: string | Uint8Array) => {
  const b = typeof body === "string" ? utf8(body) : body
  return bytes(u32(b.length), b)
}

/** limits.maxMetadataSize of the second server: the upstream variant's segment limit */
const maxMetadataSize = 1024

const END = Uint8Array.of(0x00, 0x00, 0x00, 0x00)

/** a message: its segments, then the zero length */
const message = (...segments: ReadonlyArray<string | Uint8Array>) => bytes(...segments.map(segment), END)

/** the hello request, every byte spelled out */
const helloRequest = Uint8Array.from([
  0x00, 0x00, 0x00, 0x15, // length 21
  ...utf8(`{"operation":"hello"}`),
  0x00, 0x00, 0x00, 0x00 // end of message
])

// -----------------------------------------------------------------------------
// an independent reader of answers
// -----------------------------------------------------------------------------

interface Answer {
  readonly bytes: Uint8Array
  /** the first segment, parsed */
  readonly head: Record<string, any>
  /** the segments after it (component data) */
  readonly data: ReadonlyArray<Uint8Array>
}

/** the first whole message in `buffer`, or `undefined` when more bytes are needed */
const splitMessage = (buffer: Uint8Array): { readonly length: number; readonly segments: Array<Uint8Array> } | undefined => {
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  const segments: Array<Uint8Array> = []
  let at = 0
  for (;;) {
    if (buffer.length < at + 4) return undefined
    const length = view.getUint32(at, false)
    at += 4
    if (length === 0) return { length: at, segments }
    if (buffer.length < at + length) return undefined
    segments.push(buffer.slice(at, at + length))
    at += length
  }
}

/** the variant's answers: whole messages as `splitMessage` finds them, the first segment JSON */
const answers = framing("an answer", splitMessage, ({ segments }, message): Answer => {
  assert.isAbove(segments.length, 0, "an answer has a first segment")
  return { bytes: message, head: JSON.parse(text(segments[0]!)), data: segments.slice(1) }
})

/** a raw connection to the DOIP v2.0 port of the server in context, destroyed when the test's scope closes */
const connect = connectTo((address) => address.doip2Port, answers)

// -----------------------------------------------------------------------------
// checks
// -----------------------------------------------------------------------------

const assertHello = (answer: Answer) => {
  assert.deepStrictEqual(Object.keys(answer.head), ["status", "metadata", "workflow", "components"])
  assert.strictEqual(answer.head["status"], "success", JSON.stringify(answer.head))
  assert.strictEqual(answer.head["metadata"].length, 1)
  const hello = answer.head["metadata"][0]
  assert.strictEqual(hello["operation"], "hello")
  assert.strictEqual(hello["status"], "ok")
  assert.strictEqual(hello["version"], 2)
  assert.strictEqual(hello["availableOperations"]["hello"], 1)
  assert.strictEqual(hello["availableOperations"]["retrieve"], 2)
  assert.deepStrictEqual(answer.head["workflow"], [])
  assert.deepStrictEqual(answer.head["components"], [])
  assert.strictEqual(answer.data.length, 0)
}

/** `{"status":"error","error":kind,"message":text}` and the end */
const assertError = (answer: Answer, kind: string) => {
  assert.deepStrictEqual(Object.keys(answer.head), ["status", "error", "message"])
  assert.strictEqual(answer.head["status"], "error")
  assert.strictEqual(answer.head["error"], kind, answer.head["message"])
  assert.isString(answer.head["message"])
  assert.isAbove(answer.head["message"].length, 0)
  assert.strictEqual(answer.data.length, 0)
}

/**
 * A segment over the limit. The listener names every framing error `ProtocolError`, where the binary listener says
 * `TooLarge` for the same condition; either name is accepted, the message must say which limit.
 */
const assertLimitError = (answer: Answer) => {
  assert.deepStrictEqual(Object.keys(answer.head), ["status", "error", "message"])
  assert.strictEqual(answer.head["status"], "error")
  assert.oneOf(answer.head["error"], ["TooLarge", "ProtocolError"])
  assert.match(answer.head["message"], new RegExp(`exceeds the limit of ${maxMetadataSize}\\b`))
  assert.strictEqual(answer.data.length, 0)
}

/** the byte-exact answer to a retrieve of Q7's hello.txt */
const helloTxtAnswer = bytes(
  segment(
    `{"status":"success","metadata":[],"workflow":[],"components":[{"componentId":"hello.txt","mediaType":"text/plain","size":12}],` +
      `"attributes":{"filename":"hello.txt"}}`
  ),
  [0x00, 0x00, 0x00, 0x0c],
  utf8("Hello World\n"),
  END
)

// -----------------------------------------------------------------------------
// tests
// -----------------------------------------------------------------------------

layer(layerServer(), { excludeTestServices: true })("the upstream length-prefixed variant, written by hand", (it) => {
  it.effect("hello: {\"operation\":\"hello\"} answered {status: success, metadata: [hello]}", () =>
    Effect.gen(function*() {
      const raw = yield* connect
      assertHello(yield* exchange(raw, helloRequest))
    }))

  it.effect("retrieve of an element, DOIP v2.0 style: the JSON segment, then the bytes, byte for byte", () =>
    Effect.gen(function*() {
      yield* seed("Q7", "hello.txt", "Hello World\n", "text/plain")
      const raw = yield* connect
      const answer = yield* exchange(
        raw,
        message(`{"operationId":"0.DOIP/Op.Retrieve","targetId":"Q7","attributes":{"element":"hello.txt"}}`)
      )
      assert.deepStrictEqual(answer.bytes, helloTxtAnswer)
      assert.strictEqual(text(answer.data[0]!), "Hello World\n")
    }))

  it.effect("retrieve of an element, upstream style (operation, objectId, element)", () =>
    Effect.gen(function*() {
      yield* seed("Q7", "hello.txt", "Hello World\n", "text/plain")
      const raw = yield* connect
      const answer = yield* exchange(raw, message(`{"operation":"retrieve","objectId":"Q7","element":"hello.txt"}`))
      assert.deepStrictEqual(answer.bytes, helloTxtAnswer)
      // and `object_id`, as some upstream callers spell it
      const snake = yield* exchange(raw, message(`{"operation":"retrieve","object_id":"Q7","element":"hello.txt"}`))
      assert.deepStrictEqual(snake.bytes, helloTxtAnswer)
    }))

  it.effect("the upstream server's own spellings: integer operation ids, HELLO, operation_id, target_id, componentId", () =>
    Effect.gen(function*() {
      yield* seed("Q7", "hello.txt", "Hello World\n", "text/plain")
      const raw = yield* connect
      assertHello(yield* exchange(raw, message(`{"operationId":1}`)))
      assertHello(yield* exchange(raw, message(`{"operationId":"HELLO"}`)))
      assertHello(yield* exchange(raw, message(`{"operation_id":"hello"}`)))
      for (
        const request of [
          `{"operationId":2,"targetId":"Q7","attributes":{"element":"hello.txt"}}`,
          `{"operation_id":"RETRIEVE","target_id":"Q7","attributes":{"componentId":"hello.txt"}}`
        ]
      ) {
        const answer = yield* exchange(raw, message(request))
        assert.deepStrictEqual(answer.bytes, helloTxtAnswer, request)
        assert.deepStrictEqual(answer.head["attributes"], { filename: "hello.txt" }, "upstream clients read the file name here")
      }
      assertError(yield* exchange(raw, message(`{"operationId":99}`)), "UnsupportedOperation")
      assertError(yield* exchange(raw, message(`{"operationId":1.5}`)), "UnsupportedOperation")
    }))

  it.effect("retrieve of an object: its manifest as the one metadata entry", () =>
    Effect.gen(function*() {
      yield* seed("Q8", "hello.txt", "Hello World\n", "text/plain")
      const raw = yield* connect
      const answer = yield* exchange(raw, message(`{"operation":"retrieve","objectId":"Q8"}`))
      assert.strictEqual(answer.head["status"], "success", JSON.stringify(answer.head))
      assert.strictEqual(answer.head["metadata"].length, 1)
      const manifest = answer.head["metadata"][0]
      assert.strictEqual(manifest["@id"], "Q8")
      assert.deepStrictEqual(manifest["kernel"]["fdo:hasComponent"].map((c: any) => c.componentId), ["hello.txt"])
      assert.deepStrictEqual(answer.head["components"], [])
      assert.strictEqual(answer.data.length, 0)
    }))

  it.effect("invoke fixity with the token: the result, the derived component's description, then its bytes", () =>
    Effect.gen(function*() {
      yield* seed("Q20", "hello.txt", "Hello World\n", "text/plain")
      const raw = yield* connect
      const answer = yield* exchange(
        raw,
        message(`{"operation":"invoke","objectId":"Q20","workflow":"fixity","token":"${token}"}`)
      )
      assert.strictEqual(answer.head["status"], "success", JSON.stringify(answer.head))
      const sha = createHash("sha256").update("Hello World\n").digest("hex")
      const expected = `${sha}  hello.txt\n`
      const [meta] = answer.head["metadata"]
      assert.strictEqual(meta["operation"], "invoke")
      assert.strictEqual(meta["workflow"], "fixity")
      assert.strictEqual(meta["result"]["allOk"], true)
      assert.deepStrictEqual(meta["result"]["components"].map((c: any) => [c.componentId, c.sha256, c.ok]), [["hello.txt", sha, true]])
      assert.deepStrictEqual(answer.head["components"], [{ componentId: "fixity.sha256", mediaType: "text/plain", size: expected.length }])
      assert.strictEqual(answer.head["workflow"].length, 1)
      assert.strictEqual(answer.head["workflow"][0]["workflow"], "fixity")
      assert.strictEqual(answer.head["workflow"][0]["sourceObject"], "Q20")
      assert.strictEqual(answer.data.length, 1)
      assert.strictEqual(text(answer.data[0]!), expected)
      // the same through the DOIP v2.0 names, with the token among the attributes
      const again = yield* exchange(
        raw,
        message(`{"operationId":"0.DOIP/Op.Invoke","targetId":"Q20","attributes":{"workflow":"fixity","token":"${token}"}}`)
      )
      assert.strictEqual(again.head["status"], "success", JSON.stringify(again.head))
      assert.strictEqual(text(again.data[0]!), expected)
    }))

  it.effect("two messages on one connection, one after the other and pipelined", () =>
    Effect.gen(function*() {
      yield* seed("Q7", "hello.txt", "Hello World\n", "text/plain")
      const raw = yield* connect
      assertHello(yield* exchange(raw, helloRequest))
      assert.deepStrictEqual(
        (yield* exchange(raw, message(`{"operation":"retrieve","objectId":"Q7","element":"hello.txt"}`))).bytes,
        helloTxtAnswer
      )
      yield* raw.write(bytes(message(`{"operation":"retrieve","objectId":"Q7","element":"hello.txt"}`), helloRequest))
      assert.deepStrictEqual((yield* raw.read()).bytes, helloTxtAnswer)
      assertHello(yield* raw.read())
      assert.isFalse(raw.closed)
    }))

  it.effect("segments after the request's JSON are skipped", () =>
    Effect.gen(function*() {
      const raw = yield* connect
      assertHello(yield* exchange(raw, message(`{"operation":"hello"}`, Uint8Array.of(0, 0, 0, 0x0a, 0xff), "more")))
      assertHello(yield* exchange(raw, helloRequest))
    }))

  it.effect("a request written one byte at a time", () =>
    Effect.gen(function*() {
      const raw = yield* connect
      yield* raw.writeBytewise(helloRequest)
      assertHello(yield* raw.read())
    }))

  const openErrors: ReadonlyArray<{ readonly name: string; readonly request: Uint8Array; readonly error: string }> = [
    { name: "an unknown operation", request: message(`{"operation":"frobnicate"}`), error: "UnsupportedOperation" },
    { name: "an unknown operationId", request: message(`{"operationId":"0.DOIP/Op.Frobnicate"}`), error: "UnsupportedOperation" },
    { name: "no operation at all", request: message(`{"objectId":"Q7"}`), error: "UnsupportedOperation" },
    { name: "bad JSON", request: message(`{"operation":`), error: "BadRequest" },
    { name: "JSON that is not an object", request: message(`["hello"]`), error: "BadRequest" },
    { name: "an empty message", request: END, error: "BadRequest" },
    { name: "a missing object", request: message(`{"operation":"retrieve","objectId":"Q999999"}`), error: "NotFound" },
    { name: "a target that is not a QID", request: message(`{"operation":"retrieve","objectId":"nope"}`), error: "NotFound" },
    {
      name: "invoke of an unknown workflow",
      request: message(`{"operation":"invoke","objectId":"Q7","workflow":"nope","token":"${token}"}`),
      error: "BadRequest"
    }
  ]

  for (const c of openErrors) {
    it.effect(`error answer, connection stays open: ${c.name}`, () =>
      Effect.gen(function*() {
        yield* seed("Q7", "hello.txt", "Hello World\n", "text/plain")
        const raw = yield* connect
        assertError(yield* exchange(raw, c.request), c.error)
        assertHello(yield* exchange(raw, helloRequest))
        assert.isFalse(raw.closed)
      }))
  }

  it.effect("EOF inside a message: the server closes, and serves new connections afterwards", () =>
    Effect.gen(function*() {
      for (const cut of [helloRequest.subarray(0, 2), helloRequest.subarray(0, 10), helloRequest.subarray(0, 25)]) {
        const raw = yield* connect
        yield* raw.write(cut)
        raw.socket.end()
        const rest = yield* raw.closedByServer()
        if (rest.length > 0) {
          const split = splitMessage(rest)
          assert.isDefined(split)
          assert.strictEqual(JSON.parse(text(split!.segments[0]!))["status"], "error")
        }
      }
      const raw = yield* connect
      assertHello(yield* exchange(raw, helloRequest))
    }))
})

layer(layerServer({ settings: { limits: { maxMetadataSize } } }), { excludeTestServices: true })(
  "the upstream variant's segment limit",
  (it) => {
    it.effect("a segment of exactly limits.maxMetadataSize is served", () =>
      Effect.gen(function*() {
        const bare = `{"operation":"hello","pad":""}`
        const json = `{"operation":"hello","pad":"${"x".repeat(maxMetadataSize - bare.length)}"}`
        assert.strictEqual(json.length, maxMetadataSize)
        const raw = yield* connect
        assertHello(yield* exchange(raw, message(json)))
      }))

    it.effect("a segment longer than the limit: an error answer, then the close, before its body is sent", () =>
      Effect.gen(function*() {
        const raw = yield* connect
        // only the length prefix: the server must not wait for the body
        const answer = yield* exchange(raw, u32(maxMetadataSize + 1))
        assertLimitError(answer)
        assert.strictEqual((yield* raw.closedByServer()).length, 0)
      }))

    it.effect("a long second segment closes the connection too, after the first was read", () =>
      Effect.gen(function*() {
        const raw = yield* connect
        const answer = yield* exchange(raw, bytes(segment(`{"operation":"hello"}`), u32(1 << 20)))
        assertLimitError(answer)
        assert.strictEqual((yield* raw.closedByServer()).length, 0)
      }))

    it.effect("the server goes on: a fresh connection gets a hello answer", () =>
      Effect.gen(function*() {
        const raw = yield* connect
        assertHello(yield* exchange(raw, helloRequest))
      }))
  }
)
