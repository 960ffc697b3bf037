import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as SegmentCodec from "../../../src/protocol/doip2/Codec.ts"
import { concatBytes, prng } from "../../support/Random.ts"

const utf8 = new TextEncoder()
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const bytes = (s: string) => utf8.encode(s)

/** what a decoded part looks like once its content has been read */
type Seen =
  | { readonly _tag: "Json"; readonly text: string }
  | { readonly _tag: "Bytes"; readonly data: Uint8Array }
  | { readonly _tag: "End" }

const see = (part: SegmentCodec.Part): Effect.Effect<Seen, SegmentCodec.SegmentError> => {
  switch (part._tag) {
    case "Json":
      return Effect.succeed({ _tag: "Json", text: text(part.body) })
    case "Bytes":
      return Stream.runCollect(part.content).pipe(Effect.map((data) => ({ _tag: "Bytes" as const, data: concatBytes(data) })))
    case "End":
      return Effect.succeed({ _tag: "End" })
  }
}

/** `chunkSize` input chunks arrive per pull, so the decoder also runs out of input mid-part */
const decoded = (chunks: ReadonlyArray<Uint8Array>, limits?: Partial<SegmentCodec.Limits>, chunkSize = 1) =>
  Stream.fromIterable(chunks, { chunkSize }).pipe(Stream.pipeThroughChannel(SegmentCodec.decode({ limits })))

const decodeAll = (chunks: ReadonlyArray<Uint8Array>, limits?: Partial<SegmentCodec.Limits>, chunkSize = 1) =>
  decoded(chunks, limits, chunkSize).pipe(Stream.mapEffect(see), Stream.runCollect)

/** the parts seen before the decoder failed, and its error */
const decodeUntilFailure = (chunks: ReadonlyArray<Uint8Array>, limits?: Partial<SegmentCodec.Limits>) =>
  Effect.gen(function*() {
    const seen: Array<Seen> = []
    const error = yield* decoded(chunks, limits).pipe(
      Stream.mapEffect(see),
      Stream.runForEach((part) => Effect.sync(() => seen.push(part))),
      Effect.match({ onFailure: (error) => error, onSuccess: () => undefined })
    )
    return { seen, error }
  })

/** the whole input as one chunk, then one byte per chunk */
const chunkings = (input: Uint8Array): ReadonlyArray<ReadonlyArray<Uint8Array>> => [
  [input],
  Array.from(input, (_, i) => input.subarray(i, i + 1))
]

const accepts = (input: string | Uint8Array, expected: ReadonlyArray<Seen>, limits?: Partial<SegmentCodec.Limits>) =>
  Effect.forEach(chunkings(typeof input === "string" ? bytes(input) : input), (chunks) =>
    decodeAll(chunks, limits).pipe(Effect.map((seen) => assert.deepStrictEqual(seen, expected))))

const rejects = (
  input: string | Uint8Array,
  kind: SegmentCodec.SegmentError["kind"],
  options?: { readonly before?: ReadonlyArray<Seen>; readonly limits?: Partial<SegmentCodec.Limits> }
) =>
  Effect.forEach(chunkings(typeof input === "string" ? bytes(input) : input), (chunks) =>
    decodeUntilFailure(chunks, options?.limits).pipe(Effect.map(({ error, seen }) => {
      assert.strictEqual(error?._tag, "SegmentError")
      assert.strictEqual(error?.kind, kind, error?.message)
      assert.deepStrictEqual(seen, options?.before ?? [])
    })))

const json = (s: string): Seen => ({ _tag: "Json", text: s })
const data = (s: string | Uint8Array): Seen => ({ _tag: "Bytes", data: typeof s === "string" ? bytes(s) : s })
const end: Seen = { _tag: "End" }

const encodeStream = (stream: Stream.Stream<Uint8Array>) => Stream.runCollect(stream).pipe(Effect.map(concatBytes))

