/**
 * An in-process stand-in for Ollama's HTTP API (BACKENDS.md, "Ollama"), answering as Ollama 0.12 does:
 *
 * - `GET /api/version` `{"version":"0.12.6"}`; `GET /api/tags` the installed models with their details.
 * - `POST /api/chat`: with `stream: false` one JSON object `{model, created_at, message: {role: "assistant",
 *   content}, done: true, done_reason: "stop", total_duration, ...}`; otherwise (Ollama streams by default) NDJSON
 *   lines of content pieces, the last with `done: true` and the statistics.
 * - Ollama's errors: an unknown model is a 404 `{"error":"model \"x\" not found, try pulling it first"}`, a body that
 *   is not JSON a 400 `{"error": ...}`, a missing model a 400, an unknown path `404 page not found` (plain text), and
 *   with an API key set, a request without its bearer token a 401 `{"error":"unauthorized"}`.
 *
 * Tests steer it through `hooks`: `answer` computes the message content from the request (valid JSON, garbage, JSON
 * of the wrong shape), `delayMs` delays chat answers, `status` forces an `{"error"}` answer, `streamError` breaks a
 * stream after its first line, `raw` answers what Ollama never would, and `requests` records every request (method,
 * path, headers, parsed body).
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as http from "node:http"
import type { AddressInfo } from "node:net"

/** a chat request as the stand-in received it (parsed, not validated) */
export interface ChatBody {
  readonly model?: string
  readonly messages?: ReadonlyArray<{ readonly role: string; readonly content: string; readonly images?: ReadonlyArray<string> }>
  readonly format?: unknown
  readonly options?: { readonly temperature?: number; readonly seed?: number; readonly num_ctx?: number }
  readonly stream?: boolean
}

/** one request the stand-in received */
export interface Received {
  readonly method: string
  readonly path: string
  readonly headers: http.IncomingHttpHeaders
  /** the parsed JSON body; `undefined` for GETs and bodies that are not JSON */
  readonly body: unknown
}

/** what tests may change while the stand-in runs */
export interface Hooks {
  /** the content of the assistant's message for a chat request; by default `{}` */
  answer: (request: ChatBody) => string
  /** milliseconds to wait before answering a chat */
  delayMs: number
  /** when set, every chat answers this status with `{"error": errorText}` */
  status: number | undefined
  /** the error text of a forced status */
  errorText: string
  /** when set, a streamed chat sends its first line, then `{"error": streamError}`, and ends */
  streamError: string | undefined
  /** when set, a chat answers exactly this instead (what Ollama never sends: a proxy's page, a cut-off answer) */
  raw: { readonly status: number; readonly contentType: string; readonly body: string } | undefined
  /** when set, every request must carry `Authorization: Bearer <apiKey>` */
  apiKey: string | undefined
  /** every request received, in order */
  readonly requests: Array<Received>
}

export interface OllamaStandIn {
  /** the origin, e.g. `http://127.0.0.1:40123`, as `OLLAMA_HOST` would name it */
  readonly host: string
  readonly hooks: Hooks
  /** the bodies of the chat requests received, in order */
  readonly chats: () => ReadonlyArray<ChatBody>
}

export const version = "0.12.6"

