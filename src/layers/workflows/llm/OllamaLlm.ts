/**
 * `Llm` over Ollama's HTTP API (BACKENDS.md, "Ollama"): `POST {host}/api/chat` without streaming, the answer's JSON
 * Schema in `format`, `GET {host}/api/version` for health.
 *
 * **Details**
 *
 * - Every chat asks for `stream: false`: Ollama streams NDJSON by default, and one JSON object is all a caller that
 *   validates the whole answer needs. Options are `temperature` (0 unless the request says otherwise), `seed` and,
 *   when configured, `num_ctx`.
 * - A configured API key (a remote or cloud host) goes out as `Authorization: Bearer <key>` on every call.
 * - Every call is bounded by `timeout`; running out interrupts the HTTP request, so Ollama stops generating.
 * - Errors (`LlmError`): connection failures, 5xx and 429 are `Unavailable`; other 4xx are `Rejected` with Ollama's
 *   `{"error": ...}` text (an unknown model is a 404 `model "x" not found, try pulling it first`); a 200 that is not
 *   Ollama's answer shape, or an answer cut off before `done` (`done_reason: "length"`: the context was too short),
 *   is `Malformed`; an `{"error"}` body with a 200 is `Unavailable` (the model failed while answering).
 * - Nothing is retried: a chat is slow and costly, and the caller (refining) has a fallback.
 *
 * @since 0.1.0
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { flow } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import { type ChatRequest, Llm, LlmError } from "./Llm.ts"
import { redactUrl } from "../../config/Redact.ts"
import type { Settings } from "../../config/ServerConfig.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** Ollama's origin, for example `http://127.0.0.1:11434` (a trailing `/` or `/api` is accepted) */
  readonly host: string
  /** the model to chat with, as `ollama list` names it, e.g. `qwen2.5:7b` */
  readonly model: string
  /** sent as a bearer token; for a remote or cloud host */
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** how long one call (answer and body) may take; default 60 seconds */
  readonly timeout?: Duration.Input | undefined
  /** whether the model reads images (a vision model); default false */
  readonly acceptsImages?: boolean | undefined
  /** the context length to ask for (`options.num_ctx`); Ollama's own default when absent */
  readonly numCtx?: number | undefined
}

/**
 * The options the settings ask for, or `undefined` when no model is configured (then there is nothing to refine
 * with, and workflows keep their heuristic results).
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromSettings = (settings: Settings): Options | undefined => {
  const { host, model, apiKey, timeoutSeconds, acceptsImages } = settings.ollama
  if (Option.isNone(model)) return undefined
  return {
    host,
    model: model.value,
    apiKey: Option.getOrUndefined(apiKey),
    timeout: Duration.seconds(timeoutSeconds),
    acceptsImages
  }
}

/**
 * An `Llm` talking to Ollama. It starts without calling Ollama: an unreachable model service must not keep the server
 * from starting (`check` says what is wrong).
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(options: Options) {
  const call = caller(yield* HttpClient.HttpClient, options)
  const host = redactUrl(origin(options.host))

  const chat = Effect.fn("OllamaLlm.chat")(function*(request: ChatRequest) {
    const body = {
      model: options.model,
      messages: request.messages.map(({ role, content, images }) =>
        images === undefined || images.length === 0 ? { role, content } : { role, content, images }
      ),
      format: request.format,
      options: {
        temperature: request.temperature ?? 0,
        ...(request.seed === undefined ? {} : { seed: request.seed }),
        ...(options.numCtx === undefined ? {} : { num_ctx: options.numCtx })
      },
      stream: false
    }
    const answer = yield* call(
      HttpClientRequest.post("/api/chat").pipe(HttpClientRequest.bodyJsonUnsafe(body)),
      ChatAnswer,
      `chat with ${options.model}`
    )
    if (!answer.done || answer.done_reason === "length") {
      return yield* new LlmError({
        kind: "Malformed",
        message: `Ollama at ${host} cut the answer of ${options.model} off (done_reason: ${
          answer.done_reason ?? "none"
        }); a longer context (num_ctx) may help`
      })
    }
    return answer.message.content
  })

  const health = Effect.map(call(HttpClientRequest.get("/api/version"), Version, "version"), (v) => v.version)

  return Llm.of({ model: options.model, acceptsImages: options.acceptsImages ?? false, chat, health })
})

/**
 * Whether Ollama works for the server: it answers `GET /api/version`, and `GET /api/tags` lists the configured
 * model. Fails with what is wrong, for the operator.
 *
 * @category health
 * @since 0.1.0
 */
export const check = (options: Options): Effect.Effect<void, string, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const llm = yield* make(options)
    yield* Effect.mapError(llm.health, (error) => error.message)
    const call = caller(yield* HttpClient.HttpClient, options)
    const tags = yield* call(HttpClientRequest.get("/api/tags"), Tags, "model listing").pipe(
      Effect.mapError((error) => error.message)
    )
    const names = tags.models.flatMap((m) => [m.name, m.model ?? m.name])
    // `ollama pull qwen2.5` installs `qwen2.5:latest`, and both names reach the same model
    if (!names.includes(options.model) && !names.includes(`${options.model}:latest`)) {
      return yield* Effect.fail(
        `model ${options.model} is not installed on ${redactUrl(origin(options.host))} (ollama pull ${options.model}); ` +
          `installed: ${tags.models.map((m) => m.name).join(", ") || "none"}`
      )
    }
  })

