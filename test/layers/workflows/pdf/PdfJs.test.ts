import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { Pdf, type PdfError } from "../../../../src/layers/workflows/pdf/Pdf.ts"
import * as PdfJs from "../../../../src/layers/workflows/pdf/PdfJs.ts"

const papers = Path.join(import.meta.dirname, "..", "..", "..", "fixtures", "papers")
const fixture = (name: string) => new Uint8Array(Fs.readFileSync(Path.join(papers, name)))

const text = (bytes: Uint8Array, pages?: ReadonlyArray<number>, options?: PdfJs.Options) =>
  Effect.gen(function*() {
    const pdf = yield* Pdf
    return yield* pdf.text(bytes, pages)
  }).pipe(Effect.provide(PdfJs.layer(options)))

const failure = (bytes: Uint8Array, pages?: ReadonlyArray<number>, options?: PdfJs.Options) =>
  Effect.flip(text(bytes, pages, options))

const fonts = (document: { readonly pages: ReadonlyArray<{ readonly items: ReadonlyArray<{ readonly fontName: string }> }> }) =>
  new Set(document.pages.flatMap((page) => page.items.map((item) => item.fontName)))

const allText = (document: { readonly pages: ReadonlyArray<{ readonly items: ReadonlyArray<{ readonly text: string }> }> }) =>
  document.pages.flatMap((page) => page.items.map((item) => item.text)).join(" ")

