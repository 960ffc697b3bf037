/**
 * Display equations of one column: which lines are displayed math, how they group into displays, and how a display
 * splits into the rows that count as equations of their own.
 *
 * A line is display math when it is mostly math (see `MathGlyphs`), set at the body size (or at the size of a part set
 * small throughout, such as an algorithm in `\small`, when it stands apart from the lines around it), not set like
 * prose (flush with the column's left edge, or running from near the left edge to the right one, without a number: a
 * `flalign` row starts at the margin, but carries one), and either stands apart from the margins or carries an equation
 * number; or when it is all math and too wide for the column, its number pushed to a line of its own, or the first line
 * of a `multline` that fills its line or ends in a relation; or when it is math without a word of prose (or with one
 * short word it far outweighs), or holds a delimiter that reaches over other lines, wherever it starts. Consecutive
 * such lines close together (fraction numerators and denominators, matrix rows, the limits of a `\sum`, the rows of an
 * `align`) form a display.
 *
 * A display splits into rows, each one equation, except where something holds rows together:
 * - a fraction: lines sitting in the gaps of the line between them (numerator above, denominator below), or, where the
 *   page's rules are known, the lines close over and under a fraction's bar, with the line on whose axis it lies;
 * - a tall delimiter (a matrix's brackets, the brace of `cases`) reaching over several baselines;
 * - an equation number on a baseline of its own (centred on an `aligned` block);
 * - a `multline`: a line that continues the one above it, starting with an operator, set flush right;
 * - a horizontal brace (`\overbrace`, `\underbrace`), between its formula and its label;
 * - a row that ends with an operator, continued by the row below (`joinContinued`);
 * - one number centred on unnumbered rows (a `split`, `aligned`), or off its row towards the next, or pushed up (on
 *   the left) or down (on the right) by rows that go on with an operator (`joinSplit`): those rows are one display, its
 *   parts rows of an `aligned` block (`Display.rows`).
 * Rows that carry different numbers are always apart. Limits and other small runs go with the nearest row.
 *
 * What is not an equation: prose (centred or not, italic or not; an item of a list, bulleted or labelled with a tag; a
 * caption; the last line of a paragraph; a sentence going on after a display, off centre, from `where` or `with`),
 * tables of numbers (no relation, no operator, mostly digits) and tables whose cells hold math (cells in aligned
 * columns), inline math (inside prose lines), pseudocode (see `Pseudocode`), a short remark in parentheses.
 *
 * @since 0.1.0
 */
import type { Rule, TextItem } from "../pdf/Pdf.ts"
import type { Column } from "./Columns.ts"
import { confidence } from "./Confidence.ts"
import type { BoundingBox } from "./Equation.ts"
import { type EquationNumber, findNumber } from "./EquationNumbers.ts"
import { fractionStacks, isCentred } from "./FractionStacks.ts"
import { delimiterStacks, extent, union } from "./Ink.ts"
import { lines as groupLines, type Line, lineText } from "./Lines.ts"
import { braceSide, charClasses, isAccent, isBigOperator, isHanging, isMathFont, isRadical } from "./MathGlyphs.ts"
import { pseudocodeLines } from "./Pseudocode.ts"
import { overlapsRule, rulesNear } from "./RuleMarks.ts"

/**
 * One display equation (one row of a multi-row display), before its LaTeX is built.
 *
 * @category models
 * @since 0.1.0
 */
export interface Display {
  /** the formula's runs, without the number */
  readonly items: ReadonlyArray<TextItem>
  /** the runs again, by visual line for a formula broken over lines (`multline`) or rows of one display, else one part */
  readonly parts: ReadonlyArray<ReadonlyArray<TextItem>>
  /** the parts are rows of one display (a `split`, an `array`), set one under the other, not one formula's lines */
  readonly rows: boolean
  readonly number: EquationNumber | undefined
  readonly bbox: BoundingBox
  /** how sure finding is that this is a display equation, 0..1 (see `Confidence`) */
  readonly confidence: number
  /** the prose lines just before and after the display this row belongs to */
  readonly context: { readonly before: string; readonly after: string }
}

/**
 * The display equations of a column, top to bottom.
 *
 * @category constructors
 * @since 0.1.0
 */
export const displays = (column: Column, body: number, rules: ReadonlyArray<Rule> = []): ReadonlyArray<Display> => {
  const lines = groupLines(column.items, body)
  const code = pseudocodeLines(lines, body)
  const infos = paragraphEnds(lines.map((line) => describe(line, column, code.has(line))), column, body)
  const found: Array<Display> = []
  for (const block of blocks(infos, body)) {
    const context = contextOf(infos, block)
    const split = splitRows(block.lines, column, body, rules)
    const rows = split.map((row) => ({ row, assessment: assess(row, split.length === 1) }))
    // two rows of numbers and more, or cells in aligned columns: a table, whose header row may look like math
    const tableRows = rows.filter(({ assessment }) => assessment.kind === "table").length
    const table = tableRows >= 2 || isTable(rows.map(({ row }) => row.flat()), body)
    rows.forEach(({ row, assessment }, k) => {
      if (assessment.kind !== "equation" || (table && !assessment.numbered)) return
      // the next row goes on from this one with a relation or an operator (as `continuation` reads it): a `split`'s
      // first row, or an `align*`'s
      const leads = startsWithOperator(rows[k + 1]?.row[0]?.flatMap((info) => info.body) ?? [])
      found.push(toDisplay(row, context, { ...assessment, besideTable: tableRows > 0, leads, column, body }))
    })
  }
  return found
}

// internal

/** a line with what display finding needs to know about it */
interface LineInfo {
  readonly line: Line
  readonly number: EquationNumber | undefined
  /** the runs without the number */
  readonly body: ReadonlyArray<TextItem>
  readonly left: number
  readonly right: number
  readonly math: number
  readonly prose: number
  /**
   * set like prose: starting at the left edge, or running from near the left edge to the right one, without an
   * equation number
   */
  readonly textLike: boolean
  readonly kind: "prose" | "math" | "neutral"
  /** a step of pseudocode (see `Pseudocode`), never display math */
  readonly code: boolean
}

