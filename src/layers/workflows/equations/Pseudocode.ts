/**
 * Pseudocode: the steps of an algorithm set as lines of text (`tabbing`, `algorithmic`, `algorithm2e`), which look
 * like short display lines (math-rich, apart from the margin, `W ← max(0, W + S − T)`) but are program steps.
 *
 * What gives them away is the block, not the line: several lines at the text's own line spacing (a display has extra
 * space above and below it), some led by a control keyword (`for`, `while`, `if`, `return`, `end`, `require`, ...;
 * after a line number such as `3:`) or holding an assignment (`←`, `:=`), and lines that start at shared indents (tab
 * stops, or nested under the control line above), where display lines are centred or each set on its own. Only the lines
 * set that way are taken for pseudocode. A single line with an arrow is none: an update rule `θ ← θ − η∇f` may well
 * be displayed, even right after a line of prose that starts with "if".
 *
 * @since 0.1.0
 */
import type { Line } from "./Lines.ts"
import { fontRole } from "./MathGlyphs.ts"

/**
 * The lines of a column (top to bottom, as `Lines.lines` gives them) that belong to pseudocode blocks.
 *
 * @category constructors
 * @since 0.1.0
 */
export const pseudocodeLines = (lines: ReadonlyArray<Line>, body: number): ReadonlySet<Line> => {
  const found = new Set<Line>()
  const led = new Set(lines.filter((line) => !line.orphan && keywordLed(line)))
  if (led.size === 0) return found
  for (const block of tightBlocks(lines.filter((line) => !line.orphan), body)) {
    if (block.length < 3 || !block.some((line) => led.has(line))) continue
    const steps = block.filter((line, i) => led.has(line) || onIndents(block, i, led, body))
    if (isPseudocode(block, steps, led)) for (const line of steps) found.add(line)
  }
  return found
}

/**
 * Whether a line is led by a control keyword of pseudocode, after an optional line number (`3:`), the keyword in a
 * text font (math letters are variables, not keywords).
 *
 * @category predicates
 * @since 0.1.0
 */
export const keywordLed = (line: Line): boolean => {
  const runs = line.items.filter((item) => item.text.trim() !== "")
  let text = ""
  for (const item of runs) {
    const role = fontRole(item.fontName)
    if (role !== "text" && role !== "textItalic") break
    text += ` ${item.text}`
    if (/\p{L}/u.test(text)) break
  }
  const word = /^\s*(?:\d+[:.]\s*)?(\p{L}+)/u.exec(text)?.[1]
  return word !== undefined && keywords.has(word.toLowerCase())
}

// internal

/** control keywords of pseudocode, as `algorithmic`, `algorithm2e` and hand-set `tabbing` blocks print them */
const keywords: ReadonlySet<string> = new Set([
  "for", "foreach", "forall", "while", "do", "repeat", "until", "loop", "if", "then", "else", "elseif", "elsif", "elif",
  "end", "endfor", "endwhile", "endif", "return", "procedure", "function", "require", "ensure", "input", "output",
  "break", "continue"
])

/** lines at most 1.6 body sizes apart, baseline to baseline, in runs: lines of text, no display skip between them */
const tightBlocks = (lines: ReadonlyArray<Line>, body: number): ReadonlyArray<ReadonlyArray<Line>> => {
  const blocks: Array<Array<Line>> = []
  for (const line of lines) {
    const last = blocks.at(-1)
    const previous = last?.at(-1)
    if (last !== undefined && previous !== undefined && previous.baseline - line.baseline <= 1.6 * body) last.push(line)
    else blocks.push([line])
  }
  return blocks
}

/**
 * three lines at least, two of them code (led by a keyword, or assigning), one led by a keyword (`led` holds those), and
 * every assigning line set on the block's indents (`steps`)
 */
const isPseudocode = (block: ReadonlyArray<Line>, steps: ReadonlyArray<Line>, led: ReadonlySet<Line>): boolean => {
  const keywords = block.filter((line) => led.has(line)).length
  const assigning = block.filter(assigns)
  if (keywords === 0 || keywords + assigning.filter((line) => !led.has(line)).length < 2) return false
  return assigning.every((line) => steps.includes(line))
}

/**
 * whether the block's line `i` starts at an indent of the block: where another of its lines starts, or nested under
 * the keyword-led line just above it (less than three ems to the right of it)
 */
const onIndents = (block: ReadonlyArray<Line>, i: number, led: ReadonlySet<Line>, body: number): boolean => {
  const line = block[i]!
  if (block.some((other) => other !== line && Math.abs(other.left - line.left) < 1)) return true
  const above = block[i - 1]
  return above !== undefined && led.has(above) && line.left > above.left && line.left - above.left < 3 * body
}

/** whether a line holds an assignment: `←`, `⟵` or `:=` */
const assigns = (line: Line): boolean => line.items.some((item) => /[←⟵]|:=/.test(item.text))
