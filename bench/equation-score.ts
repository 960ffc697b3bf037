/**
 * Scoring found display equations against the fixture papers' ground truth (`test/fixtures/papers`), for
 * `npm run eval:equations` and the fixture regression test.
 *
 * Matching rule: a detection and a truth entry can match when they are on the same page and the detection's box
 * overlaps the truth's y range (`y.bottom..y.top`) vertically; on two-column papers the box must also overlap the
 * truth's x range (`x.left..x.right`). Among those pairs, matching is one-to-one, greedy by the vertical overlap
 * (intersection over union of the two y ranges), best first. A detection that matches nothing is a false positive;
 * a truth entry that nothing matches is a miss. Recall = matched / truth entries, precision = matched / detections.
 *
 * Equation numbers: on matched pairs, the detection's `number` must equal the truth's (`null` for both counts).
 *
 * LaTeX similarity: on matched pairs, both the detection's `latex` and the truth's `math` are normalised, cut into
 * tokens (a command such as `\frac`, or one character), and compared by edit distance: similarity
 * = 1 - distance / max(length). Normalising removes what does not change the formula or cannot be seen in the PDF:
 * `\label{..}`, `\tag{..}`, `\nonumber`, `&`, `\\` (with an optional `[..]`), spacing (`\,` `\;` `\:` `\!` `\ `
 * `\quad` `\qquad` `~`), the braces of groups that are no argument (`{\Delta\Sigma}_L`), sizing (`\left` `\right` `\middle`, `\big` .. `\Bigg` with `l`/`r`/`m`), `\displaystyle`
 * `\textstyle` `\limits`, the upright-text switches (`\text`, `\textrm`, `\mathrm`, `\rm`: `\text{orb}` and `{\rm orb}`
 * look the same) and `\ensuremath`, `\bm` as `\boldsymbol`, `\lvert` `\rvert` `\vert` as `|` (`\lVert` .. as `\|`); it maps `\dfrac`/`\tfrac`/`\cfrac` to `\frac`, `\operatorname{op}` and `\max`, `\sin`, .. to their upright letters (as `\mathrm{max}` prints), `\left<` to `\langle`, `\leq` `\geq` `\neq`
 * `\rightarrow` to `\le` `\ge` `\ne` `\to`, `\ldots` `\cdots` `\dotsb` .. `\dotsi` to `\dots`, `\colon` to `:`, `\pmod{m}` to `(\operatorname{mod} m)`
 * (`\mod`, `\bmod` likewise; `\pod{m}` to `(m)`), `\varlimsup` to `\overline{\lim}` (`\varliminf` to `\underline{\lim}`, `\varinjlim` to `\underrightarrow{\lim}`, `\varprojlim` to
 * `\underleftarrow{\lim}`), `\iint` ..
 * `\iiiint` to as many `\int`, `\idotsint` to `\int \dots \int`, `\xrightarrow[b]{a}` to `\longrightarrow_{b}^{a}` (as the labels of
 * a long arrow stand); and it drops braces around a single
 * token (`x^{2}` is `x^2`), `^\prime` to `'`. Spacing commands with a length (`\hspace{..}`, `\kern`), `$`, the text
 * size and shape switches that print nothing of their own (`\tiny`, `\upshape`, `\mdseries`, ..), the class
 * commands (`\mathinner`, `\mathrel`, ..), `\relax` and `\protect`, and the wrappers that only align
 * (`aligned`, `split`, `gathered`, an `array`'s column spec) count nothing either; an environment's name is one token.
 * What prints the same is put one way: a superscript after its subscript (`x^a_b` is `x_b^a`), `\underset{a}{X}` as `X_a`
 * (`\overset`, `\stackrel` as `X^a`), and a math alphabet
 * over a base and its scripts alike, in one group for letters side by side (`\mathbf{F_h}` is `\mathbf{F}_{\mathbf{h}}`,
 * `\mathbf{c}\mathbf{o}` is `\mathbf{co}`).
 *
 * @since 0.1.0
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import type { Candidate } from "../src/layers/workflows/equations/Equation.ts"
import { expandMacros, type Macro, macrosOf } from "./latex-macros.ts"

/**
 * The fixture papers' folder.
 *
 * @since 0.1.0
 */
