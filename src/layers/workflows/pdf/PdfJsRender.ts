/**
 * Rendering crops of PDF pages with pdf.js onto `@napi-rs/canvas`, the canvas pdf.js itself draws with in Node (an
 * optional dependency of `pdfjs-dist`, with native binaries for the common platforms).
 *
 * Per page that has crops, pdf.js draws once, and only the smallest rectangle that holds all of the page's crops (each
 * box widened by the margin and clamped to the page): one canvas of at most `maxPixels`, freed before the next page is
 * drawn, so memory stays bounded by one page's region whatever the document. Each crop is then cut from that canvas
 * and encoded as PNG off the main thread (`canvas.encode`).
 *
 * Rendering never fails: a page that pdf.js cannot draw, or that needs more than `maxPixels`, gives `undefined` for
 * its crops (with a warning), because crops are a help for a model and the text has been read already.
 *
 * Gotchas:
 * - Annotations are not drawn: hyperref's link borders would frame every `\eqref` in the crop.
 * - Images are not drawn: documents are opened with `maxImageSize: 0` (`PdfJs.ts`), which is right for equations,
 *   which are glyphs and rules; an equation pasted in as a picture has no glyphs and is never a candidate.
 * - The canvas module is looked up from `pdfjs-dist`'s own folder, so it is the copy pdf.js polyfilled `Path2D` and
 *   `DOMMatrix` from when it loaded; when that failed, pdf.js cannot render either.
 *
 * @since 0.1.0
 */
import { createRequire } from "node:module"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Result from "effect/Result"
import * as PdfJsLib from "pdfjs-dist/legacy/build/pdf.mjs"
import type { PDFDocumentProxy, PDFPageProxy } from "pdfjs-dist/types/src/display/api.d.ts"
import type { PageViewport } from "pdfjs-dist/types/src/display/page_viewport.d.ts"
import { type Crop, PdfError, type RenderOptions } from "./Pdf.ts"

/**
 * The parts of `@napi-rs/canvas` this module uses, written out so that type checking does not need the package (it is
 * `pdfjs-dist`'s optional dependency, not ours).
 *
 * @category models
 * @since 0.1.0
 */
export interface CanvasModule {
  readonly createCanvas: (width: number, height: number) => Canvas
}

/**
 * @category models
 * @since 0.1.0
 */
export interface Canvas {
  width: number
  height: number
  readonly getContext: (kind: "2d") => CanvasContext
  readonly encode: (format: "png") => Promise<Uint8Array>
}

/**
 * @category models
 * @since 0.1.0
 */
export interface CanvasContext {
  readonly drawImage: (
    image: Canvas,
    sx: number,
    sy: number,
    sw: number,
    sh: number,
    dx: number,
    dy: number,
    dw: number,
    dh: number
  ) => void
}

/**
 * @category constants
 * @since 0.1.0
 */
export const defaultScale = 2

/**
 * @category constants
 * @since 0.1.0
 */
export const defaultMargin = 4

/**
 * @category constants
 * @since 0.1.0
 */
export const defaultMaxPixels = 8 * 1024 * 1024

/**
 * `@napi-rs/canvas` as pdf.js finds it, or why it cannot be loaded (not installed, or no native binary for this
 * platform).
 *
 * @category constructors
 * @since 0.1.0
 */
export const loadCanvas = (): Result.Result<CanvasModule, string> =>
  Result.try({
    try: () => createRequire(createRequire(import.meta.url).resolve("pdfjs-dist/package.json"))("@napi-rs/canvas"),
    catch: (cause) => (cause instanceof Error ? cause.message : String(cause)).split("\n")[0]!
  }).pipe(Result.flatMap((module: unknown) =>
    Predicate.hasProperty(module, "createCanvas") && Predicate.isFunction(module.createCanvas)
      ? Result.succeed(module as CanvasModule)
      : Result.fail("the module has no createCanvas")
  ))

/**
 * PNG images of `crops` of the open `document`, in the order of `crops`; `undefined` for a crop outside its page and
 * for the crops of a page that is too large or cannot be drawn. The pages must exist. Never fails.
 *
 * @category rendering
 * @since 0.1.0
 */
export const renderCrops = Effect.fnUntraced(function*(
  document: PDFDocumentProxy,
  crops: ReadonlyArray<Crop>,
  canvas: CanvasModule,
  options: RenderOptions = {}
) {
  const settings: Settings = {
    scale: options.scale ?? defaultScale,
    margin: options.margin ?? defaultMargin,
    maxPixels: options.maxPixels ?? defaultMaxPixels,
    canvas
  }
  const byPage = new Map<number, Array<number>>()
  for (const [i, crop] of crops.entries()) {
    const indices = byPage.get(crop.page)
    if (indices === undefined) byPage.set(crop.page, [i])
    else indices.push(i)
  }
  const images: Array<Uint8Array | undefined> = crops.map(() => undefined)
  // one page at a time: only one page's canvas is alive at once
  yield* Effect.forEach([...byPage].sort(([a], [b]) => a - b), ([pageNumber, indices]) =>
    renderPage(document, pageNumber, indices.map((i) => crops[i]!.bbox), settings).pipe(
      Effect.map((pngs) => pngs.forEach((png, k) => (images[indices[k]!] = png)))
    ), { discard: true })
  return images
})

// internal

interface Settings {
  readonly scale: number
  readonly margin: number
  readonly maxPixels: number
  readonly canvas: CanvasModule
}

/** a rectangle of canvas pixels; `x`, `y` its top-left corner */
interface PixelBox {
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
}

