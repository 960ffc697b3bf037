/**
 * Refining the heuristic LaTeX of a page's display equations with a language model (the `Llm` service).
 *
 * One page is one request: every candidate of the page goes into one chat with its id, printed number, glyph runs (a
 * compact listing of text, font, size and position), the heuristic LaTeX and the prose around it, and the model must
 * answer `{"equations":[{"id","latex"}]}` (a JSON Schema in `format`, temperature 0, a fixed seed, so a rerun asks the
 * same question the same way). The answer is validated per equation: the model's LaTeX is used where it passes, the
 * heuristic LaTeX is kept (with the reason in `fallback`) where it does not. Refining never fails: an unreachable
 * model, a timeout, a rejected request or garbage all mean heuristic LaTeX for the page.
 *
 * **Details**
 *
 * - Validation: the answer must be JSON of the shape above; entries for ids that were not asked for are ignored; an
 *   equation's LaTeX must be a non-empty string of bounded length with balanced braces, `\begin`/`\end` and
 *   `\left`/`\right`, no math delimiters (`$`, `\[`, `\(`) or display environments inside, and no run of prose words
 *   outside `\text{...}`.
 * - Normalising before validation: one pair of outer delimiters (`$$...$$`, `\[...\]`, `\(...\)`, `$...$`, an
 *   `equation`/`equation*`/`displaymath` environment) is dropped, since it only says "this is math". A control
 *   character followed by letters is a LaTeX backslash the model forgot to escape in its JSON (`"\frac"` decodes to
 *   form feed + `rac`), and is turned back into the backslash and letter it stood for.
 * - Images: when the model reads images (`llm.acceptsImages`) and the caller passes `renderCrop`, each equation's crop
 *   goes along as an image, in addition to its glyphs (the glyphs name the exact symbols, the image shows the layout:
 *   fractions, scripts, matrices). Rendering is the caller's: this module only asks for PNG bytes; a crop that fails
 *   to render, or is `undefined`, is left out.
 *
 * **Gotchas**
 *
 * - The time limit covers the whole page (rendering crops and the model call): a page with many equations needs a
 *   limit that fits them all.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Base64 from "effect/encoding/Base64"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as SchemaTransformation from "effect/SchemaTransformation"
import type { Llm, LlmError, Message } from "../llm/Llm.ts"
import type { TextItem } from "../pdf/Pdf.ts"
import type { Candidate, Equation } from "./Equation.ts"

/**
 * Renders the crop of a candidate's bounding box as PNG bytes; `undefined` when there is none to give.
 *
 * @category models
 * @since 0.1.0
 */
export type CropRenderer = (candidate: Candidate) => Effect.Effect<Uint8Array | undefined, unknown>

/**
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** how long refining one page (crops and model call) may take; default 60 seconds */
  readonly timeout?: Duration.Input | undefined
  /** the sampling seed; default `defaultSeed` */
  readonly seed?: number | undefined
  /** the longest LaTeX accepted for one equation; default 4000 characters */
  readonly maxLatexLength?: number | undefined
  /** renders an equation's crop, for models that read images */
  readonly renderCrop?: CropRenderer | undefined
}

/**
 * The seed every refining call uses unless told otherwise, so that reruns ask the same question the same way.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultSeed = 42

/**
 * The equations with their heuristic LaTeX, as when no model is configured.
 *
 * @category constructors
 * @since 0.1.0
 */
export const heuristicOnly = (candidates: ReadonlyArray<Candidate>): ReadonlyArray<Equation> =>
  candidates.map((candidate) => heuristic(candidate))

/**
 * The equations of one page, with the model's LaTeX where it is valid and the heuristic LaTeX (and the reason, in
 * `fallback`) elsewhere. Never fails.
 *
 * @category refining
 * @since 0.1.0
 */
