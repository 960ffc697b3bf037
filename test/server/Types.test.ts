/**
 * Type FDOs as the upstream MaRDI server serves them: hello's `typeRegistry`, retrieve of `types/X` (or its full URI)
 * answering the type FDO, and purge of `types/X`, once on the embedded catalog and once through the HTTP façade
 * (the in-process stand-in), over both framings.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as DoipClient from "../../src/client/DoipClient.ts"
import * as HttpFdoFacade from "../../src/layers/metadata/HttpFdoFacade.ts"
import * as TypeCatalog from "../../src/layers/metadata/TypeCatalog.ts"
import * as FacadeStandIn from "../support/FacadeStandIn.ts"
import { layerClient, layerClientDoip2, layerServer, token } from "../support/TestServer.ts"

/** the seven type ids of BACKENDS.md, written out so that a change to the catalog's list shows here */
const typeIds = ["ScholarlyArticle", "Dataset", "Workflow", "Person", "SoftwareApplication", "SoftwareSourceCode", "Formula"]

const registryOf = (base: string) => ({
  baseUri: base,
  types: Object.fromEntries(typeIds.map((id) => [id, `${base}${id}`]))
})

/** hello's type registry, wherever the framing puts it */
const helloRegistry = (protocol: DoipClient.Protocol, hello: Record<string, unknown>) =>
  protocol === "binary" ? hello["typeRegistry"] : (hello["attributes"] as Record<string, unknown>)["typeRegistry"]

/** the type FDO in a retrieve answer: the metadata block (binary), or the object's content after its id and type (DOIP v2.0) */
const typeFdoOf = (protocol: DoipClient.Protocol, typeId: string, answer: Record<string, unknown>) => {
  if (protocol === "binary") return answer
  assert.strictEqual(answer["id"], `types/${typeId}`)
  assert.strictEqual(answer["type"], "DigitalObjectType")
  assert.isUndefined(answer["elements"])
  return (answer["attributes"] as Record<string, unknown>)["content"]
}

const failureOf = <A, E extends { readonly _tag: string; readonly message: string }>(effect: Effect.Effect<A, E>) =>
  Effect.map(Effect.flip(effect), (e) => ({ tag: e._tag, error: (e as { readonly error?: string }).error, message: e.message }))

/** whichever façade answers, an unknown type is the framing's not-found, with the type in its message */
const unknownTypeIsNotFound = Effect.gen(function*() {
  const client = yield* DoipClient.DoipClient
  const failure = yield* failureOf(client.retrieve("types/Unicorn"))
  assert.strictEqual(failure.tag, "NotFoundError")
  assert.include(failure.message, "Unicorn")
})

describe("TypeCatalog.parseTypeId", () => {
  const base = "https://fdo.example/fdo/types/"
  it("types/X and the full URI under the base are X; other ids are no type", () => {
    assert.deepStrictEqual(TypeCatalog.parseTypeId("types/Dataset", base), Result.succeed("Dataset"))
    assert.deepStrictEqual(TypeCatalog.parseTypeId(`${base}Formula`, base), Result.succeed("Formula"))
    assert.deepStrictEqual(TypeCatalog.parseTypeId("types/Dataset"), Result.succeed("Dataset"))
    for (const other of ["Q1", "types", "type/Dataset", "https://elsewhere.example/fdo/types/Dataset"]) {
      assert.isUndefined(TypeCatalog.parseTypeId(other, base), other)
    }
  })

  it("a type reference that is not a plain name fails", () => {
    for (const bad of ["types/", "types/../x", "types/..", "types/a/b", "types/a b", `${base}`, `${base}x/y`]) {
      assert.isTrue(Result.isFailure(TypeCatalog.parseTypeId(bad, base) ?? Result.succeed("no failure")), bad)
    }
  })

  it("the base URI: the façade's types/, with or without its trailing slash; types/ without a façade", () => {
    assert.strictEqual(TypeCatalog.baseUri(Option.some("https://fdo.example/fdo/")), base)
    assert.strictEqual(TypeCatalog.baseUri(Option.some("https://fdo.example/fdo")), base)
    assert.strictEqual(TypeCatalog.baseUri(Option.none()), "types/")
  })
})

class StandIn extends Context.Service<StandIn, FacadeStandIn.FacadeStandIn>()("test/server/Types/StandIn") {}

/** a server whose façade is the stand-in over HTTP; `fdoApi` is given without its trailing slash, as users write it */
const layerServerWithFacade = Layer.unwrap(Effect.gen(function*() {
  const standIn = yield* FacadeStandIn.make()
  const server = layerServer({
    settings: { fdoApi: standIn.baseUrl.replace(/\/$/, "") },
    facade: HttpFdoFacade.layer({ baseUrl: standIn.baseUrl }).pipe(Layer.provide(FetchHttpClient.layer))
  })
  return Layer.merge(server, Layer.succeed(StandIn, standIn))
}))

