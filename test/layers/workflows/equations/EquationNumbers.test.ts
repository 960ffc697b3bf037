import { assert, describe, it } from "@effect/vitest"
import { findNumber, isTag } from "../../../../src/layers/workflows/equations/EquationNumbers.ts"
import { run } from "./items.ts"

const edge = { left: 72, right: 523 }

describe("EquationNumbers", () => {
  it("knows the tags amsmath prints", () => {
    for (const tag of ["(1)", "(12)", "(2.1)", "(3.2.4)", "(A.1)", "(S-12)", "(SI3)", "(*)", "(∗)", "(3.2′)", "(4a)", "(iv)", "(a)", "[5]", "(†)"]) {
      assert.isTrue(isTag(tag), tag)
    }
    for (const text of ["(see)", "(1, 2)", "1", "(1", "(1)(2)", "(a + b)", "(N−1)", "()"]) assert.isFalse(isTag(text), text)
  })

  it("finds a number at the right edge, a quad away from the formula", () => {
    const line = [run("x", 280, 400), run("=", 290, 400, "CMR10"), run("1", 300, 400, "CMR10"), run("(1)", 509, 400, "CMR10", 10, 14)]
    const number = findNumber(line, edge, 10)!
    assert.strictEqual(number.text, "(1)")
    assert.strictEqual(number.side, "right")
    assert.strictEqual(number.baseline, 400)
    assert.deepStrictEqual(number.items, [line[3]])
  })

  it("takes a letter in math italic between parentheses at the edge for an argument, not a tag", () => {
    // a line of a multline ending in `\frac{a}{b}(x)` near the edge; a tag `(a)` is set in the text font
    const argument = (font: string) => [
      run("f", 280, 400), run("=", 290, 400, "CMR10"), run("(", 507, 400, "CMR10", 10, 3.9), run("x", 511, 400, font, 10, 5.7),
      run(")", 517, 400, "CMR10", 10, 3.9)
    ]
    assert.isUndefined(findNumber(argument("CMMI10"), edge, 10))
    assert.strictEqual(findNumber(argument("CMR10"), edge, 10)?.text, "(x)")
  })

  it("finds a number at the left edge, made of several runs (a raised prime)", () => {
    const line = [
      run("(3.2", 72, 496.48, "CMR10", 9.96, 16.6),
      run("′", 88.6, 500.1, "CMSY7", 6.97, 2.3),
      run(")", 91.4, 496.48, "CMR10", 9.96, 3.9),
      run("=", 313.95, 496.48, "CMR10", 9.96, 7.7)
    ]
    const number = findNumber(line, edge, 9.96)!
    assert.strictEqual(number.text, "(3.2′)")
    assert.strictEqual(number.side, "left")
    assert.strictEqual(number.baseline, 496.48)
    assert.strictEqual(number.items.length, 3)
  })

  it("takes half a quad for the gap after a number flush with the edge (leqno beside a fleqn display)", () => {
    // amsmath keeps \mintagsep (half a quad) between a tag at the margin and a display at its \mathindent
    const fleqn = [run("(2b)", 72, 400, "CMR10", 12, 20), run("Var", 99.3, 400, "CMR10", 12, 16.6), run("U", 118, 400, "CMMI12", 12)]
    assert.strictEqual(findNumber(fleqn, edge, 12)?.text, "(2b)")
    // a list item's label is set a little inside the margin: the quad is needed there
    const item = [run("(ii)", 77, 400, "CMR10", 10, 13), run("x", 95, 400), run("=", 103, 400, "CMR10"), run("y", 113, 400)]
    assert.isUndefined(findNumber(item, edge, 10))
  })

  it("takes no reference in prose and no tag away from the edge for a number", () => {
    const reference = [run("(3),", 72, 300, "CMR10", 10, 16), run("see Table 1.", 90, 300, "CMR10", 10, 50)]
    assert.isUndefined(findNumber(reference, edge, 10))
    const close = [run("x", 280, 400), run("(1)", 290, 400, "CMR10", 10, 14)]
    assert.isUndefined(findNumber(close, edge, 10), "no quad between formula and tag")
    const inside = [run("x", 200, 400), run("(1)", 400, 400, "CMR10", 10, 14)]
    assert.isUndefined(findNumber(inside, edge, 10), "not at the edge")
    assert.isUndefined(findNumber([], edge, 10))
  })
})
