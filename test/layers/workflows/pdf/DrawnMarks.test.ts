/**
 * What the text layer leaves out: glyphs read as white space (TeX's `\left|` pieces) and rules (fraction bars), from a
 * page's operator list, placed as pdf.js's own renderer places them.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Effect from "effect/Effect"
import { OPS } from "pdfjs-dist/legacy/build/pdf.mjs"
import { drawnMarks } from "../../../../src/layers/workflows/pdf/DrawnMarks.ts"
import { droppedCode, droppedGlyph } from "../../../../src/layers/workflows/pdf/Pdf.ts"
import * as PdfJs from "../../../../src/layers/workflows/pdf/PdfJs.ts"

const corpus = Path.join(import.meta.dirname, "..", "..", "..", "fixtures", "corpus")

const glyph = (unicode: string, width: number) => ({ unicode, width, isSpace: unicode === " " })

const fonts = (id: string) => ({
  name: id === "ex" ? "CMEX10" : id === "px" ? "Pxex" : "CMR10",
  matrix: [0.001, 0, 0, 0.001, 0, 0]
})

describe("DrawnMarks", () => {
  it.effect("gives back the pieces of a tall |...| and the fraction bar of a real page (amsmath's testmath, page 15)", () =>
    Effect.gen(function*() {
      const bytes = new Uint8Array(Fs.readFileSync(Path.join(corpus, "testmath.pdf")))
      const [page] = (yield* PdfJs.make().text(bytes, [15])).pages
      // |\widetilde{D}u_y| in the denominator of the display near the foot: three pieces of code 12 at each side
      const bars = page!.items.filter((item) => droppedCode(item.text) === 12 && item.y > 215 && item.y < 235)
      const sides = [...new Set(bars.map((item) => Math.round(item.x)))].sort((a, b) => a - b)
      assert.includeMembers(sides, [163, 186])
      for (const item of bars) {
        assert.strictEqual(item.fontName, "CMEX10")
        assert.closeTo(item.fontSize, 9.96, 0.01)
        assert.closeTo(item.width, 3.32, 0.01) // 333.3 thousandths of the em
      }
      // the denominator's bar lies between its numerator (baseline 238.6) and its denominator (221.5)
      const bar = page!.rules.find((rule) => Math.abs(rule.left - 163.3) < 0.5 && rule.top < 238 && rule.bottom > 222)
      assert.isDefined(bar)
      assert.closeTo(bar!.right - bar!.left, 25.7, 0.2)
      assert.closeTo(bar!.top - bar!.bottom, 0.4, 0.01)
    }))

  it("places a dropped glyph after the advances and TJ kerns before it, under the text and current matrices", () => {
    const marks = drawnMarks({
      fnArray: [
        OPS.save, OPS.transform, OPS.beginText, OPS.setFont, OPS.setTextMatrix, OPS.showText, OPS.setFont, OPS.moveText,
        OPS.showText, OPS.endText, OPS.restore, OPS.beginText, OPS.setFont, OPS.moveText, OPS.showText, OPS.endText
      ],
      argsArray: [
        null, [2, 0, 0, 2, 10, 20], null, ["rm", 10], [[1, 0, 0, 1, 5, 5]],
        // "ab" (500 + 500 thousandths), a kern of -100 (moves right 1 point), then a \Biggl( (code 32, 0.79 em)
        [[glyph("a", 500), glyph("b", 500), -100, glyph(" ", 300)]],
        ["ex", 10], [12, 0], [[glyph(" ", 791.7), glyph("\f", 333.3)]],
        null, null, null, ["rm", 10], [100, 100], [[glyph("x", 500), glyph(" ", 333)]], null
      ]
    }, fonts)
    // in text space: the Biggl( at x = 12, the | at 12 + 7.917; then scaled by 2 and moved by (10 + 2·5, 20 + 2·5)
    assert.deepStrictEqual(marks.dropped.map((item) => [droppedCode(item.text), item.fontName]), [[32, "CMEX10"], [12, "CMEX10"]])
    assert.closeTo(marks.dropped[0]!.x, 20 + 2 * 12, 1e-9)
    assert.closeTo(marks.dropped[0]!.y, 30, 1e-9)
    assert.closeTo(marks.dropped[0]!.fontSize, 20, 1e-9)
    assert.closeTo(marks.dropped[0]!.width, 2 * 7.917, 1e-9)
    assert.closeTo(marks.dropped[1]!.x, 20 + 2 * (12 + 7.917), 1e-9)
    // word spaces (a narrow glyph at code 32 of a text font) are no ink, before the restore or after it
    assert.strictEqual(marks.dropped.filter((item) => item.fontName === "CMR10").length, 0)
    // pxfonts' \Biggl( is narrower than any CMEX one, but its font is named for an extension font
    const px = drawnMarks({
      fnArray: [OPS.beginText, OPS.setFont, OPS.showText, OPS.endText],
      argsArray: [null, ["px", 10], [[glyph(" ", 400)]], null]
    }, fonts)
    assert.deepStrictEqual(px.dropped.map((item) => [droppedCode(item.text), item.fontName]), [[32, "Pxex"]])
    assert.strictEqual(droppedGlyph(12), "\ue00c")
  })

  it("draws a transparency group's form by the form's matrix once, and keeps no-break spaces as text", () => {
    // pdf.js gives a group's matrix with `beginGroup` (for its bounds) and again with the form it paints
    const marks = drawnMarks({
      fnArray: [
        OPS.beginGroup, OPS.paintFormXObjectBegin, OPS.beginText, OPS.setFont, OPS.showText, OPS.endText,
        OPS.paintFormXObjectEnd, OPS.endGroup
      ],
      argsArray: [
        [{ matrix: [1, 0, 0, 1, 100, 0] }], [[1, 0, 0, 1, 100, 0], [0, 0, 50, 50]], null, ["ex", 10],
        [[glyph("\f", 333.3), glyph("\u00a0", 333.3), glyph("\u3000", 1000)]], null, null, null
      ]
    }, fonts)
    assert.deepStrictEqual(marks.dropped.map((item) => [droppedCode(item.text), item.x]), [[12, 100]])
  })

  it("keeps thin strokes and fills as rules, in page space, and nothing thicker", () => {
    const marks = drawnMarks({
      fnArray: [OPS.save, OPS.transform, OPS.setLineWidth, OPS.constructPath, OPS.restore, OPS.constructPath, OPS.constructPath],
      argsArray: [
        null, [1, 0, 0, 1, 100, 200], [0.4], [OPS.stroke, [], [0, 0, 20, 0]], null,
        // a filled 0.5 × 30 pt rule (a table's \hline) and a filled 10 × 10 pt square (no rule)
        [OPS.fill, [], [50, 60, 80, 60.5]], [OPS.fill, [], [0, 0, 10, 10]]
      ]
    }, fonts)
    assert.deepStrictEqual(marks.rules, [
      { left: 100, bottom: 199.8, right: 120, top: 200.2 },
      { left: 50, bottom: 60, right: 80, top: 60.5 }
    ])
  })
})
