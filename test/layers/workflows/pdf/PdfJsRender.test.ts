/**
 * `Pdf.renderCrops` over pdf.js: PNG crops of the fixture papers' equations (from their ground truth), drawn at the
 * right place and size, one drawing per page, clamped to the page, bounded in pixels, canvases freed (also when
 * interrupted), and no crops (but working text) where `@napi-rs/canvas` cannot be loaded.
 */
import { assert, describe, it } from "@effect/vitest"
import { createCanvas, loadImage } from "@napi-rs/canvas"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Logger from "effect/Logger"
import * as Result from "effect/Result"
import type { Crop } from "../../../../src/layers/workflows/pdf/Pdf.ts"
import * as PdfJs from "../../../../src/layers/workflows/pdf/PdfJs.ts"
import * as PdfJsRender from "../../../../src/layers/workflows/pdf/PdfJsRender.ts"

const papers = Path.join(import.meta.dirname, "..", "..", "..", "fixtures", "papers")
const fixture = (name: string) => new Uint8Array(Fs.readFileSync(Path.join(papers, name)))

/** the equations of a fixture paper as crops, from its ground truth */
const truthCrops = (paper: string): ReadonlyArray<Crop> => {
  const truth = JSON.parse(Fs.readFileSync(Path.join(papers, `${paper}.truth.json`), "utf8")) as {
    readonly equations: ReadonlyArray<{
      readonly page: number
      readonly x: { readonly left: number; readonly right: number }
      readonly y: { readonly bottom: number; readonly top: number }
    }>
  }
  return truth.equations.map(({ page, x, y }) => ({
    page,
    bbox: { left: x.left, bottom: y.bottom, right: x.right, top: y.top }
  }))
}

/** width and height from the PNG's IHDR chunk, after checking the signature */
const pngSize = (png: Uint8Array) => {
  assert.deepStrictEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature")
  assert.strictEqual(new TextDecoder().decode(png.subarray(12, 16)), "IHDR")
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength)
  return { width: view.getUint32(16), height: view.getUint32(20) }
}

/** the dark pixels of a PNG: how many, and how far the nearest is from each edge */
const ink = (png: Uint8Array) =>
  Effect.promise(() => loadImage(png)).pipe(Effect.map((image) => {
    const { width, height } = image
    const canvas = createCanvas(width, height)
    const context = canvas.getContext("2d")
    context.drawImage(image, 0, 0)
    const data = context.getImageData(0, 0, width, height).data
    let dark = 0
    let [left, top, right, bottom] = [width, height, -1, -1]
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (data[(y * width + x) * 4]! >= 128) continue
        dark += 1
        left = Math.min(left, x)
        right = Math.max(right, x)
        top = Math.min(top, y)
        bottom = Math.max(bottom, y)
      }
    }
    return { share: dark / (width * height), left, top, right: width - 1 - right, bottom: height - 1 - bottom }
  }))

/** a canvas module that counts the canvases it makes, to see how often pages are drawn and that all are freed */
const countingCanvas = () => {
  const real = PdfJsRender.loadCanvas()
  if (Result.isFailure(real)) throw new Error(real.failure)
  const made: Array<PdfJsRender.Canvas> = []
  const module: PdfJsRender.CanvasModule = {
    createCanvas: (width, height) => {
      const canvas = real.success.createCanvas(width, height)
      made.push(canvas)
      return canvas
    }
  }
  return { made, pdf: PdfJs.make({ loadCanvas: () => Result.succeed(module) }) }
}

const collectLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make((options) => lines.push(`${options.logLevel}: ${String(options.message)}`))
  return { lines, layer: Logger.layer([logger]) }
}

