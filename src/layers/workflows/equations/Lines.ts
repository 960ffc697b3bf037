/**
 * Text lines of one column: glyph runs grouped by baseline, with sub- and superscripts attached to their line.
 *
 * Runs at (about) the body size are the anchors: their baselines, clustered, are the lines. Smaller runs and hanging
 * glyphs (big operators, big delimiters, radicals) join the line they belong to by size and vertical offset: a
 * superscript sits up to about 0.85 em above the baseline, a subscript up to about 0.55 em below it, a hanging glyph
 * is centred near the math axis. What fits no line (the limits of a display `\sum`, an inline `\tfrac` stack) makes
 * lines of its own, which display finding attaches to their neighbours.
 *
 * Fraction numerators and denominators of a display are at body size, so they are lines of their own here too.
 *
 * @since 0.1.0
 */
import type { TextItem } from "../pdf/Pdf.ts"
import { delimiterStacks, extent, union } from "./Ink.ts"
import { hasLimits, isAccent, isBigOperator, isBracePiece, isHanging, takesLimits } from "./MathGlyphs.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface Line {
  readonly baseline: number
  /** the font size of its anchor runs */
  readonly size: number
  /** left to right */
  readonly items: ReadonlyArray<TextItem>
  readonly left: number
  readonly right: number
  /** ink extent, estimated (see `Ink`) */
  readonly top: number
  readonly bottom: number
  /** made of small runs only (limits, scripts that fit no line) */
  readonly orphan: boolean
}

/**
 * The body text size of a page: the size most characters are set in.
 *
 * @category constructors
 * @since 0.1.0
 */
export const bodySize = (items: ReadonlyArray<TextItem>): number => {
  const counts = new Map<number, number>()
  for (const item of items) {
    const size = Math.round(item.fontSize * 10) / 10
    counts.set(size, (counts.get(size) ?? 0) + item.text.length)
  }
  let best = 10
  let most = -1
  for (const [size, count] of counts) {
    if (count > most) {
      best = size
      most = count
    }
  }
  return best
}

/**
 * Groups a column's runs into lines, top to bottom.
 *
 * @category constructors
 * @since 0.1.0
 */
export const lines = (items: ReadonlyArray<TextItem>, body: number): ReadonlyArray<Line> => {
  const anchors: Array<TextItem> = []
  const satellites: Array<TextItem> = []
  for (const item of items) {
    if (isAnchor(item, body)) anchors.push(item)
    else satellites.push(item)
  }
  const clusters = clusterByBaseline(anchors, 0.2 * body)
  // hanging glyphs first, so that the limits of a big operator can go with the line the operator went to
  const operators: Array<{ readonly item: TextItem; readonly cluster: Cluster }> = clusters.flatMap((cluster) =>
    cluster.items.filter(takesLimits).map((item) => ({ item, cluster }))
  )
  const orphans: Array<TextItem> = []
  // the pieces of one big delimiter go together, where the whole of it is centred
  const tall = satellites.filter(isTall)
  const stacks = delimiterStacks(tall).map((stack) => stack.items)
  const stacked = new Set(stacks.flat())
  for (const group of [...stacks, ...tall.filter((item) => !stacked.has(item)).map((item) => [item])]) {
    const home = bestCluster(clusters, group)
    if (home === undefined) orphans.push(...group)
    else {
      home.items.push(...group)
      for (const item of group) if (hasLimits(item, body)) operators.push({ item, cluster: home })
    }
  }
  // small runs go as words: a limit such as `x ⊥ 1, x ≠ 0` is several runs and goes whole
  for (const word of words(satellites.filter((item) => !isTall(item)))) {
    const home = limitOf(operators, word) ?? bestCluster(clusters, word)
    if (home === undefined) orphans.push(...word)
    else home.items.push(...word)
  }
  const orphanClusters = clusterByBaseline(orphans, 0.2 * body).map((cluster) => ({ ...cluster, orphan: true }))
  // a line of nothing but an arrow's pieces is an arrow over or under a formula (`\varprojlim`, `\overrightarrow`)
  const arrowOnly = (cluster: Cluster) =>
    cluster.items.every((item) => /^[−\-←→⟵⟶↔⟷\s]+$/.test(item.text)) && cluster.items.some((item) => /[←→⟵⟶↔⟷]/.test(item.text))
  return [...clusters.map((cluster) => ({ ...cluster, orphan: arrowOnly(cluster) })), ...orphanClusters]
    .map(toLine)
    .sort((a, b) => b.baseline - a.baseline)
}