describe("SegmentCodec: the byte vectors of PROTOCOL.md §2", () => {
  const helloCnri = `{"requestId":"1","targetId":"20.500.123/service","operationId":"0.DOIP/Op.Hello"}`
  const retrieveHead = `{"requestId":"2","status":"0.DOIP/Status.001","attributes":{"filename":"hello.txt"}}`
  const searchHead = `{"status":"0.DOIP/Status.001"}`
  const searchBody = `{"size":1,"results":[{"id":"test/1","type":"Document","attributes":{"content":{"name":"x"}}}]}`

  it.effect("hello request (CNRI style): decoded, and encoded byte for byte", () =>
    Effect.gen(function*() {
      const vector = `${helloCnri}\n#\n#\n`
      yield* accepts(vector, [json(helloCnri), end])
      assert.deepStrictEqual(
        concatBytes([SegmentCodec.encodeJson(JSON.parse(helloCnri)), SegmentCodec.endOfMessage]),
        bytes(vector)
      )
    }))

  it.effect("hello request (doip-sdk style, with spaces)", () => {
    const head = `{"targetId": "20.500.123/service", "operationId": "0.DOIP/Op.Hello"}`
    return accepts(`${head}\n#\n#\n`, [json(head), end])
  })

  it.effect("element retrieve response: decoded, and encoded byte for byte (sync and streaming)", () =>
    Effect.gen(function*() {
      const vector = `${retrieveHead}\n#\n@\n12\nHello World\n\n#\n#\n`
      yield* accepts(vector, [json(retrieveHead), data("Hello World\n"), end])
      const head = SegmentCodec.encodeJson(JSON.parse(retrieveHead))
      assert.deepStrictEqual(
        concatBytes([head, SegmentCodec.encodeBytesSync(bytes("Hello World\n")), SegmentCodec.endOfMessage]),
        bytes(vector)
      )
      const streamed = yield* encodeStream(SegmentCodec.encodeBytes(Stream.make(bytes("Hello World\n"))))
      assert.deepStrictEqual(concatBytes([head, streamed, SegmentCodec.endOfMessage]), bytes(vector))
    }))

  it.effect("search response: decoded, and encoded byte for byte", () =>
    Effect.gen(function*() {
      const vector = `${searchHead}\n#\n${searchBody}\n#\n#\n`
      yield* accepts(vector, [json(searchHead), json(searchBody), end])
      assert.deepStrictEqual(
        concatBytes([
          SegmentCodec.encodeJson(JSON.parse(searchHead)),
          SegmentCodec.encodeJson(JSON.parse(searchBody)),
          SegmentCodec.endOfMessage
        ]),
        bytes(vector)
      )
    }))

  it.effect("reader accepts: two chunks, binary-safe data, empty data, CRLF", () =>
    Effect.gen(function*() {
      yield* accepts("@\n5\nHello\n6\n World\n#\n#\n", [data("Hello World"), end])
      yield* accepts("@\n3\n\n#\n\n#\n#\n", [data("\n#\n"), end])
      yield* accepts("@\n#\n#\n", [data(""), end])
      yield* accepts(`{"operationId":"0.DOIP/Op.Hello"}\r\n#\r\n#\r\n`, [json(`{"operationId":"0.DOIP/Op.Hello"}`), end])
      yield* accepts("@\r\n5\r\nHello\r\n#\r\n#\r\n", [data("Hello"), end])
    }))

  it.effect("reader rejects a zero chunk and a leading zero", () =>
    Effect.gen(function*() {
      yield* rejects("@\n0\n\n#\n#\n", "Malformed")
      yield* rejects("@\n012\nHello World!\n#\n#\n", "Malformed")
    }))

  it.effect("reader rejects EOF before the final # as Truncated", () =>
    Effect.gen(function*() {
      yield* rejects(`{"a":1}\n#\n`, "Truncated", { before: [json(`{"a":1}`)] })
      yield* rejects("@\n5\nHel", "Truncated")
      yield* rejects("@\n5\nHello\n", "Truncated")
    }))

  it.effect("`{\"a\":1}#` is one line of JSON text: the framing hands it out, the JSON parse rejects it", () =>
    Effect.gen(function*() {
      yield* rejects(`{"a":1}#\n#\n`, "Truncated", { before: [json(`{"a":1}#`)] })
      yield* accepts(`{"a":1}#\n#\n#\n`, [json(`{"a":1}#`), end])
      assert.strictEqual(typeof SegmentCodec.parseJsonObject(bytes(`{"a":1}#`)), "string")
      assert.deepStrictEqual(SegmentCodec.parseJsonObject(bytes(`{"a":1}`)), { a: 1 })
    }))
})

