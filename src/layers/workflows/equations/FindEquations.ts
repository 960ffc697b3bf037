/**
 * Finding the display equations of a document: the entry point of heuristic equation extraction.
 *
 * Per page: without the margin's line numbers (`LineNumbers`), the document's body text size (see `pageBody`), the
 * columns (with the document's gutter where a page has none of its own), and per column the display rows (`Displays`),
 * each with LaTeX built from its glyphs (`GlyphLatex`). Pure: no services, no I/O.
 *
 * @since 0.1.0
 */
import type { DocumentText, PageText, Rule, TextItem } from "../pdf/Pdf.ts"
import { columns, gutters } from "./Columns.ts"
import { type Display, displays } from "./Displays.ts"
import type { Candidate } from "./Equation.ts"
import { toLatex } from "./GlyphLatex.ts"
import { union } from "./Ink.ts"
import { withoutLineNumbers } from "./LineNumbers.ts"
import { bodySize } from "./Lines.ts"
import { glyphsApart } from "./MathGlyphs.ts"
import { barOnAxis, rulesNear } from "./RuleMarks.ts"

/**
 * The display equations of the document's pages, in reading order (page, then column, then top to bottom), with ids
 * `p<page>-e<n>`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const findEquations = (document: DocumentText): ReadonlyArray<Candidate> => {
  const pages = document.pages.map(withoutLineNumbers)
  const layout = gutters(pages)
  // a document that draws no rule anywhere draws its fraction bars some other way: its rules tell nothing
  const rulesKnown = pages.some((page) => page.rules.length > 0)
  const body = bodySize(pages.flatMap((page) => page.items))
  return pages.flatMap((page, i) => findOnPage(page, { gutter: layout[i], rulesKnown, body }))
}

/**
 * The display equations of one page; `layout` as `Columns.columns` takes it (by default the page's own gutter).
 *
 * @category constructors
 * @since 0.1.0
 */
export const findOnPage = (
  text: PageText,
  layout?: {
    readonly gutter: number | undefined
    readonly rulesKnown?: boolean | undefined
    /** the document's body size (by default the page's own) */
    readonly body?: number | undefined
  }
): ReadonlyArray<Candidate> => {
  const page = { ...text, items: text.items.flatMap(glyphsApart) }
  const rulesKnown = layout?.rulesKnown ?? page.rules.length > 0
  const body = pageBody(page.items, layout?.body)
  const order = new Map(page.items.map((item, i) => [item, i]))
  const found = columns(page, layout).flatMap((column) => displays(column, body, page.rules))
  return found.map((display, i): Candidate => {
    const drawn = [...display.items].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0))
    return {
      id: `p${page.pageNumber}-e${i + 1}`,
      page: page.pageNumber,
      bbox: display.bbox,
      box: { page: page.pageNumber, ...display.bbox },
      confidence: display.confidence,
      kind: "display",
      number: display.number?.text ?? null,
      latex: latexOf(display, rulesKnown ? rulesNear(page.rules, display.bbox) : undefined),
      raw: rawText(drawn),
      items: drawn,
      context: display.context
    }
  })
}

// internal

/**
 * the size displays are set at on a page: the document's body size, which a page of references or of a table in a
 * smaller size outnumbers, unless the page has next to nothing at that size (a part set small throughout)
 */
const pageBody = (items: ReadonlyArray<TextItem>, documentBody: number | undefined): number => {
  const own = bodySize(items)
  if (documentBody === undefined || own === documentBody) return own
  let atDocument = 0
  let all = 0
  for (const item of items) {
    all += item.text.length
    if (Math.abs(item.fontSize - documentBody) < 0.05 * documentBody) atDocument += item.text.length
  }
  return atDocument >= 0.1 * all ? documentBody : own
}

/** the display's LaTeX: its parts one after the other (a formula's lines), or as the rows of an `aligned` block */
const latexOf = (display: Display, rules: ReadonlyArray<Rule> | undefined): string => {
  // rows that a fraction's bar on the number's axis reaches across, most of the display's width, are the parts of that
  // fraction (a continued one), not rows
  const whole = display.parts.flat()
  const baseline = display.number?.baseline
  const size = Math.max(...whole.map((item) => item.fontSize))
  const width = display.bbox.right - display.bbox.left
  const wide = (rules ?? []).filter((rule) => rule.right - rule.left >= 0.6 * width)
  if (display.parts.length > 1 && baseline !== undefined && barOnAxis(whole, baseline, size, wide)) {
    return toLatex(whole, { baseline, rules })
  }
  const parts = display.parts.map((part) => toLatex(part, { baseline: numberBaseline(display, part), rules }))
  if (!display.rows) return parts.join(" ")
  // a part that is an `aligned` block of its own gives its rows to the display's block
  const rows = parts.map((latex) => latex.startsWith(alignedOpen) && latex.endsWith(alignedClose)
    ? latex.slice(alignedOpen.length, -alignedClose.length)
    : latex
  )
  return `${alignedOpen}${rows.join(" \\\\ ")}${alignedClose}`
}

const alignedOpen = "\\begin{aligned} "
const alignedClose = " \\end{aligned}"

/**
 * the baseline of the display's number, for the part it is on: a formula broken over lines (`multline`) has its number
 * on one line only, and the others are no `aligned` block around it
 */
const numberBaseline = (display: Display, part: ReadonlyArray<TextItem>): number | undefined => {
  const baseline = display.number?.baseline
  if (baseline === undefined || display.parts.length === 1) return baseline
  const ink = union(part)
  return baseline >= ink.bottom && baseline <= ink.top ? baseline : undefined
}

/** runs in drawing order, a space between runs that do not touch */
const rawText = (items: ReadonlyArray<TextItem>): string => {
  let text = ""
  let previous: TextItem | undefined
  for (const item of items) {
    const touching = previous !== undefined &&
      Math.abs(item.x - (previous.x + previous.width)) < 0.5 && Math.abs(item.y - previous.y) < 0.5
    if (previous !== undefined && !touching) text += " "
    text += item.text
    previous = item
  }
  return text.replace(/\s+/g, " ").trim()
}
