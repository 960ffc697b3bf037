import { assert, describe, it } from "@effect/vitest"
import { createHash } from "node:crypto"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as HttpFdoFacade from "../../../src/layers/metadata/HttpFdoFacade.ts"
import { FdoFacade, type Manifest } from "../../../src/layers/metadata/FdoFacade.ts"
import { clientContent, DescriptionKeys } from "../../../src/layers/metadata/ObjectDescription.ts"
import * as MemoryStorage from "../../../src/layers/storage/MemoryStorage.ts"
import * as ObjectId from "../../../src/layers/storage/ObjectId.ts"
import { Storage, StorageError } from "../../../src/layers/storage/Storage.ts"
import { type ServiceError, toDoipError } from "../../../src/server/ServiceErrors.ts"
import * as FacadeStandIn from "../../support/FacadeStandIn.ts"

const PDF = "%PDF-1.4 pretend"
const sha256 = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex")}`

/** the typed manifest of BACKENDS.md */
const article = (id: string, components: ReadonlyArray<Record<string, unknown>> | undefined) => ({
  "@context": [
    "https://w3id.org/fdo/context/v1",
    { schema: "https://schema.org/", prov: "http://www.w3.org/ns/prov#", fdo: "https://w3id.org/fdo/vocabulary/" }
  ],
  "@id": `https://fdo.portal.mardi4nfdi.de/fdo/${id}`,
  "@type": "DigitalObject",
  kernel: {
    "@id": `https://fdo.portal.mardi4nfdi.de/fdo/${id}`,
    digitalObjectType: "https://fdo.portal.mardi4nfdi.de/fdo/types/ScholarlyArticle",
    primaryIdentifier: `mardi:${id}`,
    kernelVersion: "v1",
    immutable: true,
    modified: "2024-02-02T12:00:00Z",
    ...(components === undefined ? {} : { "fdo:hasComponent": components })
  },
  profile: { "@context": "https://schema.org", "@type": "ScholarlyArticle", name: "Test Article" },
  provenance: { "prov:generatedAtTime": "2024-02-02T12:00:00Z", "prov:wasAttributedTo": "MaRDI Knowledge Graph" }
})

const manifests = {
  Q111111: article("Q111111", [{ "@id": "#fulltext.pdf", componentId: "fulltext.pdf", mediaType: "application/pdf" }]),
  Q222222: article("Q222222", undefined),
  Q333333: {
    ...article("Q333333", [
      { "@id": "#data.csv", componentId: "data.csv", mimeType: "text/csv", size: 7, checksum: "sha256:given" },
      { "@id": "#missing.txt", componentId: "missing.txt", mimeType: "text/plain" }
    ]),
    extra: { kept: true }
  },
  Q444444: {
    ...article("Q444444", []),
    kernel: { ...article("Q444444", []).kernel, digitalObjectType: "https://portal.mardi4nfdi.de/fdo/type/Dataset" }
  }
}

/** a running stand-in, memory storage holding `Q111111/fulltext.pdf`, and the façade over both */
const setUp = (options?: Partial<HttpFdoFacade.Options>) =>
  Effect.gen(function*() {
    const standIn = yield* FacadeStandIn.make(manifests)
    const storage = yield* Storage
    yield* storage.write("Q111111", "fulltext.pdf", "application/pdf", Stream.make(new TextEncoder().encode(PDF)))
    yield* storage.commit("seed", {})
    const facade = yield* HttpFdoFacade.make({ baseUrl: standIn.baseUrl, timeout: "2 seconds", ...options }).pipe(
      Effect.provide(FetchHttpClient.layer)
    )
    return { standIn, facade }
  })

const run = <A, E>(effect: Effect.Effect<A, E, Storage | Scope.Scope>) =>
  effect.pipe(Effect.scoped, Effect.provide(MemoryStorage.layer))

