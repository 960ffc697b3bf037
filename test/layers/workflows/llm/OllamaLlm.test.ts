import * as NodeServices from "@effect/platform-node/NodeServices"
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as net from "node:net"
import { type ChatRequest, Llm, type LlmError } from "../../../../src/layers/workflows/llm/Llm.ts"
import * as OllamaLlm from "../../../../src/layers/workflows/llm/OllamaLlm.ts"
import * as ServerConfig from "../../../../src/layers/config/ServerConfig.ts"
import * as OllamaStandIn from "../../../support/OllamaStandIn.ts"

const format = { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] }
const request: ChatRequest = { messages: [{ role: "user", content: "Say hi as JSON." }], format, seed: 7 }

/** a running stand-in and an `Llm` on it (over fetch), with `options` replacing the defaults */
const setUp = (options: Partial<OllamaLlm.Options> = {}, standInOptions: { apiKey?: string } = {}) =>
  Effect.gen(function*() {
    const standIn = yield* OllamaStandIn.make({ models: ["qwen2.5:7b", "llava"], ...standInOptions })
    const llm = yield* OllamaLlm.make({ host: standIn.host, model: "qwen2.5:7b", timeout: "5 seconds", ...options }).pipe(
      Effect.provide(FetchHttpClient.layer)
    )
    return { standIn, llm }
  })

const errorOf = <A>(effect: Effect.Effect<A, LlmError, Scope.Scope>) =>
  Effect.map(Effect.flip(effect), (e) => ({ kind: e.kind, message: e.message, status: e.status }))

/** `fetch` inside an Effect, for the stand-in's own tests: status, content type and body text */
const fetchText = (url: string, init?: RequestInit) =>
  Effect.promise(() =>
    fetch(url, init).then(async (r) => ({ status: r.status, type: r.headers.get("content-type"), text: await r.text() }))
  )

const post = (body: unknown) => ({
  method: "POST",
  body: typeof body === "string" ? body : JSON.stringify(body),
  headers: { "content-type": "application/json" }
})

describe("OllamaStandIn", () => {
  it.live("answers version, tags and a non-streaming chat as Ollama does", () =>
    Effect.gen(function*() {
      const standIn = yield* OllamaStandIn.make({ models: ["qwen2.5:7b", "llava"] })
      assert.deepStrictEqual(JSON.parse((yield* fetchText(`${standIn.host}/api/version`)).text), { version: "0.12.6" })
      const tags = JSON.parse((yield* fetchText(`${standIn.host}/api/tags`)).text)
      assert.deepStrictEqual(tags.models.map((m: { name: string }) => m.name), ["qwen2.5:7b", "llava:latest"])
      assert.strictEqual(tags.models[0].details.format, "gguf")

      standIn.hooks.answer = (chat) => JSON.stringify({ echo: chat.messages?.[0]?.content })
      const answer = yield* fetchText(`${standIn.host}/api/chat`, post({
        model: "llava", // :latest is implied
        messages: [{ role: "user", content: "hello" }],
        stream: false
      }))
      assert.strictEqual(answer.status, 200)
      const body = JSON.parse(answer.text)
      assert.strictEqual(body.model, "llava")
      assert.deepStrictEqual(body.message, { role: "assistant", content: "{\"echo\":\"hello\"}" })
      assert.strictEqual(body.done, true)
      assert.strictEqual(body.done_reason, "stop")
      assert.isNumber(body.total_duration)
    }))

  it.live("streams NDJSON unless told not to; an error line can break the stream", () =>
    Effect.gen(function*() {
      const standIn = yield* OllamaStandIn.make()
      standIn.hooks.answer = () => "a fairly long answer, in pieces"
      const streamed = yield* fetchText(`${standIn.host}/api/chat`, post({ model: "qwen2.5:7b", messages: [] }))
      assert.strictEqual(streamed.type, "application/x-ndjson")
      const lines = streamed.text.trim().split("\n").map((line) => JSON.parse(line))
      assert.isAbove(lines.length, 2)
      assert.isTrue(lines.slice(0, -1).every((l) => l.done === false))
      assert.strictEqual(lines.at(-1).done, true)
      assert.strictEqual(lines.map((l) => l.message.content).join(""), "a fairly long answer, in pieces")

      standIn.hooks.streamError = "model runner has unexpectedly stopped"
      const broken = yield* fetchText(`${standIn.host}/api/chat`, post({ model: "qwen2.5:7b", messages: [], stream: true }))
      const brokenLines = broken.text.trim().split("\n").map((line) => JSON.parse(line))
      assert.strictEqual(broken.status, 200)
      assert.deepStrictEqual(brokenLines.at(-1), { error: "model runner has unexpectedly stopped" })
      assert.strictEqual(brokenLines.length, 2)
    }))

  it.live("Ollama's errors: unknown model, bad JSON, no model, unknown path, missing token, forced status", () =>
    Effect.gen(function*() {
      const standIn = yield* OllamaStandIn.make()
      const chat = (body: unknown) => fetchText(`${standIn.host}/api/chat`, post(body))
      const unknown = yield* chat({ model: "nope", messages: [], stream: false })
      assert.deepStrictEqual([unknown.status, JSON.parse(unknown.text)], [404, {
        error: "model \"nope\" not found, try pulling it first"
      }])
      const bad = yield* chat("{not json")
      assert.strictEqual(bad.status, 400)
      assert.match(JSON.parse(bad.text).error, /invalid character/)
      assert.deepStrictEqual(JSON.parse((yield* chat({ messages: [] })).text), { error: "model is required" })
      const path = yield* fetchText(`${standIn.host}/api/nothing`)
      assert.deepStrictEqual([path.status, path.text], [404, "404 page not found"])

      standIn.hooks.status = 503
      const forced = yield* chat({ model: "qwen2.5:7b", messages: [], stream: false })
      assert.deepStrictEqual([forced.status, JSON.parse(forced.text)], [503, { error: standIn.hooks.errorText }])

      standIn.hooks.apiKey = "k"
      assert.strictEqual((yield* fetchText(`${standIn.host}/api/version`)).status, 401)
      const allowed = yield* fetchText(`${standIn.host}/api/version`, { headers: { authorization: "Bearer k" } })
      assert.strictEqual(allowed.status, 200)
      assert.strictEqual(standIn.hooks.requests.length, 7)
    }))
})

