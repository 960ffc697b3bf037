/**
 * `ItemWriter` over MaRDI's importer service (`IMPORTER_API_URL`), as the upstream server writes items:
 *
 * - create: `GET {url}/health` (a down importer is told apart from a refused item), then `POST {url}/create/item`
 *   with the item and the writer's `username` and `password`; the answer's `qid` is the new item.
 * - properties: `POST {url}/update/item` with `{qid, username, password, ...properties}`; a 409 means a property is
 *   set already: `Conflict`, naming the values the item has (`existing_values`).
 *
 * Errors: 401 `Unauthorized` (the importer refused the writer), 403 `Forbidden`, 404 `NotFound` (no such item),
 * other 4xx `BadRequest` with the importer's message, 5xx, timeouts and unreadable answers `Unavailable`. The password goes to the importer only, never into a
 * message or the log.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import type { ItemWriter, NewItem, WikiWriter } from "./KnowledgeGraph.ts"
import { allPropertyIds, KnowledgeGraphError } from "./KnowledgeGraph.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** the importer's base URL, e.g. `http://importer:8000` */
  readonly url: string
  /** how long a call may take; default 30 seconds */
  readonly timeout?: Duration.Input | undefined
}

/**
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(options: Options) {
  const client = yield* HttpClient.HttpClient
  const base = options.url.replace(/\/+$/, "")
  const timeout = Duration.fromInputUnsafe(options.timeout ?? "30 seconds")
  const fail = (kind: KnowledgeGraphError["kind"], message: string) => new KnowledgeGraphError({ kind, message })

  /** `request`'s answer, or the error a failed call means; `what` names the call in messages */
  const call = (request: HttpClientRequest.HttpClientRequest, what: string) =>
    client.execute(request).pipe(
      Effect.timeoutOrElse({
        duration: timeout,
        orElse: () => Effect.fail(fail("Unavailable", `the importer's ${what} gave no answer within ${Duration.format(timeout)}`))
      }),
      Effect.mapError((error) =>
        error instanceof KnowledgeGraphError ? error : fail("Unavailable", `the importer's ${what} failed (${error.reason._tag})`)
      )
    )

  /** the importer's own word on a refusal: `error`, `detail` or `message` of its JSON, else the status */
  const refusal = (response: HttpClientResponse.HttpClientResponse, what: string) =>
    Effect.flatMap(Effect.orElseSucceed(response.json, () => ({})), (body) => {
      const said = messageOf(body)
      const status = response.status
      const text = `the importer refused the ${what} (HTTP ${status})${said === undefined ? "" : `: ${said}`}`
      if (status === 401) return Effect.fail(fail("Unauthorized", text))
      if (status === 403) return Effect.fail(fail("Forbidden", text))
      if (status === 404) return Effect.fail(fail("NotFound", text))
      if (status === 409) {
        const existing = (body as { readonly existing_values?: unknown }).existing_values
        return Effect.fail(fail("Conflict", `${text}; the item has ${JSON.stringify(existing ?? [])}`))
      }
      return Effect.fail(fail(status >= 500 ? "Unavailable" : "BadRequest", text))
    })

  const withWriter = (writer: WikiWriter) => ({ username: writer.username, password: Redacted.value(writer.password) })

  const create = (item: NewItem, writer: WikiWriter): Effect.Effect<string, KnowledgeGraphError> =>
    Effect.gen(function*() {
      const health = yield* call(HttpClientRequest.get(`${base}/health`), "health check")
      if (health.status < 200 || health.status > 299) {
        return yield* fail("Unavailable", `the importer is not healthy (HTTP ${health.status})`)
      }
      const answer = yield* call(
        HttpClientRequest.post(`${base}/create/item`).pipe(HttpClientRequest.bodyJsonUnsafe({ ...item, ...withWriter(writer) })),
        "create/item"
      )
      if (answer.status < 200 || answer.status > 299) return yield* refusal(answer, "new item")
      const body = yield* Effect.mapError(answer.json, () => fail("Unavailable", "the importer's create/item answer is not JSON"))
      const qid = (body as { readonly qid?: unknown }).qid
      if (typeof qid !== "string" || !/^Q[0-9]+$/.test(qid)) {
        return yield* fail("Unavailable", `the importer's create/item answer names no QID (${JSON.stringify(qid ?? null)})`)
      }
      return qid
    })

  const updateProperties = (qid: string, properties: Readonly<Record<string, unknown>>, writer: WikiWriter) =>
    Effect.gen(function*() {
      // the checked writer's credentials, never ones the caller slipped into the properties (they would let a
      // logged-in user guess other users' passwords at the importer, past the guessing throttle)
      const { password: _p, qid: _q, token: _t, username: _u, ...rest } = properties
      const answer = yield* call(
        HttpClientRequest.post(`${base}/update/item`).pipe(HttpClientRequest.bodyJsonUnsafe({ ...rest, qid, ...withWriter(writer) })),
        "update/item"
      )
      if (answer.status < 200 || answer.status > 299) return yield* refusal(answer, `update of ${qid}`)
    })

  return { create, updateProperties } satisfies ItemWriter
})

/**
 * The properties of an update, as upstream's CLI sends them: a JSON object passed on to the importer as it is
 * (`{"claims": {"P16": ...}}`, `{"label": ...}`, `{"P28": ...}`, `do_override`), whose claims, wherever they are, are
 * keyed by property ids; a message otherwise.
 *
 * @category parsing
 * @since 0.1.0
 */
export const checkProperties = (input: unknown): Result.Result<Readonly<Record<string, unknown>>, string> => {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return Result.fail(`got ${JSON.stringify(input)}`)
  const properties = input as Readonly<Record<string, unknown>>
  const direct = Object.fromEntries(Object.entries(properties).filter(([key]) => /^P/.test(key)))
  return allPropertyIds(direct) && allPropertyIds(properties["claims"])
    ? Result.succeed(properties)
    : Result.fail("claims and their qualifiers must be keyed by property ids (P<digits>)")
}

// internal

const messageOf = (body: unknown): string | undefined => {
  if (typeof body !== "object" || body === null) return undefined
  for (const key of ["error", "detail", "message"]) {
    const value = (body as Record<string, unknown>)[key]
    if (typeof value === "string" && value !== "") return value.slice(0, 500)
  }
  return undefined
}