describe("SegmentCodec: framing details", () => {
  it.effect("skips blank lines before a message, and blanks after the last one", () =>
    Effect.gen(function*() {
      yield* accepts(`\n \r\n\t\n{"a":1}\n#\n#\n\r\n  `, [json(`{"a":1}`), end])
      yield* accepts("\n\n#\n\n#\n", [end, end])
      yield* accepts("", [])
      yield* accepts(" \t", [])
    }))

  it.effect("tolerates blanks after markers, a `#` at the very end, and multi-line JSON", () =>
    Effect.gen(function*() {
      yield* accepts(`{\n "a": 1\n}\n# \t\r\n@ \n2\nhi\n#\t\n#`, [json(`{\n "a": 1\n}`), data("hi"), end])
    }))

  it.effect("a blank line between segments starts JSON text", () =>
    accepts(`{"a":1}\n#\n\n#\n#\n`, [json(`{"a":1}`), json(""), end]))

  it.effect("rejects marker lines holding more than the marker, and bad chunk framing", () =>
    Effect.gen(function*() {
      yield* rejects("@x\n#\n#\n", "Malformed")
      // a segment starting with a control byte, as a TLS handshake (0x16) does, is refused before any line end
      yield* rejects(Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00), "Malformed")
      yield* rejects("#x\n", "Malformed")
      yield* rejects(`{"a":1}\n#x\n#\n`, "Malformed")
      yield* rejects("@\n5\nHelloX\n#\n#\n", "Malformed")
      yield* rejects("@\n5\nHello\rX\n#\n#\n", "Malformed")
      yield* rejects("@\n5 \nHello\n#\n#\n", "Malformed")
      yield* rejects("@\n-5\nHello\n#\n#\n", "Malformed")
      yield* rejects(`@\n${"1".repeat(SegmentCodec.MAX_LINE + 1)}\n`, "Malformed")
      yield* rejects(`@${" ".repeat(SegmentCodec.MAX_LINE)}\n#\n#\n`, "Malformed")
    }))

  it.effect("decodes many messages on one stream and skips content nobody reads", () =>
    Effect.gen(function*() {
      const input = bytes(`{"n":1}\n#\n@\n3\nabc\n#\n#\n@\n3\n\n#\n\n#\n#\n{"n":3}\n#\n#\n`)
      const tags = yield* decoded(prng(3).chunk(input, 5)).pipe(
        Stream.map((part) => part._tag === "Json" ? text(part.body) : part._tag),
        Stream.runCollect
      )
      assert.deepStrictEqual(tags, [`{"n":1}`, "Bytes", "End", "Bytes", "End", `{"n":3}`, "End"])
    }))

  it.effect("content is views of the input, never a copy of the segment", () =>
    Effect.gen(function*() {
      const payload = prng(5).bytes(100_000)
      const input = [bytes("@\n100000\n"), payload.subarray(0, 40_000), payload.subarray(40_000), bytes("\n#\n#\n")]
      const buffers = yield* decoded(input).pipe(
        Stream.filter((part) => part._tag === "Bytes"),
        Stream.flatMap((part) => part._tag === "Bytes" ? part.content : Stream.empty),
        Stream.map((chunk) => chunk.buffer),
        Stream.runCollect
      )
      assert.deepStrictEqual(buffers.length, 2)
      for (const buffer of buffers) assert.strictEqual(buffer, payload.buffer)
    }))

  it.effect("a 256 KiB JSON segment in 1-byte chunks decodes (the scan is linear)", () =>
    Effect.gen(function*() {
      const value = { blob: "x".repeat(256 * 1024) }
      const input = SegmentCodec.encodeJson(value)
      const seen = yield* decodeAll([...Array.from(input, (_, i) => input.subarray(i, i + 1)), bytes("#\n")], undefined, 4096)
      assert.deepStrictEqual(seen, [json(JSON.stringify(value)), end])
    }))
})