export const fixturesDirectory = Path.join(Path.dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures", "papers")

/**
 * One entry of a `<paper>.truth.json`.
 *
 * @since 0.1.0
 */
export interface TruthEquation {
  readonly id: string
  readonly page: number
  readonly number: string | null
  readonly latex: string
  readonly math: string
  readonly environment: string
  readonly y: { readonly top: number; readonly bottom: number; readonly baseline: number }
  readonly x: { readonly left: number; readonly right: number }
  readonly column: number
}

/**
 * @since 0.1.0
 */
export interface Truth {
  readonly paper: string
  readonly pdf: string
  /** the LaTeX source, relative to the truth's folder */
  readonly source?: string
  /** the source's own macros, by name (see `embed-macros.ts`) */
  readonly macros?: Readonly<Record<string, Macro>>
  readonly pages: number
  readonly columns: number
  readonly equations: ReadonlyArray<TruthEquation>
}

/**
 * The real documents' folder (`test/fixtures/corpus`): documents written by others, as Debian's TeX Live ships them,
 * with the same kind of truth.
 *
 * @since 0.1.0
 */
export const corpusDirectory = Path.join(Path.dirname(fileURLToPath(import.meta.url)), "..", "test", "fixtures", "corpus")

/**
 * Which papers a score is about. The project's own papers (`test/fixtures/papers`): the six the heuristics were tuned
 * on, and two held-out sets written later by others to see whether they generalise (`heldOut` in `index.json`: `true`
 * for the first set, `2` for the second; the heuristics were then improved on the failures of the first held-out set,
 * so only the second one is unseen). A corpus of real documents (`test/fixtures/corpus`, or another folder of the same
 * layout): `tuned` or `held out` (`heldOut: true`).
 *
 * @since 0.1.0
 */
export type FixtureSet = "tuned" | "held out" | "held out 1" | "held out 2"

/**
 * One paper of a folder's `index.json`: its truth, PDF bytes, set, and document class (the index's `class`, else the
 * `class-…` entry of its `covers`).
 *
 * @since 0.1.0
 */
export interface Fixture {
  readonly truth: Truth
  readonly bytes: Uint8Array
  readonly set: FixtureSet
  readonly documentClass: string
}

/**
 * The papers of a folder's `index.json` (by default the project's own papers), with their truth, PDF bytes and set.
 * A folder without an `index.json` has none.
 *
 * @since 0.1.0
 */
export const loadFixtures = (directory: string = fixturesDirectory): ReadonlyArray<Fixture> => {
  const indexPath = Path.join(directory, "index.json")
  if (!Fs.existsSync(indexPath)) return []
  const own = directory === fixturesDirectory
  const index = JSON.parse(Fs.readFileSync(indexPath, "utf8")) as ReadonlyArray<{
    readonly truth: string
    readonly pdf: string
    readonly heldOut?: boolean | number
    readonly class?: string
    readonly covers?: ReadonlyArray<string>
  }>
  return index.map((entry) => ({
    truth: withMacrosExpanded(JSON.parse(Fs.readFileSync(Path.join(directory, entry.truth), "utf8")) as Truth, directory),
    bytes: new Uint8Array(Fs.readFileSync(Path.join(directory, entry.pdf))),
    set: !own
      ? (entry.heldOut === true ? "held out" : "tuned")
      : entry.heldOut === 2
      ? "held out 2"
      : entry.heldOut === true || entry.heldOut === 1
      ? "held out 1"
      : "tuned",
    documentClass: entry.class ?? entry.covers?.find((c) => c.startsWith("class-"))?.slice("class-".length) ?? "?"
  }))
}

/**
 * The truth with the paper's own macros expanded in each equation's `math` (see `latex-macros.ts`): those the truth
 * carries (`macros`, written by `embed-macros.ts` for the corpus, whose sources are not the project's), else those of
 * its source when that is at hand beside the truth.
 */
const withMacrosExpanded = (truth: Truth, directory: string): Truth => {
  const source = truth.source === undefined ? undefined : Path.resolve(directory, truth.source)
  const macros = truth.macros !== undefined
    ? new Map(Object.entries(truth.macros))
    : source !== undefined && Fs.existsSync(source)
    ? macrosOf(Fs.readFileSync(source, "utf8"))
    : undefined
  if (macros === undefined) return truth
  return { ...truth, equations: truth.equations.map((e) => ({ ...e, math: expandMacros(e.math, macros) })) }
}

/**
 * Commands of packages, read as what they print (the truth keeps a package's command, the PDF shows only what it
 * printed; a paper's own definitions are expanded before, so they win): the `physics` package's commonest (`\vu*`,
 * bold italic, is read as `\vustar`; `\qty` is the auto-sized bracket that follows it), amsmath's `\pmod`,
 * `\pod`, `\mod`, and text mode's `\texttt` and `\textbackslash`.
 */
const printedMacros: ReadonlyMap<string, Macro> = new Map([
  ["\\abs", { arguments: 1, optional: undefined, body: "\\left| #1 \\right|" }],
  ["\\norm", { arguments: 1, optional: undefined, body: "\\left\\| #1 \\right\\|" }],
  ["\\pdv", { arguments: 2, optional: undefined, body: "\\frac{\\partial #1}{\\partial #2}" }],
  ["\\dv", { arguments: 2, optional: undefined, body: "\\frac{d #1}{d #2}" }],
  ["\\vb", { arguments: 1, optional: undefined, body: "\\mathbf{#1}" }],
  ["\\vu", { arguments: 1, optional: undefined, body: "\\hat{\\mathbf{#1}}" }],
  ["\\vustar", { arguments: 1, optional: undefined, body: "\\hat{\\boldsymbol{#1}}" }],
  ["\\qty", { arguments: 0, optional: undefined, body: "" }],
  ["\\pmod", { arguments: 1, optional: undefined, body: "(\\operatorname{mod} #1)" }],
  ["\\pod", { arguments: 1, optional: undefined, body: "(#1)" }],
  ["\\mod", { arguments: 1, optional: undefined, body: "\\operatorname{mod} #1" }],
  ["\\texttt", { arguments: 1, optional: undefined, body: "\\mathtt{#1}" }],
  ["\\textbackslash", { arguments: 0, optional: undefined, body: "\\backslash " }],
  // AMS documents' `\chardef\bslash`
  ["\\bslash", { arguments: 0, optional: undefined, body: "\\backslash " }]
])

/**
 * @since 0.1.0
 */
export interface Score {
  readonly truths: number
  readonly detections: number
  readonly matches: ReadonlyArray<{ readonly truth: TruthEquation; readonly candidate: Candidate; readonly similarity: number }>
  readonly misses: ReadonlyArray<TruthEquation>
  readonly falsePositives: ReadonlyArray<Candidate>
}

/**
 * Matches detections to the truth (see the module doc).
 *
 * @since 0.1.0
 */
export const score = (truth: Truth, candidates: ReadonlyArray<Candidate>): Score => {
  const pairs: Array<{ t: number; c: number; overlap: number }> = []
  truth.equations.forEach((equation, t) => {
    candidates.forEach((candidate, c) => {
      if (candidate.page !== equation.page) return
      const low = Math.max(candidate.bbox.bottom, equation.y.bottom)
      const high = Math.min(candidate.bbox.top, equation.y.top)
      if (high <= low) return
      if (truth.columns > 1 && (candidate.bbox.right <= equation.x.left || candidate.bbox.left >= equation.x.right)) return
      const union = Math.max(candidate.bbox.top, equation.y.top) - Math.min(candidate.bbox.bottom, equation.y.bottom)
      pairs.push({ t, c, overlap: (high - low) / union })
    })
  })
  pairs.sort((a, b) => b.overlap - a.overlap)
  const usedTruth = new Set<number>()
  const usedCandidate = new Set<number>()
  const matches: Array<Score["matches"][number]> = []
  for (const pair of pairs) {
    if (usedTruth.has(pair.t) || usedCandidate.has(pair.c)) continue
    usedTruth.add(pair.t)
    usedCandidate.add(pair.c)
    const equation = truth.equations[pair.t]!
    const candidate = candidates[pair.c]!
    matches.push({ truth: equation, candidate, similarity: latexSimilarity(candidate.latex, equation.math) })
  }
  return {
    truths: truth.equations.length,
    detections: candidates.length,
    matches,
    misses: truth.equations.filter((_, t) => !usedTruth.has(t)),
    falsePositives: candidates.filter((_, c) => !usedCandidate.has(c))
  }
}

/**
 * Token-level edit-distance similarity of two LaTeX formulas after normalising both (see the module doc), in 0..1.
 *
 * @since 0.1.0
 */
export const latexSimilarity = (a: string, b: string): number => {
  const x = latexTokens(a)
  const y = latexTokens(b)
  const longest = Math.max(x.length, y.length)
  return longest === 0 ? 1 : 1 - editDistance(x, y) / longest
}

/**
 * A formula's tokens after normalising.
 *
 * @since 0.1.0
 */
export const latexTokens = (latex: string): ReadonlyArray<string> => {
  const text = expandMacros(latex.replace(/\\vu\*/g, "\\vustar"), printedMacros)
    .replace(/\\(left|right|[Bb]igg?[lr]?)\s*</g, "\\langle ")
    .replace(/\\(left|right|[Bb]igg?[lr]?)\s*>/g, "\\rangle ")
    .replace(/\\(label|tag\*?)\{[^{}]*\}/g, " ")
    .replace(/\\(nonumber|notag|displaystyle|textstyle|limits|nolimits|left|right|middle)(?![A-Za-z])/g, " ")
    .replace(/\\[Bb]igg?[lrm]?(?![A-Za-z])/g, " ")
    .replace(/\\\\(\[[^\]]*\])?/g, " ")
    .replace(/\\(quad|qquad|enspace|thinspace|medspace|thickspace|negthinspace|negmedspace|negthickspace)(?![A-Za-z])/g, " ")
    .replace(/\\(hspace|vspace|mspace|leftroot|uproot)\*?\{[^{}]*\}/g, " ")
    .replace(/\\hdotsfor(\[[^\]]*\])?\{[^{}]*\}/g, "\\dots ")
    // amsmath's capital accents, for accents over accents, print as the others do
    .replace(/\\(Hat|Check|Tilde|Acute|Grave|Dot|Ddot|Breve|Bar|Vec)(?![A-Za-z])/g, (_, accent: string) => `\\${accent.toLowerCase()}`)
    .replace(/\\(hskip|kern|mkern|mskip)\s*-?[\d.]+\s*[a-z]{2}/g, " ")
    .replace(/\$/g, " ")
    .replace(/\\(tiny|scriptsize|footnotesize|small|normalsize|large|Large|LARGE|huge|Huge|upshape|mdseries|normalfont|rmfamily)(?![A-Za-z])/g, " ")
    .replace(/\\(mathinner|mathord|mathopen|mathclose|mathpunct|mathrel|mathbin|relax|protect|nolimits)(?![A-Za-z])/g, " ")
    .replace(/\\mathop\{\}/g, " ")
    .replace(/\^\{((?:\\prime\s*)+)\}/g, (_, primes: string) => "'".repeat(primes.split("\\prime").length - 1))
    .replace(/\^\\prime(?![A-Za-z])|\\prime(?![A-Za-z])/g, "'")
    .replace(/\\(begin|end)\{(aligned|split|gathered|alignedat|multlined)\}(\{\d+\})?/g, " ")
    // a `subarray` prints as a `\substack` (aligned left or centred)
    .replace(/\\begin\{subarray\}\{[lc]\}([^]*?)\\end\{subarray\}/g, (_, rows: string) => `\\substack{${rows}}`)
    .replace(/\\begin\{array\}(\[[a-z]\])?\{[^{}]*(\{[^{}]*\}[^{}]*)*\}/g, "\\begin{array}")
    .replace(/\\[,;:! ]/g, " ")
    .replace(/[&~]/g, " ")
    .replace(/\\[dtc]frac(?![A-Za-z])/g, "\\frac")

    .replace(/\\x(right|left)arrow(?:\[([^\]]*)\])?\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}/g, (_, side: string, below = "", above: string) =>
      `\\long${side}arrow${below.trim() === "" ? "" : `_{${below}}`}${above.trim() === "" ? "" : `^{${above}}`}`)
    .replace(/\\bmod(?![A-Za-z])/g, "\\operatorname{mod}")
    .replace(/\\varlimsup(?![A-Za-z])/g, "\\overline{\\lim}")
    .replace(/\\varliminf(?![A-Za-z])/g, "\\underline{\\lim}")
    .replace(/\\varinjlim(?![A-Za-z])/g, "\\underrightarrow{\\lim}")
    .replace(/\\varprojlim(?![A-Za-z])/g, "\\underleftarrow{\\lim}")
    .replace(/\\operatorname\*?\{([A-Za-z ]+)\}/g, (_, name: string) => `{${name.replace(/ /g, "")}}`)
    .replace(/\\(i{2,4})nt(?![A-Za-z])/g, (_, i: string) => "\\int ".repeat(i.length))
    .replace(/\\idotsint(?![A-Za-z])/g, "\\int \\dots \\int ")
    .replace(operatorNames, "{$1}")
    .replace(/\\(text|textrm|mathrm|rm|mathnormal|ensuremath|hbox|mbox)(?![A-Za-z])/g, " ")
    .replace(/\\bm(?![A-Za-z])/g, "\\boldsymbol")
    // bold digits print upright either way
    .replace(/\\boldsymbol\{(\d+)\}/g, "\\mathbf{$1}")
    .replace(/\\(lvert|rvert|vert)(?![A-Za-z])/g, "|")
    .replace(/\\(lVert|rVert|Vert)(?![A-Za-z])/g, "\\|")
    .replace(/\\leq(?![A-Za-z])/g, "\\le")
    .replace(/\\geq(?![A-Za-z])/g, "\\ge")
    .replace(/\\neq(?![A-Za-z])/g, "\\ne")
    .replace(/\\rightarrow(?![A-Za-z])/g, "\\to")
    .replace(/\\(ldots|cdots|dotsb|dotsc|dotsm|dotsi|dotso)(?![A-Za-z])/g, "\\dots")
    .replace(/\\colon(?![A-Za-z])/g, ":")
  let tokens = fontsMerged(
    withoutBareGroups(stackedAsScripts(genfracsAsPrinted(bracedArguments(switchesAsAlphabets(tokenize(text))))))
  )
  // braces around one token: x^{2} is x^2
  for (let changed = true; changed;) {
    changed = false
    const next: Array<string> = []
    for (let i = 0; i < tokens.length; i++) {
      if (tokens[i] === "{" && tokens[i + 2] === "}" && tokens[i + 1] !== "{" && tokens[i + 1] !== "}") {
        next.push(tokens[i + 1]!)
        i += 2
        changed = true
      } else next.push(tokens[i]!)
    }
    tokens = next
  }
  return subscriptsFirst(tokens)
}

