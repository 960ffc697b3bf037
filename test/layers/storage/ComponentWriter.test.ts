/**
 * `ComponentWriter` over memory storage and the storage-derived façade: changes commit as one, fail as one, and
 * leave the cached manifest fresh.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Stream from "effect/Stream"
import * as ComponentWriter from "../../../src/layers/storage/ComponentWriter.ts"
import { FdoFacade } from "../../../src/layers/metadata/FdoFacade.ts"
import * as MemoryStorage from "../../../src/layers/storage/MemoryStorage.ts"
import { Storage, StorageError } from "../../../src/layers/storage/Storage.ts"
import * as StorageFdoFacade from "../../../src/layers/metadata/StorageFdoFacade.ts"

const connectionReset = new StorageError({ kind: "Unavailable", message: "connection reset" })

/**
 * Memory storage with the failures of a flaky lakeFS: a commit with the message `doomed` fails, a write of a
 * component `lost-reply` is staged but its answer is lost, and a reset of a component `stuck` fails.
 */
const storageLayer = Layer.effect(
  Storage,
  Effect.map(MemoryStorage.make(), (storage) =>
    Storage.of({
      ...storage,
      commit: (message, metadata) =>
        message === "doomed" ? Effect.fail(connectionReset) : storage.commit(message, metadata),
      write: (objectId, componentId, mediaType, content, options) =>
        componentId === "lost-reply"
          ? storage.write(objectId, componentId, mediaType, content, options).pipe(
            Effect.andThen(Effect.fail(connectionReset))
          )
          : storage.write(objectId, componentId, mediaType, content, options),
      reset: (objectId, componentId) =>
        componentId === "stuck" ? Effect.fail(connectionReset) : storage.reset(objectId, componentId)
    }))
)

const TestLayer = ComponentWriter.layer.pipe(
  Layer.provideMerge(StorageFdoFacade.layer),
  Layer.provideMerge(storageLayer)
)

const text = (s: string) => Stream.make(new TextEncoder().encode(s))
const readText = (objectId: string, componentId: string) =>
  Storage.use((storage) =>
    storage.read(objectId, componentId).pipe(Stream.mkUint8Array, Effect.map((b) => new TextDecoder().decode(b)))
  )
const componentIds = (objectId: string) =>
  Storage.use((storage) => Effect.map(storage.list(objectId), (list) => list.map((s) => s.componentId)))

const seed = (objectId: string, componentId: string, content: string) =>
  ComponentWriter.ComponentWriter.use((writer) =>
    writer.write({ objectId, componentId, mediaType: "text/plain", content: text(content), operation: "seed" })
  )

/** the branch is left with nothing staged: a commit finds no changes */
const assertNothingStaged = Effect.gen(function*() {
  const storage = yield* Storage
  const error = yield* Effect.flip(storage.commit("probe", {}))
  assert.strictEqual(error.kind, "NoChanges")
})

/** that the object's state and history are exactly what `seeded` left */
const assertUnchanged = (objectId: string, seeded: ReadonlyArray<ComponentWriter.Written>) =>
  Effect.gen(function*() {
    const storage = yield* Storage
    yield* assertNothingStaged
    assert.deepStrictEqual(
      (yield* storage.history(objectId)).map((c) => c.id),
      seeded.map((w) => w.commit.id).reverse()
    )
    assert.deepStrictEqual(yield* componentIds(objectId), seeded.map((w) => w.stat.componentId).sort())
  })

/**
 * Seeds `Q3` with components `a` and `b`, runs a change of it that must fail, checks that the branch and the object
 * are exactly as seeded, and returns the error.
 */
const failedChange = <E>(body: (staging: ComponentWriter.Staging) => Effect.Effect<unknown, E>, message?: string) =>
  Effect.gen(function*() {
    const writer = yield* ComponentWriter.ComponentWriter
    const seeded = [yield* seed("Q3", "a", "old a"), yield* seed("Q3", "b", "old b")]
    const error = yield* Effect.flip(writer.change({ objectId: "Q3", operation: "update", message }, body))
    yield* assertUnchanged("Q3", seeded)
    assert.deepStrictEqual([yield* readText("Q3", "a"), yield* readText("Q3", "b")], ["old a", "old b"])
    return error
  })

