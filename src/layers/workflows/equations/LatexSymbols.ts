/**
 * The LaTeX of one glyph run, character by character: Greek letters, operators and relations, the alphabets that a
 * font implies (`\mathcal` from `CMSY` capitals, `\mathbb`, `\mathfrak`, `\mathscr`), extension-font glyphs (`X` in
 * `CMEX10` is `\sum`), operator names in upright type (`\exp`, `\lim`, `\operatorname{Tr}`) and words (`\text{...}`).
 *
 * Layout (scripts, fractions, matrices) is `GlyphLatex`'s business; this module knows single runs only.
 *
 * @since 0.1.0
 */
import type { TextItem } from "../pdf/Pdf.ts"
import { extensionGlyph, fontRole, isBoldFont, isTypewriterFont, mapped, operatorNames } from "./MathGlyphs.ts"

/**
 * The LaTeX tokens of a run, in order, a command or a character each (scripts are runs of their own, so no `_` or `^`
 * comes out here).
 *
 * @category encoding
 * @since 0.1.0
 */
export const runTokens = (item: TextItem): ReadonlyArray<string> => {
  const role = fontRole(item.fontName)
  // variation selectors (U+FE00..FE0F) pick a glyph's look and print nothing of their own
  // a row of dots across a matrix (`\hdotsfor`) is one ellipsis, however long
  const dotted = item.text.replace(/[\ufe00-\ufe0f]/g, "").replace(/· · ·|···/g, "⋯").replace(/(?:\. ?){6,}/g, "…")
    .replace(/\. \. \.|\.\.\./g, "…")
    // an arrow drawn longer (`\xrightarrow`) has several extenders before its head: one is enough to read it
    .replace(/[−-]{2,}(?=→)/g, "−").replace(/(?<=←)[−-]{2,}/g, "−")
  const text = dotted.length < 2 || !/[←⇐↦→⇒⟶]/.test(dotted) ? dotted : dotted.replace(arrowPieces, (pieces) =>
    role === "mathSymbol" || !pieces.startsWith("7") ? longArrows[pieces]! : pieces
  )
  if (role === "mathExtension") {
    const widthEm = item.width / Math.max(item.fontSize, 1)
    return [...text].filter((char) => char.trim() !== "").map((char) =>
      extensionGlyph(char, item.fontName, widthEm, mapped(item))?.latex ?? symbolLatex(char) ?? char
    )
  }
  const bold = isBoldFont(item.fontName)
  // typewriter words (a command's name, `\texttt{\textbackslash over}`) are set as they are
  if ((role === "text" || role === "textItalic") && isTypewriterFont(item.fontName) && text.trim() !== "") {
    return [`\\texttt{${[...text.trim()].map((char) => textEscapes[char] ?? char).join("")}}`]
  }
  if (role === "text" || role === "textItalic") return textTokens(text, role, bold)
  const tokens: Array<string> = []
  for (const char of text) {
    if (char.trim() === "") continue
    const latex = charLatex(char, role)
    // bold math italic: `\boldsymbol` (or `\bm`) letters, Greek too; a bold symbol font's symbols (`\boldsymbol{\infty}`)
    const boldened = bold && ((role === "mathItalic" && /^(\\[A-Za-z]+|\p{L})$/u.test(latex)) || role === "mathSymbol")
    tokens.push(boldened && !latex.startsWith("\\mathcal") ? `\\boldsymbol{${latex}}` : latex)
  }
  return tokens
}

/**
 * The LaTeX of one character in a font of the given role.
 *
 * @category encoding
 * @since 0.1.0
 */
export const charLatex = (char: string, role: ReturnType<typeof fontRole>): string => {
  if (/[A-Za-z]/.test(char)) {
    if (role === "blackboard") return `\\mathbb{${char}}`
    if (role === "fraktur") return `\\mathfrak{${char}}`
    if (role === "script") return `\\mathscr{${char}}`
    // CMSY's (and its kin's) capitals are the calligraphic alphabet
    if (role === "mathSymbol" && /[A-Z]/.test(char)) return `\\mathcal{${char}}`
    return char
  }
  const math = mathAlphanumeric(char)
  if (math !== undefined) return math
  return symbolLatex(char) ?? char
}

/**
 * The arrow that two runs drawn one into the other make, if they make one: TeX builds `\longrightarrow` from `−` and
 * `→` (`\relbar\joinrel\rightarrow`), `\Longrightarrow` from `=` and `⇒`, `\mapsto` from `\mapstochar` (which pdf.js
 * reads as `7`) and `→`.
 *
 * @category encoding
 * @since 0.1.0
 */
