/**
 * What a page draws that pdf.js's text content leaves out, read from the page's operator list.
 *
 * - **Glyphs read as white space.** pdf.js drops every glyph whose Unicode is white space. TeX's extension font has
 *   no Unicode for most of its glyphs, so pdf.js takes the code for one, and the pieces of a `\left|` (code 12, a form
 *   feed), `\big\langle` (10, a line feed) or `\Biggl(` (32, a space) vanish from the text. They come back here as runs
 *   whose text is `Pdf.droppedGlyph(code)`, a private-use character, for whoever knows the font to read.
 * - **Rules.** Fraction bars, radical vincula, overlines and table rules are paths, not glyphs. Every stroked or
 *   filled path at most `ruleThickness` thick and wider than it is thick (a horizontal rule) comes back as a box.
 *
 * The positions follow the PDF text model as pdf.js's own canvas renderer applies it (`showText` in `display/canvas.js`):
 * a glyph sits at the text matrix times the text position, advanced by its width times the font size and the font
 * matrix, plus character and word spacing, and `TJ` numbers move it back by thousandths of the font size.
 *
 * @since 0.1.0
 */
import { OPS } from "pdfjs-dist/legacy/build/pdf.mjs"
import { droppedGlyph, type Rule, type TextItem } from "./Pdf.ts"

/**
 * The thickest path that still counts as a rule, in points (TeX's rules are 0.4 pt; table rules up to about 1 pt).
 *
 * @category constants
 * @since 0.1.0
 */
export const ruleThickness = 2

/**
 * The marks of one page: the dropped glyphs, in drawing order, and the rules.
 *
 * @category models
 * @since 0.1.0
 */
export interface DrawnMarks {
  readonly dropped: ReadonlyArray<TextItem>
  readonly rules: ReadonlyArray<Rule>
}

/**
 * The operator list as pdf.js's `PDFPageProxy.getOperatorList` gives it.
 *
 * @category models
 * @since 0.1.0
 */
export interface OperatorList {
  readonly fnArray: ArrayLike<number>
  readonly argsArray: ArrayLike<unknown>
}

/**
 * A font as the operator list names it: its real name and its font matrix (glyph space to text space).
 *
 * @category models
 * @since 0.1.0
 */
export interface FontFacts {
  readonly name: string
  readonly matrix: ReadonlyArray<number>
  /** set for vertical writing */
  readonly vertical?: boolean | undefined
}

/**
 * The dropped glyphs and rules of a page; `fontOf` tells a font id of the operator list; at most `maxRules` rules are
 * kept (a plot can draw thousands of thin strokes).
 *
 * @category constructors
 * @since 0.1.0
 */