describe("ComponentWriter", () => {
  it.effect("a change of several components is one commit with the metadata", () =>
    Effect.gen(function*() {
      const writer = yield* ComponentWriter.ComponentWriter
      const storage = yield* Storage
      const seeded = yield* seed("Q1", "a", "old a")
      const changed = yield* writer.change(
        // the writer's own keys win over the caller's
        { objectId: "Q1", operation: "update", metadata: { committer: "alice", operation: "spoofed" } },
        (staging) =>
          Effect.gen(function*() {
            const b = yield* staging.write("b", "text/csv", text("x,y"))
            yield* staging.write("c", "text/plain", text("c"), { expectedSize: 1, maxSize: 10 })
            yield* staging.remove("a")
            return b.size
          })
      )
      assert.strictEqual(changed.result, 3)
      assert.strictEqual(changed.branch, "main")
      assert.strictEqual(changed.commit.message, "update Q1")
      assert.deepStrictEqual(changed.commit.metadata, {
        committer: "alice",
        operation: "update",
        object_id: "Q1",
        component_ids: "b,c,a"
      })
      assert.deepStrictEqual(changed.commit.parents, [seeded.commit.id])
      assert.deepStrictEqual(yield* storage.history("Q1"), [changed.commit, seeded.commit])
      assert.deepStrictEqual(yield* componentIds("Q1"), ["b", "c"])
      assert.strictEqual((yield* storage.stat("Q1", "b")).mediaType, "text/csv")
      yield* assertNothingStaged
    }).pipe(Effect.provide(TestLayer)))

  it.effect("write is a change of one component, with component_id and media_type", () =>
    Effect.gen(function*() {
      const writer = yield* ComponentWriter.ComponentWriter
      const written = yield* writer.write({
        objectId: "Q2",
        componentId: "a.txt",
        mediaType: "text/plain",
        content: text("hello"),
        operation: "update",
        metadata: { committer: "bob" }
      })
      assert.strictEqual(written.stat.size, 5)
      assert.strictEqual(written.commit.message, "update Q2/a.txt")
      assert.deepStrictEqual(written.commit.metadata, {
        committer: "bob",
        component_id: "a.txt",
        media_type: "text/plain",
        operation: "update",
        object_id: "Q2",
        component_ids: "a.txt"
      })
      assert.strictEqual(yield* readText("Q2", "a.txt"), "hello")
    }).pipe(Effect.provide(TestLayer)))

  it.effect("a content stream failing on the second component resets everything touched", () =>
    Effect.gen(function*() {
      const error = yield* failedChange((staging) =>
        Effect.gen(function*() {
          yield* staging.remove("a")
          yield* staging.write("c", "text/plain", text("new c"))
          const broken = Stream.concat(text("half of b"), Stream.fail("connection lost" as const))
          yield* staging.write("b", "text/plain", broken)
        })
      )
      assert.strictEqual(error, "connection lost", "the stream's own error, untouched")
    }).pipe(Effect.provide(TestLayer)))

  it.effect("a body failing after its staging succeeded resets everything touched", () =>
    Effect.gen(function*() {
      const error = yield* failedChange((staging) =>
        Effect.andThen(
          Effect.all([
            staging.write("a", "text/plain", text("new a")),
            staging.write("c", "text/plain", text("new c"))
          ]),
          Effect.fail("validation failed" as const)
        )
      )
      assert.strictEqual(error, "validation failed")
    }).pipe(Effect.provide(TestLayer)))

  it.effect("a staging failure is the storage's own error, and resets the rest", () =>
    Effect.gen(function*() {
      const error = yield* failedChange((staging) => Effect.andThen(staging.remove("a"), staging.remove("missing")))
      assert.instanceOf(error, StorageError)
      assert.strictEqual(error.kind, "NotFound")
    }).pipe(Effect.provide(TestLayer)))

  it.effect("a failing commit resets everything touched", () =>
    Effect.gen(function*() {
      const error = yield* failedChange(
        (staging) => Effect.andThen(staging.write("a", "text/plain", text("new a")), staging.remove("b")),
        "doomed"
      )
      assert.deepStrictEqual(error, connectionReset)
    }).pipe(Effect.provide(TestLayer)))

  it.effect("a staging step that failed after it landed is reset too", () =>
    Effect.gen(function*() {
      const error = yield* failedChange((staging) =>
        Effect.andThen(
          staging.write("a", "text/plain", text("new a")),
          staging.write("lost-reply", "text/plain", text("x"))
        )
      )
      assert.strictEqual(error.kind, "Unavailable")
    }).pipe(Effect.provide(TestLayer)))

  it.effect("a reset that fails is logged as a warning, and the other paths are still reset", () =>
    Effect.gen(function*() {
      const writer = yield* ComponentWriter.ComponentWriter
      const storage = yield* Storage
      const logged: Array<string> = []
      const collector = Logger.make((options) => logged.push(`${options.logLevel}: ${String(options.message)}`))
      const error = yield* Effect.flip(writer.change({ objectId: "Q14", operation: "update" }, (staging) =>
        Effect.gen(function*() {
          yield* staging.write("stuck", "text/plain", text("stuck"))
          yield* staging.write("b", "text/plain", text("b"))
          return yield* Effect.fail("give up" as const)
        })).pipe(Effect.provide(Logger.layer([collector]))))
      assert.strictEqual(error, "give up", "the body's error, not the reset's")
      assert.deepStrictEqual(logged, ["Warn: could not undo the staged change of Q14/stuck,connection reset"])
      // `stuck` stays staged (that is what the warning is for); `b` was reset
      const commit = yield* storage.commit("left over", {})
      assert.deepStrictEqual((yield* storage.list("Q14")).map((s) => s.componentId), ["stuck"])
      assert.deepStrictEqual(yield* storage.history("Q14"), [commit])
    }).pipe(Effect.provide(TestLayer)))

  it.effect("while a path that a failed reset left staged cannot be reset, later changes fail and commit nothing", () =>
    Effect.gen(function*() {
      const writer = yield* ComponentWriter.ComponentWriter
      const storage = yield* Storage
      yield* Effect.flip(writer.change({ objectId: "Q15", operation: "update" }, (staging) =>
        Effect.andThen(staging.write("stuck", "text/plain", text("refused")), Effect.fail("give up" as const))))
      // the next commit would publish `stuck`, which its client was told had failed
      const refused = yield* Effect.flip(seed("Q16", "a", "a"))
      assert.deepStrictEqual(
        refused,
        new StorageError({
          kind: "Unavailable",
          message: "a failed change of Q15/stuck is still staged and cannot be undone " +
            "(connection reset); nothing is committed until it is"
        })
      )
      assert.deepStrictEqual(yield* storage.history("Q15"), [])
      assert.deepStrictEqual(yield* storage.history("Q16"), [])
    }).pipe(Effect.provide(TestLayer)))

  it.effect("an interrupted change resets everything touched and frees the writer", () =>
    Effect.gen(function*() {
      const writer = yield* ComponentWriter.ComponentWriter
      const seeded = [yield* seed("Q7", "a", "old a")]
      const midway = yield* Deferred.make<void>()
      const fiber = yield* writer.change({ objectId: "Q7", operation: "update" }, (staging) =>
        Effect.gen(function*() {
          yield* staging.write("a", "text/plain", text("new a"))
          yield* staging.write(
            "b",
            "text/plain",
            Stream.concat(text("partial"), Stream.fromEffectDrain(Deferred.succeed(midway, void 0))).pipe(
              Stream.concat(Stream.never)
            )
          )
        })).pipe(Effect.forkChild)
      yield* Deferred.await(midway)
      yield* Fiber.interrupt(fiber)
      yield* assertUnchanged("Q7", seeded)
      assert.strictEqual(yield* readText("Q7", "a"), "old a")
      // the lock was released
      yield* seed("Q7", "c", "after")
    }).pipe(Effect.provide(TestLayer)))

  it.effect("a body that stages nothing is NoChanges (BadRequest for a client)", () =>
    Effect.gen(function*() {
      const writer = yield* ComponentWriter.ComponentWriter
      const seeded = [yield* seed("Q8", "a", "a")]
      const nothing = new StorageError({ kind: "NoChanges", message: "nothing to change" })
      const change = <E>(body: (staging: ComponentWriter.Staging) => Effect.Effect<unknown, E>) =>
        Effect.flip(writer.change({ objectId: "Q8", operation: "update" }, body))

      assert.deepStrictEqual(yield* change(() => Effect.void), nothing)
      // and commits nothing, not even what was staged behind the writer's back
      const storage = yield* Storage
      yield* storage.write("Q8", "bystander", "text/plain", text("staged elsewhere"))
      assert.deepStrictEqual(yield* change(() => Effect.void), nothing)
      yield* storage.reset("Q8", "bystander")
      // a staging step that failed and was caught changed nothing either
      assert.deepStrictEqual(yield* change((staging) => Effect.ignore(staging.remove("missing"))), nothing)
      // nor does writing a new component and removing it again
      assert.deepStrictEqual(
        yield* change((staging) =>
          Effect.andThen(staging.write("new", "text/plain", text("x")), staging.remove("new"))
        ),
        nothing
      )
      yield* assertUnchanged("Q8", seeded)
    }).pipe(Effect.provide(TestLayer)))

  it.effect("the cached manifest is purged after a change", () =>
    Effect.gen(function*() {
      const writer = yield* ComponentWriter.ComponentWriter
      const facade = yield* FdoFacade
      const components = Effect.map(
        facade.manifest("Q9"),
        (m) => (m.kernel as { "fdo:hasComponent": ReadonlyArray<{ componentId: string }> })["fdo:hasComponent"]
          .map((c) => c.componentId)
      )
      yield* seed("Q9", "a", "a")
      assert.deepStrictEqual(yield* components, ["a"])
      yield* writer.change({ objectId: "Q9", operation: "update" }, (staging) =>
        staging.write("b", "text/plain", text("b")))
      assert.deepStrictEqual(yield* components, ["a", "b"])
      yield* writer.change({ objectId: "Q9", operation: "delete" }, (staging) =>
        Effect.andThen(staging.remove("a"), staging.remove("b")))
      assert.strictEqual((yield* Effect.flip(components)).kind, "NotFound")
    }).pipe(Effect.provide(TestLayer)))

  // live: the second change gets real time to (wrongly) stage while the first one holds the lock
  it.live("changes run one at a time: a commit takes only its own change", () =>
    Effect.gen(function*() {
      const writer = yield* ComponentWriter.ComponentWriter
      const storage = yield* Storage
      const staged = yield* Deferred.make<void>()
      const secondStarted = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const first = yield* writer.change({ objectId: "Q10", operation: "update" }, (staging) =>
        Effect.gen(function*() {
          yield* staging.write("a", "text/plain", text("first"))
          yield* Deferred.succeed(staged, void 0)
          yield* Deferred.await(release)
        })).pipe(Effect.forkChild)
      yield* Deferred.await(staged)
      const second = yield* writer.change({ objectId: "Q11", operation: "update" }, (staging) =>
        Effect.andThen(Deferred.succeed(secondStarted, void 0), staging.write("a", "text/plain", text("second"))))
        .pipe(Effect.forkChild)
      yield* Effect.sleep("20 millis")
      assert.isFalse(yield* Deferred.isDone(secondStarted), "the second change waits for the first")
      yield* Deferred.succeed(release, void 0)
      const one = yield* Fiber.join(first)
      const two = yield* Fiber.join(second)
      assert.deepStrictEqual(yield* storage.history("Q10"), [one.commit])
      assert.deepStrictEqual(yield* storage.history("Q11"), [two.commit])
      assert.deepStrictEqual(two.commit.parents, [one.commit.id])
    }).pipe(Effect.provide(TestLayer)))

  // live: the second write must complete while the first one's content is still on its way
  it.live("a write whose content is slow to arrive holds back no other write; interrupted, it leaves nothing", () =>
    Effect.gen(function*() {
      const writer = yield* ComponentWriter.ComponentWriter
      const midway = yield* Deferred.make<void>()
      const stalled = yield* writer.write({
        objectId: "Q17",
        componentId: "slow.bin",
        mediaType: "application/octet-stream",
        content: Stream.concat(text("the first kilobyte"), Stream.fromEffectDrain(Deferred.succeed(midway, void 0))).pipe(
          Stream.concat(Stream.never)
        ),
        operation: "update"
      }).pipe(Effect.forkChild)
      yield* Deferred.await(midway)
      // before spooling, the stalled write held the one lock while it waited for its content: this never finished
      const other = yield* seed("Q18", "a", "quick").pipe(Effect.timeoutOption("1 second"))
      assert.isTrue(other._tag === "Some", "a write of another object completes while the first one stalls")
      assert.strictEqual(yield* readText("Q18", "a"), "quick")
      yield* Fiber.interrupt(stalled)
      yield* assertNothingStaged
      assert.deepStrictEqual(yield* componentIds("Q17"), [])
    }).pipe(Effect.provide(TestLayer)))

  it.effect("staging dies when used after its change ended", () =>
    Effect.gen(function*() {
      const writer = yield* ComponentWriter.ComponentWriter
      const { result: leaked } = yield* writer.change({ objectId: "Q12", operation: "update" }, (staging) =>
        Effect.as(staging.write("a", "text/plain", text("a")), staging))
      const exit = yield* Effect.exit(leaked.write("b", "text/plain", text("b")))
      assert.isTrue(Exit.isFailure(exit) && Cause.hasDies(exit.cause))
      yield* assertNothingStaged
    }).pipe(Effect.provide(TestLayer)))
})
