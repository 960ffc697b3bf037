import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import type { Candidate } from "../../../../src/layers/workflows/equations/Equation.ts"
import { findEquations, findOnPage } from "../../../../src/layers/workflows/equations/FindEquations.ts"
import * as PdfJs from "../../../../src/layers/workflows/pdf/PdfJs.ts"
import type { PageText, TextItem } from "../../../../src/layers/workflows/pdf/Pdf.ts"
import { prose, run } from "./items.ts"

/** a two-column page: a display in each column, the right one numbered */
const twoColumns = (): PageText => {
  const column = (x: number, right: number) => Array.from({ length: 30 }, (_, i) => prose(740 - 12 * i, x, right)).flat()
  const left = column(54, 294).filter((item) => item.y > 600 || item.y < 560)
  const right = column(318, 558).filter((item) => item.y > 600 || item.y < 560)
  const display = (x: number): ReadonlyArray<TextItem> => [
    run("x", x, 580),
    run("=", x + 8.6, 580, "CMR10", 10, 7.8),
    run("y", x + 19.3, 580),
    run("2", x + 24.5, 584, "CMR7", 7, 3.5)
  ]
  // drawn in an order that is not reading order: the right column's display first, its exponent before its base
  const [x, equals, y, two] = display(130)
  return {
    pageNumber: 3,
    width: 612,
    height: 792,
    items: [...display(400), run("(7)", 544, 580, "CMR10", 10, 14), ...right, two!, x!, equals!, y!, ...left],
    rules: []
  }
}

