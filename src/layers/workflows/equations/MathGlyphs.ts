/**
 * Is a glyph run math? What a PDF's fonts and characters say about the text they draw.
 *
 * TeX sets math in fonts of its own: Computer Modern math italic, symbols and extension (`CMMI`, `CMSY`, `CMEX`), the
 * AMS symbol fonts (`MSAM`, `MSBM`), Euler fraktur and script (`EUFM`, `EUSM`), `rsfs`, their Latin Modern versions
 * (`LMMathItalic`, `LMMathSymbols`, `LMMathExtension`), the math fonts of `mathptmx` (the Symbol clone
 * `StandardSymL`, slanted for Greek), of `mathpazo` (`PazoMath`), of `txfonts`/`pxfonts` (`txsy`, `pxsy`, `rtxmi`,
 * `txex`, and `txsyb` for `\mathbb`), Euler's (`EURM`, `EUEX`, `zeuex`), and OpenType math fonts (`LatinModernMath`,
 * `STIXMath`, `Cambria Math`). Characters in the Unicode math ranges (Greek,
 * arrows, operators, letterlike symbols such as ℝ, math alphanumerics) are math in any font.
 *
 * Gotchas: some papers set math letters in the text italic (`mathptmx` uses Times Italic, `mathpazo` Palatino
 * Italic) and digits, `=`, `+` and parentheses in the text roman; so a text font says "maybe prose", never "not math".
 *
 * @since 0.1.0
 */
import { droppedCode, type TextItem } from "../pdf/Pdf.ts"

/**
 * What a font is for.
 *
 * - `mathItalic`: math letters and lower-case Greek (`CMMI`, `LMMathItalic`, `PazoMath-Italic`, slanted Symbol).
 * - `mathSymbol`: operators, relations, upright Greek, and in `CMSY` calligraphic capitals.
 * - `mathExtension`: big operators and delimiters (`CMEX`), whose glyphs hang below the point they are drawn at.
 * - `mathUnicode`: an OpenType math font, every glyph of which is math.
 * - `blackboard`, `fraktur`, `script`: `\mathbb`, `\mathfrak`, `\mathscr` alphabets.
 * - `textItalic`, `text`: text fonts (math may still use them, see the gotchas above).
 *
 * @category models
 * @since 0.1.0
 */
export type FontRole =
  | "mathItalic"
  | "mathSymbol"
  | "mathExtension"
  | "mathUnicode"
  | "blackboard"
  | "fraktur"
  | "script"
  | "textItalic"
  | "text"

/**
 * The role of a font, from its real name (without the subset prefix).
 *
 * @category classification
 * @since 0.1.0
 */
export const fontRole = (fontName: string): FontRole => {
  // runs come font by font: the last font asked about is most often asked about again
  if (fontName === last.fontName) return last.role
  const role = roles.get(fontName) ?? classify(fontName)
  roles.set(fontName, role)
  last.fontName = fontName
  last.role = role
  return role
}

/**
 * Whether the font is one that only math uses.
 *
 * @category classification
 * @since 0.1.0
 */
export const isMathFont = (fontName: string): boolean => {
  const role = fontRole(fontName)
  return role !== "text" && role !== "textItalic"
}

/**
 * Whether the font is a bold one: a bold text font (`CMBX`, `…-Bold`, Times' `-Medi`, `-Demi`), which `\mathbf` sets
 * upright letters in, or a bold math italic (`CMMIB`, `rtxbmi`, Euler's `EURB`), which `\boldsymbol` and `\bm` use.
 *
 * @category classification
 * @since 0.1.0
 */
export const isBoldFont = (fontName: string): boolean => fontFacts(fontName).bold

/**
 * Whether the font is a typewriter one (`CMTT`, Latin Modern Mono, Courier), which `\texttt` sets its words in.
 *
 * @category classification
 * @since 0.1.0
 */
export const isTypewriterFont = (fontName: string): boolean => fontFacts(fontName).typewriter

/**
 * Whether a character belongs to a Unicode block that only math (or Greek) uses: Greek, arrows, mathematical
 * operators and symbols, letterlike symbols, math alphanumerics, primes, and `± × ÷ ¬ ∞`.
 *
 * @category classification
 * @since 0.1.0
 */