/** Starts the stand-in on 127.0.0.1 (a free port) for the scope, with `models` installed. */
export const make = (
  options: { readonly models?: ReadonlyArray<string>; readonly apiKey?: string } = {}
): Effect.Effect<OllamaStandIn, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<{ server: http.Server; timers: Set<NodeJS.Timeout>; standIn: OllamaStandIn }>((resume) => {
      const models = (options.models ?? ["qwen2.5:7b"]).map(fullName)
      const hooks: Hooks = {
        answer: () => "{}",
        delayMs: 0,
        status: undefined,
        errorText: "an error was forced by the test",
        streamError: undefined,
        raw: undefined,
        apiKey: options.apiKey,
        requests: []
      }
      const timers = new Set<NodeJS.Timeout>()
      const later = (ms: number, f: () => void) => {
        if (ms <= 0) return f()
        const timer = setTimeout(() => {
          timers.delete(timer)
          f()
        }, ms)
        timers.add(timer)
      }

      const server = http.createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8")
          const body = parseJson(text)
          const path = new URL(req.url ?? "/", "http://localhost").pathname
          hooks.requests.push({ method: req.method ?? "GET", path, headers: req.headers, body: body.ok ? body.value : undefined })
          if (hooks.apiKey !== undefined && req.headers.authorization !== `Bearer ${hooks.apiKey}`) {
            return send(res, 401, { error: "unauthorized" })
          }
          if (path === "/api/version" && req.method === "GET") return send(res, 200, { version })
          if (path === "/api/tags" && req.method === "GET") return send(res, 200, { models: models.map(tagOf) })
          if (path !== "/api/chat") return sendText(res, 404, "404 page not found")
          if (req.method !== "POST") return sendText(res, 405, "405 method not allowed")
          if (!body.ok) return send(res, 400, { error: body.error })
          if (body.value === undefined) return send(res, 400, { error: "missing request body" })
          const chat = (typeof body.value === "object" && body.value !== null ? body.value : {}) as ChatBody
          if (typeof chat.model !== "string" || chat.model === "") return send(res, 400, { error: "model is required" })
          later(hooks.delayMs, () => {
            if (hooks.status !== undefined) return send(res, hooks.status, { error: hooks.errorText })
            if (hooks.raw !== undefined) return sendText(res, hooks.raw.status, hooks.raw.body, hooks.raw.contentType)
            if (!models.includes(fullName(chat.model!))) {
              return send(res, 404, { error: `model "${chat.model}" not found, try pulling it first` })
            }
            const content = hooks.answer(chat)
            if (chat.stream === false) return send(res, 200, { ...answerOf(chat.model!, content), ...statistics })
            stream(res, chat.model!, content, hooks.streamError)
          })
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({
          server,
          timers,
          standIn: {
            host: `http://127.0.0.1:${port}`,
            hooks,
            chats: () => hooks.requests.filter((r) => r.path === "/api/chat" && r.body !== undefined).map((r) => r.body as ChatBody)
          }
        }))
      })
    }),
    ({ server, timers }) =>
      Effect.callback<void>((resume) => {
        for (const timer of timers) clearTimeout(timer)
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ standIn }) => standIn))

// internal

/** `llama3.2` is `llama3.2:latest`, as Ollama resolves it */
const fullName = (model: string) => (model.includes(":") ? model : `${model}:latest`)

const tagOf = (name: string) => ({
  name,
  model: name,
  modified_at: "2025-09-30T12:00:00.000000000Z",
  size: 4_683_087_332,
  digest: "845dbda0ea48ed749caafd9e6037047aa19acfcfd82e704d7ca97d631a0b697e",
  details: {
    parent_model: "",
    format: "gguf",
    family: "qwen2",
    families: ["qwen2"],
    parameter_size: "7.6B",
    quantization_level: "Q4_K_M"
  }
})

const statistics = {
  total_duration: 5_191_566_416,
  load_duration: 2_154_458,
  prompt_eval_count: 26,
  prompt_eval_duration: 383_809_000,
  eval_count: 298,
  eval_duration: 4_799_921_000
}

const answerOf = (model: string, content: string) => ({
  model,
  created_at: new Date().toISOString(),
  message: { role: "assistant", content },
  done: true,
  done_reason: "stop"
})

/** the content in pieces of up to 8 characters, one NDJSON line each, then the closing line with the statistics */
const stream = (res: http.ServerResponse, model: string, content: string, error: string | undefined) => {
  if (res.destroyed) return
  res.writeHead(200, { "content-type": "application/x-ndjson" })
  const pieces = content.match(/[\s\S]{1,8}/g) ?? []
  for (const [i, piece] of pieces.entries()) {
    const line = { model, created_at: new Date().toISOString(), message: { role: "assistant", content: piece }, done: false }
    res.write(`${JSON.stringify(line)}\n`)
    if (i === 0 && error !== undefined) return res.end(`${JSON.stringify({ error })}\n`)
  }
  res.end(`${JSON.stringify({ ...answerOf(model, ""), ...statistics })}\n`)
}

const send = (res: http.ServerResponse, status: number, body: unknown) => {
  if (res.destroyed) return
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) })
  res.end(text)
}

const sendText = (res: http.ServerResponse, status: number, text: string, contentType = "text/plain") => {
  if (res.destroyed) return
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) })
  res.end(text)
}

/** the parsed body, or the error Ollama's Go decoder would name; an empty body is no body */
const parseJson = (text: string): { ok: true; value: unknown } | { ok: false; error: string } => {
  if (text === "") return { ok: true, value: undefined }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false, error: `invalid character '${text.trim()[0] ?? " "}' looking for beginning of value` }
  }
}
