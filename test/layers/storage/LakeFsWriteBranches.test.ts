/**
 * `LakeFsStorage`'s write branches (issue 15, item 7) on the lakeFS stand-in: a change staged on a branch of its own
 * and merged into the branch as one commit that holds it alone; a write branch gone with its scope, committed or
 * not; a merge that lakeFS answers 429 (the branch kept moving under it) tried again; a path written on the branch
 * after the write branch was made taken from the write branch; the branches crashed writes left swept when old; and
 * the branch's head and per-object diffs that keep other servers' caches coherent.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as LakeFsStorage from "../../../src/layers/storage/LakeFsStorage.ts"
import * as StorageFdoFacade from "../../../src/layers/metadata/StorageFdoFacade.ts"
import * as ComponentWriter from "../../../src/layers/storage/ComponentWriter.ts"
import { Storage, type WriteBranch } from "../../../src/layers/storage/Storage.ts"
import * as LakeFsOnStandIn from "../../support/LakeFsOnStandIn.ts"
import * as LakeFsStandIn from "../../support/LakeFsStandIn.ts"

const bytes = (s: string) => Stream.make(new TextEncoder().encode(s))

/** the write branch of the storage in context, which must have them */
const writeBranch = Effect.gen(function*() {
  const storage = yield* Storage
  assert.isDefined(storage.writeBranch, "LakeFsStorage has write branches")
  return yield* storage.writeBranch!()
})

const writeBranches = (standIn: LakeFsStandIn.LakeFsStandInService) =>
  standIn.branches().filter((name) => name.startsWith("doip-write-"))

const contentOf = (objectId: string, componentId: string) =>
  Effect.gen(function*() {
    const storage = yield* Storage
    return yield* Stream.mkString(Stream.decodeText(storage.read(objectId, componentId)))
  })

