/**
 * `npm run eval:equations [-- --verbose]`: heuristic display-equation finding (`PdfJs` text + `findEquations`) on the
 * fixture papers of `test/fixtures/papers/index.json`, scored against their ground truth.
 *
 * Per paper and in total: display-equation recall and precision, equation-number accuracy and mean LaTeX similarity
 * on the matched pairs, with subtotals per set (`FixtureSet` in `equation-score.ts`: the papers the heuristics were
 * tuned on, and two held-out sets; only the second was never used to improve them). The matching rule and the LaTeX normalisation are in `equation-score.ts`. `--verbose` also
 * lists the misses and false positives (page, y range, text) and each match's LaTeX next to the truth's.
 *
 * The finder never sees the truth, and nothing in it knows the papers by name: the truth is read here, after finding.
 */
import * as Effect from "effect/Effect"
import { findEquations } from "../src/layers/workflows/equations/FindEquations.ts"
import { Pdf } from "../src/layers/workflows/pdf/Pdf.ts"
import * as PdfJs from "../src/layers/workflows/pdf/PdfJs.ts"
import { type FixtureSet, loadFixtures, score, type Score } from "./equation-score.ts"

const verbose = process.argv.includes("--verbose")
const log = (text: string) => process.stdout.write(`${text}\n`)

const evaluate = Effect.gen(function*() {
  const pdf = yield* Pdf
  const rows: Array<{ readonly paper: string; readonly set: FixtureSet; readonly score: Score }> = []
  for (const { truth, bytes, set } of loadFixtures()) {
    const document = yield* pdf.text(bytes)
    rows.push({ paper: truth.paper, set, score: score(truth, findEquations(document)) })
  }
  return rows
})

const ratio = (a: number, b: number) => (b === 0 ? "-" : (a / b).toFixed(3))
const mean = (xs: ReadonlyArray<number>) => (xs.length === 0 ? "-" : (xs.reduce((s, x) => s + x, 0) / xs.length).toFixed(3))

const row = (cells: ReadonlyArray<string>) =>
  cells.map((cell, i) => (i === 0 ? cell.padEnd(30) : cell.padStart(10))).join("")

const report = (rows: ReadonlyArray<{ readonly paper: string; readonly set: FixtureSet; readonly score: Score }>) => {
  log(row(["paper", "truth", "found", "matched", "recall", "precision", "number", "latex"]))
  const line = (paper: string, scores: ReadonlyArray<Score>) => {
    const truths = scores.reduce((s, x) => s + x.truths, 0)
    const detections = scores.reduce((s, x) => s + x.detections, 0)
    const matches = scores.flatMap((x) => x.matches)
    const numbers = matches.filter((m) => m.candidate.number === m.truth.number).length
    log(row([
      paper,
      String(truths),
      String(detections),
      String(matches.length),
      ratio(matches.length, truths),
      ratio(matches.length, detections),
      ratio(numbers, matches.length),
      mean(matches.map((m) => m.similarity))
    ]))
  }
  const sets: ReadonlyArray<FixtureSet> = ["tuned", "held out 1", "held out 2"]
  for (const set of sets) {
    for (const { paper, score } of rows.filter((r) => r.set === set)) line(set === "tuned" ? paper : `${paper} (${set})`, [score])
  }
  for (const set of sets) line(set === "tuned" ? "tuned on" : set, rows.filter((r) => r.set === set).map((r) => r.score))
  line("total", rows.map((r) => r.score))
  if (!verbose) return
  for (const { paper, score } of rows) {
    log(`\n${paper}`)
    for (const miss of score.misses) {
      log(`  miss  p${miss.page} y ${miss.y.bottom.toFixed(1)}..${miss.y.top.toFixed(1)} ${miss.number ?? ""} ${miss.math}`)
    }
    for (const fp of score.falsePositives) {
      log(`  false p${fp.page} y ${fp.bbox.bottom.toFixed(1)}..${fp.bbox.top.toFixed(1)} ${fp.number ?? ""} ${fp.raw}`)
    }
    for (const match of score.matches) {
      const number = match.candidate.number === match.truth.number ? "" : ` number ${match.candidate.number} (truth ${match.truth.number})`
      log(`  match ${match.truth.id} ${match.similarity.toFixed(2)}${number}`)
      log(`        found ${match.candidate.latex}`)
      log(`        truth ${match.truth.math}`)
    }
  }
}

Effect.runPromise(evaluate.pipe(Effect.provide(PdfJs.layer()))).then(report, (error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
