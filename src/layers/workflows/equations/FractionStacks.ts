/**
 * Fractions from stacked runs: which runs above a (missing) fraction rule go with which runs below it.
 *
 * A PDF draws a fraction rule as a path, so the text layer only shows a numerator stacked over a denominator. Runs on
 * each side less than 0.35 em apart make one run; a run above and a run below that overlap horizontally are the two
 * parts of one fraction. A run with nothing across joins the fraction next to it on its side when less than 0.6 em
 * away, as the small fractions in the denominator of `\frac{m}{\frac{1}{a} + \frac{1}{b}}` do.
 *
 * @since 0.1.0
 */
import type { TextItem } from "../pdf/Pdf.ts"
import { isBigOperator } from "./MathGlyphs.ts"

/**
 * Runs above and below the rule, grouped: both sides for a fraction, one side for something merely raised or lowered.
 *
 * @category models
 * @since 0.1.0
 */
export interface Stack {
  readonly above: ReadonlyArray<TextItem>
  readonly below: ReadonlyArray<TextItem>
  readonly left: number
  readonly right: number
}

/**
 * The stacks of runs `above` and `below` an axis, left to right; `size` is the font size of the surrounding formula.
 *
 * @category constructors
 * @since 0.1.0
 */
export const fractionStacks = (
  above: ReadonlyArray<TextItem>,
  below: ReadonlyArray<TextItem>,
  size: number
): ReadonlyArray<Stack> => {
  const stacks: Array<Group> = []
  const sided = [
    ...runs(above, 0.35 * size).map((run) => ({ run, side: "up" as const })),
    ...runs(below, 0.35 * size).map((run) => ({ run, side: "down" as const }))
  ]
  for (const { run, side } of sided) {
    const across = stacks.filter((stack) => (side === "up" ? stack.down : stack.up).some((other) => overlapping(run, other)))
    const merged: Group = { up: [], down: [], left: run.left, right: run.right }
    merged[side].push(run)
    for (const stack of across) absorb(merged, stack, stacks)
    stacks.push(merged)
  }
  // a one-sided stack next to a two-sided one, on its side and close, is part of that fraction
  for (let changed = true; changed;) {
    changed = false
    for (const stack of stacks) {
      const side = stack.up.length === 0 ? "down" : stack.down.length === 0 ? "up" : undefined
      if (side === undefined) continue
      const host = stacks.find((other) =>
        other !== stack && other.up.length > 0 && other.down.length > 0 &&
        other[side].some((run) => Math.max(run.left - stack.right, stack.left - run.right) <= 0.6 * size)
      )
      if (host === undefined) continue
      absorb(host, stack, stacks)
      changed = true
      break
    }
  }
  return stacks
    .sort((a, b) => a.left - b.left)
    .flatMap((stack) =>
      side({
        above: stack.up.flatMap((run) => run.items),
        below: stack.down.flatMap((run) => run.items),
        left: stack.left,
        right: stack.right
      }, size)
    )
}

/**
 * Fractions side by side (`\frac{19}{12}\frac{\beta}{c^4}`) as one stack each. TeX leaves only twice
 * `\nulldelimiterspace` (0.24 em) between them, no more than around a `+`, so their runs join; but a clear vertical
 * corridor runs through numerators and denominators alike between them, and each part is a fraction of its own,
 * numerator centred on denominator. The stack is cut at such corridors (0.2 em wide at least), left to right, wherever
 * what lies left of the cut is such a fraction; it stays whole unless every part is. A numerator over a denominator of
 * the same build (`\frac{a - b}{a + b}`) has corridors too, around its operators: a part that is an operator over an
 * operator, that starts with one above and below, or whose brackets do not balance, is no fraction.
 */
