/**
 * The `equation_extraction` workflow through the server: params checked before any work, the derived
 * `equations.json` stored, committed and retrievable, the model's LaTeX used when valid and the heuristic LaTeX kept
 * (and said so) when Ollama errs, is slow or answers garbage, and concurrent invocations bounded and shared.
 */
import { assert, describe, it } from "@effect/vitest"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { readFileSync } from "node:fs"
import * as DoipClient from "../../src/client/DoipClient.ts"
import type { Equation } from "../../src/layers/workflows/equations/Equation.ts"
import * as OllamaLlm from "../../src/layers/workflows/llm/OllamaLlm.ts"
import { Storage } from "../../src/layers/storage/Storage.ts"
import { ListenAddress } from "../../src/server/DoipServer.ts"
import { refusalOf } from "../support/ClientAnswers.ts"
import * as OllamaStandIn from "../support/OllamaStandIn.ts"
import { concatBytes } from "../support/Random.ts"
import { layerClient, layerClientDoip2, layerServer, seed, token } from "../support/TestServer.ts"

const fixture = (name: string) => new Uint8Array(readFileSync(`test/fixtures/papers/${name}`))
const paper = fixture("heat-kernel.pdf")

interface EquationsDocument {
  readonly workflow: string
  readonly sourceObject: string
  readonly sourceComponent: string
  readonly pages: ReadonlyArray<number>
  readonly mode: string
  readonly model: string | null
  readonly equations: ReadonlyArray<Equation>
}

/** invokes the workflow and reads back what it stored */
const extract = (objectId: string, params: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const client = yield* DoipClient.DoipClient
    const answer = yield* client.invoke(objectId, "equation_extraction", params)
    const stored = yield* client.retrieve(objectId, "equations.json")
    const bytes = concatBytes(yield* Stream.runCollect(stored.content))
    return { answer, stored: JSON.parse(new TextDecoder().decode(bytes)) as EquationsDocument }
  }).pipe(Effect.scoped)

/** the model's answer for a chat: LaTeX `\model{<id>}` for every equation asked about */
const validAnswer = (chat: OllamaStandIn.ChatBody) => {
  const ids = JSON.stringify(chat.format).match(/p\d+-e\d+/g) ?? []
  return JSON.stringify({ equations: [...new Set(ids)].map((id) => ({ id, latex: `x_{${id.replace("-", "")}} = 1` })) })
}

const onServerWith = (llm?: Layer.Layer<any>) =>
  layerClient({ credentials: { token } }).pipe(Layer.provideMerge(layerServer(llm === undefined ? {} : { llm })))

