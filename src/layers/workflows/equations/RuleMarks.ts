/**
 * What the page's rules (`PageText.rules`: thin horizontal strokes, horizontal by construction) mean around a formula.
 *
 * TeX draws three kinds of horizontal rule inside math, each as a path that the text layer does not show:
 * - a fraction's bar, between its numerator and its denominator, across both;
 * - a radical's vinculum, from the top of the radical sign to the right over the radicand;
 * - an `\overline`, over its base, with nothing close above it.
 *
 * @since 0.1.0
 */
import type { Rule, TextItem } from "../pdf/Pdf.ts"
import { extent } from "./Ink.ts"
import { isRadical } from "./MathGlyphs.ts"

/**
 * Whether a horizontal rule lies between a fraction's parts, under the one and over the other, across both. The parts'
 * middle baselines count: a part may hold a script or a limit that reaches past the bar's height.
 *
 * @category classification
 * @since 0.1.0
 */
export const barBetween = (
  above: ReadonlyArray<TextItem>,
  below: ReadonlyArray<TextItem>,
  rules: ReadonlyArray<Rule>
): boolean => {
  if (above.length === 0 || below.length === 0) return false
  const lowest = median(above.map((item) => item.y))
  const highest = median(below.map((item) => item.y))
  return rules.some((rule) =>
    rule.top < lowest && rule.bottom > highest &&
    above.some((item) => overlapsRule(item, rule)) && below.some((item) => overlapsRule(item, rule))
  )
}

/**
 * Whether the item and the rule share some of their horizontal extent.
 *
 * @category classification
 * @since 0.1.0
 */
export const overlapsRule = (item: TextItem, rule: Rule): boolean =>
  Math.min(item.x + item.width, rule.right) - Math.max(item.x, rule.left) > 0

/**
 * Whether a rule lies on the math axis of `baseline` (a quarter em over it), across some of the runs: a fraction's bar
 * on that baseline.
 *
 * @category predicates
 * @since 0.1.0
 */
export const barOnAxis = (
  items: ReadonlyArray<TextItem>,
  baseline: number,
  size: number,
  rules: ReadonlyArray<Rule> | undefined
): boolean =>
  (rules ?? []).some((rule) =>
    Math.abs((rule.top + rule.bottom) / 2 - (baseline + 0.25 * size)) <= 0.15 * size &&
    items.some((item) => overlapsRule(item, rule))
  )

/**
 * The rules that touch a box, with `margin` points to spare.
 *
 * @category combinators
 * @since 0.1.0
 */
export const rulesNear = (
  rules: ReadonlyArray<Rule>,
  box: { readonly left: number; readonly bottom: number; readonly right: number; readonly top: number },
  margin = 2
): ReadonlyArray<Rule> =>
  rules.filter((rule) =>
    rule.right >= box.left - margin && rule.left <= box.right + margin && rule.top >= box.bottom - margin &&
    rule.bottom <= box.top + margin
  )

/**
 * The rules across any of the items.
 *
 * @category combinators
 * @since 0.1.0
 */
export const barsAcross = (items: ReadonlyArray<TextItem>, rules: ReadonlyArray<Rule>): ReadonlyArray<Rule> =>
  rules.filter((rule) => items.some((item) => overlapsRule(item, rule)))

/**
 * The vinculum of a radical sign: the horizontal rule that starts where the sign ends, at the sign's height.
 *
 * @category constructors
 * @since 0.1.0
 */
export const vinculumOf = (radical: TextItem, rules: ReadonlyArray<Rule>): Rule | undefined => {
  const ink = extent(radical)
  const end = radical.x + radical.width
  return rules.find((rule) =>
    Math.abs(rule.left - end) < 1.5 && rule.bottom >= ink.bottom && rule.top <= ink.top + 1.5
  )
}

/**
 * The overlines among the rules, as accent runs (`‾`, read as `\overline`) over their bases: a horizontal rule with
 * runs close under it, across its middle, and none close over it (that would make it a fraction's bar), that starts
 * at no radical sign.
 *
 * @category constructors
 * @since 0.1.0
 */
export const overlines = (
  items: ReadonlyArray<TextItem>,
  rules: ReadonlyArray<Rule>,
  size: number
): ReadonlyArray<TextItem> =>
  rules.flatMap((rule): ReadonlyArray<TextItem> => {
    if (rule.right - rule.left > 30 * size) return []
    const middle = (rule.left + rule.right) / 2
    const across = items.filter((item) => overlapsRule(item, rule))
    const under = across.filter((item) => {
      const top = extent(item).top
      return top <= rule.bottom + 0.1 * size && rule.bottom - top < 0.35 * size
    })
    const over = across.some((item) => {
      const bottom = extent(item).bottom
      return bottom >= rule.top - 0.1 * size && bottom - rule.top < 0.8 * size
    })
    const holds = under.some((item) => item.x - 0.5 <= middle && middle <= item.x + item.width + 0.5)
    if (!holds || over) return []
    // a run of the extension font may end with the sign (`\bigl(\sqrt` is one run)
    const radical = items.some((item) =>
      vinculumOf(item, [rule]) !== undefined && (isRadical(item) || isRadical({ ...item, text: item.text.trim().slice(-1) }))
    )
    if (radical) return []
    return [{
      text: overlineAccent,
      x: rule.left,
      y: rule.bottom,
      width: rule.right - rule.left,
      fontSize: size,
      fontName: "rule"
    }]
  })

/**
 * The character an overline stands for as an accent run.
 *
 * @category constants
 * @since 0.1.0
 */
export const overlineAccent = "‾"

// internal

const median = (values: ReadonlyArray<number>): number => [...values].sort((a, b) => a - b)[values.length >> 1]!