interface Block {
  readonly lines: ReadonlyArray<LineInfo>
  /** indices into the column's lines */
  readonly from: number
  readonly to: number
}

const describe = (line: Line, column: Column, code: boolean): LineInfo => {
  const number = line.orphan ? undefined : findNumber(line.items, column, line.size)
  const body = number === undefined ? line.items : line.items.filter((item) => !number.items.includes(item))
  let math = 0
  let prose = 0
  for (const item of body) {
    const classes = charClasses(item)
    // words in script size beside body-size runs are subscripts and superscripts (`D_{\rm orb}`), not prose
    const script = item.fontSize < 0.8 * line.size
    math += classes.math + (script ? classes.prose : 0)
    prose += script ? 0 : classes.prose
  }
  const left = body.length > 0 ? Math.min(...body.map((item) => item.x)) : line.left
  const right = body.length > 0 ? Math.max(...body.map((item) => item.x + item.width)) : line.right
  const size = line.size
  // a numbered line is no prose, even from the margin: the first column of a `flalign` row starts there
  const flushLeft = left - column.left < 0.5 * size && number === undefined
  // (a line reaching well past the right margin is no prose: a formula too wide for the text)
  const fullWidth = left - column.left < 2 * size && Math.abs(column.right - right) < 0.5 * size && number === undefined
  // an item of a list (`• output y ∈ R^n, where ...`) is prose however much math it holds
  const first = body.reduce<TextItem | undefined>((a, b) => (a === undefined || b.x < a.x ? b : a), undefined)
  const listItem = first !== undefined && (
    (/^[•◦▪∙]/.test(first.text.trim()) && prose > 0) || labelledItem(first, body, column, left, right, size)
  )
  const proseLike = prose > Math.max(3, math) && !(number !== undefined && numberedFormula(body, size))
  // a caption (`Figure 1. Q(A_1) = xyz(x - z)`) is prose whatever it holds
  const caption = /^(?:Figure|Fig\.|FIGURE|FIG\.|Table|TABLE|Algorithm|Listing)\s*[\dIVX]+[.:]/.test(lineText(line).trim())
  // a sentence that goes on after a display (`where q_1, q_2 \in Q and J^2 = \gamma.`), set off centre; a display's
  // own words (`\text{for } j = 0, \dots, q`) are centred with it
  const centred = Math.abs((left + right) / 2 - (column.left + column.right) / 2) <= 2 * size
  const sentence = first !== undefined && !centred && number === undefined && !isMathFont(first.fontName) &&
    /^(where|with|and|for|if|then|since|so|thus|hence|here|i\.e\.|e\.g\.)(?![\p{L}])/iu.test(first.text.trim())
  const kind = proseLike || listItem || caption || sentence ? "prose" : math >= 1 ? "math" : "neutral"
  return { line, number, body, left, right, math, prose, textLike: flushLeft || fullWidth, kind, code }
}

/**
 * whether a numbered line is a formula, perhaps with a note in words set apart from it (`x ≃ x    (Trivial law)`): a
 * part of it (more than two em from the rest) has a relation, and its words are single letters (variables set upright,
 * `\mathrm{x}`) but for three letters at most, or one word
 */
const numberedFormula = (body: ReadonlyArray<TextItem>, size: number): boolean => {
  const parts: Array<Array<TextItem>> = []
  let end = -Infinity
  for (const item of [...body].sort((a, b) => a.x - b.x)) {
    if (parts.length === 0 || item.x - end > 2 * size) parts.push([item])
    else parts.at(-1)!.push(item)
    end = Math.max(end, item.x + item.width)
  }
  const words = (part: ReadonlyArray<TextItem>) =>
    part.flatMap((item) => item.text.split(/[^\p{L}]+/u)).filter((word) => word.length > 1)
  // one word of any length is a formula's own (`\chi(\lambda) = \text{const}`)
  return parts.some((part) =>
    (words(part).join("").length <= 3 || words(part).length === 1) && part.some(hasRelationChar)
  )
}

/**
 * Runs of lines that may be display math, close together, holding at least one line that is display math for sure
 * (mostly math, not set like prose, apart from the left margin or numbered, at the body size, or at the size of a part
 * set small throughout).
 */
