/**
 * Several servers on one lakeFS branch (issue 15, item 7): two `doip serve` processes over the lakeFS stand-in, their
 * writes in parallel. Each write stages on a write branch of its own and merges it into the branch, so every commit on
 * the branch holds that write and nothing else (before, a commit took everything staged on the branch, another
 * server's half-finished upload included), nothing acknowledged is lost, no write branch outlives its write, and each
 * server sees what the other wrote at once, manifest included; and each server's watchers hear of the other's writes
 * by the next poll of the branch's log (issue 17, item 4), in the branch's order.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { createHash, randomBytes } from "node:crypto"
import * as DoipClient from "../../src/client/DoipClient.ts"
import { uncommitted } from "../support/LakeFsOnStandIn.ts"
import * as LakeFsStandIn from "../support/LakeFsStandIn.ts"
import { serverProcess } from "../support/ServerProcess.ts"
import { token } from "../support/TestServer.ts"

const sha256 = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`

/** the checksum of each component in a binary retrieve's manifest, by component id */
const checksums = (manifest: Record<string, unknown>) =>
  Object.fromEntries(
    ((manifest["kernel"] as any)["fdo:hasComponent"] as Array<any>).map((c) => [c.componentId, c.checksum])
  )

/** two servers on one stand-in's branch, with a client factory for each */
const twoServers = Effect.gen(function*() {
  const standIn = yield* LakeFsStandIn.make()
  const env = LakeFsStandIn.environment(standIn)
  const servers = yield* Effect.all([serverProcess({ token, env }), serverProcess({ token, env })], { concurrency: 2 })
  const client = (n: number) =>
    DoipClient.make({ host: "127.0.0.1", port: servers[n % 2]!.port, credentials: { token }, timeout: "60 seconds" })
  return { standIn, client }
})