export const longArrow = (left: string, right: string): string | undefined => longArrows[left.trim() + right.trim()]

/**
 * The LaTeX command of a symbol (`≤` → `\le`), or `undefined` when the character stands for itself.
 *
 * @category encoding
 * @since 0.1.0
 */
export const symbolLatex = (char: string): string | undefined => symbols[char]

// internal

/**
 * whether a bold run is bold math symbols side by side (`Fx`, `HP`, `xy`) rather than a bold word (`for`, `if`, `Step`):
 * up to four letters or digits, a capital after the first or two characters at most, no short word of prose
 */
const boldSymbols = (text: string): boolean =>
  /^[\p{L}\d]{1,4}$/u.test(text) && !operatorNames.has(text) && !shortWords.has(text.toLowerCase()) &&
  (text.length <= 2 || /\p{Lu}/u.test(text.slice(1)))

const shortWords: ReadonlySet<string> = new Set(["if", "or", "to", "do", "in", "on", "at", "is", "as", "by", "of", "an", "be"])

/** the characters that LaTeX's text mode takes as commands, spelled so that they print */
const textEscapes: Record<string, string> = {
  "\\": "\\textbackslash ", "{": "\\{", "}": "\\}", "_": "\\_", "^": "\\^{}", "#": "\\#", "$": "\\$", "%": "\\%",
  "&": "\\&", "~": "\\~{}"
}

/** arrows made of pieces (see `longArrow`), as one character each */
const longArrows: Record<string, string> = {
  "−→": "⟶", "-→": "⟶", "←−": "⟵", "←-": "⟵", "←→": "⟷", "=⇒": "⟹", "⇐=": "⟸", "⇐⇒": "⟺", "7→": "↦", "7−→": "⟼",
  "7⟶": "⟼", "↦−→": "⟼"
}

const arrowPieces = new RegExp(Object.keys(longArrows).sort((a, b) => b.length - a.length).join("|"), "g")

/** text-font runs: operator names become commands, words `\text{...}`, the rest character by character */
const textTokens = (text: string, role: "text" | "textItalic", bold: boolean): ReadonlyArray<string> => {
  const tokens: Array<string> = []
  const words = text.trim().split(/\s+/)
  // a phrase (`if the option ends in the money,`) is one `\text{..}`
  const prose = words.filter((word) => /\p{L}{2,}/u.test(word) && !operatorNames.has(word.replace(/[^\p{L}]/gu, "")))
  if (role === "text" && words.length >= 2 && prose.length >= 2) return [`\\text{${text.trim()}}`]
  // `\mathbf{F}\mathbf{x}` comes as one bold run `Fx`: a few bold letters are bold math symbols, not a word
  if (bold && boldSymbols(text.trim())) return [...text.trim()].map((char) => `\\mathbf{${charLatex(char, role)}}`)
  // `lim inf` and `lim sup` are one operator each
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!
    const next = words[i + 1]
    if (word === "lim" && (next === "inf" || next === "sup")) {
      tokens.push(`\\lim${next}`)
      i++
      continue
    }
    tokens.push(...wordTokens(word, role, bold))
  }
  return tokens
}

const wordTokens = (word: string, role: "text" | "textItalic", bold: boolean): ReadonlyArray<string> => {
  const match = /^([^\p{L}]*)(\p{L}*)(.*)$/u.exec(word)!
  const [, lead = "", letters = "", tail = ""] = match
  // a bold text font's operators and relations are bold symbols (`\boldsymbol{+}`; `\mathbf` sets letters only)
  const symbol = (char: string) => bold && boldOperators.includes(char) ? `\\boldsymbol{${charLatex(char, role)}}` : charLatex(char, role)
  const tokens: Array<string> = [...lead].map(symbol)
  if (letters !== "") {
    if (standardOperators.has(letters)) tokens.push(`\\${letters}`)
    else if (operatorNames.has(letters)) {
      // names that take limits in a display, as `\operatorname*` sets them
      tokens.push(`\\operatorname${/^(arg(min|max)|ess(inf|sup))$/.test(letters) ? "*" : ""}{${letters}}`)
    }
    else if (role === "textItalic" || letters.length === 1) tokens.push(...[...letters].map((c) => charLatex(c, role)))
    else tokens.push(`\\text{${letters}}`)
  }
  if (tail !== "") {
    tokens.push(...(tail === word ? [...tail].map(symbol) : wordTokens(tail, role, bold)))
  }
  return tokens
}

