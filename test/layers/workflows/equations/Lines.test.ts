import { assert, describe, it } from "@effect/vitest"
import { bodySize, joinRuns, lines, lineText, words } from "../../../../src/layers/workflows/equations/Lines.ts"
import { droppedGlyph } from "../../../../src/layers/workflows/pdf/Pdf.ts"
import { prose, run } from "./items.ts"

describe("Lines", () => {
  it("takes the size most characters are set in for the body size", () => {
    assert.strictEqual(bodySize([...prose(700), run("Title", 72, 750, "CMR17", 17.22, 60), run("x", 0, 0, "CMMI7", 6.97)]), 10)
  })

  it("groups runs by baseline, top to bottom, with scripts on their line", () => {
    const first = [run("e", 100, 700), run("−t", 105, 704, "CMMI7", 7), run("of the operator", 120, 700, "CMR10")]
    const second = [run("λ", 100, 688), run("k", 106, 686.5, "CMMI7", 7), run("is an eigenvalue", 120, 688, "CMR10")]
    const found = lines([...second, ...first], 10)
    assert.strictEqual(found.length, 2)
    assert.deepStrictEqual(found.map((line) => line.baseline), [700, 688])
    assert.deepStrictEqual(found[0]!.items.map((item) => item.text), ["e", "−t", "of the operator"])
    assert.deepStrictEqual(found[1]!.items.map((item) => item.text), ["λ", "k", "is an eigenvalue"])
    assert.isFalse(found[0]!.orphan)
    assert.strictEqual(lineText(found[1]!), "λk is an eigenvalue")
  })

  it("takes a line of nothing but an arrow's pieces for an orphan (an arrow over or under a formula)", () => {
    const arrow = [run("−", 100, 692.5, "CMSY10", 10, 7.7), run("→", 104, 692.5, "CMSY10", 10, 10)]
    const found = lines([run("lim", 100, 700, "CMR10", 10, 14), ...arrow, run("≤ 0", 120, 700, "CMSY10", 10, 16)], 10)
    assert.deepStrictEqual(found.map((line) => line.orphan), [false, true])
    // a relation on a line of its own is no arrow
    assert.deepStrictEqual(lines([run("x", 100, 700), run("=", 100, 688, "CMR10", 10, 7.8)], 10).map((line) => line.orphan), [false, false])
  })

  it("gives a script to the line whose run it touches", () => {
    // a subscript between a numerator (707) and the main baseline (700), touching the numerator's h
    const numerator = run("h", 100, 707, "CMMI10", 10, 5.7)
    const main = run("≤ λ", 130, 700, "CMSY10", 10, 15)
    const subscript = run("G", 105.7, 704.3, "CMMI7", 7)
    const found = lines([numerator, main, subscript], 10)
    assert.deepInclude(found.find((line) => line.baseline === 707)!.items, subscript)
  })

  it("puts the pieces of a tall bar on the line it is centred on, the top piece too", () => {
    // |\widetilde{D}u_y| in a denominator (amsmath's testmath, page 15): three pieces of code 12, 6 pt each, the top
    // one drawn from 232.9, nearer the numerator's baseline (238.6) than the denominator's (221.5)
    const bar = [232.9, 226.9, 221.0].map((y) => run(droppedGlyph(12), 163.3, y, "CMEX10", 10, 3.3))
    const numerator = run("Du", 166.7, 238.6, "CMMI10", 10, 14.2)
    const denominator = run("Du", 166.7, 221.5, "CMMI10", 10, 14.2)
    const found = lines([numerator, denominator, ...bar], 10)
    assert.deepStrictEqual(found.map((line) => line.baseline), [238.6, 221.5])
    assert.includeMembers([...found[1]!.items], bar)
  })

  it("puts the limits of a display sum on the sum's line, the fraction parts on their own", () => {
    const sum = run("X", 200, 710.4, "CMEX10", 10, 14.4) // hangs from 710.4 down to 696.4: centred on the axis
    const limits = [run("n=0", 201, 690, "CMR7", 7), run("N", 205, 714, "CMMI7", 7)]
    const numerator = run("1", 180, 707, "CMR10")
    const denominator = run("N", 179, 693)
    const main = [run("A", 150, 700), run("=", 165, 700, "CMR10"), run("f(x)", 220, 700)]
    const found = lines([sum, ...limits, numerator, denominator, ...main], 10)
    assert.deepStrictEqual(found.map((line) => line.baseline), [707, 700, 693])
    const spine = found[1]!
    assert.includeMembers([...spine.items], [sum, ...limits])
    assert.isTrue(found.every((line) => !line.orphan))
  })

  it("makes lines of small runs that fit no line", () => {
    const found = lines([...prose(700), run("1/3", 300, 660, "CMR7", 7)], 10)
    assert.strictEqual(found.length, 2)
    assert.isTrue(found[1]!.orphan)
  })

  it("joins touching runs into words", () => {
    const limit = [run("(m,n)∈Z", 100, 500, "CMMI7", 7, 30), run("2", 130, 502, "CMR5", 5, 2.5), run("\\{0}", 133, 500, "CMSY7", 7, 12)]
    const apart = run("k", 160, 500, "CMMI7", 7)
    assert.deepStrictEqual(words([apart, ...limit]), [limit, [apart]])
    assert.strictEqual(joinRuns([run("b", 20, 0), run("a", 0, 0, "CMMI10", 10, 5), run("c", 25.5, 0)]), "a bc")
  })
})