describe("PdfJs", () => {
  it.effect("reads every page with positioned runs and real font names", () =>
    Effect.gen(function*() {
      const document = yield* text(fixture("heat-kernel.pdf"))
      assert.strictEqual(document.pageCount, 2)
      assert.deepStrictEqual(document.pages.map((page) => page.pageNumber), [1, 2])
      for (const page of document.pages) {
        assert.isAbove(page.items.length, 100)
        assert.closeTo(page.width, 595.28, 0.01) // A4
        assert.closeTo(page.height, 841.89, 0.01)
        for (const item of page.items) {
          assert.isTrue(item.text.trim() !== "", "whitespace runs are left out")
          assert.strictEqual(item.text, item.text.trimEnd(), "a run's trailing space (a gap pdf.js counts in) is cut off")
          assert.isTrue(item.x >= 0 && item.x <= page.width && item.y >= 0 && item.y <= page.height)
          assert.isAbove(item.fontSize, 3)
          assert.isFalse(/^[A-Z]{6}\+/.test(item.fontName), `subset prefix kept: ${item.fontName}`)
        }
      }
      const names = fonts(document)
      for (const name of ["CMR10", "CMMI10", "CMSY10", "CMEX10", "CMBX12"]) assert.isTrue(names.has(name), name)
      assert.include(allText(document), "The heat kernel")
    }))

  it.effect("gives sizes and baselines from the text matrix", () =>
    Effect.gen(function*() {
      const document = yield* text(fixture("heat-kernel.pdf"), [1])
      const number = document.pages[0]!.items.find((item) => item.text === "(1)")!
      // equation (1) of heat-kernel: baseline 476.40 in the ground truth, 10.95 pt (11pt class) roman
      assert.closeTo(number.y, 476.4, 0.01)
      assert.closeTo(number.fontSize, 10.91, 0.05)
      assert.strictEqual(number.fontName, "CMR10")
      assert.isAbove(number.width, 10)
      const sum = document.pages[0]!.items.find((item) => item.text === "X" && item.fontName === "CMEX10")
      assert.isDefined(sum, "the display sum arrives as CMEX10 'X'")
    }))

  it.effect("names the fonts of Latin Modern, Times and Palatino papers", () =>
    Effect.gen(function*() {
      const latinModern = fonts(yield* text(fixture("contour-integrals.pdf")))
      assert.isTrue(latinModern.has("LMMathItalic10-Regular") && latinModern.has("LMMathExtension10-Regular"))
      const times = fonts(yield* text(fixture("stochastic-volatility.pdf")))
      assert.isTrue(times.has("NimbusRomNo9L-ReguItal") && times.has("StandardSymL-Slant_167"))
      const palatino = fonts(yield* text(fixture("lattice-sums.pdf")))
      assert.isTrue(palatino.has("PazoMath-Italic") && palatino.has("URWPalladioL-Roma"))
    }))

  it.effect("reads only the pages asked for, in ascending order, once each", () =>
    Effect.gen(function*() {
      const bytes = fixture("spectral-graphs.pdf")
      const second = yield* text(bytes, [2])
      assert.strictEqual(second.pageCount, 2)
      assert.deepStrictEqual(second.pages.map((page) => page.pageNumber), [2])
      const both = yield* text(bytes, [2, 1, 2])
      assert.deepStrictEqual(both.pages.map((page) => page.pageNumber), [1, 2])
      assert.deepStrictEqual(both.pages[1]!.items, second.pages[0]!.items)
    }))

  it.effect("leaves the caller's bytes intact", () =>
    Effect.gen(function*() {
      const bytes = fixture("stochastic-volatility.pdf")
      const before = Buffer.from(bytes).toString("base64")
      yield* text(bytes)
      assert.strictEqual(bytes.byteLength, Fs.statSync(Path.join(papers, "stochastic-volatility.pdf")).size)
      assert.strictEqual(Buffer.from(bytes).toString("base64"), before)
    }))

  it.effect("fails with NoSuchPage, naming the page count", () =>
    Effect.gen(function*() {
      const bytes = fixture("heat-kernel.pdf")
      for (const pages of [[3], [0], [1, 2.5], [-1]]) {
        const error: PdfError = yield* failure(bytes, pages)
        assert.strictEqual(error.kind, "NoSuchPage")
        assert.include(error.message, "2 pages")
      }
    }))

  it.effect("tells a PDF that is not one, a corrupt one and an encrypted one apart", () =>
    Effect.gen(function*() {
      const notPdf = yield* failure(fixture("not-a-pdf.pdf"))
      assert.strictEqual(notPdf.kind, "NotPdf")
      const corrupt = yield* failure(fixture("corrupt.pdf"))
      assert.strictEqual(corrupt.kind, "Corrupt")
      assert.include(corrupt.message, "cannot be read")
      const encrypted = yield* failure(fixture("encrypted.pdf"))
      assert.strictEqual(encrypted.kind, "Encrypted")
      assert.include(encrypted.message, "password")
      const empty = yield* failure(new Uint8Array(0))
      assert.strictEqual(empty.kind, "NotPdf")
    }))

  it.effect("enforces the byte and page limits before reading", () =>
    Effect.gen(function*() {
      const bytes = fixture("heat-kernel.pdf")
      const big = yield* failure(bytes, undefined, { maxBytes: bytes.length - 1 })
      assert.strictEqual(big.kind, "TooLarge")
      assert.include(big.message, `${bytes.length} bytes`)
      // a not-a-PDF over the byte limit fails on size: nothing is parsed
      const unparsed = yield* failure(fixture("not-a-pdf.pdf"), undefined, { maxBytes: 10 })
      assert.strictEqual(unparsed.kind, "TooLarge")
      const pages = yield* failure(bytes, undefined, { maxPages: 1 })
      assert.strictEqual(pages.kind, "TooLarge")
      assert.include(pages.message, "2 pages")
      const selected = yield* text(bytes, [2], { maxPages: 1 })
      assert.deepStrictEqual(selected.pages.map((page) => page.pageNumber), [2])
      const tooMany = yield* failure(bytes, [1, 2], { maxPages: 1 })
      assert.strictEqual(tooMany.kind, "TooLarge")
    }))

  it.effect("stops when interrupted and stays usable", () =>
    Effect.gen(function*() {
      const pdf = PdfJs.make()
      const fiber = yield* Effect.forkChild(pdf.text(fixture("spectral-graphs.pdf")))
      yield* Effect.yieldNow
      yield* Fiber.interrupt(fiber)
      const exit = yield* Fiber.await(fiber)
      assert.isTrue(Exit.hasInterrupts(exit))
      const document = yield* pdf.text(fixture("spectral-graphs.pdf"), [1])
      assert.isAbove(document.pages[0]!.items.length, 100)
    }))
})
