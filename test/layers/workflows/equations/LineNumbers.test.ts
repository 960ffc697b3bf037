import { assert, describe, it } from "@effect/vitest"
import { withoutLineNumbers } from "../../../../src/layers/workflows/equations/LineNumbers.ts"
import { page, prose, run } from "./items.ts"

describe("LineNumbers", () => {
  it("drops a manuscript's line numbers from the margin, and keeps numbers in the text", () => {
    const baselines = Array.from({ length: 12 }, (_, i) => 700 - 12 * i)
    const numbers = baselines.map((y, i) => run(String(i + 1), 60, y, "CMR8", 8, i + 1 >= 10 ? 8 : 4))
    const text = baselines.flatMap((y) => prose(y))
    const display = [run("(3)", 80, 640, "CMR10", 10, 14), run("x = 2", 270, 640, "CMMI10", 10, 25)]
    const cleaned = withoutLineNumbers(page([...numbers, ...text, ...display]))
    assert.strictEqual(cleaned.items.length, text.length + display.length)
    assert.isTrue(display.every((item) => cleaned.items.includes(item)))
  })

  it("keeps a column of integers that stands in the text, as a table's", () => {
    const baselines = Array.from({ length: 12 }, (_, i) => 700 - 12 * i)
    const table = baselines.flatMap((y, i) => [run(`row ${i}`, 72, y, "CMR10", 10, 30), run(String(i * 7), 200, y, "CMR10", 10, 10)])
    assert.strictEqual(withoutLineNumbers(page(table)).items.length, table.length)
  })
})