describe("two servers on one lakeFS branch", () => {
  it.live("24 parallel writes of 2-3 MB through both: all kept, and each commit holds its own component alone", () =>
    Effect.gen(function*() {
      const { client, standIn } = yield* twoServers
      const first = yield* client(0)
      yield* first.create({ id: "Q4242" }, [{ id: "readme.txt", mediaType: "text/plain", content: new TextEncoder().encode("parts") }])

      const parts = Array.from({ length: 24 }, (_, i) => ({
        id: `part${i}.bin`,
        bytes: new Uint8Array(randomBytes(2 * 1024 * 1024 + Math.floor(Math.random() * 1024 * 1024)))
      }))
      yield* Effect.forEach(parts, (part, i) =>
        Effect.gen(function*() {
          const c = yield* client(i)
          yield* c.updateComponent("Q4242", part.id, part.bytes, "application/octet-stream")
        }), { concurrency: parts.length })

      for (const n of [0, 1]) {
        const c = yield* client(n)
        const listed = checksums(yield* c.retrieve("Q4242"))
        for (const part of parts) {
          assert.strictEqual(listed[part.id], sha256(part.bytes), `server ${n}'s manifest: ${part.id}`)
          const back = yield* c.retrieve("Q4242", part.id)
          const bytes = yield* Stream.runFold(back.content, () => createHash("sha256"), (hash, chunk) => hash.update(chunk))
          assert.strictEqual(`sha256:${bytes.digest("hex")}`, sha256(part.bytes), `server ${n}'s bytes: ${part.id}`)
        }
      }

      const commits = standIn.commits().filter((c) => c.metadata["operation"] === "update")
      assert.lengthOf(commits, parts.length, "one commit per write")
      for (const commit of commits) {
        const id = commit.metadata["component_id"]!
        assert.deepStrictEqual(commit.changed, [`00/42/42/Q4242/checksums/${id}`, `00/42/42/Q4242/components/${id}`])
      }
      assert.deepStrictEqual(standIn.branches(), ["main"], "no write branch outlives its write")
      assert.deepStrictEqual(yield* uncommitted(standIn), [])
    }).pipe(Effect.scoped), { timeout: 120_000 })

  it.live("what one server writes, the other serves at once, manifest too; the same component from both: both acknowledged, one kept", () =>
    Effect.gen(function*() {
      const { client } = yield* twoServers
      const [a, b] = [yield* client(0), yield* client(1)]
      const text = (s: string) => new TextEncoder().encode(s)
      yield* a.create({ id: "Q77" }, [{ id: "a.txt", mediaType: "text/plain", content: text("one") }])
      // each server has read (and may keep) the manifest before the other writes
      assert.deepStrictEqual(checksums(yield* a.retrieve("Q77")), { "a.txt": sha256(text("one")) })
      assert.deepStrictEqual(checksums(yield* b.retrieve("Q77")), { "a.txt": sha256(text("one")) })

      yield* b.updateComponent("Q77", "a.txt", text("two"), "text/plain")
      assert.deepStrictEqual(checksums(yield* a.retrieve("Q77")), { "a.txt": sha256(text("two")) }, "a sees b's write")
      yield* a.updateComponent("Q77", "b.txt", text("three"), "text/plain")
      assert.deepStrictEqual(checksums(yield* b.retrieve("Q77")), {
        "a.txt": sha256(text("two")),
        "b.txt": sha256(text("three"))
      }, "b sees a's write")

      // both write one component at once: both are acknowledged, and both servers then agree on one of the two
      const [x, y] = [text("x".repeat(100_000)), text("y".repeat(100_000))]
      yield* Effect.all([a.updateComponent("Q77", "c.txt", x, "text/plain"), b.updateComponent("Q77", "c.txt", y, "text/plain")], {
        concurrency: 2
      })
      const seen = [checksums(yield* a.retrieve("Q77"))["c.txt"], checksums(yield* b.retrieve("Q77"))["c.txt"]]
      assert.strictEqual(seen[0], seen[1])
      assert.include([sha256(x), sha256(y)], seen[0])
    }).pipe(Effect.scoped), { timeout: 60_000 })

  it.live("watchers of each server see the other's writes within the poll interval, both in the branch's order", () =>
    Effect.gen(function*() {
      const standIn = yield* LakeFsStandIn.make()
      const env = { ...LakeFsStandIn.environment(standIn), DOIP_EVENTS_POLL_SECONDS: "1" }
      const servers = yield* Effect.all([serverProcess({ token, env }), serverProcess({ token, env })], { concurrency: 2 })
      const [a, b] = yield* Effect.forEach(servers, (server) =>
        DoipClient.makeDoip2({ host: "127.0.0.1", port: server.doip2Port, credentials: { token }, timeout: "60 seconds" }))
      const text = (s: string) => new TextEncoder().encode(s)
      const ids = ["Q4300", "Q4301"]
      const writes = 12
      const watch = (client: DoipClient.DoipClient["Service"], seen: Array<DoipClient.ChangeEvent>) =>
        client.watch(ids).pipe(
          Stream.tap((event) => Effect.sync(() => seen.push(event))),
          Stream.take(2 + writes),
          Stream.runCollect,
          Effect.timeout("60 seconds"),
          Effect.forkScoped
        )
      const [seenOnA, seenOnB]: Array<Array<DoipClient.ChangeEvent>> = [[], []]
      const [onA, onB] = [yield* watch(a!, seenOnA), yield* watch(b!, seenOnB)]
      yield* Effect.sleep("500 millis")

      // one write on a, and nothing on b: b's watcher hears of it by the next poll of the branch's log (1 s)
      yield* a!.create({ id: "Q4300" }, [{ id: "n", content: text("a") }])
      const written = Date.now()
      while (seenOnB.length === 0 && Date.now() - written < 5_000) yield* Effect.sleep("20 millis")
      const heard = Date.now() - written
      assert.isBelow(heard, 3_000, `b's watcher heard of a's create ${heard} ms after it was acknowledged`)
      yield* b!.create({ id: "Q4301" }, [{ id: "n", content: text("b") }])
      // then both at once, a on one object, b on the other
      yield* Effect.all([
        Effect.forEach(Array.from({ length: writes / 2 }, (_, i) => i), (i) => a!.updateComponent("Q4300", "n", text(`a${i}`))),
        Effect.forEach(Array.from({ length: writes / 2 }, (_, i) => i), (i) => b!.updateComponent("Q4301", "n", text(`b${i}`)))
      ], { concurrency: 2 })

      const [seenA, seenB] = [yield* Fiber.join(onA), yield* Fiber.join(onB)]
      const branch = standIn.commits().filter((c) => ids.includes(c.metadata["object_id"] ?? "")).map((c) => c.id).reverse()
      assert.lengthOf(branch, 2 + writes)
      assert.deepStrictEqual(seenA.map((e) => e.version), branch, "a's watcher: every change once, in the branch's order")
      assert.deepStrictEqual(seenB.map((e) => e.version), branch, "b's watcher: the same")
    }).pipe(Effect.scoped), { timeout: 120_000 })
})
