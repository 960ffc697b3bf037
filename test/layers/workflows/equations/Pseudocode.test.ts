import { assert, describe, it } from "@effect/vitest"
import type { TextItem } from "../../../../src/layers/workflows/pdf/Pdf.ts"
import { lines } from "../../../../src/layers/workflows/equations/Lines.ts"
import { keywordLed, pseudocodeLines } from "../../../../src/layers/workflows/equations/Pseudocode.ts"
import { prose, run } from "./items.ts"

/** a `tabbing` algorithm at 12 pt: a header, then steps at two indents (63 and 75), 14.5 pt apart */
const tabbing: ReadonlyArray<TextItem> = [
  run("Algorithm 1.", 51, 148.4, "NimbusRomNo9L-Medi", 12, 60), run("Estimate the mean from N customers", 114, 148.4, "NimbusRomNo9L-Regu", 12, 160),
  run("W", 63, 133.9, "NimbusRomNo9L-ReguItal", 12, 10), run("←", 76, 133.9, "txsy", 12, 12), run("0;", 91, 133.9, "NimbusRomNo9L-Regu", 12, 9),
  run("for", 63, 119.5, "NimbusRomNo9L-Medi", 12, 15), run("n", 81, 119.5, "NimbusRomNo9L-ReguItal", 12, 6), run("= 1, 2, . . . , N", 89, 119.5, "rtxr", 12, 60),
  run("do", 153, 119.5, "NimbusRomNo9L-Medi", 12, 12),
  run("W", 75, 105, "NimbusRomNo9L-ReguItal", 12, 10), run("←", 88, 105, "txsy", 12, 12), run("max(0, W + S − T)", 103, 105, "rtxr", 12, 90),
  run("return", 63, 90.6, "NimbusRomNo9L-Medi", 12, 34), run("W/N", 100, 90.6, "NimbusRomNo9L-ReguItal", 12, 20)
]

describe("Pseudocode", () => {
  it("reads a control keyword at the start of a line, after a line number, in a text font", () => {
    const [header, assign, loop] = lines(tabbing, 12)
    assert.isFalse(keywordLed(header!))
    assert.isFalse(keywordLed(assign!))
    assert.isTrue(keywordLed(loop!))
    const numbered = lines([run("3:", 67, 700, "CMR10", 10, 8), run("end for", 80, 700, "CMBX10", 10, 30)], 10)
    assert.isTrue(keywordLed(numbered[0]!))
    // a math italic `if` is no keyword
    assert.isFalse(keywordLed(lines([run("if", 67, 700, "CMMI10", 10, 8)], 12)[0]!))
  })

  it("takes the lines of an algorithm set as text for pseudocode", () => {
    const found = lines([...prose(200, 51, 523, "NimbusRomNo9L-Regu"), ...tabbing], 12)
    const code = pseudocodeLines(found, 12)
    assert.deepStrictEqual(found.filter((line) => code.has(line)).map((line) => line.baseline), [133.9, 119.5, 105, 90.6])
  })

  it("takes no displayed update rule for pseudocode, even after a line of prose led by 'if'", () => {
    const items = [
      ...prose(700),
      run("if the step size is small enough:", 72, 688, "CMR10", 10, 150),
      run("θ", 260, 676), run("←", 268, 676, "CMSY10", 10, 10), run("θ − η g", 281, 676, "CMMI10", 10, 35),
      ...prose(664)
    ]
    assert.strictEqual(pseudocodeLines(lines(items, 10), 10).size, 0)
  })
})
