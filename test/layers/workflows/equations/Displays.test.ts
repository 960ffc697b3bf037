import { assert, describe, it } from "@effect/vitest"
import type { TextItem } from "../../../../src/layers/workflows/pdf/Pdf.ts"
import { columns } from "../../../../src/layers/workflows/equations/Columns.ts"
import { displays } from "../../../../src/layers/workflows/equations/Displays.ts"
import { page, prose, run } from "./items.ts"

/** the displays of a one-column page of the given runs (body size 10) */
const found = (items: ReadonlyArray<TextItem>) => displays(columns(page(items))[0]!, 10)

/** paragraphs of prose: lines at the given baselines */
const paragraphs = (...baselines: ReadonlyArray<number>) => baselines.flatMap((y) => prose(y))

/** `x = y + 1` centred at baseline `y`, from x = 270 */
const formula = (y: number, x = 270) => [
  run("x", x, y),
  run("=", x + 8.6, y, "CMR10", 10, 7.8),
  run("y", x + 19.3, y),
  run("+", x + 26.3, y, "CMR10", 10, 7.8),
  run("1", x + 36.4, y, "CMR10", 10, 5)
]

describe("Displays", () => {
  it("finds a centred, numbered display between prose, with its context", () => {
    const display = [...formula(650), run("(1)", 508, 650, "CMR10", 10, 14)]
    const [equation, ...others] = found([...paragraphs(700, 688, 676), ...display, ...paragraphs(624, 612)])
    assert.strictEqual(others.length, 0)
    assert.strictEqual(equation!.number?.text, "(1)")
    assert.strictEqual(equation!.number?.side, "right")
    assert.strictEqual(equation!.items.length, 5, "the number is not part of the formula")
    assert.closeTo(equation!.bbox.left, 270, 0.01)
    assert.closeTo(equation!.bbox.bottom, 648, 0.01) // the descender of y
    assert.isAbove(equation!.bbox.top, 655)
    assert.include(equation!.context.before, "Lorem ipsum")
    assert.include(equation!.context.after, "Lorem ipsum")
  })

  it("takes a formula's first line, set at the margin and ending in a relation, for a display, not for prose", () => {
    // p(\cos i) = \frac{2}{\pi} \int ...: the first line at the margin, the rest indented, its number on a line below
    const head = [
      run("p", 72, 650), run("(cos", 77, 650, "CMR10", 10, 18), run("i", 96, 650), run(")", 100, 650, "CMR10", 10, 4),
      run("=", 106, 650, "CMR10", 10, 7.7)
    ]
    const rest = [
      run("α", 100, 641, "CMMI10", 10, 5.7), run("π", 100, 627, "CMMI10", 10, 5.7), run("∫", 110, 634, "CMSY10", 10, 5),
      ...formula(634, 118), run("+", 168, 634, "CMR10", 10, 7.7), ...formula(634, 180)
    ]
    const display = [...head, ...rest, run("(25)", 508, 620, "CMR10", 10, 18)]
    const rows = found([...paragraphs(700, 688, 676), ...display, ...paragraphs(596, 584)])
    // a display, as align's rows are apart (`p(\cos i) &= \nonumber\\ &\frac{2}{\pi} ..`); it is no prose
    assert.deepStrictEqual(rows.map((row) => row.number?.text), [undefined, "(25)"])
    assert.isTrue(rows[0]!.items.some((item) => item.text === "(cos"))
  })

  it("keeps the rows of a formula too wide for its number on the left, pushed up over it, with that number", () => {
    const rows = [
      ...formula(640, 90), run("+ y + y + y + y + y + y + y + y", 140, 640, "CMMI10", 10, 300),
      run("=", 130, 622, "CMR10", 10, 7.8), ...formula(622, 142),
      run("+", 130, 604, "CMR10", 10, 7.8), ...formula(604, 142)
    ]
    const display = [run("(64)", 72, 656, "CMR10", 10, 18), ...rows]
    const found_ = found([...paragraphs(700, 688, 676), ...display, ...paragraphs(580, 568)])
    assert.deepStrictEqual(found_.map((row) => row.number?.text), ["(64)"])
    assert.strictEqual(found_[0]!.number?.side, "left")
  })

  it("keeps the rows of a formula too wide for its number on the right, pushed down under it, with that number", () => {
    const rows = [
      ...formula(650, 100), run("+ y + y + y + y + y + y + y + y", 150, 650, "CMMI10", 10, 300),
      run("=", 140, 632, "CMR10", 10, 7.8), ...formula(632, 152),
      run("+", 140, 614, "CMR10", 10, 7.8), ...formula(614, 152), run("+ y + y + y + y + y + y + y", 200, 614, "CMMI10", 10, 290)
    ]
    const display = [...rows, run("(64)", 504, 598, "CMR10", 10, 18)]
    const found_ = found([...paragraphs(700, 688, 676), ...display, ...paragraphs(570, 558)])
    assert.deepStrictEqual(found_.map((row) => row.number?.text), ["(64)"])
  })

  it("takes a short remark in parentheses, centred under a figure, for no display", () => {
    const remark = [run("(", 270, 650, "CMR10", 10, 4), run("n", 274, 650), run("= 35,364)", 280, 650, "CMR10", 10, 44)]
    assert.strictEqual(found([...paragraphs(700, 688, 676), ...remark, ...paragraphs(624, 612)]).length, 0)
    // a formula in parentheses is one
    const formula_ = [run("(", 270, 650, "CMR10", 10, 4), ...formula(650, 274), run("+ z)", 316, 650, "CMMI10", 10, 16)]
    assert.strictEqual(found([...paragraphs(700, 688, 676), ...formula_, ...paragraphs(624, 612)]).length, 1)
  })

  it("takes a line that starts with `where` off centre for the sentence going on after a display", () => {
    const display = [...formula(650), run("(1)", 508, 650, "CMR10", 10, 14)]
    // a new paragraph: `where q \in Q and J^2 = \gamma.`, at the paragraph's indent
    const where = [
      run("where", 87, 626, "CMR10", 10, 26), run("q", 116, 626), run("∈ Q", 122, 626, "CMSY10", 10, 16),
      run("and", 141, 626, "CMR10", 10, 16), ...formula(626, 160), run("≤ γ", 204, 626, "CMSY10", 10, 16)
    ]
    const [equation, ...others] = found([...paragraphs(700, 688, 676), ...display, ...where, ...paragraphs(602, 590)])
    assert.strictEqual(others.length, 0)
    assert.strictEqual(equation!.number?.text, "(1)")
    // centred with the formula, the words are the display's own (`\text{for } j = 0, \dots, q`)
    const centred = [run("for", 240, 626, "CMR10", 10, 13), ...formula(626, 258), run("and", 306, 626, "CMR10", 10, 16), ...formula(626, 326)]
    assert.strictEqual(found([...paragraphs(700, 688, 676), ...display, ...centred, ...paragraphs(602, 590)]).length, 2)
  })

  it("finds a display in a part set small throughout, at that part's size, apart from the lines around it", () => {
    const small = (items: ReadonlyArray<TextItem>) => items.map((item) => ({ ...item, fontSize: 9, width: 0.9 * item.width }))
    // an algorithm in \small: its steps are prose at 9 pt, and a display of its own at 9 pt
    const algorithm = [...small(paragraphs(650, 640)), ...small(formula(620)), ...small(paragraphs(600, 590))]
    assert.strictEqual(found([...paragraphs(700, 688, 676), ...algorithm, ...paragraphs(560, 548)]).length, 1)
    // a formula squeezed between the part's lines (a tall delimiter's rows) is none
    const squeezed = [...small(paragraphs(650, 640)), ...small(formula(633)), ...small(paragraphs(626, 616))]
    assert.strictEqual(found([...paragraphs(700, 688, 676), ...squeezed, ...paragraphs(580, 568)]).length, 0)
    // a small line between lines of body size is not a display of its own size
    assert.strictEqual(found([...paragraphs(700, 688, 676, 664), ...small(formula(640)), ...paragraphs(616, 604)]).length, 0)
  })

  it("takes the items of a list labelled with tags for prose, not for displays numbered on the left", () => {
    // \item[(a)] $x = y + 1$; at the list's indent, the formula right after its label; and one centred display
    const items = [run("(a)", 92, 660, "CMR10", 10, 12), ...formula(660, 110), run("(b)", 92, 648, "CMR10", 10, 12), ...formula(648, 110)]
    assert.strictEqual(found([...paragraphs(700, 688), ...items, ...paragraphs(624)]).length, 0)
    assert.strictEqual(found([...paragraphs(700, 688), ...formula(660), ...paragraphs(636)]).length, 1)
  })

  it("keeps the three rows of an aligned block with its number on the middle row, a script's own line going with its row", () => {
    // x_n = [\sum_i^n h_i]^2 \\ = \sum_i^n\sum_j^n h_i h_j (S-2) \\ = \sum_i^n h_i^2 + ..: the `2` after the bracket makes
    // a line of its own, over the third row's second sum but far from it (a revtex supplement, runs as on its page)
    const sum = (x: number, y: number) => [run("n", x + 4.7, y + 12.4, "CMMI7", 7, 4.9), run("X", x, y + 9.4, "CMEX10", 10, 14.4), run("i", x + 5.8, y - 11.8, "CMMI7", 7, 2.8)]
    const rows = [
      run("x", 381.2, 360.1, "CMMI10", 10, 5.7), run("n", 386.9, 358.6, "CMMI7", 7, 4.9), run("=", 395.1, 360.1, "CMR10", 10, 7.7),
      run("\"", 405.6, 377.1, "CMEX10", 10, 5.8), ...sum(411.4, 360.1), run("h", 427.5, 360.1, "CMMI10", 10, 5.7),
      run("#", 436.5, 377.1, "CMEX10", 10, 5.8), run("2", 442.3, 375.1, "CMR7", 7, 4),
      run("=", 395.1, 326.9, "CMR10", 10, 7.7), ...sum(405.6, 326.9), ...sum(421.7, 326.9), run("h", 437.7, 326.9, "CMMI10", 10, 5.7),
      run("(S-2)", 540.5, 326.3, "CMR10", 10, 21.6),
      run("=", 395.1, 292.4, "CMR10", 10, 7.7), ...sum(405.6, 292.4), run("h", 421.7, 292.4, "CMMI10", 10, 5.7),
      run("+", 434.1, 292.4, "CMR10", 10, 7.7), ...sum(444.0, 292.4), ...sum(460.1, 292.4), run("h", 476.1, 292.4, "CMMI10", 10, 5.7)
    ]
    const [block, ...others] = found([...paragraphs(440, 428, 416), ...rows, ...paragraphs(250, 238)])
    assert.strictEqual(others.length, 0)
    assert.strictEqual(block!.number?.text, "(S-2)")
    assert.strictEqual(block!.parts.length, 3)
    assert.isTrue(block!.rows)
    assert.include(block!.parts[0]!.map((item) => item.y), 375.1)
  })

  it("keeps a fraction that opens a display with it, when an accent under the formula shares the denominator's line", () => {
    // \frac{\partial L}{\partial d} = V + \b{\mu} (1): the bar under μ is on the denominator's baseline
    const rows = [
      run("∂L", 217.7, 376.2, "CMMI10", 10, 12.7), run("∂d", 216.7, 362.6, "CMMI10", 10, 11),
      run("=", 235.2, 369.5, "CMR10", 10, 7.7), run("V", 246, 369.5, "CMMI10", 10, 6), run("+", 255, 369.5, "CMR10", 10, 7.7),
      run("µ", 266, 369.5, "CMMI10", 10, 6), run("¯", 266.5, 362.6, "CMR10", 10, 5), run("(1)", 508, 369.5, "CMR10", 10, 14)
    ]
    const [display, ...others] = found([...paragraphs(420, 408, 396), ...rows, ...paragraphs(340, 328)])
    assert.strictEqual(others.length, 0)
    assert.includeMembers(display!.items.map((item) => item.text), ["∂L", "∂d", "="])
  })

  it("takes the last line of a paragraph for prose, though it is short and mostly math", () => {
    // `... the refinement factor (we use` then `ρ = 0.4).` from the paragraph's margin; a figure's label further left
    // (at 60) moves the column's edge away from the margin
    const label = run("(a)", 60, 760, "CMR10", 10, 12)
    const tail = [run("ρ", 72, 676), run("=", 80.6, 676, "CMR10", 10, 7.8), run("0.4).", 91.3, 676, "CMR10", 10, 18)]
    assert.strictEqual(found([label, ...paragraphs(700, 688), ...tail, ...paragraphs(652)]).length, 0)
    // the same from the middle of the column, with space around it, is a display
    const apart = tail.map((item) => ({ ...item, x: item.x + 180 }))
    assert.strictEqual(found([label, ...paragraphs(700, 688), ...apart, ...paragraphs(652)]).length, 1)
  })

  it("finds a long row of math with no word of prose, though it fills its line from the margin", () => {
    const symbols = ["h", "=", "R", "(", "P", ")", "‖", "P", "−", "Q", "‖", "+", "γ", "(", "P", ")", "‖", "x", "−", "y", "‖"]
    const row = symbols.map((text, i) => run(text, 76 + 21.5 * i, 664, /[=()‖+−]/.test(text) ? "CMR10" : "CMMI10", 10, 8))
    assert.strictEqual(found([...paragraphs(700, 688), ...row, ...paragraphs(640)]).length, 1)
  })

  it("finds a formula reaching past the right margin, from near the left one, with less math than a long row", () => {
    const symbols = ["h", "=", "R", "(", "P", ")", "+", "γ", "(", "P", ")"]
    const row = symbols.map((text, i) => run(text, 80 + 46 * i, 664, /[=()+]/.test(text) ? "CMR10" : "CMMI10", 10, 8))
    assert.strictEqual(found([...paragraphs(700, 688), ...row, ...paragraphs(640)]).length, 1)
    // the same ending at the margin is set like prose
    const justified = row.map((item, i) => ({ ...item, x: 80 + 43.1 * i }))
    assert.strictEqual(found([...paragraphs(700, 688), ...justified, ...paragraphs(640)]).length, 0)
  })

  it("finds letters under accents, dots or a radical, a display of their own, though a row of bare letters is none", () => {
    const context = (...items: ReadonlyArray<TextItem>) => found([...paragraphs(700, 688), ...items, ...paragraphs(630)])
    // `\Tilde{\Tilde{T}}\quad\Acute{\Acute{A}}`
    const accented = [
      run("T", 270, 660), run("˜", 272, 661, "CMR10", 10, 5), run("˜", 272, 663, "CMR10", 10, 5),
      run("A", 300, 660), run("´", 302, 661, "CMR10", 10, 5), run("´", 302, 663, "CMR10", 10, 5)
    ]
    assert.strictEqual(context(...accented).length, 1)
    // `\sqrt[\beta]{k}`
    assert.strictEqual(context(run("√", 295, 660, "CMSY10", 10, 8), run("β", 293, 664, "CMMI7", 7, 4), run("k", 304, 660)).length, 1)
    // `\dddot{Q}\qquad\ddddot{R}`: the dots are periods on a line of their own
    const dotted = [run("...", 280, 668, "CMR10", 10, 6), run("Q", 280, 660), run("....", 310, 668, "CMR10", 10, 8), run("R", 310, 660)]
    assert.strictEqual(context(...dotted).length, 1)
    assert.strictEqual(context(run("Q", 280, 660), run("R", 310, 660)).length, 0)
  })

  it("finds a numbered display whose spine is words, fractions' numerators and denominators in its gaps", () => {
    // `\text{\texttt{\textbackslash over}: } \genfrac{}{}{}{}{n+1}{2} \text{\texttt{\textbackslash overwithdelims}: } ...`
    const fraction = (x: number) => [run("n", x, 655), run("+ 1", x + 8, 655, "CMR10", 10, 15), run("2", x + 9, 641.6, "CMR10", 10, 5)]
    const display = [
      run("\\over", 189, 648, "CMTT10", 10, 26), run(":", 215, 648, "CMR10", 10, 3), ...fraction(224),
      run("\\overwithdelims", 303, 648, "CMTT10", 10, 78), run(":", 382, 648, "CMR10", 10, 3), ...fraction(397),
      run("(56)", 501, 648, "CMR10", 10, 18)
    ]
    const [equation, ...others] = found([...paragraphs(700, 688, 676), ...display, ...paragraphs(616, 604)])
    assert.strictEqual(others.length, 0)
    assert.strictEqual(equation!.number?.text, "(56)")
    assert.strictEqual(equation!.items.length, 10)
  })

  it("takes a caption that holds a formula for prose", () => {
    const caption = [run("Figure 1.", 200, 660, "CMR10", 10, 40), run("Q", 244, 660), run("=", 252.6, 660, "CMR10", 10, 7.8), run("xyz", 263.3, 660, "CMMI10", 10, 15)]
    assert.strictEqual(found([...paragraphs(700, 688), ...caption, ...paragraphs(636)]).length, 0)
    assert.strictEqual(found([...paragraphs(700, 688), ...caption.slice(1), ...paragraphs(636)]).length, 1)
  })

  it("finds an unnumbered display that stands apart from the margins", () => {
    assert.strictEqual(found([...paragraphs(700, 688), ...formula(660), ...paragraphs(636)]).length, 1)
  })

  it("finds a flush-left display (fleqn) with its number on the left (leqno), math letters in the text italic", () => {
    // txfonts: U and S in Times Italic, Var and 2 in Times Roman; only σ, = and + in math fonts
    const row = [
      run("(2b)", 72, 650, "NimbusRomNo9L-Regu", 12, 19.9),
      run("Var", 101.3, 650, "NimbusRomNo9L-Regu", 12, 16.6),
      run("U", 119.9, 650, "NimbusRomNo9L-ReguItal", 12, 8.6),
      run("=", 132.7, 650, "rtxr", 12, 7.6),
      run("σ", 143.6, 650, "rtxmi", 12, 8.1),
      run("S", 151.7, 647, "NimbusRomNo9L-ReguItal", 8, 4),
      run("+", 160.1, 650, "rtxr", 12, 7.6),
      run("σ", 170.4, 650, "rtxmi", 12, 8.1),
      run("T", 178.5, 647, "NimbusRomNo9L-ReguItal", 8, 4.4),
      run(",", 184.4, 650, "rtxmi", 12, 3)
    ]
    const text = (y: number) => prose(y, 72, 522, "NimbusRomNo9L-Regu")
    const [equation, ...others] = displays(columns(page([...text(700), ...text(686), ...row, ...text(622)]))[0]!, 12)
    assert.strictEqual(others.length, 0)
    assert.strictEqual(equation!.number?.text, "(2b)")
    assert.strictEqual(equation!.number?.side, "left")
    assert.strictEqual(equation!.items.length, 9)
  })

  it("finds the rows of a flalign, which start at the margin with a label", () => {
    // d = 1 :   p(0) = 2^{-2n}   (2), the label flush left in the text italic (pxfonts)
    const row = (y: number, label: string, number: string) => [
      run("d", 72, y, "URWPalladioL-Ital", 10, 5),
      run("=", 79.8, y, "Rpxr", 10, 6.7),
      run(label, 89.2, y, "URWPalladioL-Roma", 10, 7.5),
      run("p", 160, y, "URWPalladioL-Ital", 10, 5),
      run("(0)", 165, y, "URWPalladioL-Roma", 10, 11.6),
      run("=", 179.4, y, "Rpxr", 10, 6.7),
      run("2", 190, y, "URWPalladioL-Roma", 10, 5),
      run("−2n", 195, y + 4, "Pxsy", 7, 12),
      run(number, 508, y, "URWPalladioL-Roma", 10, 11.6)
    ]
    const items = [...paragraphs(700, 688), ...row(660, "1:", "(2)"), ...row(640, "2:", "(3)"), ...paragraphs(612)]
    assert.deepStrictEqual(found(items).map((equation) => equation.number?.text), ["(2)", "(3)"])
    assert.closeTo(found(items)[0]!.bbox.left, 72, 0.01, "the label is part of the row")
  })

  it("joins the lines of a multline: flush left, centred, flush right with the number", () => {
    // the first line from the margin (plus \multlinegap), `first` wide; the middle one centred, from `middle`
    const multline = (first: number, middle: number) => [
      ...paragraphs(700, 688),
      run("(1 − δ)", 82, 660, "CMMI10", 10, 30), run("x", 115, 660), run("=", 125, 660, "CMR10", 10, 7.8), run("a + b + c + d", 140, 660, "CMMI10", 10, first),
      run("≤", middle, 640, "CMSY10", 10, 7.8), run("e + f + g + h", middle + 15, 640, "CMMI10", 10, 2 * (297 - middle) - 15),
      run("≤", 300, 620, "CMSY10", 10, 7.8), run("l + m + n + o", 315, 620, "CMMI10", 10, 160), run("(2.7)", 500, 620, "CMR10", 10, 22),
      ...paragraphs(592)
    ]
    const [equation, ...others] = found(multline(160, 180))
    assert.strictEqual(others.length, 0)
    assert.strictEqual(equation!.number?.text, "(2.7)")
    assert.strictEqual(equation!.parts.length, 3)
    assert.isFalse(equation!.rows, "one formula broken over lines")
    // in a narrow column the first line may fill its line
    assert.deepStrictEqual(found(multline(380, 250)).map((row) => [row.number?.text, row.parts.length]), [["(2.7)", 3]])
    // the rows of an align* that start at the relation of the row above are rows of their own
    const align = [
      ...paragraphs(700, 688),
      run("f(x)", 82, 660, "CMMI10", 10, 60), run("=", 180, 660, "CMR10", 10, 7.8), run("a + b + c + d", 195, 660, "CMMI10", 10, 160),
      run("≤", 180, 640, "CMSY10", 10, 7.8), run("e + f + g + h + i + j + k", 195, 640, "CMMI10", 10, 240),
      ...paragraphs(612)
    ]
    assert.strictEqual(found(align).length, 2)
    // two lines: the second, numbered, long, going on with a relation only a little further in than the first
    const two = [
      ...paragraphs(700, 688),
      run("(Σ x)", 82, 660, "CMMI10", 10, 30), run("det K(t)", 115, 660, "CMMI10", 10, 60),
      run("=", 110, 640, "CMR10", 10, 7.8), run("(Π y) Σ (−1) per A det A", 125, 640, "CMMI10", 10, 360), run("(16)", 500, 640, "CMR10", 10, 19),
      ...paragraphs(612)
    ]
    assert.deepStrictEqual(found(two).map((row) => [row.number?.text, row.parts.length]), [["(16)", 2]])
  })

  it("keeps an overbrace's label and an underbrace's label with their formula", () => {
    // = 4 ∑ a_k  with `= b` over the sum (over a brace), then  p = ∑ c  with `k pairs` under c (under a brace)
    const overbrace = [
      run("=", 260, 640, "CMR10", 10, 7.8), run("4", 272, 640, "CMR10", 10, 5),
      run("=", 294, 672, "CMR7", 7, 5), run("(", 299, 672, "CMR10", 10, 3.3), run("b", 303, 672, "CMMI7", 7, 4), run(")", 308, 672, "CMR10", 10, 3.3),
      run("z", 286, 662, "CMEX10", 10, 6.5), run("}|", 296, 662, "CMEX10", 10, 13), run("{", 313, 662, "CMEX10", 10, 6.5),
      run("X", 290, 651, "CMEX10", 10, 14.4), run("a", 306, 640), run("(4)", 508, 640, "CMR10", 10, 14)
    ]
    const underbrace = [
      run("p", 250, 600), run("=", 258, 600, "CMR10", 10, 7.8), run("c + d", 280, 600, "CMMI10", 10, 30),
      run("|", 278, 590, "CMEX10", 10, 6.5), run("{z", 290, 590, "CMEX10", 10, 13), run("}", 305, 590, "CMEX10", 10, 6.5),
      run("k pairs", 282, 580, "CMR7", 7, 25), run("(5)", 508, 600, "CMR10", 10, 14)
    ]
    const rows = found([...paragraphs(720, 708, 696), ...overbrace, ...underbrace, ...paragraphs(560)])
    assert.deepStrictEqual(rows.map((row) => [row.number?.text, row.items.length]), [["(4)", 11], ["(5)", 7]])
  })

  it("does not report math in a title block, set larger or smaller than the body", () => {
    const items = [
      run("Return probabilities on", 200, 760, "CMBX12", 17.2, 200),
      run("n ≥ 3, d ∈ {1, 2, 3}", 250, 736, "CMMI12", 12, 90),
      run("d ∈ {1, 2, 3}", 265, 720, "CMMI9", 9, 60),
      ...paragraphs(690, 678, 666)
    ]
    assert.deepStrictEqual(found(items), [])
  })

  it("does not report inline math, centred prose, or prose that starts at the margin", () => {
    const inline = [run("We have", 72, 650, "CMR10", 10, 40), ...formula(650, 115), run("and so on until the end", 160, 650, "CMR10", 10, 362)]
    const centredProse = [run("the skew comes from the correlation, the smile", 200, 626, "NimbusRomNo9L-ReguItal", 10, 200)]
    const mathAtMargin = formula(602, 72)
    const items = [...paragraphs(700, 688, 676, 664), ...inline, ...paragraphs(638), ...centredProse, ...paragraphs(614), ...mathAtMargin, ...paragraphs(590)]
    assert.deepStrictEqual(found(items), [])
  })

  it("does not report pseudocode set as text, with arrows and keywords", () => {
    const step = (y: number, x: number, ...texts: ReadonlyArray<string>) =>
      texts.map((text, i) => run(text, x + 30 * i, y, i % 2 === 0 ? "CMMI10" : "CMSY10", 10, 10))
    const items = [
      ...paragraphs(700, 688),
      run("Algorithm 1.", 72, 664, "CMBX10", 10, 60),
      ...step(652, 82, "W", "←", "0;", "Σ", "←", "0"),
      run("for", 82, 640, "CMBX10", 10, 15), ...step(640, 100, "n", "=", "1, 2, . . . , N"), run("do", 180, 640, "CMBX10", 10, 12),
      ...step(628, 92, "W", "←", "max(0, W + S − T);", "Σ", "←", "Σ + W"),
      run("return", 82, 616, "CMBX10", 10, 30), ...step(616, 115, "Σ/N"),
      ...paragraphs(590)
    ]
    assert.deepStrictEqual(found(items), [])
  })

  it("does not report a table of numbers", () => {
    const row = (y: number) =>
      [run("2019-06", 150, y, "CMR10", 10, 33), ...[200, 250, 300, 350].map((x, i) => run(`0.${i}5`, x, y, "CMR10", 10, 20))]
    const header = [run("date", 150, 660, "CMR10", 10, 17), run("κ", 205, 660), run("θ", 255, 660), run("σ", 305, 660), run("ρ", 355, 660)]
    const items = [...paragraphs(700, 688), ...header, ...row(648), ...row(636), ...row(624), ...paragraphs(596)]
    assert.deepStrictEqual(found(items), [])
  })

  it("splits the rows of a gather, each with its number", () => {
    const items = [
      ...paragraphs(700, 688),
      ...formula(660),
      run("(1)", 508, 660, "CMR10", 10, 14),
      ...formula(643),
      run("(2)", 508, 643, "CMR10", 10, 14),
      ...paragraphs(615)
    ]
    const rows = found(items)
    assert.deepStrictEqual(rows.map((row) => row.number?.text), ["(1)", "(2)"])
    assert.isTrue(rows[0]!.bbox.bottom > rows[1]!.bbox.top)
  })

  it("keeps a fraction's numerator and denominator with its row", () => {
    // f = (a + b) / c, the fraction right of "f ="
    const items = [
      ...paragraphs(700, 688),
      run("f", 260, 650),
      run("=", 268, 650, "CMR10", 10, 7.8),
      run("a + b", 282, 657, "CMMI10", 10, 24),
      run("c", 292, 643),
      run(",", 310, 650),
      ...paragraphs(620)
    ]
    const [fraction, ...others] = found(items)
    assert.strictEqual(others.length, 0)
    assert.strictEqual(fraction!.items.length, 5)
  })

  it("keeps the rows of a matrix together, held by its delimiters", () => {
    // L = ( 1 −1 / −1 1 ) with CMEX pieces of tall parentheses at x = 280 and 330
    const pieces = (x: number, top: string, extension: string, bottom: string) => [
      run(top, x, 668, "CMEX10", 10, 8.7),
      run(extension, x, 659, "CMEX10", 10, 8.7),
      run(bottom, x, 653, "CMEX10", 10, 8.7)
    ]
    const items = [
      ...paragraphs(700, 688),
      run("L", 260, 650),
      run("=", 268, 650, "CMR10", 10, 7.8),
      ...pieces(280, "\uf8eb", "\uf8ec", "\uf8ed"),
      run("1", 292, 656, "CMR10"),
      run("−1", 310, 656, "CMSY10", 10, 12),
      run("−1", 290, 644, "CMSY10", 10, 12),
      run("1", 312, 644, "CMR10"),
      ...pieces(330, "\uf8f6", "\uf8f7", "\uf8f8"),
      run("(3)", 508, 650, "CMR10", 10, 14),
      ...paragraphs(620)
    ]
    const [matrix, ...others] = found(items)
    assert.strictEqual(others.length, 0)
    assert.strictEqual(matrix!.number?.text, "(3)")
    assert.strictEqual(matrix!.items.length, 12)
  })

  it("finds a formula too wide for its line, set from the margin, its number on the line below", () => {
    const wide = [run("E(f, f)", 72, 650, "CMMI10", 10, 30), run("=", 105, 650, "CMR10", 10, 7.8), run("∑ x y γ Var π f", 115, 650, "CMMI10", 10, 410)]
    const items = [...paragraphs(700, 688, 676), ...wide, run("(2)", 508, 635, "CMR10", 10, 14), ...paragraphs(620)]
    const [equation, ...others] = found(items)
    assert.strictEqual(others.length, 0)
    assert.strictEqual(equation!.number?.text, "(2)")
    assert.strictEqual(equation!.items.length, 3)
    // without the number below, a line of math with no word of prose is still a display, unnumbered
    assert.deepStrictEqual(found([...paragraphs(700, 688, 676), ...wide, ...paragraphs(638)]).map((display) => display.number), [undefined])
  })

  it("reads a number on a baseline of its own as holding the lines around it together", () => {
    // an `aligned` block of two rows, its number between them
    const items = [...paragraphs(700, 688), ...formula(662), ...formula(648), run("(4)", 508, 655, "CMR10", 10, 14), ...paragraphs(620)]
    const [block, ...others] = found(items)
    assert.strictEqual(others.length, 0)
    assert.strictEqual(block!.number?.text, "(4)")
    assert.strictEqual(block!.items.length, 10)
  })

  it("keeps the rows of an array that end with an operator as one display, numbered on the left", () => {
    const row = (y: number, relation: string, rest: string, end: string) => [
      run("f(x)", 240, y, "CMMI10", 10, 18),
      run(relation, 264, y, "CMSY10", 10, 7.8),
      run(rest, 280, y, "CMMI10", 10, 48),
      run(end, 330, y, "CMSY10", 10, 6.7)
    ]
    const display = [
      run("(1)", 72, 650, "CMR10", 10, 14),
      ...row(650, "=", "g(x) + h(x)", "∧"),
      ...row(637, "≤", "k(x, t) dt", "∧"),
      ...row(624, "≥", "0", ".")
    ]
    const rows = found([...paragraphs(700, 688, 676), ...display, ...paragraphs(598, 586)])
    assert.strictEqual(rows.length, 1, rows.map((r) => r.items.map((i) => i.text).join(" ")).join(" | "))
    assert.strictEqual(rows[0]!.number?.text, "(1)")
    assert.strictEqual(rows[0]!.number?.side, "left")
    assert.isBelow(rows[0]!.bbox.bottom, 626)
    assert.deepStrictEqual(rows[0]!.parts.length, 3, "a part per row, for the LaTeX")
  })

  it("does not report the rows of a table whose cells hold math with relations", () => {
    // a `tabular` of four columns at the body size: cells centred in their columns
    const cell = (text: string, centre: number, y: number, font = "CMMI10") =>
      run(text, centre - 2.5 * text.length, y, font, 10, 5 * text.length)
    const row = (y: number, cells: ReadonlyArray<string>) => cells.map((text, i) => cell(text, 140 + 100 * i, y))
    const table = [
      ...row(607.7, ["h/J", "E/N", "ξ", "∆ = E − F"]),
      ...row(594.5, ["h < J", "−a", "ξ ≈ b", "∆ ≈ c + d"]),
      ...row(583.6, ["h = J", "−b", "ξ = ∞", "∆ = 0"]),
      ...row(572.7, ["h > J", "−c", "ξ ≈ a", "∆ ∝ h − J"])
    ]
    assert.deepStrictEqual(found([...paragraphs(700, 688, 676), ...table, ...paragraphs(520, 508)]), [])
    // but rows of formulas side by side, a relation in every cell, are displays (`x = 1 \qquad y = 2 \qquad z = 3`)
    const formulas = [650, 636].flatMap((y) => ["x = 1", "y = 2", "z = 3"].map((text, i) => cell(text, 200 + 60 * i, y)))
    assert.strictEqual(found([...paragraphs(700, 688, 676), ...formulas, ...paragraphs(600, 588)]).length, 2)
  })

  it("keeps the rows of a split together: its number on the middle row, the rows after the first going on with an operator", () => {
    const display = [
      run("F", 200, 650, "CMMI10", 10, 6.4), run("orb", 207, 647, "CMR7", 7, 11.5), run("=", 222, 650, "CMR10", 10, 7.7),
      run("cos 2ψ D", 240, 650, "CMR10", 10, 40),
      run("−", 250, 635, "CMSY10", 10, 7.7), run("sin 4ψ D", 262, 635, "CMR10", 10, 40), run("(29)", 508, 635, "CMR10", 10, 17.7),
      run("+", 250, 620, "CMR10", 10, 7.7), run("sin 2ψ D", 262, 620, "CMR10", 10, 40), run(",", 303, 620, "CMMI10", 10, 2.8)
    ]
    const rows = found([...paragraphs(700, 688, 676), ...display, ...paragraphs(594, 582)])
    assert.strictEqual(rows.length, 1, rows.map((r) => r.items.map((i) => i.text).join(" ")).join(" | "))
    assert.strictEqual(rows[0]!.number?.text, "(29)")
    assert.isBelow(rows[0]!.bbox.bottom, 622)
    assert.isTrue(rows[0]!.rows, "rows of one display, for an aligned block")
  })

  it("finds numbered formulas with upright variables and a note in words beside them, numbers on the left", () => {
    const law = (y: number, tag: string, note: string) => [
      run(tag, 72, y, "CMR10", 10, 20),
      run("x", 166.8, y, "CMR10", 10, 6.2), run("≃", 176.5, y, "CMSY10", 10, 9.3), run("x ⋄ y", 189.1, y, "CMR10", 10, 30),
      ...(note === "" ? [] : [run(note, 522 - 5 * note.length, y, "CMR10", 10, 5 * note.length)])
    ]
    const display = [...law(650, "(E1)", "(Trivial law)"), ...law(632, "(E2)", ""), ...law(614, "(E3)", "(Right-unit squares law)")]
    const rows = found([...paragraphs(700, 688, 676), ...display, ...paragraphs(580, 568)])
    assert.deepStrictEqual(rows.map((row) => row.number?.text), ["(E1)", "(E2)", "(E3)"])
    // a row whose one word is the formula's own: \chi(\lambda) = \text{constant}
    const constant = [
      run("χ(λ)", 264, 650, "CMMI10", 10, 22), run("=", 289, 650, "CMR10", 10, 7.7), run("constant", 300, 650, "CMR10", 10, 38),
      run("(29)", 508, 650, "CMR10", 10, 14)
    ]
    assert.deepStrictEqual(found([...paragraphs(700, 688, 676), ...constant, ...paragraphs(624, 612)]).map((row) => row.number?.text), ["(29)"])
  })

  it("keeps the rows of an aligned block together when its one number is centred on them all", () => {
    const rows = [650, 636, 622, 608, 594, 580].flatMap((y, k) => [
      run(`x${k}`, 240, y, "CMMI10", 10, 10), run("=", 256, y, "CMR10", 10, 7.7), run("a + b", 270, y, "CMMI10", 10, 25)
    ])
    const display = [...rows, run("(7)", 508, 615, "CMR10", 10, 14)]
    const found_ = found([...paragraphs(700, 688, 676), ...display, ...paragraphs(540, 528)])
    assert.strictEqual(found_.length, 1, found_.map((r) => r.items.map((i) => i.text).join(" ")).join(" | "))
    assert.strictEqual(found_[0]!.number?.text, "(7)")
  })
})