export const drawnMarks = (
  operators: OperatorList,
  fontOf: (id: string) => FontFacts,
  maxRules = 20_000
): DrawnMarks => {
  const dropped: Array<TextItem> = []
  const rules: Array<Rule> = []
  const stack: Array<State> = []
  let state = initialState()
  let inAnnotation = 0
  const { fnArray, argsArray } = operators
  for (let i = 0; i < fnArray.length; i++) {
    const fn = fnArray[i]!
    const args = argsArray[i] as ReadonlyArray<any> | null
    // annotations are no part of the page's text content
    if (fn === OPS.beginAnnotation) inAnnotation++
    else if (fn === OPS.endAnnotation) inAnnotation--
    if (inAnnotation > 0) continue
    switch (fn) {
      // a group's matrix only bounds it: its form (`paintFormXObjectBegin`, next) brings the same matrix to draw by
      case OPS.save:
      case OPS.beginGroup:
      case OPS.paintFormXObjectBegin:
        stack.push(state)
        state = { ...state }
        if (fn === OPS.paintFormXObjectBegin && args?.[0] !== null && typeof args?.[0] === "object") {
          state.ctm = multiply(toArray(args[0] as ArrayLike<number>), state.ctm)
        }
        break
      case OPS.restore:
      case OPS.endGroup:
      case OPS.paintFormXObjectEnd:
        state = stack.pop() ?? state
        break
      case OPS.transform:
        state.ctm = multiply(args as ReadonlyArray<number>, state.ctm)
        break
      case OPS.setLineWidth:
        state.lineWidth = args![0]
        break
      case OPS.setGState:
        // an ExtGState may set the line width (`LW`) and the font (`Font`: a font id and a size)
        for (const [key, value] of (args?.[0] ?? []) as ReadonlyArray<readonly [string, any]>) {
          if (key === "LW" && typeof value === "number") state.lineWidth = value
          if (key === "Font" && Array.isArray(value) && typeof value[0] === "string") setFont(state, fontOf(value[0]), value[1])
        }
        break
      case OPS.beginText:
        state.textMatrix = identity
        state.x = state.lineX = 0
        state.y = state.lineY = 0
        break
      case OPS.setFont:
        setFont(state, fontOf(args![0]), args![1])
        break
      case OPS.setCharSpacing:
        state.charSpacing = args![0]
        break
      case OPS.setWordSpacing:
        state.wordSpacing = args![0]
        break
      case OPS.setHScale:
        state.hScale = args![0] / 100
        break
      case OPS.setLeading:
        state.leading = -args![0]
        break
      case OPS.setTextRise:
        state.rise = args![0]
        break
      case OPS.moveText:
        moveText(state, args![0], args![1])
        break
      case OPS.setLeadingMoveText:
        state.leading = args![1]
        moveText(state, args![0], args![1])
        break
      case OPS.setTextMatrix:
        state.textMatrix = toArray(args!.length === 1 ? args![0] : args!)
        state.x = state.lineX = 0
        state.y = state.lineY = 0
        break
      case OPS.nextLine:
        moveText(state, 0, state.leading)
        break
      case OPS.showText:
      case OPS.showSpacedText:
        showText(state, args![0], dropped)
        break
      // (pdf.js turns `'` and `"` into `nextLine` and `showText`: no case of their own)
      case OPS.constructPath:
        if (rules.length < maxRules && painting.has(args![0])) {
          // (only horizontal rules count: a plot's thousands of slanted strokes would crowd out the fraction bars)
          const rule = ruleOf(state, args![2], args![0] !== OPS.fill && args![0] !== OPS.eoFill)
          if (rule !== undefined) rules.push(rule)
        }
        break
    }
  }
  return { dropped, rules }
}

// internal

type Matrix = ReadonlyArray<number>

interface State {
  ctm: Matrix
  textMatrix: Matrix
  x: number
  y: number
  lineX: number
  lineY: number
  font: FontFacts | undefined
  fontSize: number
  fontDirection: number
  charSpacing: number
  wordSpacing: number
  hScale: number
  leading: number
  rise: number
  lineWidth: number
}

const identity: Matrix = [1, 0, 0, 1, 0, 0]

const initialState = (): State => ({
  ctm: identity,
  textMatrix: identity,
  x: 0,
  y: 0,
  lineX: 0,
  lineY: 0,
  font: undefined,
  fontSize: 0,
  fontDirection: 1,
  charSpacing: 0,
  wordSpacing: 0,
  hScale: 1,
  leading: 0,
  rise: 0,
  lineWidth: 1
})

const painting = new Set<number>([
  OPS.stroke, OPS.closeStroke, OPS.fill, OPS.eoFill, OPS.fillStroke, OPS.eoFillStroke, OPS.closeFillStroke,
  OPS.closeEOFillStroke
])

const toArray = (value: ArrayLike<number>): Matrix => Array.from(value)

/** `m` then `n`: the matrix that applies `m` first */
const multiply = (m: Matrix, n: Matrix): Matrix => [
  m[0]! * n[0]! + m[1]! * n[2]!,
  m[0]! * n[1]! + m[1]! * n[3]!,
  m[2]! * n[0]! + m[3]! * n[2]!,
  m[2]! * n[1]! + m[3]! * n[3]!,
  m[4]! * n[0]! + m[5]! * n[2]! + n[4]!,
  m[4]! * n[1]! + m[5]! * n[3]! + n[5]!
]

const apply = (m: Matrix, x: number, y: number): readonly [number, number] => [
  m[0]! * x + m[2]! * y + m[4]!,
  m[1]! * x + m[3]! * y + m[5]!
]

const setFont = (state: State, font: FontFacts, size: number) => {
  state.font = font
  state.fontSize = Math.abs(size)
  state.fontDirection = size < 0 ? -1 : 1
}

