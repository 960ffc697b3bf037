/**
 * `ImporterItems` against the importer stand-in: what it sends, and its failures (refused writer, unknown item,
 * a property set already, down, slow) as `KnowledgeGraphError`s whose messages never hold the password.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Redacted from "effect/Redacted"
import * as ImporterItems from "../../../src/layers/knowledge/ImporterItems.ts"
import * as ImporterStandIn from "../../support/ImporterStandIn.ts"

const writer = { username: "Alice@doip", password: Redacted.make("alice-bot-secret") }

const withItems = <A, E>(use: (items: Effect.Success<ReturnType<typeof ImporterItems.make>>, standIn: ImporterStandIn.ImporterStandIn) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const standIn = yield* ImporterStandIn.make({ "Alice@doip": "alice-bot-secret" })
    const items = yield* ImporterItems.make({ url: standIn.url, timeout: "300 millis" }).pipe(Effect.provide(FetchHttpClient.layer))
    return yield* use(items, standIn)
  }).pipe(Effect.scoped)

describe("ImporterItems", () => {
  it.live("creates, sets properties, and says what went wrong", () =>
    withItems((items, standIn) =>
      Effect.gen(function*() {
        const qid = yield* items.create({ label: "Heat kernel" }, writer)
        assert.strictEqual(qid, "Q9000000")
        yield* items.updateProperties(qid, { P28: "2024" }, writer)
        assert.deepStrictEqual(standIn.items.get(qid), { label: "Heat kernel", claims: { P28: "2024" } })

        const conflict = yield* Effect.flip(items.updateProperties(qid, { P28: "2025" }, writer))
        assert.deepStrictEqual([conflict.kind, conflict.message], [
          "Conflict",
          `the importer refused the update of ${qid} (HTTP 409): property already set; the item has [{"property":"P28","value":"2024"}]`
        ])
        const unknown = yield* Effect.flip(items.updateProperties("Q1", { P28: "x" }, writer))
        assert.strictEqual(unknown.kind, "NotFound")
        // credentials slipped into the properties never replace the checked writer's
        yield* items.updateProperties(qid, { claims: { P16: "Q1" }, username: "Bob@x", password: "guess" }, writer)
        assert.deepStrictEqual(standIn.hooks.posted.at(-1)!.body["username"], "Alice@doip")
        const refused = yield* Effect.flip(items.create({ label: "x" }, { ...writer, password: Redacted.make("wrong") }))
        assert.strictEqual(refused.kind, "Unauthorized")
        assert.notInclude(refused.message, "wrong")

        standIn.hooks.status = 502
        const down = yield* Effect.flip(items.create({ label: "x" }, writer))
        assert.strictEqual(down.kind, "Unavailable")
        standIn.hooks.status = undefined
        standIn.hooks.delayMs = 1000
        const slow = yield* Effect.flip(items.create({ label: "x" }, writer))
        assert.deepStrictEqual([slow.kind, slow.message], ["Unavailable", "the importer's health check gave no answer within 300ms"])
        standIn.hooks.delayMs = 0
      })))
})