/**
 * The text of a line, left to right, with a space where runs are apart.
 *
 * @category combinators
 * @since 0.1.0
 */
export const lineText = (line: Line): string => joinRuns(line.items)

/**
 * Runs joined left to right, with a space where they are apart by more than a sixth of their size.
 *
 * @category combinators
 * @since 0.1.0
 */
export const joinRuns = (items: ReadonlyArray<TextItem>): string => {
  const sorted = [...items].sort((a, b) => a.x - b.x)
  let text = ""
  let end = -Infinity
  for (const item of sorted) {
    if (text !== "" && item.x - end > item.fontSize / 6 && !text.endsWith(" ")) text += " "
    text += item.text
    end = Math.max(end, item.x + item.width)
  }
  return text.trim()
}

/**
 * Runs that touch (less than a quarter em apart, left to right) on about one baseline, as words: a limit such as
 * `(m, n) ∈ ℤ² ∖ {0}` is several runs, one of them a script a third of an em off the baseline.
 *
 * @category combinators
 * @since 0.1.0
 */
export const words = (items: ReadonlyArray<TextItem>): ReadonlyArray<ReadonlyArray<TextItem>> => {
  const sorted = [...items].sort((a, b) => a.x - b.x || b.y - a.y)
  const found: Array<Array<TextItem>> = []
  for (const item of sorted) {
    const word = found.find((candidate) => {
      const last = candidate[candidate.length - 1]!
      const size = Math.max(last.fontSize, item.fontSize)
      return onOneBaseline(last, item, size) && item.x - (last.x + last.width) < 0.25 * size &&
        item.x >= last.x + 0.5 * last.width
    })
    if (word === undefined) found.push([item])
    else word.push(item)
  }
  return found
}

// internal

/**
 * whether two runs side by side sit on about one baseline; a hanging glyph (a text-style `\sum` in a numerator) is
 * placed by its top, so a run beside it must stand within its ink: the numerator's `\sum`'s subscript comes close to
 * the top of the denominator's
 */
const onOneBaseline = (left: TextItem, right: TextItem, size: number): boolean => {
  if (isHanging(left) === isHanging(right)) return Math.abs(left.y - right.y) <= 0.35 * size
  const [hanging, other] = isHanging(left) ? [left, right] : [right, left]
  const ink = extent(hanging)
  return other.y >= ink.bottom - 0.35 * size && other.y <= ink.top
}

interface Cluster {
  baseline: number
  size: number
  items: Array<TextItem>
  orphan?: boolean
}

/** a run of body size on its baseline; the pieces of a horizontal brace are no line of text, whatever their size */
const isAnchor = (item: TextItem, body: number): boolean =>
  item.fontSize >= 0.8 * body && !isTall(item) && !isAccent(item) && !isBracePiece(item)

const isTall = (item: TextItem): boolean => isHanging(item) || isBigOperator(item)

/**
 * the line of the big operator (or operator name) a word of small runs is a limit of (centred over or under it), or a
 * script of (touching its right edge, up by its top or down by its bottom, as an integral's limits are)
 */
