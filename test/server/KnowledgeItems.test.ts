/**
 * Upstream's create and property update (issue 15, item 2): `create` with `{json}` makes a knowledge-graph item
 * through MaRDI's importer (the stand-in) with the writer's wiki user name and bot password, after checking the item
 * with Schema; `update` with `{properties}` sets properties through it, a property set already being a `Conflict`
 * that names the values. Without an importer, create makes an object of this server with no elements, and a
 * property update is refused as unsupported.
 */
import { assert, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as DoipClient from "../../src/client/DoipClient.ts"
import * as EmbeddedKnowledgeGraph from "../../src/layers/knowledge/EmbeddedKnowledgeGraph.ts"
import * as ImporterItems from "../../src/layers/knowledge/ImporterItems.ts"
import { KnowledgeGraph } from "../../src/layers/knowledge/KnowledgeGraph.ts"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as ImporterStandIn from "../support/ImporterStandIn.ts"
import { layerClient, layerServer } from "../support/TestServer.ts"

const writer = { username: "Alice@doip", password: "alice-bot-secret" }
const settings = { auth: { username: writer.username, password: writer.password } }

class StandIn extends Context.Service<StandIn, ImporterStandIn.ImporterStandIn>()("test/KnowledgeItems/StandIn") {}

/** the embedded graph, with the importer stand-in's items */
const layerServerWithImporter = Layer.unwrap(Effect.gen(function*() {
  const standIn = yield* ImporterStandIn.make({ [writer.username]: writer.password })
  const graph = Layer.effect(
    KnowledgeGraph,
    Effect.gen(function*() {
      const items = yield* ImporterItems.make({ url: standIn.url, timeout: "2 seconds" })
      return KnowledgeGraph.of({ ...(yield* EmbeddedKnowledgeGraph.make), items })
    })
  ).pipe(Layer.provide(FetchHttpClient.layer))
  return layerServer({ settings, knowledgeGraph: graph }).pipe(Layer.merge(Layer.succeed(StandIn, standIn)))
}))

const call = (attributes: Record<string, unknown>, operation: string, targetId?: string) =>
  Effect.gen(function*() {
    const client = yield* DoipClient.DoipClient
    return yield* client.call({ operation, targetId, attributes })
  })

layer(layerClient({ credentials: writer }).pipe(Layer.provideMerge(layerServerWithImporter)), { excludeTestServices: true })(
  "upstream's create and property update through the importer",
  (it) => {
    it.effect("create: checked, sent with the writer's credentials, answered with the new QID", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn
        const item = { label: "Heat kernel", description: "a fundamental solution", claims: { P31: "Q5", P28: [{ value: "2024", qualifiers: { P1: 1 } }] } }
        const answer = yield* call({ json: JSON.stringify(item) }, "create")
        assert.deepStrictEqual(answer.metadata[0], { operation: "create", status: "created", qid: "Q9000000", objectId: "Q9000000" })
        assert.deepStrictEqual(standIn.hooks.posted.at(-1), { path: "/create/item", body: { ...item, ...writer } })
      }))

    it.effect("create: an item that is not one is refused before anything is sent", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn
        const before = standIn.hooks.posted.length
        for (const json of ['{"claims":{"P1":"x"}}', '{"label":"x","claims":{"name":"x"}}', '{"label":"x","claims":{"P1":[true]}}', "not json", "[1]"]) {
          const error = yield* Effect.flip(call({ json }, "create"))
          assert.strictEqual(error._tag === "ServerError" && error.error, "BadRequest", json)
        }
        assert.strictEqual(standIn.hooks.posted.length, before)
      }))

    it.effect("properties: set through the importer; set again, a Conflict naming the values it has", () =>
      Effect.gen(function*() {
        const created = yield* call({ json: JSON.stringify({ label: "Wave equation" }) }, "create")
        const qid = created.metadata[0]!["qid"] as string
        const answer = yield* call({ properties: { P28: "2024-01-15" } }, "update", qid)
        assert.deepStrictEqual(answer.metadata[0], { operation: "update", status: "updated", objectId: qid })
        const again = yield* Effect.flip(call({ properties: { P28: "2025-01-01" } }, "update", qid))
        assert.strictEqual(again._tag === "ServerError" && again.error, "Conflict")
        assert.include(again.message, `"property":"P28","value":"2024-01-15"`)
        // upstream's CLI documents these forms: claims, an override, a label
        yield* call({ properties: { claims: { P16: ["Q111", "Q482723"] }, do_override: true } }, "update", qid)
        yield* call({ properties: { label: "New title" } }, "update", qid)
        const standIn = yield* StandIn
        assert.deepStrictEqual(standIn.items.get(qid), {
          label: "New title",
          claims: { P28: "2024-01-15", P16: ["Q111", "Q482723"] }
        })
        for (const properties of [{ claims: { name: "x" } }, ["P1"], "P1"]) {
          const bad = yield* Effect.flip(call({ properties }, "update", qid))
          assert.strictEqual(bad._tag === "ServerError" && bad.error, "BadRequest", JSON.stringify(properties))
        }
      }))

    it.effect("an importer that is down: Unavailable", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn
        standIn.hooks.unhealthy = true
        const down = yield* Effect.flip(call({ json: JSON.stringify({ label: "x" }) }, "create"))
        standIn.hooks.unhealthy = false
        assert.strictEqual(down._tag === "ServerError" && down.error, "Unavailable")
      }))
  }
)

layer(layerClient({ credentials: writer }).pipe(Layer.provideMerge(layerServer({ settings }))), { excludeTestServices: true })(
  "upstream's create without an importer",
  (it) => {
    it.effect("makes an object of this server, its content the item; properties are unsupported", () =>
      Effect.gen(function*() {
        const answer = yield* call({ json: JSON.stringify({ label: "Local item", description: "kept here" }) }, "create")
        const metadata = answer.metadata[0]!
        assert.deepStrictEqual([metadata["status"], metadata["qid"]], ["created", metadata["objectId"]])
        const client = yield* DoipClient.DoipClient
        const manifest = yield* client.retrieve(metadata["qid"] as string)
        assert.deepStrictEqual([manifest["name"], manifest["description"]], ["Local item", "kept here"])
        const unsupported = yield* Effect.flip(call({ properties: { P28: "x" } }, "update", metadata["qid"] as string))
        assert.strictEqual(unsupported._tag === "ServerError" && unsupported.error, "UnsupportedOperation")
      }))
  }
)