const blocks = (infos: ReadonlyArray<LineInfo>, body: number): ReadonlyArray<Block> => {
  const found: Array<Block> = []
  let start = -1
  let bottom = Infinity
  const close = (end: number) => {
    if (start < 0) return
    const lines = infos.slice(start, end)
    const sure = lines.some((info, k) => isDisplayLine(info, body) || overfull(start + k))
    // at a small part's own size, a display stands apart from the lines around it (the rows of an algorithm's step
    // that a tall delimiter spreads over several lines do not)
    const apart = (k: number, from: number) =>
      k < 0 || k >= infos.length ||
      Math.abs(infos[k]!.line.baseline - infos[from]!.line.baseline) >= 1.5 * infos[from]!.line.size
    const small = lines.some((info, k) => isDisplayLine(info, localBody(start + k))) &&
      apart(start - 1, start) && apart(end, end - 1)
    if (sure || small) found.push({ lines, from: start, to: end - 1 })
    start = -1
  }
  // a part set small throughout (an algorithm in `\small`) has its displays at its own size: the size of the prose
  // just above and below, when both agree and are smaller than the page's
  const localBody = (i: number): number => {
    const prose = (step: number) => {
      for (let k = i + step; k >= 0 && k < infos.length; k += step) {
        if (infos[k]!.kind === "prose" && !infos[k]!.line.orphan) return infos[k]!.line.size
      }
      return undefined
    }
    const above = prose(-1)
    const below = prose(1)
    if (above === undefined || below === undefined || Math.abs(above - below) > 0.05 * above) return body
    return above >= 0.75 * body && above < 0.95 * body ? above : body
  }
  // a row of `cases` may be mostly text: it belongs to the display when a brace to its left reaches over it
  const spans = tallDelimiters(infos.flatMap((info) => info.body), body)
  const delimited = (info: LineInfo) => {
    // the delimiter's own lowest piece may share the line (`cases`' last row): where the line's other runs start
    const solid = info.body.filter((item) => !isHanging(item))
    const left = solid.length > 0 ? Math.min(...solid.map((item) => item.x)) : info.left
    return spans.some((span) =>
      info.line.baseline > span.bottom + 0.2 * body && info.line.baseline < span.top - 0.2 * body &&
      left > span.x && left - span.x < 3 * body
    )
  }
  // a line that holds a delimiter reaching over other lines (a matrix's bracket) is a formula, even from the margin
  const holdsTall = (info: LineInfo) => spans.some((span) => span.items.some((item) => info.body.includes(item)))
  // a formula too wide for its line: set from the margin (like prose), its number pushed to a line of its own below
  const overfull = (i: number) => {
    const info = infos[i]!
    if (info.kind !== "math" || info.prose > 0 || info.math < 3) return false
    for (const next of infos.slice(i + 1)) {
      if (next.kind === "prose" || info.line.baseline - next.line.baseline > 2.5 * body) return false
      if (next.number !== undefined && next.body.length === 0) return true
    }
    return false
  }
  // the first line of a `multline` may fill its line (in a narrow column), or end in a relation (it matters for one at
  // the margin, which would be prose): the line after it continues it
  const multlineHead = (i: number) => {
    const info = infos[i]!
    if (info.kind !== "math" || info.prose > 0 || info.math < 3) return false
    let next: LineInfo | undefined
    for (let k = i + 1; k < infos.length && next === undefined; k++) if (!infos[k]!.line.orphan) next = infos[k]
    if (next === undefined || info.line.baseline - next.line.baseline > 4 * body || next.kind !== "math" || next.textLike) {
      return false
    }
    // the next line starts further in with an operator, or this one ends in a relation (`p(\cos i) =`)
    return (next.left > info.left + 4 * body && startsWithOperator(next.body)) || endsWithRelation(info.body)
  }
  // a line whose gaps hold fractions' numerators above and denominators below, set at its size, is a formula's spine,
  // whatever its words (`\texttt{\over}: \genfrac{}{}{}{}{n+1}{2}`)
  const fractionSpine = (i: number) => {
    const [above, middle, below] = [infos[i - 1], infos[i]!, infos[i + 1]]
    return above !== undefined && below !== undefined && !middle.textLike &&
      above.kind !== "prose" && below.kind !== "prose" && !above.line.orphan && !below.line.orphan &&
      stacks(above, middle, "above") && stacks(below, middle, "below") && shareHole(above, below, middle)
  }
  for (let i = 0; i < infos.length; i++) {
    const info = infos[i]!
    const member = !info.code &&
      (info.line.orphan || (info.kind !== "prose" && (!info.textLike || holdsTall(info) || pureMath(info))) ||
        delimited(info) || overfull(i) || multlineHead(i) || fractionSpine(i))
    if (!member) {
      close(i)
      continue
    }
    // the gap below everything so far: a line with deep limits may come before the denominators
    if (start >= 0 && bottom - info.line.top > 1.2 * body) close(i)
    if (start < 0) {
      start = i
      bottom = Infinity
    }
    bottom = Math.min(bottom, info.line.bottom)
  }
  close(infos.length)
  return found
}

/**
 * a line that is display math for sure: mostly math, not set like prose, and at the body size, as displays are (a
 * title or a `\small` subtitle with math under it is set larger or smaller)
 */
const isDisplayLine = (info: LineInfo, body: number): boolean =>
  !info.line.orphan && info.kind === "math" && info.math >= 2 && (!info.textLike || pureMath(info)) &&
  info.line.size >= 0.95 * body && info.line.size <= 1.08 * body

/**
 * a line of math with no word of prose, or one short word (`\text{ as }`) that the math outweighs twelve to one: a
 * formula even when it fills its line or starts at the margin (a long row of an `align*`); prose that holds formulas
 * has words between them
 */
const pureMath = (info: LineInfo): boolean =>
  info.kind === "math" && info.math >= 12 && (info.prose <= 1 || (info.prose <= 3 && info.math >= 12 * info.prose))

/** a line of nothing but dots: set over letters, an accent (`\dddot`'s periods), not a row of numbers */
const onlyDots = (info: LineInfo): boolean =>
  info.body.length > 0 && info.body.every((item) => /^[.·˙¨\s]+$/.test(item.text))

/** the nearest prose-like lines above and below a block */
const contextOf = (infos: ReadonlyArray<LineInfo>, block: Block): Display["context"] => {
  let before = ""
  for (let i = block.from - 1; i >= 0 && before === ""; i--) {
    if (!infos[i]!.line.orphan) before = lineText(infos[i]!.line)
  }
  let after = ""
  for (let i = block.to + 1; i < infos.length && after === ""; i++) {
    if (!infos[i]!.line.orphan) after = lineText(infos[i]!.line)
  }
  return { before, after }
}

