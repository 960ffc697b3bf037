/**
 * search, two ways.
 *
 * **DOIP v2.0's** (on DOIP v2.0, and on the binary envelope without `limit`): the objects storage holds, as digital
 * objects, filtered by a query (see `SearchQuery.ts`), sorted and paged: attributes `query` (required), `pageNum`
 * (0-based, default 0), `pageSize` (default -1: all), `sortFields` (`"field ASC,other DESC"`), `type` (`"id"` for
 * ids only, `"full"` for whole objects, another value an object type to filter by). The answer is `{size, results}`
 * with `size` the number of matches before paging.
 *
 * **The upstream server's** (the binary envelope and the compat framing, when the request has `limit`, as the
 * upstream client always sends it, or no `query`): the knowledge graph (`KnowledgeGraph`: MediaWiki when
 * configured, else the objects held here) searched by `query` and/or `type` (a MaRDI profile type or a QID), `limit`
 * 1–50 (default 10; clamped, as upstream does). The answer is upstream's `{operation, status: "ok", query, type, total_hits, limit,
 * results: [{qid, title, snippet, timestamp}]}`, with `size` beside it (the hits before `limit`) and each result's
 * `id`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { builtin } from "../../protocol/OperationCodes.ts"
import * as DigitalObject from "../../protocol/DigitalObject.ts"
import { badRequest } from "../../protocol/DoipError.ts"
import { dualResponse, type DoipRequest, metadataResponse } from "../../protocol/DoipMessage.ts"
import * as EmbeddedKnowledgeGraph from "../../layers/knowledge/EmbeddedKnowledgeGraph.ts"
import { DEFAULT_LIMIT, KnowledgeGraph, MAX_LIMIT } from "../../layers/knowledge/KnowledgeGraph.ts"
import { FdoFacade, manifestsOf } from "../../layers/metadata/FdoFacade.ts"
import { Storage } from "../../layers/storage/Storage.ts"
import type { Operation } from "../OperationRegistry.ts"
import { optionalString } from "./Requests.ts"
import { compareBy, matches, parseQuery, parseSortFields, type Term } from "./SearchQuery.ts"

/**
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const configured = yield* Effect.serviceOption(KnowledgeGraph)
  const storage = yield* Storage
  const facade = yield* FdoFacade
  // MediaWiki when the server is configured with one; else the objects held here
  const graph = Option.isSome(configured) ? configured.value : yield* EmbeddedKnowledgeGraph.make

  /** upstream's search: the knowledge graph, in upstream's answer shape */
  const searchGraph = Effect.fnUntraced(function*(request: DoipRequest) {
    const query = (yield* optionalString(request, "query"))?.trim() ?? ""
    const type = (yield* optionalString(request, "type"))?.trim() ?? ""
    // clamped to 1-50, as upstream does, rather than refused
    const limit = Math.max(1, Math.min(MAX_LIMIT, yield* integer(request, "limit", DEFAULT_LIMIT)))
    const found = yield* graph.search({ query, type, limit })
    return metadataResponse({
      operation: "search",
      status: "ok",
      query,
      type: type === "" ? null : type,
      total_hits: found.results.length,
      limit,
      size: found.totalHits,
      results: found.results.map((hit) => ({ id: hit.qid, ...hit }))
    })
  })

  return {
    ...builtin("search"),
    target: "service",
    handler: Effect.fnUntraced(function*(request) {
      if (request.endpoint.framing !== "doip2" && (request.attributes["limit"] !== undefined || request.attributes["query"] == null)) {
        return yield* searchGraph(request)
      }
      const query = yield* optionalString(request, "query")
      if (query === undefined) return yield* badRequest(`search needs a "query" attribute ("*" matches everything)`)
      const pageNum = yield* integer(request, "pageNum", 0)
      const pageSize = yield* integer(request, "pageSize", -1)
      if (pageNum < 0) return yield* badRequest(`"pageNum" must be 0 or more, got ${pageNum}`)
      const sortFields = parseSortFields((yield* optionalString(request, "sortFields")) ?? "")
      if (typeof sortFields === "string") return yield* badRequest(sortFields)
      const type = (yield* optionalString(request, "type")) ?? "full"
      const terms: ReadonlyArray<Term> = [
        ...parseQuery(query),
        ...(type === "id" || type === "full" ? [] : [{ field: "type", value: type.toLowerCase() }])
      ]
      const objects = (yield* manifestsOf(storage, facade)).map(([id, manifest]) => DigitalObject.fromManifest(id, manifest))
      const found = objects.filter((o) => matches(o, terms))
      if (sortFields.length > 0) found.sort(compareBy(sortFields))
      const page = pageSize < 0 ? found : found.slice(pageNum * pageSize, (pageNum + 1) * pageSize)
      const results = type === "id" ? page.map((o) => o.id) : page
      return dualResponse(
        { operation: "search", query, size: found.length, results },
        { size: found.length, results }
      )
    })
  } satisfies Operation
})

const integer = (request: DoipRequest, key: string, fallback: number) => {
  const value = request.attributes[key]
  if (value === undefined || value === null) return Effect.succeed(fallback)
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value
  return typeof number === "number" && Number.isInteger(number)
    ? Effect.succeed(number)
    : Effect.fail(badRequest(`"${key}" must be an integer, got ${JSON.stringify(value)}`))
}