describe("SegmentCodec: limits", () => {
  const tooLarge = (input: string | Uint8Array, limits: Partial<SegmentCodec.Limits>, before?: ReadonlyArray<Seen>) =>
    rejects(input, "TooLarge", { limits, ...(before ? { before } : {}) })

  /** input that never ends: the decoder must fail on what it has seen, not wait for more */
  const failsBeforeMore = (input: string, limits: Partial<SegmentCodec.Limits>) =>
    Stream.concat(Stream.make(bytes(input)), Stream.never).pipe(
      Stream.pipeThroughChannel(SegmentCodec.decode({ limits })),
      Stream.mapEffect(see),
      Stream.runDrain,
      Effect.flip,
      Effect.map((error) => assert.strictEqual(error.kind, "TooLarge"))
    )

  it.effect("maxJsonSegmentSize", () =>
    Effect.gen(function*() {
      const ten = `"${"x".repeat(8)}"`
      yield* accepts(`${ten}\n#\n#\n`, [json(ten), end], { maxJsonSegmentSize: 10 })
      yield* accepts(`${ten}\r\n#\r\n#\n`, [json(ten), end], { maxJsonSegmentSize: 10 })
      yield* tooLarge(`"${"x".repeat(9)}"\n#\n#\n`, { maxJsonSegmentSize: 10 })
      yield* tooLarge(`"${"x".repeat(9)}"\r\n#\n#\n`, { maxJsonSegmentSize: 10 })
      yield* failsBeforeMore(`"${"x".repeat(100)}`, { maxJsonSegmentSize: 10 })
    }))

  it.effect("maxSegmentsPerMessage, counted per message", () =>
    Effect.gen(function*() {
      const limits = { maxSegmentsPerMessage: 2 }
      const two = `{}\n#\n@\n#\n#\n`
      yield* Effect.forEach(chunkings(bytes(two + two)), (chunks) =>
        decodeAll(chunks, limits).pipe(Effect.map((seen) => assert.strictEqual(seen.length, 6))))
      yield* tooLarge(`{}\n#\n{}\n#\n{}\n#\n#\n`, limits, [json("{}"), json("{}")])
    }))

  it.effect("maxChunkSize, checked before the data arrives", () =>
    Effect.gen(function*() {
      yield* accepts("@\n5\nHello\n#\n#\n", [data("Hello"), end], { maxChunkSize: 5 })
      yield* tooLarge("@\n6\nHello!\n#\n#\n", { maxChunkSize: 5 })
      yield* failsBeforeMore("@\n6\n", { maxChunkSize: 5 })
      yield* tooLarge(`@\n${"9".repeat(20)}\n`, {})
    }))

  it.effect("maxBytesSegmentSize, over all the chunks of one segment", () =>
    Effect.gen(function*() {
      const limits = { maxBytesSegmentSize: 10 }
      yield* Effect.forEach(chunkings(bytes("@\n5\nHello\n5\nWorld\n#\n@\n5\nHello\n5\nWorld\n#\n#\n")), (chunks) =>
        decodeAll(chunks, limits).pipe(Effect.map((seen) => assert.strictEqual(seen.length, 3))))
      yield* tooLarge("@\n5\nHello\n6\nWorld!\n#\n#\n", limits)
      yield* failsBeforeMore("@\n5\nHello\n6\n", limits)
    }))

  it.effect("maxMessageSize, per message", () =>
    Effect.gen(function*() {
      const message = `{"a":1}\n#\n@\n5\nHello\n#\n#\n`
      const limits = { maxMessageSize: message.length }
      yield* Effect.forEach(chunkings(bytes(message + message)), (chunks) =>
        decodeAll(chunks, limits).pipe(Effect.map((seen) => assert.strictEqual(seen.length, 6))))
      yield* tooLarge(message, { maxMessageSize: message.length - 1 }, [json(`{"a":1}`), data("Hello")])
      yield* failsBeforeMore("@\n100\n", { maxMessageSize: 50 })
    }))
})