const moveText = (state: State, x: number, y: number) => {
  state.x = state.lineX += x
  state.y = state.lineY += y
}

interface Glyph {
  readonly unicode: string
  readonly width: number
  readonly isSpace: boolean
}

/**
 * a glyph pdf.js's text content drops: one white-space character that is no word space. Code 32 is the word space of
 * text fonts; in TeX's extension fonts (`cmex10`, `pxex`, `txex`, `euex10`, `lmex10`: named for it) it is `\Biggl(`,
 * and a glyph there wider than any word space is ink whatever the font
 */
const isDropped = (glyph: Glyph, advance: number, font: FontFacts): boolean =>
  glyph.unicode.length === 1 && glyph.unicode.trim() === "" &&
  // a code that stands for itself: control characters and the space (a no-break or ideographic space is text's own)
  glyph.unicode.charCodeAt(0) <= 0x20 &&
  (glyph.unicode !== " " || advance >= 0.7 || extensionFontName.test(font.name))

const extensionFontName = /^(?:(?:cm|px|tx|eu|zeu|ntx|jkp|lm|yhcm)ex[xz]?\d*|LMMathExtension\d*-Regular)$/i

const showText = (state: State, glyphs: ReadonlyArray<Glyph | number> | undefined, dropped: Array<TextItem>) => {
  const font = state.font
  // vertical writing (CJK) advances down the page: no TeX glyph is set so, and its glyphs are not sought
  if (glyphs === undefined || font === undefined || state.fontSize === 0 || font.vertical) return
  const advanceScale = state.fontSize * (font.matrix[0] ?? 0.001)
  const hScale = state.hScale * state.fontDirection
  let x = 0
  for (const glyph of glyphs) {
    if (typeof glyph === "number") {
      x -= (glyph * state.fontSize) / 1000
      continue
    }
    const width = glyph.width * advanceScale
    if (isDropped(glyph, glyph.width * (font.matrix[0] ?? 0.001), font)) {
      const toPage = multiply(state.textMatrix, state.ctm)
      const [left, baseline] = apply(toPage, state.x + x * hScale, state.y + state.rise)
      dropped.push({
        text: droppedGlyph(glyph.unicode.charCodeAt(0)),
        x: left,
        y: baseline,
        width: width * Math.abs(hScale) * Math.hypot(toPage[0]!, toPage[1]!),
        fontSize: state.fontSize * Math.hypot(toPage[2]!, toPage[3]!),
        fontName: font.name
      })
    }
    // as pdf.js's canvas: spacing keeps its sign whichever way the font runs (a negative size flips the glyphs only)
    x += width + ((glyph.isSpace ? state.wordSpacing : 0) + state.charSpacing) * state.fontDirection
  }
  state.x += x * hScale
}

/**
 * a path's box on the page when it is a horizontal rule, thin and long; `minMax` is its box in the current coordinates,
 * and a stroke is as thick as its line (its butt ends add nothing to its length)
 */
const ruleOf = (state: State, minMax: ArrayLike<number> | null | undefined, stroked: boolean): Rule | undefined => {
  if (minMax === null || minMax === undefined || minMax.length < 4) return undefined
  const [x0, y0, x1, y1] = [minMax[0]!, minMax[1]!, minMax[2]!, minMax[3]!]
  if (![x0, y0, x1, y1].every(Number.isFinite)) return undefined
  const corners = [apply(state.ctm, x0, y0), apply(state.ctm, x1, y0), apply(state.ctm, x0, y1), apply(state.ctm, x1, y1)]
  const left = Math.min(...corners.map((c) => c[0]))
  const right = Math.max(...corners.map((c) => c[0]))
  let bottom = Math.min(...corners.map((c) => c[1]))
  let top = Math.max(...corners.map((c) => c[1]))
  if (right - left < top - bottom) return undefined
  if (stroked) {
    // a horizontal stroke is as thick as its line, scaled as the vertical axis is
    const half = (state.lineWidth * Math.hypot(state.ctm[2]!, state.ctm[3]!)) / 2
    bottom -= half
    top += half
  }
  const thickness = top - bottom
  const length = right - left
  return thickness <= ruleThickness && length >= 2 * thickness && length > 1 ? { left, bottom, right, top } : undefined
}