describe("equation_extraction without a model", () => {
  it.effect("finds the paper's display equations and stores equations.json, committed and retrievable", () =>
    Effect.gen(function*() {
      yield* seed("Q500", "fulltext.pdf", paper, "application/pdf")
      const { answer, stored } = yield* extract("Q500", { pages: [1] })
      const workflow = answer.workflow[0]!
      assert.strictEqual(workflow["workflow"], "equation_extraction")
      assert.strictEqual(workflow["sourceObject"], "Q500")
      assert.deepStrictEqual((workflow["derivedComponents"] as Array<any>).map((c) => [c.componentId, c.mediaType]), [
        ["equations.json", "application/json"]
      ])
      const counts = workflow["counts"] as Record<string, number>
      assert.isAbove(counts["equations"]!, 2)
      assert.strictEqual(counts["llm"], 0)
      assert.strictEqual(counts["heuristic"], counts["equations"])
      assert.hasAllKeys(workflow["timings"], ["readMs", "pdfMs", "findMs", "renderMs", "refineMs", "writeMs", "totalMs"])

      assert.strictEqual(stored.sourceComponent, "fulltext.pdf")
      assert.deepStrictEqual(stored.pages, [1])
      assert.strictEqual(stored.equations.length, counts["equations"])
      for (const equation of stored.equations) {
        assert.strictEqual(equation.page, 1)
        assert.strictEqual(equation.kind, "display")
        assert.strictEqual(equation.source, "heuristic")
        assert.isNull(equation.model)
        assert.isAbove(equation.latex.length, 0)
        assert.isBelow(equation.bbox.bottom, equation.bbox.top)
        assert.deepStrictEqual(equation.box, { page: equation.page, ...equation.bbox })
        assert.isTrue(equation.confidence > 0 && equation.confidence < 1, `confidence ${equation.confidence}`)
      }
      // the paper's first display is its equation (1), a heat kernel expansion with a sum
      assert.strictEqual(stored.equations[0]!.number, "(1)")
      assert.include(stored.equations[0]!.latex, "\\sum")

      // the derived component was committed with the workflow in its metadata
      const storage = yield* Storage
      const [commit] = yield* storage.history("Q500")
      assert.strictEqual(commit!.metadata["workflow"], "equation_extraction")
      assert.strictEqual(commit!.metadata["source_component"], "fulltext.pdf")
    }).pipe(Effect.provide(onServerWith())))

  it.effect("max_equations (upstream's CLI example) keeps the first equations in reading order", () =>
    Effect.gen(function*() {
      yield* seed("Q505", "fulltext.pdf", paper, "application/pdf")
      const all = (yield* extract("Q505", { pages: [1] })).stored.equations
      assert.isAbove(all.length, 2)
      const { stored } = yield* extract("Q505", { pages: [1], max_equations: 2 })
      assert.deepStrictEqual(stored.equations, all.slice(0, 2))
    }).pipe(Effect.provide(onServerWith())))

  it.effect("params are checked before any work: each mistake is a clear BadRequest", () =>
    Effect.gen(function*() {
      yield* seed("Q501", "fulltext.pdf", paper, "application/pdf")
      const client = yield* DoipClient.DoipClient
      const refused = (params: Record<string, unknown>) => refusalOf(client.invoke("Q501", "equation_extraction", params))
      for (
        const [params, words] of [
          [{ pages: [0] }, "pages"],
          [{ pages: [] }, "pages"],
          [{ pages: "1-3" }, "pages"],
          [{ mode: "magic" }, "mode"],
          [{ page: [1] }, "page"],
          [{ mode: "llm" }, "OLLAMA_MODEL"],
          [{ componentId: "../x.pdf" }, "file name"],
          [{ pages: [99] }, "99"]
        ] as const
      ) {
        const refusal = yield* refused(params)
        assert.strictEqual(refusal.kind, "BadRequest", JSON.stringify(params))
        assert.include(refusal.message, words, JSON.stringify(params))
      }
      // nothing was stored by any of them
      const storage = yield* Storage
      assert.deepStrictEqual((yield* storage.list("Q501")).map((c) => c.componentId), ["fulltext.pdf"])
    }).pipe(Effect.provide(onServerWith())))

  it.effect("a component that is not a PDF, a corrupt or an encrypted one is a workflow error; the server goes on", () =>
    Effect.gen(function*() {
      yield* seed("Q502", "not.pdf", fixture("not-a-pdf.pdf"), "application/pdf")
      yield* seed("Q502", "corrupt.pdf", fixture("corrupt.pdf"), "application/pdf")
      yield* seed("Q502", "locked.pdf", fixture("encrypted.pdf"), "application/pdf")
      const client = yield* DoipClient.DoipClient
      for (const [componentId, words] of [["not.pdf", "not a PDF"], ["corrupt.pdf", "corrupt"], ["locked.pdf", "password"]]) {
        const refusal = yield* refusalOf(client.invoke("Q502", "equation_extraction", { componentId }))
        assert.strictEqual(refusal.kind, "WorkflowError", componentId)
        assert.include(refusal.message.toLowerCase(), words.toLowerCase(), componentId)
      }
      const missing = yield* Effect.flip(client.invoke("Q502", "equation_extraction", { componentId: "nope.pdf" }))
      assert.strictEqual(missing._tag, "NotFoundError")
      assert.strictEqual((yield* client.hello())["status"], "ok")
    }).pipe(Effect.provide(onServerWith())))

  it.effect("an object without a PDF component names the componentId param", () =>
    Effect.gen(function*() {
      yield* seed("Q503", "notes.txt", "no pdf here", "text/plain")
      const refusal = yield* refusalOf((yield* DoipClient.DoipClient).invoke("Q503", "equation_extraction"))
      assert.strictEqual(refusal.kind, "BadRequest")
      assert.include(refusal.message, "componentId")
    }).pipe(Effect.provide(onServerWith())))
})