export const isMathChar = (char: string): boolean => {
  const code = char.codePointAt(0) ?? 0
  return (code >= 0x0391 && code <= 0x03f6) || // Greek
    (code >= 0x2032 && code <= 0x2037) || // primes
    (code >= 0x2100 && code <= 0x214f) || // letterlike: ℝ ℂ ℓ ℏ
    (code >= 0x2190 && code <= 0x23ff) || // arrows, operators, technical (⌈ ⌉)
    (code >= 0x27c0 && code <= 0x27ff) || // misc math symbols A, supplemental arrows A, ⟨ ⟩
    (code >= 0x2900 && code <= 0x2aff) || // arrows B, misc math symbols B, supplemental operators
    (code >= 0x1d400 && code <= 0x1d7ff) || // math alphanumerics
    code === 0x00b1 || code === 0x00d7 || code === 0x00f7 || code === 0x00ac || code === 0x221e
}

/**
 * Characters that are math whatever the font: `= + < > | ^ _ ~`, which prose uses rarely, and the math characters of
 * `isMathChar`. (Parentheses, digits and punctuation are neutral: both use them.)
 *
 * @category classification
 * @since 0.1.0
 */
export const isMathOperatorChar = (char: string): boolean => "=+<>|^_~".includes(char) || isMathChar(char)

/**
 * How much of an item is math and how much is prose, in characters (spaces excluded).
 *
 * - `math`: characters in a math font, math characters in any font, italic letters alone or in pairs (math letters in
 *   papers whose math italic is the text italic: `mathptmx`, `txfonts`, `pxfonts`, `newtxmath`), bold ones likewise
 *   (`\mathbf{X}`), and `=`, `+`, `<`, `>`.
 * - `prose`: letters of words in a text font, except math operator names such as `sin`, `exp` or `lim`.
 * - neither: digits, punctuation, parentheses.
 *
 * @category classification
 * @since 0.1.0
 */
export const charClasses = (item: TextItem): { readonly math: number; readonly prose: number } => {
  const role = fontRole(item.fontName)
  if (role !== "text" && role !== "textItalic") {
    return { math: countNonSpace(item.text), prose: 0 }
  }
  let math = 0
  let prose = 0
  const words = item.text.split(/\s+/).filter((word) => word !== "")
  // single letters apart (`d f`: math spacing, which pdf.js reads as spaces) are no words of prose
  const singles = words.every((word) => word.replace(/[^\p{L}]/gu, "").length <= 1)
  for (const word of words) {
    const letters = word.replace(/[^\p{L}]/gu, "")
    for (const char of word) {
      if (isMathOperatorChar(char)) math++
    }
    if (letters === "") continue
    if (operatorNames.has(letters)) {
      math += letters.length
    } else if ((role === "textItalic" || isBoldFont(item.fontName)) && letters.length <= 2 && (words.length === 1 || singles)) {
      // a math letter or two (`x`, `dS`) in a paper whose math italic is the text italic, or bold ones (`\mathbf{X}`)
      math += letters.length
    } else {
      prose += [...letters].filter((char) => !isMathChar(char)).length
      math += [...letters].filter(isMathChar).length
    }
  }
  return { math, prose }
}

/**
 * Upright words that math sets as operator names (`\sin`, `\exp`, `\lim`, `\det`, ...), and a few that papers define
 * with `\operatorname`.
 *
 * @category classification
 * @since 0.1.0
 */
export const operatorNames: ReadonlySet<string> = new Set([
  "arccos", "arcsin", "arctan", "arg", "cos", "cosh", "cot", "coth", "csc", "deg", "det", "dim", "exp", "gcd", "hom",
  "inf", "ker", "lg", "lim", "liminf", "limsup", "ln", "log", "max", "min", "Pr", "sec", "sin", "sinh", "sup", "tan",
  "tanh", "tr", "Tr", "diag", "diam", "vol", "rank", "span", "sgn", "sign", "Re", "Im", "mod", "covol", "sech",
  "csch", "Ad", "ad", "id", "supp", "dist", "Var", "Cov", "erf", "div", "grad", "curl", "Hom", "End", "Aut", "Ker",
  "argmin", "argmax", "essinf", "esssup"
])

/**
 * What a glyph of an extension font (`CMEX`, or its Latin Modern or Unicode versions) is.
 *
 * `extent` is how far the glyph reaches below the point it is drawn at, in ems; its top is about that point.
 *
 * @category models
 * @since 0.1.0
 */
