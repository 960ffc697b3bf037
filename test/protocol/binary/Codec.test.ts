import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as Envelope from "../../../src/protocol/binary/Codec.ts"
import { concatBytes, prng } from "../../support/Random.ts"

/** what a decoded part looks like once its content has been read */
type Seen =
  | { readonly _tag: "Head"; readonly objectId: string; readonly operation: number; readonly msgType: number }
  | { readonly _tag: "Metadata" | "Workflow"; readonly json: unknown }
  | { readonly _tag: "Component"; readonly componentId: string; readonly mediaType: string; readonly last: boolean; readonly content: Uint8Array }
  | { readonly _tag: "End" }

const decodeAll = (chunks: ReadonlyArray<Uint8Array>, limits?: Partial<Envelope.Limits>) =>
  Stream.fromIterable(chunks).pipe(
    Stream.pipeThroughChannel(Envelope.decode({ limits })),
    Stream.mapEffect((part): Effect.Effect<Seen, Envelope.EnvelopeError> => {
      switch (part._tag) {
        case "Head":
          return Effect.succeed({ _tag: "Head", objectId: part.objectId, operation: part.header.operation, msgType: part.header.msgType })
        case "Metadata":
        case "Workflow":
          return Effect.succeed({ _tag: part._tag, json: JSON.parse(new TextDecoder().decode(part.body)) })
        case "Component":
          return Stream.runCollect(part.content).pipe(Effect.map((content) => ({
            _tag: "Component" as const,
            componentId: part.componentId,
            mediaType: part.mediaType,
            last: part.last,
            content: concatBytes(content)
          })))
        case "End":
          return Effect.succeed({ _tag: "End" })
      }
    }),
    Stream.runCollect
  )

const encodeAll = (message: Envelope.Message) => Stream.runCollect(Envelope.encode(message)).pipe(Effect.map(concatBytes))

