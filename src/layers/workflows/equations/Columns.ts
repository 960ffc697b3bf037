/**
 * The text columns of a page: one, or two side by side with a gutter between them.
 *
 * A gutter is a vertical band near the middle of the page that (almost) no glyph run crosses while plenty of text lies
 * on either side. What runs across it (a title, a subtitle with math at its end, a float set across both columns, a
 * wide equation in a `figure*`) makes a full-width region: the lines that cross it, reaching well into both columns,
 * and everything above or below them that their ink touches. A run that only sticks into the gutter a little (a
 * display too wide for its column) stays in its column.
 *
 * @since 0.1.0
 */
import type { PageText, TextItem } from "../pdf/Pdf.ts"
import { extent } from "./Ink.ts"

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
  /** `full` for what runs across the gutter of a two-column page */
  readonly kind: "single" | "left" | "right" | "full"
}

/**
 * Splits a page into columns, in reading order: the full-width region first (it holds the title), then left, right.
 *
 * `layout.gutter` is the x of the page's gutter, `undefined` for one column; without `layout`, the page's own (see
 * `gutters` for a page whose second column is short or empty).
 *
 * @category constructors
 * @since 0.1.0
 */
export const columns = (
  page: PageText,
  layout: { readonly gutter: number | undefined } = { gutter: findGutter(page) }
): ReadonlyArray<Column> => {
  const gutter = layout.gutter
  const items = page.items
  if (items.length === 0) return []
  if (gutter === undefined) return [column(items, "single")]
  const across = new Set(fullWidth(items, gutter))
  const full: Array<TextItem> = []
  const left: Array<TextItem> = []
  const right: Array<TextItem> = []
  for (const item of items) {
    if (across.has(item)) full.push(item)
    else if (item.x + item.width / 2 < gutter) left.push(item)
    else right.push(item)
  }
  return [
    ...(full.length > 0 ? [column(full, "full")] : []),
    ...(left.length > 0 ? [column(left, "left")] : []),
    ...(right.length > 0 ? [column(right, "right")] : [])
  ]
}

/**
 * The gutter of each page of a document: the page's own, or else the document's (the middle one of its pages'
 * gutters, when half its pages or more have one) where the page keeps that clear but for full-width regions (less than a tenth of its characters in runs
 * crossing it). The last page of a two-column paper may have little or nothing in its right column: it has no gutter
 * of its own, yet its left column's lines are no longer than on the other pages, and a line of the right column beside
 * one of the left is no part of it.
 *
 * @category constructors
 * @since 0.1.0
 */
export const gutters = (pages: ReadonlyArray<PageText>): ReadonlyArray<number | undefined> => {
  const own = pages.map(findGutter)
  const found = own.filter((x) => x !== undefined).sort((a, b) => a - b)
  // a two-column paper has gutters on most of its pages; a one-column paper may have a few two-column pages (a
  // bibliography), whose gutter its other pages must not get
  const shared = found.length >= 0.5 * pages.length ? found[Math.floor(found.length / 2)] : undefined
  return pages.map((page, i) => own[i] ?? (shared !== undefined && keepsClear(page.items, shared) ? shared : undefined))
}

// internal

const column = (items: ReadonlyArray<TextItem>, kind: Column["kind"]): Column => {
  // the edges of the body text: the 2nd and 98th percentiles, so that a stray mark in the margin does not count
  const lefts = items.map((item) => item.x).sort((a, b) => a - b)
  const rights = items.map((item) => item.x + item.width).sort((a, b) => a - b)
  // where lines end, not runs: the step numbers of an algorithm end together, yet their lines go on
  const ends = new Map<number, number>()
  for (const item of items) {
    const key = Math.round(item.y)
    ends.set(key, Math.max(ends.get(key) ?? -Infinity, item.x + item.width))
  }
  const lineEnds = [...ends.values()].sort((a, b) => a - b)
  const least = Math.max(3, Math.ceil(0.02 * rights.length))
  return {
    left: lefts[Math.floor(0.02 * (lefts.length - 1))]!,
    // a page of displays has few lines of prose, and its runs end anywhere: three lines ending together still tell
    right: justifiedRight(lineEnds, least) ?? (least > 3 ? justifiedRight(lineEnds, 3) : undefined) ??
      rights[Math.ceil(0.98 * (rights.length - 1))]!,
    items,
    kind
  }
}

/**
 * Where justified lines end: the rightmost x at which `least` lines (three, or a fiftieth of the runs) end within half a
 * point, if there is one. A float set across a page whose second column is empty (the last page of a two-column
 * paper) reaches far past the one column's text; its runs end anywhere, the lines of the text all at one x.
 */