// internal

/**
 * tokens without the braces of groups that are no argument (after neither a command that takes one, `^`, `_`, nor a
 * former argument of a command that takes more): `{\Delta\Sigma}_L` prints as `\Delta\Sigma_L`, and a macro's body
 * may bring such braces
 */
const withoutBareGroups = (tokens: ReadonlyArray<string>): Array<string> => {
  const drop = new Set<number>()
  // each open group: whether it is bare, and which argument of which command it is
  const open: Array<{ readonly at: number; readonly bare: boolean; readonly command?: string; readonly index: number }> = []
  // after a group, a group is an argument only when that one was a command's and the command takes more
  // (`\frac{a}{b}`, `\genfrac{(}{)}{0pt}{}{n}{k}`; not `{\sin}{\psi}`)
  let closed: { readonly at: number; readonly command?: string; readonly index: number } = { at: -1, index: 0 }
  tokens.forEach((token, i) => {
    if (token === "{") {
      const before = tokens[i - 1]
      const count = argumentCounts.get(before ?? "")
      const next = before === "}" && closed.at === i - 1 && closed.command !== undefined &&
        closed.index < (argumentCounts.get(closed.command) ?? 1)
      const argument = before !== undefined && (takesArgument.test(before) || ["^", "_", "]"].includes(before) || next)
      open.push(
        count !== undefined ? { at: i, bare: false, command: before!, index: 1 }
        : next ? { at: i, bare: false, command: closed.command!, index: closed.index + 1 }
        : { at: i, bare: !argument, index: 0 }
      )
    } else if (token === "}") {
      const group = open.pop()
      if (group?.bare === true) drop.add(group.at).add(i)
      closed = { at: i, index: group?.index ?? 0, ...(group?.command === undefined ? {} : { command: group.command }) }
    }
  })
  return tokens.filter((_, i) => !drop.has(i))
}

