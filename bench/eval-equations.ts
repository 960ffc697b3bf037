/**
 * `npm run eval:equations [-- --verbose] [-- --markdown] [-- --corpus DIR ...]`: heuristic display-equation finding (`PdfJs` text +
 * `findEquations`) scored against the ground truth of
 * - the project's own papers (`test/fixtures/papers`), per set: the papers the heuristics were tuned on, and two
 *   held-out sets (`FixtureSet` in `equation-score.ts`);
 * - the corpus of real documents (`test/fixtures/corpus`): per paper, per document class, and the tuned and held-out
 *   thirds apart;
 * - any other folder of the same layout (an `index.json` of papers with PDF and truth) given with `--corpus`.
 *
 * Columns: display-equation recall and precision, equation-number accuracy and mean LaTeX similarity on the matched
 * pairs, and the mean `confidence` of the found displays that match the truth and of those that do not (the false
 * ones should sit lower). The matching rule and the LaTeX normalisation are in `equation-score.ts`. `--verbose` also
 * lists the misses and false positives (page, y range, text) and each match's LaTeX next to the truth's; `--markdown`
 * prints only each corpus's table by class, as the README shows it.
 *
 * The finder never sees the truth, and nothing in it knows the papers by name: the truth is read here, after finding.
 */
import * as Path from "node:path"
import * as Effect from "effect/Effect"
import { findEquations } from "../src/layers/workflows/equations/FindEquations.ts"
import { Pdf } from "../src/layers/workflows/pdf/Pdf.ts"
import * as PdfJs from "../src/layers/workflows/pdf/PdfJs.ts"
import { corpusDirectory, type Fixture, fixturesDirectory, type FixtureSet, loadFixtures, score, type Score } from "./equation-score.ts"

const argv = process.argv.slice(2)
const verbose = argv.includes("--verbose")
const markdown = argv.includes("--markdown")
const extraFolders = argv.flatMap((arg, i) => (arg === "--corpus" && argv[i + 1] !== undefined ? [argv[i + 1]!] : []))
const log = (text: string) => process.stdout.write(`${text}\n`)

interface Row {
  readonly paper: string
  readonly set: FixtureSet
  readonly documentClass: string
  readonly score: Score
}

const evaluate = (fixtures: ReadonlyArray<Fixture>) =>
  Effect.gen(function*() {
    const pdf = yield* Pdf
    const rows: Array<Row> = []
    for (const { truth, bytes, set, documentClass } of fixtures) {
      const document = yield* pdf.text(bytes)
      rows.push({ paper: truth.paper, set, documentClass, score: score(truth, findEquations(document)) })
    }
    return rows
  })

const ratio = (a: number, b: number) => (b === 0 ? "-" : (a / b).toFixed(3))
const mean = (xs: ReadonlyArray<number>) => (xs.length === 0 ? "-" : (xs.reduce((s, x) => s + x, 0) / xs.length).toFixed(3))

const columns = ["truth", "found", "matched", "recall", "precision", "number", "similarity", "conf ok", "conf false"]

const row = (cells: ReadonlyArray<string>) =>
  cells.map((cell, i) => (i === 0 ? cell.padEnd(40) : cell.padStart(i >= 7 ? 11 : 10))).join("")

/** what some papers' scores add up to */
const totals = (scores: ReadonlyArray<Score>) => {
  const matches = scores.flatMap((x) => x.matches)
  return {
    truths: scores.reduce((s, x) => s + x.truths, 0),
    detections: scores.reduce((s, x) => s + x.detections, 0),
    matches,
    numbers: matches.filter((m) => m.candidate.number === m.truth.number).length
  }
}

/** one line of totals over some papers' scores */
const line = (label: string, scores: ReadonlyArray<Score>) => {
  const { detections, matches, numbers, truths } = totals(scores)
  log(row([
    label,
    String(truths),
    String(detections),
    String(matches.length),
    ratio(matches.length, truths),
    ratio(matches.length, detections),
    ratio(numbers, matches.length),
    mean(matches.map((m) => m.similarity)),
    mean(matches.map((m) => m.candidate.confidence)),
    mean(scores.flatMap((x) => x.falsePositives).map((c) => c.confidence))
  ]))
}

const scoresOf = (rows: ReadonlyArray<Row>) => rows.map((r) => r.score)

/** the project's own papers, as before: per paper, then per set */
const reportOwn = (rows: ReadonlyArray<Row>) => {
  log(row(["the project's own papers", ...columns]))
  const sets: ReadonlyArray<FixtureSet> = ["tuned", "held out 1", "held out 2"]
  for (const set of sets) {
    for (const r of rows.filter((r) => r.set === set)) line(set === "tuned" ? r.paper : `${r.paper} (${set})`, [r.score])
  }
  for (const set of sets) line(set === "tuned" ? "tuned on" : set, scoresOf(rows.filter((r) => r.set === set)))
  line("total", scoresOf(rows))
}