export interface ExtensionGlyph {
  readonly kind: "operator" | "delimiter" | "radical" | "piece" | "accent" | "brace"
  /**
   * the LaTeX command or delimiter, e.g. `\sum`, `(`, `\lbrace`, `\sqrt`; for a piece of a horizontal brace, plain
   * TeX's name of it (`\braceld`: its left end, pointing down)
   */
  readonly latex: string
  /** display-size operator (`\sum` in a display), as opposed to text size */
  readonly large: boolean
  readonly extent: number
}

/**
 * The meaning of a glyph drawn in an extension font: `Z` in `CMEX10` is a display `\int`, `X` a display `\sum`, `p` a
 * radical, `\u0012` a `\bigg(`. `undefined` for glyphs it does not know.
 *
 * @category classification
 * @since 0.1.0
 */
export const extensionGlyph = (
  text: string,
  fontName: string,
  widthEm: number,
  mapped: boolean = false
): ExtensionGlyph | undefined => {
  // TeX's own extension fonts come through by code (pdf.js has no Unicode for their glyphs); Latin Modern's by Unicode,
  // and so do TeX's when the PDF maps them: a variation selector after the character picks the size (`(︀` a `\big(`,
  // `∑︁` a display `\sum`)
  const unicode = mapped || /[\ufe00-\ufe0f]/.test(text)
  const char = text.replace(variationSelectors, "")
  const code = char.codePointAt(0) ?? -1
  if (code < 0x80 && fontFacts(fontName).texLayout && !unicode) {
    return cmex[code]
  }
  // yhmath's `yhcmex` names its upper half as Mac Roman does, so pdf.js gives `‹` for a `\widetilde`
  if (code >= 0x80 && fontFacts(fontName).yhmath) {
    return yhcmexUpper[macRomanCodes.get(char) ?? -1]
  }
  // a glyph the text layer read as white space (see `Pdf.droppedGlyph`)
  const dropped = droppedCode(char)
  if (dropped !== undefined && fontFacts(fontName).texLayout && !unicode) {
    return cmex[dropped]
  }
  // Unicode-mapped extension fonts (Latin Modern, PazoMath) tell the size only by the width
  const operator = unicodeOperators[char]
  if (operator !== undefined) {
    const large = widthEm > operator.displayWidth
    return { kind: "operator", latex: operator.latex, large, extent: large ? operator.displayExtent : 1.0 }
  }
  const piece = pieces[code]
  if (piece !== undefined) return piece
  const delimiter = unicodeDelimiters[char]
  if (delimiter !== undefined && fontRole(fontName) === "mathExtension") {
    return { kind: "delimiter", latex: delimiter, large: true, extent: delimiterExtent(widthEm) }
  }
  if (char === "√" && fontRole(fontName) === "mathExtension") {
    return { kind: "radical", latex: "\\sqrt", large: true, extent: 1.8 }
  }
  return undefined
}


/**
 * An extension-font run of glyphs set apart (`\right] \left[` side by side), which pdf.js joins into one run with a
 * space between, as one run per glyph: each glyph half an em wide at most, the first at the run's start and the last
 * at its end, the rest spread between. Delimiters set one against the other (`\left[\binom{n}{i}` gives one run `[(`)
 * are a run each too.
 *
 * @category constructors
 * @since 0.1.0
 */
export const glyphsApart = (item: TextItem): ReadonlyArray<TextItem> => {
  if (fontRole(item.fontName) !== "mathExtension") return [item]
  // a glyph and the variation selector after it, if any (`[︀(︀`)
  const glyphs = item.text.match(/\S[\ufe00-\ufe0f]?/gu) ?? []
  const delimiters = glyphs.length >= 2 &&
    glyphs.every((glyph) => extensionGlyph(glyph, item.fontName, 0, mapped(item))?.kind === "delimiter")
  if (!/\S\s+\S/.test(item.text) && !delimiters) return [item]
  const width = Math.min(0.5 * item.fontSize, item.width / glyphs.length)
  const step = (item.width - width) / (glyphs.length - 1)
  return glyphs.map((text, i) => ({ ...item, text, x: item.x + i * step, width }))
}

/**
 * Whether the item is drawn from a reference point at its top rather than on a baseline: extension-font glyphs and
 * radical signs, which hang down from where the PDF puts them. The pieces of a horizontal brace sit on theirs.
 *
 * @category classification
 * @since 0.1.0
 */
export const isHanging = (item: TextItem): boolean =>
  (fontRole(item.fontName) === "mathExtension" && !isBracePiece(item)) || item.text.trim() === "√"

