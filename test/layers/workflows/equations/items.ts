/**
 * Hand-built glyph runs for the equation-finding tests: a run is text at a baseline, in a font, with a width that
 * defaults to half an em per character.
 */
import type { PageText, TextItem } from "../../../../src/layers/workflows/pdf/Pdf.ts"

export const run = (
  text: string,
  x: number,
  y: number,
  fontName = "CMMI10",
  fontSize = 10,
  width = 0.5 * fontSize * [...text].length
): TextItem => ({ text, x, y, width, fontSize, fontName })

/** a line of prose: words of CMR10 from `x` to `right`, four runs */
export const prose = (y: number, x = 72, right = 522, fontName = "CMR10"): ReadonlyArray<TextItem> => {
  const words = ["Lorem ipsum dolor sit", "amet consectetur adipiscing", "elit sed do eiusmod", "tempor incididunt ut"]
  const step = (right - x) / words.length
  return words.map((text, i) => run(text, x + i * step, y, fontName, 10, step - 3))
}

export const page = (items: ReadonlyArray<TextItem>, width = 595, height = 842, rules: PageText["rules"] = []): PageText => ({
  pageNumber: 1,
  width,
  height,
  items,
  rules
})