describe("PdfJs.renderCrops", () => {
  it.effect("crops every equation of a paper as a PNG of its box plus the margin, at the scale, with the ink inside", () =>
    Effect.gen(function*() {
      const crops = truthCrops("heat-kernel")
      const pngs = yield* PdfJs.make().renderCrops(fixture("heat-kernel.pdf"), crops)
      assert.strictEqual(pngs.length, crops.length)
      for (const [i, png] of pngs.entries()) {
        const { bbox } = crops[i]!
        assert.isDefined(png, `crop ${i}`)
        const { width, height } = pngSize(png!)
        // (box + 2 margins) x scale, rounded outwards: at most one pixel more on each side
        const exactWidth = (bbox.right - bbox.left + 2 * PdfJsRender.defaultMargin) * PdfJsRender.defaultScale
        const exactHeight = (bbox.top - bbox.bottom + 2 * PdfJsRender.defaultMargin) * PdfJsRender.defaultScale
        assert.isTrue(width >= exactWidth && width <= exactWidth + 2, `crop ${i}: ${width} wide for ${exactWidth}`)
        assert.isTrue(height >= exactHeight && height <= exactHeight + 2, `crop ${i}: ${height} high for ${exactHeight}`)
        // black glyphs on white, and where the box says: the margin (8 px) is white on every side
        const drawn = yield* ink(png!)
        assert.isTrue(drawn.share > 0.01 && drawn.share < 0.2, `crop ${i}: ${drawn.share} of it is ink`)
        for (const side of ["left", "top", "right", "bottom"] as const) {
          assert.isTrue(drawn[side] >= 6 && drawn[side] <= 16, `crop ${i}: ink ${drawn[side]} px from the ${side}`)
        }
      }
    }))

  it.effect("a crop of the empty page margin is white; scale and margin are the caller's", () =>
    Effect.gen(function*() {
      const pdf = PdfJs.make()
      const [blank, scaled] = yield* pdf.renderCrops(fixture("heat-kernel.pdf"), [
        { page: 1, bbox: { left: 10, bottom: 800, right: 60, top: 830 } },
        { page: 1, bbox: { left: 222.61, bottom: 461.95, right: 372.67, top: 494.55 } }
      ], { scale: 1, margin: 0 })
      // 50 x 30 points, but the page's top is at 841.89: 11.89 to 41.89 pixels from it, rounded outwards
      assert.deepStrictEqual(pngSize(blank!), { width: 50, height: 31 })
      assert.strictEqual((yield* ink(blank!)).share, 0)
      // equation (1) at 72 dpi without a margin: its box rounded outwards (222..373 by 347..380 pixels), ink to
      // (nearly) its edges
      assert.deepStrictEqual(pngSize(scaled!), { width: 151, height: 33 })
      const drawn = yield* ink(scaled!)
      assert.isAbove(drawn.share, 0.02)
      assert.isBelow(drawn.left, 3)
    }))

  it.effect("draws each page once for all of its crops, on a two-column paper too, and frees every canvas", () =>
    Effect.gen(function*() {
      const crops = truthCrops("spectral-graphs")
      const pages = new Set(crops.map((crop) => crop.page)).size
      const { made, pdf } = countingCanvas()
      const pngs = yield* pdf.renderCrops(fixture("spectral-graphs.pdf"), crops)
      assert.isTrue(pngs.every((png) => png !== undefined))
      // one canvas per page drawn, one per crop cut from it
      assert.strictEqual(made.length, pages + crops.length)
      assert.isTrue(made.every((canvas) => canvas.width === 0 && canvas.height === 0), "all canvases freed")
    }))

  it.effect("clamps a crop that reaches off the page; a crop wholly off it, or without area, is undefined", () =>
    Effect.gen(function*() {
      // heat-kernel is A4: 595.28 x 841.89 points, 1191 x 1684 pixels at scale 2
      const [corner, outside, empty, sideways] = yield* PdfJs.make().renderCrops(fixture("heat-kernel.pdf"), [
        { page: 1, bbox: { left: -100, bottom: 820, right: 50, top: 900 } },
        { page: 1, bbox: { left: 600, bottom: 100, right: 700, top: 200 } },
        { page: 2, bbox: { left: 100, bottom: 100, right: 100, top: Number.NaN } },
        { page: 2, bbox: { left: 580, bottom: -20, right: 700, top: 30 } }
      ])
      // from the page's left edge to 54 pt, from 816 pt (4 pt of margin below 820) to the top edge
      assert.deepStrictEqual(pngSize(corner!), { width: 108, height: Math.ceil((841.89 - 816) * 2) })
      assert.isUndefined(outside)
      assert.isUndefined(empty)
      assert.deepStrictEqual(pngSize(sideways!), {
        width: Math.ceil(595.28 * 2) - 1152,
        height: Math.ceil(841.89 * 2) - Math.floor((841.89 - 34) * 2)
      })
    }))

  it.effect("a page whose crops need more than maxPixels gives none, with a warning; other pages still do", () =>
    Effect.gen(function*() {
      const { lines, layer } = collectLogs()
      // page 1: equations (1) and (5), far apart, so the region spans most of the page; page 2: one equation
      const crops = truthCrops("heat-kernel")
      const [first, fifth, sixth] = [crops[0]!, crops[4]!, crops[5]!]
      const area = (crop: Crop) => (crop.bbox.right - crop.bbox.left + 10) * (crop.bbox.top - crop.bbox.bottom + 10) * 4
      const maxPixels = Math.ceil(3 * area(sixth))
      const pngs = yield* PdfJs.make().renderCrops(fixture("heat-kernel.pdf"), [first, fifth, sixth], { maxPixels }).pipe(
        Effect.provide(layer)
      )
      assert.isUndefined(pngs[0])
      assert.isUndefined(pngs[1])
      assert.isDefined(pngs[2])
      assert.isTrue(area(first) < maxPixels && area(fifth) < maxPixels, "each crop alone would fit")
      assert.strictEqual(lines.filter((line) => line.includes("page 1") && line.includes("limit")).length, 1)
      assert.isTrue(lines.every((line) => !line.includes("page 2")))
    }))

  it.effect("without @napi-rs/canvas every crop is undefined, one warning says why, and text still works", () =>
    Effect.gen(function*() {
      const { lines, layer } = collectLogs()
      const pdf = PdfJs.make({ loadCanvas: () => Result.fail("no native binary for this platform") })
      const bytes = fixture("heat-kernel.pdf")
      const crops = truthCrops("heat-kernel")
      const first = yield* pdf.renderCrops(bytes, crops).pipe(Effect.provide(layer))
      const second = yield* pdf.renderCrops(bytes, crops.slice(0, 2)).pipe(Effect.provide(layer))
      assert.deepStrictEqual([first.length, second.length], [crops.length, 2])
      assert.isTrue([...first, ...second].every((png) => png === undefined))
      assert.strictEqual(lines.length, 1)
      assert.include(lines[0]!, "Warn")
      assert.include(lines[0]!, "no native binary for this platform")
      assert.isAbove((yield* pdf.text(bytes, [1])).pages[0]!.items.length, 100)
    }))

  it.effect("fails only for a PDF that cannot be read or a page it does not have, under the text limits", () =>
    Effect.gen(function*() {
      const pdf = PdfJs.make({ maxBytes: 1_000_000, maxPages: 1 })
      const bytes = fixture("heat-kernel.pdf")
      const crop = (page: number): Crop => ({ page, bbox: { left: 100, bottom: 100, right: 200, top: 200 } })
      assert.deepStrictEqual(yield* pdf.renderCrops(fixture("not-a-pdf.pdf"), []), [], "no crops, nothing read")
      assert.strictEqual((yield* Effect.flip(pdf.renderCrops(fixture("not-a-pdf.pdf"), [crop(1)]))).kind, "NotPdf")
      assert.strictEqual((yield* Effect.flip(pdf.renderCrops(fixture("encrypted.pdf"), [crop(1)]))).kind, "Encrypted")
      const missing = yield* Effect.flip(pdf.renderCrops(bytes, [crop(1), crop(3)]))
      assert.strictEqual(missing.kind, "NoSuchPage")
      assert.include(missing.message, "page 3")
      assert.strictEqual((yield* Effect.flip(pdf.renderCrops(bytes, [crop(1), crop(2)]))).kind, "TooLarge")
      const small = PdfJs.make({ maxBytes: bytes.length - 1 })
      assert.strictEqual((yield* Effect.flip(small.renderCrops(bytes, [crop(1)]))).kind, "TooLarge")
    }))

  it.live("stops when interrupted, frees its canvases and stays usable", () =>
    Effect.gen(function*() {
      const { made, pdf } = countingCanvas()
      const bytes = fixture("spectral-graphs.pdf")
      const crops = truthCrops("spectral-graphs")
      const fiber = yield* Effect.forkChild(pdf.renderCrops(bytes, crops))
      // until the first page's canvas exists, so the interruption lands while pdf.js draws or crops are cut
      while (made.length === 0) yield* Effect.sleep("1 millis")
      yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.hasInterrupts(yield* Fiber.await(fiber)))
      assert.isBelow(made.length, 2 + crops.length, "it stopped before the end")
      assert.isTrue(made.every((canvas) => canvas.width === 0 && canvas.height === 0), "all canvases freed")
      const again = yield* pdf.renderCrops(bytes, crops.slice(0, 1))
      assert.isDefined(again[0])
    }))
})