/** the crops of one page: its region drawn once, each crop cut from it */
const renderPage = (
  document: PDFDocumentProxy,
  pageNumber: number,
  boxes: ReadonlyArray<Crop["bbox"]>,
  settings: Settings
): Effect.Effect<ReadonlyArray<Uint8Array | undefined>> =>
  Effect.gen(function*() {
    const page = yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => document.getPage(pageNumber), catch: (cause) => renderError(pageNumber, cause) }),
      (page) => Effect.sync(() => page.cleanup())
    )
    const viewport = page.getViewport({ scale: settings.scale })
    const pixels = boxes.map((box) => pixelBox(viewport, box, settings.margin))
    const region = union(pixels)
    if (region === undefined) return pixels.map(() => undefined)
    if (region.width * region.height > settings.maxPixels) {
      yield* Effect.logWarning(
        `page ${pageNumber}: its crops need ${region.width}x${region.height} pixels at scale ${settings.scale}, ` +
          `more than the limit of ${settings.maxPixels}; they are left out`
      )
      return pixels.map(() => undefined)
    }
    const surface = yield* canvasOf(settings.canvas, region, pageNumber)
    yield* draw(page, viewport, surface, region, pageNumber)
    // a few crops at a time: PNG encoding runs on libuv's threads (about a third less time than one at a time)
    return yield* Effect.forEach(pixels, (box) =>
      box === undefined
        ? Effect.succeed(undefined)
        : cut(settings.canvas, surface, { ...box, x: box.x - region.x, y: box.y - region.y }, pageNumber), {
      concurrency: 4
    })
  }).pipe(
    Effect.scoped,
    Effect.catch((error) =>
      Effect.logWarning(`${error.message}; its crops are left out`).pipe(Effect.as(boxes.map(() => undefined)))
    )
  )

/** a canvas for the scope; freeing it (a size of 0, as pdf.js does) lets the native memory go at once, not at GC */
const canvasOf = (canvas: CanvasModule, size: PixelBox, pageNumber: number) =>
  Effect.acquireRelease(
    Effect.try({ try: () => canvas.createCanvas(size.width, size.height), catch: (cause) => renderError(pageNumber, cause) }),
    (surface) =>
      Effect.sync(() => {
        surface.width = 0
        surface.height = 0
      })
  )

/** draws the page's `region` (the viewport shifted so the region's corner is the canvas's) */
const draw = (page: PDFPageProxy, viewport: PageViewport, surface: Canvas, region: PixelBox, pageNumber: number) =>
  Effect.try({
    try: () =>
      page.render({
        canvas: null,
        canvasContext: surface.getContext("2d"),
        viewport,
        transform: [1, 0, 0, 1, -region.x, -region.y],
        annotationMode: PdfJsLib.AnnotationMode.DISABLE,
        background: "#ffffff"
      }),
    catch: (cause) => renderError(pageNumber, cause)
  }).pipe(Effect.flatMap((task) =>
    Effect.callback<void, PdfError>((resume) => {
      task.promise.then(() => resume(Effect.void), (cause) => resume(Effect.fail(renderError(pageNumber, cause))))
      // interrupted: stop drawing, and wait until pdf.js has let go of the canvas before it is freed
      return Effect.promise(() => {
        task.cancel()
        return task.promise.catch(() => undefined)
      })
    })
  ))

/**
 * One crop of the drawn region as PNG. The encoding runs on a native thread with the canvas in use, so it is waited
 * for even when interrupted (a crop takes milliseconds) before the canvas is freed.
 */
const cut = (canvas: CanvasModule, surface: Canvas, box: PixelBox, pageNumber: number) =>
  Effect.scoped(Effect.gen(function*() {
    const crop = yield* canvasOf(canvas, box, pageNumber)
    crop.getContext("2d").drawImage(surface, box.x, box.y, box.width, box.height, 0, 0, box.width, box.height)
    return yield* Effect.uninterruptible(
      Effect.tryPromise({ try: () => crop.encode("png"), catch: (cause) => renderError(pageNumber, cause) })
    )
  }))

/**
 * The canvas pixels of a box in user space widened by `margin`, rounded outwards and clamped to the page; `undefined`
 * when nothing of it is on the page. The viewport's transform takes care of the page's rotation and crop box.
 */
const pixelBox = (viewport: PageViewport, box: Crop["bbox"], margin: number): PixelBox | undefined => {
  const [x1, y1] = viewport.convertToViewportPoint(box.left - margin, box.bottom - margin) as [number, number]
  const [x2, y2] = viewport.convertToViewportPoint(box.right + margin, box.top + margin) as [number, number]
  const left = Math.max(0, Math.floor(Math.min(x1, x2)))
  const top = Math.max(0, Math.floor(Math.min(y1, y2)))
  const right = Math.min(Math.ceil(viewport.width), Math.ceil(Math.max(x1, x2)))
  const bottom = Math.min(Math.ceil(viewport.height), Math.ceil(Math.max(y1, y2)))
  // NaN fails both comparisons: a box with a missing coordinate has no pixels
  return right > left && bottom > top ? { x: left, y: top, width: right - left, height: bottom - top } : undefined
}

/** the smallest box holding all of `boxes`, `undefined` when there are none */
const union = (boxes: ReadonlyArray<PixelBox | undefined>): PixelBox | undefined => {
  const present = boxes.filter(Predicate.isNotUndefined)
  if (present.length === 0) return undefined
  const x = Math.min(...present.map((b) => b.x))
  const y = Math.min(...present.map((b) => b.y))
  const right = Math.max(...present.map((b) => b.x + b.width))
  const bottom = Math.max(...present.map((b) => b.y + b.height))
  return { x, y, width: right - x, height: bottom - y }
}

const renderError = (pageNumber: number, cause: unknown): PdfError =>
  new PdfError({
    kind: "Corrupt",
    message: `page ${pageNumber} cannot be rendered: ${cause instanceof Error ? cause.message : String(cause)}`
  })
