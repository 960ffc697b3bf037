/**
 * How sure finding is that a display it found is one: a number in 0..1 from what the display's glyphs show, so that a
 * reader (and the web page) can set the uncertain ones apart.
 *
 * The evidence weighs as a logistic model with hand-set weights: an equation number says "display" most loudly; a
 * relation, a big operator or a stacked layout (fractions, matrices, several lines) next; glyphs that are mostly math
 * and a line apart from the margins a little. A short run of a few glyphs, prose words, rows next to a table's rows, and
 * an unnumbered row that starts with a relation or an operator (a row of a `split`, perhaps, that belongs with the
 * display above) speak against it. `npm run eval:equations` prints how the confidence of the displays that match the truth
 * compares with that of the false ones, to keep the weights honest.
 *
 * @since 0.1.0
 */

/**
 * What a display's glyphs show.
 *
 * @category models
 * @since 0.1.0
 */
export interface Evidence {
  /** an equation number was read beside it */
  readonly numbered: boolean
  /** a relation (`=`, `<`, `\in`, `\to`, ...) among its glyphs */
  readonly relation: boolean
  /** a big operator (`\sum`, `\int`, ...) among its glyphs */
  readonly bigOperator: boolean
  /** set on more than one baseline: fractions, matrices, limits, a formula broken over lines */
  readonly stacked: boolean
  /** math characters over math and prose characters, 0..1 */
  readonly mathShare: number
  /** how many non-blank characters it has */
  readonly characters: number
  /** apart from both edges of its column, as displays are set (`fleqn` sets them flush left, indented) */
  readonly apart: boolean
  /** in a block whose other rows read as the rows of a table */
  readonly besideTable: boolean
  /** starts with a relation or a binary operator: the continuation of a formula, which may be one display with the row above */
  readonly continuation: boolean
  /** the row below it in its block is a continuation: with it, it may be one display (a `split`) */
  readonly leads: boolean
}

/**
 * Below this confidence a display is uncertain: worth a look against the page. Chosen on the papers the heuristics
 * were tuned on (the corpus's tuned part, the project's papers, real papers kept outside the project): it marks more
 * than half of the false displays and about a tenth of the true ones; the corpus test holds it to half and to 0.15.
 *
 * @category constants
 * @since 0.1.0
 */
export const uncertainBelow = 0.9

/**
 * The confidence, rounded to two decimals, in 0.01..0.99.
 *
 * @category constructors
 * @since 0.1.0
 */
export const confidence = (evidence: Evidence): number => {
  let score = -0.5
  if (evidence.numbered) score += 2.5
  if (evidence.relation) score += 1.5
  if (evidence.bigOperator) score += 0.7
  if (evidence.stacked) score += 0.5
  score += 2 * (evidence.mathShare - 0.5)
  if (evidence.characters < 5) score -= 1.5
  if (evidence.apart) score += 0.5
  if (evidence.besideTable) score -= 1.5
  if (evidence.continuation && !evidence.numbered) score -= 1.5
  if (evidence.leads && !evidence.numbered) score -= 0.25
  // never quite 0 or 1: these are heuristics
  return Math.min(0.99, Math.max(0.01, Math.round(100 / (1 + Math.exp(-score))) / 100))
}