describe("SegmentCodec: the decoder's state", () => {
  it.effect("fails for good once the framing is broken", () =>
    Effect.scoped(Effect.gen(function*() {
      const pull = yield* Stream.toPull(decoded([bytes(`@\n0\n#\n#\n{"a":1}\n#\n#\n`)]))
      const [part] = yield* pull // the `@` line is fine; skipping its content finds the zero chunk
      assert.strictEqual(part._tag, "Bytes")
      const first = yield* Effect.flip(pull)
      const second = yield* Effect.flip(pull)
      assert.strictEqual(first._tag === "SegmentError" && first.kind, "Malformed")
      assert.strictEqual(second, first)
    })))

  it.effect("fails a stale content read with ContentConsumed, and goes on decoding", () =>
    Effect.scoped(Effect.gen(function*() {
      const pull = yield* Stream.toPull(decoded([bytes(`@\n5\nHello\n#\n#\n{"a":1}\n#\n#\n`)]))
      const [bytesPart] = yield* pull
      assert.strictEqual(bytesPart._tag, "Bytes")
      const [endPart] = yield* pull
      assert.strictEqual(endPart._tag, "End")
      const stale = yield* Stream.runCollect(bytesPart._tag === "Bytes" ? bytesPart.content : Stream.empty).pipe(Effect.flip)
      assert.strictEqual(stale.kind, "ContentConsumed")
      const [next] = yield* pull
      assert.deepStrictEqual(next, { _tag: "Json", body: bytes(`{"a":1}`) })
    })))

  it.effect("fails content read after the decoded stream ended with ContentConsumed", () =>
    Effect.gen(function*() {
      const parts = yield* Stream.runCollect(decoded([bytes("@\n5\nHello\n#\n#\n")]))
      const part = parts[0]!
      const error = yield* Stream.runCollect(part._tag === "Bytes" ? part.content : Stream.empty).pipe(Effect.flip)
      assert.strictEqual(error.kind, "ContentConsumed")
    }))
})

// -----------------------------------------------------------------------------
// property tests
// -----------------------------------------------------------------------------

type Random = ReturnType<typeof prng>

/** bytes that look like framing, so the data of a chunk keeps looking like the end of a segment */
const tricky = [bytes("\n#\n"), bytes("\r\n"), bytes("@"), bytes("#"), bytes("\n"), bytes("#\n"), bytes("12\n")]

const randomData = (random: Random): Uint8Array => {
  const pieces: Array<Uint8Array> = []
  for (let n = random.int(0, 6); n > 0; n--) {
    pieces.push(random.int(0, 1) === 0 ? tricky[random.int(0, tricky.length - 1)]! : random.bytes(random.int(0, 2000)))
  }
  return concatBytes(pieces)
}

const randomString = (random: Random): string =>
  Array.from({ length: random.int(0, 12) }, () => ["a", "#", "@", "\n", "\r", " ", "é", "✓", "\"", "\\", "0"][random.int(0, 10)]).join("")

const randomJson = (random: Random, depth = 0): unknown => {
  switch (random.int(0, depth > 2 ? 3 : 5)) {
    case 0:
      return randomString(random)
    case 1:
      return random.int(-1e6, 1e6) / (random.int(0, 1) === 0 ? 1 : 8)
    case 2:
      return [true, false, null][random.int(0, 2)]
    case 3:
      return random.int(0, 1) === 0 ? {} : []
    case 4:
      return Array.from({ length: random.int(0, 4) }, () => randomJson(random, depth + 1))
    default:
      return Object.fromEntries(Array.from({ length: random.int(0, 4) }, () => [randomString(random), randomJson(random, depth + 1)]))
  }
}

/** input chunks for `encodeBytes`, empty ones included */
const randomPieces = (random: Random, payload: Uint8Array): Array<Uint8Array> => {
  const out: Array<Uint8Array> = []
  for (let offset = 0; offset < payload.length || random.int(0, 3) === 0;) {
    const size = random.int(0, 1) === 0 ? 0 : random.int(1, 3000)
    out.push(payload.subarray(offset, offset + size))
    offset += size
    if (offset >= payload.length && out.length > 8) break
  }
  return out
}

/** reads an encoded bytes segment by hand (not with the decoder under test) and checks every size line */
const chunkSizesOf = (encoded: Uint8Array): Array<number> => {
  const wire = Buffer.from(encoded)
  assert.strictEqual(wire.subarray(0, 2).toString("latin1"), "@\n")
  const sizes: Array<number> = []
  let at = 2
  for (;;) {
    const eol = wire.indexOf(0x0a, at)
    const line = wire.subarray(at, eol).toString("latin1")
    at = eol + 1
    if (line === "#") break
    assert.match(line, /^[1-9][0-9]*$/)
    sizes.push(Number(line))
    at += Number(line)
    assert.strictEqual(wire[at], 0x0a)
    at += 1
  }
  assert.strictEqual(at, wire.length)
  return sizes
}