export const refinePage = Effect.fn("Refine.refinePage")(function*(
  llm: Llm["Service"],
  candidates: ReadonlyArray<Candidate>,
  options: Options = {}
): Effect.fn.Return<ReadonlyArray<Equation>> {
  if (candidates.length === 0) return []
  const timeout = Duration.fromInputUnsafe(options.timeout ?? "60 seconds")
  const answer = yield* ask(llm, candidates, options).pipe(
    Effect.map((content): Result.Result<string, string> => Result.succeed(content)),
    Effect.timeout(timeout),
    Effect.catch((error) => Effect.succeed(Result.fail(callFailure(error, timeout)))),
    // a defect (a crop renderer that throws, a bug) must not cost the workflow its equations: they have LaTeX already
    Effect.catchCause((cause) =>
      Cause.hasInterruptsOnly(cause)
        ? Effect.interrupt
        : Effect.succeed(Result.fail(`refining failed unexpectedly: ${firstLine(Cause.pretty(cause))}`))
    )
  )
  const equations = Result.match(answer, {
    onFailure: (reason) => candidates.map((candidate) => heuristic(candidate, reason)),
    onSuccess: (content) => judge(candidates, content, llm.model, options.maxLatexLength ?? 4000)
  })
  const fellBack = equations.filter((e) => e.fallback !== undefined)
  if (fellBack.length > 0) {
    yield* Effect.logWarning(
      `page ${candidates[0]!.page}: ${fellBack.length} of ${equations.length} equations keep their heuristic LaTeX ` +
        `(${fellBack[0]!.fallback})`
    )
  }
  return equations
})

/**
 * The JSON Schema the model's answer must follow, its ids limited to the ones asked for.
 *
 * @category refining
 * @since 0.1.0
 */
export const answerFormat = (ids: ReadonlyArray<string>): Readonly<Record<string, unknown>> => ({
  type: "object",
  properties: {
    equations: {
      type: "array",
      items: {
        type: "object",
        properties: { id: { type: "string", enum: ids }, latex: { type: "string" } },
        required: ["id", "latex"]
      }
    }
  },
  required: ["equations"]
})

/**
 * The chat that asks for a page's LaTeX: instructions, then one block per candidate; `images` (base64 PNG, by
 * candidate id) go with the page's message, and each block names its image's position.
 *
 * @category refining
 * @since 0.1.0
 */
export const messages = (
  candidates: ReadonlyArray<Candidate>,
  images: ReadonlyMap<string, string> = new Map()
): ReadonlyArray<Message> => {
  const withImages = candidates.filter((c) => images.has(c.id))
  const blocks = candidates.map((candidate) => block(candidate, withImages.findIndex((c) => c.id === candidate.id)))
  const count = `${candidates.length} display equation${candidates.length === 1 ? "" : "s"}`
  const user = `Page ${candidates[0]?.page}, ${count}.\n\n${blocks.join("\n\n")}`
  if (withImages.length === 0) return [{ role: "system", content: instructions }, { role: "user", content: user }]
  return [
    { role: "system", content: `${instructions}\n${imageInstructions}` },
    { role: "user", content: user, images: withImages.map((c) => images.get(c.id)!) }
  ]
}

/**
 * Why `latex` is not acceptable as an equation's LaTeX, or `undefined` when it is. Refining checks the model's LaTeX
 * after `normalizeLatex`.
 *
 * @category validation
 * @since 0.1.0
 */
