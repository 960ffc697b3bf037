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

  it("keeps fractions set side by side apart, only 0.24 em between them, but not a numerator and denominator built alike", () => {
    // \frac{19}{12} \frac{\beta}{c_0^4}, as aastex sets it (TeX Live 2022, 10 pt)
    const sideBySide = fractionStacks(
      [run("19", 399.5, 680.5, "CMR10", 10, 10), run("β", 413.1, 680.5, "CMMI10", 10, 5.6)],
      [run("12", 399.5, 667, "CMR10", 10, 10), run("c", 411.8, 667, "CMMI10", 10, 4.3), run("4", 416.1, 670.4, "CMR7", 7, 4)],
      10
    )
    assert.deepStrictEqual(sideBySide.map((stack) => stack.above.map((item) => item.text)), [["19"], ["β"]])
    assert.deepStrictEqual(sideBySide.map((stack) => stack.below.map((item) => item.text)), [["12"], ["c", "4"]])
    // \frac{\kappa - d}{\kappa + d}: the gaps around the operators line up, yet it is one fraction
    const alike = fractionStacks(
      [run("κ", 100, 507, "CMMI10", 10, 5.7), run("−", 108, 507, "CMSY10", 10, 7.7), run("d", 118, 507, "CMMI10", 10, 5.2)],
      [run("κ", 100, 493, "CMMI10", 10, 5.7), run("+", 108, 493, "CMR10", 10, 7.7), run("d", 118, 493, "CMMI10", 10, 5.2)],
      10
    )
    assert.strictEqual(alike.length, 1)
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
