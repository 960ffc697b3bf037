/**
 * Equation numbers: `(1)`, `(2.3)`, `(A.1)`, `(*)`, `(3.2′)`, set apart at the left or right edge of a column.
 *
 * A number is one or more adjacent runs (a prime arrives as a raised run of its own) whose text, spaces removed, is a
 * bracketed tag, with at least a quad of white space between it and the formula, and near the column's edge. amsmath
 * itself keeps only half a quad (`\mintagsep`), which is what is left when a flush-left display (`fleqn`) starts at its
 * `\mathindent` right after a number on the left (`leqno`): so half a quad is enough for a number set flush with the
 * column's edge, as amsmath sets them (an item label of a list, say `(ii)` before a formula, is set a little inside).
 *
 * @since 0.1.0
 */
import type { TextItem } from "../pdf/Pdf.ts"
import { fontRole } from "./MathGlyphs.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface EquationNumber {
  /** as printed, spaces removed, e.g. `(3.2′)` */
  readonly text: string
  readonly side: "left" | "right"
  readonly items: ReadonlyArray<TextItem>
  /** the baseline of its first run that is not a prime */
  readonly baseline: number
  readonly left: number
  readonly right: number
}

/**
 * Whether a text is an equation tag: a number, section-style number, letter, roman numeral or symbol in parentheses
 * (or brackets), with optional primes; a prefix of one or two capitals (appendices, supplements: `A.1`, `S-12`, `SI3`)
 * joined by a text hyphen, never by a math minus (`(N − 1)` is a formula).
 *
 * @category classification
 * @since 0.1.0
 */
export const isTag = (text: string): boolean => tagPattern.test(text.replace(/\s+/g, ""))

/**
 * The equation number of a line whose runs are `items` (left to right), if it has one at its left or right end.
 *
 * `edge` says where the column's text starts and ends; the number must be within `reach` of that edge.
 *
 * @category constructors
 * @since 0.1.0
 */
export const findNumber = (
  items: ReadonlyArray<TextItem>,
  edge: { readonly left: number; readonly right: number },
  size: number
): EquationNumber | undefined => {
  if (items.length === 0) return undefined
  const sorted = [...items].sort((a, b) => a.x - b.x)
  const reach = 1.5 * size
  const right = endGroup(sorted.toReversed(), size)
  if (right !== undefined && right.items.length > 0) {
    const group = [...right.items].reverse()
    const number = asNumber(group, "right", right.rest, size, Math.abs(edge.right - spanOf(group).right) <= flush)
    if (number !== undefined && number.right >= edge.right - reach) return number
  }
  const left = endGroup(sorted, size)
  if (left !== undefined) {
    const number = asNumber(left.items, "left", left.rest, size, Math.abs(spanOf(left.items).left - edge.left) <= flush)
    if (number !== undefined && number.left <= edge.left + reach) return number
  }
  return undefined
}

// internal

const tagPattern =
  /^[([](?:\d+(?:[.\-–]\d+)*[a-z]?|[A-Z]{1,2}(?:[.\-–]?\d+)+[a-z]?|[*∗†‡§⋆]+|[ivxlc]+|[a-zA-Z]\d*|\d+[a-z]?\d*)['′″‴]*[)\]]$/

/** the runs at one end of a line that touch each other (less than a third of an em apart), and the others */
const endGroup = (
  fromEnd: ReadonlyArray<TextItem>,
  size: number
): { readonly items: ReadonlyArray<TextItem>; readonly rest: ReadonlyArray<TextItem> } | undefined => {
  const group: Array<TextItem> = []
  let lo = Infinity
  let hi = -Infinity
  for (let i = 0; i < fromEnd.length; i++) {
    const item = fromEnd[i]!
    if (group.length > 0) {
      const gap = Math.max(item.x - hi, lo - (item.x + item.width))
      if (gap > size / 3) return { items: group, rest: fromEnd.slice(i) }
      if (group.length >= 6) return undefined
    }
    group.push(item)
    lo = Math.min(lo, item.x)
    hi = Math.max(hi, item.x + item.width)
  }
  return { items: group, rest: [] }
}

/** how far from the column's edge (points) a number counts as set flush with it */
const flush = 1

const spanOf = (items: ReadonlyArray<TextItem>) => ({
  left: Math.min(...items.map((item) => item.x)),
  right: Math.max(...items.map((item) => item.x + item.width))
})

const asNumber = (
  group: ReadonlyArray<TextItem>,
  side: "left" | "right",
  rest: ReadonlyArray<TextItem>,
  size: number,
  flushWithEdge: boolean
): EquationNumber | undefined => {
  const text = group.map((item) => item.text).join("").replace(/\s+/g, "")
  if (!tagPattern.test(text)) return undefined
  // a tag is set in the text font: a letter in math italic between parentheses is an argument, `f(x)`
  if (group.some((item) => /\p{L}/u.test(item.text) && fontRole(item.fontName) === "mathItalic")) return undefined
  const { left, right } = spanOf(group)
  // a quad at least between the number and the formula; amsmath's half a quad for a number flush with the edge
  const least = flushWithEdge ? 0.5 * size : size
  for (const item of rest) {
    const gap = side === "right" ? left - (item.x + item.width) : item.x - right
    if (gap < least) return undefined
  }
  const main = group.find((item) => item.text.includes("(") || item.text.includes("[")) ?? group[0]!
  return { text: normalisePrimes(text), side, items: group, baseline: main.y, left, right }
}

const normalisePrimes = (text: string): string => text.replace(/'/g, "′")
