/**
 * Our client against our server, over real sockets on loopback, once per framing: the binary envelope (port) and
 * DOIP v2.0 segments (port + 1). The same calls must mean the same on both; where the framings answer differently
 * (the binary envelope's records, DOIP v2.0's digital objects), each is checked for its own shape. And once per
 * storage (`backends`): memory, and lakeFS through its stand-in.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import type { ClientError } from "../../src/client/ClientError.ts"
import * as DoipClient from "../../src/client/DoipClient.ts"
import { Storage } from "../../src/layers/storage/Storage.ts"
import { ListenAddress } from "../../src/server/DoipServer.ts"
import { concatBytes } from "../support/Random.ts"
import { backends } from "../support/StorageBackends.ts"
import { layerClient, layerClientDoip2, seed, token } from "../support/TestServer.ts"

const text = (s: string) => new TextEncoder().encode(s)
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const readAll = (stream: Stream.Stream<Uint8Array, ClientError>) => Stream.runCollect(stream).pipe(Effect.map(concatBytes))

/** a second client of the same framing for the server in context, with other options */
const otherClient = (protocol: DoipClient.Protocol, options: Partial<DoipClient.ClientOptions>) =>
  Effect.gen(function*() {
    const address = yield* ListenAddress
    const base: Omit<DoipClient.ClientOptions, "port"> = { host: "127.0.0.1", timeout: "10 seconds", ...options }
    return protocol === "binary"
      ? yield* DoipClient.make({ ...base, port: address.binaryPort })
      : yield* DoipClient.makeDoip2({ ...base, port: address.doip2Port })
  })

const elementIds = (object: Record<string, unknown>) => (object["elements"] as Array<any>).map((e) => e.id)
const componentIds = (manifest: Record<string, unknown>) =>
  ((manifest["kernel"] as any)["fdo:hasComponent"] as Array<any>).map((c) => c.componentId)

