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

  it("reads a continued fraction whole: its bars' numerators, radicals cut where their vinculums end, one display", () => {
    // testmath's `\cfrac{1}{\sqrt{2}+ \cfrac{1}{\sqrt{2}+ ...}}`, as pdf.js gives it, moved 40 pt right
    const text = Array.from({ length: 30 }, (_, i) => prose(740 - 12 * i, 72, 522)).flat().filter((item) => item.y > 690 || item.y < 580)
    const ones = [[343.7, 670], [357.1, 655.2], [370.4, 640.5], [383.7, 625.7], [397, 611]] as const
    const radicals = [[274.4, 656, 647.8], [301, 641.3, 633], [327.7, 626.5, 618.3], [354.3, 611.8, 603.5], [381, 603.8, 595.6]] as const
    const fraction = [
      ...ones.map(([x, y]) => run("1", x, y, "CMR10", 10, 5)),
      ...radicals.flatMap(([x, sign, base]) => [run("√", x, sign, "CMSY10", 10, 8.3), run("2 +", x + 8.3, base, "CMR10", 10, 14.9)]),
      run("· · ·", 406.5, 595.6, "CMSY10", 10, 11.6)
    ]
    const bar = (left: number, right: number, bottom: number) => ({ left, right, bottom, top: bottom + 0.4 })
    const rules = [
      ...[[274.4, 664.8], [301, 650.06], [327.7, 635.31], [354.3, 620.57], [381, 605.82]].map(([x, y]) => bar(x!, 418.1, y!)),
      // the vinculums over the 2s, starting where the radical signs end
      ...radicals.map(([x, sign]) => bar(x + 8.3, x + 13.3, x === 381 ? 603.83 : sign))
    ]
    const page = { pageNumber: 1, width: 595, height: 842, items: [...text, ...fraction, run("(59)", 500, 662.5, "CMR10", 10, 17.7)], rules }
    const [equation, ...others] = findOnPage(page)
    assert.strictEqual(others.length, 0)
    assert.strictEqual(equation!.number, "(59)")
    assert.strictEqual(
      equation!.latex,
      "\\frac1{\\sqrt{2} + \\frac1{\\sqrt{2} + \\frac1{\\sqrt{2} + \\frac1{\\sqrt{2} + \\frac1{\\sqrt{2} + \\cdots}}}}}"
    )
  })

  it("reads a display that is one fraction whole, though its number's line, with the numerator's limits, parts it in rows", () => {
    // `\frac{\max_{1 \le k \le n} [ a \cdot \frac{\sum_{j=1}^{n} b}{\sum_{j=1}^{n} c} ]}{\sum_{k=1}^n [ d ]}`, 12 pt
    const text = Array.from({ length: 30 }, (_, i) => prose(740 - 14 * i, 72, 543)).flat().filter((item) => item.y > 685 || item.y < 600)
    const display = [
      run("max", 171.6, 654.2, "CMR12", 12, 21.8), run("1≤k≤n", 193.4, 652.5, "CMMI8", 8, 27), run("[", 223, 654.2, "CMR12", 12, 4),
      run("a", 230, 654.2, "CMMI12", 12, 5.7), run("·", 261.9, 654.2, "CMSY10", 12, 3.3),
      run("P", 274.1, 669.1, "CMEX8", 8, 8.9), run("n", 283.1, 668, "CMMI6", 6, 4.6), run("j=1", 283.1, 660.5, "CMR6", 6, 9.2),
      run("b", 297.6, 663.1, "CMMI8", 8, 8),
      run("P", 269.8, 651.9, "CMEX8", 8, 8.9), run("n", 278.7, 650.8, "CMMI6", 6, 4.6), run("j=1", 278.7, 643.3, "CMR6", 6, 9.2),
      run("c", 296.9, 646, "CMMI8", 8, 8), run("]", 433.4, 654.2, "CMR12", 12, 4),
      run("P", 229.2, 627.6, "CMEX10", 12, 12.6), run("n", 241.9, 624.4, "CMMI8", 8, 5.1), run("k=1", 241.9, 615.1, "CMR8", 8, 15),
      run("[", 259.8, 618.6, "CMR12", 12, 4), run("d", 266.1, 618.6, "CMMI12", 12, 5.7), run("]", 376.4, 618.6, "CMR12", 12, 4),
      run("(33)", 519.2, 634.6, "CMR12", 12, 20.8)
    ]
    const rules = [
      { left: 269.1, right: 325.7, bottom: 657, top: 657.5 },
      { left: 171.6, right: 440.4, bottom: 637.4, top: 637.9 }
    ]
    const [equation, ...others] = findOnPage({ pageNumber: 1, width: 612, height: 792, items: [...text, ...display], rules })
    assert.strictEqual(others.length, 0)
    assert.strictEqual(equation!.number, "(33)")
    assert.isTrue(equation!.latex.startsWith("\\frac{\\max_{1 \\le k \\le n}"), equation!.latex)
    assert.notInclude(equation!.latex, "aligned")
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
