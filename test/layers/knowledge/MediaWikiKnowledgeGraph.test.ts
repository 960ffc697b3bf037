/**
 * `MediaWikiKnowledgeGraph` against the MediaWiki stand-in: the requests upstream makes (facets for a type, namespace
 * 120 without one, one request per facet of `software`), QIDs and plain snippets from the answers, each QID once, the
 * limit; and its failures (down, 5xx, slow, an API error, a bad type) as `KnowledgeGraphError`s.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as MediaWikiKnowledgeGraph from "../../../src/layers/knowledge/MediaWikiKnowledgeGraph.ts"
import * as MediaWikiStandIn from "../../support/MediaWikiStandIn.ts"

const items: ReadonlyArray<MediaWikiStandIn.Item> = [
  { qid: "Q101", label: "Heat equation workflow", description: "solves u_t = Δu & <friends>", facets: [["P1460", "Q6534216"]] },
  { qid: "Q102", label: "Wave equation workflow", facets: [["P1460", "Q6534216"]] },
  { qid: "Q103", label: "Heat equation paper", facets: [["P1460", "Q5976449"]] },
  { qid: "Q104", label: "heat solver app", facets: [["P1460", "Q5976450"]] },
  { qid: "Q105", label: "heat solver source", facets: [["P31", "Q57080"]] },
  { qid: "Q106", label: "both kinds of heat software", facets: [["P1460", "Q5976450"], ["P31", "Q57080"]] }
]

const withGraph = <A, E>(
  use: (
    graph: Effect.Success<ReturnType<typeof MediaWikiKnowledgeGraph.make>>,
    standIn: MediaWikiStandIn.MediaWikiStandIn
  ) => Effect.Effect<A, E>,
  timeout?: Duration.Input
) =>
  Effect.gen(function*() {
    const standIn = yield* MediaWikiStandIn.make(items)
    const graph = yield* MediaWikiKnowledgeGraph.make({ apiUrl: standIn.apiUrl, timeout }).pipe(Effect.provide(FetchHttpClient.layer))
    return yield* use(graph, standIn)
  }).pipe(Effect.scoped)

describe("MediaWikiKnowledgeGraph", () => {
  it.live("a type searches its facet, words after it; QIDs, plain snippets and timestamps come back", () =>
    withGraph((graph, standIn) =>
      Effect.gen(function*() {
        const found = yield* graph.search({ query: "heat", type: "workflow", limit: 10 })
        assert.deepStrictEqual(found, {
          totalHits: 1,
          results: [{
            qid: "Q101",
            title: "Item:Q101",
            snippet: "Heat equation workflow solves u_t = Δu & <friends>",
            timestamp: "2024-02-02T12:00:00Z"
          }]
        })
        const sent = new URLSearchParams(standIn.hooks.requests.at(-1)!)
        assert.deepStrictEqual(Object.fromEntries(sent), {
          action: "query",
          list: "search",
          srsearch: "haswbfacet:P1460=Q6534216 heat",
          srlimit: "10",
          format: "json"
        })
        // a raw QID is a type too; no words at all is the facet alone
        const byQid = yield* graph.search({ type: "Q6534216", limit: 10 })
        assert.deepStrictEqual(byQid.results.map((r) => r.qid), ["Q101", "Q102"])
      })))

  it.live("without a type: the words in namespace 120; the limit holds", () =>
    withGraph((graph, standIn) =>
      Effect.gen(function*() {
        const found = yield* graph.search({ query: "heat", limit: 2 })
        assert.deepStrictEqual(found.results.map((r) => r.qid), ["Q101", "Q103"])
        assert.strictEqual(found.totalHits, 5)
        assert.strictEqual(new URLSearchParams(standIn.hooks.requests.at(-1)!).get("srnamespace"), "120")
      })))

  it.live("software spans three facets: one request each, each QID once", () =>
    withGraph((graph, standIn) =>
      Effect.gen(function*() {
        const before = standIn.hooks.requests.length
        const found = yield* graph.search({ query: "heat", type: "software", limit: 10 })
        assert.deepStrictEqual(found.results.map((r) => r.qid), ["Q104", "Q106", "Q105"])
        assert.deepStrictEqual(
          standIn.hooks.requests.slice(before).map((q) => new URLSearchParams(q).get("srsearch")),
          ["haswbfacet:P1460=Q5976450 heat", "haswbfacet:P31=Q57080 heat", "haswbfacet:P31=Q56605 heat"]
        )
      })))

  it.live("a bad request is BadRequest, before anything is sent", () =>
    withGraph((graph, standIn) =>
      Effect.gen(function*() {
        const unknown = yield* Effect.flip(graph.search({ query: "x", type: "spaceship", limit: 10 }))
        assert.strictEqual(unknown.kind, "BadRequest")
        assert.match(unknown.message, /unknown type "spaceship"; known types: academic_discipline, algorithm/)
        const nothing = yield* Effect.flip(graph.search({ query: " ", limit: 10 }))
        assert.strictEqual(nothing.kind, "BadRequest")
        assert.lengthOf(standIn.hooks.requests, 0)
      })))

  it.live("down, 5xx, slow, or an API error: Unavailable, saying which", () =>
    withGraph((graph, standIn) =>
      Effect.gen(function*() {
        standIn.hooks.status = 502
        const gateway = yield* Effect.flip(graph.search({ query: "heat", limit: 10 }))
        assert.strictEqual(gateway.kind, "Unavailable")
        assert.match(gateway.message, /^MediaWiki search at http:\/\/127\.0\.0\.1:\d+\/w\/api\.php failed: .*502/)
        standIn.hooks.status = undefined
        standIn.hooks.apiError = { code: "internal_api_error_DBQueryError", info: "database trouble" }
        const apiError = yield* Effect.flip(graph.search({ query: "heat", limit: 10 }))
        assert.deepStrictEqual(
          [apiError.kind, apiError.message.replace(/^.*failed: /, "")],
          ["Unavailable", "internal_api_error_DBQueryError: database trouble"]
        )
        standIn.hooks.apiError = undefined
        standIn.hooks.delayMs = 500
        const slow = yield* Effect.flip(graph.search({ query: "heat", limit: 10 }))
        assert.match(slow.message, /no answer within 200ms/)
      }), "200 millis"))

  it.live("a MediaWiki that is not there: Unavailable", () =>
    Effect.gen(function*() {
      const graph = yield* MediaWikiKnowledgeGraph.make({ apiUrl: "http://127.0.0.1:1/w/api.php" }).pipe(
        Effect.provide(FetchHttpClient.layer)
      )
      const down = yield* Effect.flip(graph.search({ query: "heat", limit: 10 }))
      assert.strictEqual(down.kind, "Unavailable")
    }))
})