/**
 * Whether the item is made of pieces of a horizontal brace (`\overbrace`, `\underbrace`): TeX draws one as its ends
 * and its middle from the extension font (`z }| {` over a formula, `| {z }` under one), the straight parts between
 * them as rules; OpenType math fonts may draw it whole (`⏞`, `⏟`).
 *
 * @category classification
 * @since 0.1.0
 */
export const isBracePiece = (item: TextItem): boolean => {
  const role = fontRole(item.fontName)
  if (role === "text" || role === "textItalic") return false
  if (role !== "mathExtension") {
    const first = item.text.trimStart().charCodeAt(0)
    return (first === 0x23de || first === 0x23df) && /^\s*[⏞⏟]+\s*$/.test(item.text)
  }
  const cached = bracePieces.get(item)
  if (cached !== undefined) return cached
  const text = item.text.replace(/\s/g, "")
  const found = text !== "" &&
    [...text.replace(variationSelectors, "")].every((char) => extensionGlyph(char, item.fontName, 0, mapped(item))?.kind === "brace")
  bracePieces.set(item, found)
  return found
}

/**
 * Which way a horizontal brace opens, from its pieces left to right: over a formula (`\overbrace`, its left end
 * pointing down), under one (`\underbrace`), or `undefined` when the runs are no brace.
 *
 * @category classification
 * @since 0.1.0
 */
export const braceSide = (pieces: ReadonlyArray<TextItem>): "over" | "under" | undefined => {
  if (pieces.length === 0 || !pieces.every(isBracePiece)) return undefined
  const leftmost = [...pieces].sort((a, b) => a.x - b.x)[0]!
  const first = leftmost.text.trim().charAt(0)
  if (first === "⏞") return "over"
  if (first === "⏟") return "under"
  const latex = extensionGlyph(first, leftmost.fontName, 0, mapped(leftmost))?.latex
  return latex === "\\braceld" ? "over" : latex === "\\bracelu" ? "under" : undefined
}

/**
 * Whether the item is a big operator (`\sum`, `\int`, ...) from any font: a glyph that sits off the baseline and
 * carries limits above and below.
 *
 * @category classification
 * @since 0.1.0
 */
export const isBigOperator = (item: TextItem): boolean => {
  const text = item.text.trim()
  if (fontRole(item.fontName) === "mathExtension") {
    return extensionGlyph(text, item.fontName, item.width / Math.max(item.fontSize, 1))?.kind === "operator"
  }
  return text in unicodeOperators
}

/**
 * Whether a run carries limits above and below it in a display: a display-size big operator (a text-size `\sum` in a
 * fraction has scripts at its side instead), or an operator name such as `lim`. `body` is the surrounding text size:
 * fonts without an extension font (`mathpazo`) draw display operators at a larger size instead.
 *
 * @category classification
 * @since 0.1.0
 */
export const hasLimits = (item: TextItem, body: number): boolean => {
  if (takesLimits(item)) return true
  if (!isBigOperator(item)) return false
  if (fontRole(item.fontName) === "mathExtension") {
    return extensionGlyph(item.text.trim(), item.fontName, item.width / Math.max(item.fontSize, 1))?.large === true
  }
  return item.fontSize >= 1.2 * body || item.width >= (unicodeOperators[item.text.trim()]?.displayWidth ?? 1) * body
}

/**
 * Whether the item is an operator name that takes limits in a display, as `\sum` does: `\lim`, `\max`, `\sup`, ...
 *
 * @category classification
 * @since 0.1.0
 */
export const takesLimits = (item: TextItem): boolean => limitedName.test(item.text.trim())

/**
 * Where the operator name that ends a run's text starts (`) = min`: 4), if one does.
 *
 * @category classification
 * @since 0.1.0
 */
export const limitedNameStart = (text: string): number | undefined => {
  const match = limitedName.exec(text.trimEnd())
  return match === null ? undefined : match.index + match[1]!.length
}

// the name may end a run that pdf.js joined to what comes before it: `) = lim inf`
const limitedName = /(^|[^A-Za-z])(lim|lim ?inf|lim ?sup|max|min|sup|inf|arg ?max|arg ?min|ess ?inf|ess ?sup|det|Pr)$/

/**
 * Whether the item is a math accent set on its own above a letter (`\bar`, `\hat`, `\tilde`, ...: see `isAccentChar`),
 * or a wide one from the extension font (`\widehat`, `\widetilde`).
 *
 * @category classification
 * @since 0.1.0
 */
