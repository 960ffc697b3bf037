/**
 * The `Pdf` contract: the text of a PDF's pages as positioned glyph runs with their real font names, which is what
 * equation finding reads, and images of regions of its pages (crops), which is what a model that reads images gets
 * to see of each equation.
 *
 * Coordinates are PDF user space: points (1/72 in) from the lower-left corner of the page, y growing upwards, as
 * pdf.js reports them in `transform[4]`/`transform[5]`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

/**
 * One run of text as the PDF draws it.
 *
 * @category models
 * @since 0.1.0
 */
export interface TextItem {
  readonly text: string
  /** left edge of the run, on its baseline */
  readonly x: number
  /** the baseline */
  readonly y: number
  /** advance width of the run */
  readonly width: number
  /** the font size in points (the glyphs' em height on the page) */
  readonly fontSize: number
  /** the font's real name without the subset prefix, e.g. `CMMI10` (from `XJIKMF+CMMI10`), `LMMathItalic10-Regular` */
  readonly fontName: string
}

/**
 * The text of a run that stands for a glyph a text extractor drops because its Unicode reads as white space (TeX's
 * extension font has no Unicode for most glyphs, so its code stands in: `\left|` pieces are code 12, a form feed):
 * U+E000 plus the glyph's code.
 *
 * @category encoding
 * @since 0.1.0
 */
export const droppedGlyph = (code: number): string => String.fromCharCode(droppedBase + code)

/**
 * The code of the glyph a `droppedGlyph` run stands for, `undefined` for any other text.
 *
 * @category encoding
 * @since 0.1.0
 */
export const droppedCode = (text: string): number | undefined => {
  const code = text.length === 1 ? text.charCodeAt(0) - droppedBase : -1
  return code >= 0 && code < 0x100 ? code : undefined
}

const droppedBase = 0xe000

/**
 * A thin horizontal mark the page draws, as its box in PDF user space (`bottom < top`).
 *
 * @category models
 * @since 0.1.0
 */
export interface Rule {
  readonly left: number
  readonly bottom: number
  readonly right: number
  readonly top: number
}

/**
 * @category models
 * @since 0.1.0
 */
export interface PageText {
  /** 1-based */
  readonly pageNumber: number
  readonly width: number
  readonly height: number
  /**
   * in the order the page draws them, then the glyphs a text extractor reads as white space though they are ink, each
   * as a run of its own whose text is `droppedGlyph(code)`
   */
  readonly items: ReadonlyArray<TextItem>
  /** thin horizontal strokes and fills: fraction bars, radical vincula, overlines, table rules */
  readonly rules: ReadonlyArray<Rule>
}

/**
 * @category models
 * @since 0.1.0
 */
export interface DocumentText {
  readonly pageCount: number
  /** the pages asked for, in ascending order */
  readonly pages: ReadonlyArray<PageText>
}

/**
 * A region of a page to render: `bbox` in PDF user space (points from the lower-left corner, `bottom < top`). An
 * equation `Candidate` is one.
 *
 * @category models
 * @since 0.1.0
 */
export interface Crop {
  /** 1-based */
  readonly page: number
  readonly bbox: {
    readonly left: number
    readonly bottom: number
    readonly right: number
    readonly top: number
  }
}

/**
 * @category models
 * @since 0.1.0
 */
export interface RenderOptions {
  /** pixels per point; default 2 (144 dpi) */
  readonly scale?: number | undefined
  /** points of page added on every side of a crop's box, so strokes on its edge are whole; default 4 */
  readonly margin?: number | undefined
  /**
   * the most pixels drawn for one page (the smallest rectangle that holds all of its crops); the crops of a page that
   * needs more are `undefined`. Default 8 Mi (32 MiB of RGBA), room for an A3 page at the default scale
   */
  readonly maxPixels?: number | undefined
}

/**
 * Why a PDF could not be read.
 *
 * - `NotPdf`: the bytes are not a PDF at all.
 * - `Corrupt`: a PDF that pdf.js cannot parse.
 * - `Encrypted`: it needs a password.
 * - `NoSuchPage`: a requested page is outside `1..pageCount`.
 * - `TooLarge`: more bytes or pages than the configured limits.
 *
 * @category errors
 * @since 0.1.0
 */
export class PdfError extends Schema.TaggedError<PdfError>()("PdfError", {
  kind: Schema.Literals(["NotPdf", "Corrupt", "Encrypted", "NoSuchPage", "TooLarge"]),
  message: Schema.String
}) {}

/**
 * @category services
 * @since 0.1.0
 */
export class Pdf extends Context.Service<Pdf, {
  /** the text of `pages` (1-based; all pages when absent) of the PDF in `bytes` */
  readonly text: (bytes: Uint8Array, pages?: ReadonlyArray<number> | undefined) => Effect.Effect<DocumentText, PdfError>
  /**
   * PNG images of `crops` of the PDF in `bytes`, one per crop in the same order, each clamped to its page. A crop is
   * `undefined` when there is nothing to show (its box lies outside the page), when its page needs more than
   * `maxPixels`, when its page cannot be drawn, or when this implementation cannot render at all: images are a help
   * for a model, so only a PDF that cannot be read (or a crop on a page it does not have) fails the call.
   */
  readonly renderCrops: (
    bytes: Uint8Array,
    crops: ReadonlyArray<Crop>,
    options?: RenderOptions | undefined
  ) => Effect.Effect<ReadonlyArray<Uint8Array | undefined>, PdfError>
}>()("effect-doip/layers/Pdf") {}