for (const backend of backends) for (const protocol of ["binary", "doip2"] as const) {
  const Server = backend.layerServer()
  const layerFor = protocol === "binary" ? layerClient : layerClientDoip2
  const Clients = layerFor({ credentials: { token } }).pipe(Layer.provideMerge(Server))

  layer(Clients, { excludeTestServices: true })(`DoipClient over ${protocol} on ${backend.name}`, (it) => {
    it.effect("hello and list-ops", () =>
      Effect.gen(function*() {
        const client = yield* DoipClient.DoipClient
        assert.strictEqual(client.protocol, protocol)
        const hello = yield* client.hello()
        const operations = yield* client.listOps()
        if (protocol === "binary") {
          assert.strictEqual(hello["status"], "ok")
          assert.strictEqual(hello["version"], 2)
          assert.deepStrictEqual(operations, Object.keys(hello["availableOperations"] as object))
          assert.includeMembers([...operations], ["hello", "retrieve", "update", "create", "delete", "search", "invoke"])
        } else {
          const { doip2Port } = yield* ListenAddress
          assert.strictEqual(hello["type"], "0.TYPE/DOIPService")
          assert.strictEqual(hello["id"], "effect-doip/service")
          const attributes = hello["attributes"] as Record<string, unknown>
          assert.strictEqual(attributes["protocolVersion"], "2.0")
          assert.strictEqual(attributes["port"], doip2Port)
          // the service's own operations; retrieve, update and delete target objects
          assert.includeMembers([...operations], ["0.DOIP/Op.Hello", "0.DOIP/Op.ListOperations", "0.DOIP/Op.Create", "0.DOIP/Op.Search"])
          assert.notInclude([...operations], "0.DOIP/Op.Retrieve")
        }
      }))

    it.effect("retrieve: the object, then an element streamed, then the next call on the same connection", () =>
      Effect.gen(function*() {
        yield* seed("Q42", "fulltext.pdf", "%PDF-1.4 pretend", "application/pdf")
        yield* seed("Q42", "data.csv", "a,b\n1,2\n", "text/csv")
        const client = yield* DoipClient.DoipClient
        const object = yield* client.retrieve("q42")
        if (protocol === "binary") {
          assert.strictEqual(object["@id"], "Q42")
          assert.deepStrictEqual(componentIds(object), ["data.csv", "fulltext.pdf"])
        } else {
          assert.strictEqual(object["id"], "Q42")
          assert.deepStrictEqual(elementIds(object), ["data.csv", "fulltext.pdf"])
          assert.deepStrictEqual((object["elements"] as Array<any>).map((e) => [e.type, e.length]), [["text/csv", 8], ["application/pdf", 16]])
          assert.strictEqual(((object["attributes"] as any).content)["@id"], "Q42")
        }
        const pdf = yield* client.retrieve("Q42", "fulltext.pdf")
        assert.strictEqual(pdf.componentId, "fulltext.pdf")
        assert.strictEqual(pdf.mediaType, "application/pdf")
        assert.strictEqual(pdf.size, 16)
        assert.strictEqual(decode(yield* readAll(pdf.content)), "%PDF-1.4 pretend")
        assert.isObject(yield* client.hello())
      }))

    it.effect("a large element streams in many chunks, never as one buffer", () =>
      Effect.gen(function*() {
        const size = 6 * 1024 * 1024 + 3
        const data = new Uint8Array(size).map((_, i) => i % 251)
        yield* seed("Q43", "big.bin", data)
        const client = yield* DoipClient.DoipClient
        const big = yield* client.retrieve("Q43", "big.bin")
        assert.strictEqual(big.size, size)
        let chunks = 0
        let largest = 0
        const back = yield* Stream.runCollect(big.content.pipe(Stream.tap((chunk) =>
          Effect.sync(() => {
            chunks++
            largest = Math.max(largest, chunk.length)
          })
        )))
        assert.isAbove(chunks, 4)
        assert.isBelow(largest, size)
        assert.deepStrictEqual(concatBytes(back), data)
      }))

    it.effect("updateComponent replaces one element and leaves the others", () =>
      Effect.gen(function*() {
        yield* seed("Q7", "a.txt", "old a")
        yield* seed("Q7", "b.txt", "old b")
        const client = yield* DoipClient.DoipClient
        const answer = yield* client.updateComponent("Q7", "a.txt", text("new a!"), "text/plain")
        if (protocol === "binary") {
          assert.strictEqual(answer["status"], "committed")
          assert.strictEqual(answer["size"], 6)
        } else {
          assert.strictEqual(answer["id"], "Q7")
          assert.deepStrictEqual(elementIds(answer), ["a.txt", "b.txt"])
        }
        const a = yield* client.retrieve("Q7", "a.txt")
        assert.strictEqual(a.mediaType, "text/plain")
        assert.strictEqual(decode(yield* readAll(a.content)), "new a!")
        const b = yield* client.retrieve("Q7", "b.txt")
        assert.strictEqual(decode(yield* readAll(b.content)), "old b")
        const history = yield* (yield* Storage).history("Q7")
        assert.strictEqual(history[0]!.metadata["operation"], "update")
      }))

    it.effect("create with two elements (bytes and a stream), then a duplicate is a Conflict", () =>
      Effect.gen(function*() {
        const client = yield* DoipClient.DoipClient
        const csv = "x,y\n1,2\n"
        const answer = yield* client.create(
          { id: "Q500", type: "Dataset", attributes: { content: { name: "five hundred" } } },
          [
            { id: "data.csv", mediaType: "text/csv", content: text(csv) },
            { id: "notes.txt", mediaType: "text/plain", content: { size: 10, stream: Stream.make(text("hello"), text(" note")) } }
          ]
        )
        if (protocol === "binary") {
          assert.strictEqual(answer["status"], "created")
          assert.strictEqual(answer["objectId"], "Q500")
          assert.deepStrictEqual(answer["componentIds"], ["data.csv", "notes.txt"])
        } else {
          assert.strictEqual(answer["id"], "Q500")
          assert.strictEqual(answer["type"], "Dataset")
          assert.deepStrictEqual(elementIds(answer), ["data.csv", "notes.txt"])
        }
        const storage = yield* Storage
        assert.deepStrictEqual((yield* storage.list("Q500")).map((s) => [s.componentId, s.mediaType, s.size]), [
          ["data.csv", "text/csv", 8],
          ["notes.txt", "text/plain", 10]
        ])
        const notes = yield* client.retrieve("Q500", "notes.txt")
        assert.strictEqual(decode(yield* readAll(notes.content)), "hello note")
        const object = yield* client.retrieve("Q500")
        const manifest = protocol === "binary" ? object : (object["attributes"] as any).content
        assert.strictEqual(JSON.stringify(manifest).includes("five hundred"), true)

        const duplicate = yield* client.create({ id: "Q500" }, [{ id: "other.txt", content: text("x") }]).pipe(Effect.flip)
        assert.strictEqual(duplicate._tag, "ServerError")
        assert.strictEqual(duplicate._tag === "ServerError" && duplicate.error, "Conflict")
        assert.match(duplicate.message, /Q500 already exists/)
        assert.deepStrictEqual((yield* storage.list("Q500")).map((s) => s.componentId), ["data.csv", "notes.txt"])
      }))

    it.effect("create without an id gets a fresh one", () =>
      Effect.gen(function*() {
        yield* seed("Q900", "a.txt", "a")
        const client = yield* DoipClient.DoipClient
        const answer = yield* client.create({ type: "Note" }, [{ id: "n.txt", content: text("n") }])
        const id = protocol === "binary" ? answer["objectId"] : answer["id"]
        assert.match(String(id), /^Q\d+$/)
        assert.isAbove(Number(String(id).slice(1)), 900)
      }))

    it.effect("delete removes the object; deleting it again is NotFound", () =>
      Effect.gen(function*() {
        yield* seed("Q600", "a.txt", "a")
        yield* seed("Q600", "b.txt", "b")
        const client = yield* DoipClient.DoipClient
        const answer = yield* client.delete("Q600")
        if (protocol === "binary") {
          assert.strictEqual(answer["status"], "deleted")
          assert.deepStrictEqual(answer["componentIds"], ["a.txt", "b.txt"])
        }
        assert.strictEqual((yield* client.retrieve("Q600").pipe(Effect.flip))._tag, "NotFoundError")
        assert.strictEqual((yield* client.delete("Q600").pipe(Effect.flip))._tag, "NotFoundError")
        assert.deepStrictEqual(yield* (yield* Storage).list("Q600"), [])
      }))

    it.effect("search: ids or whole objects, paged and sorted", () =>
      Effect.gen(function*() {
        const client = yield* DoipClient.DoipClient
        for (const [id, name] of [["Q801", "banana"], ["Q802", "apple"], ["Q803", "cherry"]] as const) {
          yield* client.create({ id, type: "Fruit", attributes: { content: { name } } }, [{ id: "x.txt", content: text(name) }])
        }
        const all = yield* client.search("type:Fruit", { type: "id" })
        assert.strictEqual(all.size, 3)
        assert.sameMembers([...all.results], ["Q801", "Q802", "Q803"])
        const page = yield* client.search("type:Fruit", { type: "id", pageSize: 2, pageNum: 1, sortFields: "id DESC" })
        assert.strictEqual(page.size, 3)
        assert.deepStrictEqual(page.results, ["Q801"])
        const full = yield* client.search("type:Fruit", { sortFields: "id ASC", pageSize: 1 })
        assert.strictEqual(full.size, 3)
        const first = full.results[0] as Record<string, unknown>
        assert.strictEqual(first["id"], "Q801")
        assert.strictEqual(first["type"], "Fruit")
        assert.strictEqual((yield* client.search("nothing-matches-this-zzz")).size, 0)
      }))

    it.effect("invoke runs the fixity workflow: its metadata, derived element and result", () =>
      Effect.gen(function*() {
        yield* seed("Q9", "paper.pdf", "%PDF-1.4 nine", "application/pdf")
        const client = yield* DoipClient.DoipClient
        const answer = yield* client.invoke("Q9", "fixity")
        assert.strictEqual(answer.metadata[0]!["workflow"], "fixity")
        assert.strictEqual((answer.metadata[0]!["result"] as any).allOk, true)
        assert.strictEqual(answer.components.length, 1)
        assert.strictEqual(answer.components[0]!.componentId, "fixity.sha256")
        assert.strictEqual(answer.components[0]!.mediaType, "text/plain")
        assert.match(decode(answer.components[0]!.content), /^[0-9a-f]{64} {2}paper\.pdf\n$/)
        assert.strictEqual(answer.workflow.length, 1)
        assert.strictEqual(answer.workflow[0]!["sourceObject"], "Q9")
        assert.deepStrictEqual((answer.workflow[0]!["derivedComponents"] as Array<any>).map((c) => c.componentId), ["fixity.sha256"])
      }))

    it.effect("purge answers the same on both framings", () =>
      Effect.gen(function*() {
        yield* seed("Q11", "a.txt", "a")
        const client = yield* DoipClient.DoipClient
        assert.deepStrictEqual(yield* client.purge("q11"), { operation: "purge", status: "purged", objectId: "Q11", pid: "Q11" })
      }))

    it.effect("call: any operation, by name, id or code", () =>
      Effect.gen(function*() {
        yield* seed("Q12", "a.txt", "call me")
        const client = yield* DoipClient.DoipClient
        const byName = yield* client.call({ operation: "retrieve", targetId: "Q12" })
        const byCode = yield* client.call({ operation: 0x02, targetId: "Q12" })
        assert.deepStrictEqual(byName.output, byCode.output)
        if (protocol === "doip2") {
          const byId = yield* client.call({ operation: "0.DOIP/Op.Retrieve", targetId: "Q12", attributes: { includeElementData: true } })
          assert.strictEqual((byId.output as any).id, "Q12")
          assert.deepStrictEqual(byId.components.map((c) => [c.componentId, decode(c.content)]), [["a.txt", "call me"]])
          const element = yield* client.call({ operation: "retrieve", targetId: "Q12", attributes: { element: "a.txt" } })
          assert.strictEqual(element.attributes["filename"], "a.txt")
          assert.deepStrictEqual(element.components.map((c) => [c.componentId, decode(c.content)]), [["a.txt", "call me"]])
        } else {
          const element = yield* client.call({ operation: "retrieve", targetId: "Q12", attributes: { element: "a.txt" } })
          assert.deepStrictEqual(element.components.map((c) => [c.componentId, decode(c.content)]), [["a.txt", "call me"]])
        }
        const unknown = yield* client.call({ operation: "no_such_operation" }).pipe(Effect.flip)
        assert.strictEqual(unknown._tag, "ServerError")
        assert.strictEqual(unknown._tag === "ServerError" && unknown.error, "UnsupportedOperation")
      }))

    it.effect("typed errors; each leaves the connection usable", () =>
      Effect.gen(function*() {
        yield* seed("Q13", "a.txt", "a")
        const client = yield* DoipClient.DoipClient
        const missing = yield* client.retrieve("Q999999").pipe(Effect.flip)
        assert.strictEqual(missing._tag, "NotFoundError")
        assert.match(missing.message, /Q999999/)
        const missingElement = yield* Effect.scoped(client.retrieve("Q13", "nothing.txt")).pipe(Effect.flip)
        assert.strictEqual(missingElement._tag, "NotFoundError")
        // an id that is not a QID names no object: not found, saying why
        const badId = yield* client.retrieve("not-a-qid").pipe(Effect.flip)
        assert.strictEqual(badId._tag, "NotFoundError")
        assert.match(badId.message, /not a QID/)
        const anonymous = yield* otherClient(protocol, {})
        const unauthenticated = yield* anonymous.updateComponent("Q13", "a.txt", text("evil")).pipe(Effect.flip)
        assert.strictEqual(unauthenticated._tag === "ServerError" && unauthenticated.error, "Unauthenticated")
        const wrong = yield* otherClient(protocol, { credentials: { token: "wrong" } })
        const refused = yield* wrong.delete("Q13").pipe(Effect.flip)
        assert.strictEqual(refused._tag === "ServerError" && refused.error, "Unauthenticated")
        // reads are open, and the refused clients' connections still serve them
        assert.isObject(yield* anonymous.retrieve("Q13"))
        assert.isObject(yield* wrong.hello())
        assert.deepStrictEqual((yield* (yield* Storage).list("Q13")).map((s) => s.componentId), ["a.txt"])
        assert.isObject(yield* client.hello())
      }))

    it.effect("a failing upload fails with its own error, and the next call reconnects", () =>
      Effect.gen(function*() {
        yield* seed("Q14", "a.txt", "before")
        const client = yield* DoipClient.DoipClient
        const failing = Stream.make(text("half")).pipe(Stream.concat(Stream.fail("disk on fire" as const)))
        const error = yield* client.updateComponent("Q14", "a.txt", { size: 100, stream: failing }).pipe(Effect.flip)
        assert.strictEqual(error, "disk on fire")
        const a = yield* client.retrieve("Q14", "a.txt")
        assert.strictEqual(decode(yield* readAll(a.content)), "before")
      }))
  })
}