export const isAccent = (item: TextItem): boolean => {
  // a variation selector after the glyph picks its look (acmart's fonts): the glyph is what counts
  const text = item.text.replace(/[\ufe00-\ufe0f]/g, "").trim()
  if (isAccentChar(text)) return true
  // `\widehat`, `\widetilde`: glyphs of the extension font
  return text.length === 1 && fontRole(item.fontName) === "mathExtension" &&
    extensionGlyph(text, item.fontName, 0, mapped(item))?.kind === "accent"
}

/**
 * Whether a character is a math accent: pdf.js gives TeX's accents as spacing characters such as `¯` and `ˆ`; fonts
 * that draw `\hat` with their ASCII circumflex (Euler's `EUFM`) give `^`, which math never sets as a symbol.
 *
 * @category classification
 * @since 0.1.0
 */
export const isAccentChar = (char: string): boolean => char.length === 1 && accentChars.includes(char)

/**
 * Whether the item is a radical sign: `√` from a symbol font, or one of the extension font's radicals.
 *
 * @category classification
 * @since 0.1.0
 */
export const isRadical = (item: TextItem): boolean => {
  const text = item.text.trim()
  if (text === "√") return true
  if (fontRole(item.fontName) !== "mathExtension") return false
  return extensionGlyph(text.charAt(0), item.fontName, item.width / item.fontSize, mapped(item))?.kind === "radical"
}

/**
 * How far below its drawing point a hanging item reaches, in points (0 for items on a baseline).
 *
 * @category classification
 * @since 0.1.0
 */
export const hangDepth = (item: TextItem): number => {
  if (!isHanging(item)) return 0
  const text = item.text.trim()
  if (fontRole(item.fontName) !== "mathExtension") {
    // a radical sign from a symbol font: about one em, drawn from its top
    return item.fontSize
  }
  let depth = 0
  for (const char of text.replace(variationSelectors, "")) {
    const glyph = extensionGlyph(char, item.fontName, item.width / Math.max(item.fontSize, 1), mapped(item))
    depth = Math.max(depth, (glyph?.extent ?? 1) * item.fontSize)
  }
  return depth
}

/**
 * Whether the PDF maps the item's glyphs to Unicode: a variation selector after a character picks a size of it, so an
 * extension font's glyphs are characters, not TeX's codes (see `extensionGlyph`).
 *
 * @category classification
 * @since 0.1.0
 */
export const mapped = (item: TextItem): boolean => /[\ufe00-\ufe0f]/.test(item.text)

// internal

const variationSelectors = /[\ufe00-\ufe0f]/g

const roles = new Map<string, FontRole>()

const last: { fontName: string | undefined; role: FontRole } = { fontName: undefined, role: "text" }

/** extension-font runs read as brace pieces or not (they are asked about again and again: see `isHanging`) */
const bracePieces = new WeakMap<TextItem, boolean>()

interface FontFacts {
  readonly texLayout: boolean
  readonly yhmath: boolean
  readonly bold: boolean
  readonly typewriter: boolean
}

const facts = new Map<string, FontFacts>()

/** what a font's name says beyond its role, once per font */
const fontFacts = (fontName: string): FontFacts => {
  const cached = facts.get(fontName)
  if (cached !== undefined) return cached
  const lower = baseName(fontName).toLowerCase()
  const found = {
    texLayout: texExtensionLayout.test(lower),
    yhmath: lower.startsWith("yhcmex"),
    bold: /^(cmbx|cmmib|cmbsy|rtxbmi|rpxbmi|eurb|eufb|eusb)|bold|medi|demi|black|heavy/.test(lower),
    typewriter: /^(cmtt|cmsltt|sftt|lmmono|lmtt|rtxtt|txtt|pcr|nimbusmon|courier|inconsolata)|mono(?!type)/.test(lower)
  }
  facts.set(fontName, found)
  return found
}

// spacing accents, and the combining ones pdf.js gives for some fonts' accents (`\vec` in CMMI is U+20D7)
// `‾` stands for an `\overline` (a rule, see `RuleMarks.overlines`)
const accentChars = "¯ˆ˜˙¨´`ˇ˘˚^‾\u20d7\u20db\u20dc\u0302\u0303\u0304\u0307\u0308\u030c\u0306"

/** the font's name without the subset prefix (`ABCDEF+CMMI10` is `CMMI10`) */
const baseName = (fontName: string): string => fontName.replace(/^[A-Z]{6}\+/, "")

