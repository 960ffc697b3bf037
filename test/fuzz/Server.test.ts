/**
 * The whole server under fuzzing (issue 14, item 10): generated requests of every wire (valid ones of every
 * operation, mutated: bit flips, truncations, inserted bytes, huge lengths, deep JSON, wrong types), each written
 * to a fresh connection of a real listener of an in-process server. Every connection must be answered and closed
 * within 2 s once the client has ended its side, and every wire must still answer a hello afterwards. A small run
 * here; `npm run fuzz` runs thousands, with silent (stalled) clients too.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { ListenAddress } from "../../src/server/DoipServer.ts"
import {
  deepJson,
  doip2AnswerComplete,
  encodeBinary,
  fuzzServer,
  hello,
  hex,
  serverCase,
  serverTargets
} from "../support/Fuzz.ts"
import { layerServer, seed, token } from "../support/TestServer.ts"

const utf8 = (s: string) => new TextEncoder().encode(s)
const seedOption = process.env["FUZZ_SEED"] === undefined ? undefined : Number(process.env["FUZZ_SEED"])

/** an upstream message: length-prefixed segments, without the zero length that ends it */
const upstreamSegments = (...segments: ReadonlyArray<string>) =>
  Uint8Array.from(segments.flatMap((s) => {
    const b = utf8(s)
    return [b.length >>> 24, (b.length >>> 16) & 0xff, (b.length >>> 8) & 0xff, b.length & 0xff, ...b]
  }))

// the fuzzed credentials are wrong thousands of times from 127.0.0.1: without a high failure limit the address would
// be throttled, and the stall cases' correct token would wait out a back-off (the throttle has tests of its own)
const settings = { limits: { idleTimeoutSeconds: 0.5 }, auth: { token, maxFailures: 1_000_000 } }

layer(layerServer({ settings }), { excludeTestServices: true })("the server under fuzzing", (it) => {
  for (const target of serverTargets) {
    it.effect(`${target.name}: every mutated request is answered or closed within 2 s, and hello still works`, () =>
      Effect.gen(function*() {
        yield* seed("Q1", "a.txt", "hello")
        const address = yield* ListenAddress
        const report = yield* Effect.promise(() =>
          fuzzServer(address, target, { count: 120, concurrency: 40, boundMs: 2000, mode: "end", seed: seedOption })
        )
        assert.deepStrictEqual(report.deaths, [])
        assert.deepStrictEqual(report.hangs.map((h) => `${hex(h.input)} cut at ${h.cuts.join(",")}`), [])
        assert.strictEqual(report.cases, 120)
      }))
  }

  // Found by this fuzzing: the idle timeout covered only the wait for a request, so a client that stopped in the
  // middle of a message (in `skipRest`, or while a handler read a component) held its connection for ever. The
  // deadlines now watch every read (src/server/Listener.ts).
  it.effect("a client that stops in the middle of a message is closed by the idle timeout", () =>
    Effect.gen(function*() {
      yield* seed("Q1", "a.txt", "hello")
      const address = yield* ListenAddress
      const update = encodeBinary({
        operation: 0x03,
        objectId: "Q1",
        blocks: [
          { type: 0x01, json: { operation: "update", element: "a.txt", token } },
          { type: 0x02, componentId: "a.txt", mediaType: "", content: new Uint8Array(100) }
        ]
      }).bytes
      const stalls: ReadonlyArray<readonly [string, number, Uint8Array]> = [
        ["binary update, component cut short", address.binaryPort, update.subarray(0, update.length - 50)],
        ["DOIP v2.0 unsupported operation, no final #", address.doip2Port, utf8(`{"operationId":"0.DOIP/Op.Nope"}\n#\n`)],
        ["DOIP v2.0 update, bytes segment cut short", address.doip2Port, utf8(`{"operationId":"0.DOIP/Op.Update","targetId":"Q1","authentication":{"token":"${token}"}}\n#\n{"id":"Q1"}\n#\n{"id":"a.txt"}\n#\n@\n100\nabc`)],
        ["upstream hello, no zero length", address.doip2Port, upstreamSegments(`{"operation":"hello"}`)]
      ]
      const results = yield* Effect.promise(() => Promise.all(stalls.map(([, port, bytes]) => serverCase(port, [bytes], "stall", 2000))))
      assert.deepStrictEqual(
        stalls.filter((_, i) => !results[i]!.closed).map(([name]) => name),
        []
      )
    }))

  // Found by this fuzzing: an attribute of the wrong type was described with JSON.stringify, which threw on deeply
  // nested JSON: a 500 and an ERROR log instead of a bad request. Such JSON is now refused before it is parsed.
  it.effect("a deeply nested attribute is a bad request, not an internal error", () =>
    Effect.gen(function*() {
      const address = yield* ListenAddress
      const deep = deepJson(20_000, "array").raw
      const answer = yield* Effect.promise(() =>
        hello(address.doip2Port, utf8(`{"requestId":"1","targetId":"Q1","operationId":"0.DOIP/Op.Retrieve","attributes":{"element":${deep}}}\n#\n#\n`), doip2AnswerComplete)
      )
      assert.include(new TextDecoder().decode(answer), "0.DOIP/Status.101")
    }))
})