const side = (stack: Stack, size: number): ReadonlyArray<Stack> => {
  if (stack.above.length === 0 || stack.below.length === 0) return [stack]
  const items = [...stack.above, ...stack.below].sort((a, b) => a.x - b.x)
  const cuts: Array<number> = []
  let end = -Infinity
  for (const item of items) {
    if (end > -Infinity && item.x - end >= 0.2 * size) cuts.push((end + item.x) / 2)
    end = Math.max(end, item.x + item.width)
  }
  if (cuts.length === 0) return [stack]
  const parts: Array<Stack> = []
  let from = -Infinity
  for (const cut of [...cuts, Infinity]) {
    const within = (item: TextItem) => item.x >= from && item.x < cut
    const part = { above: stack.above.filter(within), below: stack.below.filter(within), left: 0, right: 0 }
    if (cut !== Infinity && !isFraction(part)) continue
    const all = [...part.above, ...part.below]
    parts.push({ ...part, left: Math.min(...all.map((item) => item.x)), right: Math.max(...all.map((item) => item.x + item.width)) })
    from = cut
  }
  return parts.length > 1 && parts.every(isFraction) ? parts : [stack]
}

/** a numerator centred on a denominator, neither of them only operators, with brackets that balance in each */
const isFraction = (part: Stack): boolean => {
  const text = (items: ReadonlyArray<TextItem>) => items.map((item) => item.text).join("").replace(/\s/g, "")
  const whole = (items: ReadonlyArray<TextItem>) => {
    const chars = text(items)
    let level = 0
    for (const char of chars) {
      if ("([{".includes(char)) level++
      if (")]}".includes(char) && --level < 0) return false
    }
    return level === 0 && !/^[-−+±∓=<>≤≥·×]*$/.test(chars)
  }
  // both parts starting with an operator: the cut ran beside the operators of a numerator and denominator built alike
  const leading = (items: ReadonlyArray<TextItem>) => /^[-−+±∓=<>≤≥·×]/.test(text([...items].sort((a, b) => a.x - b.x)))
  return isCentred(part) && whole(part.above) && whole(part.below) && !(leading(part.above) && leading(part.below)) &&
    !operandless(part.above) && !operandless(part.below)
}

/** a big operator with nothing after it but its scripts: the cut ran between a `\sum_{k=1}^n` and what it sums */
const operandless = (items: ReadonlyArray<TextItem>): boolean => {
  const operator = items.filter(isBigOperator).reduce<TextItem | undefined>((last, item) =>
    last === undefined || item.x > last.x ? item : last, undefined)
  if (operator === undefined) return false
  return !items.some((item) => item.x > operator.x + 0.5 * operator.width && item.fontSize >= 0.9 * operator.fontSize && !isBigOperator(item))
}

/**
 * Whether the two parts of a stack are centred on each other, as a numerator and denominator are on their rule.
 *
 * @category predicates
 * @since 0.1.0
 */
export const isCentred = (stack: Stack): boolean => {
  if (stack.above.length === 0 || stack.below.length === 0) return false
  const a = span(stack.above)
  const b = span(stack.below)
  const width = Math.max(a.right - a.left, b.right - b.left)
  return Math.abs((a.left + a.right) / 2 - (b.left + b.right) / 2) <= 0.15 * width + 1.5
}

// internal

interface Run {
  readonly items: Array<TextItem>
  left: number
  right: number
}

interface Group {
  readonly up: Array<Run>
  readonly down: Array<Run>
  left: number
  right: number
}

/** runs of items less than `gap` apart horizontally, left to right */
const runs = (items: ReadonlyArray<TextItem>, gap: number): Array<Run> => {
  const found: Array<Run> = []
  for (const item of [...items].sort((a, b) => a.x - b.x)) {
    const last = found.at(-1)
    if (last !== undefined && item.x - last.right <= gap) {
      last.items.push(item)
      last.right = Math.max(last.right, item.x + item.width)
    } else {
      found.push({ items: [item], left: item.x, right: item.x + item.width })
    }
  }
  return found
}

const overlapping = (a: { left: number; right: number }, b: { left: number; right: number }): boolean =>
  a.left < b.right - 0.5 && b.left < a.right - 0.5

/** moves `stack` into `into` and out of `stacks` */
const absorb = (into: Group, stack: Group, stacks: Array<Group>) => {
  into.up.push(...stack.up)
  into.down.push(...stack.down)
  into.left = Math.min(into.left, stack.left)
  into.right = Math.max(into.right, stack.right)
  stacks.splice(stacks.indexOf(stack), 1)
}

const span = (items: ReadonlyArray<TextItem>) => ({
  left: Math.min(...items.map((item) => item.x)),
  right: Math.max(...items.map((item) => item.x + item.width))
})
