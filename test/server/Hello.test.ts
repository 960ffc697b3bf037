/**
 * hello reports the health of each dependency (storage, the manifest source) from the last background check, over
 * both framings, and answers at once even while a dependency's check hangs. Everyone sees each dependency's kind and
 * state; where it is and why its check failed only a caller whose credentials are accepted.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as DoipClient from "../../src/client/DoipClient.ts"
import * as Health from "../../src/layers/config/Health.ts"
import { layerClient, layerClientDoip2, layerServer, token } from "../support/TestServer.ts"

/** hello's dependencies, wherever the framing puts them */
const dependenciesOf = (protocol: DoipClient.Protocol, hello: Record<string, unknown>) =>
  (protocol === "binary" ? hello : hello["attributes"] as Record<string, unknown>)["dependencies"] as ReadonlyArray<
    Health.DependencyStatus
  >

/** hello with the client's credentials (our client's `hello` sends none) */
const authenticatedHello = Effect.flatMap(
  DoipClient.DoipClient,
  (client) => Effect.map(client.call({ operation: "hello" }), (answer) => answer.output as Record<string, unknown>)
)

/** storage in a folder that works, and a façade whose check fails at start and then hangs on every later round */
const troubledHealth = Effect.gen(function*() {
  let rounds = 0
  const facadeCheck = Effect.suspend(() =>
    rounds++ === 0 ? Effect.fail("http://facade.example/health answered HTTP 502") : Effect.never
  )
  return Health.layer([
    Health.inProcess("storage", "embedded", "/srv/doip/data"),
    { name: "metadata", kind: "FDO façade", target: "http://facade.example/fdo/", check: facadeCheck }
  ], { interval: "20 millis", timeout: "10 seconds" })
})

const layerClientFor = (protocol: DoipClient.Protocol, options: Partial<DoipClient.ClientOptions>) =>
  protocol === "binary" ? layerClient(options) : layerClientDoip2(options)

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

    it.live("reports a failing dependency, and answers while the next check hangs", () =>
      Effect.gen(function*() {
        const doip = yield* DoipClient.DoipClient
        // the background round started after 20 ms hangs for 10 s; hello must not wait for it
        yield* Effect.sleep("100 millis")
        const started = Date.now()
        const hello = yield* doip.hello()
        assert.isBelow(Date.now() - started, 2000)
        const metadata = dependenciesOf(protocol, hello).find((d) => d.name === "metadata")!
        assert.strictEqual(metadata.status, "failing")
      }).pipe(Effect.provide(client.pipe(Layer.provideMerge(layerServer({ health: Layer.unwrap(troubledHealth) }))))))

    it.live("anonymous: kinds and states, no folder, URL or reason; authenticated: where each is, and why it fails", () =>
      Effect.gen(function*() {
        yield* Effect.sleep("100 millis")
        const anonymous = dependenciesOf(protocol, yield* (yield* DoipClient.DoipClient).hello())
        assert.deepStrictEqual(anonymous.map((d) => [d.name, d.kind, d.status]), [
          ["storage", "embedded", "ok"],
          ["metadata", "FDO façade", "failing"]
        ])
        for (const d of anonymous) assert.deepStrictEqual(Object.keys(d).sort(), ["checkedAt", "kind", "name", "status"])
        assert.notMatch(JSON.stringify(anonymous), /\/|http/)

        const authenticated = dependenciesOf(protocol, yield* authenticatedHello)
        assert.deepStrictEqual(authenticated.map((d) => [d.name, d.target, d.status, d.detail]), [
          ["storage", "/srv/doip/data", "ok", undefined],
          ["metadata", "http://facade.example/fdo/", "failing", "http://facade.example/health answered HTTP 502"]
        ])
      }).pipe(Effect.provide(
        layerClientFor(protocol, { credentials: { token } }).pipe(
          Layer.provideMerge(layerServer({ health: Layer.unwrap(troubledHealth) }))
        )
      )))

    it.live("a hello whose credentials are not accepted is answered as an anonymous one", () =>
      Effect.gen(function*() {
        const dependencies = dependenciesOf(protocol, yield* authenticatedHello)
        assert.deepStrictEqual(dependencies.map((d) => [d.name, d.status]), [["storage", "ok"], ["metadata", "failing"]])
        for (const d of dependencies) assert.isUndefined(d.target)
        for (const d of dependencies) assert.isUndefined(d.detail)
      }).pipe(Effect.provide(
        layerClientFor(protocol, { credentials: { token: "not-the-token" } }).pipe(
          Layer.provideMerge(layerServer({ health: Layer.unwrap(troubledHealth) }))
        )
      )))
  })
}
