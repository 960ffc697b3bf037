import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Redacted from "effect/Redacted"
import { Llm } from "../../../../src/layers/workflows/llm/Llm.ts"
import * as OllamaLlm from "../../../../src/layers/workflows/llm/OllamaLlm.ts"
import type { TextItem } from "../../../../src/layers/workflows/pdf/Pdf.ts"
import type { Candidate } from "../../../../src/layers/workflows/equations/Equation.ts"
import * as Refine from "../../../../src/layers/workflows/equations/Refine.ts"
import * as OllamaStandIn from "../../../support/OllamaStandIn.ts"

const item = (text: string, x: number, y: number, fontName: string, fontSize = 9.96): TextItem => ({
  text,
  x,
  y,
  width: 5 * text.length,
  fontSize,
  fontName
})

const candidate = (n: number, fields: Partial<Candidate>): Candidate => ({
  id: `p2-e${n}`,
  page: 2,
  bbox: { left: 200, bottom: 490, right: 300, top: 512 },
  box: { page: 2, left: 200, bottom: 490, right: 300, top: 512 },
  confidence: 0.9,
  kind: "display",
  number: `(${n})`,
  latex: "x",
  raw: "x",
  items: [item("x", 200, 500, "CMMI10")],
  context: { before: "As shown above,", after: "where x is real." },
  ...fields
})

/** a page of three equations, as finding would give them */
const page: ReadonlyArray<Candidate> = [
  candidate(1, {
    latex: "E = mc2",
    raw: "E = mc2",
    items: [
      item("E", 200, 500, "CMMI10"),
      item("=", 212, 500, "CMR10"),
      item("mc", 224, 500, "CMMI10"),
      item("2", 236, 504.2, "CMR7", 6.97)
    ],
    context: { before: `${"Energy and mass.  ".repeat(30)}Einstein wrote`, after: "which\nfamously relates them." }
  }),
  candidate(2, { number: null, latex: "\\int_0^1 f(x) dx", raw: "Z 1 0 f(x)dx" }),
  candidate(3, { latex: "a + b = c", raw: "a+b=c" })
]

const MODEL = "qwen2.5:7b"

/** a running stand-in holding `MODEL`, and an `Llm` on it over fetch */
const setUp = (options: Partial<OllamaLlm.Options> = {}, standInOptions: { apiKey?: string } = {}) =>
  Effect.gen(function*() {
    const standIn = yield* OllamaStandIn.make({ models: [MODEL], ...standInOptions })
    const llm = yield* OllamaLlm.make({ host: standIn.host, model: MODEL, timeout: "10 seconds", ...options }).pipe(
      Effect.provide(FetchHttpClient.layer)
    )
    return { standIn, llm }
  })

/** an answer hook: the given LaTeX for the given ids, as the schema asks */
const answering = (latexById: Readonly<Record<string, string>>) => () =>
  JSON.stringify({ equations: Object.entries(latexById).map(([id, latex]) => ({ id, latex })) })

const pick = (equations: ReadonlyArray<{ id: string; source: string; latex: string; fallback?: string | undefined }>) =>
  equations.map(({ id, source, latex, fallback }) => ({ id, source, latex, fallback }))

