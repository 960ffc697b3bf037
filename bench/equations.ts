/**
 * `npm run bench:equations` (also the first part of `npm run bench`): pages per second of display-equation finding on
 * the project's own fixture papers (`test/fixtures/papers`) and the real documents of `test/fixtures/corpus`, in this
 * process, about five seconds.
 *
 * Three rows: `PdfJs` text extraction alone (pdf.js parses, loads fonts, reads the text of every page), the heuristic
 * finder alone on the extracted text (`findEquations`: columns, lines, displays, LaTeX), and both, as the
 * `equation_extraction` workflow runs them. Each runs once to warm up, then repeatedly over all papers for about
 * 1.5 s; the rate is pages over wall time.
 */
import * as Os from "node:os"
import * as Effect from "effect/Effect"
import { findEquations } from "../src/layers/workflows/equations/FindEquations.ts"
import type { DocumentText } from "../src/layers/workflows/pdf/Pdf.ts"
import * as PdfJs from "../src/layers/workflows/pdf/PdfJs.ts"
import { corpusDirectory, loadFixtures } from "./equation-score.ts"

const MEASURE_MS = 1500

const log = (text: string) => process.stdout.write(`${text}\n`)

const pdf = PdfJs.make()
const papers = [...loadFixtures(), ...loadFixtures(corpusDirectory)].map(({ bytes }) => bytes)

const extract = (bytes: Uint8Array): Promise<DocumentText> => Effect.runPromise(pdf.text(bytes))

/** runs `pass` (which returns the pages it did) once, then for MEASURE_MS: pages per second and ms per page */
const rate = async (pass: () => Promise<number>) => {
  await pass()
  let pages = 0
  const started = performance.now()
  while (performance.now() - started < MEASURE_MS) pages += await pass()
  const seconds = (performance.now() - started) / 1000
  return { perSecond: pages / seconds, msPerPage: (1000 * seconds) / pages }
}

const main = async () => {
  log(`Equation finding benchmark: Node ${process.version}, ${Os.cpus()[0]?.model ?? "?"}`)
  const documents = await Promise.all(papers.map(extract))
  const pageCount = documents.reduce((sum, document) => sum + document.pages.length, 0)
  const equations = documents.reduce((sum, document) => sum + findEquations(document).length, 0)
  log(`  ${papers.length} papers, ${pageCount} pages, ${equations} display equations found`)
  const textOnly = async () => {
    for (const bytes of papers) await extract(bytes)
    return pageCount
  }
  const findingOnly = async () => {
    for (const document of documents) findEquations(document)
    return pageCount
  }
  const both = async () => {
    for (const bytes of papers) findEquations(await extract(bytes))
    return pageCount
  }
  const rows: Array<[string, { perSecond: number; msPerPage: number }]> = [
    ["pdf.js text (PdfJs)", await rate(textOnly)],
    ["finding (findEquations)", await rate(findingOnly)],
    ["text + finding", await rate(both)]
  ]
  log("")
  log(`${"".padEnd(28)}${"pages/s".padStart(10)}${"ms/page".padStart(10)}`)
  for (const [label, { perSecond, msPerPage }] of rows) {
    log(`${label.padEnd(28)}${perSecond.toFixed(1).padStart(10)}${msPerPage.toFixed(2).padStart(10)}`)
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
