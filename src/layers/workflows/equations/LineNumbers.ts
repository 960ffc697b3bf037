/**
 * The line numbers a manuscript prints in its margin (`lineno`, the `manuscript` option of many journal classes):
 * small integers stacked at one x, beside the text. They are no part of any line: left in, they make a display start
 * at the margin (so it reads as prose) and sit where an equation number on the left would.
 *
 * @since 0.1.0
 */
import type { PageText, TextItem } from "../pdf/Pdf.ts"

/**
 * The page without its margin line numbers: runs that are only an integer, at an x (left or right edge, within about a
 * point) shared by ten such runs or more, outside the x range of the page's other text (but for two stray runs),
 * counting up from the top of the page.
 *
 * @category constructors
 * @since 0.1.0
 */
export const withoutLineNumbers = (page: PageText): PageText => {
  const numbers = page.items.filter((item) => /^\d{1,5}$/.test(item.text.trim()))
  if (numbers.length < minimum) return page
  const margin = new Set<TextItem>()
  for (const edge of [(item: TextItem) => item.x, (item: TextItem) => item.x + item.width]) {
    const byEdge = new Map<number, Array<TextItem>>()
    for (const item of numbers) {
      const key = Math.round(edge(item) * 2)
      const column = byEdge.get(key) ?? byEdge.get(key - 1) ?? byEdge.get(key + 1)
      if (column === undefined) byEdge.set(key, [item])
      else column.push(item)
    }
    for (const column of byEdge.values()) {
      if (column.length < minimum) continue
      // counting down the page, as lines are numbered
      const counted = [...column].sort((a, b) => b.y - a.y).every((item, i, sorted) =>
        i === 0 || Number(item.text) > Number(sorted[i - 1]!.text)
      )
      if (!counted) continue
      const left = Math.min(...column.map((item) => item.x))
      const right = Math.max(...column.map((item) => item.x + item.width))
      const own = new Set(column)
      // beside the text, not in it: nothing else starts left of the column's right edge (left margin) or ends right of
      // its left edge (right margin), but for a stray mark or two
      let startLeft = 0
      let endRight = 0
      for (const item of page.items) {
        if (own.has(item)) continue
        if (item.x < right) startLeft++
        if (item.x + item.width > left) endRight++
        if (startLeft > 2 && endRight > 2) break
      }
      if (startLeft <= 2 || endRight <= 2) for (const item of column) margin.add(item)
    }
  }
  return margin.size === 0 ? page : { ...page, items: page.items.filter((item) => !margin.has(item)) }
}

// internal

/** how many numbers make a column of line numbers: a page numbers every line, or every fifth */
const minimum = 10