describe("Envelope", () => {
  it.effect.prop("round trips any messages under any chunking", { seed: Schema.Int }, ({ seed }) =>
    Effect.gen(function*() {
      const random = prng(seed)
      const messages: Array<Envelope.Message> = []
      const expected: Array<Seen> = []
      for (let m = random.int(1, 4); m > 0; m--) {
        const objectId = `Q${random.int(0, 1e9)}`
        const metadata = Array.from({ length: random.int(0, 2) }, (_, i) => ({ operation: "retrieve", i, s: "é✓" }))
        const components = Array.from({ length: random.int(0, 3) }, (_, i) => {
          const content = random.bytes(random.int(0, 3000))
          return { componentId: `c${i}.bin`, mediaType: i === 0 ? "" : "application/pdf", size: content.length, content }
        })
        const workflow = random.int(0, 1) === 1 ? [{ workflow: "checksums" }] : []
        messages.push({
          msgType: Envelope.MessageType.Request,
          operation: random.int(1, 9),
          objectId,
          metadata,
          workflow,
          components: components.map((c) => ({ ...c, content: Stream.fromIterable(random.chunk(c.content, 700)) }))
        })
        const operation = messages[messages.length - 1]!.operation
        expected.push({ _tag: "Head", objectId, operation, msgType: 1 })
        for (const json of metadata) expected.push({ _tag: "Metadata", json })
        components.forEach((c, i) =>
          expected.push({
            _tag: "Component",
            componentId: c.componentId,
            mediaType: c.mediaType === "" ? "application/octet-stream" : c.mediaType,
            last: i === components.length - 1 && workflow.length === 0,
            content: c.content
          })
        )
        for (const json of workflow) expected.push({ _tag: "Workflow", json })
        expected.push({ _tag: "End" })
      }
      const bytes = concatBytes(yield* Effect.forEach(messages, encodeAll))
      const seen = yield* decodeAll(random.chunk(bytes, random.int(1, 64)))
      assert.deepStrictEqual(seen, expected)
    }))

  it.effect("decodes a request written by hand from PROTOCOL.md §1", () =>
    Effect.gen(function*() {
      const json = new TextEncoder().encode(`{"operation":"retrieve","element":"fulltext.pdf"}`)
      const bytes = new Uint8Array([
        0x02, 0x01, 0x02, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 5 + json.length, // header
        0x51, 0x31, 0x32, 0x33, // "Q123"
        0x01, 0x00, 0x00, 0x00, json.length, ...json // metadata block
      ])
      const seen = yield* decodeAll([bytes])
      assert.deepStrictEqual(seen, [
        { _tag: "Head", objectId: "Q123", operation: 2, msgType: 1 },
        { _tag: "Metadata", json: { operation: "retrieve", element: "fulltext.pdf" } },
        { _tag: "End" }
      ])
    }))

  it.effect("skips component content nobody reads", () =>
    Effect.gen(function*() {
      const content = new Uint8Array(10_000).fill(7)
      const bytes = concatBytes([
        yield* encodeAll({ msgType: 1, operation: 3, objectId: "Q1", components: [{ componentId: "a", mediaType: "x/y", size: content.length, content: Stream.succeed(content) }] }),
        yield* encodeAll({ msgType: 1, operation: 1, objectId: "Q2" })
      ])
      const heads = yield* Stream.fromIterable(prng(1).chunk(bytes, 999)).pipe(
        Stream.pipeThroughChannel(Envelope.decode()),
        Stream.filter((part) => part._tag === "Head"),
        Stream.map((part) => part._tag === "Head" ? part.objectId : ""),
        Stream.runCollect
      )
      assert.deepStrictEqual(heads, ["Q1", "Q2"])
    }))

  const failsWith = (bytes: Uint8Array, kind: Envelope.EnvelopeError["kind"], limits?: Partial<Envelope.Limits>) =>
    decodeAll([bytes], limits).pipe(Effect.flip, Effect.map((error) => {
      assert.strictEqual(error._tag, "EnvelopeError")
      assert.strictEqual(error.kind, kind)
      return error
    }))

  it.effect("rejects other versions, oversize fields, truncation and bad blocks", () =>
    Effect.gen(function*() {
      const error = yield* failsWith(new Uint8Array([0x01, 1, 1, 0, 0, 0, 0, 0, 0, 0]), "UnsupportedVersion")
      assert.strictEqual(error.operation, 1)
      yield* failsWith(Envelope.encodeSync({ msgType: 1, operation: 1, objectId: "Q".repeat(100) }), "TooLarge", { maxObjectIdLength: 10 })
      yield* failsWith(Envelope.encodeSync({ msgType: 1, operation: 1, objectId: "Q1", metadata: [{ big: "x".repeat(200) }] }), "TooLarge", { maxJsonBlockSize: 100 })
      yield* failsWith(Envelope.encodeSync({ msgType: 1, operation: 1, objectId: "Q1", metadata: [{ a: 1 }] }), "TooLarge", { maxMessageSize: 5 })
      const big = yield* encodeAll({ msgType: 1, operation: 3, objectId: "Q1", components: [{ componentId: "a", mediaType: "", size: 100, content: Stream.succeed(new Uint8Array(100)) }] })
      yield* failsWith(big, "TooLarge", { maxComponentSize: 99 })
      yield* failsWith(big.subarray(0, big.length - 1), "Truncated")
      const unknownBlock = Envelope.encodeSync({ msgType: 1, operation: 1, objectId: "Q1", metadata: [{}] })
      unknownBlock[unknownBlock.length - 7] = 0x09
      yield* failsWith(unknownBlock, "Malformed")
      const overrun = Envelope.encodeSync({ msgType: 1, operation: 1, objectId: "Q1", metadata: [{}] })
      overrun[overrun.length - 3] = 0xff
      yield* failsWith(overrun, "Malformed")
    }))

  it.effect("fails an encoding whose content differs from its announced size", () =>
    Effect.gen(function*() {
      const error = yield* encodeAll({ msgType: 2, operation: 2, objectId: "Q1", components: [{ componentId: "a", mediaType: "", size: 10, content: Stream.succeed(new Uint8Array(9)) }] }).pipe(Effect.flip)
      assert.strictEqual(error._tag === "EnvelopeError" && error.kind, "SizeMismatch")
    }))

  it.effect("fails, as a typed error, to encode an object id longer than the format allows", () =>
    Effect.gen(function*() {
      const error = yield* encodeAll({ msgType: 2, operation: 1, objectId: "Q".repeat(70_000) }).pipe(Effect.flip)
      assert.strictEqual(error._tag === "EnvelopeError" && error.kind, "TooLarge")
    }))
})
