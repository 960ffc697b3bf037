/**
 * The upstream server's search on the binary envelope (issue 15, item 2): a request with `limit` (as the upstream
 * client always sends it), or without `query`, searches the knowledge graph by `query` and/or MaRDI profile `type`
 * and answers upstream's `{operation, status, query, type, total_hits, limit, results: [{qid, title, snippet,
 * timestamp}]}`; on the objects held here when no MediaWiki is configured, on MediaWiki when it is. Our own search
 * (no `limit`) and DOIP v2.0's keep their shape.
 */
import { assert, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as DoipClient from "../../src/client/DoipClient.ts"
import * as MediaWikiKnowledgeGraph from "../../src/layers/knowledge/MediaWikiKnowledgeGraph.ts"
import * as MediaWikiStandIn from "../support/MediaWikiStandIn.ts"
import { layerClient, layerServer, token } from "../support/TestServer.ts"

const text = (s: string) => new TextEncoder().encode(s)

/** upstream's search request, as its client sends it, and the one metadata block of the answer */
const upstreamSearch = (attributes: Record<string, unknown>) =>
  Effect.gen(function*() {
    const client = yield* DoipClient.DoipClient
    const answer = yield* client.call({ operation: "search", authenticate: false, attributes })
    return answer.metadata[0]!
  })

layer(layerClient({ credentials: { token } }).pipe(Layer.provideMerge(layerServer())), { excludeTestServices: true })(
  "upstream's search on the objects held here",
  (it) => {
    it.effect("by words and profile type, in upstream's shape; a type alone; our own search unchanged", () =>
      Effect.gen(function*() {
        const client = yield* DoipClient.DoipClient
        yield* client.create({ id: "Q601", type: "Workflow", attributes: { content: { name: "Heat equation workflow", description: "solves the heat equation" } } }, [
          { id: "run.sh", mediaType: "text/plain", content: text("run") }
        ])
        yield* client.create({ id: "Q602", type: "ScholarlyArticle", attributes: { content: { name: "Heat equation paper" } } }, [])
        yield* client.create({ id: "Q603", type: "Workflow", attributes: { content: { name: "Wave workflow" } } }, [])

        const found = yield* upstreamSearch({ query: "heat", type: "workflow", limit: 10 })
        assert.deepStrictEqual(
          { ...found, results: (found["results"] as Array<any>).map(({ timestamp, ...rest }) => ({ ...rest, timestamp: typeof timestamp })) },
          {
            operation: "search",
            status: "ok",
            query: "heat",
            type: "workflow",
            total_hits: 1,
            limit: 10,
            size: 1,
            results: [{ id: "Q601", qid: "Q601", title: "Heat equation workflow", snippet: "solves the heat equation", timestamp: "string" }]
          }
        )
        const workflows = yield* upstreamSearch({ query: null, type: "workflow", limit: 10 })
        assert.deepStrictEqual((workflows["results"] as Array<any>).map((r) => r.qid), ["Q601", "Q603"])
        const publications = yield* upstreamSearch({ query: "heat", type: "publication", limit: 1 })
        assert.deepStrictEqual((publications["results"] as Array<any>).map((r) => r.qid), ["Q602"])
        const words = yield* upstreamSearch({ query: "heat equation", limit: 1 })
        assert.deepStrictEqual([words["total_hits"], words["size"], words["type"]], [1, 2, null])

        // our own (no limit): DOIP's query syntax and digital objects, as before
        const ours = yield* client.search("type:Workflow", { type: "id" })
        assert.deepStrictEqual(ours, { size: 2, results: ["Q601", "Q603"] })
      }))

    it.effect("bad requests: an unknown type, neither query nor type; a limit out of range is clamped, as upstream does", () =>
      Effect.gen(function*() {
        const client = yield* DoipClient.DoipClient
        const refused = (attributes: Record<string, unknown>) =>
          Effect.flip(client.call({ operation: "search", authenticate: false, attributes }))
        for (const attributes of [{ query: "x", type: "spaceship", limit: 10 }, { limit: 10 }]) {
          const error = yield* refused(attributes)
          assert.strictEqual(error._tag === "ServerError" && error.error, "BadRequest", JSON.stringify(attributes))
        }
        const clamped = yield* client.call({ operation: "search", authenticate: false, attributes: { query: "x", limit: 500 } })
        assert.strictEqual(clamped.metadata[0]!["limit"], 50)
      }))
  }
)

class StandIn extends Context.Service<StandIn, MediaWikiStandIn.MediaWikiStandIn>()("test/KnowledgeSearch/StandIn") {}

const layerServerOnMediaWiki = Layer.unwrap(Effect.gen(function*() {
  const standIn = yield* MediaWikiStandIn.make([
    { qid: "Q6190920", label: "Heat workflow", description: "MaRDI QIDQ6190920 heat", facets: [["P1460", "Q6534216"]] },
    { qid: "Q77", label: "Heat paper", facets: [["P1460", "Q5976449"]] }
  ])
  return layerServer({
    knowledgeGraph: MediaWikiKnowledgeGraph.layer({ apiUrl: standIn.apiUrl }).pipe(Layer.provide(FetchHttpClient.layer))
  }).pipe(Layer.merge(Layer.succeed(StandIn, standIn)))
}))


layer(layerClient({ credentials: { token } }).pipe(Layer.provideMerge(layerServerOnMediaWiki)), { excludeTestServices: true })(
  "upstream's search on MediaWiki",
  (it) => {
    it.effect("asks MediaWiki, and answers upstream's shape; MediaWiki down is Unavailable", () =>
      Effect.gen(function*() {
        const found = yield* upstreamSearch({ query: "heat", type: "workflow", limit: 10 })
        assert.deepStrictEqual(found["results"], [{
          id: "Q6190920",
          qid: "Q6190920",
          title: "Item:Q6190920",
          snippet: "Heat workflow MaRDI QIDQ6190920 heat",
          timestamp: "2024-02-02T12:00:00Z"
        }])
        const standIn = yield* StandIn
        standIn.hooks.status = 503
        const client = yield* DoipClient.DoipClient
        const down = yield* Effect.flip(client.call({ operation: "search", authenticate: false, attributes: { query: "heat", limit: 10 } }))
        assert.strictEqual(down._tag === "ServerError" && down.error, "Unavailable")
        assert.match(down.message, /^knowledge graph unavailable: MediaWiki search at <url> failed: /)
        standIn.hooks.status = undefined
      }))
  }
)