describe("equation_extraction with a model (the Ollama stand-in)", () => {
  const withModel = (standIn: OllamaStandIn.OllamaStandIn, timeout: Duration.Input = "5 seconds", acceptsImages = false) =>
    onServerWith(OllamaLlm.layerNode({ host: standIn.host, model: "qwen2.5:7b", timeout, acceptsImages }))

  it.live("valid model answers are used, per equation, with the model recorded", () =>
    Effect.gen(function*() {
      const standIn = yield* OllamaStandIn.make()
      standIn.hooks.answer = validAnswer
      yield* Effect.gen(function*() {
        yield* seed("Q510", "fulltext.pdf", paper, "application/pdf")
        const { answer, stored } = yield* extract("Q510", { pages: [1] })
        const counts = answer.workflow[0]!["counts"] as Record<string, number>
        assert.strictEqual(counts["llm"], counts["equations"])
        assert.strictEqual(stored.model, "qwen2.5:7b")
        for (const equation of stored.equations) {
          assert.strictEqual(equation.source, "llm")
          assert.strictEqual(equation.model, "qwen2.5:7b")
          assert.strictEqual(equation.latex, `x_{${equation.id.replace("-", "")}} = 1`)
        }
        // one chat per page, deterministic: temperature 0 and a seed
        const chats = standIn.chats()
        assert.strictEqual(chats.length, 1)
        assert.strictEqual(chats[0]!.options?.temperature, 0)
        assert.isNumber(chats[0]!.options?.seed)
        // a text model is sent no images
        assert.isTrue(chats[0]!.messages!.every((message) => message.images === undefined))
      }).pipe(Effect.provide(withModel(standIn)))
    }).pipe(Effect.scoped))

  it.live("a model that reads images gets a PNG crop of each equation with its page's chat", () =>
    Effect.gen(function*() {
      const standIn = yield* OllamaStandIn.make()
      standIn.hooks.answer = validAnswer
      yield* Effect.gen(function*() {
        yield* seed("Q511", "fulltext.pdf", paper, "application/pdf")
        const { answer, stored } = yield* extract("Q511")
        const workflow = answer.workflow[0]!
        assert.strictEqual((workflow["counts"] as Record<string, number>)["llm"], stored.equations.length)
        assert.isAbove((workflow["timings"] as Record<string, number>)["renderMs"]!, 0)
        const chats = standIn.chats()
        assert.strictEqual(chats.length, 2)
        for (const [i, chat] of chats.entries()) {
          const onPage = stored.equations.filter((e) => e.page === i + 1)
          const [system, user] = chat.messages!
          assert.isUndefined(system!.images)
          assert.include(system!.content, "image")
          assert.strictEqual(user!.images?.length, onPage.length, `page ${i + 1}`)
          for (const [k, image] of user!.images!.entries()) {
            const png = Buffer.from(image, "base64")
            assert.strictEqual(png.subarray(1, 4).toString("latin1"), "PNG", `page ${i + 1}, image ${k + 1}`)
            // at least the width of a small formula at 144 dpi
            assert.isAbove(png.readUInt32BE(16), 100)
          }
          // each equation's block names its image
          for (const k of onPage.keys()) assert.include(user!.content, `image: ${k + 1}`)
        }
      }).pipe(Effect.provide(withModel(standIn, "5 seconds", true)))
    }).pipe(Effect.scoped))

  for (
    const [trouble, steer, reason] of [
      ["an {\"error\"} answer", (s: OllamaStandIn.OllamaStandIn) => (s.hooks.status = 500), "500"],
      ["garbage", (s: OllamaStandIn.OllamaStandIn) => (s.hooks.answer = () => "the equations are nice"), ""],
      ["JSON of the wrong shape", (s: OllamaStandIn.OllamaStandIn) => (s.hooks.answer = () => "{\"latex\": 3}"), ""],
      ["a slow answer", (s: OllamaStandIn.OllamaStandIn) => (s.hooks.delayMs = 5_000), ""]
    ] as const
  ) {
    it.live(`${trouble}: the workflow succeeds with the heuristic LaTeX and says why`, () =>
      Effect.gen(function*() {
        const standIn = yield* OllamaStandIn.make()
        steer(standIn)
        yield* Effect.gen(function*() {
          yield* seed("Q520", "fulltext.pdf", paper, "application/pdf")
          const started = Date.now()
          const { answer, stored } = yield* extract("Q520", { pages: [1] })
          // the model call's limit (300 ms here) bounds the run: nothing waits for the 5 s answer
          assert.isBelow(Date.now() - started, 4_000)
          const counts = answer.workflow[0]!["counts"] as Record<string, number>
          assert.strictEqual(counts["llm"], 0)
          assert.isAbove(counts["heuristic"]!, 0)
          for (const equation of stored.equations) {
            assert.strictEqual(equation.source, "heuristic")
            assert.isString(equation.fallback)
            assert.include(equation.fallback!, reason)
          }
        }).pipe(Effect.provide(withModel(standIn, "300 millis")))
      }).pipe(Effect.scoped))
  }

  it.live("mode heuristic never asks the model", () =>
    Effect.gen(function*() {
      const standIn = yield* OllamaStandIn.make()
      standIn.hooks.answer = validAnswer
      yield* Effect.gen(function*() {
        yield* seed("Q530", "fulltext.pdf", paper, "application/pdf")
        const { stored } = yield* extract("Q530", { pages: [1], mode: "heuristic" })
        assert.isTrue(stored.equations.every((e) => e.source === "heuristic" && e.fallback === undefined))
        assert.strictEqual(standIn.chats().length, 0)
      }).pipe(Effect.provide(withModel(standIn, "5 seconds", true)))
    }).pipe(Effect.scoped))

  it.live("callers asking at once share one run; the answer is the same for all", () =>
    Effect.gen(function*() {
      const standIn = yield* OllamaStandIn.make()
      standIn.hooks.answer = validAnswer
      standIn.hooks.delayMs = 200
      yield* Effect.gen(function*() {
        yield* seed("Q540", "fulltext.pdf", paper, "application/pdf")
        // four callers on four connections (one binary connection carries one request at a time)
        const { binaryPort } = yield* ListenAddress
        const answers = yield* Effect.all(
          Array.from({ length: 4 }, () =>
            Effect.flatMap(
              DoipClient.make({ host: "127.0.0.1", port: binaryPort, timeout: "20 seconds", credentials: { token } }),
              (client) => client.invoke("Q540", "equation_extraction", { pages: [1] })
            )),
          { concurrency: "unbounded" }
        ).pipe(Effect.scoped)
        const commits = new Set(answers.map((a) => a.workflow[0]!["commitId"]))
        assert.strictEqual(commits.size, 1)
        assert.strictEqual(standIn.chats().length, 1)
        const storage = yield* Storage
        assert.strictEqual((yield* storage.history("Q540")).filter((c) => c.metadata["workflow"]).length, 1)
      }).pipe(Effect.provide(withModel(standIn)))
    }).pipe(Effect.scoped))
})