/**
 * An `Llm` over Ollama; needs an `HttpClient` (on Node 20, `NodeHttpClient.layerNodeHttp` or `FetchHttpClient.layer`).
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<Llm, never, HttpClient.HttpClient> =>
  Layer.effect(Llm, make(options))

/**
 * An `Llm` over Ollama, talking HTTP through Node's `http` module.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerNode = (options: Options): Layer.Layer<Llm> =>
  layer(options).pipe(Layer.provide(NodeHttpClient.layerNodeHttp))

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

/** Ollama's non-streaming chat answer; other fields (durations, token counts) are not needed */
const ChatAnswer = Schema.Struct({
  model: Schema.String,
  message: Schema.Struct({ role: Schema.String, content: Schema.String }),
  done: Schema.Boolean,
  done_reason: Schema.optional(Schema.String)
})

const Version = Schema.Struct({ version: Schema.String })

const Tags = Schema.Struct({
  models: Schema.Array(Schema.Struct({ name: Schema.String, model: Schema.optional(Schema.String) }))
})

const ErrorBody = Schema.Struct({ error: Schema.String })
const decodeErrorBody = Schema.decodeUnknownOption(ErrorBody)
const decodeErrorText = Schema.decodeUnknownOption(Schema.fromJsonString(ErrorBody))

/** `http://host:11434`, whether the configured host ends in `/`, `/api` or neither */
const origin = (host: string) => host.trim().replace(/\/+$/, "").replace(/\/api$/, "")

/**
 * Calls Ollama (its origin prefixed, the bearer token added when there is a key): the decoded 2xx body of a call, or
 * the LlmError its status, failure or lateness means.
 */
const caller = (httpClient: HttpClient.HttpClient, options: Options) => {
  const host = origin(options.host)
  // what the errors say: the host without the user info it may carry
  const shown = redactUrl(host)
  const timeout = Duration.fromInputUnsafe(options.timeout ?? "60 seconds")
  const client = httpClient.pipe(HttpClient.mapRequest(flow(
    HttpClientRequest.prependUrl(host),
    HttpClientRequest.acceptJson,
    options.apiKey === undefined ? (request) => request : HttpClientRequest.bearerToken(options.apiKey)
  )))
  return <S extends Schema.Constraint>(
    request: HttpClientRequest.HttpClientRequest,
    schema: S,
    what: string
  ): Effect.Effect<S["Type"], LlmError, S["DecodingServices"]> =>
    client.execute(request).pipe(
      Effect.flatMap((response) =>
        response.status >= 200 && response.status < 300
          ? Effect.flatMap(response.json, (body) => decodeAnswer(schema, body, shown, what))
          : failure(response, shown, what)
      ),
      Effect.timeout(timeout),
      Effect.mapError((error) => toLlmError(error, shown, what, timeout))
    )
}

/** a 2xx body: the expected shape, or Ollama's `{"error"}` (the model failed after the status was sent), or garbage */
const decodeAnswer = <S extends Schema.Constraint>(
  schema: S,
  body: unknown,
  host: string,
  what: string
): Effect.Effect<S["Type"], LlmError, S["DecodingServices"]> => {
  const error = decodeErrorBody(body)
  if (Option.isSome(error)) {
    return Effect.fail(new LlmError({ kind: "Unavailable", message: `Ollama at ${host} failed the ${what}: ${error.value.error}` }))
  }
  return Schema.decodeUnknownEffect(schema)(body).pipe(
    Effect.mapError((issue) =>
      new LlmError({
        kind: "Malformed",
        message: `Ollama at ${host} gave an answer of the wrong shape for the ${what}: ${firstLine(issue.message)}`
      })
    )
  )
}

/** the LlmError a non-2xx answer means, with Ollama's `{"error"}` text when it sends one */
const failure = (
  response: HttpClientResponse.HttpClientResponse,
  host: string,
  what: string
): Effect.Effect<never, LlmError> =>
  response.text.pipe(
    Effect.map((text) => Option.match(decodeErrorText(text), { onNone: () => text.trim().slice(0, 200), onSome: (b) => b.error })),
    Effect.orElseSucceed(() => ""),
    Effect.flatMap((detail) => {
      const status = response.status
      const said = `Ollama at ${host} answered HTTP ${status} to the ${what}${detail === "" ? "" : `: ${detail}`}`
      // 429 is Ollama (or a proxy in front of it) being busy: a later call may work, as with a 5xx
      if (status >= 500 || status === 429) return Effect.fail(new LlmError({ kind: "Unavailable", message: said, status }))
      const hint = status === 401 || status === 403 ? " (check OLLAMA_API_KEY, ollama.apiKey in config.yaml)" : ""
      return Effect.fail(new LlmError({ kind: "Rejected", message: `${said}${hint}`, status }))
    })
  )

const toLlmError = (
  error: LlmError | HttpClientError.HttpClientError | Cause.TimeoutError,
  host: string,
  what: string,
  timeout: Duration.Duration
): LlmError => {
  if (error._tag === "LlmError") return error
  if (Cause.isTimeoutError(error)) {
    return new LlmError({ kind: "Timeout", message: `Ollama at ${host} gave no answer to the ${what} within ${Duration.format(timeout)}` })
  }
  switch (error.reason._tag) {
    case "DecodeError":
    case "EmptyBodyError":
      return new LlmError({
        kind: "Malformed",
        message: `Ollama at ${host} answered the ${what} with a body that is not JSON`,
        status: error.response?.status
      })
    case "TransportError":
      return new LlmError({ kind: "Unavailable", message: `cannot connect to Ollama at ${host} (${error.message})` })
    default:
      return new LlmError({ kind: "Unavailable", message: `the ${what} with Ollama at ${host} failed: ${error.message}` })
  }
}

const firstLine = (text: string) => text.split("\n")[0] ?? text