/** a block's lines grouped into rows (see the module doc), top to bottom */
const splitRows = (
  lines: ReadonlyArray<LineInfo>,
  column: Column,
  body: number,
  rules: ReadonlyArray<Rule>
): ReadonlyArray<ReadonlyArray<ReadonlyArray<LineInfo>>> => {
  const parent = lines.map((_, i) => i)
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)))
  const join = (a: number, b: number) => {
    parent[find(a)] = find(b)
  }
  const main = lines.map((info, i) => ({ info, i })).filter(({ info }) => !info.line.orphan && info.body.length > 0)

  // fractions: a line in the gaps of the line below it, and a line in the same gaps of the line above it
  for (const { info: middle, i } of main) {
    const above = main.filter(({ info }) => stacks(info, middle, "above"))
    const below = main.filter(({ info }) => stacks(info, middle, "below"))
    for (const { info: numerator, i: n } of above) {
      for (const { info: denominator, i: d } of below) {
        if (shareHole(numerator, denominator, middle)) {
          join(n, i)
          join(d, i)
        }
      }
    }
  }

  // a fraction's bar (a rule of the page) holds the lines of its numerator and denominator, close over and under it,
  // and the line whose axis it is on: a numerator made tall by fractions of its own stands more than a line above
  const spine = main.map(({ info }) => info)
  const near = spine.length === 0 ? [] : rulesNear(rules, {
    left: Math.min(...spine.map((info) => info.left)),
    right: Math.max(...spine.map((info) => info.right)),
    ...union(spine.flatMap((info) => info.body))
  })
  for (const bar of fractionBars(spine, near, body)) {
    const at = (info: LineInfo) => main.find((other) => other.info === info)!.i
    join(at(bar.over), at(bar.under))
    if (bar.on !== undefined) join(at(bar.on), at(bar.over))
  }

  // tall delimiters reaching over several baselines
  for (const span of tallDelimiters(lines.flatMap((info) => info.body), body)) {
    const covered = main.filter(({ info }) =>
      info.line.baseline > span.bottom + 0.2 * body && info.line.baseline < span.top - 0.2 * body
    )
    for (let k = 1; k < covered.length; k++) join(covered[k - 1]!.i, covered[k]!.i)
  }

  // a number on a baseline of its own holds the lines next to it together
  lines.forEach((info, i) => {
    if (info.number === undefined || info.body.length > 0) return
    const above = main.filter(({ info: other }) => other.line.baseline > info.line.baseline).at(-1)
    const below = main.find(({ info: other }) => other.line.baseline < info.line.baseline)
    if (above !== undefined) join(i, above.i)
    if (below !== undefined) join(i, below.i)
  })

  // a horizontal brace holds its formula (on its opening side) and its label (beyond it) together
  const held = new Set<number>()
  lines.forEach((info, i) => {
    const side = braceSide(info.body)
    if (side === undefined) return
    const { formula, label } = braced(lines, i, side, body)
    for (const k of [formula, label]) {
      if (k === undefined) continue
      join(k, i)
      held.add(i).add(k)
    }
  })

  // small runs (limits), accents' dots and number-less leftovers go with the nearest line that has a formula
  lines.forEach((info, i) => {
    if (!info.line.orphan && info.body.length > 0 && !onlyDots(info)) return
    if (info.number !== undefined || held.has(i)) return
    const home = nearestLine(info, main.filter((other) => other.i !== i))
    if (home !== undefined) join(i, home)
  })

  const groups = new Map<number, Array<LineInfo>>()
  lines.forEach((info, i) => {
    const root = find(i)
    const group = groups.get(root)
    if (group === undefined) groups.set(root, [info])
    else group.push(info)
  })
  const rows = [...groups.values()].flatMap(splitByNumbers)
  rows.sort((a, b) => top(b) - top(a))
  return joinSplit(joinContinued(joinMultline(rows, column, body), body), body)
}

type Row = ReadonlyArray<ReadonlyArray<LineInfo>>

/**
 * the displays whose parts are rows of one display (joined by `joinContinued` or `joinSplit`), not the lines of one
 * formula broken over lines (`joinMultline`): their LaTeX is an `aligned` block
 */
const rowBlocks = new WeakSet<ReadonlyArray<ReadonlyArray<LineInfo>>>()

/**
 * Joins the rows of a `split` (or `aligned`) that shares one number, centred on its rows: a number centred on the
 * unnumbered rows around it holds them all; a number off its row's main baseline, towards the row below it (or above
 * it), holds that row too; a number on the middle one of rows that go on with a binary operator (`- b`, `+ c`) holds
 * them all.
 */
const joinSplit = (rows: ReadonlyArray<Row>, body: number): ReadonlyArray<Row> => {
  const joined: Array<Array<ReadonlyArray<LineInfo>>> = rows.map((row) => {
    const copy = [...row]
    if (rowBlocks.has(row)) rowBlocks.add(copy)
    return copy
  })
  const numberOf = (row: Row) => row.flat().find((info) => info.number !== undefined)?.number
  for (let i = 0; i < joined.length; i++) {
    const number = numberOf(joined[i]!)
    if (number === undefined) continue
    const main = mainLine(joined[i]!)
    const below = joined[i + 1]
    const above = joined[i - 1]
    if (main === undefined) continue
    // the unnumbered rows next to it, above and below, when the number is centred on them all: an `aligned` block
    // (rows of a formula: with a relation or going on with an operator; a fraction's stray numerator is none)
    const formulaRow = (row: Row) => numberOf(row) === undefined && (hasRelation(row) || startsWithBinary(row))
    // a row that goes on from the one above it: it starts with a relation or an operator
    const opens = (row: Row) => startsWithOperator(row[0]!.flatMap((info) => info.body))
    const continues = (row: Row) => numberOf(row) === undefined && opens(row)
    let first = i
    let last = i
    while (first > 0 && formulaRow(joined[first - 1]!)) first--
    while (last + 1 < joined.length && formulaRow(joined[last + 1]!)) last++
    const centre = (topBaseline(joined[first]!) + bottomBaseline(joined[last]!)) / 2
    if (first < i && last > i && Math.abs(number.baseline - centre) <= 0.6 * body) {
      const rest = joined.splice(first + 1, last - first).flat()
      joined[first]!.push(...rest)
      rowBlocks.add(joined[first]!)
      i = first
      continue
    }
    const offBelow = number.baseline < main.line.baseline - 0.3 * body
    const offAbove = number.baseline > main.line.baseline + 0.3 * body
    if (offBelow && below !== undefined && numberOf(below) === undefined && topBaseline(below) < number.baseline) {
      joined[i]!.push(...joined.splice(i + 1, 1)[0]!)
      rowBlocks.add(joined[i]!)
    } else if (offAbove && above !== undefined && numberOf(above) === undefined && bottomBaseline(above) > number.baseline) {
      joined[i - 1]!.push(...joined.splice(i, 1)[0]!)
      rowBlocks.add(joined[i - 1]!)
      i--
    } else if (offBelow && number.side === "right" && above !== undefined && opens(joined[i]!) && numberOf(above) === undefined) {
      // a number on the right pushed down under a formula too wide for it: the rows above go with it, up to the one
      // the others go on from
      let start = i - 1

      while (start > 0 && continues(joined[start]!) && numberOf(joined[start - 1]!) === undefined) start--
      const rows = joined.splice(start, i - start)
      joined[start]!.unshift(...rows.flat())
      rowBlocks.add(joined[start]!)
      i = start
    } else if (offAbove && number.side === "left" && below !== undefined && continues(below)) {
      // a number on the left pushed up over a formula too wide for it (a `split`'s): the rows that go on with a
      // relation or an operator below are that formula's
      let end = i + 1
      while (joined[end + 1] !== undefined && continues(joined[end + 1]!)) end++
      joined[i]!.push(...joined.splice(i + 1, end - i).flat())
      rowBlocks.add(joined[i]!)
    } else if (
      above !== undefined && below !== undefined && numberOf(above) === undefined && numberOf(below) === undefined &&
      startsWithBinary(joined[i]!) && startsWithBinary(below)
    ) {
      let end = i + 1
      while (joined[end + 1] !== undefined && numberOf(joined[end + 1]!) === undefined && startsWithBinary(joined[end + 1]!)) {
        end++
      }
      const rest = joined.splice(i, end - i + 1).flat()
      joined[i - 1]!.push(...rest)
      rowBlocks.add(joined[i - 1]!)
      i--
    }
  }
  return joined
}

