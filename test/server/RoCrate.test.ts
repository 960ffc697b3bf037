/**
 * Element `rocrate` (issue 15, item 6), on both wires: a zip built as it streams, of the object's stored components
 * and an RO-Crate 1.1 `ro-crate-metadata.json` describing them, opened here with a real zip reader; a stored
 * `rocrate` component instead when there is one; and, for an object whose components storage does not hold, its
 * manifest's distribution downloaded (from an in-process web server) and wrapped, within the configured size and
 * time.
 */
import { assert, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import * as DoipClient from "../../src/client/DoipClient.ts"
import * as HttpFdoFacade from "../../src/layers/metadata/HttpFdoFacade.ts"
import { refusalOf } from "../support/ClientAnswers.ts"
import * as DistributionStandIn from "../support/DistributionStandIn.ts"
import * as FacadeStandIn from "../support/FacadeStandIn.ts"
import { concatBytes, prng } from "../support/Random.ts"
import { layerClient, layerClientDoip2, layerServer, seed, token } from "../support/TestServer.ts"
import { entryNamed, readZip, type ZipEntry } from "../support/ZipReader.ts"

const text = (s: string) => new TextEncoder().encode(s)
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

/** the crate the server answers for `objectId`: its announced size and media type, its bytes, its entries */
const crateOf = (objectId: string) =>
  Effect.gen(function*() {
    const client = yield* DoipClient.DoipClient
    const answer = yield* client.retrieve(objectId, "rocrate")
    const bytes = concatBytes(yield* Stream.runCollect(answer.content))
    // DOIP v2.0 names the bytes by the file name a client saves them under
    assert.strictEqual(answer.componentId, client.protocol === "doip2" ? `${objectId}-ro-crate.zip` : "rocrate")
    assert.strictEqual(answer.mediaType, "application/zip")
    // the binary envelope announces every length before the bytes; DOIP v2.0 may send them chunked
    if (client.protocol === "binary") assert.isDefined(answer.size, "the binary head announced the crate's length")
    if (answer.size !== undefined) assert.strictEqual(answer.size, bytes.length)
    return { bytes, entries: yield* readZip(bytes) }
  }).pipe(Effect.scoped)

type Entity = Record<string, unknown>

/** the metadata document, checked for what every RO-Crate 1.1 must say; its entities by `@id` */
const metadataOf = (entries: ReadonlyArray<ZipEntry>, objectId: string) => {
  const document = JSON.parse(new TextDecoder().decode(entryNamed(entries, "ro-crate-metadata.json").bytes))
  assert.strictEqual(document["@context"], "https://w3id.org/ro/crate/1.1/context")
  const byId = new Map<string, Entity>((document["@graph"] as Array<Entity>).map((e) => [e["@id"] as string, e]))
  const descriptor = byId.get("ro-crate-metadata.json")!
  assert.deepStrictEqual(descriptor["about"], { "@id": "./" })
  assert.deepStrictEqual(descriptor["conformsTo"], { "@id": "https://w3id.org/ro/crate/1.1" })
  const root = byId.get("./")!
  assert.strictEqual(root["@type"], "Dataset")
  assert.strictEqual(root["name"], objectId)
  assert.isString(root["datePublished"])
  const parts = (root["hasPart"] as Array<{ "@id": string }>).map((ref) => byId.get(ref["@id"])!)
  return { root, parts, byId }
}

/** the file entity of the crate for `name`, checked against the bytes the zip holds under that name */
const checkPart = (
  crate: { readonly entries: ReadonlyArray<ZipEntry> },
  parts: ReadonlyArray<Entity>,
  name: string,
  expected: { readonly bytes: Uint8Array; readonly mediaType: string }
) => {
  const part = parts.find((p) => p["@id"] === encodeURIComponent(name))
  assert.isDefined(part, `hasPart names ${name}`)
  assert.strictEqual(part!["@type"], "File")
  assert.strictEqual(part!["encodingFormat"], expected.mediaType)
  assert.strictEqual(part!["contentSize"], String(expected.bytes.length))
  assert.strictEqual(part!["sha256"], sha256(expected.bytes))
  assert.deepStrictEqual(entryNamed(crate.entries, name).bytes, expected.bytes)
  return part!
}

const pdf = prng(7).bytes(300_000)
const components = [
  { id: "fulltext.pdf", bytes: pdf, mediaType: "application/pdf" },
  { id: "empty.txt", bytes: new Uint8Array(0), mediaType: "text/plain" },
  { id: "données é.csv", bytes: text("x;y\n1;2\n"), mediaType: "text/csv" }
]

for (const protocol of ["binary", "doip2"] as const) {
  const layerFor = protocol === "binary" ? layerClient : layerClientDoip2
  layer(layerFor({ credentials: { token } }).pipe(Layer.provideMerge(layerServer())), { excludeTestServices: true })(
    `RO-Crate of stored components, over ${protocol}`,
    (it) => {
      it.effect("is a zip of the components and ro-crate-metadata.json describing them", () =>
        Effect.gen(function*() {
          for (const c of components) yield* seed("Q700", c.id, c.bytes, c.mediaType)
          const crate = yield* crateOf("Q700")
          assert.sameMembers(crate.entries.map((e) => e.name), [...components.map((c) => c.id), "ro-crate-metadata.json"])
          assert.strictEqual(crate.entries.at(-1)!.name, "ro-crate-metadata.json", "the metadata comes last")
          const { parts } = metadataOf(crate.entries, "Q700")
          assert.strictEqual(parts.length, components.length)
          for (const c of components) checkPart(crate, parts, c.id, c)
          // the @id is a relative URI path; the name is the file's own
          assert.strictEqual(parts.find((p) => p["name"] === "données é.csv")!["@id"], "donn%C3%A9es%20%C3%A9.csv")
        }))

      it.effect("a stored rocrate component is answered as it is", () =>
        Effect.gen(function*() {
          yield* seed("Q701", "fulltext.pdf", pdf, "application/pdf")
          yield* seed("Q701", "rocrate", text("PK... a crate made elsewhere"), "application/zip")
          const client = yield* DoipClient.DoipClient
          const answer = yield* client.retrieve("Q701", "rocrate")
          const bytes = concatBytes(yield* Stream.runCollect(answer.content))
          assert.strictEqual(new TextDecoder().decode(bytes), "PK... a crate made elsewhere")
        }).pipe(Effect.scoped))

      it.effect("an object without components or a distribution has none: NotFound", () =>
        Effect.gen(function*() {
          const client = yield* DoipClient.DoipClient
          const error = yield* Effect.flip(Effect.scoped(client.retrieve("Q702", "rocrate")))
          assert.strictEqual(error._tag, "NotFoundError")
        }))

      it.effect("a built crate has no ranges", () =>
        Effect.gen(function*() {
          yield* seed("Q703", "a.txt", text("abc"), "text/plain")
          const client = yield* DoipClient.DoipClient
          const refusal = yield* refusalOf(
            client.call({ operation: "retrieve", targetId: "Q703", attributes: { element: "rocrate", range: { start: 0, end: 1 } } })
          )
          assert.strictEqual(refusal.kind, "BadRequest")
        }))
    }
  )
}

/** the distribution stand-in the server of the tests below downloads from */
class Files extends Context.Service<Files, DistributionStandIn.DistributionStandIn>()("test/RoCrate/Files") {}

const csv = prng(9).bytes(150_000)
const manifest = (qid: string, distribution?: unknown) => ({
  "@context": ["https://w3id.org/fdo/context/v1"],
  "@id": `https://fdo.portal.mardi4nfdi.de/fdo/${qid}`,
  "@type": "DigitalObject",
  kernel: {
    "@id": `https://fdo.portal.mardi4nfdi.de/fdo/${qid}`,
    digitalObjectType: "https://fdo.portal.mardi4nfdi.de/fdo/types/Dataset",
    primaryIdentifier: `mardi:${qid}`,
    kernelVersion: "v1",
    immutable: true,
    modified: "2024-02-02T12:00:00Z"
  },
  profile: {
    "@context": "https://schema.org",
    "@type": "Dataset",
    name: `Dataset ${qid}`,
    ...(distribution === undefined ? {} : { distribution })
  }
})

const layerServerWithDistributions = Layer.unwrap(Effect.gen(function*() {
  const files = yield* DistributionStandIn.make
  files.put("data.csv", { bytes: csv, contentType: "text/csv; charset=utf-8" })
  files.put("chunked.bin", { bytes: csv, chunked: true })
  files.put("moved.csv", { bytes: new Uint8Array(0), redirectTo: "/files/data.csv" })
  files.put("huge.bin", { bytes: new Uint8Array(300_000) })
  files.put("huge-chunked.bin", { bytes: new Uint8Array(300_000), chunked: true })
  files.put("gone.csv", { bytes: new Uint8Array(0), status: 404 })
  files.put("slow.csv", { bytes: csv, delayMs: 3_000 })
  const facade = yield* FacadeStandIn.make({
    Q5001: manifest("Q5001", [{ "@type": "DataDownload", contentUrl: files.url("data.csv") }]),
    Q5002: manifest("Q5002", { contentUrl: files.url("chunked.bin"), encodingFormat: "application/x-test" }),
    Q5003: manifest("Q5003", [{ contentUrl: files.url("moved.csv") }]),
    Q5004: manifest("Q5004", [{ contentUrl: files.url("huge.bin") }]),
    Q5005: manifest("Q5005", [{ contentUrl: files.url("huge-chunked.bin") }]),
    Q5006: manifest("Q5006", [{ contentUrl: files.url("gone.csv") }]),
    Q5007: manifest("Q5007", [{ contentUrl: files.url("slow.csv") }]),
    Q5008: manifest("Q5008"),
    Q5009: manifest("Q5009", [{ contentUrl: files.url("data.csv") }])
  })
  return layerServer({
    settings: {
      fdoApi: facade.baseUrl.replace(/\/$/, ""),
      rocrate: { maxDownloadBytes: 200_000, downloadTimeoutSeconds: 1 }
    },
    facade: HttpFdoFacade.layer({ baseUrl: facade.baseUrl }).pipe(Layer.provide(FetchHttpClient.layer))
  }).pipe(Layer.provideMerge(Layer.succeed(Files, files)))
}))

for (const protocol of ["binary", "doip2"] as const) {
  const layerFor = protocol === "binary" ? layerClient : layerClientDoip2
  layer(layerFor({ credentials: { token } }).pipe(Layer.provideMerge(layerServerWithDistributions)), { excludeTestServices: true })(
    `RO-Crate of a distribution, over ${protocol}`,
    (it) => {
      it.effect("wraps the file the manifest's contentUrl names, with its SHA-256 computed on the way", () =>
        Effect.gen(function*() {
          const files = yield* Files
          const crate = yield* crateOf("Q5001")
          assert.deepStrictEqual(crate.entries.map((e) => e.name), ["data.csv", "ro-crate-metadata.json"])
          const { parts, root } = metadataOf(crate.entries, "Q5001")
          const part = checkPart(crate, parts, "data.csv", { bytes: csv, mediaType: "text/csv" })
          assert.strictEqual(part["contentUrl"], files.url("data.csv"))
          assert.strictEqual(root["identifier"], "https://fdo.portal.mardi4nfdi.de/fdo/Q5001")
        }))

      it.effect("a body of unknown length, and a redirect, are followed through", () =>
        Effect.gen(function*() {
          const chunked = yield* crateOf("Q5002")
          checkPart(chunked, metadataOf(chunked.entries, "Q5002").parts, "chunked.bin", { bytes: csv, mediaType: "application/x-test" })
          const moved = yield* crateOf("Q5003")
          checkPart(moved, metadataOf(moved.entries, "Q5003").parts, "moved.csv", { bytes: csv, mediaType: "text/csv" })
        }))

      it.effect("a distribution over rocrate.maxDownloadBytes is TooLarge, with or without its length said", () =>
        Effect.gen(function*() {
          const client = yield* DoipClient.DoipClient
          for (const objectId of ["Q5004", "Q5005"]) {
            const refusal = yield* refusalOf(client.retrieve(objectId, "rocrate"))
            assert.strictEqual(refusal.kind, "TooLarge")
            assert.include(refusal.message, "200000 bytes")
          }
        }))

      it.effect("a distribution that fails or is slower than the timeout is Unavailable, and its URL is not told", () =>
        Effect.gen(function*() {
          const client = yield* DoipClient.DoipClient
          const files = yield* Files
          for (const [objectId, why] of [["Q5006", "HTTP 404"], ["Q5007", "no answer within"]] as const) {
            const refusal = yield* refusalOf(client.retrieve(objectId, "rocrate"))
            assert.strictEqual(refusal.kind, "Unavailable")
            assert.include(refusal.message, why)
            assert.notInclude(refusal.message, files.origin)
          }
        }))

      it.effect("no components and no distribution: NotFound", () =>
        Effect.gen(function*() {
          const client = yield* DoipClient.DoipClient
          const error = yield* Effect.flip(Effect.scoped(client.retrieve("Q5008", "rocrate")))
          assert.strictEqual(error._tag, "NotFoundError")
        }))

      it.effect("stored components win over the distribution, which is then not downloaded", () =>
        Effect.gen(function*() {
          const files = yield* Files
          const objectId = "Q5009"
          yield* seed(objectId, "notes.txt", text("mine"), "text/plain")
          const before = files.requests.length
          const crate = yield* crateOf(objectId)
          assert.deepStrictEqual(crate.entries.map((e) => e.name), ["notes.txt", "ro-crate-metadata.json"])
          assert.strictEqual(files.requests.length, before)
          const { root } = metadataOf(crate.entries, objectId)
          assert.strictEqual(root["description"], "Dataset Q5009", "described by the manifest's profile")
        }))
    }
  )
}
