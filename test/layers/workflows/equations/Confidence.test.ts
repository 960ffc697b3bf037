import { assert, describe, it } from "@effect/vitest"
import { confidence, type Evidence } from "../../../../src/layers/workflows/equations/Confidence.ts"

const display: Evidence = {
  numbered: false,
  relation: true,
  bigOperator: false,
  stacked: false,
  mathShare: 1,
  characters: 12,
  apart: true,
  besideTable: false,
  continuation: false,
  leads: false
}

describe("Confidence", () => {
  it("is high for a numbered formula with a relation, lower for what speaks against a display, in 0.01..0.99", () => {
    const numbered = confidence({ ...display, numbered: true, bigOperator: true, stacked: true })
    const plain = confidence(display)
    assert.strictEqual(numbered, 0.99)
    assert.isBelow(plain, numbered)
    assert.isBelow(confidence({ ...display, continuation: true }), plain, "an unnumbered row going on from the one above")
    assert.isBelow(confidence({ ...display, leads: true }), plain, "an unnumbered row that the one below goes on from")
    // a numbered row is one display, whatever goes on below it (a weak one, so that nothing is clamped at 0.99)
    const weak = { ...display, relation: false, mathShare: 0.5, numbered: true }
    assert.strictEqual(confidence({ ...weak, leads: true }), confidence(weak))
    assert.isBelow(confidence({ ...display, besideTable: true }), plain, "beside a table's rows")
    assert.isBelow(confidence({ ...display, characters: 3 }), plain, "a few glyphs")
    assert.isBelow(confidence({ ...display, mathShare: 0.4, relation: false, apart: false }), 0.6, "words, no relation")
    assert.isAtLeast(confidence({ ...display, relation: false, mathShare: 0, characters: 1, besideTable: true }), 0.01)
  })
})
