import { assert, describe, it } from "@effect/vitest"
import { fractionStacks, isCentred } from "../../../../src/layers/workflows/equations/FractionStacks.ts"
import { run } from "./items.ts"

describe("FractionStacks", () => {
  it("pairs a numerator with the denominator under it", () => {
    const numerator = [run("d", 100, 107)]
    const denominator = [run("dt", 98, 93)]
    const [stack, ...others] = fractionStacks(numerator, denominator, 10)
    assert.strictEqual(others.length, 0)
    assert.deepStrictEqual(stack!.above, numerator)
    assert.deepStrictEqual(stack!.below, denominator)
    assert.isTrue(isCentred(stack!))
  })

  it("keeps adjacent fractions apart", () => {
    const stacks = fractionStacks([run("a", 100, 107), run("c", 115, 107)], [run("b", 100, 93), run("d", 115, 93)], 10)
    assert.deepStrictEqual(stacks.map((stack) => stack.above.map((item) => item.text)), [["a"], ["c"]])
    assert.deepStrictEqual(stacks.map((stack) => stack.below.map((item) => item.text)), [["b"], ["d"]])
  })

  it("takes small fractions beside a denominator into it", () => {
    // \frac{m}{\frac{1}{a} + \frac{1}{b}}: "1 over a" and "1 over b" are below the outer rule, "+" too
    const above = [run("m", 107, 107)]
    const below = [
      run("1", 100, 96, "CMR7", 7),
      run("a", 100, 89, "CMMI7", 7),
      run("+", 108, 92, "CMR10"),
      run("1", 117, 96, "CMR7", 7),
      run("b", 117, 89, "CMMI7", 7)
    ]
    const stacks = fractionStacks(above, below, 10)
    assert.strictEqual(stacks.length, 1)
    assert.strictEqual(stacks[0]!.below.length, 5)
  })

  it("says an off-centre stack is no fraction", () => {
    const [stack] = fractionStacks([run("x + y", 100, 107)], [run("z", 118, 93)], 10)
    assert.isFalse(isCentred(stack!))
    const [alone] = fractionStacks([run("x", 100, 107)], [], 10)
    assert.isFalse(isCentred(alone!))
  })
})
