/**
 * How far a glyph run reaches above and below its baseline, estimated from its characters.
 *
 * A PDF's text layer has no glyph boxes, and a font's ascent and descent cover its tallest glyphs, so `x` would get the
 * box of `(`. Rows of a display are told apart by the white space between them, a few points, so the estimate goes
 * by character: x-height letters, ascenders, descenders, parentheses, the thin `=` and `−`. Hanging glyphs (extension
 * fonts, radicals) reach down from the point they are drawn at.
 *
 * @since 0.1.0
 */
import type { TextItem } from "../pdf/Pdf.ts"
import { extensionGlyph, fontRole, hangDepth, isBigOperator, isBracePiece, isHanging, isMathFont, mapped } from "./MathGlyphs.ts"

/**
 * The vertical extent of an item's ink, in PDF user space (`bottom < top`).
 *
 * @category models
 * @since 0.1.0
 */
export interface VerticalExtent {
  readonly bottom: number
  readonly top: number
}

/**
 * @category constructors
 * @since 0.1.0
 */
export const extent = (item: TextItem): VerticalExtent => {
  // text fonts have neither brace pieces nor hanging glyphs, but for a radical sign
  if (isMathFont(item.fontName) || item.text.includes("√")) {
    // the pieces of a horizontal brace are 0.12 em tall, on their baseline
    if (isBracePiece(item)) return { bottom: item.y, top: item.y + 0.12 * item.fontSize }
    if (isHanging(item)) return { bottom: item.y - hangDepth(item), top: item.y + 0.05 * item.fontSize }
  }
  let low = Infinity
  let high = -Infinity
  for (const char of item.text) {
    if (char.trim() === "") continue
    const [bottom, top] = charExtent(char)
    low = Math.min(low, bottom)
    high = Math.max(high, top)
  }
  if (low === Infinity) return { bottom: item.y, top: item.y }
  return { bottom: item.y + low * item.fontSize, top: item.y + high * item.fontSize }
}

/**
 * The extent of several items together.
 *
 * @category constructors
 * @since 0.1.0
 */
export const union = (items: ReadonlyArray<TextItem>): VerticalExtent => {
  let bottom = Infinity
  let top = -Infinity
  for (const item of items) {
    const e = extent(item)
    bottom = Math.min(bottom, e.bottom)
    top = Math.max(top, e.top)
  }
  return { bottom, top }
}

/**
 * Items grouped into horizontal bands whose ink does not overlap (apart by more than `gap` points), top to bottom: the
 * rows of a matrix or of an `aligned` block.
 *
 * @category combinators
 * @since 0.1.0
 */
export const bands = (items: ReadonlyArray<TextItem>, gap = 0): ReadonlyArray<ReadonlyArray<TextItem>> => {
  const sorted = items.map((item) => ({ item, ink: extent(item) })).sort((a, b) => b.ink.top - a.ink.top)
  const found: Array<{ bottom: number; items: Array<TextItem> }> = []
  for (const { item, ink } of sorted) {
    const last = found[found.length - 1]
    if (last !== undefined && ink.top >= last.bottom - gap) {
      last.items.push(item)
      last.bottom = Math.min(last.bottom, ink.bottom)
    } else {
      found.push({ bottom: ink.bottom, items: [item] })
    }
  }
  return found.map((band) => band.items)
}

/**
 * The big delimiters among `items`: a glyph of an extension font that is a delimiter, or the pieces of an extensible
 * one (top, extension, bottom) stacked at one x, as one extent each: what a matrix's brackets or a `cases` brace reach
 * over.
 *
 * @category combinators
 * @since 0.1.0
 */