export const latexProblem = (latex: string, maxLength = 4000): string | undefined => {
  if (latex.length === 0) return "empty LaTeX"
  if (latex.length > maxLength) return `LaTeX longer than ${maxLength} characters`
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(latex)) return "control characters in the LaTeX"
  const tokens = tokenize(latex)
  let depth = 0
  let lefts = 0
  const environments: Array<string> = []
  for (const [i, token] of tokens.entries()) {
    if (token === "{") depth += 1
    else if (token === "}" && --depth < 0) return "unbalanced braces"
    else if (token === "$" || token === "\\[" || token === "\\]" || token === "\\(" || token === "\\)") {
      return `math delimiter ${token} inside the LaTeX (text outside math)`
    } else if (token === "\\left") lefts += 1
    else if (token === "\\right" && --lefts < 0) return "unbalanced \\left/\\right"
    else if (token === "\\begin" || token === "\\end") {
      const name = environmentName(tokens, i + 1)
      if (name === undefined) return `${token} without an environment name`
      if (token === "\\begin") {
        if (displayEnvironments.has(name.replace(/\*$/, ""))) return `display environment ${name} inside the LaTeX`
        environments.push(name)
      } else if (environments.pop() !== name) return `unbalanced \\begin/\\end (${name})`
    }
  }
  if (depth !== 0) return "unbalanced braces"
  if (lefts !== 0) return "unbalanced \\left/\\right"
  if (environments.length > 0) return `unbalanced \\begin/\\end (${environments.at(-1)})`
  if (/`/.test(latex)) return "backticks in the LaTeX (text outside math)"
  if (hasProse(outsideText(tokens))) return "prose in the LaTeX (text outside math)"
  return undefined
}

/**
 * The text `latexProblem` checks: trimmed, unescaped backslashes restored, one pair of outer math delimiters dropped.
 *
 * @category validation
 * @since 0.1.0
 */
export const normalizeLatex = (latex: string): string => {
  let text = latex.replace(/[\b\f\t\r\n\v](?=[a-zA-Z])/g, (c, offset: number) =>
    // a newline after `\\` is a row break followed by a row, not `\n...` gone wrong
    c === "\n" && latex.slice(Math.max(0, offset - 2), offset) === "\\\\" ? c : `\\${controlLetters[c]}`).trim()
  for (const [open, close] of wrappers) {
    if (text.startsWith(open) && text.endsWith(close) && text.length >= open.length + close.length) {
      text = text.slice(open.length, text.length - close.length).trim()
      break
    }
  }
  return text
}

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const instructions = `You transcribe display equations of a PDF page into LaTeX.
For each equation you get its id, its printed number, the glyph runs the PDF draws it with, a LaTeX guess built from
those glyphs by rules, and the prose just before and after it. A glyph run is: "text" font size dx dy, where dx is the
distance from the equation's left edge and dy from its main baseline, in points; dy > 0 is raised (superscripts,
numerators), dy < 0 is lowered (subscripts, denominators). Fonts tell symbols apart: CMMI/LMMathItalic is math italic,
CMSY/LMMathSymbols holds symbols, CMEX/LMMathExtension big operators and delimiters (their letters stand for symbols,
not text), CMR/LMRoman upright text and digits, MSBM blackboard bold, EUFM fraktur.
Answer with JSON only: {"equations":[{"id":"...","latex":"..."}]}, one entry for every id you were given.
"latex" is the equation's math alone: no $ or \\[ \\] delimiters, no equation or align environment, no \\label, no
\\tag, no equation number, no words of explanation. Keep what the guess has right and fix what the glyphs show it got
wrong. Escape every backslash in the JSON string (\\\\frac, not \\frac).`

const imageInstructions = `Some equations come with an image of how they are printed ("image: n" is the n-th image of
the message); trust the image for layout (fractions, scripts, matrices) and the glyphs for the exact symbols.`

/** environments that make a display of their own; a display equation's LaTeX is already inside one */
const displayEnvironments = new Set([
  "equation",
  "align",
  "alignat",
  "gather",
  "multline",
  "flalign",
  "eqnarray",
  "displaymath",
  "math",
  "document"
])

/** outer delimiters that only say "this is math"; the first that wraps the whole text is dropped */
const wrappers: ReadonlyArray<readonly [string, string]> = [
  ["$$", "$$"],
  ["\\[", "\\]"],
  ["\\(", "\\)"],
  ["\\begin{equation*}", "\\end{equation*}"],
  ["\\begin{equation}", "\\end{equation}"],
  ["\\begin{displaymath}", "\\end{displaymath}"],
  ["$", "$"]
]

/** the letter each JSON escape stands for, when the model meant a LaTeX command (`\frac` read as `\f` + `rac`) */
const controlLetters: Readonly<Record<string, string>> = { "\b": "b", "\f": "f", "\t": "t", "\r": "r", "\n": "n", "\v": "v" }

/**
 * Whether the text has three or more words in a row with two of them three letters or longer: a sentence ("Here is
 * the"), not math (`dx dy dz`, single-letter variables).
 */
const hasProse = (text: string): boolean =>
  (text.match(/[A-Za-z]{2,}(?:\s+[A-Za-z]{2,}){2,}/g) ?? []).some((run) =>
    run.split(/\s+/).filter((word) => word.length >= 3).length >= 2
  )

/** commands whose argument is text, not math */
const textCommands = new Set([
  "\\text",
  "\\textrm",
  "\\textit",
  "\\textbf",
  "\\textsf",
  "\\texttt",
  "\\mbox",
  "\\mathrm",
  "\\mathit",
  "\\mathbf",
  "\\mathsf",
  "\\mathtt",
  "\\operatorname",
  "\\label",
  "\\tag",
  "\\intertext"
])

/** `\name` (letters), `\x` (one other character), or one character; a lone trailing backslash is its own token */
const tokenize = (latex: string): ReadonlyArray<string> => latex.match(/\\[a-zA-Z]+|\\[\s\S]|\\$|[\s\S]/g) ?? []

/** the name in `{...}` starting at token `at` (after `\begin`/`\end`), or `undefined` */
const environmentName = (tokens: ReadonlyArray<string>, at: number): string | undefined => {
  if (tokens[at] !== "{") return undefined
  const end = tokens.indexOf("}", at)
  return end === -1 ? undefined : tokens.slice(at + 1, end).join("")
}

/** the letters outside commands and outside the arguments of text commands, words kept apart by spaces */
const outsideText = (tokens: ReadonlyArray<string>): string => {
  let out = ""
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!
    if (textCommands.has(token) && tokens[i + 1] === "{") {
      i = closingBrace(tokens, i + 1)
      out += " "
    } else out += token.startsWith("\\") ? " " : token
  }
  return out
}

const closingBrace = (tokens: ReadonlyArray<string>, open: number): number => {
  let depth = 0
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i] === "{") depth += 1
    else if (tokens[i] === "}" && --depth === 0) return i
  }
  return tokens.length
}

/** the model's answer, then one verdict per candidate */
const AnswerShape = Schema.fromJsonString(Schema.Struct({ equations: Schema.Array(Schema.Unknown) }))
const Entry = Schema.Struct({ id: Schema.String, latex: Schema.String })
const decodeJson = Schema.decodeUnknownResult(Schema.fromJsonString(Schema.Unknown))
const decodeAnswer = Schema.decodeUnknownResult(AnswerShape)
const decodeEntry = Schema.decodeUnknownResult(Entry)
const IdOnly = Schema.Struct({ id: Schema.String })
const decodeId = Schema.decodeUnknownResult(IdOnly)

/** LaTeX as the model gives it, normalised, then checked */
const latexSchema = (maxLength: number) =>
  Schema.String.pipe(Schema.decodeTo(
    Schema.String.check(Schema.makeFilter((latex: string) => latexProblem(latex, maxLength))),
    SchemaTransformation.transform({ decode: normalizeLatex, encode: (latex: string) => latex })
  ))

/** renders the crops (when the model reads images) and asks the model */
const ask = (llm: Llm["Service"], candidates: ReadonlyArray<Candidate>, options: Options) =>
  Effect.gen(function*() {
    const render = options.renderCrop
    const images = new Map<string, string>()
    if (llm.acceptsImages && render !== undefined) {
      yield* Effect.forEach(candidates, (candidate) =>
        render(candidate).pipe(
          Effect.map((png) => {
            if (png !== undefined && png.length > 0) images.set(candidate.id, Base64.encode(png))
          }),
          // a crop is a help, not a need: the glyphs still go
          Effect.catchCause((cause) => Cause.hasInterruptsOnly(cause) ? Effect.interrupt : Effect.void)
        ), { concurrency: 4, discard: true })
    }
    return yield* llm.chat({
      messages: messages(candidates, images),
      format: answerFormat(candidates.map((c) => c.id)),
      temperature: 0,
      seed: options.seed ?? defaultSeed
    })
  })

/** the equations, each with the model's LaTeX when its entry passes, else the heuristic LaTeX and why */
const judge = (
  candidates: ReadonlyArray<Candidate>,
  content: string,
  model: string,
  maxLatexLength: number
): ReadonlyArray<Equation> => {
  const answer = decodeAnswer(content)
  if (Result.isFailure(answer)) {
    const reason = Result.isFailure(decodeJson(content))
      ? "the model's answer is not JSON"
      : `the model's answer has the wrong shape (${firstLine(answer.failure.message)})`
    return candidates.map((candidate) => heuristic(candidate, reason))
  }
  const asked = new Set(candidates.map((c) => c.id))
  const decodeLatex = Schema.decodeUnknownResult(latexSchema(maxLatexLength))
  const accepted = new Map<string, string>()
  const rejected = new Map<string, string>()
  const strangers: Array<string> = []
  for (const item of answer.success.equations) {
    const entry = decodeEntry(item)
    if (Result.isFailure(entry)) {
      const id = decodeId(item)
      if (Result.isSuccess(id) && asked.has(id.success.id) && !rejected.has(id.success.id)) {
        rejected.set(id.success.id, `the model's entry has the wrong shape (${firstLine(entry.failure.message)})`)
      }
      continue
    }
    const { id, latex } = entry.success
    if (!asked.has(id)) {
      strangers.push(id)
      continue
    }
    if (accepted.has(id)) continue
    const checked = decodeLatex(latex)
    if (Result.isSuccess(checked)) accepted.set(id, checked.success)
    else if (!rejected.has(id)) rejected.set(id, `the model's LaTeX was rejected: ${firstLine(checked.failure.message)}`)
  }
  const missing = strangers.length === 0
    ? "the model gave no LaTeX for it"
    : `the model gave no LaTeX for it (it answered for ids not asked for: ${strangers.slice(0, 5).join(", ")})`
  return candidates.map((candidate) => {
    const latex = accepted.get(candidate.id)
    return latex === undefined
      ? heuristic(candidate, rejected.get(candidate.id) ?? missing)
      : { ...withoutItems(candidate), latex, source: "llm", model }
  })
}

