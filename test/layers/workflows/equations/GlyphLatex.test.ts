import { assert, describe, it } from "@effect/vitest"
import { toLatex } from "../../../../src/layers/workflows/equations/GlyphLatex.ts"
import { glyphsApart } from "../../../../src/layers/workflows/equations/MathGlyphs.ts"
import { droppedGlyph } from "../../../../src/layers/workflows/pdf/Pdf.ts"
import { run } from "./items.ts"

describe("GlyphLatex", () => {
  it("writes scripts from size and offset", () => {
    const items = [
      run("e", 100, 500, "CMMI10", 10, 5),
      run("−", 105, 504, "CMSY7", 7, 6.6),
      run("λ", 111.6, 504, "CMMI7", 7, 4.9),
      run("k", 116.5, 502.6, "CMMI5", 5, 3.4),
      run("t", 119.9, 504, "CMMI7", 7, 3),
      run("=", 130, 500, "CMR10", 10, 7.7),
      run("x", 142, 500, "CMMI10", 10, 5.7),
      run("i", 147.7, 498.5, "CMMI7", 7, 2.8)
    ]
    assert.strictEqual(toLatex(items), "e^{- \\lambda_kt} = x_i")
  })

  it("writes a fraction where a numerator stands over a denominator", () => {
    const items = [
      run("f", 100, 500, "CMMI10", 10, 5),
      run("=", 110, 500, "CMR10", 10, 7.7),
      run("a + b", 124, 507, "CMMI10", 10, 24),
      run("c", 133.5, 493, "CMMI10", 10, 5),
      run(",", 152, 500, "CMMI10", 10, 2.8)
    ]
    assert.strictEqual(toLatex(items), "f = \\frac{a + b}c,")
  })

  it("writes a display sum with its limits", () => {
    const items = [
      run("X", 100, 510.4, "CMEX10", 10, 14.4),
      run("n", 105, 514, "CMMI7", 7, 4.9),
      run("k=1", 101, 490, "CMMI7", 7, 12),
      run("a", 117, 500, "CMMI10", 10, 5.3),
      run("k", 122.3, 498.5, "CMMI7", 7, 4.2)
    ]
    assert.strictEqual(toLatex(items), "\\sum_{k = 1}^na_k")
  })

  it("keeps a text-style sum's scripts in its numerator, and the sum with what it sums", () => {
    // cdeets (a real paper): A_\ell = \frac{\sum_{k=1}^{\ell} W_k}{\sum_{k=1}^n W_k}; the numerator's subscript comes
    // within a third of an em of the top of the denominator's \sum, which hangs from that top
    const part = (sum: number, baseline: number, upper: string) => [
      run("P", 296.9, sum, "CMEX10", 11.96, 12.6), run(upper, 309.5, baseline + 5.8, "CMMI8", 7.97, 3.5),
      run("k", 309.5, baseline - 3.5, "CMMI8", 7.97, 4.4), run("=1", 314.1, baseline - 3.5, "CMR8", 7.97, 10.8),
      run("W", 327.4, baseline, "CMMI12", 11.96, 11.1), run("k", 338.5, baseline - 1.8, "CMMI8", 7.97, 4.4)
    ]
    const sums = [...part(692.4, 683.4, "ℓ"), ...part(676.0, 667.1, "n")]
    const items = [run("A", 267.2, 675.26, "CMMI12", 11.96, 8.8), run("=", 283.3, 675.26, "CMR12", 11.96, 9.1), ...sums]
    assert.strictEqual(toLatex(items, { baseline: 675.26 }), "A = \\frac{\\sum_{k = 1}^\\ell W_k}{\\sum_{k = 1}^nW_k}")
  })

  it("reads a long arrow drawn longer, with labels over and under it (\\xleftarrow, \\xrightarrow)", () => {
    // amsmath's testmath: 0 \xleftarrow[\zeta]{\alpha} F ... \xrightarrow{\partial_0\alpha(b)} E
    const items = [
      run("0", 238.3, 322.6, "CMR10", 10, 5), run("α", 250, 328.3, "CMMI7", 7, 5.2), run("←", 246.1, 322.6, "CMSY10", 10, 10),
      run("−", 249.9, 322.6, "CMSY10", 10, 7.7), run("ζ", 250.5, 316.1, "CMMI7", 7, 3.6), run("F", 260.4, 322.6, "CMMI10", 10, 6.4),
      run("b", 328, 329.1, "CMMI7", 7, 3.5),
      ...[302.7, 308.2, 313.7].map((x) => run("−", x, 322.6, "CMSY10", 10, 7.7)), run("→", 318, 322.6, "CMSY10", 10, 10),
      run("E", 330.7, 322.6, "CMMI10", 10, 7.4)
    ]
    assert.strictEqual(toLatex(items, { baseline: 322.6 }), "0 \\longleftarrow _\\zeta^\\alpha F \\longrightarrow ^bE")
  })

  it("reads a long arrow over or under a formula as \\overrightarrow, \\underleftrightarrow", () => {
    const formula = (x: number) => [
      run("ψ", x, 277.3, "CMMI10", 10, 6.5), run("(", x + 10.8, 277.3, "CMR10", 10, 3.9), run("t", x + 14.7, 277.3, "CMMI10", 10, 3.6),
      run(")", x + 18.3, 277.3, "CMR10", 10, 3.9)
    ]
    const arrow = (x: number, y: number, heads: "→" | "←→") => [
      ...(heads === "←→" ? [run("←", x, y, "CMSY10", 10, 10)] : []),
      ...[3.3, 8.9].map((dx) => run("−", x + dx, y, "CMSY10", 10, 7.7)), run("→", x + 12.2, y, "CMSY10", 10, 10)
    ]
    const items = [...arrow(260.2, 284.8, "→"), ...formula(260.2), run("=", 287, 277.3, "CMR10", 10, 7.7), ...formula(297.6), ...arrow(297.6, 269.9, "←→")]
    assert.strictEqual(toLatex(items, { baseline: 277.3 }), "\\overrightarrow{\\psi(t)} = \\underleftrightarrow{\\psi(t)}")
    // an arrow in a numerator stands over the bar, not over the denominator
    const fraction = [
      run("x", 80, 500, "CMMI10", 10, 5.7), run("=", 88.6, 500, "CMR10", 10, 7.8), run("a", 100, 507, "CMMI10", 10, 5.3), run("−", 107, 507, "CMSY10", 10, 7.7), run("→", 111, 507, "CMSY10", 10, 10),
      run("b", 123, 507, "CMMI10", 10, 4.3), run("c", 104, 493, "CMMI10", 10, 4.3), run("+", 110.5, 493, "CMR10", 10, 7.8),
      run("d", 120.5, 493, "CMMI10", 10, 5.2)
    ]
    const bar = { left: 99, right: 128.5, bottom: 502.3, top: 502.7 }
    assert.strictEqual(toLatex(fraction, { baseline: 500, rules: [bar] }), "x = \\frac{a \\longrightarrow b}{c + d}")
    // \varprojlim_{p \in S}: an arrow under lim, the limit under the arrow
    const projective = [
      run("lim", 100, 500, "CMR10", 10, 14), run("←", 100, 493, "CMSY10", 10, 10), run("−", 104.5, 493, "CMSY10", 10, 7.7),
      run("p∈S", 100.5, 486, "CMMI7", 7, 13), run("A", 117, 500, "CMMI10", 10, 7.5)
    ]
    assert.strictEqual(toLatex(projective, { baseline: 500 }), "\\underleftarrow{\\lim}_{p \\in S}A")
  })

  it("writes what is set small right over or under a symbol as its scripts (\\overset, \\underset, \\stackrel)", () => {
    // \overset{a}{\underset{b}{X}} \stackrel{\text{def}}{=} y
    const items = [
      run("X", 100, 500, "CMMI10", 10, 8.3), run("a", 102.5, 507.5, "CMMI7", 7, 3.7), run("b", 102.8, 495.2, "CMMI7", 7, 3),
      run("def", 116, 505, "CMR7", 7, 10.5), run("=", 117.5, 500, "CMR10", 10, 7.8), run("y", 129, 500, "CMMI10", 10, 4.9)
    ]
    assert.strictEqual(toLatex(items, { baseline: 500 }), "X_b^a = ^{\\text{def}}y")
  })

  it("writes limits in two rows, one under the other, as \\substack", () => {
    const items = [
      run("X", 100, 510.4, "CMEX10", 10, 14.4),
      run("0≤i≤m", 97, 490, "CMMI7", 7, 20),
      run("0<j<n", 98, 483, "CMMI7", 7, 18),
      run("a", 117, 500, "CMMI10", 10, 5.3)
    ]
    assert.strictEqual(toLatex(items), "\\sum_{\\substack{0 \\le i \\le m\\\\0 < j < n}}a")
    // runs at two heights side by side are no rows
    const apart = [items[0]!, run("i", 99, 490, "CMMI7", 7, 3), run("k", 108, 483, "CMMI7", 7, 3), items[3]!]
    assert.notInclude(toLatex(apart), "substack")
  })

  it("writes a matrix between tall delimiters, and cases after a lone brace", () => {
    const paren = (x: number, top: string, bottom: string) => [run(top, x, 511, "CMEX10", 10, 8.7), run(bottom, x, 502, "CMEX10", 10, 8.7)]
    const matrix = [
      run("A", 80, 500),
      run("=", 90, 500, "CMR10", 10, 7.7),
      ...paren(100, "\uf8eb", "\uf8ed"),
      run("1", 112, 506, "CMR10", 10, 5),
      run("0", 130, 506, "CMR10", 10, 5),
      run("0", 112, 494, "CMR10", 10, 5),
      run("1", 130, 494, "CMR10", 10, 5),
      ...paren(140, "\uf8f6", "\uf8f8")
    ]
    assert.strictEqual(toLatex(matrix), "A = \\begin{pmatrix}1 & 0 \\\\ 0 & 1\\end{pmatrix}")
    const cases = [
      run("f", 80, 500),
      run("=", 90, 500, "CMR10", 10, 7.7),
      run("\uf8f1", 100, 513, "CMEX10", 10, 8.9),
      run("\uf8f2", 100, 504, "CMEX10", 10, 8.9),
      run("\uf8f3", 100, 495, "CMEX10", 10, 8.9),
      run("1", 112, 506, "CMR10", 10, 5),
      run("if", 135, 506, "CMR10", 10, 8),
      run("0", 112, 494, "CMR10", 10, 5),
      run("otherwise", 135, 494, "CMR10", 10, 40)
    ]
    assert.strictEqual(toLatex(cases), "f = \\begin{cases}1 & \\text{if} \\\\ 0 & \\text{otherwise}\\end{cases}")
    // between braces (a closing one too), and between double bars, named so
    const braces = [
      ...cases.slice(2, 6), run("0", 130, 506, "CMR10", 10, 5), run("0", 112, 494, "CMR10", 10, 5), run("1", 130, 494, "CMR10", 10, 5),
      run("\uf8fc", 140, 513, "CMEX10", 10, 8.9), run("\uf8fd", 140, 504, "CMEX10", 10, 8.9), run("\uf8fe", 140, 495, "CMEX10", 10, 8.9)
    ]
    assert.strictEqual(toLatex(braces), "\\begin{Bmatrix}1 & 0 \\\\ 0 & 1\\end{Bmatrix}")
    // `\|` pieces, four on top of each other, as pdf.js gives them (private use U+E00D)
    const bars = (x: number) => [514, 508, 502, 496].map((y) => run("\ue00d", x, y, "CMEX10", 10, 5.5))
    const norm = [...bars(100), run("1", 112, 506, "CMR10", 10, 5), run("0", 130, 506, "CMR10", 10, 5), run("0", 112, 494, "CMR10", 10, 5), run("1", 130, 494, "CMR10", 10, 5), ...bars(140)]
    assert.strictEqual(toLatex(norm), "\\begin{Vmatrix}1 & 0 \\\\ 0 & 1\\end{Vmatrix}")
    // stacks side by side with no bar between their parts, the page's rules known: a matrix without delimiters
    const plain = [run("A", 80, 500), run("=", 90, 500, "CMR10", 10, 7.7), run("ϑ", 100, 506), run("ϱ", 115, 506), run("φ", 100, 494), run("ϖ", 115, 494)]
    assert.strictEqual(toLatex(plain, { rules: [] }), "A = \\begin{matrix}\\vartheta & \\varrho \\\\ \\varphi & \\varpi\\end{matrix}")
  })

  it("writes a row vector between \\left( and \\right) of one line's height, cells a column gap apart", () => {
    const vector = [
      run("H", 386.8, 456, "CMBX10", 10.9, 9.8), run("=", 399.6, 456, "CMR10", 10.9, 8.5), run("\u0000", 411.1, 464.9, "CMEX10", 10.9, 5),
      run("1", 416.1, 456, "CMR10", 10.9, 5.5), run("0", 431.5, 456, "CMR10", 10.9, 5.5), run("\u0001", 437, 464.9, "CMEX10", 10.9, 5)
    ]
    assert.strictEqual(toLatex(vector), "\\mathbf{H} = \\begin{pmatrix}1 & 0\\end{pmatrix}")
    // \bigl( a + b \bigr) and \bigl( x \sqrt{y} \bigr) are no vectors
    const sum = [run("\u0000", 100, 509, "CMEX10", 10, 4.6), run("a + b", 105, 500, "CMMI10", 10, 24), run("\u0001", 130, 509, "CMEX10", 10, 4.6)]
    assert.strictEqual(toLatex(sum), "(a + b)")
    const root = [
      run("\u0000", 100, 509, "CMEX10", 10, 4.6), run("x", 105, 500), run("√", 117, 508, "CMSY10", 10, 8.3), run("y", 125.3, 500),
      run("\u0001", 131, 509, "CMEX10", 10, 4.6)
    ]
    assert.strictEqual(toLatex(root), "(x\\sqrt{y})")
  })

  it("writes accents, radicals, alphabets and negations", () => {
    const items = [
      run("¯", 100, 503, "CMR10", 10, 5),
      run("S", 100, 500, "CMMI10", 10, 6),
      run("√", 110, 508, "CMSY10", 10, 8.3),
      run("t", 118.3, 500, "CMMI10", 10, 3.6),
      run("E", 125, 500, "MSBM10", 10, 6.6),
      run("̸", 135, 500, "CMSY10", 10, 0),
      run("=", 135, 500, "CMR10", 10, 7.7),
      run("0", 146, 500, "CMR10", 10, 5)
    ]
    assert.strictEqual(toLatex(items), "\\bar S\\sqrt{t}\\mathbb{E} \\ne 0")
  })

  it("writes accents over accents, amsmath's \\dddot and \\ddddot, and an accent pdf.js gives twice once", () => {
    const doubled = [
      run("ˆ", 223.1, 287.8, "CMR10", 10, 5), run("ˆ", 223.1, 285.2, "CMR10", 10, 5), run("H", 220.5, 282.7, "CMMI10", 10, 8.3),
      run("˜", 259.3, 287.6, "CMR10", 10, 5), run("˜", 259.3, 285.2, "CMR10", 10, 5), run("T", 257.3, 282.7, "CMMI10", 10, 5.8)
    ]
    assert.strictEqual(toLatex(doubled), "\\hat{\\hat H}\\tilde{\\tilde T}")
    const dotted = [run("...", 286, 663.2, "CMR10", 10, 6), run("Q", 285.4, 654.9), run("....", 316, 663.2, "CMR10", 10, 8), run("R", 316, 654.9)]
    assert.strictEqual(toLatex(dotted), "\\dddot Q\\ddddot R")
    // a narrower accent over a wider one, both centred over the letter (`\dot{\hat{H}}`)
    const nested = [run("˙", 224.2, 288, "CMR10", 10, 2.8), run("ˆ", 223.1, 285.2, "CMR10", 10, 5), run("H", 220.5, 282.7, "CMMI10", 10, 8.3)]
    assert.strictEqual(toLatex(nested), "\\dot{\\hat H}")
    // the bar drawn over μ, and pdf.js's copy of it on the baseline
    const twice = [run("¯", 328.5, 557, "SFRM1000", 10, 5), run("¯", 328.8, 549.9, "CMR10", 10, 5), run("μ", 328, 549.9, "CMMI10", 10, 6)]
    assert.strictEqual(toLatex(twice), "\\bar\\mu")
  })

  it("does not take a split's number, fallen between its rows onto a \\binom's top, for the rows' baseline", () => {
    const items = [
      run("a", 240, 232.1), run("= b + c + d", 250, 232.1, "CMR10", 10, 60),
      run("+ x + y", 249, 199.5, "CMR10", 10, 40), run("\u0012", 306.2, 213.5, "CMEX10", 10, 7.3), run("k", 313.5, 206.2),
      run("l", 314.7, 192.6, "CMMI10", 10, 3), run("\u0013", 319, 213.5, "CMEX10", 10, 7.3), run("2", 326.4, 199.5, "CMR10", 10, 5),
      run("= (2 − 1)", 239.5, 177, "CMR10", 10, 40)
    ]
    assert.strictEqual(
      toLatex(items, { baseline: 207.5, rules: [] }),
      "\\begin{aligned} a = b + c + d \\\\ + x + y\\binom{k}{l}2 \\\\ = (2 - 1) \\end{aligned}"
    )
    // a numbered matrix alone, nothing on the number's baseline: the number's baseline is the matrix's
    const paren = (x: number, top: string, bottom: string) => [run(top, x, 511, "CMEX10", 10, 8.7), run(bottom, x, 502, "CMEX10", 10, 8.7)]
    const matrix = [
      ...paren(100, "\uf8eb", "\uf8ed"), run("1", 112, 506, "CMR10", 10, 5), run("0", 130, 506, "CMR10", 10, 5),
      run("0", 112, 494, "CMR10", 10, 5), run("1", 130, 494, "CMR10", 10, 5), ...paren(140, "\uf8f6", "\uf8f8")
    ]
    assert.strictEqual(toLatex(matrix, { baseline: 500, rules: [] }), "\\begin{pmatrix}1 & 0 \\\\ 0 & 1\\end{pmatrix}")
  })

  it("reads a matrix whose fractions' denominators hold commas, their ink low, as rows of fractions", () => {
    // testmath's W(\Phi): `\dfrac\varphi{(\varphi_1,\varepsilon_1)} & 0 \\ \dfrac{\varphi k}{(\varphi_2,\varepsilon_1)} & ...`
    const bars = (x: number) => [696, 690, 684, 678, 672, 666, 660, 654].map((y) => run("\ue00d", x, y, "CMEX10", 10, 5.5))
    const denominator = (x: number, y: number, k: string, l: string) => [
      run("(", x, y, "CMR10", 10, 3.9), run("φ", x + 3.9, y, "CMMI10", 10, 6.5), run(k, x + 10.4, y - 1.5, "CMR7", 7, 4),
      run(",", x + 14.9, y, "CMMI10", 10, 2.8), run("ε", x + 17.6, y, "CMMI10", 10, 4.3), run(l, x + 24, y - 1.5, "CMR7", 7, 4),
      run(")", x + 28.4, y, "CMR10", 10, 3.9)
    ]
    const items = [
      ...bars(215.7),
      run("φ", 235.8, 691.9, "CMMI10", 10, 6.5), ...denominator(222.9, 678.3, "1", "1"), run("0", 282.2, 685.1, "CMR10", 10, 5),
      run("φk", 228.5, 668.9, "CMMI10", 10, 11.7), ...denominator(222.9, 655.3, "2", "1"),
      run("φ", 281.4, 668.9, "CMMI10", 10, 6.5), ...denominator(268.5, 655.3, "2", "2"),
      ...bars(306)
    ]
    const rules = [
      { left: 222.9, bottom: 687.43, right: 255.2, top: 687.83 },
      { left: 222.9, bottom: 664.45, right: 255.2, top: 664.84 },
      { left: 268.5, bottom: 664.45, right: 300.8, top: 664.84 }
    ]
    assert.strictEqual(
      toLatex(items, { rules }),
      "\\begin{Vmatrix}\\frac\\varphi{(\\varphi_1, \\varepsilon_1)} & 0 \\\\ \\frac{\\varphi k}{(\\varphi_2, \\varepsilon_1)} & \\frac\\varphi{(\\varphi_2, \\varepsilon_2)}\\end{Vmatrix}"
    )
  })

  it("puts limits under and over an extension font's operator that the PDF maps to Unicode (acmart)", () => {
    const items = [
      run("∑\ufe01", 156.1, 388, "CMEX9", 9, 13.3), run("∞", 158.4, 390.5, "CMSY6", 6, 8.6), run("k", 156.1, 368.9, "CMMI6", 6, 4),
      run("=0", 160.2, 368.9, "CMR6", 6, 9.2), run("y", 171.9, 379.5, "CMMI9", 9, 4.4), run("+ 1", 179.3, 379.5, "CMR9", 9, 14.9)
    ]
    assert.strictEqual(toLatex(items), "\\sum_{k = 0}^\\infty y + 1")
  })

  it("parts an extension-font run of delimiters set one against the other into a run each", () => {
    // `\left[\binom{n}{i}` as pdf.js gives it: one run `[(`, then `)(` between two binomials
    const [bracket, paren, ...others] = glyphsApart(run("\u0014\u0012", 275.8, 362.6, "CMEX10", 10, 12.6))
    assert.strictEqual(others.length, 0)
    assert.deepStrictEqual([bracket!.text, bracket!.x, paren!.text], ["\u0014", 275.8, "\u0012"])
    assert.closeTo(paren!.x + paren!.width, 288.4, 0.01)
    // mapped to Unicode, each glyph keeps the variation selector that picks its size
    assert.deepStrictEqual(glyphsApart(run("[\ufe00(\ufe00", 275.8, 362.6, "CMEX9", 9, 8)).map((item) => item.text), ["[\ufe00", "(\ufe00"])
    // a big operator's glyph and a delimiter, or a horizontal brace's pieces, stay one run
    assert.strictEqual(glyphsApart(run("X\u0012", 275.8, 362.6, "CMEX10", 10, 20)).length, 1)
  })

  it("gives an operator name's limits to the name alone when pdf.js joined it to the run before it", () => {
    // `\ell(T^i) = \min_U L`: `) = min` is one run, the `i` over T's right edge close to it
    const items = [
      run("ℓ", 65, 688, "CMMI9", 9, 3.8), run("(", 68.8, 688, "CMR9", 9, 3.6), run("T", 72.4, 688, "CMMI9", 9, 5.4),
      run("i", 79, 692.3, "CMMI6", 6, 2.7), run(") = min", 82.2, 688, "CMR9", 9, 31.2), run("U", 102.9, 682.4, "CMMI6", 6, 5),
      run("L", 115, 688, "CMMI9", 9, 6.3)
    ]
    assert.strictEqual(toLatex(items), "\\ell(T^i) = \\min_UL")
  })

  it("writes an accent that pdf.js joined to the run before it, and Euler's ASCII circumflex as a hat", () => {
    const joined = [run("y", 240, 500, "CMBX10", 10, 6.6), run("= ˆ", 250, 500, "CMR10", 10, 16), run("x", 260.5, 500, "CMBX10", 10, 6.6)]
    assert.strictEqual(toLatex(joined), "\\mathbf{y} = \\hat{\\mathbf{x}}")
    const euler = [run("^", 204.2, 445, "EUFM10", 10, 5), run("x", 203.1, 445, "CMMIB10", 10, 6.6), run("=", 212.4, 445, "EUFM10", 10, 7.5), run("0", 224, 445, "EURM10", 10, 5)]
    assert.strictEqual(toLatex(euler), "\\hat{\\boldsymbol{x}} = 0")
  })

  it("writes long arrows that TeX builds from two glyphs, in one run or two", () => {
    const items = [
      run("a", 197.9, 695, "CMMI10", 10, 5.3), run("7", 205.9, 695, "CMSY10", 10, 0), run("→", 205.9, 695, "CMSY10", 10, 10),
      run("b", 218.6, 695, "CMMI10", 10, 4.3), run("−→", 225.7, 695, "CMSY10", 10, 16), run("c", 244.5, 695, "CMMI10", 10, 4.3),
      run("=", 251.6, 695, "CMR10", 10, 7.8), run("⇒", 257.7, 695, "CMSY10", 10, 10), run("d", 270.4, 695, "CMMI10", 10, 5.2)
    ]
    assert.strictEqual(toLatex(items), "a \\mapsto b \\longrightarrow c \\Longrightarrow d")
    // the `=` may end a longer run
    const joined = [run("g(x", 150, 500, "CMMI10", 10, 13), run(") =", 163, 500, "CMR10", 10, 15.1), run("⇒", 176.3, 500, "CMSY10", 10, 10), run("h", 189.6, 500)]
    assert.strictEqual(toLatex(joined), "g(x) \\Longrightarrow h")
    // a digit 7 before an arrow is a 7
    assert.strictEqual(toLatex([run("7", 100, 500, "CMR10", 10, 5), run("→", 106, 500, "CMSY10", 10, 10)]), "7 \\to")
  })

  it("writes horizontal braces with their formula and label", () => {
    // p = 4 ∑ (a)/(b)  with `k pairs` under the fraction
    const under = [
      run("p", 112, 292), run("=", 139, 292, "CMR10", 10, 6.7), run("4", 148.7, 292, "CMR10", 10, 5),
      run("X", 167.9, 303, "CMEX10", 10, 13.9), run("k=0", 169, 280, "CMMI7", 7, 11),
      run("(2n)!", 199.4, 299, "CMR10", 10, 20), run("k!(n − k)!", 185.7, 285, "CMR10", 10, 47),
      run("|", 184.5, 277, "CMEX10", 10, 6.5), run("{z", 202.9, 277, "CMEX10", 10, 13), run("}", 227.8, 277, "CMEX10", 10, 6.5),
      run("k pairs", 190, 265, "CMR7", 7, 30)
    ]
    assert.strictEqual(toLatex(under, { baseline: 292 }), "p = 4\\sum_{k = 0}\\underbrace{\\frac{(2n)!}{k!(n - k)!}}_{k\\text{pairs}}")
    // = ∑ a  with `= b` over the sum and its summand
    const over = [
      run("=", 160, 218, "CMR10", 10, 6.7),
      run("= b", 192, 250, "CMMI7", 7, 12),
      run("z", 186.4, 241, "CMEX10", 10, 6.5), run("}|", 196.4, 241, "CMEX10", 10, 13), run("{", 212.9, 241, "CMEX10", 10, 6.5),
      run("X", 186.4, 228.8, "CMEX10", 10, 13.9), run("a", 205, 218), run(".", 221, 218, "CMMI10", 10, 2.5)
    ]
    assert.strictEqual(toLatex(over), "= \\overbrace{\\sum a}^{= b}.")
  })

  it("writes a radical's index, set small over the left part of the sign", () => {
    const items = [
      run("lim", 384.6, 362, "URWPalladioL-Roma", 10, 14.6), run("n", 383.3, 356, "URWPalladioL-Ital", 7, 3.9), run("→∞", 387.1, 356, "Pxsy", 7, 13.3),
      run("2", 405.5, 367, "URWPalladioL-Roma", 5, 2.5), run("n", 407.9, 367, "URWPalladioL-Ital", 5, 2.8),
      run("p", 405.7, 371, "Pxex", 10, 7.7), run("p", 413.4, 362, "URWPalladioL-Ital", 10, 5)
    ]
    assert.strictEqual(toLatex(items), "\\lim_{n \\to \\infty}\\sqrt[2n]{p}")
  })

  it("writes a small fraction after a delimiter or an operator, which take no scripts", () => {
    const gamma = [
      run("Γ", 389, 443, "EURM10", 10, 4.3), run("\u0000", 394.5, 451.2, "CMEX10", 10, 4.6),
      run("1", 402.4, 447, "EURM7", 7, 4.4), run("24", 400.2, 439.7, "EURM7", 7, 8.7), run("\u0001", 410.2, 451.2, "CMEX10", 10, 4.6)
    ]
    assert.strictEqual(toLatex(gamma), "\\Gamma(\\frac1{24})")
    const half = [run("+", 100, 500, "CMR10", 10, 7.8), run("1", 110.5, 504, "CMR7", 7, 3.5), run("2", 110.5, 496, "CMR7", 7, 3.5), run("f", 115, 500)]
    assert.strictEqual(toLatex(half), "+ \\frac12f")
    // a letter's scripts stay scripts
    assert.strictEqual(toLatex([run("x", 100, 500), run("1", 105.7, 504, "CMR7", 7, 3.5), run("2", 105.7, 497, "CMR7", 7, 3.5)]), "x_2^1")
  })

  it("writes an aligned block when the number sits between its lines", () => {
    const row = (y: number) => [run("x", 100, y), run("=", 110, y, "CMR10", 10, 7.7), run("1", 121, y, "CMR10", 10, 5)]
    assert.strictEqual(toLatex([...row(512), ...row(498)], { baseline: 505 }), "\\begin{aligned} x = 1 \\\\ x = 1 \\end{aligned}")
    // a split whose first row has a sum with limits near the number's baseline: the limits stay with their sum
    const split = [
      run("X", 100, 622, "CMEX10", 10, 14.4), run("j≥2", 100.5, 600.7, "CMMI7", 7, 12), run("a", 116, 612.7), run("≤", 124, 612.7, "CMSY10", 10, 7.8), run("b", 135, 612.7),
      run("=", 124, 585, "CMR10", 10, 7.7), run("c", 135, 585)
    ]
    assert.strictEqual(toLatex(split, { baseline: 599.6 }), "\\begin{aligned} \\sum_{j \\ge 2}a \\le b \\\\ = c \\end{aligned}")
  })

  // the runs below are as pdf.js gives them for IEEEtran (10 pt) and amsart (9 pt) pages compiled with TeX Live 2022

  it("takes a tall fraction under a radical as its argument, and pairs tall delimiters as \\left( .. \\right)", () => {
    const items = [
      run("P", 92.8, 289.2, "CMMI10", 10, 6.4), run("e", 99.1, 287.7, "CMMI7", 7, 3.8),
      run("≤", 106.2, 289.2, "CMSY10", 10, 7.7),
      run("s", 116.7, 306.5, "CMEX10", 10, 10),
      run("2", 150.0, 295.9, "CMR10", 10, 5), run("E", 154.9, 295.9, "CMMI10", 10, 7.4), run("b", 162.3, 294.4, "CMMI7", 7, 3.5),
      run("N", 127.9, 282.2, "CMMI10", 10, 8), run("0", 135.9, 280.7, "CMR7", 7, 4), run("+", 142.6, 282.2, "CMR10", 10, 7.7),
      run("P", 152.5, 289.7, "CMEX10", 10, 10.5), run("n", 163.0, 287.3, "CMMI7", 7, 4.9), run("i", 163.0, 279.3, "CMMI7", 7, 2.8),
      run("=1", 165.9, 279.3, "CMR7", 7, 10.1), run("λ", 178.1, 282.2, "CMMI10", 10, 5.8), run("2", 183.9, 285.7, "CMR7", 7, 4),
      run("i", 183.9, 279.5, "CMMI7", 7, 2.8),
      run("exp", 191.2, 289.2, "CMR10", 10, 15.2),
      run("\u0012", 208.1, 303.2, "CMEX10", 10, 7.3),
      run("−", 215.5, 289.2, "CMSY10", 10, 7.7),
      run("d", 224.4, 295.9, "CMMI10", 10, 5.2), run("2", 229.6, 299.5, "CMR7", 7, 4), run("min", 229.6, 293.2, "CMR7", 7, 13.2),
      run("4", 225.1, 282.3, "CMR10", 10, 5), run("N", 230.1, 282.3, "CMMI10", 10, 8), run("0", 238.1, 280.8, "CMR7", 7, 4),
      run("\u0013", 244.5, 303.2, "CMEX10", 10, 7.3),
      run(".", 253.5, 289.2, "CMMI10", 10, 2.8)
    ]
    assert.strictEqual(
      toLatex(items, { baseline: 289.2 }),
      "P_e \\le \\sqrt{\\frac{2E_b}{N_0 + \\sum_{i = 1}^n\\lambda_i^2}}\\exp\\left( - \\frac{d_\\min^2}{4N_0}\\right)."
    )
  })

  it("reads the \\Biggl( that pdf.js drops (its code reads as a space), which the PDF layer gives as a dropped glyph", () => {
    const items = [
      run("∥", 161.8, 505.7, "CMSY9", 9, 4.6), run("u", 166.4, 505.7, "CMMI9", 9, 5.3), run("∥", 171.7, 505.7, "CMSY9", 9, 4.6),
      run("L", 176.3, 503.9, "CMMI6", 6, 5.1), run("2", 181.4, 505.6, "CMR5", 5, 3.4),
      run("≤", 188.3, 505.7, "CMSY9", 9, 7.2), run("C", 198.0, 505.7, "CMMI9", 9, 6.6),
      run("∞", 217.1, 516.9, "CMSY6", 6, 7.3), run("X", 214.1, 514.2, "CMEX9", 9, 13.3),
      run("j", 214.4, 495.3, "CMMI6", 6, 3.1), run("=1", 217.8, 495.3, "CMR6", 6, 9.2),
      run("|", 228.9, 505.7, "CMSY9", 9, 2.6), run("a", 231.5, 505.7, "CMMI9", 9, 4.9), run("j", 236.4, 504.7, "CMMI6", 6, 3.1),
      run("|", 240.3, 505.7, "CMSY9", 9, 2.6), run("2", 242.8, 510.0, "CMR6", 6, 3.7),
      run(droppedGlyph(0x20), 206.2, 521.0, "CMEX9", 9, 7.3), run("!", 247.0, 521.0, "CMEX9", 9, 7.3),
      run("1", 254.3, 518.9, "CMR6", 6, 3.7), run("/", 257.9, 518.9, "CMMI6", 6, 3.8), run("2", 261.8, 518.9, "CMR6", 6, 3.7)
    ]
    assert.strictEqual(
      toLatex(items, { baseline: 505.7 }),
      "\\|u\\|_{L^2} \\le C\\left(\\sum_{j = 1}^\\infty|a_j|^2\\right)^{1/2}"
    )
  })

  it("reads a formula with fractions between tall brackets as a formula, not as a matrix", () => {
    const items = [
      run("C", 100, 561.4, "CMMI10", 10, 7.2), run("=", 110.7, 561.4, "CMR10", 10, 7.7),
      run("1", 122.6, 561.4, "CMR10", 10, 5), run("+", 130.3, 561.4, "CMR10", 10, 7.7),
      run("\"", 149.4, 571.7, "CMEX10", 10, 5.8),
      run("a", 157, 568.2, "CMMI10", 10, 5.3), run("b", 157, 554.6, "CMMI10", 10, 4.3),
      run("+", 166, 561.4, "CMR10", 10, 7.7),
      run("c", 177, 568.2, "CMMI10", 10, 4.3), run("d", 177, 554.6, "CMMI10", 10, 5.2),
      run("#", 185, 571.7, "CMEX10", 10, 5.8)
    ]
    assert.strictEqual(toLatex(items, { baseline: 561.4 }), "C = 1 + \\left[\\frac ab + \\frac cd\\right]")
  })

  it("reads a combining accent (\\vec as pdf.js gives it, no width) over the run that starts where it is drawn", () => {
    const items = [
      run("C", 386.6, 435.3, "CMSY10", 10, 5.2), run("(", 392.4, 435.3, "CMR10", 10, 3.9),
      run("\u20d7", 396.3, 438.0, "CMMI10", 10, 0), run("θ", 396.3, 435.3, "CMMI10", 10, 4.7),
      run(")", 401.2, 435.3, "CMR10", 10, 3.9), run("=", 408, 435.3, "CMR10", 10, 7.7),
      run("ˆ", 459.3, 437.9, "CMR10", 10, 5), run("U", 457.6, 435.3, "CMMI10", 10, 6.8)
    ]
    assert.strictEqual(toLatex(items), "\\mathcal{C}(\\vec\\theta) = \\hat U")
  })

  it("reads a matrix with a row of dots across its columns (\\hdotsfor), the dots of an ellipsis one word", () => {
    // testmath's K(t, t_1, ..., t_n): a pmatrix of three rows, the middle one `\hdotsfor`, its delimiters in pieces
    const paren = (x: number, pieces: ReadonlyArray<string>) => pieces.map((piece, k) => run(piece, x, 353 - 9 * k, "CMEX10", 10, 8.7))
    const row = (y: number) => [
      run("a", 282, y), run("−", 315, y, "CMSY10", 10, 7.7), run("b", 323, y), run(". . .", 355, y, "CMMI10", 10, 11.6), run("c", 386, y)
    ]
    const items = [
      run("K", 188, 338, "CMBX10", 10, 9), run("=", 250, 338, "CMR10", 10, 7.7), ...paren(265, ["\uf8eb", "\uf8ec", "\uf8ed"]),
      ...row(345), run(". . . . . . . . . . . . . . . . . . . . . .", 274.5, 333, "CMMI10", 10, 115), ...row(321),
      ...paren(399, ["\uf8f6", "\uf8f7", "\uf8f8"])
    ]
    assert.strictEqual(
      toLatex(items),
      "\\mathbf{K} = \\begin{pmatrix}a & - b & \\ldots & c \\\\ \\ldots & & & \\\\ a & - b & \\ldots & c\\end{pmatrix}"
    )
  })

  it("reads a matrix whose cells hold fractions by their bars, and a \\right] \\left[ joined in one run", () => {
    // rnn-adaptation (a real paper): \begin{bmatrix} 0 & \tfrac{1}{C} \\ \tfrac{-1}{L(i_L)} & \tfrac{-R}{L(i_L)} \end{bmatrix}
    // \begin{bmatrix} v_C \\ i_L \end{bmatrix}; the numerator and denominator of \tfrac are script size
    const denominator = (x: number) => [
      run("L", x, 276.7, "CMMI7", 7, 5.5), run("(", x + 5.5, 276.7, "CMR7", 7, 3.1), run("i", x + 8.6, 276.7, "CMMI7", 7, 2.8),
      run("L", x + 11.4, 275.7, "CMMI5", 5, 4.8), run(")", x + 16.6, 276.7, "CMR7", 7, 3.1)
    ]
    const items = [
      run("\u0014", 248.2, 299.4, "CMEX10", 9.96, 5.3), run("0", 262.1, 292.3, "CMR10", 9.96, 5),
      run("1", 294.7, 296.2, "CMR7", 7, 4), run("C", 293.6, 288.8, "CMMI7", 7, 5.7),
      run("−", 259.5, 284.1, "CMSY7", 7, 6.2), run("1", 265.7, 284.1, "CMR7", 7, 4), ...denominator(254.7),
      run("−", 290.6, 284.1, "CMSY7", 7, 6.2), run("R", 296.8, 284.1, "CMMI7", 7, 6), ...denominator(286.8),
      run("\u0015 \u0014", 307.8, 299.4, "CMEX10", 9.96, 12.2),
      run("v", 320, 291.1, "CMMI10", 9.96, 4.8), run("C", 324.8, 289.6, "CMMI7", 7, 5.7),
      run("i", 321, 280.2, "CMMI10", 9.96, 3.4), run("L", 324.5, 278.7, "CMMI7", 7, 5.5),
      run("\u0015", 331.5, 299.4, "CMEX10", 9.96, 5.3)
    ].flatMap(glyphsApart)
    const rules = [
      { left: 293.6, bottom: 294.58, right: 299.8, top: 294.97 },
      { left: 254.69, bottom: 282.45, right: 274.46, top: 282.85 },
      { left: 286.81, bottom: 282.45, right: 306.58, top: 282.85 }
    ]
    assert.strictEqual(
      toLatex(items, { baseline: 285.35, rules }),
      "\\begin{bmatrix}0 & \\frac1C \\\\ \\frac{- 1}{L(i_L)} & \\frac{- R}{L(i_L)}\\end{bmatrix}\\begin{bmatrix}v_C \\\\ i_L\\end{bmatrix}"
    )
  })

  it("tells a fraction from a stack without a bar by the page's rules: a column vector, a binomial", () => {
    // x = [a over b] + (n over k) + p/q: the only bar is the one under p
    const items = [
      run("x", 100, 500), run("=", 108, 500, "CMR10", 10, 7.7),
      run("\u0014", 119, 512, "CMEX10", 10, 4.7), run("a", 124, 505, "CMMI10", 10, 5.3), run("b", 124, 493, "CMMI10", 10, 4.3),
      run("\u0015", 130, 512, "CMEX10", 10, 4.7), run("+", 137, 500, "CMR10", 10, 7.7),
      run("(", 148, 500, "CMR10", 10, 3.9), run("n", 152, 505, "CMMI7", 7, 4.2), run("k", 152, 495, "CMMI7", 7, 3.7),
      run(")", 157, 500, "CMR10", 10, 3.9), run("+", 163, 500, "CMR10", 10, 7.7),
      run("p", 174, 507, "CMMI10", 10, 5), run("q", 174, 493, "CMMI10", 10, 4.8)
    ]
    const bar = { left: 173.5, bottom: 502.3, right: 179.5, top: 502.7 }
    assert.strictEqual(
      toLatex(items, { baseline: 500, rules: [bar] }),
      "x = \\begin{bmatrix}a \\\\ b\\end{bmatrix} + \\binom{n}{k} + \\frac pq"
    )
    // the page's rules unknown: every stack is a fraction, as before
    assert.strictEqual(toLatex(items, { baseline: 500 }).match(/\\frac/g)?.length, 3)
  })

  it("puts a wide accent or an overline over the part of a run it covers, and a radical over what its vinculum covers", () => {
    // testmath's \widetilde{D}u: pdf.js gives `Du` as one run, the tilde as wide as the D
    assert.strictEqual(toLatex([run("e", 168.7, 241.1, "CMEX10", 10, 5.5), run("Du", 166.7, 238.6, "CMMI10", 10, 14.2)]), "\\widetilde Du")
    // (\theta, \overline{X}): one run `θ, X`, and a rule over the X only
    const pair = [run("(", 100, 500, "CMR10", 10, 3.9), run("θ, X", 104, 500, "CMMI10", 10, 20), run(")", 124.5, 500, "CMR10", 10, 3.9)]
    assert.strictEqual(toLatex(pair, { rules: [{ left: 116.3, right: 123.8, bottom: 507.6, top: 508 }] }), "(\\theta, \\overline X)")
    // \sqrt{a + b}c: the vinculum ends before the c; without rules the radical takes the next atom only
    const root = [
      run("√", 100, 508, "CMSY10", 10, 8.3), run("a", 110, 500), run("+", 117, 500, "CMR10", 10, 7.7), run("b", 127, 500),
      run("c", 140, 500)
    ]
    assert.strictEqual(toLatex(root, { rules: [{ left: 108.3, right: 135, bottom: 507.6, top: 508 }] }), "\\sqrt{a + b}c")
    assert.strictEqual(toLatex(root), "\\sqrt{a} + bc")
  })

  it("reads two short entries without a bar in parentheses as a binomial, longer ones as a vector", () => {
    // pxfonts' \Biggl( .. \Biggr) around 2n over n, no bar: \binom; a longer entry is a vector
    const binomial = (upper: string) => [
      run("p", 80, 500), run("=", 88, 500, "CMR10", 10, 7.7), run(droppedGlyph(0x20), 100, 514, "Pxex", 10, 4),
      run(upper, 106, 507, "CMMI10", 10, 10), run("n", 108, 493, "CMMI10", 10, 5.5), run("!", 119, 514, "Pxex", 10, 4)
    ]
    assert.strictEqual(toLatex(binomial("2n"), { baseline: 500, rules: [] }), "p = \\binom{2n}{n}")
    assert.strictEqual(toLatex(binomial("a(t)cos(u)"), { baseline: 500, rules: [] }), "p = \\begin{pmatrix}a(t)cos(u) \\\\ n\\end{pmatrix}")
  })

  it("reads three dots a step apart as \\ddots, \\vdots or \\iddots", () => {
    // the middle of diag(\sigma_1, \ddots, \sigma_N) as TeX sets it: three periods going down to the right
    const diagonal = [run(".", 290.5, 183.2, "CMR12", 12, 2.3), run(".", 295.1, 180.2, "CMR12", 12, 2.3), run(".", 299.6, 177.2, "CMR12", 12, 3.3)]
    assert.strictEqual(toLatex([run("x", 280, 178), ...diagonal, run("y", 306, 178)]), "x\\ddots y")
    const vertical = [run(".", 300, 190, "CMR10", 10, 2.8), run(".", 300, 184, "CMR10", 10, 2.8), run(".", 300, 178, "CMR10", 10, 2.8)]
    assert.strictEqual(toLatex([run("x", 290, 178), ...vertical, run("y", 306, 178)]), "x\\vdots y")
    assert.strictEqual(toLatex([run("x", 280, 178), run(".", 290, 178, "CMR10", 10, 2.8), run("y", 296, 178)]), "x.y")
  })
})