/** a corpus of real documents: per paper, per class (tuned and held out apart), per set */
const reportCorpus = (title: string, rows: ReadonlyArray<Row>) => {
  log("")
  log(row([title, ...columns]))
  const ordered = [...rows].sort((a, b) => a.set.localeCompare(b.set) || a.documentClass.localeCompare(b.documentClass))
  for (const r of ordered) line(`${r.paper} (${r.documentClass}${r.set === "held out" ? ", held out" : ""})`, [r.score])
  log("")
  log(row(["by class", ...columns]))
  for (const documentClass of [...new Set(rows.map((r) => r.documentClass))].sort()) {
    const ofClass = rows.filter((r) => r.documentClass === documentClass)
    line(`${documentClass} (${ofClass.length})`, scoresOf(ofClass))
  }
  log("")
  for (const set of ["tuned", "held out"] as const) {
    const ofSet = rows.filter((r) => r.set === set)
    if (ofSet.length > 0) line(`${set === "tuned" ? "tuned on" : "held out"} (${ofSet.length} papers)`, scoresOf(ofSet))
  }
  line(`total (${rows.length} papers)`, scoresOf(rows))
}

/** a corpus by class, tuned and held-out parts and total, as a Markdown table (for the README) */
const reportMarkdown = (rows: ReadonlyArray<Row>) => {
  const cells = (label: string, scores: ReadonlyArray<Score>) => {
    const { detections, matches, numbers, truths } = totals(scores)
    return `| ${label} | ${scores.length} | ${truths} | ${ratio(matches.length, truths)} | ${ratio(matches.length, detections)} | ${
      ratio(numbers, matches.length)
    } | ${mean(matches.map((m) => m.similarity))} |`
  }
  log("| class | papers | equations | recall | precision | numbers | LaTeX similarity |")
  log("|---|---|---|---|---|---|---|")
  for (const documentClass of [...new Set(rows.map((r) => r.documentClass))].sort((a, b) => a.localeCompare(b))) {
    const ofClass = rows.filter((r) => r.documentClass === documentClass)
    const held = ofClass.filter((r) => r.set === "held out").length
    log(cells(`\`${documentClass}\`${held > 0 ? ` (${held} held out)` : ""}`, scoresOf(ofClass)))
  }
  log(cells("**tuned on**", scoresOf(rows.filter((r) => r.set !== "held out"))))
  log(cells("**held out**", scoresOf(rows.filter((r) => r.set === "held out"))))
  log(cells("**all**", scoresOf(rows)))
}

const reportDetails = (rows: ReadonlyArray<Row>) => {
  for (const { paper, score } of rows) {
    log(`\n${paper}`)
    for (const miss of score.misses) {
      log(`  miss  p${miss.page} y ${miss.y.bottom.toFixed(1)}..${miss.y.top.toFixed(1)} ${miss.number ?? ""} ${miss.math}`)
    }
    for (const fp of score.falsePositives) {
      log(`  false p${fp.page} y ${fp.bbox.bottom.toFixed(1)}..${fp.bbox.top.toFixed(1)} ${fp.number ?? ""} (${fp.confidence}) ${fp.raw}`)
    }
    for (const match of score.matches) {
      const number = match.candidate.number === match.truth.number ? "" : ` number ${match.candidate.number} (truth ${match.truth.number})`
      log(`  match ${match.truth.id} ${match.similarity.toFixed(2)}${number} (${match.candidate.confidence})`)
      log(`        found ${match.candidate.latex}`)
      log(`        truth ${match.truth.math}`)
    }
  }
}

const program = Effect.gen(function*() {
  const own = yield* evaluate(loadFixtures(fixturesDirectory))
  const corpora: Array<{ readonly title: string; readonly rows: ReadonlyArray<Row> }> = []
  for (const folder of [corpusDirectory, ...extraFolders]) {
    const fixtures = loadFixtures(Path.resolve(folder))
    if (fixtures.length > 0) {
      corpora.push({ title: folder === corpusDirectory ? "real documents (test/fixtures/corpus)" : folder, rows: yield* evaluate(fixtures) })
    }
  }
  if (markdown) {
    for (const corpus of corpora) reportMarkdown(corpus.rows)
    return
  }
  reportOwn(own)
  for (const corpus of corpora) reportCorpus(corpus.title, corpus.rows)
  if (verbose) reportDetails([...own, ...corpora.flatMap((c) => c.rows)])
})

Effect.runPromise(program.pipe(Effect.provide(PdfJs.layer()))).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
