/**
 * The behaviour every `Storage` layer must have, as one suite run against each implementation.
 *
 * The layer is built once per suite and shared by its tests, as a server would share it, so every test uses its own
 * object ids and leaves nothing staged behind (the `NoChanges` checks rely on that).
 *
 * @since 0.1.0
 */
import { assert, layer } from "@effect/vitest"
import { createHash } from "node:crypto"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as ObjectId from "../../../src/layers/storage/ObjectId.ts"
import { Storage, type StorageError, type StorageReader } from "../../../src/layers/storage/Storage.ts"

const text = (s: string) => new TextEncoder().encode(s)
const stream = (...parts: ReadonlyArray<string>) => Stream.fromArray(parts.map(text))
const sha256 = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`
/** the content of a component as `reader` holds it: the branch, or a snapshot (`Storage.at`) */
const readAt = (reader: StorageReader, objectId: string, componentId: string, range?: { start: number; end: number }) =>
  reader.read(objectId, componentId, range).pipe(Stream.mkUint8Array, Effect.map((bytes) => new TextDecoder().decode(bytes)))
const readText = (objectId: string, componentId: string, range?: { start: number; end: number }) =>
  Storage.use((storage) => readAt(storage, objectId, componentId, range))
/** the content through `reader`'s `open`, read into buffers of `bufferSize` bytes (reused, as a listener does) */
const openAt = (
  reader: StorageReader,
  objectId: string,
  componentId: string,
  range?: { start: number; end: number },
  bufferSize = 3
) =>
  Effect.scoped(Effect.gen(function*() {
    const opened = yield* reader.open(objectId, componentId, range)
    const buffer = new Uint8Array(bufferSize)
    let out = ""
    for (;;) {
      const n = yield* opened.read(buffer)
      if (n === 0) break
      out += new TextDecoder().decode(buffer.subarray(0, n))
    }
    return { size: opened.size, text: out }
  }))
const openText = (objectId: string, componentId: string, range?: { start: number; end: number }, bufferSize = 3) =>
  Storage.use((storage) => openAt(storage, objectId, componentId, range, bufferSize))
const kindOf = <A, R>(effect: Effect.Effect<A, StorageError, R>) => Effect.map(Effect.flip(effect), (e) => e.kind)

/** Stages and commits one component. */
const put = (objectId: string, componentId: string, content: string, message = `put ${componentId}`) =>
  Effect.gen(function*() {
    const storage = yield* Storage
    yield* storage.write(objectId, componentId, "text/plain", stream(content))
    return yield* storage.commit(message, { object_id: objectId, component_id: componentId })
  })

/** The first 64 KiB chunk is filled with 0, the next with 1, and so on, one chunk per pull. */
const pattern = (chunks: number, chunkSize: number) =>
  Stream.range(0, chunks - 1, 1).pipe(Stream.map((i) => new Uint8Array(chunkSize).fill(i & 0xff)))

/**
 * Runs the contract against `storage`, which must start empty.
 *
 * @since 0.1.0
 */
export const storageContract = <E>(name: string, storage: Layer.Layer<Storage, E>) =>
  layer(storage, { excludeTestServices: true })(`${name} (Storage contract)`, (it) => {
    it.effect("a staged write is invisible until commit", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        const staged = yield* storage.write("q101", "a.txt", "text/plain", stream("hello ", "world"))
        assert.deepStrictEqual(
          { ...staged, modified: "" },
          {
            objectId: "Q101",
            componentId: "a.txt",
            path: "00/01/01/Q101/components/a.txt",
            size: 11,
            mediaType: "text/plain",
            checksum: sha256(text("hello world")),
            modified: ""
          }
        )
        assert.isFalse(Number.isNaN(Date.parse(staged.modified)))
        assert.strictEqual(yield* kindOf(storage.stat("Q101", "a.txt")), "NotFound")
        assert.strictEqual(yield* kindOf(Stream.runDrain(storage.read("Q101", "a.txt"))), "NotFound")
        assert.deepStrictEqual(yield* storage.list("Q101"), [])
        assert.isFalse((yield* storage.objects()).includes("Q101"))

        const commit = yield* storage.commit("add a.txt", { operation: "create" })
        assert.match(commit.id, /^[0-9a-f]{64}$/)
        assert.strictEqual(commit.message, "add a.txt")
        assert.deepStrictEqual(commit.metadata, { operation: "create" })
        assert.isTrue(commit.committer.length > 0)
        assert.strictEqual(new Date(commit.creationDate).toISOString(), commit.creationDate)

        const stat = yield* storage.stat("q101", "a.txt")
        assert.deepStrictEqual(stat, { ...staged, modified: commit.creationDate })
        assert.strictEqual(yield* readText("Q101", "a.txt"), "hello world")
        assert.deepStrictEqual(yield* storage.list("Q101"), [stat])
        assert.isTrue((yield* storage.objects()).includes("Q101"))
      }))

    it.effect("the object's record is stored and read like a component, but not listed; it alone makes an object", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        yield* storage.write("Q190", ObjectId.RECORD_ID, "application/json", stream("{}"))
        yield* storage.commit("record only", { object_id: "Q190" })
        assert.deepStrictEqual(yield* storage.list("Q190"), [])
        assert.strictEqual((yield* storage.stat("Q190", ObjectId.RECORD_ID)).size, 2)
        assert.isTrue((yield* storage.objects()).includes("Q190"))
        assert.strictEqual((yield* storage.history("Q190")).length, 1)
        yield* put("Q190", "a.txt", "a")
        assert.deepStrictEqual((yield* storage.list("Q190")).map((stat) => stat.componentId), ["a.txt"])
      }))

    it.effect("each commit has the previous one as parent", () =>
      Effect.gen(function*() {
        const first = yield* put("Q102", "a", "1")
        const second = yield* put("Q102", "a", "2")
        assert.deepStrictEqual(second.parents, [first.id])
        assert.notStrictEqual(second.id, first.id)
        assert.strictEqual(yield* readText("Q102", "a"), "2")
      }))

    it.effect("reads inclusive byte ranges across chunk boundaries", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        yield* storage.write("Q103", "digits", "text/plain", stream("0123", "456", "789"))
        yield* storage.commit("digits", {})
        assert.strictEqual(yield* readText("Q103", "digits", { start: 0, end: 0 }), "0")
        assert.strictEqual(yield* readText("Q103", "digits", { start: 2, end: 5 }), "2345")
        assert.strictEqual(yield* readText("Q103", "digits", { start: 3, end: 7 }), "34567")
        assert.strictEqual(yield* readText("Q103", "digits", { start: 9, end: 9 }), "9")
        assert.strictEqual(yield* readText("Q103", "digits", { start: 7, end: 1000 }), "789", "end is clamped")
        assert.strictEqual(yield* readText("Q103", "digits", { start: 10, end: 20 }), "", "nothing past the end")
      }))

    it.effect("open reads the content, or a range of it, into the caller's buffers", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        yield* storage.write("Q130", "digits", "text/plain", stream("0123", "456", "789"))
        yield* storage.write("Q130", "empty", "text/plain", Stream.empty)
        yield* storage.commit("digits", {})
        assert.deepStrictEqual(yield* openText("Q130", "digits"), { size: 10, text: "0123456789" })
        assert.deepStrictEqual(yield* openText("Q130", "digits", undefined, 64), { size: 10, text: "0123456789" })
        assert.deepStrictEqual(yield* openText("Q130", "digits", { start: 2, end: 5 }), { size: 4, text: "2345" })
        assert.deepStrictEqual(yield* openText("Q130", "digits", { start: 7, end: 1000 }), { size: 3, text: "789" })
        assert.deepStrictEqual(yield* openText("Q130", "digits", { start: 10, end: 20 }), { size: 0, text: "" })
        assert.deepStrictEqual(yield* openText("Q130", "empty"), { size: 0, text: "" })
        assert.strictEqual(yield* kindOf(Effect.scoped(storage.open("Q130", "nope"))), "NotFound")
      }))

    it.effect("open reads a large component (over the 64 KiB of a small one) in pieces of the caller's size", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        const chunks = 40
        const chunkSize = 64 * 1024
        const expected = createHash("sha256")
        for (let i = 0; i < chunks; i++) expected.update(new Uint8Array(chunkSize).fill(i & 0xff))
        yield* storage.write("Q131", "big.bin", "application/octet-stream", pattern(chunks, chunkSize))
        yield* storage.commit("big", {})
        const read = createHash("sha256")
        let size = 0
        yield* Effect.scoped(Effect.gen(function*() {
          const opened = yield* storage.open("Q131", "big.bin")
          assert.strictEqual(opened.size, chunks * chunkSize)
          const buffer = new Uint8Array(1024 * 1024)
          for (;;) {
            const n = yield* opened.read(buffer)
            if (n === 0) break
            // every piece but the last fills the buffer: a listener relies on that to reuse it
            if (size + n < chunks * chunkSize) assert.strictEqual(n, buffer.length)
            size += n
            read.update(buffer.subarray(0, n))
          }
        }))
        assert.strictEqual(size, chunks * chunkSize)
        assert.strictEqual(`sha256:${read.digest("hex")}`, `sha256:${expected.digest("hex")}`)
        const tail = yield* openText("Q131", "big.bin", { start: chunks * chunkSize - 2, end: chunks * chunkSize + 5 })
        assert.strictEqual(tail.size, 2)
      }))

    it.effect("an empty component", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        const stat = yield* storage.write("Q104", "empty", "text/plain", Stream.empty, { expectedSize: 0 })
        assert.strictEqual(stat.size, 0)
        assert.strictEqual(stat.checksum, sha256(new Uint8Array(0)))
        yield* storage.commit("empty", {})
        assert.strictEqual(yield* readText("Q104", "empty"), "")
        assert.strictEqual(yield* readText("Q104", "empty", { start: 0, end: 10 }), "")
      }))

    it.effect("reset drops the staged change of one component", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        yield* put("Q105", "a", "committed")
        yield* storage.write("Q105", "a", "text/plain", stream("staged"))
        yield* storage.write("Q105", "b", "text/plain", stream("staged b"))
        yield* storage.reset("Q105", "a")
        yield* storage.reset("Q105", "never-written") // nothing staged: still fine
        yield* storage.commit("b only", {})
        assert.strictEqual(yield* readText("Q105", "a"), "committed")
        assert.strictEqual(yield* readText("Q105", "b"), "staged b")

        yield* storage.write("Q105", "b", "text/plain", stream("again"))
        yield* storage.reset("Q105", "b")
        assert.strictEqual(yield* kindOf(storage.commit("nothing", {})), "NoChanges")
      }))

    it.effect("a commit with nothing staged fails with NoChanges", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        assert.strictEqual(yield* kindOf(storage.commit("empty", {})), "NoChanges")
      }))

    it.effect("history lists the commits that changed an object, newest first", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        const c1 = yield* put("Q106", "a", "1")
        const c2 = yield* put("Q107", "a", "1")
        const c3 = yield* put("Q106", "b", "1")
        yield* storage.write("Q106", "c", "text/plain", stream("staged only"))
        yield* storage.reset("Q106", "c")
        assert.deepStrictEqual((yield* storage.history("Q106")).map((c) => c.id), [c3.id, c1.id])
        assert.deepStrictEqual(yield* storage.history("q107"), [c2])
        assert.deepStrictEqual(yield* storage.history("Q999999"), [])
        // Q1060 shares a digit prefix with Q106, not its folder
        assert.deepStrictEqual(yield* storage.history("Q1060"), [])
      }))

    it.effect("one commit can carry several objects", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        yield* Effect.forEach(["x", "y", "z"], (id) => storage.write("Q108", id, "text/plain", stream(id)), {
          concurrency: "unbounded"
        })
        yield* storage.write("Q109", "x", "text/plain", stream("x"))
        const commit = yield* storage.commit("batch", {})
        assert.deepStrictEqual(yield* storage.history("Q108"), [commit])
        assert.deepStrictEqual(yield* storage.history("Q109"), [commit])
        assert.deepStrictEqual((yield* storage.list("Q108")).map((s) => s.componentId), ["x", "y", "z"])
      }))

    it.effect("list gives the committed components of one object by id", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        yield* put("Q110", "b.pdf", "bb")
        yield* put("Q110", "a.json", "{}")
        yield* put("Q1100", "other", "x")
        const list = yield* storage.list("Q110")
        assert.deepStrictEqual(list.map((s) => [s.componentId, s.path, s.size]), [
          ["a.json", ObjectId.componentPath("Q110", "a.json"), 2],
          ["b.pdf", ObjectId.componentPath("Q110", "b.pdf"), 2]
        ])
        assert.deepStrictEqual(yield* storage.list("Q1234567"), [])
      }))

    it.effect("objects gives every object with a committed component", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        yield* put("Q6190920", "a", "1")
        yield* storage.write("Q111", "a", "text/plain", stream("staged"))
        const objects = yield* storage.objects()
        yield* storage.reset("Q111", "a")
        assert.includeMembers([...objects], ["Q101", "Q110", "Q6190920"])
        assert.notInclude(objects, "Q111")
        assert.strictEqual(new Set(objects).size, objects.length)
      }))

    it.effect("remove stages a deletion: invisible until commit, then the component is gone", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        yield* put("Q120", "a", "doomed")
        yield* put("Q120", "b", "kept")
        yield* storage.remove("q120", "a")
        assert.strictEqual(yield* readText("Q120", "a"), "doomed", "still committed")

        // a commit with only a deletion is a change
        yield* storage.commit("remove a", { operation: "delete" })
        assert.strictEqual(yield* kindOf(storage.stat("Q120", "a")), "NotFound")
        assert.strictEqual(yield* kindOf(Stream.runDrain(storage.read("Q120", "a"))), "NotFound")
        assert.deepStrictEqual((yield* storage.list("Q120")).map((s) => s.componentId), ["b"])
        assert.strictEqual(yield* readText("Q120", "b"), "kept")
        assert.isTrue((yield* storage.objects()).includes("Q120"))
        assert.strictEqual(yield* kindOf(storage.remove("Q120", "a")), "NotFound", "gone for good")
      }))

    it.effect("reset undoes a staged removal", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        const committed = yield* put("Q121", "a", "committed")
        const before = yield* storage.stat("Q121", "a")
        yield* storage.remove("Q121", "a")
        yield* storage.reset("Q121", "a")
        assert.strictEqual(yield* kindOf(storage.commit("nothing", {})), "NoChanges")

        // a removal replaces a staged write of the same component; reset brings back the committed version
        yield* storage.write("Q121", "a", "text/plain", stream("staged"))
        yield* storage.remove("Q121", "a")
        yield* storage.reset("Q121", "a")
        assert.strictEqual(yield* kindOf(storage.commit("nothing", {})), "NoChanges")
        assert.deepStrictEqual(yield* storage.stat("Q121", "a"), before)
        assert.strictEqual(yield* readText("Q121", "a"), "committed")
        assert.deepStrictEqual(yield* storage.history("Q121"), [committed])
      }))

    it.effect("remove of a component that is not there is NotFound", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        assert.strictEqual(yield* kindOf(storage.remove("Q122", "never")), "NotFound", "no such object")
        yield* put("Q122", "a", "1")
        assert.strictEqual(yield* kindOf(storage.remove("Q122", "never")), "NotFound", "no such component")
        yield* storage.remove("Q122", "a")
        assert.strictEqual(yield* kindOf(storage.remove("Q122", "a")), "NotFound", "removed already")
        yield* storage.reset("Q122", "a")

        // a component only staged can be removed: its write is dropped, and nothing is left to commit
        yield* storage.write("Q122", "b", "text/plain", stream("staged only"))
        yield* storage.remove("Q122", "b")
        assert.strictEqual(yield* kindOf(storage.remove("Q122", "b")), "NotFound")
        assert.strictEqual(yield* kindOf(storage.commit("nothing", {})), "NoChanges")
        assert.strictEqual(yield* kindOf(storage.stat("Q122", "b")), "NotFound")
        assert.strictEqual(yield* readText("Q122", "a"), "1")
      }))

    it.effect("one commit can remove some components and write others", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        yield* put("Q123", "a", "old a")
        yield* put("Q123", "b", "old b")
        yield* storage.write("Q123", "c", "text/plain", stream("new c"))
        yield* storage.remove("Q123", "a")
        yield* storage.write("Q123", "b", "text/plain", stream("new b"))
        const commit = yield* storage.commit("mixed", {})
        assert.deepStrictEqual((yield* storage.list("Q123")).map((s) => [s.componentId, s.modified]), [
          ["b", commit.creationDate],
          ["c", commit.creationDate]
        ])
        assert.strictEqual(yield* readText("Q123", "b"), "new b")
        assert.strictEqual(yield* readText("Q123", "c"), "new c")
        assert.strictEqual(yield* kindOf(storage.stat("Q123", "a")), "NotFound")

        // a removed component can be written again
        yield* put("Q123", "a", "reborn")
        assert.strictEqual(yield* readText("Q123", "a"), "reborn")
      }))

    it.effect("history records a deletion commit", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        const c1 = yield* put("Q124", "a", "1")
        const c2 = yield* put("Q124", "b", "1")
        yield* storage.remove("Q124", "a")
        const c3 = yield* storage.commit("remove a", { operation: "delete" })
        assert.deepStrictEqual(c3.parents, [c2.id])
        assert.deepStrictEqual((yield* storage.history("Q124")).map((c) => c.id), [c3.id, c2.id, c1.id])
        assert.deepStrictEqual((yield* storage.history("Q124"))[0], c3)
      }))

    it.effect("removing every component of an object removes the object", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        yield* put("Q125", "a", "1")
        yield* put("Q125", "b", "2")
        yield* put("Q126", "a", "neighbour")
        yield* storage.remove("Q125", "a")
        yield* storage.remove("Q125", "b")
        const gone = yield* storage.commit("remove Q125", {})
        assert.deepStrictEqual(yield* storage.list("Q125"), [])
        const objects = yield* storage.objects()
        assert.notInclude(objects, "Q125")
        assert.include(objects, "Q126")
        assert.strictEqual((yield* storage.history("Q125"))[0]?.id, gone.id, "its history stays")
        assert.strictEqual(yield* readText("Q126", "a"), "neighbour")
      }))

    it.effect("at reads what a commit held: contents, ranges, listing and history as they were then", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        const c1 = yield* put("Q140", "a.txt", "one")
        yield* storage.write("Q140", "a.txt", "text/plain", stream("two!"))
        yield* storage.write("Q140", "b.txt", "text/csv", stream("x,y"))
        const c2 = yield* storage.commit("two", {})
        const other = yield* put("Q141", "c.txt", "elsewhere")
        yield* storage.remove("Q140", "a.txt")
        const c3 = yield* storage.commit("three", {})

        const at1 = yield* storage.at(c1.id)
        assert.deepStrictEqual(at1.commit, c1)
        assert.strictEqual((yield* at1.stat("Q140", "a.txt")).size, 3)
        assert.strictEqual((yield* at1.stat("Q140", "a.txt")).modified, c1.creationDate)
        assert.strictEqual(yield* readAt(at1, "Q140", "a.txt"), "one")
        assert.strictEqual(yield* readAt(at1, "Q140", "a.txt", { start: 1, end: 1 }), "n")
        assert.deepStrictEqual(yield* openAt(at1, "q140", "a.txt", { start: 1, end: 5 }), { size: 2, text: "ne" })
        assert.deepStrictEqual((yield* at1.list("Q140")).map((c) => c.componentId), ["a.txt"])
        assert.deepStrictEqual((yield* at1.history("Q140")).map((c) => c.id), [c1.id])
        const missing = yield* Effect.flip(at1.stat("Q140", "b.txt"))
        assert.strictEqual(missing.kind, "NotFound")
        assert.strictEqual(missing.message, `component b.txt of Q140 does not exist at version ${c1.id}`)
        assert.strictEqual(yield* kindOf(Stream.runDrain(at1.read("Q140", "b.txt"))), "NotFound")
        assert.strictEqual(yield* kindOf(Effect.scoped(at1.open("Q140", "b.txt"))), "NotFound")
        assert.deepStrictEqual(yield* at1.list("Q141"), [])

        const at2 = yield* storage.at(c2.id.toUpperCase())
        assert.strictEqual(at2.commit.id, c2.id)
        assert.strictEqual(yield* readAt(at2, "Q140", "a.txt"), "two!")
        const b = yield* at2.stat("Q140", "b.txt")
        assert.deepStrictEqual([b.mediaType, b.size, b.checksum], ["text/csv", 3, sha256(text("x,y"))])
        assert.deepStrictEqual((yield* at2.history("Q140")).map((c) => c.id), [c2.id, c1.id])

        // a commit of another object: this one as it was then
        const atOther = yield* storage.at(other.id)
        assert.deepStrictEqual((yield* atOther.list("Q140")).map((c) => c.componentId), ["a.txt", "b.txt"])
        assert.deepStrictEqual((yield* atOther.history("Q140")).map((c) => c.id), [c2.id, c1.id])
        assert.deepStrictEqual((yield* atOther.history("Q141")).map((c) => c.id), [other.id])

        const at3 = yield* storage.at(c3.id)
        assert.strictEqual(yield* kindOf(at3.stat("Q140", "a.txt")), "NotFound")
        assert.deepStrictEqual((yield* at3.list("Q140")).map((c) => c.componentId), ["b.txt"])
        assert.strictEqual((yield* at3.stat("Q140", "b.txt")).modified, c2.creationDate)
        assert.deepStrictEqual((yield* at3.history("Q140")).map((c) => c.id), [c3.id, c2.id, c1.id])

        // the branch itself is unchanged by all this
        assert.strictEqual(yield* kindOf(storage.stat("Q140", "a.txt")), "NotFound")
        assert.strictEqual(yield* readText("Q140", "b.txt"), "x,y")
      }))

    it.effect("at of a version that names no commit is NotFound", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        const commit = yield* put("Q142", "a.txt", "a")
        const nowhere = "0".repeat(64)
        const error = yield* Effect.flip(storage.at(nowhere))
        assert.deepStrictEqual([error.kind, error.message], ["NotFound", `version ${nowhere} does not exist`])
        for (const version of [storage.branch, `${storage.branch}@`, commit.id.slice(0, 12), "", `${commit.id}0`, "../x"]) {
          const refused = yield* Effect.flip(storage.at(version))
          assert.strictEqual(refused.kind, "NotFound", version)
          assert.include(refused.message, "a version is a commit id (64 hex digits)", version)
        }
      }))

    it.effect("changes says which components of the object each commit added, changed or removed", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        const c1 = yield* put("Q143", "a.txt", "one")
        yield* storage.write("Q143", "a.txt", "text/plain", stream("two"))
        yield* storage.write("Q143", "b.txt", "text/plain", stream("b"))
        yield* storage.write("Q144", "z.txt", "text/plain", stream("z"))
        const c2 = yield* storage.commit("two", {})
        yield* storage.remove("Q143", "a.txt")
        yield* storage.write("Q143", ObjectId.RECORD_ID, "application/json", stream("{}"))
        const c3 = yield* storage.commit("three", {})
        assert.deepStrictEqual(yield* storage.changes("Q143", c1), [{ componentId: "a.txt", change: "added" }])
        assert.deepStrictEqual(yield* storage.changes("q143", c2), [
          { componentId: "a.txt", change: "changed" },
          { componentId: "b.txt", change: "added" }
        ])
        assert.deepStrictEqual(yield* storage.changes("Q144", c2), [{ componentId: "z.txt", change: "added" }])
        assert.deepStrictEqual(yield* storage.changes("Q143", c3), [
          { componentId: ObjectId.RECORD_ID, change: "added" },
          { componentId: "a.txt", change: "removed" }
        ])
        // a commit that left the object alone changed nothing of it
        assert.deepStrictEqual(yield* storage.changes("Q144", c3), [])
        assert.deepStrictEqual(yield* storage.changes("Q143", (yield* storage.at(c2.id)).commit), yield* storage.changes("Q143", c2))
        assert.strictEqual(yield* kindOf(storage.changes("Q143", { ...c1, id: "f".repeat(64) })), "NotFound")
      }))

    it.effect("log: the head, and the commits after one, oldest first", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        const c1 = yield* put("Q145", "a.txt", "1")
        const c2 = yield* put("Q146", "a.txt", "2")
        const c3 = yield* put("Q145", "a.txt", "3")
        assert.strictEqual(yield* storage.log.head, c3.id)
        const after = yield* storage.log.after(c1.id, 100)
        assert.deepStrictEqual(after.map((c) => c.id), [c2.id, c3.id])
        assert.deepStrictEqual(after.map((c) => c.metadata["object_id"]), ["Q146", "Q145"])
        assert.deepStrictEqual(after.map((c) => c.parents[0]), [c1.id, c2.id])
        assert.deepStrictEqual(yield* storage.log.after(c3.id, 100), [])
        assert.deepStrictEqual((yield* storage.log.after(c1.id.toUpperCase(), 100)).map((c) => c.id), [c2.id, c3.id])
        const all = yield* storage.log.after(undefined, 100_000)
        assert.deepStrictEqual(all.slice(-3).map((c) => c.id), [c1.id, c2.id, c3.id])
        assert.strictEqual(yield* kindOf(storage.log.after(c1.id, 1)), "TooLarge")
        assert.strictEqual(yield* kindOf(storage.log.after("f".repeat(64), 100)), "NotFound")
        assert.strictEqual(yield* kindOf(storage.log.after("nonsense", 100)), "NotFound")
      }))

    it.effect("maxSize: TooLarge as soon as the content passes it, keeping nothing", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        yield* put("Q112", "a", "old")
        // the content dies if read past the limit: the write must stop before that
        const content = Stream.concat(stream("0123456789", "0123456789"), Stream.die("read past the limit"))
        const tooLarge = storage.write("Q112", "a", "text/plain", content, { maxSize: 15 })
        assert.strictEqual(yield* kindOf(tooLarge), "TooLarge")
        assert.strictEqual(
          yield* kindOf(storage.write("Q112", "a", "text/plain", stream("12345"), { maxSize: 10, expectedSize: 11 })),
          "TooLarge",
          "a declared size over the limit"
        )
        const exact = yield* storage.write("Q112", "b", "text/plain", stream("12345", "67890"), { maxSize: 10 })
        assert.strictEqual(exact.size, 10, "exactly maxSize is allowed")
        yield* storage.reset("Q112", "b")
        assert.strictEqual(yield* kindOf(storage.commit("nothing", {})), "NoChanges")
        assert.strictEqual(yield* readText("Q112", "a"), "old")
      }))

    it.effect("expectedSize: SizeMismatch unless exactly that many bytes arrive, keeping nothing", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        const short = storage.write("Q113", "a", "text/plain", stream("1234"), { expectedSize: 5 })
        const long = storage.write("Q113", "a", "text/plain", stream("123", "456"), { expectedSize: 5 })
        assert.strictEqual(yield* kindOf(short), "SizeMismatch")
        assert.strictEqual(yield* kindOf(long), "SizeMismatch")
        assert.strictEqual(yield* kindOf(storage.commit("nothing", {})), "NoChanges")
        const exact = yield* storage.write("Q113", "a", "text/plain", stream("12", "345"), { expectedSize: 5 })
        assert.strictEqual(exact.size, 5)
        yield* storage.reset("Q113", "a")
      }))

    it.effect("InvalidPath for ids that cannot name a stored file", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        const badComponents = ["../x", "..", ".", "a/b", "a\\b", "", "x\u0000y", "line\nbreak", "/etc/passwd"]
        for (const componentId of badComponents) {
          assert.strictEqual(
            yield* kindOf(storage.write("Q114", componentId, "text/plain", stream("x"))),
            "InvalidPath",
            JSON.stringify(componentId)
          )
          assert.strictEqual(yield* kindOf(storage.stat("Q114", componentId)), "InvalidPath")
          assert.strictEqual(yield* kindOf(Stream.runDrain(storage.read("Q114", componentId))), "InvalidPath")
          assert.strictEqual(yield* kindOf(storage.reset("Q114", componentId)), "InvalidPath")
          assert.strictEqual(yield* kindOf(storage.remove("Q114", componentId)), "InvalidPath")
        }
        for (const objectId of ["../Q1", "Q1/..", "X114", "Q", "Q-1", "Q1.5", ""]) {
          assert.strictEqual(yield* kindOf(storage.write(objectId, "a", "text/plain", stream("x"))), "InvalidPath")
          assert.strictEqual(yield* kindOf(storage.list(objectId)), "InvalidPath")
          assert.strictEqual(yield* kindOf(storage.history(objectId)), "InvalidPath")
          assert.strictEqual(yield* kindOf(storage.remove(objectId, "a")), "InvalidPath")
        }
        assert.strictEqual(yield* kindOf(storage.commit("nothing", {})), "NoChanges")
      }))

    it.effect("a failing content stream fails the write with its own error and keeps nothing", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        yield* put("Q115", "a", "old")
        const content = Stream.concat(stream("new ", "content"), Stream.fail("connection lost" as const))
        const error = yield* Effect.flip(storage.write("Q115", "a", "text/plain", content))
        assert.strictEqual(error, "connection lost")
        assert.strictEqual(yield* kindOf(storage.commit("nothing", {})), "NoChanges")
        assert.strictEqual(yield* readText("Q115", "a"), "old")
      }))

    it.effect("an interrupted write keeps nothing", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        const content = Stream.concat(stream("partial"), Stream.never)
        const result = yield* storage.write("Q116", "a", "text/plain", content).pipe(
          Effect.timeoutOption("50 millis")
        )
        assert.isTrue(result._tag === "None")
        assert.strictEqual(yield* kindOf(storage.commit("nothing", {})), "NoChanges")
        assert.strictEqual(yield* kindOf(storage.stat("Q116", "a")), "NotFound")
      }))

    it.effect("spool stages nothing; stage then stages it as write would", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        yield* put("Q119", "a", "old")
        yield* Effect.scoped(Effect.gen(function*() {
          const spooled = yield* storage.spool(stream("new ", "content"), { expectedSize: 11, maxSize: 11 })
          assert.deepStrictEqual(spooled, { size: 11, checksum: sha256(text("new content")) })
          // spooling touches no branch
          assert.strictEqual(yield* kindOf(storage.commit("nothing", {})), "NoChanges")
          const staged = yield* storage.stage("Q119", "a", "text/markdown", spooled)
          assert.strictEqual(staged.size, 11)
          assert.strictEqual(staged.checksum, spooled.checksum)
          assert.strictEqual(staged.mediaType, "text/markdown")
          assert.strictEqual(yield* readText("Q119", "a"), "old", "staged, not committed")
          const commit = yield* storage.commit("staged", {})
          assert.deepStrictEqual(yield* storage.stat("Q119", "a"), { ...staged, modified: commit.creationDate })
        }))
        assert.strictEqual(yield* readText("Q119", "a"), "new content", "the commit keeps it after the spool is gone")
      }))

    it.effect("spool enforces the write options, and a spool dropped unstaged leaves nothing", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        const spool = (content: Stream.Stream<Uint8Array>, options: { maxSize?: number; expectedSize?: number }) =>
          Effect.scoped(storage.spool(content, options))
        assert.strictEqual(yield* kindOf(spool(stream("12345", "6"), { maxSize: 5 })), "TooLarge")
        assert.strictEqual(yield* kindOf(spool(stream("1234"), { expectedSize: 5 })), "SizeMismatch")
        assert.strictEqual(yield* Effect.flip(Effect.scoped(storage.spool(Stream.fail("lost" as const)))), "lost")
        yield* spool(stream("never staged"), {})
        assert.strictEqual(yield* kindOf(storage.commit("nothing", {})), "NoChanges")
      }))

    it.effect("copies incoming chunks: a caller may reuse its buffer", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        const buffer = new Uint8Array(4)
        const content = Stream.range(0, 2, 1).pipe(Stream.map((i) => buffer.fill(0x61 + i)))
        yield* storage.write("Q117", "reused", "text/plain", content)
        yield* storage.commit("reused", {})
        buffer.fill(0x7a)
        assert.strictEqual(yield* readText("Q117", "reused"), "aaaabbbbcccc")
      }))

    it.effect("streams a 64 MiB write in 64 KiB chunks with the right checksum", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        const chunks = 1024
        const chunkSize = 64 * 1024
        const expected = createHash("sha256")
        for (let i = 0; i < chunks; i++) expected.update(new Uint8Array(chunkSize).fill(i & 0xff))
        const checksum = `sha256:${expected.digest("hex")}`

        const staged = yield* storage.write("Q118", "big.bin", "application/octet-stream", pattern(chunks, chunkSize), {
          expectedSize: chunks * chunkSize,
          maxSize: chunks * chunkSize
        })
        assert.strictEqual(staged.size, chunks * chunkSize)
        assert.strictEqual(staged.checksum, checksum)
        yield* storage.commit("big", {})

        const read = createHash("sha256")
        let size = 0
        yield* storage.read("Q118", "big.bin").pipe(Stream.runForEach((chunk) =>
          Effect.sync(() => {
            size += chunk.length
            read.update(chunk)
          })
        ))
        assert.strictEqual(size, chunks * chunkSize)
        assert.strictEqual(`sha256:${read.digest("hex")}`, checksum)

        const middle = yield* storage.read("Q118", "big.bin", { start: chunkSize - 2, end: chunkSize + 1 }).pipe(
          Stream.mkUint8Array
        )
        assert.deepStrictEqual(Array.from(middle), [0, 0, 1, 1])
      }))
  })
