/**
 * The server on `LakeFsStorage` over the lakeFS stand-in, through our client over both framings: what a write leaves
 * on the branch. A write that succeeds is seen at once, bytes and manifest; one whose commit fails, or whose client
 * gives up half-way, is answered with a clear error and leaves the branch as it was: nothing staged (a later commit
 * would take it along), the old content served, and the next write working. Each change stages on a write branch of
 * its own, merged into the branch when it commits.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import * as DoipClient from "../../src/client/DoipClient.ts"
import { Storage } from "../../src/layers/storage/Storage.ts"
import { contentOf, refusalOf } from "../support/ClientAnswers.ts"
import { uncommitted } from "../support/LakeFsOnStandIn.ts"
import { LakeFsStandIn } from "../support/LakeFsStandIn.ts"
import { layerServerOnLakeFs } from "../support/StorageBackends.ts"
import { layerClient, layerClientDoip2, seed, token } from "../support/TestServer.ts"

const text = (s: string) => new TextEncoder().encode(s)
const sha256 = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex")}`

/** fails the next commit, and only that: the upload before it goes through */
const failNextCommit = (standIn: LakeFsStandIn["Service"]) => standIn.failNext(1, 500, /^POST .*\/commits/)

for (const protocol of ["binary", "doip2"] as const) {
  const layerFor = protocol === "binary" ? layerClient : layerClientDoip2
  const Clients = layerFor({ credentials: { token } }).pipe(Layer.provideMerge(layerServerOnLakeFs()))

  /** `[componentId, size, checksum]` of each component in the object's manifest, wherever the framing puts it */
  const manifestComponents = (objectId: string) =>
    Effect.gen(function*() {
      const object = yield* (yield* DoipClient.DoipClient).retrieve(objectId)
      const manifest = protocol === "binary" ? object : (object["attributes"] as any)["content"]
      return ((manifest["kernel"] as any)["fdo:hasComponent"] as Array<any>).map((c) => [c.componentId, c.size, c.checksum])
    })

  layer(Clients, { excludeTestServices: true })(`the server on lakeFS, over ${protocol}`, (it) => {
    it.effect("update, then retrieve: the new bytes, and the new size and checksum in the manifest", () =>
      Effect.gen(function*() {
        yield* seed("Q2000", "a.txt", "old a", "text/plain")
        yield* seed("Q2000", "b.txt", "b", "text/plain")
        const client = yield* DoipClient.DoipClient
        // read once first, so that a manifest kept from before the update would show
        assert.deepStrictEqual(yield* manifestComponents("Q2000"), [["a.txt", 5, sha256("old a")], ["b.txt", 1, sha256("b")]])
        yield* client.updateComponent("Q2000", "a.txt", text("the new a"), "text/plain")
        assert.strictEqual(yield* contentOf("Q2000", "a.txt"), "the new a")
        assert.deepStrictEqual(yield* manifestComponents("Q2000"), [["a.txt", 9, sha256("the new a")], ["b.txt", 1, sha256("b")]])
      }))

    it.effect("a failed commit of an update: a clear error, nothing staged, the old content; the next update works", () =>
      Effect.gen(function*() {
        yield* seed("Q2001", "a.txt", "old a", "text/plain")
        const standIn = yield* LakeFsStandIn
        const client = yield* DoipClient.DoipClient
        failNextCommit(standIn)
        const refusal = yield* refusalOf(client.updateComponent("Q2001", "a.txt", text("lost a"), "text/plain"))
        assert.deepStrictEqual(refusal, { kind: "Unavailable", message: "storage unavailable: lakeFS commit failed: HTTP 500" })
        assert.deepStrictEqual(yield* uncommitted(standIn), [])
        assert.strictEqual(yield* contentOf("Q2001", "a.txt"), "old a")
        assert.deepStrictEqual(yield* manifestComponents("Q2001"), [["a.txt", 5, sha256("old a")]])

        yield* client.updateComponent("Q2001", "a.txt", text("new a"), "text/plain")
        assert.strictEqual(yield* contentOf("Q2001", "a.txt"), "new a")
        assert.deepStrictEqual(yield* uncommitted(standIn), [])
      }))

    it.effect("a failed commit of a create: a clear error, nothing staged, no object; the create then works", () =>
      Effect.gen(function*() {
        const standIn = yield* LakeFsStandIn
        const client = yield* DoipClient.DoipClient
        const create = client.create({ id: "Q2002", type: "Dataset", attributes: { content: { name: "two" } } }, [
          { id: "data.csv", mediaType: "text/csv", content: text("x,y\n1,2\n") },
          { id: "notes.txt", mediaType: "text/plain", content: text("notes") }
        ])
        failNextCommit(standIn)
        const refusal = yield* refusalOf(create)
        assert.deepStrictEqual(refusal, { kind: "Unavailable", message: "storage unavailable: lakeFS commit failed: HTTP 500" })
        assert.deepStrictEqual(yield* uncommitted(standIn), [])
        assert.strictEqual((yield* Effect.flip(client.retrieve("Q2002")))._tag, "NotFoundError")
        assert.deepStrictEqual(yield* (yield* Storage).list("Q2002"), [])

        yield* create
        assert.deepStrictEqual((yield* manifestComponents("Q2002")).map(([id]) => id), ["data.csv", "notes.txt"])
        assert.deepStrictEqual(yield* uncommitted(standIn), [])
      }))

    it.effect("a failed commit whose write branch cannot be deleted either: the next change does not carry it", () =>
      Effect.gen(function*() {
        yield* seed("Q2005", "a.txt", "old a", "text/plain")
        yield* seed("Q2006", "b.txt", "old b", "text/plain")
        const standIn = yield* LakeFsStandIn
        const client = yield* DoipClient.DoipClient
        // the commit on the write branch, and every try of the branch's deletion (1 + 4 retries)
        standIn.failNext(1 + 5, 500, /^(POST .*\/commits|DELETE .*\/branches\/doip-write-)/)
        const refusal = yield* refusalOf(client.updateComponent("Q2005", "a.txt", text("refused a"), "text/plain"))
        assert.deepStrictEqual(refusal, { kind: "Unavailable", message: "storage unavailable: lakeFS commit failed: HTTP 500" })
        assert.lengthOf(standIn.branches().filter((b) => b.startsWith("doip-write-")), 1, "the refused update's branch is left")
        assert.deepStrictEqual(yield* uncommitted(standIn), [], "and nothing is staged on the branch")

        // lakeFS is back: the next change, of another object, must not publish the refused update with its commit
        yield* client.updateComponent("Q2006", "b.txt", text("new b"), "text/plain")
        assert.strictEqual(yield* contentOf("Q2005", "a.txt"), "old a")
        assert.strictEqual(yield* contentOf("Q2006", "b.txt"), "new b")
        const history = yield* (yield* Storage).history("Q2005")
        assert.deepStrictEqual(history.map((c) => c.metadata["operation"]), ["seed"])
        assert.isTrue(standIn.commits()[0]!.changed.every((path) => path.startsWith("00/20/06/Q2006/")), "the last commit holds Q2006 alone")
      }))

    it.effect("a client that gives up half-way through an upload leaves nothing staged", () =>
      Effect.gen(function*() {
        yield* seed("Q2003", "a.txt", "before", "text/plain")
        const standIn = yield* LakeFsStandIn
        const client = yield* DoipClient.DoipClient
        const requestsBefore = standIn.requests().length
        const failing = Stream.make(text("half")).pipe(Stream.concat(Stream.fail("gave up" as const)))
        assert.strictEqual(yield* Effect.flip(client.updateComponent("Q2003", "a.txt", { size: 100, stream: failing })), "gave up")
        // a write after it (on a new connection) goes through
        yield* seed("Q2017", "b.txt", "before", "text/plain")
        yield* client.updateComponent("Q2017", "b.txt", text("after"), "text/plain")
        // content is spooled before it goes to lakeFS: half of it never got there, so there was nothing to reset
        const uploads = standIn.requests().slice(requestsBefore).filter((r) => r.startsWith("POST ") && r.includes("Q2003%2Fcomponents"))
        assert.deepStrictEqual(uploads, [], "the half upload never reached lakeFS")
        assert.deepStrictEqual(yield* uncommitted(standIn), [])
        assert.strictEqual(yield* contentOf("Q2003", "a.txt"), "before")
      }))

    it.effect("a merge that landed but whose answer was lost: the update succeeded, and says so; the new content", () =>
      Effect.gen(function*() {
        yield* seed("Q2007", "a.txt", "old a", "text/plain")
        const standIn = yield* LakeFsStandIn
        const client = yield* DoipClient.DoipClient
        standIn.loseCommitAnswer("drop", { applied: true, on: "merge" })
        yield* client.updateComponent("Q2007", "a.txt", text("landed a"), "text/plain")
        assert.strictEqual(yield* contentOf("Q2007", "a.txt"), "landed a")
        assert.deepStrictEqual(yield* manifestComponents("Q2007"), [["a.txt", 8, sha256("landed a")]])
        assert.deepStrictEqual(yield* uncommitted(standIn), [])
        const history = yield* (yield* Storage).history("Q2007")
        assert.deepStrictEqual(history.map((c) => c.metadata["operation"]), ["update", "seed"], "committed once")
      }))

    it.effect("a merge that did not land and whose answer was lost: a clear error, nothing staged, the old content", () =>
      Effect.gen(function*() {
        yield* seed("Q2008", "a.txt", "old a", "text/plain")
        const standIn = yield* LakeFsStandIn
        const client = yield* DoipClient.DoipClient
        standIn.loseCommitAnswer("drop", { applied: false, on: "merge" })
        const refusal = yield* refusalOf(client.updateComponent("Q2008", "a.txt", text("lost a"), "text/plain"))
        assert.deepStrictEqual(refusal, {
          kind: "Unavailable",
          message: "storage unavailable: lakeFS merge failed: TransportError; the branch shows it was not applied"
        })
        assert.deepStrictEqual(yield* uncommitted(standIn), [])
        assert.strictEqual(yield* contentOf("Q2008", "a.txt"), "old a")
      }))

    it.effect("a lost answer and a branch that cannot be read: the outcome is unknown, and the answer says so", () =>
      Effect.gen(function*() {
        yield* seed("Q2009", "a.txt", "old a", "text/plain")
        const standIn = yield* LakeFsStandIn
        const client = yield* DoipClient.DoipClient
        standIn.loseCommitAnswer(502, { applied: true, on: "merge" })
        // the log read for the commit, not the reads of the update before it
        standIn.failNext(1000, 503, /^GET .*\/commits\?amount=/)
        const refusal = yield* refusalOf(client.updateComponent("Q2009", "a.txt", text("maybe a"), "text/plain"))
        standIn.failNext(0)
        assert.strictEqual(refusal.kind, "Unavailable")
        assert.match(refusal.message, /^outcome unknown: the change may or may not have been applied; retrieve the object to see whether it was \(lakeFS merge on branch main: its answer was lost \(HTTP 502\) and the branch cannot be read to learn whether it was applied \(lakeFS commit log failed: HTTP 503\)\)$/)
        // it had landed: a retrieve says so
        assert.strictEqual(yield* contentOf("Q2009", "a.txt"), "maybe a")
        assert.deepStrictEqual(yield* uncommitted(standIn), [])
      }))
  })
}
