/**
 * A display equation found in a paper: where it is, its number, and its LaTeX.
 *
 * Finding (pure functions in this folder) gives candidates with heuristic LaTeX; refining (the `Llm` service) may
 * replace the LaTeX; the `equation_extraction` workflow stores the result as `equations.json`.
 *
 * @since 0.1.0
 */
import type { TextItem } from "../pdf/Pdf.ts"

/**
 * A rectangle in PDF user space (points from the lower-left corner; `bottom < top`).
 *
 * @category models
 * @since 0.1.0
 */
export interface BoundingBox {
  readonly left: number
  readonly bottom: number
  readonly right: number
  readonly top: number
}

/**
 * A rectangle on a page: PDF user space, points from the page's lower-left corner.
 *
 * @category models
 * @since 0.1.0
 */
export interface PageBox extends BoundingBox {
  /** 1-based */
  readonly page: number
}

/**
 * What finding knows about one display equation (one numbered row of a multi-row environment such as `align` is an
 * equation of its own; a display whose rows share one number, or none, is one equation per visual row unless the
 * rows are one block, as `aligned`, `cases` or a matrix make them).
 *
 * @category models
 * @since 0.1.0
 */
export interface Candidate {
  /** `p<page>-e<n>`, in reading order */
  readonly id: string
  /** 1-based */
  readonly page: number
  readonly bbox: BoundingBox
  /** where it is, for a reader that crops or outlines it: the page and the rectangle on it (as `bbox`) */
  readonly box: PageBox
  /** how sure finding is that this is a display equation, 0..1; the low ones are worth a look */
  readonly confidence: number
  readonly kind: "display"
  /** the printed number with its brackets, e.g. `(3)`, `(2.1)`, `(*)`; `null` when unnumbered */
  readonly number: string | null
  /** LaTeX built from the glyphs */
  readonly latex: string
  /** the glyphs' text in reading order, as the PDF has it (CMEX letters and all) */
  readonly raw: string
  /** the glyph runs the equation is made of, for refining */
  readonly items: ReadonlyArray<TextItem>
  /** the prose just before and after, for refining */
  readonly context: { readonly before: string; readonly after: string }
}

/**
 * An equation as the workflow reports it.
 *
 * @category models
 * @since 0.1.0
 */
export interface Equation extends Omit<Candidate, "items"> {
  /** where the LaTeX comes from */
  readonly source: "heuristic" | "llm"
  /** the model that wrote the LaTeX, when `source` is `llm` */
  readonly model: string | null
  /** why the model's answer was not used, when refining was tried and fell back to the heuristic LaTeX */
  readonly fallback?: string | undefined
}