/** the commands that take several arguments in braces, and how many */
const argumentCounts: ReadonlyMap<string, number> = new Map([
  ["\\frac", 2], ["\\binom", 2], ["\\dbinom", 2], ["\\tbinom", 2], ["\\overset", 2], ["\\underset", 2],
  ["\\stackrel", 2], ["\\textcolor", 2], ["\\genfrac", 6]
])

/** operator names print as their upright letters, as `\\mathrm{max}` does */
const operatorNames =
  /\\(arccos|arcsin|arctan|arg|argmax|argmin|cos|cosh|cot|coth|csc|deg|det|dim|exp|gcd|hom|inf|ker|lg|lim|liminf|limsup|ln|log|max|min|Pr|sec|sin|sinh|sup|tan|tanh|tr|Tr|diag|rank|sgn|sign|erf|Var|Cov|var|cov)(?![A-Za-z])/g

/** the commands that take an argument in braces (after any other, such as `\\in` or `\\alpha`, a group is bare) */
const takesArgument =
  /^\\(?:[dt]?frac|sqrt|text\w*|math\w+|boldsymbol|bm|pmb|hat|bar|tilde|vec|dot|ddot|dddot|widetilde|widehat|overline|underline|overbrace|underbrace|overrightarrow|overleftarrow|underrightarrow|[dt]?binom|genfrac|operatorname|[mhf]box|boxed|underset|overset|stackrel|substack|check|breve|acute|grave|phantom|hphantom|vphantom|color|textcolor|emph|cancel|xrightarrow|xleftarrow|not|qty|abs|norm)$/

