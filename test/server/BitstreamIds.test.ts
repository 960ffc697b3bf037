/**
 * Component ids in the form seed 000 and the upstream server use, `doip:bitstream/{objectId}/{componentId}` (issue 15,
 * item 5): they name the same component as the plain id, on both wires, for retrieve, update and the equation
 * extraction's `componentId`; one that names another object, or no component, is a `BadRequest`.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as DoipClient from "../../src/client/DoipClient.ts"
import { contentOf, refusalOf } from "../support/ClientAnswers.ts"
import { layerClient, layerClientDoip2, layerServer, seed, token } from "../support/TestServer.ts"

const text = (s: string) => new TextEncoder().encode(s)

for (const protocol of ["binary", "doip2"] as const) {
  const layerFor = protocol === "binary" ? layerClient : layerClientDoip2
  layer(layerFor({ credentials: { token } }).pipe(Layer.provideMerge(layerServer())), { excludeTestServices: true })(
    `doip:bitstream ids over ${protocol}`,
    (it) => {
      it.effect("retrieve and update take them, and mean the plain component", () =>
        Effect.gen(function*() {
          const objectId = protocol === "binary" ? "Q8101" : "Q8102"
          yield* seed(objectId, "a.txt", "plain a", "text/plain")
          const client = yield* DoipClient.DoipClient
          const a = yield* client.retrieve(objectId, `doip:bitstream/${objectId}/a.txt`)
          assert.strictEqual(new TextDecoder().decode(yield* Stream.mkUint8Array(a.content)), "plain a")
          yield* client.updateComponent(objectId, `doip:bitstream/${objectId.toLowerCase()}/b.txt`, text("new b"), "text/plain")
          assert.strictEqual(yield* contentOf(objectId, "b.txt"), "new b", "stored under its plain id")
        }))

      it.effect("one that names another object, or no component, is refused", () =>
        Effect.gen(function*() {
          const objectId = protocol === "binary" ? "Q8103" : "Q8104"
          yield* seed(objectId, "a.txt", "a", "text/plain")
          const client = yield* DoipClient.DoipClient
          const other = yield* refusalOf(client.retrieve(objectId, "doip:bitstream/Q1/a.txt"))
          assert.deepStrictEqual(other, {
            kind: "BadRequest",
            message: `component id "doip:bitstream/Q1/a.txt" names object Q1, not ${objectId}`
          })
          const none = yield* refusalOf(client.retrieve(objectId, `doip:bitstream/${objectId}`))
          assert.strictEqual(none.kind, "BadRequest")
          const escape = yield* refusalOf(client.retrieve(objectId, `doip:bitstream/${objectId}/../x`))
          assert.strictEqual(escape.kind, "BadRequest")
          // an update's element names the target's component, not another object's (the input object has no id)
          const elsewhere = yield* refusalOf(client.updateComponent(objectId, "doip:bitstream/Q1/a.txt", text("x"), "text/plain"))
          assert.strictEqual(elsewhere.kind, "BadRequest")
        }))
    }
  )
}
