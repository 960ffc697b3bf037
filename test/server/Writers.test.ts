/**
 * Writers do not block each other (issue 14, item 5), through the server on the embedded store and our client over
 * both framings: a client that stalls halfway through an element, or sends a large one, holds back no write of
 * another object, because content is spooled before the writer's lock is taken; and its spool file is gone once its
 * connection is. Before, the stalled client held the server's one write lock until it disconnected.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { afterAll, assert, layer } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as DoipClient from "../../src/client/DoipClient.ts"
import * as LocalStorage from "../../src/layers/storage/LocalStorage.ts"
import { ListenAddress } from "../../src/server/DoipServer.ts"
import { contentOf } from "../support/ClientAnswers.ts"
import { layerServer, seed, token } from "../support/TestServer.ts"

const KiB = 1024
const MiB = 1024 * KiB
const directory = mkdtempSync(join(tmpdir(), "writers-"))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

const storage = LocalStorage.layer({ directory }).pipe(Layer.provide(NodeFileSystem.layer))

/** the store's temp folder: spool files (and, for a moment, a commit's own temp files) */
const spoolFiles = () => readdirSync(join(directory, "tmp"))

/** waits (up to 5 s) until `ready` holds */
const until = (ready: () => boolean, what: string) =>
  Effect.gen(function*() {
    for (let i = 0; i < 100; i++) {
      if (ready()) return
      yield* Effect.sleep("50 millis")
    }
    return yield* Effect.fail(new Error(what))
  })

/** a client of its own (its own connection), for the server in context */
const clientFor = (protocol: DoipClient.Protocol) =>
  Effect.gen(function*() {
    const address = yield* ListenAddress
    const options = { host: "127.0.0.1", credentials: { token }, timeout: "20 seconds" } as const
    return protocol === "binary"
      ? yield* DoipClient.make({ ...options, port: address.binaryPort })
      : yield* DoipClient.makeDoip2({ ...options, port: address.doip2Port })
  })

const small = (s: string) => new TextEncoder().encode(s)

/** how long a 1 KiB update of `objectId` takes, in milliseconds */
const smallWrite = (client: DoipClient.DoipClient["Service"], objectId: string, content: string) =>
  Effect.map(
    Effect.timed(client.updateComponent(objectId, "b.txt", small(content.padEnd(KiB, ".")), "text/plain")),
    ([took]) => Duration.toMillis(took)
  )

layer(layerServer({ storage }), { excludeTestServices: true })("writers do not block each other", (it) => {
  for (const protocol of ["binary", "doip2"] as const) {
    it.effect(`${protocol}: a client that stalls after 1 KiB of a 1 MiB element holds back no write of another object`, () =>
      Effect.gen(function*() {
        const [a, b] = protocol === "binary" ? ["Q5101", "Q5102"] : ["Q5201", "Q5202"]
        yield* seed(a, "a.bin", "before")
        yield* seed(b, "b.txt", "before")
        const stalling = yield* clientFor(protocol)
        const writing = yield* clientFor(protocol)
        const stalled = yield* stalling.updateComponent(a, "a.bin", {
          size: MiB,
          stream: Stream.concat(Stream.make(new Uint8Array(KiB).fill(0x61)), Stream.never)
        }).pipe(Effect.forkChild)
        yield* until(() => spoolFiles().length > 0, "the stalled element never reached the spool")

        const millis = yield* smallWrite(writing, b, "after")
        assert.isBelow(millis, 500, "the write of another object did not wait for the stalled client")
        assert.match(yield* contentOf(b, "b.txt"), /^after\.+$/)
        assert.isUndefined(stalled.pollUnsafe(), "the stalled client is still stalled")

        // the stalled client goes away: its spool file with it, and its object is as it was
        yield* Fiber.interrupt(stalled)
        yield* until(() => spoolFiles().length === 0, "the stalled element's spool file stayed")
        assert.strictEqual(yield* contentOf(a, "a.bin"), "before")
      }).pipe(Effect.scoped, Effect.provide(layerClientless)))
  }

  it.effect("a 1 KiB write of B completes while a 64 MiB upload of A is on its way", () =>
    Effect.gen(function*() {
      yield* seed("Q5301", "a.bin", "before")
      yield* seed("Q5302", "b.txt", "before")
      const uploading = yield* clientFor("binary")
      const writing = yield* clientFor("binary")
      const midway = yield* Deferred.make<void>()
      const written = yield* Deferred.make<void>()
      const size = 64 * MiB
      // 16 MiB, then a pause until B is written (or 3 s, so that the old, blocking server fails rather than hangs),
      // then the other 48 MiB
      const chunks = (from: number, to: number) =>
        Stream.range(from, to - 1, 1).pipe(Stream.map((i) => new Uint8Array(64 * KiB).fill(i % 251)))
      const content = chunks(0, 256).pipe(
        Stream.concat(Stream.fromEffectDrain(Deferred.succeed(midway, void 0))),
        Stream.concat(Stream.fromEffectDrain(Effect.ignore(Effect.timeout(Deferred.await(written), "3 seconds")))),
        Stream.concat(chunks(256, 1024))
      )
      const upload = yield* uploading.updateComponent("Q5301", "a.bin", { size, stream: content }).pipe(Effect.forkChild)
      yield* Deferred.await(midway)

      const millis = yield* smallWrite(writing, "Q5302", "during")
      yield* Deferred.succeed(written, void 0)
      assert.isBelow(millis, 1000, "the write of B did not wait for the upload of A")
      yield* Fiber.join(upload)
      assert.strictEqual((yield* Effect.scoped(Effect.map(
        DoipClient.DoipClient.use((client) => client.retrieve("Q5301", "a.bin")),
        (component) => component.size
      ))), size)
      assert.match(yield* contentOf("Q5302", "b.txt"), /^during\.+$/)
      yield* until(() => spoolFiles().length === 0, "the upload's spool file stayed")
    }).pipe(Effect.scoped, Effect.provide(layerClientless)))
})

/** `contentOf` wants a client in context */
const layerClientless = Layer.unwrap(Effect.gen(function*() {
  const address = yield* ListenAddress
  return DoipClient.layer({ host: "127.0.0.1", port: address.binaryPort, timeout: "20 seconds" })
}))