for (const protocol of ["binary", "doip2"] as const) {
  const layerFor = protocol === "binary" ? layerClient : layerClientDoip2

  layer(layerFor({ credentials: { token } }).pipe(Layer.provideMerge(layerServer())), { excludeTestServices: true })(
    `types on the embedded catalog over ${protocol}`,
    (it) => {
      it.effect("hello carries the type registry: the seven types under types/", () =>
        Effect.gen(function*() {
          const client = yield* DoipClient.DoipClient
          assert.deepStrictEqual(helloRegistry(protocol, yield* client.hello()), registryOf("types/"))
        }))

      it.effect("retrieve types/Dataset answers the catalog's type FDO", () =>
        Effect.gen(function*() {
          const client = yield* DoipClient.DoipClient
          const fdo = typeFdoOf(protocol, "Dataset", yield* client.retrieve("types/Dataset")) as Record<string, any>
          assert.deepStrictEqual(fdo, TypeCatalog.embedded.Dataset)
          assert.strictEqual(fdo["@id"], "types/Dataset")
          assert.strictEqual(fdo["@type"], "DigitalObjectType")
          assert.strictEqual(fdo["label"], "Dataset")
          assert.deepStrictEqual(fdo["propertyMappings"]["name"], { pid: "https://schema.org/name", type: "string", multi: false })
          assert.deepStrictEqual(fdo["propertyMappings"]["creator"], { pid: "https://schema.org/creator", type: "item", multi: true })
        }))

      it.effect("every advertised type is retrievable by its registry URI", () =>
        Effect.gen(function*() {
          const client = yield* DoipClient.DoipClient
          for (const typeId of typeIds) {
            const fdo = typeFdoOf(protocol, typeId, yield* client.retrieve(`types/${typeId}`)) as Record<string, any>
            assert.strictEqual(fdo["@id"], `types/${typeId}`)
            assert.isAbove(Object.keys(fdo["propertyMappings"]).length, 2, typeId)
          }
        }))

      it.effect("an unknown type is not found, naming the type", () => unknownTypeIsNotFound)

      it.effect("types/../x and types/ are bad requests", () =>
        Effect.gen(function*() {
          const client = yield* DoipClient.DoipClient
          for (const id of ["types/../x", "types/"]) {
            const failure = yield* failureOf(client.retrieve(id))
            assert.deepStrictEqual([failure.tag, failure.error], ["ServerError", "BadRequest"], id)
            assert.include(failure.message, "type", id)
          }
        }))

      it.effect("an element of a type is a bad request", () =>
        Effect.gen(function*() {
          const client = yield* DoipClient.DoipClient
          const failure = yield* failureOf(client.retrieve("types/Dataset", "name").pipe(Effect.scoped))
          assert.deepStrictEqual([failure.tag, failure.error], ["ServerError", "BadRequest"])
          assert.include(failure.message, "no elements")
        }))

      it.effect("purge of a type answers purged with the type's id", () =>
        Effect.gen(function*() {
          const client = yield* DoipClient.DoipClient
          assert.deepStrictEqual(yield* client.purge("types/Person"), {
            operation: "purge",
            status: "purged",
            objectId: "types/Person",
            pid: "types/Person"
          })
        }))
    }
  )

  layer(layerFor({ credentials: { token } }).pipe(Layer.provideMerge(layerServerWithFacade)), {
    excludeTestServices: true
  })(`types through the HTTP façade over ${protocol}`, (it) => {
    it.effect("hello's base URI is the façade's types/", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn
        const client = yield* DoipClient.DoipClient
        assert.deepStrictEqual(helloRegistry(protocol, yield* client.hello()), registryOf(`${standIn.baseUrl}types/`))
      }))

    it.effect("retrieve by short id and by full URI answer the façade's FDO, cached until purged", () =>
      Effect.gen(function*() {
        const standIn = yield* StandIn
        const client = yield* DoipClient.DoipClient
        const expected = FacadeStandIn.typeFdo("Dataset")
        assert.deepStrictEqual(typeFdoOf(protocol, "Dataset", yield* client.retrieve("types/Dataset")), expected)
        assert.strictEqual(standIn.count("types/Dataset"), 1)
        const byUri = yield* client.retrieve(`${standIn.baseUrl}types/Dataset`)
        assert.deepStrictEqual(typeFdoOf(protocol, "Dataset", byUri), expected)
        assert.strictEqual(standIn.count("types/Dataset"), 1) // from the cache

        assert.deepStrictEqual(yield* client.purge("types/Dataset"), {
          operation: "purge",
          status: "purged",
          objectId: "types/Dataset",
          pid: "types/Dataset"
        })
        assert.deepStrictEqual(typeFdoOf(protocol, "Dataset", yield* client.retrieve("types/Dataset")), expected)
        assert.strictEqual(standIn.count("types/Dataset"), 2)
      }))

    it.effect("an unknown type is not found, naming the type", () => unknownTypeIsNotFound)
  })
}