layer(LakeFsOnStandIn.layer(), { excludeTestServices: true })("LakeFsStorage write branches", (it) => {
  it.effect("a change on a write branch lands as one commit on the branch, holding it alone; the branch goes", () =>
    Effect.gen(function*() {
      const standIn = yield* LakeFsStandIn.LakeFsStandIn
      const storage = yield* Storage
      // another object's commit after the write branch was made must not show in this change's commit either
      const commit = yield* Effect.scoped(Effect.gen(function*() {
        const branch: WriteBranch = yield* writeBranch
        assert.lengthOf(writeBranches(standIn), 1)
        yield* storage.write("Q501", "other.txt", "text/plain", bytes("someone else's"))
        yield* storage.commit("another change", {})
        yield* branch.write("Q500", "a.txt", "text/plain", bytes("a"))
        yield* branch.write("Q500", "b.txt", "text/plain", bytes("b"))
        // invisible on the branch until the merge
        assert.deepStrictEqual(yield* storage.list("Q500"), [])
        return yield* branch.commit("update Q500", { operation: "update", object_id: "Q500" })
      }))
      assert.deepStrictEqual(writeBranches(standIn), [], "the write branch is deleted")
      const newest = standIn.commits()[0]!
      assert.strictEqual(newest.id, commit.id)
      assert.deepStrictEqual(newest.changed, [
        "00/05/00/Q500/checksums/a.txt",
        "00/05/00/Q500/checksums/b.txt",
        "00/05/00/Q500/components/a.txt",
        "00/05/00/Q500/components/b.txt"
      ])
      assert.deepStrictEqual(commit.metadata, { operation: "update", object_id: "Q500" }, "no write id, no merge strategy")
      assert.strictEqual(commit.message, "update Q500")
      assert.lengthOf(commit.parents, 1, "squashed: the branch's history stays one line")
      assert.deepStrictEqual((yield* storage.history("Q500")).map((c) => c.id), [commit.id])
      assert.strictEqual(yield* contentOf("Q500", "b.txt"), "b")
      assert.strictEqual((yield* storage.stat("Q500", "a.txt")).checksum.slice(0, 7), "sha256:")
    }))

  it.effect("a write branch whose scope closes uncommitted leaves nothing, anywhere", () =>
    Effect.gen(function*() {
      const standIn = yield* LakeFsStandIn.LakeFsStandIn
      const storage = yield* Storage
      yield* Effect.scoped(Effect.gen(function*() {
        const branch = yield* writeBranch
        yield* branch.write("Q502", "a.txt", "text/plain", bytes("never"))
      }))
      assert.deepStrictEqual(writeBranches(standIn), [])
      assert.deepStrictEqual(yield* storage.list("Q502"), [])
      assert.deepStrictEqual(yield* LakeFsOnStandIn.uncommitted(standIn), [])
    }))

  it.effect("removes a committed component, and answers NoChanges when nothing was staged", () =>
    Effect.gen(function*() {
      const storage = yield* Storage
      yield* Effect.scoped(Effect.gen(function*() {
        const branch = yield* writeBranch
        yield* branch.write("Q503", "a.txt", "text/plain", bytes("a"))
        yield* branch.write("Q503", "b.txt", "text/plain", bytes("b"))
        yield* branch.commit("create", {})
      }))
      yield* Effect.scoped(Effect.gen(function*() {
        const branch = yield* writeBranch
        yield* branch.remove("Q503", "a.txt")
        assert.strictEqual((yield* Effect.flip(branch.remove("Q503", "a.txt"))).kind, "NotFound", "removed already")
        yield* branch.commit("delete a", {})
      }))
      assert.deepStrictEqual((yield* storage.list("Q503")).map((c) => c.componentId), ["b.txt"])
      const nothing = yield* Effect.scoped(Effect.flatMap(writeBranch, (branch) => Effect.flip(branch.commit("empty", {}))))
      assert.strictEqual(nothing.kind, "NoChanges")
    }))

  it.effect("a path changed on the branch since the write branch was made: Conflict, and nothing of it applied", () =>
    Effect.gen(function*() {
      const error = yield* Effect.scoped(Effect.gen(function*() {
        const mine = yield* writeBranch
        yield* mine.write("Q504", "a.txt", "text/plain", bytes("mine"))
        yield* mine.write("Q504", "m.txt", "text/plain", bytes("mine too"))
        // meanwhile another writer's change of the same component lands
        yield* Effect.scoped(Effect.gen(function*() {
          const theirs = yield* writeBranch
          yield* theirs.write("Q504", "a.txt", "text/plain", bytes("theirs"))
          yield* theirs.commit("theirs", {})
        }))
        return yield* Effect.flip(mine.commit("mine", {}))
      }))
      assert.deepStrictEqual([error.kind, error.message], [
        "Conflict",
        "another write changed the same components at the same time; nothing of this one was applied"
      ])
      assert.strictEqual(yield* contentOf("Q504", "a.txt"), "theirs")
      const storage = yield* Storage
      assert.deepStrictEqual((yield* storage.list("Q504")).map((c) => c.componentId), ["a.txt"], "no m.txt")
    }))

  it.effect("a change that meets a Conflict is made again, body and all, on what the branch holds then", () =>
    Effect.gen(function*() {
      const storage = yield* Storage
      // two ComponentWriters over one storage: two servers, each with its own per-object turns
      const [here, there] = yield* Effect.all([ComponentWriter.make, ComponentWriter.make])
      yield* here.write({ objectId: "Q509", componentId: "a.txt", mediaType: "text/plain", content: bytes("v1"), operation: "create" })
      const bodies: Array<string> = []
      const updated = yield* here.change({ objectId: "Q509", operation: "update" }, (staging) =>
        Effect.gen(function*() {
          bodies.push(yield* contentOf("Q509", "a.txt"))
          yield* staging.write("a.txt", "text/plain", bytes(`after ${bodies.at(-1)}`))
          // the first time only, the other server changes the same component before this change merges
          if (bodies.length === 1) {
            yield* there.write({ objectId: "Q509", componentId: "a.txt", mediaType: "text/plain", content: bytes("v2"), operation: "update" })
          }
        }))
      assert.deepStrictEqual(bodies, ["v1", "v2"], "the body ran again and saw the other write")
      assert.strictEqual(yield* contentOf("Q509", "a.txt"), "after v2")
      assert.deepStrictEqual((yield* storage.history("Q509")).map((c) => c.id)[0], updated.commit.id)
    }).pipe(Effect.provide(StorageFdoFacade.layer)))

  it.effect("a merge answered 429 (the branch moved under lakeFS's retries) is tried again", () =>
    Effect.gen(function*() {
      const standIn = yield* LakeFsStandIn.LakeFsStandIn
      standIn.failNext(2, 429, /^POST .*\/merge\//)
      yield* Effect.scoped(Effect.gen(function*() {
        const branch = yield* writeBranch
        yield* branch.write("Q505", "a.txt", "text/plain", bytes("after two 429s"))
        yield* branch.commit("update", {})
      }))
      assert.strictEqual(yield* contentOf("Q505", "a.txt"), "after two 429s")
    }))

  it.effect("a merge that fails: the change fails, the branch is unchanged, and the write branch goes", () =>
    Effect.gen(function*() {
      const standIn = yield* LakeFsStandIn.LakeFsStandIn
      const storage = yield* Storage
      standIn.failNext(1, 412, /^POST .*\/merge\//)
      const error = yield* Effect.scoped(Effect.gen(function*() {
        const branch = yield* writeBranch
        yield* branch.write("Q506", "a.txt", "text/plain", bytes("refused"))
        return yield* Effect.flip(branch.commit("update", {}))
      }))
      assert.deepStrictEqual([error.kind, error.message], ["Unavailable", "lakeFS merge failed: HTTP 412"])
      assert.deepStrictEqual(yield* storage.list("Q506"), [])
      assert.deepStrictEqual(writeBranches(standIn), [])
    }))

  it.effect("versions: the head moves with each change, and a diff says which objects a change touched", () =>
    Effect.gen(function*() {
      const storage = yield* Storage
      const versions = storage.versions!
      const before = yield* versions.head
      yield* Effect.scoped(Effect.gen(function*() {
        const branch = yield* writeBranch
        yield* branch.write("Q507", "a.txt", "text/plain", bytes("a"))
        yield* branch.commit("update", {})
      }))
      const after = yield* versions.head
      assert.notStrictEqual(after, before)
      assert.isTrue(yield* versions.changedBetween("Q507", before, after))
      assert.isFalse(yield* versions.changedBetween("Q508", before, after))
      // concurrent callers share one read of the branch
      const standIn = yield* LakeFsStandIn.LakeFsStandIn
      const reads = () => standIn.requests().filter((r) => r === `GET /api/v1/repositories/${standIn.repo}/branches/main`).length
      const start = reads()
      const heads = yield* Effect.all(Array.from({ length: 20 }, () => versions.head), { concurrency: "unbounded" })
      assert.deepStrictEqual(new Set(heads), new Set([after]))
      assert.strictEqual(reads() - start, 1)
      // but never one sent before they came: those that come while a read is under way wait for the next one, which
      // sees a write that was acknowledged before they asked
      standIn.answerLate(150, /^GET .*\/branches\/main$/)
      const first = yield* Effect.forkChild(versions.head)
      yield* Effect.sleep("40 millis")
      standIn.answerLate(0, undefined)
      yield* Effect.scoped(Effect.gen(function*() {
        const branch = yield* writeBranch
        yield* branch.write("Q508", "a.txt", "text/plain", bytes("a"))
        yield* branch.commit("update", {})
      }))
      const newest = standIn.commits()[0]!.id
      const late = yield* Effect.all([versions.head, versions.head], { concurrency: "unbounded" })
      assert.strictEqual(yield* Fiber.join(first), after, "the read under way answers what it read")
      assert.deepStrictEqual(late, [newest, newest], "the late comers see the write")
      assert.strictEqual(reads() - start, 3, "the late comers shared one read")
    }))
})

layer(LakeFsStandIn.layer(), { excludeTestServices: true })("LakeFsStorage: write branches that crashed writes left", (it) => {
  it.effect("are deleted at start once older than staleWriteBranchAfter; younger ones and others' branches stay", () =>
    Effect.gen(function*() {
      const standIn = yield* LakeFsStandIn.LakeFsStandIn
      const make = (name: string) =>
        Effect.promise(() =>
          fetch(`${standIn.url}/api/v1/repositories/${standIn.repo}/branches`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              authorization: `Basic ${Buffer.from(`${standIn.user}:${standIn.password}`).toString("base64")}`
            },
            body: JSON.stringify({ name, source: standIn.branch })
          })
        )
      const old = `doip-write-${(Date.now() - 2 * 3600_000).toString(36)}-0badc0de`
      const young = `doip-write-${(Date.now() - 60_000).toString(36)}-00c0ffee`
      yield* Effect.forEach([old, young, "feature-x", "doip-write-not-ours"], make, { discard: true })
      yield* Effect.gen(function*() {
        // the sweep runs beside the storage; give it a moment
        for (let i = 0; i < 100 && standIn.branches().includes(old); i++) yield* Effect.sleep("20 millis")
      }).pipe(
        Effect.provide(
          Layer.fresh(LakeFsStorage.layer({ ...LakeFsOnStandIn.optionsOf(standIn), staleWriteBranchAfter: "1 hour" }))
        )
      )
      assert.deepStrictEqual(standIn.branches(), ["doip-write-not-ours", young, "feature-x", "main"].sort())
    }))
})
