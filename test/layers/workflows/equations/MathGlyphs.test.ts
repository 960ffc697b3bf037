import { assert, describe, it } from "@effect/vitest"
import {
  braceSide,
  charClasses,
  extensionGlyph,
  fontRole,
  hangDepth,
  hasLimits,
  isAccent,
  isBigOperator,
  isBracePiece,
  isHanging,
  isMathChar,
  isMathFont
} from "../../../../src/layers/workflows/equations/MathGlyphs.ts"
import { run } from "./items.ts"

describe("MathGlyphs", () => {
  it("knows the math fonts of TeX, Latin Modern, mathptmx, mathpazo, txfonts and OpenType math", () => {
    const roles: Record<string, string> = {
      CMMI10: "mathItalic",
      CMMI7: "mathItalic",
      "LMMathItalic10-Regular": "mathItalic",
      "StandardSymL-Slant_167": "mathItalic",
      "PazoMath-Italic": "mathItalic",
      rtxmi: "mathItalic",
      CMSY10: "mathSymbol",
      "LMMathSymbols7-Regular": "mathSymbol",
      StandardSymL: "mathSymbol",
      PazoMath: "mathSymbol",
      MSAM10: "mathSymbol",
      txsy: "mathSymbol",
      CMEX10: "mathExtension",
      "LMMathExtension10-Regular": "mathExtension",
      MSBM10: "blackboard",
      PazoMathBlackboardBold: "blackboard",
      EUFM10: "fraktur",
      EUSM10: "script",
      rsfs10: "script",
      "LatinModernMath-Regular": "mathUnicode",
      "STIXTwoMath-Regular": "mathUnicode",
      "CambriaMath": "mathUnicode",
      CMR10: "text",
      "LMRoman10-Regular": "text",
      "NimbusRomNo9L-Regu": "text",
      "URWPalladioL-Roma": "text",
      CMBX12: "text",
      CMTI10: "textItalic",
      "NimbusRomNo9L-ReguItal": "textItalic",
      "URWPalladioL-Ital": "textItalic"
    }
    for (const [name, role] of Object.entries(roles)) assert.strictEqual(fontRole(name), role, name)
    assert.strictEqual(fontRole("ABCDEF+CMMI10"), "mathItalic", "a subset prefix is ignored")
    assert.isTrue(isMathFont("CMSY10"))
    assert.isFalse(isMathFont("CMR10"))
    assert.isFalse(isMathFont("NimbusRomNo9L-ReguItal"))
  })

  it("knows the extension fonts of Euler, txfonts, pxfonts and others, and the blackboard letters of txfonts/pxfonts", () => {
    for (const name of ["EUEX10", "EUEX7", "zeuex10", "txex", "Pxex", "txexa", "ABCDEF+EUEX10", "STIXMathExtension-Bold", "STIXSizeOneSym-Regular"]) {
      assert.strictEqual(fontRole(name), "mathExtension", name)
    }
    assert.strictEqual(fontRole("txsyb"), "blackboard")
    assert.strictEqual(fontRole("Pxsyb"), "blackboard")
    // Euler's extension font has TeX's layout: `X` is a display sum, with limits, hanging from its top
    const sum = run("X", 100, 500, "EUEX10", 10, 14.4)
    assert.deepInclude(extensionGlyph("X", "EUEX10", 1.44), { kind: "operator", latex: "\\sum", large: true })
    assert.isTrue(isHanging(sum) && isBigOperator(sum) && hasLimits(sum, 10))
    assert.deepInclude(extensionGlyph("X", "ABCDEF+zeuex10", 1.44), { latex: "\\sum", large: true })
    // `txexa` has another layout: its `X` is no sum
    assert.notDeepInclude(extensionGlyph("X", "txexa", 1.44) ?? {}, { latex: "\\sum" })
  })

  it("knows the pieces of horizontal braces, which sit on their baseline, and which way a brace opens", () => {
    const over = [run("z", 186, 240, "Pxex", 10, 6.5), run("}|", 196, 240, "Pxex", 10, 13), run("{", 213, 240, "Pxex", 10, 6.5)]
    const under = [run("|", 184, 277, "CMEX10", 10, 6.5), run("{z", 203, 277, "CMEX10", 10, 13), run("}", 228, 277, "CMEX10", 10, 6.5)]
    assert.isTrue(over.every(isBracePiece) && under.every(isBracePiece))
    assert.isFalse(over.some(isHanging))
    assert.strictEqual(braceSide(over), "over")
    assert.strictEqual(braceSide(under), "under")
    assert.strictEqual(braceSide([run("⏟", 100, 200, "LatinModernMath-Regular", 10, 40)]), "under")
    assert.isFalse(isBracePiece(run("X", 100, 500, "CMEX10", 10, 14.5)))
    assert.isFalse(isBracePiece(run("z", 100, 500, "CMMI10")))
    assert.isUndefined(braceSide([run("z", 100, 500, "CMMI10")]))
  })

  it("knows the Unicode math ranges", () => {
    for (const char of ["α", "Ω", "→", "∑", "≤", "∈", "ℝ", "𝑥", "′", "∞", "±", "×"]) assert.isTrue(isMathChar(char), char)
    for (const char of ["a", "Z", "1", "(", "é", "—", "“"]) assert.isFalse(isMathChar(char), char)
  })

  it("counts math and prose characters of a run", () => {
    assert.deepStrictEqual(charClasses(run("x, y", 0, 0, "CMMI10")), { math: 3, prose: 0 })
    assert.deepStrictEqual(charClasses(run("the heat kernel", 0, 0, "CMR10")), { math: 0, prose: 13 })
    // operator names in roman are math; digits and parentheses are neither
    assert.deepStrictEqual(charClasses(run("exp(2)", 0, 0, "CMR10")), { math: 3, prose: 0 })
    assert.deepStrictEqual(charClasses(run(") =", 0, 0, "CMR10")), { math: 1, prose: 0 })
    // the text italic: single letters are math (mathptmx), words are emphasis
    assert.deepStrictEqual(charClasses(run("dS", 0, 0, "NimbusRomNo9L-ReguItal")), { math: 2, prose: 0 })
    // bold letters alone are `\mathbf` symbols; a bold word is prose
    assert.deepStrictEqual(charClasses(run("X", 0, 0, "CMBX10")), { math: 1, prose: 0 })
    assert.deepStrictEqual(charClasses(run("Proof", 0, 0, "CMBX10")), { math: 0, prose: 5 })
    assert.deepStrictEqual(charClasses(run("the skew comes", 0, 0, "NimbusRomNo9L-ReguItal")), { math: 0, prose: 12 })
    // single italic letters that pdf.js joined across math spacing
    assert.deepStrictEqual(charClasses(run("d f", 0, 0, "NimbusRomNo9L-ReguItal")), { math: 2, prose: 0 })
    assert.deepStrictEqual(charClasses(run("is a", 0, 0, "NimbusRomNo9L-ReguItal")), { math: 0, prose: 3 })
  })

  it("reads CMEX glyphs by code and Latin Modern's by Unicode and width", () => {
    assert.deepInclude(extensionGlyph("X", "CMEX10", 1.446), { kind: "operator", latex: "\\sum", large: true })
    assert.deepInclude(extensionGlyph("P", "CMEX10", 1.054), { kind: "operator", latex: "\\sum", large: false })
    assert.deepInclude(extensionGlyph("Z", "CMEX10", 0.556), { kind: "operator", latex: "\\int", large: true })
    assert.deepInclude(extensionGlyph("Y", "CMEX10", 1.275), { kind: "operator", latex: "\\prod", large: true })
    assert.deepInclude(extensionGlyph("I", "CMEX10", 0.556), { kind: "operator", latex: "\\oint", large: true })
    assert.deepInclude(extensionGlyph("p", "CMEX10", 1.0), { kind: "radical", latex: "\\sqrt" })
    assert.deepInclude(extensionGlyph("\u0012", "CMEX10", 0.733), { kind: "delimiter", latex: "(", extent: 2.4 })
    assert.deepInclude(extensionGlyph("\u0011", "CMEX10", 0.592), { kind: "delimiter", latex: ")", extent: 1.8 })
    assert.deepInclude(extensionGlyph("\uf8f1", "CMEX10", 0.89), { kind: "piece", latex: "\\{" })
    assert.deepInclude(extensionGlyph("∑", "LMMathExtension10-Regular", 1.446), { latex: "\\sum", large: true })
    assert.deepInclude(extensionGlyph("∑", "LMMathExtension10-Regular", 1.054), { latex: "\\sum", large: false })
    assert.deepInclude(extensionGlyph("∫", "LMMathExtension10-Regular", 0.552), { latex: "\\int", large: true })
    assert.deepInclude(extensionGlyph("(", "LMMathExtension10-Regular", 0.733), { kind: "delimiter", extent: 2.4 })
    assert.isUndefined(extensionGlyph("a", "CMR10", 0.5))
  })

  it("tells hanging glyphs, big operators, operators with limits and accents", () => {
    const sum = run("X", 100, 500, "CMEX10", 10, 14.5)
    assert.isTrue(isHanging(sum) && isBigOperator(sum) && hasLimits(sum, 10))
    assert.closeTo(hangDepth(sum), 14, 0.01)
    const textSum = run("P", 100, 500, "CMEX10", 10, 10.5)
    assert.isTrue(isBigOperator(textSum))
    assert.isFalse(hasLimits(textSum, 10), "a text-size sum has its limits at its side")
    const pazoSum = run("∑", 100, 500, "PazoMath", 13.95, 10.7)
    assert.isTrue(isBigOperator(pazoSum) && hasLimits(pazoSum, 10) && !isHanging(pazoSum))
    assert.isTrue(hasLimits(run("lim", 0, 0, "CMR10"), 10))
    assert.isTrue(isHanging(run("√", 0, 0, "CMSY10")))
    assert.strictEqual(hangDepth(run("x", 0, 0)), 0)
    // acmart's PDFs map CMEX to Unicode, a variation selector picking the size: `∑︁` is a display sum with limits
    const mappedSum = run("∑\ufe01", 156.1, 388, "CMEX9", 9, 13.3)
    assert.isTrue(isHanging(mappedSum) && isBigOperator(mappedSum) && hasLimits(mappedSum, 9))
    // a `\big(` the PDF maps to Unicode hangs 1.2 em; unmapped, code 0x28 is a `\Bigg\{`, 3 em
    assert.closeTo(hangDepth(run("(\ufe00", 0, 0, "CMEX9", 9, 4.2)), 10.8, 0.01)
    assert.closeTo(hangDepth(run("(", 0, 0, "CMEX9", 9, 4.2)), 27, 0.01)
    assert.isTrue(isAccent(run("¯", 0, 0, "CMR10")))
    assert.isFalse(isAccent(run("-", 0, 0, "CMR10")))
  })
})