export const delimiterStacks = (
  items: ReadonlyArray<TextItem>
): ReadonlyArray<VerticalExtent & { readonly x: number; readonly items: ReadonlyArray<TextItem> }> => {
  const stacks: Array<{ x: number; bottom: number; top: number; items: Array<TextItem>; whole: boolean }> = []
  // top down, so that each piece meets the stack it continues (out of order, a stack's ends would start two)
  for (const item of [...items].sort((a, b) => b.y - a.y)) {
    if (!isHanging(item) || isBigOperator(item) || fontRole(item.fontName) !== "mathExtension") continue
    const glyph = extensionGlyph(item.text.trim().charAt(0), item.fontName, item.width / item.fontSize, mapped(item))
    if (glyph === undefined || (glyph.kind !== "delimiter" && glyph.kind !== "piece")) continue
    const ink = extent(item)
    // a sized delimiter is whole (two of them one above the other belong to two lines), but for the bars `|` and `‖`,
    // which are also the pieces TeX repeats for a taller bar
    const whole = glyph.kind === "delimiter" && glyph.latex !== "|" && glyph.latex !== "\\|"
    const touching = (stack: (typeof stacks)[number]) =>
      !whole && !stack.whole && Math.abs(stack.x - item.x) < 1 && ink.top >= stack.bottom - 0.5 * item.fontSize &&
      ink.bottom <= stack.top + 0.5 * item.fontSize
    const stack = stacks.find(touching)
    if (stack === undefined) stacks.push({ x: item.x, bottom: ink.bottom, top: ink.top, items: [item], whole })
    else {
      stack.bottom = Math.min(stack.bottom, ink.bottom)
      stack.top = Math.max(stack.top, ink.top)
      stack.items.push(item)
    }
  }
  return stacks
}

// internal

/** [bottom, top] of a character in ems from the baseline, after Computer Modern's metrics (looked up once per character) */
const charExtent = (char: string): readonly [number, number] => {
  const known = special[char] ?? seen.get(char)
  if (known !== undefined) return known
  const found = estimate(char)
  seen.set(char, found)
  return found
}

const seen = new Map<string, readonly [number, number]>()

const estimate = (char: string): readonly [number, number] => {
  if (/[acemnorsuvwxzıȷ]/.test(char)) return [0, 0.45]
  if (/[gpqy]/.test(char)) return [-0.2, 0.45]
  if (char === "j") return [-0.2, 0.67]
  if (/[αεικνοπστυωϵϖ]/.test(char)) return [0, 0.45]
  if (/[γημρφχϕϱς]/.test(char)) return [-0.2, 0.45]
  if (/[βζξψ]/.test(char)) return [-0.2, 0.7]
  if (/[0-9]/.test(char)) return [0, 0.65]
  return [0, 0.7]
}

const special: Record<string, readonly [number, number]> = {
  "=": [0.13, 0.37],
  "−": [0.22, 0.28],
  "-": [0.2, 0.27],
  "+": [-0.08, 0.58],
  "±": [-0.08, 0.58],
  "×": [0.02, 0.48],
  "·": [0.2, 0.3],
  "∼": [0.15, 0.35],
  "≈": [0.1, 0.4],
  "<": [-0.04, 0.54],
  ">": [-0.04, 0.54],
  "≤": [-0.14, 0.64],
  "≥": [-0.14, 0.64],
  "∈": [-0.04, 0.54],
  "→": [0.01, 0.49],
  "∞": [0, 0.43],
  ",": [-0.2, 0.1],
  ";": [-0.2, 0.43],
  ".": [0, 0.1],
  ":": [0, 0.43],
  "(": [-0.25, 0.75],
  ")": [-0.25, 0.75],
  "[": [-0.25, 0.75],
  "]": [-0.25, 0.75],
  "{": [-0.25, 0.75],
  "}": [-0.25, 0.75],
  "|": [-0.25, 0.75],
  "‖": [-0.25, 0.75],
  "∥": [-0.25, 0.75],
  "⟨": [-0.25, 0.75],
  "⟩": [-0.25, 0.75],
  "/": [-0.25, 0.75],
  "′": [0.05, 0.56],
  "′′": [0.05, 0.56]
}