/**
 * Extension fonts laid out as TeX's `CMEX10` (big operators, delimiters in four sizes, their pieces, radicals): Computer
 * Modern's, Euler's (`euex`, and `zeuex` of `eulervm`), those of `txfonts`/`pxfonts` and `newtxmath`, kpfonts'. Their
 * `a` companions (`txexa`, `pxexa`) hold AMS's extra operators in another layout.
 */
const texExtensionLayout = /^(cmex|yhcmex|euex|zeuex|eurm?ex|txex(?!a)|pxex(?!a)|ntxexx?(?!a)|jkpexx?(?!a)|mnsymbolf)/

/**
 * Extension fonts of any layout: those above and their companions, Latin Modern's (`lmex`, `LMMathExtension`),
 * `esint`, `mathpazo`'s, and the Type 1 fonts named as math extensions (`STIXMathExtension`-like, `stix-mathex`) or as
 * sized variants of big symbols (`STIXSizeOneSym`).
 */
const anyExtension =
  /^(cmex|yhcmex|lmex|euex|zeuex|eurm?ex|txex|pxex|ntxex|jkpex|mnsymbolf|esint|stixsize)|math-?ex(tension)?|^pazomath-?extension/

const classify = (fontName: string): FontRole => {
  const name = baseName(fontName)
  const lower = name.toLowerCase()
  // before the OpenType math fonts: `STIXMathExtension` is a Type 1 extension font, `STIXTwoMath` an OpenType one
  if (anyExtension.test(lower)) return "mathExtension"
  if (/latinmodernmath|stix.*math|cambria\s*math|xits.*math|asana.*math|texgyre.*math|libertinusmath|firamath/.test(lower)) {
    return "mathUnicode"
  }
  // `txfonts`/`pxfonts` take `\mathbb` from `txsyb`/`pxsyb`, their `msbm`
  if (/^(msbm|bbold|dsrom|bbm|txsyb|pxsyb)|blackboard|doublestroke/.test(lower)) return "blackboard"
  if (/^(eufm|eufb|yfrak|ygoth)|fraktur/.test(lower)) return "fraktur"
  if (/^(eusm|eusb|rsfs|eusc|pzc)|script/.test(lower)) return "script"
  if (/^(cmmi|cmbrmi|lmmathitalic|rtxmi|rpxmi|eurm|eurb|zplmi|mathkerncmmi)|^pazomath-(bold)?italic|mathitalic/.test(lower)) {
    return "mathItalic"
  }
  if (/^(standardsyml|symbolmt|symbol)\b.*(slant|oblique|italic)|^(standardsyml|symbol)-?slant/.test(lower)) {
    return "mathItalic"
  }
  if (/^(cmsy|cmbsy|lmmathsymbols|txsy|pxsy|msam|wasy|stmary|mnsymbol|standardsyml|symbolmt|symbol$|pazomath|zplsy)|mathsymbols/.test(lower)) {
    return "mathSymbol"
  }
  if (/ital|oblique|^cmti|^cmsl|^lmroman.*(italic|slanted)|^cmmib/.test(lower)) return "textItalic"
  return "text"
}

const countNonSpace = (text: string): number => {
  let n = 0
  for (const char of text) if (char.trim() !== "") n++
  return n
}

/** total height of a TeX delimiter by its width, for extension fonts that do not tell the size otherwise */
const delimiterExtent = (widthEm: number): number =>
  widthEm < 0.5 ? 1.2 : widthEm < 0.65 ? 1.8 : widthEm < 0.76 ? 2.4 : 3.0

const op = (latex: string, large: boolean, extent: number): ExtensionGlyph => ({ kind: "operator", latex, large, extent })
const delim = (latex: string, extent: number): ExtensionGlyph => ({ kind: "delimiter", latex, large: true, extent })
const rad = (extent: number): ExtensionGlyph => ({ kind: "radical", latex: "\\sqrt", large: true, extent })
const piece = (latex: string, extent: number): ExtensionGlyph => ({ kind: "piece", latex, large: true, extent })
const wideAccent = (latex: string): ExtensionGlyph => ({ kind: "accent", latex, large: true, extent: 0 })

