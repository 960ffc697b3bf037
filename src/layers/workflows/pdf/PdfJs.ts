/**
 * The `Pdf` service over pdf.js (`pdfjs-dist`, the legacy Node build).
 *
 * pdf.js runs in this thread: in Node its "fake worker" is the worker's message handler behind a loopback port, so
 * nothing is spawned. Per page it reads the operator list (which makes pdf.js load the page's fonts, and so gives
 * the real font names) and the text content; each text run becomes a `TextItem` in PDF user space.
 *
 * Limits are checked before any work: the byte size before parsing, the page count before reading pages. The
 * document is destroyed (its memory freed) when the call ends, also when it fails or is interrupted.
 *
 * Errors: bytes without a `%PDF-` header in their first 1024 bytes (where PDF readers look for it) that pdf.js rejects
 * are `NotPdf`, other PDFs it cannot parse `Corrupt`, password-protected ones `Encrypted`.
 *
 * Gotchas:
 * - Runs that are only whitespace (pdf.js synthesises them between words and at line ends) are left out. pdf.js itself
 *   drops glyphs whose code reads as white space, such as `CMEX`'s `\Bigl\|` (code 13) or `\Biggl(` (code 32).
 * - Images are never decoded (`maxImageSize: 0`): text is what this layer reads, and crops are of equations, which
 *   are glyphs and rules.
 * - pdf.js moves the bytes it is given to its worker; this layer hands it a copy, so the caller's array stays intact.
 *
 * Crops (`renderCrops`) are drawn by `PdfJsRender.ts` onto `@napi-rs/canvas`, under the same byte and page limits.
 * Where that package cannot be loaded (a platform without its native binary), every crop is `undefined` and one
 * warning says why: text keeps working, and models get no images.
 *
 * @since 0.1.0
 */
import { createRequire } from "node:module"
import * as Path from "node:path"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as PdfJsLib from "pdfjs-dist/legacy/build/pdf.mjs"
import type { PDFDocumentProxy, PDFPageProxy } from "pdfjs-dist/types/src/display/api.d.ts"
import { type Crop, type DocumentText, Pdf, PdfError, type PageText, type RenderOptions, type TextItem } from "./Pdf.ts"
import { drawnMarks, type FontFacts, type OperatorList } from "./DrawnMarks.ts"
import * as PdfJsRender from "./PdfJsRender.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** the largest PDF read, in bytes; default 100 MiB */
  readonly maxBytes?: number | undefined
  /** the most pages one call reads; default 500 */
  readonly maxPages?: number | undefined
  /** where the canvas for crops comes from; default `PdfJsRender.loadCanvas` (tests stand in a platform without it) */
  readonly loadCanvas?: (() => Result.Result<PdfJsRender.CanvasModule, string>) | undefined
}

/**
 * @category constants
 * @since 0.1.0
 */
export const defaultMaxBytes = 100 * 1024 * 1024

/**
 * @category constants
 * @since 0.1.0
 */
export const defaultMaxPages = 500

/**
 * The `Pdf` service over pdf.js.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options?: Options): Pdf["Service"] => {
  const maxBytes = options?.maxBytes ?? defaultMaxBytes
  const maxPages = options?.maxPages ?? defaultMaxPages

  const loadCanvas = options?.loadCanvas ?? PdfJsRender.loadCanvas

  const text = Effect.fnUntraced(function*(bytes: Uint8Array, pages?: ReadonlyArray<number> | undefined) {
    const document = yield* open(yield* withinSize(bytes, maxBytes))
    const pageCount = document.numPages
    const wanted = yield* selectPages(pages, pageCount, maxPages)
    const read = yield* Effect.forEach(wanted, (pageNumber) => readPage(document, pageNumber))
    return { pageCount, pages: read } satisfies DocumentText
  }, Effect.scoped)

  // looked up on the first call that renders, so the warning is logged there, once, and only where crops are wanted
  let canvas: Result.Result<PdfJsRender.CanvasModule, string> | undefined
  const canvasModule = Effect.suspend(() => {
    if (canvas !== undefined) return Effect.succeed(Result.getSuccess(canvas))
    canvas = loadCanvas()
    return Result.isSuccess(canvas)
      ? Effect.succeed(Option.some(canvas.success))
      : Effect.logWarning(
        `PDF crops cannot be rendered: @napi-rs/canvas cannot be loaded (${canvas.failure}); models get no images`
      ).pipe(Effect.as(Option.none<PdfJsRender.CanvasModule>()))
  })

  const renderCrops = Effect.fnUntraced(function*(
    bytes: Uint8Array,
    crops: ReadonlyArray<Crop>,
    renderOptions?: RenderOptions | undefined
  ) {
    if (crops.length === 0) return []
    const module = yield* canvasModule
    if (Option.isNone(module)) return crops.map(() => undefined)
    const document = yield* open(yield* withinSize(bytes, maxBytes))
    yield* selectPages(crops.map((crop) => crop.page), document.numPages, maxPages)
    return yield* PdfJsRender.renderCrops(document, crops, module.value, renderOptions)
  }, Effect.scoped)

  return Pdf.of({ text, renderCrops })
}

/**
 * @category layers
 * @since 0.1.0
 */
