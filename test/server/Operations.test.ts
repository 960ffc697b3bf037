/**
 * The operations through our binary client, once per storage (`backends`): memory, and lakeFS through its stand-in.
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { DoipClient } from "../../src/client/DoipClient.ts"
import * as DoipClientModule from "../../src/client/DoipClient.ts"
import { ListenAddress } from "../../src/server/DoipServer.ts"
import * as FixityWorkflow from "../../src/layers/workflows/FixityWorkflow.ts"
import { Storage } from "../../src/layers/storage/Storage.ts"
import * as Workflows from "../../src/layers/workflows/Workflows.ts"
import { concatBytes } from "../support/Random.ts"
import { backends } from "../support/StorageBackends.ts"
import { layerClient, seed, token } from "../support/TestServer.ts"

const readAll = (stream: Stream.Stream<Uint8Array, unknown>) => Stream.runCollect(stream).pipe(Effect.map(concatBytes))
const text = (s: string) => new TextEncoder().encode(s)

for (const backend of backends) {
  describe(`on ${backend.name}`, () => {
    const Server = backend.layerServer()
    const Clients = layerClient({ credentials: { token } }).pipe(Layer.provideMerge(Server))

    layer(Clients, { excludeTestServices: true })("operations over TCP", (it) => {
      it.effect("hello reports the server, protocol version 2 and the operations", () =>
        Effect.gen(function*() {
          const client = yield* DoipClient
          const hello = yield* client.hello()
          assert.strictEqual(hello["status"], "ok")
          assert.strictEqual(hello["version"], 2)
          assert.strictEqual(hello["server"], "effect-doip-test")
          assert.deepStrictEqual(hello["availableOperations"], {
            hello: 1, retrieve: 2, update: 3, list_operations: 4, invoke: 5, purge: 7, describe: 6, create: 8, search: 9,
            delete: 10, versions: 11
          })
          assert.deepStrictEqual(yield* client.listOps(), Object.keys(hello["availableOperations"] as object))
        }))

      it.effect("retrieve answers the manifest, then a component streamed", () =>
        Effect.gen(function*() {
          yield* seed("Q42", "fulltext.pdf", "%PDF-1.4 pretend", "application/pdf")
          yield* seed("Q42", "data.csv", "a,b\n1,2\n", "text/csv")
          const client = yield* DoipClient
          const manifest = yield* client.retrieve("q42")
          assert.strictEqual(manifest["@id"], "Q42")
          const components = (manifest["kernel"] as any)["fdo:hasComponent"] as Array<any>
          assert.deepStrictEqual(components.map((c) => [c.componentId, c.mediaType, c.size]), [
            ["data.csv", "text/csv", 8],
            ["fulltext.pdf", "application/pdf", 16]
          ])
          assert.match(components[0].checksum, /^sha256:[0-9a-f]{64}$/)
          const pdf = yield* client.retrieve("Q42", "fulltext.pdf")
          assert.strictEqual(pdf.mediaType, "application/pdf")
          assert.strictEqual(pdf.size, 16)
          assert.strictEqual(new TextDecoder().decode(yield* readAll(pdf.content)), "%PDF-1.4 pretend")
          // the same connection serves the next call
          assert.strictEqual((yield* client.hello())["status"], "ok")
        }))

      it.effect("update commits one component and leaves the others", () =>
        Effect.gen(function*() {
          yield* seed("Q7", "a.txt", "old a")
          yield* seed("Q7", "b.txt", "old b")
          const client = yield* DoipClient
          const answer = yield* client.updateComponent("Q7", "a.txt", text("new a!"), "text/plain")
          assert.strictEqual(answer["status"], "committed")
          assert.strictEqual(answer["objectId"], "Q7")
          assert.strictEqual(answer["componentId"], "a.txt")
          assert.strictEqual(answer["size"], 6)
          assert.strictEqual(answer["branch"], "main")
          assert.isString(answer["commitId"])
          const a = yield* client.retrieve("Q7", "a.txt")
          assert.strictEqual(a.mediaType, "text/plain")
          assert.strictEqual(new TextDecoder().decode(yield* readAll(a.content)), "new a!")
          const b = yield* client.retrieve("Q7", "b.txt")
          assert.strictEqual(new TextDecoder().decode(yield* readAll(b.content)), "old b")
          const storage = yield* Storage
          const history = yield* storage.history("Q7")
          assert.strictEqual(history[0]!.metadata["operation"], "update")
          assert.strictEqual(history[0]!.metadata["component_id"], "a.txt")
        }))

      it.effect("update streams a large component", () =>
        Effect.gen(function*() {
          yield* seed("Q8", "big.bin", "x")
          const client = yield* DoipClient
          const size = 8 * 1024 * 1024
          const stream = Stream.range(0, size / 65536 - 1, 1).pipe(Stream.map((i) => new Uint8Array(65536).fill(i & 0xff)))
          const answer = yield* client.updateComponent("Q8", "big.bin", { size, stream })
          assert.strictEqual(answer["size"], size)
          const back = yield* client.retrieve("Q8", "big.bin")
          const bytes = yield* readAll(back.content)
          assert.strictEqual(bytes.length, size)
          assert.strictEqual(bytes[65536 * 3], 3)
        }))

      it.effect("invoke runs the fixity workflow and returns its derived component", () =>
        Effect.gen(function*() {
          yield* seed("Q9", "paper.pdf", "%PDF-1.4 nine", "application/pdf")
          const client = yield* DoipClient
          const answer = yield* client.invoke("Q9", "fixity")
          assert.strictEqual(answer.metadata[0]!["workflow"], "fixity")
          assert.strictEqual((answer.metadata[0]!["result"] as any).allOk, true)
          assert.strictEqual(answer.components.length, 1)
          assert.strictEqual(answer.components[0]!.componentId, "fixity.sha256")
          assert.match(new TextDecoder().decode(answer.components[0]!.content), /^[0-9a-f]{64} {2}paper\.pdf\n$/)
          const block = answer.workflow[0]!
          assert.strictEqual(block["workflow"], "fixity")
          assert.strictEqual(block["sourceObject"], "Q9")
          assert.deepStrictEqual((block["derivedComponents"] as Array<any>).map((c) => c.componentId), ["fixity.sha256"])
          const stored = yield* client.retrieve("Q9", "fixity.sha256")
          assert.strictEqual(stored.size, answer.components[0]!.content.length)
          yield* readAll(stored.content)
        }))

      it.effect("an anonymous invoke answers the fixity but stores nothing: the owner's fixity.sha256 stays", () =>
        Effect.gen(function*() {
          yield* seed("Q19", "paper.pdf", "%PDF-1.4 nineteen", "application/pdf")
          yield* seed("Q19", "fixity.sha256", "the owner's own record\n", "text/plain")
          const { binaryPort, doip2Port } = yield* ListenAddress
          for (const anonymous of [
            yield* DoipClientModule.make({ host: "127.0.0.1", port: binaryPort, timeout: "5 seconds" }),
            yield* DoipClientModule.makeDoip2({ host: "127.0.0.1", port: doip2Port, timeout: "5 seconds" })
          ]) {
            const answer = yield* anonymous.invoke("Q19", "fixity")
            assert.strictEqual(answer.workflow[0]!["stored"], false)
            assert.match(new TextDecoder().decode(answer.components[0]!.content), /^[0-9a-f]{64} {2}paper\.pdf\n$/)
          }
          const storage = yield* Storage
          const kept = yield* Stream.runCollect(storage.read("Q19", "fixity.sha256"))
          assert.strictEqual(new TextDecoder().decode(concatBytes(kept)), "the owner's own record\n")
          // a wrong credential is refused rather than quietly not stored
          const wrong = yield* DoipClientModule.make({
            host: "127.0.0.1",
            port: binaryPort,
            timeout: "5 seconds",
            credentials: { token: "wrong" }
          })
          const refused = yield* wrong.invoke("Q19", "fixity").pipe(Effect.flip)
          assert.strictEqual(refused._tag === "ServerError" && refused.error, "Unauthenticated")
        }).pipe(Effect.scoped))

      it.effect("errors: unknown workflow, missing object, bad id; the connection survives", () =>
        Effect.gen(function*() {
          const client = yield* DoipClient
          const unknownWorkflow = yield* client.invoke("Q9", "nope").pipe(Effect.flip)
          assert.strictEqual(unknownWorkflow._tag, "ServerError")
          assert.match(unknownWorkflow.message, /unknown workflow "nope"; available: fixity/)
          const missing = yield* client.retrieve("Q999999").pipe(Effect.flip)
          assert.strictEqual(missing._tag, "NotFoundError")
          const missingComponent = yield* Effect.scoped(client.retrieve("Q9", "nothing.txt")).pipe(Effect.flip)
          assert.strictEqual(missingComponent._tag, "NotFoundError")
          const badId = yield* client.retrieve("not-a-qid").pipe(Effect.flip)
          assert.strictEqual(badId._tag, "NotFoundError")
          assert.match(badId.message, /not a QID/)
          const escape = yield* Effect.scoped(client.retrieve("Q9", "../../etc/passwd")).pipe(Effect.flip)
          assert.strictEqual(escape._tag, "ServerError")
          assert.strictEqual((yield* client.hello())["status"], "ok")
        }))

      it.effect("purge drops the cached manifest, so the next retrieve sees what storage holds now (lakeFS: at once)", () =>
        Effect.gen(function*() {
          yield* seed("Q11", "a.txt", "a")
          const client = yield* DoipClient
          const componentIds = (manifest: Record<string, unknown>) =>
            ((manifest["kernel"] as any)["fdo:hasComponent"] as Array<any>).map((c) => c.componentId)
          assert.deepStrictEqual(componentIds(yield* client.retrieve("Q11")), ["a.txt"])
          // committed behind the server's back (not through ComponentWriter, which would evict the cache itself)
          const storage = yield* Storage
          yield* storage.write("Q11", "b.txt", "text/plain", Stream.succeed(text("b")))
          yield* storage.commit("side door", {})
          // a storage that other processes may write to (lakeFS) has its manifests checked against the branch's head
          const seenAtOnce = storage.versions !== undefined
          assert.deepStrictEqual(componentIds(yield* client.retrieve("Q11")), seenAtOnce ? ["a.txt", "b.txt"] : ["a.txt"])
          assert.deepStrictEqual(yield* client.purge("q11"), { operation: "purge", status: "purged", objectId: "Q11", pid: "Q11" })
          assert.deepStrictEqual(componentIds(yield* client.retrieve("Q11")), ["a.txt", "b.txt"])
        }))
    })

    const Anonymous = layerClient().pipe(Layer.provideMerge(Server))
    layer(Anonymous, { excludeTestServices: true })("writes need credentials", (it) => {
      it.effect("update without credentials is refused and changes nothing", () =>
        Effect.gen(function*() {
          yield* seed("Q5", "a.txt", "original")
          const client = yield* DoipClient
          const error = yield* client.updateComponent("Q5", "a.txt", text("evil")).pipe(Effect.flip)
          assert.strictEqual(error._tag, "ServerError")
          assert.strictEqual(error._tag === "ServerError" && error.error, "Unauthenticated")
          const a = yield* client.retrieve("Q5", "a.txt")
          assert.strictEqual(new TextDecoder().decode(yield* readAll(a.content)), "original")
        }))
    })

    describe("credentials", () => {
      const Wrong = layerClient({ credentials: { token: "wrong" } }).pipe(Layer.provideMerge(backend.layerServer()))
      layer(Wrong, { excludeTestServices: true })("a wrong token", (it) => {
        it.effect("is refused before any byte is stored", () =>
          Effect.gen(function*() {
            yield* seed("Q5", "a.txt", "original")
            const client = yield* DoipClient
            const error = yield* client.updateComponent("Q5", "a.txt", text("evil")).pipe(Effect.flip)
            assert.strictEqual(error._tag === "ServerError" && error.error, "Unauthenticated")
            const storage = yield* Storage
            assert.strictEqual((yield* storage.history("Q5")).length, 1)
          }))
      })
    })

    describe("workflows", () => {
      const shout: Workflows.Workflow = {
        name: "shout",
        description: "answers its params in capitals",
        writes: false,
        run: ({ objectId, params }) =>
          Effect.succeed({ result: { objectId, said: String(params["text"]).toUpperCase() }, derivedComponents: [] })
      }
      const WithShout = layerClient().pipe(
        Layer.provideMerge(backend.layerServer({ workflows: Workflows.layerFrom([FixityWorkflow.make, Effect.succeed(shout)]) }))
      )
      layer(WithShout, { excludeTestServices: true })("a workflow added with a layer", (it) => {
        it.effect("is offered in hello and runs on invoke", () =>
          Effect.gen(function*() {
            const client = yield* DoipClient
            const hello = yield* client.hello()
            assert.deepStrictEqual((hello["workflows"] as Array<any>).map((w) => w.name), ["fixity", "shout"])
            const answer = yield* client.invoke("Q1", "shout", { text: "hi" })
            assert.deepStrictEqual(answer.metadata[0]!["result"], {
              workflow: "shout", sourceObject: "Q1", derivedComponents: [], stored: false, objectId: "Q1", said: "HI"
            })
          }))
      })
    })
  })
}