describe("Refine", () => {
  it.live("valid answers are used; the request carries temperature 0, the seed, the schema and the bearer token", () =>
    Effect.gen(function*() {
      const { standIn, llm } = yield* setUp({ apiKey: Redacted.make("key-1") }, { apiKey: "key-1" })
      standIn.hooks.answer = answering({ "p2-e1": "E = mc^2", "p2-e2": "\\int_0^1 f(x)\\,dx", "p2-e3": "a + b = c" })
      const equations = yield* Refine.refinePage(llm, page, { timeout: "5 seconds" })

      assert.deepStrictEqual(pick(equations), [
        { id: "p2-e1", source: "llm", latex: "E = mc^2", fallback: undefined },
        { id: "p2-e2", source: "llm", latex: "\\int_0^1 f(x)\\,dx", fallback: undefined },
        { id: "p2-e3", source: "llm", latex: "a + b = c", fallback: undefined }
      ])
      const { items: _, ...rest } = page[0]!
      assert.deepStrictEqual(equations[0], { ...rest, latex: "E = mc^2", source: "llm", model: MODEL })
      assert.isFalse("items" in equations[1]! || "fallback" in equations[1]!)

      const [chat] = standIn.chats()
      assert.strictEqual(standIn.chats().length, 1) // one request for the page
      assert.deepStrictEqual(chat!.options, { temperature: 0, seed: Refine.defaultSeed })
      assert.deepStrictEqual(chat!.format, Refine.answerFormat(["p2-e1", "p2-e2", "p2-e3"]))
      assert.strictEqual(chat!.stream, false)
      assert.strictEqual(standIn.hooks.requests[0]!.headers.authorization, "Bearer key-1")
      const [system, user] = chat!.messages!
      assert.strictEqual(system!.role, "system")
      assert.include(system!.content, "{\"equations\":[{\"id\":\"...\",\"latex\":\"...\"}]}")
      assert.isUndefined(user!.images)
      // the glyph listing: text, font, size, dx from the left edge, dy from the main baseline (the superscript is up)
      assert.include(user!.content, "Equation p2-e1, number (1)\nglyphs:\n\"E\" CMMI10 10 0 0\n\"=\" CMR10 10 12 0")
      assert.include(user!.content, "\"2\" CMR7 7 36 4.2\nguess: E = mc2")
      assert.include(user!.content, "Equation p2-e2, unnumbered")
      // long context is cut between words, to its end nearest the equation
      const before = /before: (.*)\n/.exec(user!.content)![1]!
      assert.match(before, /^\.\.\.(Energy|and|mass\.) .* Einstein wrote$/)
      assert.isAtMost(before.length, 243)
      assert.include(user!.content, "Einstein wrote\nafter: which famously relates them.")
      assert.isBelow(user!.content.indexOf("p2-e1"), user!.content.indexOf("p2-e3"))
    }))

  it.live("a given seed is sent; equal pages make equal requests", () =>
    Effect.gen(function*() {
      const { standIn, llm } = yield* setUp()
      yield* Refine.refinePage(llm, page, { seed: 7 })
      yield* Refine.refinePage(llm, page, { seed: 7 })
      const [first, second] = standIn.chats()
      assert.strictEqual(first!.options!.seed, 7)
      assert.deepStrictEqual(first, second)
    }))

  it.live("an {\"error\"} answer keeps the heuristic LaTeX, with Ollama's text as the reason", () =>
    Effect.gen(function*() {
      const { standIn, llm } = yield* setUp()
      standIn.hooks.status = 500
      standIn.hooks.errorText = "llama runner process has terminated: signal: killed"
      const equations = yield* Refine.refinePage(llm, page)
      assert.deepStrictEqual(equations.map((e) => [e.source, e.model, e.latex]), page.map((c) => ["heuristic", null, c.latex]))
      for (const e of equations) {
        assert.include(e.fallback, "the model is unavailable")
        assert.include(e.fallback, "llama runner process has terminated")
      }

      const { llm: unknown } = yield* setUp({ model: "mistral" })
      const [first] = yield* Refine.refinePage(unknown, page)
      assert.include(first!.fallback, "rejected the request")
      assert.include(first!.fallback, "model \"mistral\" not found, try pulling it first")
    }))

  it.live("a slow answer falls back within the time limit", () =>
    Effect.gen(function*() {
      const { standIn, llm } = yield* setUp()
      standIn.hooks.delayMs = 5000
      standIn.hooks.answer = answering({ "p2-e1": "E = mc^2" })
      const [elapsed, equations] = yield* Effect.timed(Refine.refinePage(llm, page, { timeout: "300 millis" }))
      assert.isAtLeast(Duration.toMillis(elapsed), 290)
      assert.isBelow(Duration.toMillis(elapsed), 2500)
      assert.deepStrictEqual(equations.map((e) => e.source), ["heuristic", "heuristic", "heuristic"])
      assert.strictEqual(equations[0]!.fallback, "no answer within 300ms")

      // the service's own, shorter, time limit says so too
      const { standIn: slow, llm: impatient } = yield* setUp({ timeout: "200 millis" })
      slow.hooks.delayMs = 5000
      const [first] = yield* Refine.refinePage(impatient, page, { timeout: "5 seconds" })
      assert.include(first!.fallback, "the model gave no answer in time")
      assert.include(first!.fallback, "within 200ms")
    }))

  it.live("an answer that is not JSON, or JSON of the wrong shape, keeps the heuristic LaTeX for the page", () =>
    Effect.gen(function*() {
      const { standIn, llm } = yield* setUp()
      standIn.hooks.answer = () => "Sure! Here are the equations: E = mc^2"
      const garbage = yield* Refine.refinePage(llm, page)
      assert.deepStrictEqual(pick(garbage), page.map((c) => ({
        id: c.id,
        source: "heuristic",
        latex: c.latex,
        fallback: "the model's answer is not JSON"
      })))

      for (const wrong of ["[{\"id\":\"p2-e1\",\"latex\":\"x\"}]", "{\"answers\":[]}", "{\"equations\":{\"p2-e1\":\"x\"}}"]) {
        standIn.hooks.answer = () => wrong
        const equations = yield* Refine.refinePage(llm, page)
        assert.deepStrictEqual(equations.map((e) => e.source), ["heuristic", "heuristic", "heuristic"])
        assert.include(equations[0]!.fallback, "the model's answer has the wrong shape")
      }
    }))

  it.live("unknown ids, broken LaTeX and malformed entries fall back for those equations only", () =>
    Effect.gen(function*() {
      const { standIn, llm } = yield* setUp()
      standIn.hooks.answer = () =>
        JSON.stringify({
          equations: [
            { id: "p2-e1", latex: "E = mc^2" },
            { id: "p2-e2", latex: "\\int_0^1 f(x {dx" },
            { id: "p9-e9", latex: "a + b = c" },
            { id: "p2-e3", latex: 42 }
          ]
        })
      const first = yield* Refine.refinePage(llm, page)
      assert.deepStrictEqual(pick(first), [
        { id: "p2-e1", source: "llm", latex: "E = mc^2", fallback: undefined },
        {
          id: "p2-e2",
          source: "heuristic",
          latex: "\\int_0^1 f(x) dx",
          fallback: "the model's LaTeX was rejected: unbalanced braces"
        },
        { id: "p2-e3", source: "heuristic", latex: "a + b = c", fallback: first[2]!.fallback }
      ])
      assert.include(first[2]!.fallback, "the model's entry has the wrong shape")

      standIn.hooks.answer = answering({ "p2-e1": "Here is the equation: $E = mc^2$", "p2-e2": "\\left( x", "p9-e9": "y" })
      const second = yield* Refine.refinePage(llm, page)
      assert.deepStrictEqual(second.map((e) => e.fallback), [
        "the model's LaTeX was rejected: math delimiter $ inside the LaTeX (text outside math)",
        "the model's LaTeX was rejected: unbalanced \\left/\\right",
        "the model gave no LaTeX for it (it answered for ids not asked for: p9-e9)"
      ])
    }))

  it.live("delimiters around the LaTeX are dropped and backslashes the model left unescaped in JSON restored", () =>
    Effect.gen(function*() {
      const { standIn, llm } = yield* setUp()
      // `\f` and `\t` are JSON escapes: `"\frac"` decodes to form feed + "rac"
      standIn.hooks.answer = () =>
        "{\"equations\":[{\"id\":\"p2-e1\",\"latex\":\"$$E = \\frac{m}{\\theta}$$\"},{\"id\":\"p2-e3\",\"latex\":\"\\\\[ a+b=c \\\\]\"}]}"
      const equations = yield* Refine.refinePage(llm, page)
      assert.deepStrictEqual(equations.map((e) => e.latex), ["E = \\frac{m}{\\theta}", "\\int_0^1 f(x) dx", "a+b=c"])
      assert.deepStrictEqual(equations.map((e) => e.source), ["llm", "heuristic", "llm"])
    }))

  it.live("a model that reads images gets the crops the renderer gives, in addition to the glyphs", () =>
    Effect.gen(function*() {
      const { standIn, llm } = yield* setUp({ acceptsImages: true })
      const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])
      const rendered: Array<string> = []
      const renderCrop: Refine.CropRenderer = (c) => {
        rendered.push(c.id)
        return c.id === "p2-e1"
          ? Effect.succeed(png)
          : c.id === "p2-e2"
          ? Effect.fail("cannot render")
          : Effect.die(new Error("renderer bug"))
      }
      standIn.hooks.answer = answering({ "p2-e1": "E = mc^2" })
      const equations = yield* Refine.refinePage(llm, page, { renderCrop })
      assert.deepStrictEqual(rendered, ["p2-e1", "p2-e2", "p2-e3"])
      assert.strictEqual(equations[0]!.source, "llm")
      const [system, user] = standIn.chats()[0]!.messages!
      assert.deepStrictEqual(user!.images, [Buffer.from(png).toString("base64")])
      assert.include(system!.content, "image")
      assert.include(user!.content, "\"E\" CMMI10") // glyphs still go
      assert.include(user!.content, "p2-e1, number (1)")
      assert.match(user!.content, /guess: E = mc2[\s\S]*image: 1\n\nEquation p2-e2/)
      assert.strictEqual(user!.content.match(/image: /g)!.length, 1)

      const { standIn: textOnly, llm: blind } = yield* setUp({ acceptsImages: false })
      yield* Refine.refinePage(blind, page, { renderCrop })
      assert.strictEqual(rendered.length, 3) // not asked again
      assert.isUndefined(textOnly.chats()[0]!.messages![1]!.images)
    }))

  it.live("no model service at all: every equation keeps its heuristic LaTeX", () =>
    Effect.gen(function*() {
      const { standIn, llm } = yield* setUp()
      standIn.hooks.apiKey = "required" // the client sends none: 401
      const [first] = yield* Refine.refinePage(llm, page)
      assert.include(first!.fallback, "unauthorized")
      const dead = Llm.of({ model: "m", acceptsImages: false, chat: () => Effect.die("boom"), health: Effect.succeed("") })
      const equations = yield* Refine.refinePage(dead, page)
      assert.deepStrictEqual(equations.map((e) => e.source), ["heuristic", "heuristic", "heuristic"])
      assert.include(equations[0]!.fallback, "refining failed unexpectedly")
    }))

  it.effect("an empty page asks nothing; heuristicOnly gives the heuristic LaTeX without a model", () =>
    Effect.gen(function*() {
      const never = Llm.of({ model: "m", acceptsImages: false, chat: () => Effect.die("asked"), health: Effect.succeed("") })
      assert.deepStrictEqual(yield* Refine.refinePage(never, []), [])
      const equations = Refine.heuristicOnly(page)
      const { items: _, ...rest } = page[1]!
      assert.deepStrictEqual(equations[1], { ...rest, source: "heuristic", model: null })
      assert.deepStrictEqual(equations.map((e) => e.latex), page.map((c) => c.latex))
    }))

  it("latexProblem accepts real LaTeX and names what is wrong with broken LaTeX", () => {
    const good = [
      "x^2",
      "\\frac{a}{b}",
      "\\left( x \\right] \\leftarrow y",
      "\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}",
      "a \\\\[2pt] b",
      "\\{ x \\mid x > 0 \\}",
      "\\iiint f \\, dx dy dz",
      "f(x) = 0 \\quad \\text{for all real numbers } x",
      "\\operatorname{arg\\,min}_{x} \\mathrm{Tr} A"
    ]
    for (const latex of good) assert.isUndefined(Refine.latexProblem(latex), latex)
    const bad: ReadonlyArray<readonly [string, string]> = [
      ["", "empty LaTeX"],
      ["\\frac{a}{b", "unbalanced braces"],
      ["x}{", "unbalanced braces"],
      ["\\left( x", "unbalanced \\left/\\right"],
      ["x \\right)", "unbalanced \\left/\\right"],
      ["\\begin{cases} x", "unbalanced \\begin/\\end (cases)"],
      ["\\begin{cases} x \\end{array}", "unbalanced \\begin/\\end (array)"],
      ["\\begin{align} x \\end{align}", "display environment align inside the LaTeX"],
      ["x \\[ y", "math delimiter \\[ inside the LaTeX (text outside math)"],
      ["The equation is x = y", "prose in the LaTeX (text outside math)"],
      ["`x`", "backticks in the LaTeX (text outside math)"],
      ["x\u0001", "control characters in the LaTeX"],
      ["x".repeat(41), "LaTeX longer than 40 characters"]
    ]
    for (const [latex, problem] of bad) assert.strictEqual(Refine.latexProblem(latex, 40), problem, latex)
  })

  it("normalizeLatex drops one pair of outer delimiters and restores unescaped backslashes", () => {
    assert.strictEqual(Refine.normalizeLatex("  $$ x $$ "), "x")
    assert.strictEqual(Refine.normalizeLatex("\\[x\\]"), "x")
    assert.strictEqual(Refine.normalizeLatex("\\begin{equation*} x \\end{equation*}"), "x")
    assert.strictEqual(Refine.normalizeLatex("$a$ and $b$"), "a$ and $b") // then rejected for its delimiters
    assert.strictEqual(Refine.normalizeLatex("\frac{1}{\theta} \neq \beta"), "\\frac{1}{\\theta} \\neq \\beta")
    assert.strictEqual(Refine.normalizeLatex("a \\\\\nb"), "a \\\\\nb") // a row break stays a row break
  })
})
