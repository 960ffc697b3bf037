/**
 * Equation finding on the fixture papers against their ground truth (the scoring of `npm run eval:equations`).
 *
 * The papers the heuristics were tuned on: every display equation found, no false positive, every number right, mean
 * LaTeX similarity 0.967 at the time of writing. The held-out papers (`heldOut` in index.json), written afterwards to
 * see whether the heuristics generalise, scored lower. The failure modes the first held-out set showed (fleqn and
 * leqno, flalign, pseudocode, braces, Euler's big operators, a float across a page with one column of text, ...) were
 * then fixed in general terms, never by paper: that set now reaches every equation, no false positive, every number,
 * LaTeX 0.954, but is held out no longer. The thresholds sit a little below what each set reaches, so that a
 * regression fails.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { type FixtureSet, loadFixtures, score, type Truth } from "../../../../bench/equation-score.ts"
import { columns } from "../../../../src/layers/workflows/equations/Columns.ts"
import type { Candidate } from "../../../../src/layers/workflows/equations/Equation.ts"
import { findEquations } from "../../../../src/layers/workflows/equations/FindEquations.ts"
import { bodySize, lines } from "../../../../src/layers/workflows/equations/Lines.ts"
import { charClasses, isMathFont } from "../../../../src/layers/workflows/equations/MathGlyphs.ts"
import { type DocumentText, Pdf } from "../../../../src/layers/workflows/pdf/Pdf.ts"
import * as PdfJs from "../../../../src/layers/workflows/pdf/PdfJs.ts"

const read = Effect.gen(function*() {
  const pdf = yield* Pdf
  const papers: Array<{
    readonly truth: Truth
    readonly set: FixtureSet
    readonly document: DocumentText
    readonly found: ReadonlyArray<Candidate>
  }> = []
  for (const { truth, bytes, set } of loadFixtures()) {
    const document = yield* pdf.text(bytes)
    papers.push({ truth, set, document, found: findEquations(document) })
  }
  return papers
}).pipe(Effect.provide(PdfJs.layer()))

/** prose lines with inline math (a run in a math font) that no truth entry covers, per page */
const inlineMathLines = (truth: Truth, document: DocumentText) =>
  document.pages.flatMap((page) => {
    const body = bodySize(page.items)
    return columns(page).flatMap((column) =>
      lines(column.items, body).filter((line) => {
        const prose = line.items.reduce((sum, item) => sum + charClasses(item).prose, 0)
        const math = line.items.some((item) => isMathFont(item.fontName))
        const listed = truth.equations.some((equation) =>
          equation.page === page.pageNumber && line.baseline >= equation.y.bottom - 1 && line.baseline <= equation.y.top + 1
        )
        return math && prose >= 20 && !listed
      }).map((line) => ({ page: page.pageNumber, line }))
    )
  })

describe("equation finding on the fixture papers", () => {
  const thresholds = {
    tuned: { equations: 70, paper: 0.9, recall: 0.95, precision: 0.95, numbers: 0.95, latex: 0.9 },
    "held out 1": { equations: 65, paper: 0.9, recall: 0.97, precision: 0.97, numbers: 0.97, latex: 0.93 },
    // never used to improve the heuristics: sans-serif math (letters in CMSS) is read as prose there
    "held out 2": { equations: 56, paper: 0.6, recall: 0.83, precision: 0.9, numbers: 0.95, latex: 0.88 }
  } as const

  for (const set of ["tuned", "held out 1", "held out 2"] as const) {
    const t = thresholds[set]
    it.effect(`${set === "tuned" ? "the papers it was tuned on" : `the papers ${set}`}: recall ${t.recall}, precision ${t.precision} or more in all, ${t.paper} per paper`, () =>
      Effect.gen(function*() {
        const papers = (yield* read).filter((p) => p.set === set)
        let truths = 0
        let detections = 0
        let matched = 0
        let numbers = 0
        const similarities: Array<number> = []
        for (const { truth, found } of papers) {
          const result = score(truth, found)
          const recall = result.matches.length / result.truths
          const precision = result.matches.length / Math.max(result.detections, 1)
          assert.isAtLeast(recall, t.paper, `${truth.paper} recall; misses: ${result.misses.map((m) => m.id).join(", ")}`)
          assert.isAtLeast(precision, t.paper, `${truth.paper} precision; false: ${result.falsePositives.map((c) => c.raw).join(" | ")}`)
          truths += result.truths
          detections += result.detections
          matched += result.matches.length
          numbers += result.matches.filter((m) => m.candidate.number === m.truth.number).length
          similarities.push(...result.matches.map((m) => m.similarity))
        }
        assert.strictEqual(truths, t.equations)
        assert.isAtLeast(matched / truths, t.recall, "recall")
        assert.isAtLeast(matched / detections, t.precision, "precision")
        assert.isAtLeast(numbers / matched, t.numbers, "equation numbers")
        assert.isAtLeast(similarities.reduce((s, x) => s + x, 0) / similarities.length, t.latex, "LaTeX similarity")
      }))
  }

  it.effect("does not report inline math", () =>
    Effect.gen(function*() {
      for (const { truth, document, found } of yield* read) {
        const inline = inlineMathLines(truth, document)
        assert.isAbove(inline.length, 3, `${truth.paper} has prose lines with inline math`)
        for (const { page, line } of inline) {
          const hit = found.find((candidate) =>
            candidate.page === page && line.baseline > candidate.bbox.bottom && line.baseline < candidate.bbox.top &&
            line.left < candidate.bbox.right && candidate.bbox.left < line.right
          )
          assert.isUndefined(hit, `${truth.paper} p${page}: inline math reported: ${hit?.raw}`)
        }
      }
    }))

  it.effect("gives each equation its number, LaTeX, runs and context", () =>
    Effect.gen(function*() {
      const papers = yield* read
      const heat = papers.find(({ truth }) => truth.paper === "heat-kernel")!
      const first = heat.found[0]!
      assert.strictEqual(first.id, "p1-e1")
      assert.strictEqual(first.number, "(1)")
      assert.strictEqual(first.latex, "p_t(x, y) = \\sum_{k = 0}^\\infty e^{- \\lambda_kt}\\phi_k(x)\\phi_k(y),")
      assert.include(first.raw, "X")
      assert.isAbove(first.items.length, 20)
      assert.include(first.context.before, "theorem it has the expansion")
      assert.include(first.context.after, "which converges")
      const ergodic = papers.find(({ truth }) => truth.paper === "ergodic-averages")!
      assert.deepStrictEqual(
        ergodic.found.map((candidate) => candidate.number),
        ["(1.1)", "(1.2)", "(*)", "(2.1)", "(2.2)", "(3.1)", null, null, null, null, "(3.2)", "(3.2′)"]
      )
    }))
})