const justifiedRight = (rights: ReadonlyArray<number>, least: number): number | undefined => {
  for (let i = rights.length - 1, j = i; i >= least - 1; i--) {
    j = Math.min(j, i)
    while (j >= 0 && rights[i]! - rights[j]! <= 0.5) j--
    if (i - j >= least) return rights[i]
  }
  return undefined
}

/**
 * The runs of the full-width regions: the lines crossing the gutter that reach an em past it on both sides, and then
 * every run whose ink comes within a quarter em of a region's (the rest of a wide formula: its numerators, limits, big
 * operators).
 */
const fullWidth = (items: ReadonlyArray<TextItem>, gutter: number): ReadonlyArray<TextItem> => {
  const taken = new Set<TextItem>()
  for (const seed of items) {
    if (taken.has(seed) || !(seed.x < gutter - 0.5 && seed.x + seed.width > gutter + 0.5)) continue
    const line = lineOf(seed, items)
    const size = seed.fontSize
    const left = Math.min(...line.map((item) => item.x))
    const right = Math.max(...line.map((item) => item.x + item.width))
    if (left <= gutter - size && right >= gutter + size) for (const item of line) taken.add(item)
  }
  if (taken.size === 0) return []
  // the regions' vertical extents, overlapping ones merged
  const bands: Array<{ bottom: number; top: number }> = []
  for (const ink of [...taken].map(extent).sort((a, b) => b.top - a.top)) {
    const last = bands.at(-1)
    if (last !== undefined && ink.top >= last.bottom) last.bottom = Math.min(last.bottom, ink.bottom)
    else bands.push({ ...ink })
  }
  const inks = items.map(extent)
  for (let grown = true; grown;) {
    grown = false
    for (let k = 0; k < items.length; k++) {
      const item = items[k]!
      if (taken.has(item)) continue
      const ink = inks[k]!
      const slack = 0.25 * item.fontSize
      const band = bands.find((other) => ink.bottom <= other.top + slack && ink.top >= other.bottom - slack)
      if (band === undefined) continue
      taken.add(item)
      band.bottom = Math.min(band.bottom, ink.bottom)
      band.top = Math.max(band.top, ink.top)
      grown = true
    }
  }
  return [...taken]
}

/**
 * the runs on the baseline of `seed` less than 0.6 em apart from it or from each other: the words and atoms of one
 * line, not the other column's line beside a display that sticks into the gutter (a column gap away)
 */
const lineOf = (seed: TextItem, items: ReadonlyArray<TextItem>): ReadonlyArray<TextItem> => {
  const line = [seed]
  const onBaseline = items.filter((item) => Math.abs(item.y - seed.y) <= 0.4 * Math.max(item.fontSize, seed.fontSize))
  for (let grown = true; grown;) {
    grown = false
    for (const item of onBaseline) {
      if (line.includes(item)) continue
      const near = line.some((other) => {
        const size = Math.max(item.fontSize, other.fontSize)
        const gap = Math.max(other.x - (item.x + item.width), item.x - (other.x + other.width))
        return Math.abs(other.y - item.y) <= 0.2 * size && gap <= 0.6 * size
      })
      if (near) {
        line.push(item)
        grown = true
      }
    }
  }
  return line
}

/** whether less than a tenth of the page's characters are in runs that cross `x` outside full-width regions */
const keepsClear = (items: ReadonlyArray<TextItem>, x: number): boolean => {
  const across = new Set(fullWidth(items, x))
  let crossing = 0
  let chars = 0
  for (const item of items) {
    chars += item.text.length
    if (!across.has(item) && item.x < x - 0.5 && item.x + item.width > x + 0.5) crossing += item.text.length
  }
  return crossing < 0.1 * chars
}

/**
 * The x of a gutter, if the page has one: the middle of the widest band within the central 30-70% of the page that
 * few runs cross (a fifth of what typically crosses there), with at least a fifth of the text on each side, running
 * down a sixth of the page's height at least.
 */
const findGutter = (page: PageText): number | undefined => {
  const { items, width: pageWidth } = page
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
  const left = { chars: 0, bottom: Infinity, top: -Infinity }
  const right = { chars: 0, bottom: Infinity, top: -Infinity }
  for (const item of items) {
    const side = item.x + item.width <= x ? left : item.x >= x ? right : undefined
    if (side === undefined) continue
    side.chars += item.text.length
    side.bottom = Math.min(side.bottom, item.y)
    side.top = Math.max(side.top, item.y)
  }
  // columns run down the page: a gap in the middle of one wide formula (a float page) is no gutter
  const tall = (side: typeof left) => side.chars >= 0.2 * chars && side.top - side.bottom >= 0.15 * page.height
  return tall(left) && tall(right) ? x : undefined
}
