/**
 * `LakeFsStorage`'s write branches (issue 15, item 7) on the lakeFS stand-in: a change staged on a branch of its own
 * and merged into the branch as one commit that holds it alone; a write branch gone with its scope, committed or
 * not; a merge that lakeFS answers 429 (the branch kept moving under it) tried again; a path written on the branch
 * after the write branch was made taken from the write branch; the branches crashed writes left swept when old; and
 * the branch's head and per-object diffs that keep other servers' caches coherent.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as LakeFsStorage from "../../../src/layers/storage/LakeFsStorage.ts"
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
      // staged on the branch itself, as another writer would: the write branch's commit must not take it along
      yield* storage.write("Q501", "other.txt", "text/plain", bytes("someone else's"))
      yield* storage.commit("setup", {})
      const commit = yield* Effect.scoped(Effect.gen(function*() {
        const branch: WriteBranch = yield* writeBranch
        assert.lengthOf(writeBranches(standIn), 1)
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

  it.effect("a path written on the branch since the write branch was made: the write branch's side wins", () =>
    Effect.gen(function*() {
      yield* Effect.scoped(Effect.gen(function*() {
        const mine = yield* writeBranch
        yield* mine.write("Q504", "a.txt", "text/plain", bytes("mine"))
        // meanwhile another writer's change of the same component lands
        yield* Effect.scoped(Effect.gen(function*() {
          const theirs = yield* writeBranch
          yield* theirs.write("Q504", "a.txt", "text/plain", bytes("theirs"))
          yield* theirs.write("Q504", "t.txt", "text/plain", bytes("theirs too"))
          yield* theirs.commit("theirs", {})
        }))
        yield* mine.commit("mine", {})
      }))
      assert.strictEqual(yield* contentOf("Q504", "a.txt"), "mine", "the later merge wins, as the later commit would")
      assert.strictEqual(yield* contentOf("Q504", "t.txt"), "theirs too", "and the rest of theirs stays")
    }))

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
      assert.isAtMost(reads() - start, 2)
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
