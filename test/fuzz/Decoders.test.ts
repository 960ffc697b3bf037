/**
 * Property-based fuzzing of every decoder (issue 14, item 10): the three wire decoders' state machines fed
 * grammar-aware cases (valid requests of every operation, then mutated) in random chunkings, the credentials
 * split, and the search query language. A small run here; `npm run fuzz` runs 100k cases per decoder.
 *
 * What must hold: a decoder ends every input with parts and a clean end or its own typed error, within a number of
 * steps linear in the input, never throwing anything else, never asking for input after the end, and the chunking
 * never changes what the bytes decode to.
 */
import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as Credentials from "../../src/protocol/Credentials.ts"
import {
  checkCredentials,
  checkSearch,
  decoderCase,
  decoderTargets,
  drive,
  metadataObject,
  queryText,
  runDecoderCase,
  searchObject,
  summary
} from "../support/Fuzz.ts"

/** FUZZ_SEED replays a run; every failure prints its seed and path */
const seed = process.env["FUZZ_SEED"] === undefined ? {} : { seed: Number(process.env["FUZZ_SEED"]) }

describe("decoders under fuzzing", () => {
  for (const target of decoderTargets) {
    it(`${target.name}: mutated requests in any chunking end in parts or a typed error, the same for every chunking`, () => {
      fc.assert(
        fc.property(decoderCase(target), (c) => {
          const { problem } = runDecoderCase(target, c)
          if (problem !== undefined) throw new Error(problem)
        }),
        { numRuns: 500, ...seed }
      )
    })

    it(`${target.name}: valid requests, pipelined, decode to the end without an error`, () => {
      fc.assert(
        fc.property(target.valid, fc.array(fc.nat(), { maxLength: 6 }), (message, cuts) => {
          const chunks = cuts.length === 0 ? [message.bytes] : [message.bytes.subarray(0, cuts[0]! % (message.bytes.length + 1)), message.bytes.subarray(cuts[0]! % (message.bytes.length + 1))]
          const outcome = drive(target.make(false), target.isError, target.describe, chunks.filter((c) => c.length > 0))
          assert.strictEqual(outcome._tag, "End", summary(outcome))
        }),
        { numRuns: 200, ...seed }
      )
    })
  }
})

describe("credentials under fuzzing", () => {
  it("split takes out exactly the credential keys and keeps every other key", () => {
    fc.assert(
      fc.property(metadataObject, (metadata) => {
        const problem = checkCredentials(metadata)
        if (problem !== undefined) throw new Error(problem)
      }),
      { numRuns: 1000, ...seed }
    )
  })

  // Found by this fuzzing: Credentials.split copied the other keys with `rest[key] = value`, so a `"__proto__"` key
  // that JSON.parse made an own key became rest's prototype: `{"token":"t","__proto__":{"element":"x"}}` gave a rest
  // whose keys were [] but whose `element` read "x".
  it("split keeps a __proto__ key as an own key, not as rest's prototype", () => {
    const metadata = JSON.parse(`{"token":"t","__proto__":{"element":"x"}}`)
    const { rest } = Credentials.split(metadata)
    assert.deepStrictEqual(Object.keys(rest), ["__proto__"])
    assert.strictEqual((rest as Record<string, unknown>)["element"], undefined)
  })

  // Found by this fuzzing: a credential that is not a string was turned into text with JSON.stringify, which throws
  // a RangeError on deeply nested JSON, and the request was dropped on every wire (the framings now refuse such JSON
  // before it is parsed, limits.maxJsonDepth; split no longer walks the value either).
  it("split does not throw on a deeply nested credential, and takes it for no secret at all", () => {
    const deep = "[".repeat(20_000) + "]".repeat(20_000)
    const { credentials } = Credentials.split(JSON.parse(`{"token":${deep}}`))
    assert.isDefined(credentials?.token)
    assert.strictEqual(Credentials.split({ token: 12345 }).credentials?.token?.pipe((t) => typeof t), "object")
  })
})

describe("search queries under fuzzing", () => {
  it("parseQuery, matches, parseSortFields and compareBy never throw, and sorting is consistent", () => {
    fc.assert(
      fc.property(queryText, fc.string({ maxLength: 40 }), fc.array(searchObject, { maxLength: 4 }), (query, sort, objects) => {
        const problem = checkSearch(query, sort, objects)
        if (problem !== undefined) throw new Error(problem)
      }),
      { numRuns: 1000, ...seed }
    )
  })
})