const boldOperators = "+−-=<>×±∓÷·"

/** operator names LaTeX has commands for */
const standardOperators = new Set([
  "arccos", "arcsin", "arctan", "arg", "cos", "cosh", "cot", "coth", "csc", "deg", "det", "dim", "exp", "gcd", "hom",
  "inf", "ker", "lg", "lim", "liminf", "limsup", "ln", "log", "max", "min", "Pr", "sec", "sin", "sinh", "sup", "tan",
  "tanh"
])

/** 𝑥 → x, 𝐀 → \mathbf{A}, 𝔤 → \mathfrak{g}, and so on, for OpenType math fonts' alphanumerics */
const mathAlphanumeric = (char: string): string | undefined => {
  const code = char.codePointAt(0) ?? 0
  if (code < 0x1d400 || code > 0x1d7ff) return undefined
  const styles: ReadonlyArray<readonly [number, string]> = [
    [0x1d400, "\\mathbf"], [0x1d434, ""], [0x1d468, "\\boldsymbol"], [0x1d49c, "\\mathcal"], [0x1d4d0, "\\mathcal"],
    [0x1d504, "\\mathfrak"], [0x1d538, "\\mathbb"], [0x1d56c, "\\mathfrak"], [0x1d5a0, "\\mathsf"],
    [0x1d5d4, "\\mathsf"], [0x1d608, "\\mathsf"], [0x1d63c, "\\mathsf"], [0x1d670, "\\mathtt"]
  ]
  for (const [start, command] of styles) {
    if (code >= start && code < start + 52) {
      const offset = code - start
      const letter = String.fromCharCode(offset < 26 ? 65 + offset : 97 + offset - 26)
      return command === "" ? letter : `${command}{${letter}}`
    }
  }
  if (code >= 0x1d7ce) return String.fromCharCode(48 + ((code - 0x1d7ce) % 10))
  // Greek in the math alphabets (italic 𝜆, bold 𝛌, ...): the letter itself, as NFKC gives it
  const plain = char.normalize("NFKC")
  return plain !== char ? symbols[plain] : undefined
}

