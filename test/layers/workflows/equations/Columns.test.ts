import { assert, describe, it } from "@effect/vitest"
import { columns, gutters } from "../../../../src/layers/workflows/equations/Columns.ts"
import { page, prose, run } from "./items.ts"

/** `count` lines of prose between `x` and `right`, 12 pt apart from y = 700 down */
const paragraph = (count: number, x: number, right: number) =>
  Array.from({ length: count }, (_, i) => prose(700 - 12 * i, x, right)).flat()

describe("Columns", () => {
  it("finds the gutter of a two-column page and keeps the title apart", () => {
    const title = run("A title across both columns of the page", 150, 780, "CMR17", 17, 300)
    const found = columns(page([title, ...paragraph(40, 54, 294), ...paragraph(40, 318, 558)], 612, 792))
    assert.deepStrictEqual(found.map((column) => column.kind), ["full", "left", "right"])
    const [full, left, right] = found
    assert.deepStrictEqual(full!.items, [title])
    assert.closeTo(left!.left, 54, 0.5)
    assert.closeTo(left!.right, 291, 0.5)
    assert.closeTo(right!.left, 318, 0.5)
    assert.isTrue(left!.items.every((item) => item.x + item.width <= 306))
    assert.isTrue(right!.items.every((item) => item.x >= 306))
  })

  it("takes a column's right edge from its text, not from step numbers that end together (an algorithm's page)", () => {
    // steps `2.1.` .. `2.9.` end at one x, the steps' words and formulas anywhere further right
    const steps = Array.from({ length: 9 }, (_, i) => [
      run(`2.${i + 1}.`, 160, 700 - 20 * i, "CMR9", 9, 16),
      run("select the next batch", 180, 700 - 20 * i, "CMR9", 9, 80 + 17 * i),
      run("x = y", 300, 690 - 20 * i, "CMMI9", 9, 120 + 3 * i)
    ]).flat()
    const [column] = columns(page(steps))
    assert.isAbove(column!.right, 400)
  })

  it("keeps a line across the gutter whole: a centred subtitle with math at its end", () => {
    const subtitle = [run("Probability seminar notes,", 232, 760, "URWPalladioL-Roma", 9, 103), run("d", 338, 760, "URWPalladioL-Ital", 9, 4.5), run("∈ {1, 2, 3}", 345, 760, "Pxsy", 9, 34)]
    const [full, left, right] = columns(page([...subtitle, ...paragraph(40, 54, 294), ...paragraph(40, 318, 558)], 612, 792))
    assert.deepStrictEqual(full!.items, subtitle)
    assert.strictEqual(left!.items.length, 160)
    assert.strictEqual(right!.items.length, 160)
    // a display that sticks into the gutter a little stays in its column, and the other column's line beside it in its
    const overfull = run("x + y + z", 200, 400, "CMMI10", 10, 108)
    const found = columns(page([overfull, ...paragraph(40, 54, 294), ...paragraph(40, 318, 558)], 612, 792))
    assert.deepStrictEqual(found.map((column) => [column.kind, column.items.length]), [["left", 161], ["right", 160]])
  })

  it("keeps a wide formula across the gutter whole, and takes the document's gutter for a page with one column of text", () => {
    // a two-column page, then the last page: a wide equation across the top, text in the left column only
    const first = page([...paragraph(40, 54, 294), ...paragraph(40, 318, 558)], 612, 792)
    const wide = [
      run("G(0) =", 100, 760, "CMMI10", 10, 30), run("1", 140, 767, "CMR10", 10, 5), run("(2π)", 135, 753, "CMMI10", 10, 20),
      run("dθ", 190, 767, "CMMI10", 10, 10), run("1 − (cos θ + cos", 160, 753, "CMMI10", 10, 150),
      run("θ)", 312, 753, "CMMI10", 10, 10), run("=", 330, 760, "CMR10", 10, 8), run("1.516", 345, 760, "CMR10", 10, 25),
      run("(6)", 540, 760, "CMR10", 10, 14)
    ]
    const last = page([...wide, ...paragraph(30, 54, 294)], 612, 792)
    assert.deepStrictEqual(columns(last).map((column) => column.kind), ["single"])
    const [, gutter] = gutters([first, last])
    assert.isDefined(gutter)
    const [full, left, ...others] = columns(last, { gutter })
    assert.strictEqual(others.length, 0)
    assert.deepStrictEqual(full!.items, wide)
    assert.strictEqual(left!.kind, "left")
    assert.closeTo(left!.right, 291, 0.5)
    // a float page of one wide formula has no gutter of its own in the gap of the formula
    assert.deepStrictEqual(columns(page(wide, 612, 792)).map((column) => column.kind), ["single"])
  })

  it("reads a one-column page as one column, centred displays and all", () => {
    const display = [run("x", 280, 600), run("=", 290, 600, "CMR10"), run("y", 300, 600)]
    const found = columns(page([...paragraph(40, 72, 522), ...display]))
    assert.strictEqual(found.length, 1)
    assert.strictEqual(found[0]!.kind, "single")
    assert.strictEqual(found[0]!.items.length, 163)
  })

  it("takes the right edge of a column from where its justified lines end, not from a float wider than the text", () => {
    // the last page of a two-column paper: a wide equation across the top, text in the left column only
    const float = Array.from({ length: 8 }, (_, i) => run(`a${i} +`, 100 + 57 * i, 760 - (i % 3) * 6, "CMMI10", 10, 20 + 3 * i))
    const [single, ...others] = columns(page([...float, ...paragraph(40, 54, 294)], 612, 792))
    assert.strictEqual(others.length, 0)
    assert.closeTo(single!.right, 291, 0.5)
    // a table across the page, its 48 cells more than a fiftieth of the runs, of every width
    const table = Array.from({ length: 48 }, (_, i) => run(`c${i}`, 60 + 58 * (i % 8), 770 - 10 * Math.floor(i / 8), "CMR10", 10, 12 + ((7 * i) % 30)))
    assert.closeTo(columns(page([...table, ...paragraph(40, 54, 294)], 612, 792))[0]!.right, 291, 0.5)
  })

  it("takes the right edge of a page of displays from its few lines of prose, not from where the displays' runs end", () => {
    // three lines of prose end at the margin (477.5); twelve displays of a dozen runs each end short of it, anywhere
    const text = paragraph(3, 134, 480.5)
    const shown = Array.from({ length: 12 }, (_, d) =>
      Array.from({ length: 12 }, (_, k) => run(`x${k}`, 180 + 20 * k, 640 - 45 * d + (k % 3) * 4, "CMMI10", 10, 12 + d))
    ).flat()
    assert.closeTo(columns(page([...text, ...shown]))[0]!.right, 477.5, 0.5)
  })

  it("takes a page with text on one side only for one column", () => {
    const found = columns(page(paragraph(30, 54, 294), 612, 792))
    assert.deepStrictEqual(found.map((column) => column.kind), ["single"])
    assert.deepStrictEqual(columns(page([])), [])
  })
})