/** `\\frac1{2}` as `\\frac{1}{2}`: both arguments of two-argument commands braced, so that braces tell arguments */
const bracedArguments = (tokens: ReadonlyArray<string>): Array<string> => {
  let i = 0
  // one token or one group, with what is inside it done the same way
  const item = (): Array<string> => {
    const token = tokens[i++]!
    if (token === "{") {
      const inner = sequence()
      if (tokens[i] === "}") i++
      return ["{", ...inner, "}"]
    }
    return twoArguments.has(token) ? [token, ...argument(), ...argument()] : [token]
  }
  const argument = (): Array<string> => {
    if (i >= tokens.length || tokens[i] === "}") return []
    const read = item()
    return read[0] === "{" ? read : ["{", ...read, "}"]
  }
  const sequence = (): Array<string> => {
    const out: Array<string> = []
    while (i < tokens.length && tokens[i] !== "}") out.push(...item())
    return out
  }
  const out: Array<string> = []
  while (i < tokens.length) {
    out.push(...sequence())
    // a closing brace without its opening one stays
    if (i < tokens.length) out.push(tokens[i++]!)
  }
  return out
}

/** font switches and the math alphabets that print letters and digits as they do */
const switches: ReadonlyMap<string, string> = new Map([
  ["\\tt", "\\mathtt"], ["\\ttfamily", "\\mathtt"], ["\\bf", "\\mathbf"], ["\\bfseries", "\\mathbf"],
  ["\\it", "\\mathit"], ["\\itshape", "\\mathit"], ["\\sf", "\\mathsf"], ["\\sffamily", "\\mathsf"]
])