const symbols: Record<string, string> = {
  // Greek, lower case (with TeX's variant forms)
  "α": "\\alpha", "β": "\\beta", "γ": "\\gamma", "δ": "\\delta", "ϵ": "\\epsilon", "ε": "\\varepsilon",
  "ζ": "\\zeta", "η": "\\eta", "θ": "\\theta", "ϑ": "\\vartheta", "ι": "\\iota", "κ": "\\kappa", "λ": "\\lambda",
  "μ": "\\mu", "µ": "\\mu", "ν": "\\nu", "ξ": "\\xi", "π": "\\pi", "ϖ": "\\varpi", "ρ": "\\rho", "ϱ": "\\varrho",
  "σ": "\\sigma", "ς": "\\varsigma", "τ": "\\tau", "υ": "\\upsilon", "ϕ": "\\phi", "φ": "\\varphi", "χ": "\\chi",
  "ψ": "\\psi", "ω": "\\omega", "ο": "o",
  // Greek, upper case (Computer Modern's Δ and Ω come out as increment and ohm signs)
  "Γ": "\\Gamma", "Δ": "\\Delta", "∆": "\\Delta", "Θ": "\\Theta", "Λ": "\\Lambda", "Ξ": "\\Xi", "Π": "\\Pi",
  "Σ": "\\Sigma", "Υ": "\\Upsilon", "ϒ": "\\Upsilon", "Φ": "\\Phi", "Ψ": "\\Psi", "Ω": "\\Omega", "\u2126": "\\Omega",
  // relations
  "≤": "\\le", "≥": "\\ge", "≠": "\\ne", "≡": "\\equiv", "∼": "\\sim", "≈": "\\approx", "≃": "\\simeq",
  "≅": "\\cong", "∝": "\\propto", "≪": "\\ll", "≫": "\\gg", "≺": "\\prec", "≻": "\\succ", "⪯": "\\preceq",
  "∈": "\\in", "∉": "\\notin", "∋": "\\ni", "⊂": "\\subset", "⊃": "\\supset", "⊆": "\\subseteq", "⊇": "\\supseteq",
  "⊥": "\\perp", "∣": "\\mid", "∥": "\\|", "‖": "\\|", "≍": "\\asymp", "≲": "\\lesssim", "≳": "\\gtrsim",
  "≼": "\\preccurlyeq", "⩽": "\\leqslant", "⩾": "\\geqslant", "≁": "\\nsim", "⊊": "\\subsetneq",
  "⊋": "\\supsetneq", "∤": "\\nmid", "⪰": "\\succeq", "⊢": "\\vdash", "⊨": "\\models", ":=": ":=",
  // arrows
  "→": "\\to", "←": "\\leftarrow", "↔": "\\leftrightarrow", "⇒": "\\Rightarrow", "⇐": "\\Leftarrow",
  "⇔": "\\Leftrightarrow", "↦": "\\mapsto", "⟶": "\\longrightarrow", "⟹": "\\Longrightarrow",
  "⟵": "\\longleftarrow", "⟷": "\\longleftrightarrow", "⟸": "\\Longleftarrow", "⟺": "\\Longleftrightarrow",
  "⟼": "\\longmapsto", "↑": "\\uparrow",
  "↓": "\\downarrow", "↪": "\\hookrightarrow", "⇀": "\\rightharpoonup",
  // binary operators
  "−": "-", "±": "\\pm", "∓": "\\mp", "×": "\\times", "÷": "\\div", "·": "\\cdot", "⋅": "\\cdot", "∗": "*",
  "⋆": "\\star", "∘": "\\circ", "•": "\\bullet", "∪": "\\cup", "∩": "\\cap", "⊔": "\\sqcup", "⊎": "\\uplus",
  "∧": "\\wedge", "∨": "\\vee", "⊕": "\\oplus", "⊖": "\\ominus", "⊗": "\\otimes", "⊙": "\\odot", "∖": "\\setminus",
  "⋄": "\\diamond", "◇": "\\Diamond", "◊": "\\lozenge", "⊲": "\\lhd", "⊳": "\\rhd", "⊓": "\\sqcap",
  "⊑": "\\sqsubseteq", "⊒": "\\sqsupseteq", "⊣": "\\dashv", "≀": "\\wr", "⊘": "\\oslash", "⊞": "\\boxplus",
  "⊠": "\\boxtimes", "∔": "\\dotplus", "≜": "\\triangleq", "≐": "\\doteq", "∠": "\\angle", "⊸": "\\multimap",
  "†": "\\dagger", "‡": "\\ddagger", "⋯": "\\cdots", "…": "\\ldots", "⋮": "\\vdots", "⋱": "\\ddots", "⋰": "\\iddots",
  // big operators (text fonts and Unicode math fonts)
  "∑": "\\sum", "∏": "\\prod", "∐": "\\coprod", "∫": "\\int", "∬": "\\iint", "∭": "\\iiint", "∮": "\\oint",
  "⋃": "\\bigcup", "⋂": "\\bigcap", "⨁": "\\bigoplus", "⨂": "\\bigotimes", "⋁": "\\bigvee", "⋀": "\\bigwedge",
  // other symbols
  "∞": "\\infty", "∂": "\\partial", "∇": "\\nabla", "∀": "\\forall", "∃": "\\exists", "∄": "\\nexists",
  "¬": "\\neg", "∅": "\\emptyset", "ℓ": "\\ell", "ℏ": "\\hbar", "ℜ": "\\Re", "ℑ": "\\Im", "℘": "\\wp",
  "ℵ": "\\aleph", "ı": "\\imath", "ȷ": "\\jmath", "⊤": "\\top", "□": "\\square", "◦": "\\circ", "♯": "\\sharp",
  "♭": "\\flat", "△": "\\triangle", "√": "\\sqrt", "′": "'", "″": "''", "‴": "'''",
  "⟨": "\\langle", "⟩": "\\rangle", "⌊": "\\lfloor", "⌋": "\\rfloor", "⌈": "\\lceil", "⌉": "\\rceil",
  "{": "\\{", "}": "\\}", "ℝ": "\\mathbb{R}", "ℂ": "\\mathbb{C}", "ℕ": "\\mathbb{N}", "ℤ": "\\mathbb{Z}",
  "ℚ": "\\mathbb{Q}", "ℙ": "\\mathbb{P}", "ℍ": "\\mathbb{H}", "ℰ": "\\mathcal{E}", "ℱ": "\\mathcal{F}",
  "ℋ": "\\mathcal{H}", "ℒ": "\\mathcal{L}", "ℳ": "\\mathcal{M}", "ℬ": "\\mathcal{B}", "ℛ": "\\mathcal{R}",
  "ℐ": "\\mathcal{I}", "#": "\\#", "%": "\\%", "&": "\\&", "ﬁ": "fi", "ﬀ": "ff", "ﬂ": "fl"
}