export const layer = (options?: Options): Layer.Layer<Pdf> => Layer.succeed(Pdf, make(options))

// internal

/** loads the document; closing the scope destroys it, which also stops a load still under way */
const open = (bytes: Uint8Array) =>
  Effect.acquireRelease(
    Effect.sync(() =>
      PdfJsLib.getDocument({
        data: bytes.slice(), // pdf.js transfers (detaches) what it is given
        disableFontFace: true,
        maxImageSize: 0,
        // font names (`name`) travel from the worker only with the "extra" properties
        fontExtraProperties: true,
        useSystemFonts: false,
        standardFontDataUrl,
        cMapUrl,
        cMapPacked: true,
        verbosity: PdfJsLib.VerbosityLevel.ERRORS
      })
    ),
    (task) => Effect.promise(() => task.destroy())
  ).pipe(
    Effect.flatMap((task) =>
      Effect.tryPromise({ try: () => task.promise, catch: (cause) => toPdfError(cause, bytes) })
    )
  )

/** the bytes, when there are no more than `maxBytes`: checked before pdf.js parses (and copies) them */
const withinSize = (bytes: Uint8Array, maxBytes: number): Effect.Effect<Uint8Array, PdfError> =>
  bytes.length > maxBytes
    ? Effect.fail(
      new PdfError({ kind: "TooLarge", message: `the PDF has ${bytes.length} bytes, more than the limit of ${maxBytes}` })
    )
    : Effect.succeed(bytes)

const selectPages = Effect.fnUntraced(function*(
  pages: ReadonlyArray<number> | undefined,
  pageCount: number,
  maxPages: number
) {
  if (pages === undefined) {
    if (pageCount > maxPages) {
      return yield* new PdfError({
        kind: "TooLarge",
        message: `the PDF has ${pageCount} pages, more than the limit of ${maxPages} per run; ask for fewer pages`
      })
    }
    return Array.from({ length: pageCount }, (_, i) => i + 1)
  }
  const bad = pages.find((page) => !Number.isInteger(page) || page < 1 || page > pageCount)
  if (bad !== undefined) {
    return yield* new PdfError({
      kind: "NoSuchPage",
      message: `there is no page ${bad}: the PDF has ${pageCount} page${pageCount === 1 ? "" : "s"}`
    })
  }
  const wanted = Array.from(new Set(pages)).sort((a, b) => a - b)
  if (wanted.length > maxPages) {
    return yield* new PdfError({
      kind: "TooLarge",
      message: `${wanted.length} pages asked for, more than the limit of ${maxPages} per run`
    })
  }
  return wanted
})

const readPage = (document: PDFDocumentProxy, pageNumber: number): Effect.Effect<PageText, PdfError> =>
  Effect.acquireUseRelease(
    Effect.tryPromise({ try: () => document.getPage(pageNumber), catch: (cause) => pageError(cause, pageNumber) }),
    (page) =>
      Effect.tryPromise({
        // the operator list loads the page's fonts into `commonObjs`, where their real names are
        try: () =>
          page.getOperatorList().then((operators) =>
            page.getTextContent().then((content) => toPageText(page, pageNumber, content.items, operators))
          ),
        catch: (cause) => pageError(cause, pageNumber)
      }),
    (page) => Effect.sync(() => page.cleanup())
  )