/** the candidate as an equation with its heuristic LaTeX, and why when refining fell back to it */
const heuristic = (candidate: Candidate, fallback?: string): Equation => ({
  ...withoutItems(candidate),
  source: "heuristic",
  model: null,
  ...(fallback === undefined ? {} : { fallback })
})

const withoutItems = ({ items: _, ...rest }: Candidate): Omit<Candidate, "items"> => rest

const callFailure = (error: LlmError | Cause.TimeoutError, timeout: Duration.Duration): string => {
  if (Cause.isTimeoutError(error)) return `no answer within ${Duration.format(timeout)}`
  switch (error.kind) {
    case "Timeout":
      return `the model gave no answer in time: ${error.message}`
    case "Unavailable":
      return `the model is unavailable: ${error.message}`
    case "Rejected":
      return `the model service rejected the request: ${error.message}`
    case "Malformed":
      return `the model service answered in an unknown shape: ${error.message}`
  }
}

/** one candidate's block of the prompt; `image` is the position of its image among the message's, or -1 */
const block = (candidate: Candidate, image: number): string =>
  [
    `Equation ${candidate.id}, ${candidate.number === null ? "unnumbered" : `number ${candidate.number}`}`,
    "glyphs:",
    ...glyphLines(candidate),
    `guess: ${candidate.latex}`,
    `before: ${squeeze(candidate.context.before, "end")}`,
    `after: ${squeeze(candidate.context.after, "start")}`,
    ...(image >= 0 ? [`image: ${image + 1}`] : [])
  ].join("\n")

