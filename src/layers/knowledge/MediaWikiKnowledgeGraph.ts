/**
 * `KnowledgeGraph` over a MediaWiki's Action API (`MEDIAWIKI_API_URL`, e.g. `https://portal.mardi4nfdi.de/w/api.php`),
 * searched as the upstream server does.
 *
 * A search is `action=query&list=search&srsearch=…&srlimit=…&format=json`: with a type, one request per facet with
 * `haswbfacet:P1460=Q…` (CirrusSearch's Wikibase facet keyword) before the words; without one, the words alone in
 * namespace 120 (MaRDI's Item namespace). Results of all facets are merged in order, each QID once, up to the limit.
 * A result's QID comes from its title (`Item:Q123` in namespace 120, `Property:P1` in 122), else from a
 * `MaRDI QIDQ123` in its snippet, else from a `Q123` in a main-namespace title; results without one are skipped.
 * Snippets lose their markup (`<span class="searchmatch">`) and entities.
 *
 * Errors: no answer within the timeout, a non-2xx status, an API error (`{"error": {code, info}}` with 200) or an
 * answer that cannot be read are `Unavailable`, with what happened; never the URL's credentials.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import { redactUrl } from "../config/Redact.ts"
import { facetsOf, type Hit, KnowledgeGraph, KnowledgeGraphError, type SearchRequest } from "./KnowledgeGraph.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** the Action API endpoint, ending in `api.php` */
  readonly apiUrl: string
  /** how long one search request may take; default 15 seconds */
  readonly timeout?: Duration.Input | undefined
}

/**
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(options: Options) {
  const client = (yield* HttpClient.HttpClient).pipe(HttpClient.filterStatusOk)
  const timeout = Duration.fromInputUnsafe(options.timeout ?? "15 seconds")
  const shown = redactUrl(options.apiUrl)
  const unavailable = (why: string) =>
    new KnowledgeGraphError({ kind: "Unavailable", message: `MediaWiki search at ${shown} failed: ${why}` })

  /** one `list=search` request */
  const searchOnce = (srsearch: string, limit: number, namespace: string | undefined) =>
    client.execute(
      HttpClientRequest.get(options.apiUrl, {
        urlParams: {
          action: "query",
          list: "search",
          srsearch,
          srlimit: String(limit),
          format: "json",
          ...(namespace === undefined ? {} : { srnamespace: namespace })
        }
      }).pipe(HttpClientRequest.acceptJson)
    ).pipe(
      Effect.flatMap(HttpClientResponse.schemaBodyJson(SearchAnswer)),
      Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.fail(unavailable(`no answer within ${Duration.format(timeout)}`)) }),
      Effect.mapError((error) =>
        error instanceof KnowledgeGraphError
          ? error
          : unavailable(error._tag === "SchemaError" ? "an answer that is not a search result" : error.message)
      ),
      Effect.flatMap((answer) =>
        answer.error === undefined
          ? Effect.succeed(answer)
          : Effect.fail(unavailable(`${answer.error.code ?? "error"}: ${answer.error.info ?? ""}`.trim()))
      )
    )

  const search = (request: SearchRequest) =>
    Effect.gen(function*() {
      const query = request.query?.trim() ?? ""
      const type = request.type?.trim() ?? ""
      if (query === "" && type === "") {
        return yield* new KnowledgeGraphError({ kind: "BadRequest", message: `search needs a "query", a "type", or both` })
      }
      const facets = type === "" ? undefined : facetsOf(type)
      if (facets !== undefined && Result.isFailure(facets)) {
        return yield* new KnowledgeGraphError({ kind: "BadRequest", message: facets.failure })
      }
      const searches = facets === undefined
        ? [{ srsearch: query, namespace: "120" }]
        : facets.success.map(([property, qid]) => ({
          srsearch: `haswbfacet:${property}=${qid}${query === "" ? "" : ` ${query}`}`,
          namespace: undefined
        }))
      const seen = new Map<string, Hit>()
      let totalHits = 0
      for (const { namespace, srsearch } of searches) {
        const answer = yield* searchOnce(srsearch, request.limit, namespace)
        totalHits += answer.query?.searchinfo?.totalhits ?? 0
        for (const result of answer.query?.search ?? []) {
          const snippet = plainText(result.snippet ?? "")
          const title = result.title ?? ""
          const qid = qidOf(result.ns ?? 0, title, snippet)
          if (qid === undefined || seen.has(qid)) continue
          seen.set(qid, { qid, title, snippet, ...(result.timestamp === undefined ? {} : { timestamp: result.timestamp }) })
        }
      }
      return { totalHits, results: Array.from(seen.values()).slice(0, request.limit) }
    })

  return KnowledgeGraph.of({ kind: `MediaWiki at ${shown}`, search })
})

/**
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<KnowledgeGraph, never, HttpClient.HttpClient> =>
  Layer.effect(KnowledgeGraph, make(options))

/**
 * Whether the API answers: `action=query&meta=siteinfo`. Fails with what is wrong, for the operator.
 *
 * @category health
 * @since 0.1.0
 */
export const check = (apiUrl: string): Effect.Effect<void, string, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const response = yield* client.get(apiUrl, { urlParams: { action: "query", meta: "siteinfo", format: "json" } }).pipe(
      Effect.mapError((error) => `cannot connect (${error.message})`)
    )
    if (response.status !== 200) return yield* Effect.fail(`answered HTTP ${response.status}`)
  })

// internal

const SearchAnswer = Schema.Struct({
  query: Schema.optional(Schema.Struct({
    searchinfo: Schema.optional(Schema.Struct({ totalhits: Schema.optional(Schema.Number) })),
    search: Schema.optional(Schema.Array(Schema.Struct({
      ns: Schema.optional(Schema.Number),
      title: Schema.optional(Schema.String),
      snippet: Schema.optional(Schema.String),
      timestamp: Schema.optional(Schema.String)
    })))
  })),
  error: Schema.optional(Schema.Struct({ code: Schema.optional(Schema.String), info: Schema.optional(Schema.String) }))
})

const MARDI_QID = /MaRDI\s+QIDQ(\d+)/
const TITLE_QID = /\bQ(\d+)\b/

/** the QID a search result names, as upstream finds it; `undefined` when it names none */
const qidOf = (ns: number, title: string, snippet: string): string | undefined => {
  if (ns === 120 && title.startsWith("Item:Q")) return title.slice(5)
  if (ns === 122 && title.startsWith("Property:")) return title.slice(9)
  const inSnippet = MARDI_QID.exec(snippet)
  if (inSnippet !== null) return `Q${inSnippet[1]}`
  const inTitle = ns === 0 ? TITLE_QID.exec(title) : null
  return inTitle === null ? undefined : `Q${inTitle[1]}`
}

const entities: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'", nbsp: " " }

/** a snippet without its markup, its entities decoded */
const plainText = (html: string) =>
  html.replace(/<[^>]+>/g, "").replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]+);/gi, (whole, name: string) => {
    const code = name.startsWith("#x") || name.startsWith("#X")
      ? parseInt(name.slice(2), 16)
      : name.startsWith("#")
      ? parseInt(name.slice(1), 10)
      : undefined
    if (code === undefined) return entities[name.toLowerCase()] ?? whole
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole
  }).trim()