/** the `CMEX10` layout: delimiters in four sizes, pieces of extensible ones, text and display operators, radicals */
const cmex: Record<number, ExtensionGlyph> = (() => {
  const table: Record<number, ExtensionGlyph> = {}
  const sized = ["(", ")", "[", "]", "\\lfloor", "\\rfloor", "\\lceil", "\\rceil", "\\{", "\\}", "\\langle", "\\rangle"]
  // big: 0x00-0x0f (with | ‖ / \ in 0x0c-0x0f), bigg: 0x12-0x1f, Bigg: 0x20-0x2d
  sized.forEach((latex, i) => {
    table[i] = delim(latex, 1.2)
  })
  table[0x0c] = delim("|", 0.6)
  table[0x0d] = delim("\\|", 0.6)
  table[0x0e] = delim("/", 1.2)
  table[0x0f] = delim("\\backslash", 1.2)
  table[0x10] = delim("(", 1.8)
  table[0x11] = delim(")", 1.8)
  ;["(", ")", "[", "]", "\\lfloor", "\\rfloor", "\\lceil", "\\rceil", "\\{", "\\}", "\\langle", "\\rangle", "/", "\\backslash"]
    .forEach((latex, i) => {
      table[0x12 + i] = delim(latex, 2.4)
      table[0x20 + i] = delim(latex, 3.0)
    })
  table[0x2e] = delim("/", 1.8)
  table[0x2f] = delim("\\backslash", 1.8)
  ;["[", "]", "\\lfloor", "\\rfloor", "\\lceil", "\\rceil", "\\{", "\\}"].forEach((latex, i) => {
    table[0x68 + i] = delim(latex, 1.8)
  })
  table[0x44] = delim("\\langle", 1.8)
  table[0x45] = delim("\\rangle", 1.8)
  // extensible pieces
  for (const [code, latex, extent] of [
    [0x30, "(", 1.8], [0x31, ")", 1.8], [0x32, "[", 1.8], [0x33, "]", 1.8], [0x34, "[", 1.8], [0x35, "]", 1.8],
    [0x36, "[", 0.6], [0x37, "]", 0.6], [0x38, "\\{", 0.9], [0x39, "\\}", 0.9], [0x3a, "\\{", 0.9], [0x3b, "\\}", 0.9],
    [0x3c, "\\{", 1.8], [0x3d, "\\}", 1.8], [0x3e, "\\{", 0.3], [0x3f, "|", 0.6], [0x40, "(", 1.8], [0x41, ")", 1.8],
    [0x42, "(", 0.6], [0x43, ")", 0.6]
  ] as const) {
    table[code] = piece(latex, extent)
  }
  for (const [code, latex] of [
    [0x46, "\\bigsqcup"], [0x48, "\\oint"], [0x4a, "\\bigodot"], [0x4c, "\\bigoplus"], [0x4e, "\\bigotimes"],
    [0x50, "\\sum"], [0x51, "\\prod"], [0x52, "\\int"], [0x53, "\\bigcup"], [0x54, "\\bigcap"], [0x55, "\\biguplus"],
    [0x56, "\\bigwedge"], [0x57, "\\bigvee"], [0x60, "\\coprod"]
  ] as const) {
    const integral = latex === "\\int" || latex === "\\oint"
    table[code] = op(latex, false, integral ? 1.1 : 1.0)
    table[code === 0x60 ? 0x61 : code + (code >= 0x50 ? 8 : 1)] = op(latex, true, integral ? 2.2 : 1.4)
  }
  table[0x70] = rad(1.2)
  table[0x71] = rad(1.8)
  table[0x72] = rad(2.4)
  table[0x73] = rad(3.0)
  table[0x74] = rad(1.8)
  table[0x75] = rad(0.6)
  table[0x76] = rad(0.6)
  for (const code of [0x62, 0x63, 0x64]) table[code] = wideAccent("\\widehat")
  for (const code of [0x65, 0x66, 0x67]) table[code] = wideAccent("\\widetilde")
  // the ends and middles of horizontal braces (plain TeX's \downbracefill is \braceld .. \braceru\bracelu .. \bracerd)
  ;["\\braceld", "\\bracerd", "\\bracelu", "\\braceru"].forEach((latex, i) => {
    table[0x7a + i] = { kind: "brace", latex, large: true, extent: 0 }
  })
  return table
})()

/**
 * The upper half of yhmath's `yhcmex` (its `.vpl`): delimiters and radicals in sizes between CMEX's, then wide accents
 * in ten or thirteen widths each. The sizes are the glyphs' height plus depth in em.
 */
