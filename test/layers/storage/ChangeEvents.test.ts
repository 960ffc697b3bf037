/**
 * The change hub on its own (memory storage, the writer, a buffer of 2): a watcher that falls far behind the buffer
 * still gets every change once, in order, from the commit log; commits made around the start of a watch are neither
 * lost nor doubled; and with no watcher the hub reads nothing of what a commit changed.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as ServerConfig from "../../../src/layers/config/ServerConfig.ts"
import * as StorageFdoFacade from "../../../src/layers/metadata/StorageFdoFacade.ts"
import * as ChangeEvents from "../../../src/layers/storage/ChangeEvents.ts"
import * as ComponentWriter from "../../../src/layers/storage/ComponentWriter.ts"
import * as MemoryStorage from "../../../src/layers/storage/MemoryStorage.ts"
import { Storage } from "../../../src/layers/storage/Storage.ts"

const counted = { changes: 0 }

/** memory storage that counts the calls of `changes` */
const storage = Layer.effect(
  Storage,
  Effect.map(MemoryStorage.make(), (inner) =>
    Storage.of({
      ...inner,
      changes: (objectId, commit) => Effect.suspend(() => (counted.changes++, inner.changes(objectId, commit)))
    }))
)

const TestLayer = ComponentWriter.layer.pipe(
  Layer.provideMerge(ChangeEvents.layer),
  Layer.provideMerge(StorageFdoFacade.layer),
  Layer.provideMerge(ServerConfig.layerTest({ events: { bufferSize: 2 } })),
  Layer.provideMerge(storage)
)

const write = (objectId: string, n: number) =>
  Effect.gen(function*() {
    const writer = yield* ComponentWriter.ComponentWriter
    return yield* writer.write({
      objectId,
      componentId: "n",
      mediaType: "text/plain",
      content: Stream.succeed(new TextEncoder().encode(String(n))),
      operation: "update"
    })
  })

describe("ChangeEvents", () => {
  it.live("a watcher held up far past the buffer gets every change once, in order", () =>
    Effect.gen(function*() {
      const hub = yield* ChangeEvents.ChangeEvents
      const watch = yield* hub.watch({ ids: new Set(["Q1"]) })
      const gate = yield* Deferred.make<void>()
      const seen = yield* watch.events.pipe(
        Stream.tap((event) => event.components.added.length > 0 ? Deferred.await(gate) : Effect.void),
        Stream.take(60),
        Stream.runCollect,
        Effect.timeout("20 seconds"),
        Effect.forkScoped
      )
      yield* Effect.sleep("50 millis")
      const versions: Array<string> = []
      for (let i = 0; i < 60; i++) {
        // another object's changes between: the chain the watcher follows holds them too
        if (i % 3 === 0) yield* write("Q2", i)
        versions.push((yield* write("Q1", i)).commit.id)
        assert.isAtMost(yield* hub.buffered, 2)
      }
      yield* Deferred.succeed(gate, undefined)
      const events = yield* Fiber.join(seen)
      assert.deepStrictEqual(events.map((e) => e.version), versions)
      assert.deepStrictEqual(events[0]!.components, { added: ["n"], changed: [], removed: [] })
      assert.deepStrictEqual(events[1]!.components, { added: [], changed: ["n"], removed: [] })
    }).pipe(Effect.scoped, Effect.provide(TestLayer)))

  it.live("since: the changes after it, then live ones, none twice, even with commits landing meanwhile", () =>
    Effect.gen(function*() {
      const hub = yield* ChangeEvents.ChangeEvents
      const first = yield* write("Q5", 0)
      const versions: Array<string> = []
      for (let i = 1; i < 5; i++) versions.push((yield* write("Q5", i)).commit.id)
      const watch = yield* hub.watch({ since: first.commit.id })
      assert.strictEqual(watch.since, first.commit.id)
      // commits between the watch's first read of the log and its subscription, and after
      const writing = yield* Effect.forEach(Array.from({ length: 10 }, (_, i) => i + 5), (i) =>
        Effect.map(write("Q5", i), (written) => written.commit.id)).pipe(Effect.forkScoped)
      const events = yield* watch.events.pipe(Stream.take(14), Stream.runCollect, Effect.timeout("20 seconds"))
      versions.push(...(yield* Fiber.join(writing)))
      assert.deepStrictEqual(events.map((e) => e.version), versions)
    }).pipe(Effect.scoped, Effect.provide(TestLayer)))

  it.live("with no watcher, the hub reads nothing of what a commit changed", () =>
    Effect.gen(function*() {
      yield* write("Q7", 0)
      const before = counted.changes
      for (let i = 1; i < 20; i++) yield* write("Q7", i)
      yield* Effect.sleep("100 millis")
      assert.strictEqual(counted.changes, before)
    }).pipe(Effect.scoped, Effect.provide(TestLayer)))
})