const limitOf = (
  operators: ReadonlyArray<{ readonly item: TextItem; readonly cluster: Cluster }>,
  word: ReadonlyArray<TextItem>
): Cluster | undefined => {
  const left = Math.min(...word.map((item) => item.x))
  const centre = (left + Math.max(...word.map((item) => item.x + item.width))) / 2
  const ink = union(word)
  for (const { item: operator, cluster } of operators) {
    const size = operator.fontSize
    const op = extent(operator)
    const right = operator.x + operator.width
    if (isHanging(operator) && left >= right - 0.5 * size && left <= right + 0.3 * size) {
      if (ink.top <= op.top + 0.5 * size && ink.bottom >= op.bottom - 0.5 * size) return cluster
    }
    if (centre < operator.x - 0.3 * size || centre > right + 0.3 * size) continue
    const above = ink.bottom >= op.top - 0.3 * size && ink.bottom <= op.top + 0.8 * size
    const below = ink.top <= op.bottom + 0.3 * size && ink.top >= op.bottom - 0.8 * size
    if (above || below) return cluster
  }
  return undefined
}

/** baselines within `tolerance` of a cluster's first baseline join it; items sorted top to bottom first */
const clusterByBaseline = (items: ReadonlyArray<TextItem>, tolerance: number): Array<Cluster> => {
  const sorted = [...items].sort((a, b) => b.y - a.y)
  const clusters: Array<Cluster> = []
  for (const item of sorted) {
    const last = clusters[clusters.length - 1]
    if (last !== undefined && last.baseline - item.y <= tolerance) {
      last.items.push(item)
      last.size = Math.max(last.size, item.fontSize)
    } else {
      clusters.push({ baseline: item.y, size: item.fontSize, items: [item] })
    }
  }
  return clusters
}

/**
 * The line a word of small runs or a hanging run belongs to: for a script, the nearest line whose baseline is between
 * 0.85 em below and 0.55 em above it; for a hanging glyph, the line whose math axis is nearest the glyph's middle, if
 * the glyph covers that axis. A script touching a run of a line goes with that line; else horizontal nearness counts.
 */
const bestCluster = (clusters: ReadonlyArray<Cluster>, word: ReadonlyArray<TextItem>): Cluster | undefined => {
  let best: Cluster | undefined
  let bestScore = Infinity
  const first = word[0]!
  const hanging = isHanging(first) || isBigOperator(first)
  const ink = union(word)
  const middle = (ink.top + ink.bottom) / 2
  for (const cluster of clusters) {
    const offset = first.y - cluster.baseline
    let score: number
    if (hanging) {
      const axis = cluster.baseline + 0.25 * cluster.size
      if (axis < ink.bottom - 0.1 * cluster.size || axis > ink.top + 0.1 * cluster.size) continue
      score = Math.abs(middle - axis)
    } else {
      if (offset > 0.85 * cluster.size || offset < -0.55 * cluster.size) continue
      score = Math.abs(offset - 0.1 * cluster.size)
    }
    // a script touches its base: that settles it; otherwise horizontal nearness breaks ties
    const touching = cluster.items.some((base) => Math.abs(first.x - (base.x + base.width)) < 1)
    score += touching ? 0 : 2 + 0.05 * Math.min(...word.map((item) => horizontalDistance(cluster.items, item)))
    if (score < bestScore) {
      best = cluster
      bestScore = score
    }
  }
  return best
}

const horizontalDistance = (items: ReadonlyArray<TextItem>, item: TextItem): number => {
  let best = Infinity
  for (const other of items) {
    const gap = Math.max(other.x - (item.x + item.width), item.x - (other.x + other.width), 0)
    if (gap < best) best = gap
  }
  return best === Infinity ? 0 : Math.min(best, 100)
}

const toLine = (cluster: Cluster): Line => {
  const items = [...cluster.items].sort((a, b) => a.x - b.x)
  const ink = union(items)
  return {
    baseline: cluster.baseline,
    size: cluster.size,
    items,
    left: Math.min(...items.map((item) => item.x)),
    right: Math.max(...items.map((item) => item.x + item.width)),
    top: ink.top,
    bottom: ink.bottom,
    orphan: cluster.orphan === true
  }
}
