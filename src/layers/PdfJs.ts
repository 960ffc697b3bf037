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
 * - Images are never decoded (`maxImageSize: 0`): text is all this layer reads.
 * - pdf.js moves the bytes it is given to its worker; this layer hands it a copy, so the caller's array stays intact.
 *
 * @since 0.1.0
 */
import { createRequire } from "node:module"
import * as Path from "node:path"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as PdfJsLib from "pdfjs-dist/legacy/build/pdf.mjs"
import type { PDFDocumentProxy, PDFPageProxy } from "pdfjs-dist/types/src/display/api.d.ts"
import { type DocumentText, Pdf, PdfError, type PageText, type TextItem } from "./Pdf.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** the largest PDF read, in bytes; default 100 MiB */
  readonly maxBytes?: number | undefined
  /** the most pages one call reads; default 500 */
  readonly maxPages?: number | undefined
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

  const text = Effect.fnUntraced(function*(bytes: Uint8Array, pages?: ReadonlyArray<number> | undefined) {
    if (bytes.length > maxBytes) {
      return yield* new PdfError({
        kind: "TooLarge",
        message: `the PDF has ${bytes.length} bytes, more than the limit of ${maxBytes}`
      })
    }
    const document = yield* open(bytes)
    const pageCount = document.numPages
    const wanted = yield* selectPages(pages, pageCount, maxPages)
    const read = yield* Effect.forEach(wanted, (pageNumber) => readPage(document, pageNumber))
    return { pageCount, pages: read } satisfies DocumentText
  }, Effect.scoped)

  return Pdf.of({ text })
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
        try: () => page.getOperatorList().then(() => page.getTextContent()),
        catch: (cause) => pageError(cause, pageNumber)
      }).pipe(Effect.map((content) => toPageText(page, pageNumber, content.items))),
    (page) => Effect.sync(() => page.cleanup())
  )

const toPageText = (page: PDFPageProxy, pageNumber: number, raw: ReadonlyArray<unknown>): PageText => {
  const [x0, y0, x1, y1] = page.view as [number, number, number, number]
  const fontNames = new Map<string, string>()
  const fontName = (id: string) => {
    let name = fontNames.get(id)
    if (name === undefined) {
      name = realFontName(page, id)
      fontNames.set(id, name)
    }
    return name
  }
  const items: Array<TextItem> = []
  for (const item of raw) {
    if (!isTextRun(item) || item.str.trim() === "") continue
    const [a, b, c, d, e, f] = item.transform
    items.push({
      text: item.str,
      x: e,
      y: f,
      width: item.width,
      // the glyphs' vertical scale; equal to the horizontal one unless the text is stretched
      fontSize: Math.hypot(c, d) || Math.hypot(a, b),
      fontName: fontName(item.fontName)
    })
  }
  return { pageNumber, width: x1 - x0, height: y1 - y0, items }
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

/** `XJIKMF+CMMI10` -> `CMMI10`; the pdf.js id when the font object has no name (a Type3 font, say) */
const realFontName = (page: PDFPageProxy, id: string): string => {
  const font: unknown = page.commonObjs.has(id) ? page.commonObjs.get(id) : undefined
  const name = typeof font === "object" && font !== null && "name" in font && typeof font.name === "string"
    ? font.name
    : id
  return name.replace(/^[A-Z]{6}\+/, "")
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