/** at most this many glyph runs per equation go into the prompt; a page of huge matrices must not swamp it */
const maxGlyphLines = 300

const glyphLines = (candidate: Candidate): ReadonlyArray<string> => {
  const baseline = mainBaseline(candidate.items)
  const lines = candidate.items.slice(0, maxGlyphLines).map((item) =>
    `${JSON.stringify(item.text)} ${item.fontName} ${round(item.fontSize)} ${round(item.x - candidate.bbox.left)} ${
      round(item.y - baseline)
    }`
  )
  const more = candidate.items.length - maxGlyphLines
  return more > 0 ? [...lines, `... ${more} more runs`] : lines
}

/** the baseline most of the equation's characters sit on, so scripts show as shifts up or down from it */
const mainBaseline = (items: ReadonlyArray<TextItem>): number => {
  const weight = new Map<number, number>()
  for (const item of items) {
    const y = Math.round(item.y * 2) / 2
    weight.set(y, (weight.get(y) ?? 0) + Math.max(1, item.text.length))
  }
  let best = items[0]?.y ?? 0
  let bestWeight = -1
  for (const [y, w] of weight) {
    if (w > bestWeight) [best, bestWeight] = [y, w]
  }
  return best
}

const round = (n: number) => String(Math.round(n * 10) / 10)

/** prose context, whitespace collapsed, cut (between words) to about `length` characters nearest the equation */
const squeeze = (text: string, keep: "start" | "end", length = 240): string => {
  const flat = text.replace(/\s+/g, " ").trim()
  if (flat.length <= length) return flat
  return keep === "start"
    ? `${flat.slice(0, length).replace(/\s+\S*$/, "")}...`
    : `...${flat.slice(flat.length - length).replace(/^\S*\s+/, "")}`
}

const firstLine = (text: string) => text.split("\n")[0] ?? text