const toPageText = (
  page: PDFPageProxy,
  pageNumber: number,
  raw: ReadonlyArray<unknown>,
  operators: OperatorList
): PageText => {
  const [x0, y0, x1, y1] = page.view as [number, number, number, number]
  const fonts = new Map<string, FontFacts>()
  const fontOf = (id: string): FontFacts => {
    let facts = fonts.get(id)
    if (facts === undefined) {
      facts = fontFacts(page, id)
      fonts.set(id, facts)
    }
    return facts
  }
  const items: Array<TextItem> = []
  for (const item of raw) {
    if (!isTextRun(item) || item.str.trim() === "") continue
    const [a, b, c, d, e, f] = item.transform
    // pdf.js ends a run with a space where the next glyph is some way off, and counts the gap in the run's width; the
    // glyphs' share of the width is what they cover (`dA ` reaching over a fraction's denominator would be no `dA`)
    const text = item.str.trimEnd()
    const share = text.length < item.str.length ? [...text].length / [...item.str].length : 1
    items.push({
      text,
      x: e,
      y: f,
      width: item.width * share,
      // the glyphs' vertical scale; equal to the horizontal one unless the text is stretched
      fontSize: Math.hypot(c, d) || Math.hypot(a, b),
      fontName: fontOf(item.fontName).name
    })
  }
  const marks = drawnMarks(operators, fontOf)
  items.push(...marks.dropped)
  return { pageNumber, width: x1 - x0, height: y1 - y0, items, rules: marks.rules }
}

interface TextRun {
  readonly str: string
  readonly transform: readonly [number, number, number, number, number, number]
  readonly width: number
  readonly fontName: string
}

/** text runs, not the marked-content markers that may sit between them */
const isTextRun = (item: unknown): item is TextRun =>
  typeof item === "object" && item !== null && "str" in item && "transform" in item

/**
 * What the operator list's font `id` is: its real name (`XJIKMF+CMMI10` -> `CMMI10`; the pdf.js id when the font object
 * has no name, a Type3 font say), its matrix from glyph space to text space (1/1000 em for all but Type3 fonts), and
 * whether it writes vertically
 */
const fontFacts = (page: PDFPageProxy, id: string): FontFacts => {
  const font: unknown = page.commonObjs.has(id) ? page.commonObjs.get(id) : undefined
  const field = (key: string): unknown => (typeof font === "object" && font !== null && key in font ? (font as Record<string, unknown>)[key] : undefined)
  const name = field("name")
  const matrix = field("fontMatrix")
  return {
    name: (typeof name === "string" ? name : id).replace(/^[A-Z]{6}\+/, ""),
    matrix: Array.isArray(matrix) && matrix.length === 6 ? matrix : [0.001, 0, 0, 0.001, 0, 0],
    vertical: field("vertical") === true
  }
}

const toPdfError = (cause: unknown, bytes: Uint8Array): PdfError => {
  const name = exceptionName(cause)
  const detail = cause instanceof Error ? cause.message : String(cause)
  if (name === "PasswordException") {
    return new PdfError({ kind: "Encrypted", message: `the PDF is encrypted and needs a password (${detail})` })
  }
  if (name === "InvalidPDFException" && !hasPdfHeader(bytes)) {
    return new PdfError({ kind: "NotPdf", message: "not a PDF: there is no %PDF- header at the start" })
  }
  return new PdfError({ kind: "Corrupt", message: `the PDF cannot be read: ${detail}` })
}

const pageError = (cause: unknown, pageNumber: number): PdfError =>
  new PdfError({
    kind: "Corrupt",
    message: `page ${pageNumber} cannot be read: ${cause instanceof Error ? cause.message : String(cause)}`
  })

const exceptionName = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "name" in cause && typeof cause.name === "string"
    ? cause.name
    : undefined

/** `%PDF-` within the first 1024 bytes, where PDF readers (pdf.js too) look for it */
const hasPdfHeader = (bytes: Uint8Array): boolean => {
  const head = bytes.subarray(0, 1024)
  for (let i = 0; i + 5 <= head.length; i++) {
    if (head[i] === 0x25 && head[i + 1] === 0x50 && head[i + 2] === 0x44 && head[i + 3] === 0x46 && head[i + 4] === 0x2d) {
      return true
    }
  }
  return false
}

/** pdf.js reads these from the file system in Node: the metrics of the 14 standard fonts and the CJK CMaps */
const packageDirectory = Path.dirname(createRequire(import.meta.url).resolve("pdfjs-dist/package.json"))
const standardFontDataUrl = Path.join(packageDirectory, "standard_fonts") + Path.sep
const cMapUrl = Path.join(packageDirectory, "cmaps") + Path.sep
