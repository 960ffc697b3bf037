import { assert, describe, it } from "@effect/vitest"
import { charLatex, longArrow, runTokens, symbolLatex } from "../../../../src/layers/workflows/equations/LatexSymbols.ts"
import { run } from "./items.ts"

describe("LatexSymbols", () => {
  it("spells Greek, relations and operators as commands", () => {
    assert.deepStrictEqual(runTokens(run("λϕφ", 0, 0)), ["\\lambda", "\\phi", "\\varphi"])
    assert.deepStrictEqual(runTokens(run("≤ · · ·", 0, 0, "CMSY10")), ["\\le", "\\cdots"])
    assert.deepStrictEqual(runTokens(run("∆", 0, 0, "CMR10")), ["\\Delta"])
    assert.strictEqual(symbolLatex("→"), "\\to")
    assert.deepStrictEqual(runTokens(run("−→", 0, 0, "CMSY10", 10, 16)), ["\\longrightarrow"])
    assert.deepStrictEqual(runTokens(run("⇐⇒", 0, 0, "CMSY10", 10, 18)), ["\\Longleftrightarrow"])
    assert.strictEqual(longArrow("=", "⇒"), "⟹")
    assert.isUndefined(symbolLatex("x"))
  })

  it("takes the alphabet from the font", () => {
    assert.deepStrictEqual(runTokens(run("L", 0, 0, "CMSY10")), ["\\mathcal{L}"])
    assert.deepStrictEqual(runTokens(run("E", 0, 0, "MSBM10")), ["\\mathbb{E}"])
    assert.deepStrictEqual(runTokens(run("g", 0, 0, "EUFM10")), ["\\mathfrak{g}"])
    assert.deepStrictEqual(runTokens(run("1", 0, 0, "CMBX10")), ["\\mathbf{1}"])
    assert.strictEqual(charLatex("𝑥", "mathUnicode"), "x")
    assert.strictEqual(charLatex("𝔤", "mathUnicode"), "\\mathfrak{g}")
  })

  it("writes bold math: a few upright bold letters in one run each \\mathbf, bold math italic \\boldsymbol", () => {
    assert.deepStrictEqual(runTokens(run("Fx", 0, 0, "CMBX10")), ["\\mathbf{F}", "\\mathbf{x}"])
    assert.deepStrictEqual(runTokens(run("HP", 0, 0, "NimbusRomNo9L-Medi")), ["\\mathbf{H}", "\\mathbf{P}"])
    assert.deepStrictEqual(runTokens(run("Σ", 0, 0, "CMBX10")), ["\\mathbf{\\Sigma}"])
    assert.deepStrictEqual(runTokens(run("ν", 0, 0, "CMMIB10")), ["\\boldsymbol{\\nu}"])
    assert.deepStrictEqual(runTokens(run("x,", 0, 0, "CMMIB10")), ["\\boldsymbol{x}", ","])
    assert.deepStrictEqual(runTokens(run("x", 0, 0, "EURB10")), ["\\boldsymbol{x}"])
    // a bold word stays a word
    assert.deepStrictEqual(runTokens(run("Algorithm", 0, 0, "CMBX10")), ["\\text{Algorithm}"])
    assert.deepStrictEqual(runTokens(run("for", 0, 0, "CMBX10")), ["\\text{for}"])
    assert.deepStrictEqual(runTokens(run("do", 0, 0, "CMBX10")), ["\\text{do}"])
  })

  it("reads extension glyphs by their code", () => {
    assert.deepStrictEqual(runTokens(run("X", 0, 0, "CMEX10", 10, 14.4)), ["\\sum"])
    assert.deepStrictEqual(runTokens(run("Z", 0, 0, "CMEX10", 10, 5.5)), ["\\int"])
    assert.deepStrictEqual(runTokens(run("\u0010", 0, 0, "CMEX10", 10, 5.9)), ["("])
    // yhmath's upper half comes by its Mac Roman names: a wide tilde, a `)` between CMEX's sizes
    assert.deepStrictEqual(runTokens(run("‹ã", 0, 0, "Yhcmex", 10, 14)), ["\\widetilde", ")"])
    assert.deepStrictEqual(runTokens(run("∮", 0, 0, "LMMathExtension10-Regular", 10, 5.5)), ["\\oint"])
  })

  it("reads an extension font's glyph by Unicode when the PDF maps it, a variation selector picking its size", () => {
    // `\big(` in CMEX9 as a mapped PDF gives it, and as one without a map (code 0x28 is a `\Bigg\{`)
    assert.deepStrictEqual(runTokens(run("(\ufe00", 0, 0, "CMEX9", 9, 4.2)), ["("])
    assert.deepStrictEqual(runTokens(run(")\ufe00", 0, 0, "CMEX9", 9, 4.2)), [")"])
    assert.deepStrictEqual(runTokens(run("(", 0, 0, "CMEX10", 10, 10)), ["\\{"])
  })

  it("makes operator names commands and words text", () => {
    assert.deepStrictEqual(runTokens(run("exp", 0, 0, "CMR10")), ["\\exp"])
    assert.deepStrictEqual(runTokens(run("lim inf", 0, 0, "CMR10")), ["\\liminf"])
    assert.deepStrictEqual(runTokens(run("diam(", 0, 0, "CMR10")), ["\\operatorname{diam}", "("])
    assert.deepStrictEqual(runTokens(run("argmin", 0, 0, "CharterBT-Roman")), ["\\operatorname*{argmin}"])
    assert.deepStrictEqual(runTokens(run(") =", 0, 0, "CMR10")), [")", "="])
    assert.deepStrictEqual(runTokens(run("if the option ends", 0, 0, "CMR10")), ["\\text{if the option ends}"])
    assert.deepStrictEqual(runTokens(run("otherwise.", 0, 0, "CMR10")), ["\\text{otherwise}", "."])
    assert.deepStrictEqual(runTokens(run("dS", 0, 0, "NimbusRomNo9L-ReguItal")), ["d", "S"])
    // a bold symbol font's symbols and a bold text font's operators are bold symbols; its letters and digits `\mathbf`
    assert.deepStrictEqual(runTokens(run("∞", 0, 0, "CMBSY7")), ["\\boldsymbol{\\infty}"])
    assert.deepStrictEqual(runTokens(run("+", 0, 0, "CMBX10")), ["\\boldsymbol{+}"])
    assert.deepStrictEqual(runTokens(run("A", 0, 0, "CMBX10")), ["\\mathbf{A}"])
    assert.deepStrictEqual(runTokens(run("+", 0, 0, "CMR10")), ["+"])
    // typewriter words as they are, text mode's special characters spelled out
    assert.deepStrictEqual(runTokens(run("\\over", 0, 0, "ABCDEF+CMTT10")), ["\\texttt{\\textbackslash over}"])
    assert.deepStrictEqual(runTokens(run("a_b {c}", 0, 0, "LMMono10-Regular")), ["\\texttt{a\\_b \\{c\\}}"])
  })

  it("spells Greek of the math alphabets and binary symbols such as \\diamond, and drops variation selectors", () => {
    assert.deepStrictEqual(runTokens(run("𝜆𝛽", 0, 0, "LMMathItalic10")), ["\\lambda", "\\beta"])
    assert.deepStrictEqual(runTokens(run("x⋄y", 0, 0, "CMMI10")), ["x", "\\diamond", "y"])
    assert.deepStrictEqual(runTokens(run("⩽⩾≁", 0, 0, "MSAM10")), ["\\leqslant", "\\geqslant", "\\nsim"])
    assert.deepStrictEqual(runTokens(run("≤\ufe00", 0, 0, "CMSY10")), ["\\le"])
  })
})
