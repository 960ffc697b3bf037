/**
 * Objects the façade knows take writes (issue 15, item 1): with the HTTP façade configured, an object exists when the
 * façade knows it, as the upstream server takes it (`fetch_fdo_object`), whether or not storage holds any of its
 * components yet; its first upload is committed, on both wires. An object neither knows is still `NotFound`, and
 * nothing is stored for it.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as DoipClient from "../../src/client/DoipClient.ts"
import * as HttpFdoFacade from "../../src/layers/metadata/HttpFdoFacade.ts"
import { Storage } from "../../src/layers/storage/Storage.ts"
import { contentOf } from "../support/ClientAnswers.ts"
import * as FacadeStandIn from "../support/FacadeStandIn.ts"
import { layerClient, layerClientDoip2, layerServer, token } from "../support/TestServer.ts"

const manifest = (qid: string) => ({
  "@context": ["https://w3id.org/fdo/context/v1"],
  "@id": `https://fdo.portal.mardi4nfdi.de/fdo/${qid}`,
  "@type": "DigitalObject",
  kernel: {
    "@id": `https://fdo.portal.mardi4nfdi.de/fdo/${qid}`,
    digitalObjectType: "https://fdo.portal.mardi4nfdi.de/fdo/types/ScholarlyArticle",
    primaryIdentifier: `mardi:${qid}`,
    kernelVersion: "v1",
    immutable: true,
    modified: "2024-02-02T12:00:00Z"
  },
  profile: { "@context": "https://schema.org", "@type": "ScholarlyArticle", name: `Paper ${qid}` }
})

const layerServerWithFacade = Layer.unwrap(Effect.gen(function*() {
  const standIn = yield* FacadeStandIn.make({ Q4242: manifest("Q4242"), Q4243: manifest("Q4243") })
  return layerServer({
    settings: { fdoApi: standIn.baseUrl.replace(/\/$/, "") },
    facade: HttpFdoFacade.layer({ baseUrl: standIn.baseUrl }).pipe(Layer.provide(FetchHttpClient.layer))
  })
}))

for (const protocol of ["binary", "doip2"] as const) {
  const layerFor = protocol === "binary" ? layerClient : layerClientDoip2
  layer(layerFor({ credentials: { token } }).pipe(Layer.provideMerge(layerServerWithFacade)), { excludeTestServices: true })(
    `objects the façade knows, over ${protocol}`,
    (it) => {
      it.effect("take their first component though storage holds nothing of them", () =>
        Effect.gen(function*() {
          const objectId = protocol === "binary" ? "Q4242" : "Q4243"
          const storage = yield* Storage
          assert.deepStrictEqual(yield* storage.list(objectId), [], "storage holds nothing of it")
          const client = yield* DoipClient.DoipClient
          const pdf = new TextEncoder().encode("%PDF-1.4 the paper")
          yield* client.updateComponent(objectId, "fulltext.pdf", pdf, "application/pdf")
          assert.strictEqual(yield* contentOf(objectId, "fulltext.pdf"), "%PDF-1.4 the paper")
          assert.deepStrictEqual((yield* storage.list(objectId)).map((c) => c.componentId), ["fulltext.pdf"])
        }))

      it.effect("an object neither the façade nor storage knows is NotFound, and nothing is stored", () =>
        Effect.gen(function*() {
          const client = yield* DoipClient.DoipClient
          const refusal = yield* Effect.flip(client.updateComponent("Q777", "a.txt", new TextEncoder().encode("x"), "text/plain"))
          assert.strictEqual(refusal._tag, "NotFoundError")
          assert.deepStrictEqual(yield* (yield* Storage).list("Q777"), [])
        }))

      it.effect("have versions: at one, the façade's manifest with the components storage held then", () =>
        Effect.gen(function*() {
          const objectId = protocol === "binary" ? "Q4242" : "Q4243"
          const client = yield* DoipClient.DoipClient
          yield* client.updateComponent(objectId, "fulltext.pdf", new TextEncoder().encode("%PDF-1.4 revised"), "application/pdf")
          yield* client.updateComponent(objectId, "notes.txt", new TextEncoder().encode("n"), "text/plain")
          const versions = yield* client.versions(objectId)
          assert.deepStrictEqual(versions.map((v) => v.components), [
            { added: ["notes.txt"], changed: [], removed: [] },
            { added: [], changed: ["fulltext.pdf"], removed: [] },
            { added: ["fulltext.pdf"], changed: [], removed: [] }
          ])
          const first = versions[2]!.id
          const answer = yield* client.retrieve(objectId, { version: first })
          const manifest = (protocol === "binary" ? answer : (answer["attributes"] as any)["content"]) as Record<string, any>
          // the façade's own parts, as it serves them now
          assert.strictEqual(manifest["profile"]["name"], `Paper ${objectId}`)
          assert.strictEqual(manifest["kernel"]["digitalObjectType"], "https://fdo.portal.mardi4nfdi.de/fdo/types/ScholarlyArticle")
          // storage's, as they were
          assert.deepStrictEqual(
            (manifest["kernel"]["fdo:hasComponent"] as Array<any>).map((c) => [c.componentId, c.mediaType, c.size]),
            [["fulltext.pdf", "application/pdf", 18]]
          )
          assert.strictEqual(manifest["provenance"]["fdo:commit"], first)
          assert.strictEqual(yield* contentOf(objectId, "fulltext.pdf"), "%PDF-1.4 revised")
        }))

      it.effect("an object the façade serves with nothing stored has no versions, and none can be read", () =>
        Effect.gen(function*() {
          const client = yield* DoipClient.DoipClient
          // each wire has a server of its own: the other wire's object was never written here
          const [objectId, written] = protocol === "binary" ? ["Q4243", "Q4242"] : ["Q4242", "Q4243"]
          assert.deepStrictEqual(yield* client.versions(objectId), [])
          const version = (yield* client.versions(written))[0]!.id
          const refused = yield* Effect.flip(client.retrieve(objectId, { version }))
          assert.deepStrictEqual([refused._tag, refused.message], [
            "NotFoundError",
            `object ${objectId} does not exist at version ${version}`
          ])
        }))
    }
  )
}