describe("SegmentCodec: properties", () => {
  it.effect.prop("round trips any messages under any chunking", { seed: Schema.Int }, ({ seed }) =>
    Effect.gen(function*() {
      const random = prng(seed)
      const wire: Array<Uint8Array> = []
      const expected: Array<Seen> = []
      for (let m = random.int(1, 4); m > 0; m--) {
        for (let s = random.int(0, 5); s > 0; s--) {
          if (random.int(0, 1) === 0) {
            const value = randomJson(random)
            wire.push(SegmentCodec.encodeJson(value))
            expected.push(json(JSON.stringify(value)))
          } else {
            const payload = randomData(random)
            const maxChunkSize = random.int(1, 3) === 1 ? random.int(1, 50) : random.int(1, 5000)
            wire.push(yield* encodeStream(SegmentCodec.encodeBytes(Stream.fromIterable(randomPieces(random, payload)), { maxChunkSize })))
            expected.push(data(payload))
          }
        }
        wire.push(SegmentCodec.endOfMessage)
        expected.push(end)
      }
      const input = concatBytes(wire)
      const chunks = random.int(0, 3) === 0 ? random.chunk(input, 1) : random.chunk(input, random.int(1, 200))
      const seen = yield* decodeAll(chunks, undefined, random.int(1, 8))
      assert.deepStrictEqual(seen, expected)
    }))

  it.effect.prop("the encoder writes sizes > 0 without leading zeros, within maxChunkSize", { seed: Schema.Int }, ({ seed }) =>
    Effect.gen(function*() {
      const random = prng(seed)
      const payload = randomData(random)
      const pieces = randomPieces(random, payload)
      const maxChunkSize = random.int(1, 4000)
      const streamed = yield* encodeStream(SegmentCodec.encodeBytes(Stream.fromIterable(pieces), { maxChunkSize }))
      const sizes = chunkSizesOf(streamed)
      for (const size of sizes) assert.isAtMost(size, maxChunkSize)
      assert.strictEqual(sizes.reduce((a, b) => a + b, 0), concatBytes(pieces).length)
      const sync = SegmentCodec.encodeBytesSync(concatBytes(pieces), { maxChunkSize })
      for (const size of chunkSizesOf(sync)) assert.isAtMost(size, maxChunkSize)
    }))
})

describe("SegmentCodec: encoding", () => {
  it.effect("empty data is `@\\n#\\n`, whether the stream is empty or yields empty chunks", () =>
    Effect.gen(function*() {
      assert.strictEqual(text(yield* encodeStream(SegmentCodec.encodeBytes(Stream.empty))), "@\n#\n")
      assert.strictEqual(text(yield* encodeStream(SegmentCodec.encodeBytes(Stream.make(new Uint8Array(0))))), "@\n#\n")
      assert.strictEqual(text(SegmentCodec.encodeBytesSync(new Uint8Array(0))), "@\n#\n")
    }))

  it.effect("splits long chunks into views, and never copies large data", () =>
    Effect.gen(function*() {
      const payload = prng(9).bytes(100_000)
      const out = yield* Stream.runCollect(SegmentCodec.encodeBytes(Stream.make(payload), { maxChunkSize: 30_000 }))
      const views = out.filter((chunk) => chunk.buffer === payload.buffer)
      assert.deepStrictEqual(views.map((view) => view.length), [30_000, 30_000, 30_000, 10_000])
      assert.deepStrictEqual(chunkSizesOf(concatBytes(out)), [30_000, 30_000, 30_000, 10_000])
    }))

  it.effect("does not end the segment when the content fails", () =>
    Effect.gen(function*() {
      const written: Array<Uint8Array> = []
      const error = yield* SegmentCodec.encodeBytes(Stream.concat(Stream.make(bytes("abc")), Stream.fail("boom"))).pipe(
        Stream.runForEach((chunk) => Effect.sync(() => written.push(chunk))),
        Effect.flip
      )
      assert.strictEqual(error, "boom")
      assert.notInclude(text(concatBytes(written)), "#")
    }))

  it("refuses values without JSON text and bad chunk sizes", () => {
    assert.throws(() => SegmentCodec.encodeJson(undefined), TypeError)
    assert.throws(() => SegmentCodec.encodeBytesSync(new Uint8Array(1), { maxChunkSize: 0 }), RangeError)
    assert.throws(() => SegmentCodec.encodeBytes(Stream.empty, { maxChunkSize: 1.5 }), RangeError)
  })
})