const hasRelation = (row: Row): boolean =>
  row.flat().some((info) => info.body.some(hasRelationChar))

/** a row's main line: the one with a relation, else the one with the most runs */
const mainLine = (row: Row): LineInfo | undefined => {
  const lines = row.flat().filter((info) => !info.line.orphan && info.body.length > 0)
  const related = lines.find((info) => info.body.some(hasRelationChar))
  return related ?? [...lines].sort((a, b) => b.body.length - a.body.length)[0]
}

/** a row's highest and lowest baselines of body size (a script or a limit that made a line of its own counts not) */
const topBaseline = (row: Row): number => Math.max(...baselines(row))

const bottomBaseline = (row: Row): number => Math.min(...baselines(row))

const baselines = (row: Row): ReadonlyArray<number> => {
  const lines = row.flat()
  const full = lines.filter((info) => !info.line.orphan)
  return (full.length > 0 ? full : lines).map((info) => info.line.baseline)
}

/** whether a row's first line (its top part) starts with a binary operator */
const startsWithBinary = (row: Row): boolean => startsWithOperator(row[0]!.flatMap((info) => info.body), operators)

/**
 * Joins a row that ends with a binary operator or a relation (`+`, `=`, `\wedge`) to the row below it, which continues
 * it (the rows of an `array` in one display, or a formula broken after an operator), when that row has no number of
 * its own. Rows are lists of parts (see `joinMultline`); the joined row has the parts of both.
 */
const joinContinued = (
  rows: ReadonlyArray<ReadonlyArray<ReadonlyArray<LineInfo>>>,
  body: number
): ReadonlyArray<ReadonlyArray<ReadonlyArray<LineInfo>>> => {
  const joined: Array<Array<ReadonlyArray<LineInfo>>> = []
  for (const row of rows) {
    const previous = joined.at(-1)
    const numbered = row.some((part) => part.some((info) => info.number !== undefined))
    if (previous !== undefined && !numbered && endsWithOperator(previous.at(-1)!, body)) {
      previous.push(...row)
      rowBlocks.add(previous)
    }    else joined.push([...row])
  }
  return joined
}

/** whether the rightmost body-size run of a row's lowest main line ends with a binary operator or a relation */
const endsWithOperator = (row: ReadonlyArray<LineInfo>, body: number): boolean => {
  const lines = row.filter((info) => !info.line.orphan && info.body.length > 0)
  const last = lines.sort((a, b) => a.line.baseline - b.line.baseline)[0]
  if (last === undefined) return false
  const runs = last.body.filter((item) => !isHanging(item) && item.fontSize >= 0.8 * body).sort((a, b) => a.x - b.x)
  const text = runs.at(-1)?.text.trim() ?? ""
  return text !== "" && (relations + operators).includes(text.charAt(text.length - 1))
}

/**
 * whether `line` is above (or below) `middle`, close enough to be a numerator (denominator), its body-size runs in the
 * gaps of `middle`
 */
const stacks = (line: LineInfo, middle: LineInfo, side: "above" | "below"): boolean => {
  const distance = side === "above" ? line.line.baseline - middle.line.baseline : middle.line.baseline - line.line.baseline
  if (distance <= 0.3 * middle.line.size || distance > 1.6 * middle.line.size) return false
  if (line.number !== undefined && line.body.length === 0) return false
  const solid = middle.body.filter((other) => !isHanging(other))
  // small runs and accents (`\b{\mu}`'s bar under the middle line's μ) may stand over or under the middle line's runs
  return line.body.every((item) =>
    item.fontSize < 0.8 * line.line.size || isHanging(item) || isAccent(item) ||
    !solid.some((other) => overlaps(item, other, 0.5))
  )
}

/**
 * whether some gap of `middle` holds runs of both `numerator` and `denominator`, centred on each other as the two
 * parts of a fraction are (on its rule)
 */
const shareHole = (numerator: LineInfo, denominator: LineInfo, middle: LineInfo): boolean => {
  for (const hole of holes(middle)) {
    const inside = (item: TextItem) => item.x >= hole.left - 1 && item.x + item.width <= hole.right + 1
    const top = numerator.body.filter(inside)
    const bottom = denominator.body.filter(inside)
    if (fractionStacks(top, bottom, middle.line.size).some(isCentred)) return true
  }
  return false
}

/**
 * the horizontal gaps between a line's runs (hanging glyphs such as a `\left(` do not fill a gap); before and after
 * the line too when it is a formula's spine, with a relation or binary operator at body size, since a fraction may
 * open or close the formula
 */
const holes = (info: LineInfo): ReadonlyArray<{ readonly left: number; readonly right: number }> => {
  const size = info.line.size
  const runs = info.body.filter((item) => !isHanging(item)).sort((a, b) => a.x - b.x)
  const found: Array<{ left: number; right: number }> = []
  let end = -Infinity
  for (const item of runs) {
    if (end > -Infinity && item.x - end > 0.2 * size) found.push({ left: end, right: item.x })
    end = Math.max(end, item.x + item.width)
  }
  const first = runs[0]
  const spine = runs.some((item) => item.fontSize >= 0.8 * size && /[=<>≤≥≠≈∼≡∈→+−]/.test(item.text))
  if (first !== undefined && spine) {
    found.push({ left: -Infinity, right: first.x })
    found.push({ left: end, right: Infinity })
  }
  return found
}