/** a font switch as its math alphabet over the rest of its group: `{\bf x}` is `{\mathbf{x}}` */
const switchesAsAlphabets = (tokens: ReadonlyArray<string>): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; i < tokens.length; i++) {
    const alphabet = switches.get(tokens[i]!)
    if (alphabet === undefined) {
      out.push(tokens[i]!)
      continue
    }
    let end = i + 1
    for (let depth = 0; end < tokens.length && !(tokens[end] === "}" && depth === 0); end++) {
      if (tokens[end] === "{") depth++
      else if (tokens[end] === "}") depth--
    }
    out.push(alphabet, "{", ...switchesAsAlphabets(tokens.slice(i + 1, end)), "}")
    i = end - 1
  }
  return out
}

/**
 * `\genfrac{l}{r}{thickness}{style}{a}{b}` as what prints the same: `\frac{a}{b}`, `{a \atop b}` when the bar is 0pt,
 * `\binom{a}{b}` when that is in parentheses, other delimiters around either
 */
const genfracsAsPrinted = (tokens: ReadonlyArray<string>): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] !== "\\genfrac" || tokens[i + 1] !== "{") {
      out.push(tokens[i]!)
      continue
    }
    const parts: Array<Array<string>> = []
    let at = i + 1
    while (parts.length < 6 && tokens[at] === "{") {
      const end = groupEnd(tokens, at)
      parts.push(genfracsAsPrinted(tokens.slice(at + 1, end - 1)))
      at = end
    }
    // the last argument may come unbraced, one token (`\genfrac{}{}{}{}{a}b`)
    if (parts.length === 5 && at < tokens.length && tokens[at] !== "}") parts.push([tokens[at++]!])
    if (parts.length < 6) {
      out.push(tokens[i]!)
      continue
    }
    const [left, right, thickness, , top, bottom] = parts as [Array<string>, Array<string>, Array<string>, Array<string>, Array<string>, Array<string>]
    const rule = !/^0(\.0*)?([a-z]{2})?$/.test(thickness.join(""))
    if (!rule && left.join("") === "(" && right.join("") === ")") out.push("\\binom", "{", ...top, "}", "{", ...bottom, "}")
    else {
      out.push(...left)
      if (rule) out.push("\\frac", "{", ...top, "}", "{", ...bottom, "}")
      else out.push("{", ...top, "\\atop", ...bottom, "}")
      out.push(...right)
    }
    i = at - 1
  }
  return out
}

