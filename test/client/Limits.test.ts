/**
 * The client's answer size limit (`maxAnswerSize`), on both framings: what is read into memory is held to it, what
 * streams is not.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as DoipClient from "../../src/client/DoipClient.ts"
import { ListenAddress } from "../../src/server/DoipServer.ts"
import { layerServer, seed } from "../support/TestServer.ts"

layer(layerServer(), { excludeTestServices: true })("maxAnswerSize", (it) => {
  for (const protocol of ["binary", "doip2"] as const) {
    it.effect(`${protocol}: answers read whole are held to it, streamed elements are not`, () =>
      Effect.gen(function*() {
        yield* seed("Q70", "big.bin", new Uint8Array(256 * 1024).fill(1))
        const address = yield* ListenAddress
        const make = (maxAnswerSize: number) =>
          protocol === "binary"
            ? DoipClient.make({ host: "127.0.0.1", port: address.binaryPort, maxAnswerSize })
            : DoipClient.makeDoip2({ host: "127.0.0.1", port: address.doip2Port, maxAnswerSize })
        // a hello answer is some hundred bytes of JSON
        const tiny = yield* make(64)
        const tooLarge = yield* Effect.flip(tiny.hello())
        assert.deepInclude(tooLarge, { _tag: "AnswerTooLargeError", limit: 64 })
        assert.match(tooLarge.message, /maxAnswerSize/)
        const client = yield* make(64 * 1024)
        assert.isObject(yield* client.hello())
        // the element read whole into an answer: too large; streamed: any size; and the connection serves on
        const whole = yield* Effect.flip(client.call({ operation: "retrieve", targetId: "Q70", attributes: { element: "big.bin" } }))
        assert.deepInclude(whole, { _tag: "AnswerTooLargeError", limit: 64 * 1024 })
        const streamed = yield* Effect.scoped(Effect.flatMap(client.retrieve("Q70", "big.bin"), (element) =>
          Stream.runFold(element.content, () => 0, (n, chunk) => n + chunk.length)))
        assert.strictEqual(streamed, 256 * 1024)
        assert.isObject(yield* client.hello())
      }))
  }
})