/**
 * the rules that are fraction bars: a line's runs close over it and another's close under it, both across it (an
 * overline or a radical's vinculum has nothing close over it); with the line whose math axis the bar is on, if any
 */
const fractionBars = (
  lines: ReadonlyArray<LineInfo>,
  rules: ReadonlyArray<Rule>,
  body: number
): ReadonlyArray<{ readonly over: LineInfo; readonly under: LineInfo; readonly on: LineInfo | undefined }> =>
  rules.flatMap((rule) => {
    const across = (item: TextItem) => overlapsRule(item, rule)
    const close = (gap: number) => gap >= -0.1 * body && gap <= 0.6 * body
    // (a delimiter around the whole fraction reaches across the bar, so it is close to neither side)
    const over = lines.find((info) => info.body.some((item) => across(item) && close(extent(item).bottom - rule.top)))
    const under = lines.find((info) => info.body.some((item) => across(item) && close(rule.bottom - extent(item).top)))
    if (over === undefined || under === undefined || over === under) return []
    // a bar reaches just past the wider of its parts (TeX's null delimiter space, 1.2 pt), anywhere in the block (a
    // continued fraction's denominators go on down); a table's rule reaches a column's padding past its cells
    const parts = lines.flatMap((info) => info.body.filter(across))
    const left = Math.min(...parts.map((item) => item.x))
    const right = Math.max(...parts.map((item) => item.x + item.width))
    if (rule.left < left - 0.25 * body || rule.right > right + 0.25 * body) return []
    const middle = (rule.top + rule.bottom) / 2
    const on = lines.find((info) => info !== over && info !== under && Math.abs(info.line.baseline + 0.25 * info.line.size - middle) < 0.15 * info.line.size)
    return [{ over, under, on }]
  })

/** the big delimiters (single glyphs, or pieces stacked) taller than 1.3 times the body size */
const tallDelimiters = (items: ReadonlyArray<TextItem>, body: number) =>
  delimiterStacks(items).filter((stack) => stack.top - stack.bottom > 1.3 * body)

/** the line with a formula nearest to `info`: one with a big operator above or below it first (its limits) */
const nearestLine = (
  info: LineInfo,
  main: ReadonlyArray<{ readonly info: LineInfo; readonly i: number }>
): number | undefined => {
  let best: number | undefined
  let bestDistance = Infinity
  for (const { info: other, i } of main) {
    const gap = Math.max(info.line.bottom - other.line.top, other.line.bottom - info.line.top, 0)
    // a big operator's limits: across it, and close over or under it (not a line away, over another row's operator)
    const operatorOver = other.body.some((item) => {
      if (!isBigOperator(item)) return false
      const ink = extent(item)
      const near = Math.max(info.line.bottom - ink.top, ink.bottom - info.line.top) < 0.6 * item.fontSize
      return near && info.line.items.some((small) => overlaps(small, item, -1))
    })
    const distance = gap + Math.abs(info.line.baseline - other.line.baseline) * 0.1 - (operatorOver ? 1000 : 0)
    if (distance < bestDistance) {
      best = i
      bestDistance = distance
    }
  }
  return best
}

/**
 * the lines a horizontal brace (line `i`) belongs with: its formula, the nearest line with a formula on the side the
 * brace opens to (below an `\overbrace`) that it overlaps; its label, the nearest line on the other side, less than
 * 1.2 body sizes away, centred within the brace's span (amsmath sets it as a limit of the brace)
 */
const braced = (
  lines: ReadonlyArray<LineInfo>,
  i: number,
  side: "over" | "under",
  body: number
): { readonly formula: number | undefined; readonly label: number | undefined } => {
  const brace = lines[i]!.line
  const gapTo = (other: Line) => (other.baseline < brace.baseline ? brace.bottom - other.top : other.bottom - brace.top)
  const nearest = (accept: (other: LineInfo) => boolean) => {
    let best: number | undefined
    lines.forEach((other, k) => {
      if (k === i || braceSide(other.body) !== undefined || !accept(other)) return
      if (best === undefined || gapTo(other.line) < gapTo(lines[best]!.line)) best = k
    })
    return best
  }
  const towards = (other: LineInfo) => side === "over" ? other.line.baseline < brace.baseline : other.line.baseline > brace.baseline
  const formula = nearest((other) =>
    towards(other) && !other.line.orphan && other.body.length > 0 && other.left < brace.right && brace.left < other.right
  )
  const label = nearest((other) => {
    const centre = (other.left + other.right) / 2
    return !towards(other) && gapTo(other.line) <= 1.2 * body && other.body.length > 0 &&
      centre >= brace.left - body && centre <= brace.right + body
  })
  return { formula, label }
}

/** a row holding several numbers on different baselines is several rows: each line goes to the nearest number */
const splitByNumbers = (row: ReadonlyArray<LineInfo>): ReadonlyArray<ReadonlyArray<LineInfo>> => {
  const numbered = row.filter((info) => info.number !== undefined)
  if (numbered.length < 2) return [row]
  const parts = numbered.map(() => [] as Array<LineInfo>)
  for (const info of row) {
    let best = 0
    numbered.forEach((n, k) => {
      if (Math.abs(n.line.baseline - info.line.baseline) < Math.abs(numbered[best]!.line.baseline - info.line.baseline)) {
        best = k
      }
    })
    parts[best]!.push(info)
  }
  return parts
}

/**
 * Joins the lines of a `multline` into one row of several parts: a row without a number on the left that starts with
 * an operator or relation, well to the right of where the first line starts, and is set flush right (the last line)
 * or centred (a middle line, after a first line set flush left). A row of an `align` that starts with a relation
 * starts where the relation of the row above is: that is alignment, not a `multline`.
 */
const joinMultline = (
  rows: ReadonlyArray<ReadonlyArray<LineInfo>>,
  column: Column,
  body: number
): ReadonlyArray<ReadonlyArray<ReadonlyArray<LineInfo>>> => {
  const joined: Array<Array<ReadonlyArray<LineInfo>>> = []
  for (const row of rows) {
    const previous = joined.at(-1)
    if (previous !== undefined && continuesMultline(previous.flat(), row, column, body)) previous.push(row)
    else joined.push([row])
  }
  return joined
}

