import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as LocalStorage from "../../../src/layers/storage/LocalStorage.ts"
import { Storage, type StorageReader } from "../../../src/layers/storage/Storage.ts"
import { storageContract } from "./StorageContract.ts"

/** The store's directory: a fresh temp directory per suite, removed afterwards. */
class StoreDirectory extends Context.Service<StoreDirectory, string>()("test/layers/StoreDirectory") {}

const StoreDirectoryTemp = Layer.effect(
  StoreDirectory,
  FileSystem.FileSystem.use((fs) => fs.makeTempDirectoryScoped({ prefix: "local-storage-" }))
)

const LocalStorageTest = Layer.unwrap(
  StoreDirectory.use((directory) => Effect.succeed(LocalStorage.layer({ directory })))
).pipe(
  Layer.provideMerge(StoreDirectoryTemp),
  Layer.provideMerge(NodeFileSystem.layer)
)

storageContract("LocalStorage", LocalStorageTest)

const text = (s: string) => Stream.make(new TextEncoder().encode(s))
const readText = (storage: StorageReader, objectId: string, componentId: string) =>
  storage.read(objectId, componentId).pipe(Stream.mkUint8Array, Effect.map((b) => new TextDecoder().decode(b)))

layer(LocalStorageTest, { excludeTestServices: true })("LocalStorage on disk", (it) => {
  it.effect("a second instance on the same directory sees the committed state", () =>
    Effect.gen(function*() {
      const storage = yield* Storage
      const directory = yield* StoreDirectory
      yield* storage.write("Q1", "a.txt", "text/plain", text("first"))
      const first = yield* storage.commit("a", { n: "1" })
      yield* storage.write("Q2", "b.txt", "text/csv", text("x,y"))
      yield* storage.write("Q1", "a.txt", "text/plain", text("second"))
      const second = yield* storage.commit("b", { n: "2" })
      yield* storage.write("Q3", "staged.txt", "text/plain", text("not committed"))

      const reopened = yield* LocalStorage.make({ directory })
      assert.strictEqual(yield* readText(reopened, "Q1", "a.txt"), "second")
      assert.deepStrictEqual(yield* reopened.stat("Q2", "b.txt"), yield* storage.stat("Q2", "b.txt"))
      assert.deepStrictEqual(yield* reopened.list("Q1"), yield* storage.list("Q1"))
      assert.deepStrictEqual(yield* reopened.objects(), ["Q1", "Q2"])
      assert.deepStrictEqual(yield* reopened.history("Q1"), [second, first])
      assert.strictEqual((yield* Effect.flip(reopened.stat("Q3", "staged.txt"))).kind, "NotFound")
      // staging is per process: the staged write did not survive
      assert.strictEqual((yield* Effect.flip(reopened.commit("nothing", {}))).kind, "NoChanges")

      // every commit stays readable after a restart, with what each changed
      const old = yield* reopened.at(first.id)
      assert.strictEqual(yield* readText(old, "Q1", "a.txt"), "first")
      assert.strictEqual((yield* Effect.flip(old.stat("Q2", "b.txt"))).kind, "NotFound")
      assert.deepStrictEqual(yield* reopened.changes("Q1", second), [{ componentId: "a.txt", change: "changed" }])

      // the new instance continues the same history
      yield* reopened.write("Q1", "a.txt", "text/plain", text("third"))
      const third = yield* reopened.commit("c", {})
      assert.deepStrictEqual(third.parents, [second.id])
      assert.strictEqual(yield* readText(yield* reopened.at(second.id), "Q1", "a.txt"), "second")
      yield* storage.reset("Q3", "staged.txt")
    }))

  it.effect("stores each content once, by its SHA-256, and leaves no temp files", () =>
    Effect.gen(function*() {
      const storage = yield* Storage
      const fs = yield* FileSystem.FileSystem
      const directory = yield* StoreDirectory
      const a = yield* storage.write("Q10", "a", "text/plain", text("same bytes"))
      const b = yield* storage.write("Q11", "b", "text/plain", text("same bytes"))
      yield* storage.write("Q12", "c", "text/plain", Stream.concat(text("broken"), Stream.fail("boom")))
        .pipe(Effect.flip)
      const commit = yield* storage.commit("dedupe", {})
      assert.strictEqual(a.checksum, b.checksum)

      const hex = a.checksum.slice("sha256:".length)
      const shard = `${directory}/blobs/sha256/${hex.slice(0, 2)}`
      assert.deepStrictEqual(yield* fs.readDirectory(shard), [hex])
      assert.strictEqual(yield* fs.readFileString(`${shard}/${hex}`), "same bytes")
      assert.deepStrictEqual(yield* fs.readDirectory(`${directory}/tmp`), [])

      assert.strictEqual((yield* fs.readFileString(`${directory}/refs/heads/main`)).trim(), commit.id)
      const record = JSON.parse(yield* fs.readFileString(`${directory}/commits/${commit.id}.json`))
      assert.deepStrictEqual(record.changes, ["00/00/10/Q10/components/a", "00/00/11/Q11/components/b"])
      assert.deepStrictEqual(record.tree["00/00/10/Q10/components/a"], {
        blob: hex,
        size: 10,
        mediaType: "text/plain",
        checksum: a.checksum,
        modified: commit.creationDate
      })
    }))

  it.effect("a removal is recorded as a change, absent from the tree, and survives a restart", () =>
    Effect.gen(function*() {
      const storage = yield* Storage
      const fs = yield* FileSystem.FileSystem
      const directory = yield* StoreDirectory
      yield* storage.write("Q20", "a", "text/plain", text("a"))
      yield* storage.write("Q20", "b", "text/plain", text("b"))
      const only = yield* storage.write("Q21", "a", "text/plain", text("only"))
      const before = yield* storage.commit("two objects", {})
      yield* storage.remove("Q20", "a")
      yield* storage.remove("Q21", "a")
      const commit = yield* storage.commit("removals", {})

      const record = JSON.parse(yield* fs.readFileString(`${directory}/commits/${commit.id}.json`))
      assert.deepStrictEqual(record.changes, ["00/00/20/Q20/components/a", "00/00/21/Q21/components/a"])
      assert.deepStrictEqual(
        Object.keys(record.tree).filter((path) => /\/Q2[01]\//.test(path)),
        ["00/00/20/Q20/components/b"]
      )

      const reopened = yield* LocalStorage.make({ directory })
      assert.deepStrictEqual((yield* reopened.list("Q20")).map((s) => s.componentId), ["b"])
      assert.deepStrictEqual(yield* reopened.list("Q21"), [])
      assert.notInclude(yield* reopened.objects(), "Q21")
      assert.deepStrictEqual(yield* reopened.history("Q21"), [commit, before])
      // a removal deletes no file: the earlier commit still names the blob
      const hex = only.checksum.slice("sha256:".length)
      assert.strictEqual(yield* fs.readFileString(`${directory}/blobs/sha256/${hex.slice(0, 2)}/${hex}`), "only")
    }))

  it.effect("start-up empties tmp/", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const directory = yield* StoreDirectory
      yield* fs.writeFileString(`${directory}/tmp/left-over`, "from a crashed write")
      yield* LocalStorage.make({ directory })
      assert.deepStrictEqual(yield* fs.readDirectory(`${directory}/tmp`), [])
    }))

  it.effect("a ref naming a missing commit fails the start with Unavailable naming the path", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const directory = yield* fs.makeTempDirectoryScoped()
      yield* fs.makeDirectory(`${directory}/refs/heads`, { recursive: true })
      yield* fs.writeFileString(`${directory}/refs/heads/main`, `${"ab".repeat(32)}\n`)
      const error = yield* Effect.flip(LocalStorage.make({ directory }))
      assert.strictEqual(error.kind, "Unavailable")
      assert.include(error.message, `${directory}/commits/${"ab".repeat(32)}.json`)
    }))

  it.effect("branches are separate refs", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const directory = yield* fs.makeTempDirectoryScoped()
      const dev = yield* LocalStorage.make({ directory, branch: "dev" })
      yield* dev.write("Q1", "a", "text/plain", text("on dev"))
      const onDev = yield* dev.commit("dev", {})
      const main = yield* LocalStorage.make({ directory })
      assert.strictEqual(dev.branch, "dev")
      assert.deepStrictEqual(yield* main.objects(), [])
      // a commit of another branch is a version all the same: read from its own history
      const other = yield* main.at(onDev.id)
      assert.strictEqual(yield* readText(other, "Q1", "a"), "on dev")
      assert.deepStrictEqual(yield* other.history("Q1"), [onDev])
      assert.strictEqual((yield* Effect.flip(LocalStorage.make({ directory, branch: "../x" }))).kind, "InvalidPath")
    }))
})
