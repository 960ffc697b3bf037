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

  it("keeps columns of integers in a table, within the text or not counting down the page", () => {
    const baselines = Array.from({ length: 12 }, (_, i) => 700 - 12 * i)
    const text = [...prose(740), ...prose(728)]
    const inside = baselines.flatMap((y, i) => [run(`row ${i}`, 300, y, "CMR10", 10, 30), run(String(i + 1), 400, y, "CMR10", 10, 10)])
    assert.strictEqual(withoutLineNumbers(page([...text, ...inside])).items.length, text.length + inside.length)
    const unordered = baselines.map((y, i) => run(String((i * 7) % 12), 60, y, "CMR8", 8, 8))
    assert.strictEqual(withoutLineNumbers(page([...text, ...unordered])).items.length, text.length + unordered.length)
  })
})
