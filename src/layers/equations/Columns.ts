/**
 * The text columns of a page: one, or two side by side with a gutter between them.
 *
 * A gutter is a vertical band near the middle of the page that (almost) no glyph run crosses while plenty of text lies
 * on either side. Runs that cross it (a title, a full-width float) make a third, full-width region.
 *
 * @since 0.1.0
 */
import type { PageText, TextItem } from "../Pdf.ts"

/**
 * A region of the page read as one column.
 *
 * @category models
 * @since 0.1.0
 */
export interface Column {
  /** where the column's text starts and ends, horizontally */
  readonly left: number
  readonly right: number
  readonly items: ReadonlyArray<TextItem>
  /** `full` for the runs that cross the gutter of a two-column page */
  readonly kind: "single" | "left" | "right" | "full"
}

/**
 * Splits a page into columns, in reading order: the full-width region first (it holds the title), then left, right.
 *
 * A line that runs across the gutter (a centred subtitle under the title) stays whole: the runs on its baseline next
 * to the crossing ones go to the full-width region with them.
 *
 * @category constructors
 * @since 0.1.0
 */
export const columns = (page: PageText): ReadonlyArray<Column> => {
  const items = page.items
  if (items.length === 0) return []
  const gutter = findGutter(items, page.width)
  if (gutter === undefined) return [column(items, "single")]
  const left: Array<TextItem> = []
  const right: Array<TextItem> = []
  const full: Array<TextItem> = []
  for (const item of items) {
    if (item.x + item.width <= gutter + 0.5) left.push(item)
    else if (item.x >= gutter - 0.5) right.push(item)
    else full.push(item)
  }
  keepLinesWhole(full, left, right, gutter)
  return [
    ...(full.length > 0 ? [column(full, "full")] : []),
    column(left, "left"),
    column(right, "right")
  ]
}

// internal

const column = (items: ReadonlyArray<TextItem>, kind: Column["kind"]): Column => {
  // the edges of the body text: the 2nd and 98th percentiles, so that a stray mark in the margin does not count
  const lefts = items.map((item) => item.x).sort((a, b) => a - b)
  const rights = items.map((item) => item.x + item.width).sort((a, b) => a - b)
  return {
    left: lefts[Math.floor(0.02 * (lefts.length - 1))]!,
    right: justifiedRight(rights) ?? rights[Math.ceil(0.98 * (rights.length - 1))]!,
    items,
    kind
  }
}

/**
 * Where justified lines end: the rightmost x at which several runs (three, or a fiftieth of them) end within half a
 * point, if there is one. A float set across a page whose second column is empty (the last page of a two-column
 * paper) reaches far past the one column's text; its runs end anywhere, the lines of the text all at one x.
 */
const justifiedRight = (rights: ReadonlyArray<number>): number | undefined => {
  const least = Math.max(3, Math.ceil(0.02 * rights.length))
  for (let i = rights.length - 1, j = i; i >= least - 1; i--) {
    j = Math.min(j, i)
    while (j >= 0 && rights[i]! - rights[j]! <= 0.5) j--
    if (i - j >= least) return rights[i]
  }
  return undefined
}

/**
 * Moves the rest of a line that runs across the gutter to the full-width region: the runs of the columns on the
 * baseline of a full-width run, less than an em from it (or from a run moved before them). Only runs that reach an em
 * past the gutter on both sides start such a line: a display that sticks out of its column into the gutter a little
 * keeps its column, and the other column's line beside it stays there.
 */
const keepLinesWhole = (full: Array<TextItem>, left: Array<TextItem>, right: Array<TextItem>, gutter: number) => {
  const line = full.filter((item) => item.x <= gutter - item.fontSize && item.x + item.width >= gutter + item.fontSize)
  for (let moved = line.length > 0; moved;) {
    moved = false
    for (const side of [left, right]) {
      for (let i = side.length - 1; i >= 0; i--) {
        const item = side[i]!
        const neighbour = line.some((other) => {
          const size = Math.max(item.fontSize, other.fontSize)
          const gap = Math.max(other.x - (item.x + item.width), item.x - (other.x + other.width))
          return Math.abs(other.y - item.y) <= 0.2 * size && gap <= size
        })
        if (!neighbour) continue
        line.push(item)
        full.push(item)
        side.splice(i, 1)
        moved = true
      }
    }
  }
}

/**
 * The x of a gutter, if the page has one: the middle of the widest band within the central 30-70% of the page that
 * few runs cross (a fifth of what typically crosses there), with at least a fifth of the text on each side.
 */
const findGutter = (items: ReadonlyArray<TextItem>, pageWidth: number): number | undefined => {
  const from = Math.floor(0.3 * pageWidth)
  const to = Math.ceil(0.7 * pageWidth)
  const crossing = new Array<number>(to - from + 1).fill(0)
  let chars = 0
  for (const item of items) {
    chars += item.text.length
    const start = Math.max(from, Math.ceil(item.x + 0.5))
    const end = Math.min(to, Math.floor(item.x + item.width - 0.5))
    for (let x = start; x <= end; x++) crossing[x - from]!++
  }
  // a gutter is crossed by the full-width runs only: far fewer than cross a column's middle
  const typical = [...crossing].sort((a, b) => a - b)[Math.floor(crossing.length / 2)]!
  const allowed = Math.max(2, Math.floor(0.2 * typical))
  let best: { start: number; end: number } | undefined
  let start = -1
  for (let i = 0; i <= crossing.length; i++) {
    const open = i < crossing.length && crossing[i]! <= allowed
    if (open && start < 0) start = i
    if (!open && start >= 0) {
      if (best === undefined || i - start > best.end - best.start) best = { start, end: i }
      start = -1
    }
  }
  // a gutter is several points wide (LaTeX's \columnsep is 10 pt or more)
  if (best === undefined || best.end - best.start < 6) return undefined
  const x = from + (best.start + best.end) / 2
  let leftChars = 0
  let rightChars = 0
  for (const item of items) {
    if (item.x + item.width <= x) leftChars += item.text.length
    else if (item.x >= x) rightChars += item.text.length
  }
  return leftChars >= 0.2 * chars && rightChars >= 0.2 * chars ? x : undefined
}