/** `\underset{a}{X}` as `{X}_{a}`, `\overset{a}{X}` and `\stackrel{a}{X}` as `{X}^{a}`: in a display they print alike */
const stackedAsScripts = (tokens: ReadonlyArray<string>): Array<string> => {
  const out: Array<string> = []
  for (let i = 0; i < tokens.length; i++) {
    const command = tokens[i]!
    if (!["\\underset", "\\overset", "\\stackrel"].includes(command) || tokens[i + 1] !== "{") {
      out.push(command)
      continue
    }
    const script = groupEnd(tokens, i + 1)
    const base = groupEnd(tokens, script)
    out.push(...stackedAsScripts(tokens.slice(script, base)), command === "\\underset" ? "_" : "^", ...stackedAsScripts(tokens.slice(i + 1, script)))
    i = base - 1
  }
  return out
}

/**
 * a math alphabet's group as it prints: over a base and its scripts alike (`\mathbf{F_h}` is `\mathbf{F}_{\mathbf{h}}`),
 * and one group for letters side by side (`\mathbf{c}\mathbf{o}` is `\mathbf{co}`)
 */
const fontsMerged = (tokens: ReadonlyArray<string>): Array<string> => {
  // scripts inside a font group come out of it, each in a group of the same font
  const distributed: Array<string> = []
  for (let i = 0; i < tokens.length; i++) {
    const font = tokens[i]!
    if (!mathAlphabets.has(font) || tokens[i + 1] !== "{") {
      distributed.push(font)
      continue
    }
    const end = groupEnd(tokens, i + 1)
    const inner = tokens.slice(i + 2, end - 1)
    const parts: Array<{ script: string | undefined; tokens: Array<string> }> = [{ script: undefined, tokens: [] }]
    for (let k = 0; k < inner.length; k++) {
      const token = inner[k]!
      if (token === "{") {
        const close = groupEnd(inner, k)
        parts.at(-1)!.tokens.push(...inner.slice(k, close))
        k = close - 1
      } else if (token === "_" || token === "^") parts.push({ script: token, tokens: [] })
      else parts.at(-1)!.tokens.push(token)
    }
    for (const part of parts) {
      // a script that is one group (`_{com}`) is that group's tokens
      const whole = part.tokens[0] === "{" && groupEnd(part.tokens, 0) === part.tokens.length
      const body = whole ? part.tokens.slice(1, -1) : part.tokens
      if (part.script !== undefined) distributed.push(part.script, "{")
      if (body.length > 0) distributed.push(font, "{", ...body, "}")
      if (part.script !== undefined) distributed.push("}")
    }
    i = end - 1
  }
  // neighbouring groups of one font are one group
  const merged: Array<string> = []
  for (let i = 0; i < distributed.length; i++) {
    const font = distributed[i]!
    const last = merged.lastIndexOf("}")
    if (mathAlphabets.has(font) && distributed[i + 1] === "{" && last === merged.length - 1 && last > 0) {
      // the group just before: `\font { .. }` at its start?
      let depth = 0
      let open = -1
      for (let k = last; k >= 0; k--) {
        if (merged[k] === "}") depth++
        else if (merged[k] === "{" && --depth === 0) {
          open = k
          break
        }
      }
      if (open > 0 && merged[open - 1] === font) {
        const end = groupEnd(distributed, i + 1)
        merged.splice(last, 1, ...distributed.slice(i + 2, end - 1), "}")
        i = end - 1
        continue
      }
    }
    merged.push(font)
  }
  return merged
}