describe("OllamaLlm", () => {
  it.live("a chat sends model, messages, the schema, temperature 0, the seed and stream false; answers the content", () =>
    Effect.gen(function*() {
      const { standIn, llm } = yield* setUp({ numCtx: 8192 })
      standIn.hooks.answer = () => "{\"answer\":\"hi\"}"
      assert.strictEqual(yield* llm.chat(request), "{\"answer\":\"hi\"}")
      assert.deepStrictEqual(standIn.chats(), [{
        model: "qwen2.5:7b",
        messages: [{ role: "user", content: "Say hi as JSON." }],
        format,
        options: { temperature: 0, seed: 7, num_ctx: 8192 },
        stream: false
      }])
      assert.isUndefined(standIn.hooks.requests[0]!.headers.authorization)
      assert.strictEqual(llm.model, "qwen2.5:7b")
      assert.isFalse(llm.acceptsImages)
    }))

  it.live("images go with their message; the API key goes as a bearer token on every call", () =>
    Effect.gen(function*() {
      const { standIn, llm } = yield* setUp({ apiKey: Redacted.make("sekret"), acceptsImages: true }, { apiKey: "sekret" })
      yield* llm.chat({ ...request, messages: [{ role: "user", content: "look", images: ["iVBORw0KGgo="] }], temperature: 0.5 })
      assert.strictEqual(yield* llm.health, "0.12.6")
      const [chat] = standIn.chats()
      assert.deepStrictEqual(chat!.messages, [{ role: "user", content: "look", images: ["iVBORw0KGgo="] }])
      assert.strictEqual(chat!.options!.temperature, 0.5)
      assert.deepStrictEqual(standIn.hooks.requests.map((r) => r.headers.authorization), ["Bearer sekret", "Bearer sekret"])
      assert.isTrue(llm.acceptsImages)
    }))

  it.live("an unknown model and a wrong API key are Rejected with Ollama's text", () =>
    Effect.gen(function*() {
      const { llm } = yield* setUp({ model: "mistral" })
      const missing = yield* errorOf(llm.chat(request))
      assert.strictEqual(missing.kind, "Rejected")
      assert.strictEqual(missing.status, 404)
      assert.include(missing.message, "model \"mistral\" not found, try pulling it first")

      const { llm: wrongKey } = yield* setUp({ apiKey: Redacted.make("wrong") }, { apiKey: "right" })
      const unauthorized = yield* errorOf(wrongKey.chat(request))
      assert.strictEqual(unauthorized.kind, "Rejected")
      assert.strictEqual(unauthorized.status, 401)
      assert.include(unauthorized.message, "unauthorized")
      assert.include(unauthorized.message, "OLLAMA_API_KEY")
      assert.notInclude(unauthorized.message, "wrong")
    }))

  it.live("5xx and 429 are Unavailable, other 4xx are Rejected, each with Ollama's text", () =>
    Effect.gen(function*() {
      const { standIn, llm } = yield* setUp()
      for (const [status, kind] of [[500, "Unavailable"], [503, "Unavailable"], [429, "Unavailable"], [400, "Rejected"]] as const) {
        standIn.hooks.status = status
        standIn.hooks.errorText = `failure ${status}`
        const error = yield* errorOf(llm.chat(request))
        assert.deepStrictEqual([error.kind, error.status], [kind, status])
        assert.include(error.message, `failure ${status}`)
      }
    }))

  it.live("no server is Unavailable; a slow answer is a Timeout within the time limit", () =>
    Effect.gen(function*() {
      const { standIn, llm } = yield* setUp({ timeout: "300 millis" })
      standIn.hooks.delayMs = 3000
      const [elapsed, slow] = yield* Effect.timed(errorOf(llm.chat(request)))
      assert.strictEqual(slow.kind, "Timeout")
      assert.include(slow.message, "300ms")
      assert.isBelow(Duration.toMillis(elapsed), 2000)

      const closed = yield* OllamaLlm.make({ host: `http://127.0.0.1:${yield* closedPort}`, model: "m" }).pipe(
        Effect.provide(FetchHttpClient.layer)
      )
      const refused = yield* errorOf(closed.chat(request))
      assert.strictEqual(refused.kind, "Unavailable")
      assert.include(refused.message, "cannot connect")
    }))

  it.live("answers not in Ollama's shape are Malformed: not JSON, fields missing, cut off, an error with a 200", () =>
    Effect.gen(function*() {
      const { standIn, llm } = yield* setUp()
      const answerWith = (status: number, body: string) => {
        standIn.hooks.raw = { status, contentType: "application/json", body }
        return errorOf(llm.chat(request))
      }
      assert.strictEqual((yield* answerWith(200, "<html>proxy</html>")).kind, "Malformed")
      const missing = yield* answerWith(200, JSON.stringify({ model: "qwen2.5:7b", done: true }))
      assert.strictEqual(missing.kind, "Malformed")
      assert.include(missing.message, "wrong shape")
      const cut = yield* answerWith(200, JSON.stringify({
        model: "qwen2.5:7b",
        message: { role: "assistant", content: "{\"answ" },
        done: true,
        done_reason: "length"
      }))
      assert.strictEqual(cut.kind, "Malformed")
      assert.include(cut.message, "num_ctx")
      const failed = yield* answerWith(200, JSON.stringify({ error: "out of memory" }))
      assert.deepStrictEqual([failed.kind, failed.message.includes("out of memory")], ["Unavailable", true])
      const html = yield* answerWith(502, "<html>Bad Gateway</html>")
      assert.deepStrictEqual([html.kind, html.status], ["Unavailable", 502])
      assert.include(html.message, "Bad Gateway")
    }))

  it.live("check: the version answers and the model is installed (`name` means `name:latest`)", () =>
    Effect.gen(function*() {
      const standIn = yield* OllamaStandIn.make({ models: ["qwen2.5:7b", "llava"] })
      const check = (model: string) =>
        OllamaLlm.check({ host: `${standIn.host}/`, model }).pipe(Effect.flip, Effect.option, Effect.provide(FetchHttpClient.layer))
      assert.isTrue((yield* check("qwen2.5:7b"))._tag === "None")
      assert.isTrue((yield* check("llava"))._tag === "None")
      const missing = yield* check("mistral")
      assert.isTrue(missing._tag === "Some" && missing.value.includes("ollama pull mistral"))
      assert.isTrue(missing._tag === "Some" && missing.value.includes("qwen2.5:7b, llava:latest"))
    }))

  it.live("layerNode talks to Ollama through node:http", () =>
    Effect.gen(function*() {
      const standIn = yield* OllamaStandIn.make()
      standIn.hooks.answer = () => "{\"answer\":\"node\"}"
      const content = yield* Effect.gen(function*() {
        const llm = yield* Llm
        return yield* llm.chat(request)
      }).pipe(
        Effect.provide(OllamaLlm.layerNode({ host: standIn.host, model: "qwen2.5:7b" }))
      )
      assert.strictEqual(content, "{\"answer\":\"node\"}")
    }))

  it.effect("options from the settings: none without a model; timeout and images from the environment", () =>
    Effect.gen(function*() {
      assert.isUndefined(OllamaLlm.fromSettings(yield* ServerConfig.load({ env: {} })))
      const defaults = OllamaLlm.fromSettings(yield* ServerConfig.load({ env: { OLLAMA_MODEL: "qwen2.5:7b" } }))
      assert.deepStrictEqual(defaults, {
        host: "http://127.0.0.1:11434",
        model: "qwen2.5:7b",
        apiKey: undefined,
        timeout: Duration.seconds(60),
        acceptsImages: false
      })
      const set = OllamaLlm.fromSettings(yield* ServerConfig.load({
        env: {
          OLLAMA_HOST: "https://ollama.com",
          OLLAMA_MODEL: "qwen2.5vl:7b",
          OLLAMA_API_KEY: "key",
          DOIP_OLLAMA_TIMEOUT_SECONDS: "15",
          DOIP_OLLAMA_ACCEPTS_IMAGES: "true"
        }
      }))
      assert.strictEqual(set!.host, "https://ollama.com")
      assert.strictEqual(Redacted.value(set!.apiKey!), "key")
      assert.deepStrictEqual(set!.timeout, Duration.seconds(15))
      assert.isTrue(set!.acceptsImages)
    }).pipe(Effect.provide(NodeServices.layer)))
})

/** a port nothing listens on: one the system gave out and took back */
const closedPort = Effect.callback<number>((resume) => {
  const server = net.createServer()
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as net.AddressInfo
    server.close(() => resume(Effect.succeed(port)))
  })
})