const continuesMultline = (
  above: ReadonlyArray<LineInfo>,
  row: ReadonlyArray<LineInfo>,
  column: Column,
  body: number
): boolean => {
  if (row.some((info) => info.number !== undefined && info.number.side === "left")) return false
  const items = row.flatMap((info) => info.body).filter((item) => !isHanging(item))
  if (items.length === 0) return false
  const first = [...items].sort((a, b) => a.x - b.x)[0]!
  const left = Math.min(...row.map((info) => info.left))
  const right = Math.max(...row.map((info) => info.right))
  const aboveLeft = Math.min(...above.map((info) => info.left))
  const numberRight = row.some((info) => info.number?.side === "right")
  const flushRight = numberRight || column.right - right < 2 * body
  const atMargin = aboveLeft - column.left < 3 * body
  const aligned = alignedOnRelation(first, above)
  const centred = Math.abs((left + right) / 2 - (column.left + column.right) / 2) < 1.5 * body && atMargin && !aligned
  // well to the right; or, numbered and going on with a relation not aligned with one above, only a little further in
  // (a long last line, flush right, starts not far from the first)
  const further = left > aboveLeft + 4 * body ||
    (numberRight && atMargin && left > aboveLeft + body && startsWithOperator(items, relations) && !aligned)
  return startsWithOperator(items) && (flushRight || centred) && further && !above.some((info) => info.number?.side === "right")
}

/** whether the leftmost of the runs (hanging glyphs aside) starts with one of `chars`: a relation or a binary operator */
const startsWithOperator = (items: ReadonlyArray<TextItem>, chars: string = relations + operators): boolean =>
  edgeChar(items, "first") !== "" && chars.includes(edgeChar(items, "first"))

/** whether the rightmost of the runs (hanging glyphs aside) ends with a relation: a formula's line that goes on */
const endsWithRelation = (items: ReadonlyArray<TextItem>): boolean =>
  edgeChar(items, "last") !== "" && relations.includes(edgeChar(items, "last"))

/** the first character of the leftmost run, or the last of the rightmost one (hanging glyphs aside), or "" */
const edgeChar = (items: ReadonlyArray<TextItem>, end: "first" | "last"): string => {
  const solid = items.filter((item) => !isHanging(item))
  if (solid.length === 0) return ""
  const edge = solid.reduce((best, item) =>
    end === "first" ? (item.x < best.x ? item : best) : (item.x + item.width > best.x + best.width ? item : best)
  )
  const text = edge.text.trim()
  return end === "first" ? text.charAt(0) : text.charAt(text.length - 1)
}

/** whether a row's first run stands where a relation of the rows above stands: the rows of an `align` */
const alignedOnRelation = (first: TextItem, above: ReadonlyArray<LineInfo>): boolean =>
  above.some((info) =>
    info.body.some((item) => relations.includes(item.text.trim().charAt(0)) && Math.abs(item.x - first.x) < 1)
  )

const top = (row: ReadonlyArray<LineInfo>): number => Math.max(...row.map((info) => info.line.baseline))

const overlaps = (a: TextItem, b: TextItem, margin: number): boolean =>
  a.x + a.width > b.x + margin && b.x + b.width > a.x + margin

/** what a row is, and what its glyphs show (see `Confidence`) */
interface Assessment {
  readonly kind: "equation" | "table" | "stray"
  readonly numbered: boolean
  readonly relation: boolean
  readonly bigOperator: boolean
  readonly mathShare: number
  readonly characters: number
}

/**
 * what a row is: an equation; a row of a table (no relation or big operator, and mostly digits or no operator at all,
 * as a table's header); or stray (too little math, or a short remark in parentheses)
 */
const assess = (parts: ReadonlyArray<ReadonlyArray<LineInfo>>, alone: boolean): Assessment => {
  const row = parts.flat()
  const items = row.flatMap((info) => info.body)
  const numbered = row.some((info) => info.number !== undefined)
  let math = 0
  let prose = 0
  let digits = 0
  let characters = 0
  let relation = false
  let operator = false
  let bigOperator = false
  // an accent over a letter or a radical: math's own structure, which a table's cells do not have
  let marked = false
  for (const info of row) {
    const dots = onlyDots(info)
    if (dots) marked = true
    for (const item of info.body) {
      const classes = charClasses(item)
      math += classes.math
      prose += classes.prose
      if (isBigOperator(item)) bigOperator = true
      if (isAccent(item) || isRadical(item)) marked = true
      for (const char of item.text) {
        if (char.trim() === "") continue
        characters++
        if (dots) continue
        if (/[0-9.,]/.test(char)) digits++
        if (relations.includes(char)) relation = true
        if (operators.includes(char)) operator = true
      }
    }
  }
  const measures = { numbered, relation, bigOperator, mathShare: math / Math.max(1, math + prose), characters }
  const kind = (): Assessment["kind"] => {
    if (items.length === 0) return "stray"
    if (numbered) return "equation"
    const numeric = digits >= 0.5 * characters
    if (!relation && !bigOperator && (numeric || !operator)) {
      // letters under accents or a radical, a display of their own (`\sqrt[\beta]{k}`, `\dddot{Q}\qquad\ddddot{R}`)
      if (marked && alone && !numeric && math >= 2 && math > prose) return "equation"
      return numeric || math >= 2 ? "table" : "stray"
    }
    // a remark in parentheses under a figure (`(n = 35,364)`) is no display
    const text = [...items].sort((a, b) => a.x - b.x).map((item) => item.text).join("").replace(/\s/g, "")
    if (/^\([^()]*\)$/.test(text) && math <= 3) return "stray"
    return math < 2 || (prose > 2 * math + 10 && !relation) ? "stray" : "equation"
  }
  return { kind: kind(), ...measures }
}

/**
 * whether a block's rows are the rows of a table whose cells hold math: two rows at least, each one line, with three
 * cells or more (runs more than 1.5 em apart: wider than any space TeX puts inside a formula but `\qquad`), whose cells
 * start or are centred at the same places (three places shared at least), as a `tabular`'s columns make them. Displays
 * set alike one under the other share places too (where a fraction or an alignment point is), but fewer. A table of
 * two columns is three rows or more without a relation, their two cells where the first row's are.
 */
