/**
 * The `Llm` contract: one chat call to a language model that must answer JSON of a given shape, which is what
 * workflows (equation refining) need from a model, and nothing more.
 *
 * The model's answer is returned as the raw text of its message: the caller parses and validates it, because only
 * the caller knows what a good answer is, and a model that answers well-formed JSON of the wrong content is not a
 * transport failure. Implementations: `OllamaLlm` (Ollama's HTTP API); tests use it against an in-process stand-in.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

/**
 * One message of a chat.
 *
 * @category models
 * @since 0.1.0
 */
export interface Message {
  readonly role: "system" | "user" | "assistant"
  readonly content: string
  /** base64-encoded images (PNG or JPEG) for a vision model; ignored by models that do not see */
  readonly images?: ReadonlyArray<string> | undefined
}

/**
 * One chat call.
 *
 * @category models
 * @since 0.1.0
 */
export interface ChatRequest {
  readonly messages: ReadonlyArray<Message>
  /** the JSON Schema the answer must follow (structured output); the model's text is still only JSON, not checked */
  readonly format: Readonly<Record<string, unknown>>
  /** sampling temperature; 0 (the default) for answers that repeat */
  readonly temperature?: number | undefined
  /** the sampling seed, so equal requests give equal answers */
  readonly seed?: number | undefined
}

/**
 * Why a chat call failed.
 *
 * - `Unavailable`: the model service cannot be reached or failed itself (connection refused, 5xx, too many
 *   requests); a later call may work.
 * - `Timeout`: no complete answer within the call's time limit.
 * - `Rejected`: the service refused the request (4xx: unknown model, bad credentials, bad request); `message` carries
 *   the service's own error text. Repeating the call will not help.
 * - `Malformed`: the service answered, but not in its answer shape (not JSON, fields missing, answer cut off).
 *
 * @category errors
 * @since 0.1.0
 */
export class LlmError extends Schema.TaggedError<LlmError>()("LlmError", {
  kind: Schema.Literals(["Unavailable", "Timeout", "Rejected", "Malformed"]),
  message: Schema.String,
  /** the HTTP status, when the service answered with one */
  status: Schema.optional(Schema.Number)
}) {}

/**
 * @category services
 * @since 0.1.0
 */
export class Llm extends Context.Service<Llm, {
  /** the model every call goes to, e.g. `qwen2.5:7b`; results record it */
  readonly model: string
  /** whether the model reads `images`; callers send none otherwise */
  readonly acceptsImages: boolean
  /** the text of the model's answer to `request` */
  readonly chat: (request: ChatRequest) => Effect.Effect<string, LlmError>
  /** succeeds with the service's version when it answers; for the server's dependency health */
  readonly health: Effect.Effect<string, LlmError>
}>()("effect-doip/layers/Llm") {}