const yhcmexUpper: Record<number, ExtensionGlyph> = (() => {
  const table: Record<number, ExtensionGlyph> = {}
  const sizes = [1.53, 2.29, 2.7, 3.0, 3.6, 4.2, 4.8, 5.4, 6.0, 6.6]
  let code = 0x80
  const run = (count: number, glyph: (extent: number) => ExtensionGlyph) => {
    for (let i = 0; i < count; i++) table[code++] = glyph(sizes[Math.min(i, sizes.length - 1)]!)
  }
  run(10, (e) => delim("(", e))
  run(10, (e) => delim(")", e))
  for (const latex of ["[", "]", "\\lfloor", "\\rfloor", "\\lceil", "\\rceil", "\\{", "\\}"]) run(3, (e) => delim(latex, e))
  run(10, (e) => delim("\\langle", e))
  run(10, (e) => delim("\\rangle", e))
  run(4, (e) => delim("/", e))
  run(4, (e) => delim("\\backslash", e))
  run(10, rad)
  run(10, () => wideAccent("\\widehat"))
  run(10, () => wideAccent("\\widetilde"))
  run(13, () => wideAccent("\\widetriangle"))
  run(13, () => wideAccent("\\wideparen"))
  return table
})()

/** Mac Roman's upper half, character to code */
const macRomanCodes: ReadonlyMap<string, number> = (() => {
  const codes = new Map<string, number>()
  const bytes = Uint8Array.from({ length: 0x80 }, (_, i) => 0x80 + i)
  ;[...new TextDecoder("macintosh").decode(bytes)].forEach((char, i) => codes.set(char, 0x80 + i))
  return codes
})()

/** Adobe Symbol's private-use codes for bracket pieces, which pdf.js gives for `CMEX` pieces */
const pieces: Record<number, ExtensionGlyph> = {
  0xf8eb: piece("(", 1.8), 0xf8ec: piece("(", 0.6), 0xf8ed: piece("(", 1.8),
  0xf8ee: piece("[", 1.8), 0xf8ef: piece("[", 0.6), 0xf8f0: piece("[", 1.8),
  0xf8f1: piece("\\{", 0.9), 0xf8f2: piece("\\{", 1.8), 0xf8f3: piece("\\{", 0.9), 0xf8f4: piece("\\{", 0.3),
  0xf8f5: piece("\\int", 0.6),
  0xf8f6: piece(")", 1.8), 0xf8f7: piece(")", 0.6), 0xf8f8: piece(")", 1.8),
  0xf8f9: piece("]", 1.8), 0xf8fa: piece("]", 0.6), 0xf8fb: piece("]", 1.8),
  0xf8fc: piece("\\}", 0.9), 0xf8fd: piece("\\}", 1.8), 0xf8fe: piece("\\}", 0.9)
}

/**
 * Unicode big operators: their LaTeX, the width (em) above which they are display size (Latin Modern's text `\int` is
 * 0.47 em wide, its display one 0.55 em; `\sum` 1.05 and 1.45), and their display depth
 */
const unicodeOperators: Record<string, { latex: string; displayWidth: number; displayExtent: number }> = {
  "∑": { latex: "\\sum", displayWidth: 1.2, displayExtent: 1.4 },
  "∏": { latex: "\\prod", displayWidth: 1.1, displayExtent: 1.4 },
  "∐": { latex: "\\coprod", displayWidth: 1.1, displayExtent: 1.4 },
  "∫": { latex: "\\int", displayWidth: 0.51, displayExtent: 2.2 },
  "∬": { latex: "\\iint", displayWidth: 0.9, displayExtent: 2.2 },
  "∮": { latex: "\\oint", displayWidth: 0.51, displayExtent: 2.2 },
  "⋃": { latex: "\\bigcup", displayWidth: 1.0, displayExtent: 1.4 },
  "⋂": { latex: "\\bigcap", displayWidth: 1.0, displayExtent: 1.4 },
  "⨁": { latex: "\\bigoplus", displayWidth: 1.1, displayExtent: 1.4 },
  "⨂": { latex: "\\bigotimes", displayWidth: 1.1, displayExtent: 1.4 }
}

const unicodeDelimiters: Record<string, string> = {
  "(": "(", ")": ")", "[": "[", "]": "]", "{": "\\{", "}": "\\}", "⟨": "\\langle", "⟩": "\\rangle", "|": "|",
  "∣": "|", "‖": "\\|", "∥": "\\|", "⌊": "\\lfloor", "⌋": "\\rfloor", "⌈": "\\lceil", "⌉": "\\rceil"
}