const isTable = (rows: ReadonlyArray<ReadonlyArray<LineInfo>>, body: number): boolean => {
  const single = rows
    .map((row) => row.filter((info) => !info.line.orphan))
    .filter((row) => row.length === 1 && row[0]!.number === undefined)
    .map((row) => row[0]!)
  const shared = (a: ReadonlyArray<{ left: number; centre: number }>, b: ReadonlyArray<{ left: number; centre: number }>) =>
    a.filter((cell) => b.some((other) => Math.abs(other.left - cell.left) < 1 || Math.abs(other.centre - cell.centre) < 1))
      .length
  // rows whose every cell has a relation are formulas side by side (`x = 1 \qquad y = 2 \qquad z = 3`), no table's
  const wide = single
    .map((info) => tableCells(info.body, body))
    .filter((cells) => cells.length >= 3 && cells.some((cell) => !cell.items.some(hasRelationChar)))
  if (wide.some((row, i) => wide.some((other, j) => j > i && shared(row, other) >= 3))) return true
  // two columns, as a table of priors (`ln(Q)   U(-15, 15)`): three rows and more, none with a relation
  const plain = single.filter((info) => !info.body.some(hasRelationChar))
  const pairs = plain.map((info) => tableCells(info.body, body)).filter((cells) => cells.length >= 2)
  return pairs.length >= 3 && pairs.every((row, i) => i === 0 || shared(row, pairs[i - 1]!) >= 1) &&
    pairs.filter((row) => shared(row, pairs[0]!) >= 2).length >= 3
}

/** a line's runs grouped where they leave more than 1.5 em between them, with each group's left edge and centre */
const tableCells = (
  items: ReadonlyArray<TextItem>,
  body: number
): ReadonlyArray<{ left: number; centre: number; items: ReadonlyArray<TextItem> }> => {
  const cells: Array<{ left: number; right: number; items: Array<TextItem> }> = []
  for (const item of [...items].filter((item) => !isHanging(item)).sort((a, b) => a.x - b.x)) {
    const last = cells.at(-1)
    if (last !== undefined && item.x - last.right <= 1.5 * body) {
      last.right = Math.max(last.right, item.x + item.width)
      last.items.push(item)
    } else cells.push({ left: item.x, right: item.x + item.width, items: [item] })
  }
  return cells.map((cell) => ({ left: cell.left, centre: (cell.left + cell.right) / 2, items: cell.items }))
}

/**
 * an item of a list whose label is a tag (`\item[(a)] $i = j$`): the label indented from the column's edge (a number on
 * the left stands at the edge), what follows it right after it, and the line set from the left, not centred
 */
const labelledItem = (
  first: TextItem,
  body: ReadonlyArray<TextItem>,
  column: Column,
  left: number,
  right: number,
  size: number
): boolean => {
  const label = first.text.trim().split(/\s+/)[0]!
  if (!/^(?:\(?[a-z]{1,4}\)|\(?\d{1,2}[.)]|\([ivx]{1,4}\))$/.test(label)) return false
  const indent = left - column.left
  if (indent < 0.5 * size || indent > 6 * size) return false
  const labelEnd = first.x + (first.text.trim() === label ? first.width : (first.width * label.length) / first.text.trim().length)
  const next = body.filter((item) => item !== first && item.x >= labelEnd - 0.5).reduce<TextItem | undefined>(
    (a, b) => (a === undefined || b.x < a.x ? b : a),
    undefined
  )
  const follows = first.text.trim() !== label || (next !== undefined && next.x - labelEnd < 1.2 * size)
  const centred = Math.abs(indent - (column.right - right)) < 4 * size
  return follows && !centred
}

/**
 * the last line of a paragraph is prose, whatever math it holds (`i.e., x = 0.`): a short line without a number that
 * starts where the full line of prose above it starts (a display stands apart from that margin, or fills its line)
 */
const paragraphEnds = (infos: ReadonlyArray<LineInfo>, column: Column, body: number): ReadonlyArray<LineInfo> =>
  infos.map((info, i) => {
    const above = infos.slice(0, i).reverse().find((other) => !other.line.orphan)
    if (above === undefined || above.kind !== "prose" || info.number !== undefined || info.line.orphan) return info
    const full = above.right - above.left > 0.8 * (column.right - column.left)
    const flush = Math.abs(info.left - above.left) < 0.3 * body
    const short = info.right < above.right - 4 * body
    const next = above.line.baseline - info.line.baseline < 1.6 * body
    return full && flush && short && next ? { ...info, kind: "prose" } : info
  })

/** a row as a display */
const toDisplay = (
  parts: ReadonlyArray<ReadonlyArray<LineInfo>>,
  context: Display["context"],
  evidence: Assessment & {
    readonly besideTable: boolean
    readonly leads: boolean
    readonly column: Column
    readonly body: number
  }
): Display => {
  const row = parts.flat()
  const items = row.flatMap((info) => info.body).sort((a, b) => b.y - a.y || a.x - b.x)
  const ink = union(items)
  const left = Math.min(...items.map((item) => item.x))
  const right = Math.max(...items.map((item) => item.x + item.width))
  const { column, body } = evidence
  return {
    items,
    parts: parts.length > 1 ? parts.map((part) => part.flatMap((info) => info.body)) : [items],
    rows: parts.length > 1 && rowBlocks.has(parts),
    number: row.find((info) => info.number !== undefined)?.number,
    bbox: { left, right, bottom: ink.bottom, top: ink.top },
    confidence: confidence({
      ...evidence,
      stacked: row.filter((info) => !info.line.orphan).length > 1 || ink.top - ink.bottom > 1.6 * body,
      apart: left - column.left > body && column.right - right > body,
      continuation: startsWithOperator(parts[0]!.flatMap((info) => info.body))
    }),
    context
  }
}

/** whether a run holds a relation */
const hasRelationChar = (item: TextItem): boolean => [...item.text].some((char) => relations.includes(char))

const relations = "=<>≤≥≠≈∼≃≅≡∈∉⊂⊆⊃⊇→←↦⇒⇔⟹⟺≺≻≪≫∝⊥∣≍≲≳"

const operators = "+−-×·/±∓∗⋅∘⊕⊗∪∩∧∨"