const mathAlphabets = new Set([
  "\\mathbf", "\\boldsymbol", "\\mathcal", "\\mathbb", "\\mathsf", "\\mathit", "\\mathtt", "\\mathfrak", "\\mathscr"
])

/** `x^a_b` as `x_b^a`: the order of a sub- and a superscript does not show */
const subscriptsFirst = (tokens: ReadonlyArray<string>): ReadonlyArray<string> => {
  // where the script argument starting at `at` ends (exclusive): a group, or a token with its arguments
  const end = (at: number): number =>
    tokens[at] === "{" ? groupEnd(tokens, at) : twoArguments.has(tokens[at] ?? "") ? end(end(at + 1)) : at + 1
  const out: Array<string> = []
  for (let i = 0; i < tokens.length;) {
    if (tokens[i] === "^" && i + 1 < tokens.length) {
      const superEnd = end(i + 1)
      if (tokens[superEnd] === "_" && superEnd + 1 < tokens.length) {
        const subEnd = end(superEnd + 1)
        out.push(...tokens.slice(superEnd, subEnd), ...tokens.slice(i, superEnd))
        i = subEnd
        continue
      }
    }
    out.push(tokens[i++]!)
  }
  return out
}

/** the end (exclusive) of the group that opens at `at`; the end of the tokens when it is never closed */
const groupEnd = (tokens: ReadonlyArray<string>, at: number): number => {
  for (let depth = 0, i = at; i < tokens.length; i++) {
    if (tokens[i] === "{") depth++
    else if (tokens[i] === "}" && --depth === 0) return i + 1
  }
  return tokens.length
}

const twoArguments = new Set(["\\frac", "\\binom", "\\dbinom", "\\tbinom", "\\overset", "\\underset", "\\stackrel"])

const tokenize = (text: string): Array<string> => text.match(/\\(?:begin|end)\{[^{}]*\}|\\[A-Za-z]+|\\.|\S/gu) ?? []

const editDistance = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}