describe("FindEquations", () => {
  it("numbers the equations of a page in reading order, column by column", () => {
    const found = findOnPage(twoColumns())
    assert.deepStrictEqual(found.map((candidate) => [candidate.id, candidate.page, candidate.number]), [
      ["p3-e1", 3, null],
      ["p3-e2", 3, "(7)"]
    ])
    const [left, right] = found
    assert.isBelow(left!.bbox.right, 306)
    assert.isAbove(right!.bbox.left, 306)
    assert.strictEqual(left!.latex, "x = y^2")
    assert.strictEqual(left!.kind, "display")
    // raw and items keep the drawing order
    assert.strictEqual(left!.raw, "2 x = y")
    assert.deepStrictEqual(left!.items.map((item) => item.text), ["2", "x", "=", "y"])
    assert.include(left!.context.before, "Lorem")
  })

  it("finds the number of a display in the left column of a page whose right column is empty, after a big delimiter", () => {
    // the last page of a two-column paper: a wide equation across the top, the left column's text below it
    const float = Array.from({ length: 8 }, (_, i) => run(`a${i} +`, 100 + 57 * i, 760 - (i % 3) * 6, "CMMI10", 10, 20 + 3 * i))
    const text = Array.from({ length: 30 }, (_, i) => prose(700 - 12 * i, 54, 294)).flat().filter((item) => item.y > 600 || item.y < 560)
    const display = [
      run("p", 90, 580), run("≈", 100, 580, "Pxsy", 10, 6.7), run("exp", 110, 580, "URWPalladioL-Roma", 10, 16),
      run("−", 130, 580, "Pxsy", 10, 6.7), run("x · x", 140, 587, "URWPalladioL-Ital", 10, 20), run("2n", 144, 573, "URWPalladioL-Ital", 10, 10),
      run("!", 165, 595, "Pxex", 10, 4), run(",", 171, 580, "Rpxmi", 10, 2.5), run("(12)", 277.4, 580, "URWPalladioL-Roma", 10, 16.6)
    ]
    const [equation, ...others] = findOnPage({ pageNumber: 2, width: 612, height: 792, items: [...float, ...text, ...display], rules: [] })
      .filter((candidate) => candidate.bbox.top < 700)
    assert.strictEqual(others.length, 0)
    assert.strictEqual(equation!.number, "(12)")
    assert.notInclude(equation!.latex, "12")
  })

  it("writes no aligned block for the lines of a multline that do not carry its number", () => {
    const text = Array.from({ length: 30 }, (_, i) => prose(740 - 12 * i, 72, 522)).flat().filter((item) => item.y > 620 || item.y < 540)
    const multline = [
      run("a", 82, 600), run("=", 92, 600, "CMR10", 10, 7.8), run("b", 105, 600), run("−", 115, 600, "CMSY10", 10, 7.8),
      run("X", 128, 610.4, "CMEX10", 10, 14.4), run("j≥2", 129, 590, "CMMI7", 7, 12), run("c", 146, 600), run("+ d + e + f + g", 155, 600, "CMMI10", 10, 150),
      run("≤", 300, 575, "CMSY10", 10, 7.8), run("h + i", 315, 575, "CMMI10", 10, 30), run("(2.7)", 500, 575, "CMR10", 10, 22)
    ]
    const [equation, ...others] = findOnPage({ pageNumber: 1, width: 595, height: 842, items: [...text, ...multline], rules: [] })
    assert.strictEqual(others.length, 0)
    assert.strictEqual(equation!.number, "(2.7)")
    assert.strictEqual(equation!.latex, "a = b - \\sum_{j \\ge 2}c + d + e + f + g \\le h + i")
  })

  it("reads the last page of a two-column paper, its right column short, with the document's gutter", () => {
    const last: PageText = {
      pageNumber: 4,
      width: 612,
      height: 792,
      rules: [],
      items: [
        ...Array.from({ length: 30 }, (_, i) => prose(740 - 12 * i, 54, 294)).flat().filter((item) => item.y > 600 || item.y < 560),
        ...Array.from({ length: 3 }, (_, i) => prose(596 - 12 * i, 318, 558)).flat(),
        run("x", 150, 584), run("=", 158.6, 584, "CMR10", 10, 7.8), run("y", 169.3, 584), run("(9)", 280, 584, "CMR10", 10, 14)
      ]
    }
    // alone, the page has no gutter: the display shares its line with the right column's prose
    assert.deepStrictEqual(findOnPage(last), [])
    const found = findEquations({ pageCount: 4, pages: [{ ...twoColumns(), pageNumber: 3 }, last] })
    assert.deepStrictEqual(found.map((candidate) => [candidate.id, candidate.number]), [
      ["p3-e1", null],
      ["p3-e2", "(7)"],
      ["p4-e1", "(9)"]
    ])
  })

  it("reads a page of small print by the document's body size: its displays are set at that size", () => {
    const text: PageText = { pageNumber: 1, width: 595, height: 842, rules: [], items: Array.from({ length: 40 }, (_, i) => prose(780 - 12 * i)).flat() }
    // an appendix page: one display, then references in 9 pt, which outnumber the 10 pt text
    const appendix: PageText = {
      pageNumber: 2,
      width: 595,
      height: 842,
      rules: [],
      items: [
        ...Array.from({ length: 6 }, (_, i) => prose(800 - 12 * i)).flat(),
        run("x", 280, 730), run("=", 288.6, 730, "CMR10", 10, 7.8), run("y", 299.3, 730), run("(9)", 508, 730, "CMR10", 10, 14),
        ...Array.from({ length: 30 }, (_, i) => prose(700 - 11 * i).map((item) => ({ ...item, fontName: "CMR9", fontSize: 9 }))).flat()
      ]
    }
    assert.deepStrictEqual(findOnPage(appendix), [], "by the page's own size, 10 pt is a heading's")
    const found = findEquations({ pageCount: 2, pages: [text, appendix] })
    assert.deepStrictEqual(found.map((candidate) => [candidate.id, candidate.number]), [["p2-e1", "(9)"]])
  })

  it.effect("holds a fraction whose numerator stands more than a line high together by its bar (a real page)", () =>
    Effect.gen(function*() {
      // ijmsample (amsmath's testmath in ijmart), page 19: a multline* opening with \lim_{h\to 0}\frac{..}{h}, whose
      // numerator holds fractions of its own and stands 21 pt over the main baseline
      const bytes = new Uint8Array(Fs.readFileSync(Path.join(import.meta.dirname, "..", "..", "..", "fixtures", "corpus", "ijmsample.pdf")))
      const document = yield* PdfJs.make().text(bytes, [19])
      const within = (candidates: ReadonlyArray<Candidate>) =>
        candidates.filter((candidate) => candidate.bbox.top > 215 && candidate.bbox.bottom < 295)
      assert.strictEqual(within(findEquations(document)).length, 1)
      const page = { ...document.pages[0]!, rules: [] }
      assert.isAbove(within(findOnPage(page, { gutter: undefined, rulesKnown: false })).length, 1, "without the bar, its parts go apart")
    }))

  it.effect("reads a \\cfrac's bar, well under its numerator, as a fraction's and not as an overline (a real page)", () =>
    Effect.gen(function*() {
      // heat-kernel: 1 + \cfrac{1}{1 + \cfrac{1}{m + \frac{n}{2}}}
      const bytes = new Uint8Array(Fs.readFileSync(Path.join(import.meta.dirname, "..", "..", "..", "fixtures", "papers", "heat-kernel.pdf")))
      const latex = findEquations(yield* PdfJs.make().text(bytes)).map((candidate) => candidate.latex)
      const chain = latex.find((text) => text.includes("\\frac n2"))
      assert.isDefined(chain)
      assert.notInclude(chain!, "\\overline")
    }))

  it("goes through the pages it is given", () => {
    const page = twoColumns()
    const found = findEquations({ pageCount: 9, pages: [page, { ...page, pageNumber: 4 }] })
    assert.deepStrictEqual(found.map((candidate) => candidate.id), ["p3-e1", "p3-e2", "p4-e1", "p4-e2"])
    assert.deepStrictEqual(findEquations({ pageCount: 1, pages: [{ pageNumber: 1, width: 612, height: 792, items: [], rules: [] }] }), [])
  })
})
