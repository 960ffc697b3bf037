/**
 * History (issue 17, item 3): every write is a commit, and `versions` lists an object's commits, newest first, with
 * what each changed; retrieve's `version` reads the object (manifest, elements, ranges, RO-Crate) as it was at one.
 * Over both wires, once per storage (memory, and lakeFS through its stand-in).
 */
import { assert, describe, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { ClientError } from "../../src/client/ClientError.ts"
import * as DoipClient from "../../src/client/DoipClient.ts"
import { ListenAddress } from "../../src/server/DoipServer.ts"
import { concatBytes } from "../support/Random.ts"
import { backends } from "../support/StorageBackends.ts"
import { token } from "../support/TestServer.ts"
import { entryNamed, readZip } from "../support/ZipReader.ts"

const text = (s: string) => new TextEncoder().encode(s)
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

/** a client on each wire, for the server in context */
const clients = Effect.gen(function*() {
  const address = yield* ListenAddress
  const options = { host: "127.0.0.1", timeout: "20 seconds", credentials: { token } } as const
  return {
    binary: yield* DoipClient.make({ ...options, port: address.binaryPort }),
    doip2: yield* DoipClient.makeDoip2({ ...options, port: address.doip2Port })
  }
})

/** an element's bytes at a version, as text */
const elementAt = (client: DoipClient.DoipClient["Service"], objectId: string, componentId: string, version?: string) =>
  Effect.scoped(Effect.gen(function*() {
    const element = yield* client.retrieve(objectId, componentId, { version })
    return decode(concatBytes(yield* Stream.runCollect(element.content)))
  }))

/** the NotFound a call failed with: its message (any other outcome fails the test) */
const notFound = <A, R>(call: Effect.Effect<A, ClientError, R>) =>
  Effect.map(Effect.flip(Effect.scoped(call)), (error) => {
    assert.strictEqual(error._tag, "NotFoundError", error.message)
    return error.message
  })

const componentIds = (manifest: Record<string, unknown>) =>
  ((manifest["kernel"] as any)["fdo:hasComponent"] as Array<any>).map((c) => [c.componentId, c.size])

for (const backend of backends) {
  describe(`on ${backend.name}`, () => {
    layer(backend.layerServer(), { excludeTestServices: true })("history", (it) => {
      it.effect("versions lists every change, newest first, with what it did; the same on both wires", () =>
        Effect.gen(function*() {
          const { binary, doip2 } = yield* clients
          yield* binary.create({ id: "Q500", type: "Dataset", attributes: { content: { name: "first" } } }, [
            { id: "a.txt", mediaType: "text/plain", content: text("one") }
          ])
          yield* binary.updateComponent("Q500", "a.txt", text("two!"), "text/plain")
          yield* doip2.updateComponent("Q500", "b.csv", text("x,y"), "text/csv")
          // the object sent back with b.csv alone: a.txt goes, and the name changes
          yield* doip2.call({
            operation: "update",
            targetId: "Q500",
            input: { id: "Q500", type: "Dataset", attributes: { content: { name: "second" } }, elements: [{ id: "b.csv" }] }
          })

          const versions = yield* binary.versions("q500")
          assert.deepStrictEqual(yield* doip2.versions("Q500"), versions)
          assert.deepStrictEqual(
            versions.map((v) => [v.operation, v.author, v.components, v.description]),
            [
              ["update", "token", { added: [], changed: [], removed: ["a.txt"] }, "changed"],
              ["update", "token", { added: ["b.csv"], changed: [], removed: [] }, undefined],
              ["update", "token", { added: [], changed: ["a.txt"], removed: [] }, undefined],
              ["create", "token", { added: ["a.txt"], changed: [], removed: [] }, "added"]
            ]
          )
          for (const version of versions) {
            assert.match(version.id, /^[0-9a-f]{64}$/)
            assert.isString(version.message)
            assert.isFalse(Number.isNaN(Date.parse(version.time)))
          }
          assert.isTrue(versions.every((v, i) => i === 0 || v.time <= versions[i - 1]!.time), "newest first")
          assert.strictEqual(new Set(versions.map((v) => v.id)).size, 4)
          // hello and list_ops offer it
          assert.strictEqual(((yield* binary.hello())["availableOperations"] as any)["versions"], 0x0b)
          assert.include(yield* doip2.call({ operation: "list_operations", targetId: "Q500" }).pipe(
            Effect.map((answer) => answer.output as ReadonlyArray<string>)
          ), "0.DOIP/Op.Versions")
        }))

      it.effect("retrieve with a version gives the manifest, the elements and their ranges as they were then", () =>
        Effect.gen(function*() {
          const { binary, doip2 } = yield* clients
          const versions = yield* binary.versions("Q500")
          const [removed, added, changed, created] = versions.map((v) => v.id) as [string, string, string, string]

          const first = yield* binary.retrieve("Q500", { version: created })
          assert.deepStrictEqual(componentIds(first), [["a.txt", 3]])
          assert.strictEqual(first["name"], "first")
          assert.strictEqual((first["provenance"] as any)["fdo:commit"], created)
          const later = yield* binary.retrieve("Q500", { version: added })
          assert.deepStrictEqual(componentIds(later), [["a.txt", 4], ["b.csv", 3]])
          const now = yield* binary.retrieve("Q500")
          assert.deepStrictEqual(componentIds(now), [["b.csv", 3]])
          assert.deepStrictEqual(yield* binary.retrieve("Q500", { version: removed }), now)
          assert.strictEqual(now["name"], "second")

          // DOIP v2.0: the digital object as it was
          const object = yield* doip2.retrieve("Q500", { version: changed })
          assert.deepStrictEqual((object["elements"] as Array<any>).map((e) => [e.id, e.length]), [["a.txt", 4]])
          assert.strictEqual((object["attributes"] as any)["content"]["name"], "first")

          for (const client of [binary, doip2]) {
            assert.strictEqual(yield* elementAt(client, "Q500", "a.txt", created), "one")
            assert.strictEqual(yield* elementAt(client, "Q500", "a.txt", changed), "two!")
            assert.strictEqual(yield* elementAt(client, "Q500", "b.csv", added), "x,y")
            // ranges hold at a version too (the version as the binary envelope's metadata key, or DOIP v2.0's attribute)
            const part = yield* client.call({
              operation: "retrieve",
              targetId: "Q500",
              attributes: { element: "a.txt", version: changed, range: { start: 1, end: 2 } },
              authenticate: false
            })
            assert.strictEqual(decode(part.components[0]!.content), "wo")
          }
          // every element's bytes with the object, as they were
          const whole = yield* doip2.call({
            operation: "retrieve",
            targetId: "Q500",
            attributes: { includeElementData: true, version: added },
            authenticate: false
          })
          assert.deepStrictEqual(whole.components.map((c) => [c.componentId, decode(c.content)]), [["a.txt", "two!"], ["b.csv", "x,y"]])
          // the RO-Crate of the components then
          const crate = yield* Effect.scoped(Effect.gen(function*() {
            const zip = yield* binary.retrieve("Q500", "rocrate", { version: changed })
            return yield* readZip(concatBytes(yield* Stream.runCollect(zip.content)))
          }))
          assert.deepStrictEqual(crate.map((e) => e.name), ["a.txt", "ro-crate-metadata.json"])
          assert.strictEqual(decode(entryNamed(crate, "a.txt").bytes), "two!")
        }))

      it.effect("a version that names no commit, or does not hold the object or element, is NotFound, saying so", () =>
        Effect.gen(function*() {
          const { binary, doip2 } = yield* clients
          const versions = yield* binary.versions("Q500")
          const [removed, , , created] = versions.map((v) => v.id) as [string, string, string, string]
          yield* binary.create({ id: "Q501" }, [{ id: "c.txt", content: text("c") }])
          const nowhere = "0".repeat(64)
          for (const client of [binary, doip2]) {
            assert.strictEqual(yield* notFound(client.retrieve("Q500", { version: nowhere })), `version ${nowhere} does not exist`)
            assert.strictEqual(
              yield* notFound(client.retrieve("Q500", "a.txt", { version: nowhere })),
              `version ${nowhere} does not exist`
            )
            assert.include(yield* notFound(client.retrieve("Q500", { version: "main" })), "a version is a commit id")
            assert.include(yield* notFound(client.retrieve("Q500", { version: created.slice(0, 12) })), "a version is a commit id")
            assert.strictEqual(
              yield* notFound(client.retrieve("Q500", "a.txt", { version: removed })),
              `component a.txt of Q500 does not exist at version ${removed}`
            )
            assert.strictEqual(
              yield* notFound(client.retrieve("Q501", { version: created })),
              `object Q501 does not exist at version ${created}`
            )
            assert.strictEqual(yield* notFound(client.versions("Q9999")), "object Q9999 does not exist")
          }
        }))

      it.effect("a deleted object keeps its versions, and each can still be read", () =>
        Effect.gen(function*() {
          const { binary } = yield* clients
          yield* binary.create({ id: "Q502" }, [{ id: "d.txt", mediaType: "text/plain", content: text("kept") }])
          yield* binary.delete("Q502")
          const versions = yield* binary.versions("Q502")
          assert.deepStrictEqual(versions.map((v) => [v.operation, v.components.removed]), [["delete", ["d.txt"]], ["create", []]])
          yield* notFound(binary.retrieve("Q502"))
          assert.strictEqual(yield* elementAt(binary, "Q502", "d.txt", versions[1]!.id), "kept")
          assert.deepStrictEqual(componentIds(yield* binary.retrieve("Q502", { version: versions[1]!.id })), [["d.txt", 4]])
          assert.include(
            yield* notFound(binary.retrieve("Q502", { version: versions[0]!.id })),
            `object Q502 does not exist at version`
          )
        }))
    })
  })
}
