/**
 * hello reports the health of each dependency (storage, the manifest source) from the last background check, over
 * both framings, and answers at once even while a dependency's check hangs.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as DoipClient from "../../src/client/DoipClient.ts"
import * as Health from "../../src/layers/config/Health.ts"
import { layerClient, layerClientDoip2, layerServer } from "../support/TestServer.ts"

/** hello's dependencies, wherever the framing puts them */
const dependenciesOf = (protocol: DoipClient.Protocol, hello: Record<string, unknown>) =>
  (protocol === "binary" ? hello : hello["attributes"] as Record<string, unknown>)["dependencies"] as ReadonlyArray<
    Health.DependencyStatus
  >

/** storage that works, and a façade whose check fails at start and then hangs on every later round */
const troubledHealth = Effect.gen(function*() {
  let rounds = 0
  const facadeCheck = Effect.suspend(() => (rounds++ === 0 ? Effect.fail("HTTP 502 from /health") : Effect.never))
  return Health.layer([
    Health.inProcess("storage", "memory"),
    { name: "metadata", kind: "FDO façade", target: "http://facade.example/fdo/", check: facadeCheck }
  ], { interval: "20 millis", timeout: "10 seconds" })
})

for (const protocol of ["binary", "doip2"] as const) {
  describe(`hello over ${protocol}`, () => {
    const client = protocol === "binary" ? layerClient() : layerClientDoip2()

    it.live("reports every dependency as ok on the in-process defaults", () =>
      Effect.gen(function*() {
        const hello = yield* (yield* DoipClient.DoipClient).hello()
        const dependencies = dependenciesOf(protocol, hello)
        assert.deepStrictEqual(dependencies.map((d) => [d.name, d.kind, d.status]), [
          ["storage", "memory", "ok"],
          ["metadata", "derived from storage", "ok"]
        ])
        for (const d of dependencies) assert.isFalse(Number.isNaN(Date.parse(d.checkedAt)))
      }).pipe(Effect.provide(client.pipe(Layer.provideMerge(layerServer())))))

    it.live("reports a failing dependency with its reason, and answers while the next check hangs", () =>
      Effect.gen(function*() {
        const doip = yield* DoipClient.DoipClient
        // the background round started after 20 ms hangs for 10 s; hello must not wait for it
        yield* Effect.sleep("100 millis")
        const started = Date.now()
        const hello = yield* doip.hello()
        assert.isBelow(Date.now() - started, 2000)
        const metadata = dependenciesOf(protocol, hello).find((d) => d.name === "metadata")!
        assert.strictEqual(metadata.status, "failing")
        assert.strictEqual(metadata.detail, "HTTP 502 from /health")
        assert.strictEqual(metadata.target, "http://facade.example/fdo/")
      }).pipe(Effect.provide(client.pipe(Layer.provideMerge(layerServer({ health: Layer.unwrap(troubledHealth) }))))))
  })
}
