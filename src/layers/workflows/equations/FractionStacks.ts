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
    .map((stack) => ({
      above: stack.up.flatMap((run) => run.items),
      below: stack.down.flatMap((run) => run.items),
      left: stack.left,
      right: stack.right
    }))
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
