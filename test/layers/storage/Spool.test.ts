/**
 * Spool files of the embedded and lakeFS storages (issue 14, item 5): content waits in a private file of the
 * storage's spool directory between `spool` and `stage`, and that file is gone afterwards whatever happened (staged
 * and committed, refused, failed, interrupted, never staged); what a crash left there is removed at start.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FileSystem from "effect/FileSystem"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as LakeFsStorage from "../../../src/layers/storage/LakeFsStorage.ts"
import * as LocalStorage from "../../../src/layers/storage/LocalStorage.ts"
import type { Storage, StorageError } from "../../../src/layers/storage/Storage.ts"
import * as LakeFsOnStandIn from "../../support/LakeFsOnStandIn.ts"
import * as LakeFsStandIn from "../../support/LakeFsStandIn.ts"

interface Store {
  readonly storage: Storage["Service"]
  /** where its spool files go */
  readonly spool: string
}

/** each store on a fresh directory, opened after `before` has run on that directory's spool folder */
const stores: Record<string, (before: (spool: string) => Effect.Effect<void, unknown, FileSystem.FileSystem>) =>
  Effect.Effect<Store, unknown, FileSystem.FileSystem | Scope.Scope>> = {
  embedded: (before) =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const directory = yield* fs.makeTempDirectoryScoped({ prefix: "spool-local-" })
      const spool = `${directory}/tmp`
      yield* before(spool)
      return { storage: yield* LocalStorage.make({ directory }), spool }
    }),
  lakeFS: (before) =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const spool = `${yield* fs.makeTempDirectoryScoped({ prefix: "spool-lakefs-" })}/spool`
      yield* before(spool)
      const standIn = yield* LakeFsStandIn.make()
      const storage = yield* LakeFsStorage.make({ ...LakeFsOnStandIn.optionsOf(standIn), spoolDirectory: spool }).pipe(
        Effect.provide(FetchHttpClient.layer)
      )
      return { storage, spool }
    })
}

const text = (s: string) => new TextEncoder().encode(s)

/** the spool directory's files */
const spoolFiles = (store: Store) => FileSystem.FileSystem.use((fs) => fs.readDirectory(store.spool))

/** content that sends `first`, says so, then waits for `release` (forever, unless it is completed) */
const paused = (midway: Deferred.Deferred<void>, release: Deferred.Deferred<void>) =>
  Stream.make(text("first part, ")).pipe(
    Stream.concat(Stream.fromEffectDrain(Deferred.succeed(midway, void 0))),
    Stream.concat(Stream.fromEffectDrain(Deferred.await(release))),
    Stream.concat(Stream.make(text("second part")))
  )

const kindOf = (effect: Effect.Effect<unknown, StorageError, Scope.Scope>) =>
  Effect.map(Effect.flip(Effect.scoped(effect)), (error) => error.kind)

for (const [name, open] of Object.entries(stores)) {
  describe(`spool files, ${name}`, () => {
    it.live("what a crash left in the spool directory is removed at start", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const store = yield* open((spool) =>
          Effect.andThen(
            fs.makeDirectory(spool, { recursive: true }),
            fs.writeFileString(`${spool}/0123456789abcdef`, "half an upload")
          )
        )
        assert.deepStrictEqual(yield* spoolFiles(store), [])
      }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)))

    it.live("a spool file exists while content arrives, and is gone once it is staged and committed", () =>
      Effect.gen(function*() {
        const store = yield* open(() => Effect.void)
        const midway = yield* Deferred.make<void>()
        const release = yield* Deferred.make<void>()
        const fiber = yield* Effect.scoped(Effect.gen(function*() {
          const spooled = yield* store.storage.spool(paused(midway, release))
          return yield* store.storage.stage("Q1", "a.txt", "text/plain", spooled)
        })).pipe(Effect.forkChild)
        yield* Deferred.await(midway)
        assert.lengthOf(yield* spoolFiles(store), 1, "the content waits in the spool directory")
        yield* Deferred.succeed(release, void 0)
        const staged = yield* Fiber.join(fiber)
        assert.strictEqual(staged.size, "first part, second part".length)
        yield* store.storage.commit("a", {})
        assert.deepStrictEqual(yield* spoolFiles(store), [])
      }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)))

    it.live("no spool file stays after a refusal, a failing stream, an interruption, or a spool never staged", () =>
      Effect.gen(function*() {
        const store = yield* open(() => Effect.void)
        const { storage } = store
        assert.strictEqual(yield* kindOf(storage.spool(Stream.make(text("123456")), { maxSize: 5 })), "TooLarge")
        assert.strictEqual(yield* kindOf(storage.spool(Stream.make(text("1234")), { expectedSize: 5 })), "SizeMismatch")
        const broken = Stream.concat(Stream.make(text("half")), Stream.fail("connection lost" as const))
        assert.strictEqual(yield* Effect.flip(Effect.scoped(storage.spool(broken))), "connection lost")
        assert.deepStrictEqual(yield* spoolFiles(store), [])

        const midway = yield* Deferred.make<void>()
        const never = yield* Deferred.make<void>()
        const fiber = yield* Effect.scoped(storage.spool(paused(midway, never))).pipe(Effect.forkChild)
        yield* Deferred.await(midway)
        assert.lengthOf(yield* spoolFiles(store), 1)
        yield* Fiber.interrupt(fiber)
        assert.deepStrictEqual(yield* spoolFiles(store), [])

        yield* Effect.scoped(storage.spool(Stream.make(text("never staged"))))
        assert.deepStrictEqual(yield* spoolFiles(store), [])
        assert.strictEqual((yield* Effect.flip(storage.commit("nothing", {}))).kind, "NoChanges")
      }).pipe(Effect.scoped, Effect.provide(NodeFileSystem.layer)))
  })
}
