/**
 * Our binary client calling an operation by name (its code unknown to the client, so 0 in the header): the server
 * answers with the operation's own code, and the client takes that answer as the one it asked for. The review of
 * issue 15 found the client refusing it (`answer is for operation 0x20, not 0x0`).
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as DoipClient from "../../src/client/DoipClient.ts"
import { metadataResponse } from "../../src/protocol/DoipMessage.ts"
import type { Operation } from "../../src/server/OperationRegistry.ts"
import { layerClient, layerServer, token } from "../support/TestServer.ts"

const shout = Effect.succeed({
  name: "shout",
  code: 0x20,
  doipId: "example/Op.Shout",
  target: "service",
  handler: (request) => Effect.succeed(metadataResponse({ shouted: String(request.attributes["text"] ?? "").toUpperCase() }))
} satisfies Operation)

layer(layerClient({ credentials: { token } }).pipe(Layer.provideMerge(layerServer({ extensions: [shout] }))), {
  excludeTestServices: true
})("an extension operation with a code, called by name", (it) => {
  it.effect("answers, by name and by code alike", () =>
    Effect.gen(function*() {
      const client = yield* DoipClient.DoipClient
      const byName = yield* client.call({ operation: "shout", attributes: { text: "hi" } })
      assert.deepStrictEqual(byName.metadata, [{ shouted: "HI" }])
      const byCode = yield* client.call({ operation: 0x20, attributes: { text: "ho" } })
      assert.deepStrictEqual(byCode.metadata, [{ shouted: "HO" }])
    }))
})