describe("equation_extraction invoked anonymously", () => {
  it.effect("answers the equations, stores nothing, and says how to store them", () =>
    Effect.gen(function*() {
      yield* seed("Q560", "fulltext.pdf", paper, "application/pdf")
      const client = yield* DoipClient.DoipClient
      const answer = yield* client.invoke("Q560", "equation_extraction", { pages: [1] })
      const block = answer.workflow[0]!
      assert.strictEqual(block["stored"], false)
      assert.match(String(block["note"]), /invoke with a credential/)
      assert.isUndefined(block["commitId"])
      const document = JSON.parse(new TextDecoder().decode(answer.components[0]!.content))
      assert.isAbove(document.equations.length, 0)
      const storage = yield* Storage
      assert.isFalse((yield* storage.list("Q560")).some((c) => c.componentId === "equations.json"))
      assert.strictEqual((yield* storage.history("Q560")).length, 1, "the seed's commit only")
    }).pipe(Effect.provide(layerClient().pipe(Layer.provideMerge(layerServer())))))
})

describe("equation_extraction over DOIP v2.0", () => {
  it.effect("the same workflow answer and derived element", () =>
    Effect.gen(function*() {
      yield* seed("Q550", "fulltext.pdf", paper, "application/pdf")
      const answer = yield* (yield* DoipClient.DoipClient).invoke("Q550", "equation_extraction", { pages: [1] })
      const names = answer.components.map((c) => c.componentId)
      assert.include(names, "equations.json")
      const json = JSON.parse(new TextDecoder().decode(answer.components.find((c) => c.componentId === "equations.json")!.content))
      assert.isAbove(json.equations.length, 2)
    }).pipe(Effect.provide(layerClientDoip2({ credentials: { token } }).pipe(Layer.provideMerge(layerServer())))))
})