const kernelOf = (manifest: Manifest) => manifest["kernel"] as Record<string, unknown>
const componentsOf = (manifest: Manifest) => kernelOf(manifest)["fdo:hasComponent"] as Array<Record<string, unknown>>
/** the DOIP error a client would see for the façade's failure */
const errorOf = <A>(effect: Effect.Effect<A, ServiceError>) =>
  Effect.map(Effect.flip(effect), (e) => {
    const error = toDoipError(e)
    return { kind: error.kind, message: error.message }
  })

describe("HttpFdoFacade", () => {
  it.live("the stand-in answers /health", () =>
    run(Effect.gen(function*() {
      const standIn = yield* FacadeStandIn.make()
      const body = yield* Effect.promise(() => fetch(`${standIn.origin}/health`).then((r) => r.json()))
      assert.deepStrictEqual(body, { status: "ok" })
    })))

  it.live("a typed manifest: every field kept, components enriched with size and checksum from storage", () =>
    run(Effect.gen(function*() {
      const { facade } = yield* setUp()
      const manifest = yield* facade.manifest("Q111111")
      const expected = article("Q111111", [{
        "@id": "#fulltext.pdf",
        componentId: "fulltext.pdf",
        mediaType: "application/pdf",
        size: PDF.length,
        checksum: sha256(PDF)
      }])
      assert.deepStrictEqual(manifest, expected)
    })))

  it.live("manifest variants: no components, mimeType alias, given size kept, unknown fields and old type URLs kept", () =>
    run(Effect.gen(function*() {
      const { facade } = yield* setUp()
      assert.deepStrictEqual(yield* facade.manifest("Q222222"), manifests.Q222222)

      const variant = yield* facade.manifest("Q333333")
      assert.deepStrictEqual(variant["extra"], { kept: true })
      assert.deepStrictEqual(componentsOf(variant), [
        { "@id": "#data.csv", componentId: "data.csv", mediaType: "text/csv", size: 7, checksum: "sha256:given" },
        { "@id": "#missing.txt", componentId: "missing.txt", mediaType: "text/plain" }
      ])

      const old = yield* facade.manifest("Q444444")
      assert.strictEqual(kernelOf(old)["digitalObjectType"], "https://portal.mardi4nfdi.de/fdo/type/Dataset")
      assert.deepStrictEqual(componentsOf(old), [])
    })))

  it.live("concurrent requests for one object make one HTTP call; later ones hit the cache", () =>
    run(Effect.gen(function*() {
      const { facade, standIn } = yield* setUp()
      standIn.hooks.delayMs = 100
      const all = yield* Effect.all(Array.from({ length: 10 }, () => facade.manifest("Q111111")), {
        concurrency: "unbounded"
      })
      assert.strictEqual(all.length, 10)
      for (const m of all) assert.deepStrictEqual(m, all[0])
      assert.strictEqual(standIn.count("Q111111"), 1)
      yield* facade.manifest("Q111111")
      assert.strictEqual(standIn.count("Q111111"), 1)
    })))

  it.live("purge evicts one manifest: the next call reads it afresh", () =>
    run(Effect.gen(function*() {
      const { facade, standIn } = yield* setUp()
      yield* facade.manifest("Q222222")
      yield* facade.manifest("Q333333")
      standIn.putManifest("Q222222", { ...manifests.Q222222, profile: { name: "Renamed" } })
      assert.deepStrictEqual((yield* facade.manifest("Q222222"))["profile"], manifests.Q222222.profile)
      yield* facade.purge("Q222222")
      assert.deepStrictEqual((yield* facade.manifest("Q222222"))["profile"], { name: "Renamed" })
      yield* facade.manifest("Q333333")
      assert.deepStrictEqual([standIn.count("Q222222"), standIn.count("Q333333")], [2, 1])
    })))

  it.live("the cache expires entries after its time to live", () =>
    run(Effect.gen(function*() {
      const { facade, standIn } = yield* setUp({ cacheTtl: "50 millis" })
      yield* facade.manifest("Q222222")
      yield* Effect.sleep("120 millis")
      yield* facade.manifest("Q222222")
      assert.strictEqual(standIn.count("Q222222"), 2)
    })))

  it.live("the cache is bounded: past its capacity the oldest entry goes", () =>
    run(Effect.gen(function*() {
      const { facade, standIn } = yield* setUp({ cacheCapacity: 1 })
      yield* facade.manifest("Q222222")
      yield* facade.manifest("Q333333")
      yield* facade.manifest("Q222222")
      assert.deepStrictEqual([standIn.count("Q222222"), standIn.count("Q333333")], [2, 1])
    })))

  it.live("the layer provides FdoFacade over an HttpClient and Storage", () =>
    run(Effect.gen(function*() {
      const standIn = yield* FacadeStandIn.make(manifests)
      const manifest = yield* FdoFacade.use((facade) => facade.manifest("Q222222")).pipe(
        Effect.provide(HttpFdoFacade.layer({ baseUrl: standIn.baseUrl.replace(/\/$/, "") }).pipe(
          Layer.provide(FetchHttpClient.layer)
        ))
      )
      assert.deepStrictEqual(manifest, manifests.Q222222)
    })))

  it.live("404 is NotFound, a bad identifier BadRequest", () =>
    run(Effect.gen(function*() {
      const { facade } = yield* setUp()
      const missing = yield* errorOf(facade.manifest("Q999"))
      assert.strictEqual(missing.kind, "NotFound")
      assert.include(missing.message, "Q999")
      const bad = yield* errorOf(facade.manifest("not-a-qid"))
      assert.strictEqual(bad.kind, "BadRequest")
      assert.include(bad.message, "bad identifier")
      const escaping = yield* errorOf(facade.manifest("../health"))
      assert.strictEqual(escaping.kind, "BadRequest")
    })))

  it.live("5xx answers are Unavailable, and failures are not cached", () =>
    run(Effect.gen(function*() {
      const { facade, standIn } = yield* setUp()
      for (const status of [502, 504, 500]) {
        standIn.hooks.status = status
        const error = yield* errorOf(facade.manifest("Q111111"))
        assert.strictEqual(error.kind, "Unavailable")
        assert.match(error.message, new RegExp(`^metadata service unavailable: HTTP ${status}`))
      }
      standIn.hooks.status = undefined
      assert.strictEqual(componentsOf(yield* facade.manifest("Q111111")).length, 1)
      assert.strictEqual(standIn.count("Q111111"), 4)
    })))

  it.live("an answer that is not a manifest is Unavailable, naming what is wrong", () =>
    run(Effect.gen(function*() {
      const { facade, standIn } = yield* setUp()
      standIn.putManifest("Q5", { kernel: "not an object" })
      standIn.putManifest("Q6", { kernel: { "fdo:hasComponent": [{ mimeType: "text/plain" }] } })
      const notObject = yield* errorOf(facade.manifest("Q5"))
      assert.strictEqual(notObject.kind, "Unavailable")
      assert.match(notObject.message, /^metadata service unavailable: the answer for object Q5 is malformed \(kernel: /, notObject.message)
      const noId = yield* errorOf(facade.manifest("Q6"))
      assert.strictEqual(noId.kind, "Unavailable")
      assert.include(noId.message, "kernel.fdo:hasComponent.0.componentId")
    })))

  it.live("storage trouble while enriching is Unavailable", () =>
    run(Effect.gen(function*() {
      const { standIn } = yield* setUp()
      const storage = yield* Storage
      const broken = Storage.of({
        ...storage,
        stat: () => Effect.fail(new StorageError({ kind: "Unavailable", message: "disk gone" }))
      })
      const facade = yield* HttpFdoFacade.make({ baseUrl: standIn.baseUrl }).pipe(
        Effect.provide(FetchHttpClient.layer),
        Effect.provideService(Storage, broken)
      )
      const error = yield* errorOf(facade.manifest("Q111111"))
      assert.deepStrictEqual(error, { kind: "Unavailable", message: "storage unavailable: disk gone" })
      // an object without components needs no storage
      assert.deepStrictEqual(yield* facade.manifest("Q222222"), manifests.Q222222)
    })))

  it.live("a slow answer times out as Unavailable", () =>
    run(Effect.gen(function*() {
      const { facade, standIn } = yield* setUp({ timeout: "100 millis" })
      standIn.hooks.delayMs = 1_000
      const error = yield* errorOf(facade.manifest("Q111111"))
      assert.strictEqual(error.kind, "Unavailable")
      assert.match(error.message, /^metadata service unavailable: no answer within/)
    })))

  it.live("a façade that cannot be reached is Unavailable", () =>
    run(Effect.gen(function*() {
      const facade = yield* HttpFdoFacade.make({ baseUrl: "http://127.0.0.1:1/fdo/", timeout: "2 seconds" }).pipe(
        Effect.provide(FetchHttpClient.layer)
      )
      const error = yield* errorOf(facade.manifest("Q111111"))
      assert.strictEqual(error.kind, "Unavailable")
      assert.match(error.message, /^metadata service unavailable: /)
    })))

  it.live("what a client recorded with an update is laid over the façade's manifest; the façade's kernel stays", () =>
    run(Effect.gen(function*() {
      const { facade } = yield* setUp()
      const storage = yield* Storage
      const before = yield* facade.manifest("Q111111")
      // the manifest as a client sends it back, changed: what UpdateHandler records for it
      const sent = { ...before, profile: { ...(before["profile"] as object), name: "Renamed by a client" }, note: "mine" }
      yield* storage.write("Q111111", ObjectId.RECORD_ID, "application/json", Stream.make(new TextEncoder().encode("{}")))
      yield* storage.commit("update Q111111", {
        [DescriptionKeys.content]: JSON.stringify(clientContent(sent)),
        [DescriptionKeys.elements]: JSON.stringify({ "fulltext.pdf": { filename: "paper.pdf" } })
      })
      yield* facade.purge("Q111111")
      const after = yield* facade.manifest("Q111111")
      assert.strictEqual((after["profile"] as any).name, "Renamed by a client")
      assert.strictEqual(after["note"], "mine")
      assert.deepStrictEqual(after["provenance"], before["provenance"])
      assert.strictEqual(after["@id"], before["@id"])
      assert.deepStrictEqual(componentsOf(after)[0]!["attributes"], { filename: "paper.pdf" })
      assert.strictEqual(componentsOf(after)[0]!["checksum"], componentsOf(before)[0]!["checksum"])
      // sent back again as it is now: nothing nests, nothing moves
      yield* storage.write("Q111111", ObjectId.RECORD_ID, "application/json", Stream.make(new TextEncoder().encode("{\"v\":2}")))
      yield* storage.commit("update again", { [DescriptionKeys.content]: JSON.stringify(clientContent(after)) })
      yield* facade.purge("Q111111")
      assert.deepStrictEqual(yield* facade.manifest("Q111111"), after)
    })))

  it.live("types: a type FDO from types/{TypeId}, NotFound for an unknown type", () =>
    run(Effect.gen(function*() {
      const { facade, standIn } = yield* setUp()
      const dataset = yield* facade.type("Dataset")
      assert.deepStrictEqual(dataset, FacadeStandIn.typeFdo("Dataset"))
      yield* facade.type("Dataset")
      assert.strictEqual(standIn.count("types/Dataset"), 1)
      assert.strictEqual((yield* errorOf(facade.type("Unicorn"))).kind, "NotFound")
    })))

  it.live("purgeType evicts one type FDO: the next call asks the façade again, other types stay cached", () =>
    run(Effect.gen(function*() {
      const { facade, standIn } = yield* setUp()
      yield* facade.type("Dataset")
      yield* facade.type("Person")
      yield* facade.purgeType("Dataset")
      assert.deepStrictEqual(yield* facade.type("Dataset"), FacadeStandIn.typeFdo("Dataset"))
      yield* facade.type("Person")
      // a type's purge leaves an object's manifest of the same name alone, and the other way round
      yield* facade.manifest("Q222222")
      yield* facade.purge("Dataset")
      yield* facade.purgeType("Q222222")
      yield* facade.type("Dataset")
      yield* facade.manifest("Q222222")
      assert.deepStrictEqual([standIn.count("types/Dataset"), standIn.count("types/Person"), standIn.count("Q222222")], [2, 1, 1])
    })))
})
