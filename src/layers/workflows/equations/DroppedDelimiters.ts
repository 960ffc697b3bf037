/**
 * Putting back the big opening parentheses that pdf.js drops.
 *
 * TeX's extension font (`cmex`) has `\Biggl(` at code 32, where a text font has its space; pdf.js reads the glyph as
 * white space and leaves it out of the text, while its partner `\Biggr)` (code 33, `!`) comes through. `\left(` picks
 * that size around a sum with limits or a tall fraction, so the loss is common. Each `\Biggr)` without its opening gets
 * one back: where TeX set it, the nearest empty gap to its left at least as wide as the closing glyph, with no ink over
 * the closing glyph's height (the opening has the same size as its partner).
 *
 * @since 0.1.0
 */
import type { TextItem } from "../pdf/Pdf.ts"
import { extent } from "./Ink.ts"
import { extensionGlyph, fontRole, restoredGlyph } from "./MathGlyphs.ts"

/**
 * The runs with an opening `\Biggl(` put back for every `\Biggr)` that has none.
 *
 * @category constructors
 * @since 0.1.0
 */
export const restoreOpenings = (items: ReadonlyArray<TextItem>): ReadonlyArray<TextItem> => {
  const closings = items.flatMap(biggClosings).sort((a, b) => a.x - b.x)
  if (closings.length === 0) return items
  const runs = [...items]
  for (const closing of closings) {
    const opening = openingFor(closing, runs)
    if (opening !== undefined) runs.push(opening)
  }
  return runs
}

// internal

const biggOpening = 0x20
const biggClosing = "!"

/**
 * the `\Biggr)` glyphs of a run of TeX's extension font, each as a run of its own (a run of several glyphs, such as
 * `!#` for `\Biggr)\Biggr]`, shares its width out evenly)
 */
const biggClosings = (item: TextItem): ReadonlyArray<TextItem> => {
  if (!item.text.includes(biggClosing) || fontRole(item.fontName) !== "mathExtension") return []
  if (extensionGlyph(biggClosing, item.fontName, 0)?.latex !== ")") return []
  const glyphs = [...item.text.trim()]
  const width = item.width / glyphs.length
  return glyphs.flatMap((glyph, i) =>
    glyph === biggClosing ? [{ ...item, text: biggClosing, x: item.x + i * width, width }] : []
  )
}

const openingFor = (closing: TextItem, runs: ReadonlyArray<TextItem>): TextItem | undefined => {
  const height = extent(closing)
  // what stands over the closing glyph's height to its left, left to right
  const blockers = runs
    .filter((item) => item.x < closing.x - 0.1)
    .filter((item) => {
      const ink = extent(item)
      return ink.top > height.bottom && ink.bottom < height.top
    })
    .sort((a, b) => a.x + a.width - (b.x + b.width))
  let right = closing.x
  for (let i = blockers.length - 1; i >= -1; i--) {
    // the gap between the rightmost blocker that ends before `right` and `right`
    const blocker = blockers[i]
    const end = blocker === undefined ? -Infinity : blocker.x + blocker.width
    if (end > right - 0.1) {
      right = Math.min(right, blocker!.x)
      continue
    }
    if (right - end >= 0.9 * closing.width) {
      return { ...closing, text: restoredGlyph(biggOpening), x: right - closing.width }
    }
    right = Math.min(right, blocker!.x)
  }
  return undefined
}
