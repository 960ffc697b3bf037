/**
 * The server when the systems behind it misbehave, through our client over both framings: lakeFS answering 500 (and
 * recovering), lakeFS rejecting the server's key, the FDO façade too slow to answer. Each fault must reach the client
 * as the documented error (`Unavailable`, saying which system and why), within about the configured timeout, without
 * costing the connection; what does not need the faulty system keeps working; and all works again once it is back.
 */
import { assert, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as DoipClient from "../../src/client/DoipClient.ts"
import * as HttpFdoFacade from "../../src/layers/metadata/HttpFdoFacade.ts"
import { contentOf, refusalOf } from "../support/ClientAnswers.ts"
import * as FacadeStandIn from "../support/FacadeStandIn.ts"
import { LakeFsStandIn } from "../support/LakeFsStandIn.ts"
import { layerServerOnLakeFs } from "../support/StorageBackends.ts"
import { layerClient, layerClientDoip2, seed, token } from "../support/TestServer.ts"

const text = (s: string) => new TextEncoder().encode(s)

/** the components a retrieve of the object lists, wherever the framing puts them */
const componentIdsOf = (protocol: DoipClient.Protocol, object: Record<string, unknown>): ReadonlyArray<string> =>
  protocol === "binary"
    ? ((object["kernel"] as any)["fdo:hasComponent"] as Array<any>).map((c) => c.componentId)
    : (object["elements"] as Array<any>).map((e) => e.id)

class Facade extends Context.Service<Facade, FacadeStandIn.FacadeStandIn>()("test/server/BackendFaults/Facade") {}

/** the façade's manifest of an object with one text component, without size or checksum (storage adds them) */
const facadeManifest = (objectId: string, componentId: string) => ({
  "@id": `https://fdo.example/fdo/${objectId}`,
  "@type": "DigitalObject",
  kernel: {
    "@id": `https://fdo.example/fdo/${objectId}`,
    digitalObjectType: "https://fdo.example/fdo/types/Dataset",
    "fdo:hasComponent": [{ "@id": `#${componentId}`, componentId, mediaType: "text/plain" }]
  },
  profile: { "@type": "Dataset", name: `object ${objectId}` }
})

const facadeTimeout = Duration.millis(200)
/** how long the slowed façade takes to answer: well past the timeout */
const facadeDelayMillis = 1000

/** the server on lakeFS with its manifests from the façade stand-in, which is in context to be slowed down */
const layerServerWithFacade = Layer.unwrap(Effect.gen(function*() {
  const facade = yield* FacadeStandIn.make({ Q3100: facadeManifest("Q3100", "a.txt") })
  const server = layerServerOnLakeFs({
    settings: { fdoApi: facade.baseUrl },
    facade: HttpFdoFacade.layer({ baseUrl: facade.baseUrl, timeout: facadeTimeout }).pipe(
      Layer.provide(FetchHttpClient.layer)
    )
  })
  return Layer.merge(server, Layer.succeed(Facade, facade))
}))

for (const protocol of ["binary", "doip2"] as const) {
  const layerFor = protocol === "binary" ? layerClient : layerClientDoip2

  layer(layerFor({ credentials: { token } }).pipe(Layer.provideMerge(layerServerOnLakeFs())), { excludeTestServices: true })(
    `lakeFS faults through the server, over ${protocol}`,
    (it) => {
      it.effect("a few 500s: the reads behind a retrieve are retried, and it succeeds", () =>
        Effect.gen(function*() {
          yield* seed("Q3001", "a.txt", "still here", "text/plain")
          const standIn = yield* LakeFsStandIn
          const client = yield* DoipClient.DoipClient
          // fewer than the storage's 4 retries of each call; the first calls of each retrieve meet all of them
          standIn.failNext(3)
          assert.deepStrictEqual(componentIdsOf(protocol, yield* client.retrieve("Q3001")), ["a.txt"])
          const before = standIn.requests().length
          standIn.failNext(3)
          assert.strictEqual(yield* contentOf("Q3001", "a.txt"), "still here")
          // the element's stat came first: asked four times, the last time answered
          const calls = standIn.requests().slice(before)
          assert.match(calls[0]!, /^GET .*\/objects\/stat\?path=.*Q3001/)
          assert.deepStrictEqual(calls.slice(0, 4), [calls[0], calls[0], calls[0], calls[0]])
        }))

      it.effect("more 500s than retries: Unavailable; the same connection serves hello, and retrieves once lakeFS is back", () =>
        Effect.gen(function*() {
          yield* seed("Q3002", "a.txt", "back again", "text/plain")
          const standIn = yield* LakeFsStandIn
          const client = yield* DoipClient.DoipClient
          standIn.failNext(1000)
          const element = yield* refusalOf(client.retrieve("Q3002", "a.txt"))
          assert.strictEqual(element.kind, "Unavailable")
          assert.match(element.message, /^storage unavailable: lakeFS stat of component a\.txt of Q3002 failed: HTTP 500$/)
          const object = yield* refusalOf(client.retrieve("Q3002"))
          assert.strictEqual(object.kind, "Unavailable")
          assert.match(object.message, /^storage unavailable: lakeFS .* failed: HTTP 500$/)
          assert.isObject(yield* client.hello())

          standIn.failNext(0)
          assert.strictEqual(yield* contentOf("Q3002", "a.txt"), "back again")
        }))

      // the embedded façade caches manifests; a failed derivation must not be among them, or the object would stay
      // Unavailable for the cache's whole time to live after lakeFS is back
      it.effect("a manifest that failed while lakeFS was down is derived afresh once it is back", () =>
        Effect.gen(function*() {
          yield* seed("Q3004", "a.txt", "back again", "text/plain")
          const standIn = yield* LakeFsStandIn
          const client = yield* DoipClient.DoipClient
          standIn.failNext(1000)
          assert.strictEqual((yield* refusalOf(client.retrieve("Q3004"))).kind, "Unavailable")
          standIn.failNext(0)
          assert.deepStrictEqual(componentIdsOf(protocol, yield* client.retrieve("Q3004")), ["a.txt"])
        }))

      it.effect("rejected credentials: retrieve and update say so, hello still works; all works once the key is accepted", () =>
        Effect.gen(function*() {
          yield* seed("Q3003", "a.txt", "before", "text/plain")
          const standIn = yield* LakeFsStandIn
          const client = yield* DoipClient.DoipClient
          standIn.rejectCredentials(true)
          const failures = yield* Effect.all([
            refusalOf(client.retrieve("Q3003", "a.txt")),
            refusalOf(client.retrieve("Q3003")),
            // large enough that lakeFS refuses it before the server has sent it all
            refusalOf(client.updateComponent("Q3003", "a.txt", new Uint8Array(1024 * 1024).fill(0x61), "text/plain"))
          ]).pipe(Effect.ensuring(Effect.sync(() => standIn.rejectCredentials(false))))
          for (const failure of failures) {
            assert.strictEqual(failure.kind, "Unavailable")
            assert.match(failure.message, /^storage unavailable: lakeFS rejected the server's credentials \(HTTP 401\) for /)
          }
          standIn.rejectCredentials(true)
          assert.isObject(yield* client.hello().pipe(Effect.ensuring(Effect.sync(() => standIn.rejectCredentials(false)))))

          assert.strictEqual(yield* contentOf("Q3003", "a.txt"), "before")
          yield* client.updateComponent("Q3003", "a.txt", text("after"), "text/plain")
          assert.strictEqual(yield* contentOf("Q3003", "a.txt"), "after")
        }))
    }
  )

  layer(layerFor({ credentials: { token } }).pipe(Layer.provideMerge(layerServerWithFacade)), { excludeTestServices: true })(
    `a façade too slow to answer, over ${protocol}`,
    (it) => {
      it.effect("metadata is Unavailable within about the timeout; hello and elements still work; metadata once it is back", () =>
        Effect.gen(function*() {
          yield* seed("Q3100", "a.txt", "element bytes", "text/plain")
          const facade = yield* Facade
          const client = yield* DoipClient.DoipClient
          facade.hooks.delayMs = facadeDelayMillis
          const [waited, failure] = yield* Effect.timed(refusalOf(client.retrieve("Q3100")))
          assert.strictEqual(failure.kind, "Unavailable")
          assert.strictEqual(failure.message, "metadata service unavailable: no answer within 200ms")
          assert.isBelow(Duration.toMillis(waited), 750, "the server answers at its timeout, not when the façade does")

          // neither needs the façade
          assert.isObject(yield* client.hello())
          const [elementTook, content] = yield* Effect.timed(contentOf("Q3100", "a.txt"))
          assert.strictEqual(content, "element bytes")
          assert.isBelow(Duration.toMillis(elementTook), facadeDelayMillis, "without waiting for the façade")

          facade.hooks.delayMs = 0
          const object = yield* client.retrieve("Q3100")
          assert.deepStrictEqual(componentIdsOf(protocol, object), ["a.txt"])
        }))
    }
  )
}
