/**
 * Our client riding out a server that goes away, on both framings: our server stopped and started again on the
 * same ports under the client's feet, and a proxy that cuts the client's connections at random points (seeded: a
 * failing seed repeats). Calls must succeed, or fail only as documented (`OutcomeUnknownError` for writes, a
 * `ConnectionError` for an element whose bytes had begun to arrive); storage must hold every write at most once;
 * `connectionState` must tell the story.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Result from "effect/Result"
import * as Stream from "effect/Stream"
import type { ClientError } from "../../src/client/ClientError.ts"
import * as DoipClient from "../../src/client/DoipClient.ts"
import { Storage } from "../../src/layers/storage/Storage.ts"
import { awaitState, recordStates } from "../support/ClientStates.ts"
import { cuttingProxy } from "../support/CuttingProxy.ts"
import { concatBytes, prng } from "../support/Random.ts"
import { restartableServer } from "../support/RestartableServer.ts"
import { seed, token } from "../support/TestServer.ts"

const text = (s: string) => new TextEncoder().encode(s)
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const readAll = (stream: Stream.Stream<Uint8Array, ClientError>) => Stream.runCollect(stream).pipe(Effect.map(concatBytes))

const clientFor = (protocol: DoipClient.Protocol, port: number, options?: Partial<DoipClient.ClientOptions>) => {
  const all: DoipClient.ClientOptions = {
    host: "127.0.0.1",
    port,
    timeout: "10 seconds",
    credentials: { token },
    reconnect: { baseDelay: "5 millis", maxDelay: "100 millis", maxAttempts: 60, maxElapsed: "20 seconds" },
    ...options
  }
  return protocol === "binary" ? DoipClient.make(all) : DoipClient.makeDoip2(all)
}

/** the commits of `objectId` that wrote `componentId` */
const writesOf = (storage: Storage["Service"], objectId: string, componentId: string) =>
  Effect.map(storage.history(objectId), (commits) =>
    commits.filter((commit) =>
      commit.metadata["component_id"] === componentId ||
      (commit.metadata["component_ids"] ?? "").split(",").includes(componentId)
    ).length)

for (const protocol of ["binary", "doip2"] as const) {
  describe(`${protocol}: a server stopped and started again under the client's feet`, () => {
    it.live("the client sees it go, and calls made while it is away wait for it; no write is lost or doubled", () =>
      Effect.gen(function*() {
        const server = yield* restartableServer()
        const storage = Context.get(server.services, Storage)
        yield* seed("Q1", "a.txt", "version 1", "text/plain").pipe(Effect.provideContext(server.services))
        const client = yield* clientFor(protocol, protocol === "binary" ? server.binaryPort : server.doip2Port)
        const states = yield* recordStates(client)
        assert.isObject(yield* client.hello())

        // gone and back while the client is idle: it notices at once, and a write after it goes on a fresh
        // connection (never on the dead one, where its outcome would be unknown)
        yield* server.stop
        yield* awaitState(states, "reconnecting")
        yield* server.start
        yield* client.updateComponent("Q1", "a.txt", text("version 2"), "text/plain")
        assert.strictEqual(yield* writesOf(storage, "Q1", "a.txt"), 2)

        // gone while calls are made: they wait, and are answered once it is back
        yield* server.stop
        yield* awaitState(states, "reconnecting")
        const calls = yield* Effect.forkChild(Effect.all([
          Effect.map(client.retrieve("Q1"), () => "object"),
          Effect.map(client.search("*", { type: "id" }), (found) => found.results),
          Effect.scoped(Effect.flatMap(client.retrieve("Q1", "a.txt"), (element) => Effect.map(readAll(element.content), decode))),
          Effect.map(client.updateComponent("Q1", "b.txt", text("while away"), "text/plain"), () => "updated")
        ], { concurrency: protocol === "binary" ? 1 : "unbounded" }))
        yield* Effect.sleep("300 millis")
        assert.isUndefined(calls.pollUnsafe(), "the calls wait for the server")
        yield* server.start
        assert.deepStrictEqual(yield* Fiber.join(calls), ["object", ["Q1"], "version 2", "updated"])
        assert.strictEqual(yield* writesOf(storage, "Q1", "b.txt"), 1)
        assert.deepStrictEqual(states, ["connecting", "connected", "reconnecting", "connected", "reconnecting", "connected"])
      }))

    it.live("a server gone for longer than the bounds: the call gives up with a ConnectionError saying so", () =>
      Effect.gen(function*() {
        const server = yield* restartableServer()
        const client = yield* clientFor(protocol, protocol === "binary" ? server.binaryPort : server.doip2Port, {
          reconnect: { baseDelay: "10 millis", maxDelay: "20 millis", maxAttempts: 100, maxElapsed: "300 millis" }
        })
        const states = yield* recordStates(client)
        assert.isObject(yield* client.hello())
        yield* server.stop
        yield* awaitState(states, "reconnecting")
        const start = Date.now()
        const error = yield* Effect.flip(client.hello())
        assert.strictEqual(error._tag, "ConnectionError")
        assert.match(error.message, /ECONNREFUSED.*\(gave up after \d+ attempts\)$/)
        assert.isAtLeast(Date.now() - start, 250)
        assert.isBelow(Date.now() - start, 3_000)
        yield* server.start
        assert.isObject(yield* client.hello())
        assert.deepStrictEqual(states, ["connecting", "connected", "reconnecting", "connected"])
      }))
  })

  describe(`${protocol}: a connection cut while an element is retrieved`, () => {
    it.live("before its first byte reached the caller, it is fetched again; after, the content fails", () =>
      Effect.gen(function*() {
        const server = yield* restartableServer()
        const content = "the element's bytes, all of them"
        yield* seed("Q1", "e.txt", content, "text/plain").pipe(Effect.provideContext(server.services))
        const port = protocol === "binary" ? server.binaryPort : server.doip2Port
        const retrieve = (client: DoipClient.DoipClient["Service"]) =>
          Effect.scoped(Effect.flatMap(client.retrieve("Q1", "e.txt"), (element) => Effect.map(readAll(element.content), decode)))
        // where the element's bytes begin in the answer, as a whole connection passes it
        const whole = yield* cuttingProxy(port, { seed: 0, plan: () => undefined })
        assert.strictEqual(yield* retrieve(yield* clientFor(protocol, whole.port)), content)
        const offset = Buffer.from(whole.received(1)).indexOf(content)
        assert.isAbove(offset, 0)
        for (const [handed, expected] of [[0, content], [3, undefined]] as const) {
          const proxy = yield* cuttingProxy(port, {
            seed: 0,
            plan: (n) => (n === 1 ? { direction: "down", after: offset + handed, reset: false } : undefined)
          })
          const client = yield* clientFor(protocol, proxy.port)
          const states = yield* recordStates(client)
          const result = yield* Effect.result(retrieve(client))
          if (expected !== undefined) {
            assert.deepStrictEqual(result, Result.succeed(expected))
            assert.strictEqual(proxy.connections(), 2)
          } else {
            assert.isTrue(Result.isFailure(result))
            assert.include(Result.isFailure(result) ? result.failure : undefined, { _tag: "ConnectionError" })
            assert.strictEqual(proxy.connections(), 1)
            // the next call goes on another connection
            assert.strictEqual(yield* retrieve(client), content)
          }
          assert.deepStrictEqual(states, ["connecting", "connected", "reconnecting", "connected"])
        }
      }))
  })

  describe(`${protocol}: a proxy that cuts connections at random points`, () => {
    const seeds = [1, 2, 3]
    for (const cutSeed of seeds) {
      it.live(`mixed calls, seed ${cutSeed}: reads succeed, writes succeed or are unknown, none is applied twice`, () =>
        Effect.gen(function*() {
          const server = yield* restartableServer()
          const storage = Context.get(server.services, Storage)
          const big = prng(99).bytes(24 * 1024)
          for (let i = 0; i < 4; i++) {
            yield* seed(`Q10${i}`, "big.bin", big).pipe(Effect.provideContext(server.services))
            yield* seed(`Q10${i}`, "small.txt", `small ${i}`, "text/plain").pipe(Effect.provideContext(server.services))
          }
          for (let i = 0; i < 40; i++) yield* seed(`Q${3000 + i}`, "x.txt", "x").pipe(Effect.provideContext(server.services))
          const proxy = yield* cuttingProxy(protocol === "binary" ? server.binaryPort : server.doip2Port, {
            seed: cutSeed,
            // every connection is cut, somewhere in its first 16 KiB one way: in a request, an answer, or between them
            cutChance: 1,
            maxCutBytes: 16 * 1024,
            // the first hello is answered: a server that never answered is not waited for
            spareFirst: 4096
          })
          const client = yield* clientFor(protocol, proxy.port)
          const states = yield* recordStates(client)
          assert.isObject(yield* client.hello())

          const random = prng(cutSeed * 7919)
          const outcomes: Array<{ readonly call: string; readonly write: boolean; readonly result: string }> = []
          const creates: Array<string> = []
          const updates: Array<string> = []
          const deletes: Array<string> = []
          const callFor = (n: number): { name: string; write: boolean; run: Effect.Effect<unknown, ClientError> } => {
            const object = `Q10${random.int(0, 3)}`
            switch (random.int(0, 8)) {
              case 0:
                return { name: "hello", write: false, run: client.hello() }
              case 1:
                return { name: `retrieve ${object}`, write: false, run: client.retrieve(object) }
              case 2:
                return {
                  name: `retrieve ${object} big.bin`,
                  write: false,
                  run: Effect.scoped(Effect.flatMap(client.retrieve(object, "big.bin"), (element) =>
                    Effect.flatMap(readAll(element.content), (bytes) =>
                      bytes.length === big.length && bytes.every((b, i) => b === big[i])
                        ? Effect.void
                        : Effect.die(new Error(`big.bin of ${object} came back changed (${bytes.length} bytes)`)))))
                }
              case 3:
                return { name: "search", write: false, run: client.search("*", { type: "id", pageSize: 5 }) }
              case 4:
                return { name: `list ops`, write: false, run: client.listOps() }
              case 5: {
                const id = `Q${2000 + n}`
                creates.push(id)
                return { name: `create ${id}`, write: true, run: client.create({ id }, [{ id: "n.txt", content: text(`new ${n}`) }]) }
              }
              case 6: {
                const id = `Q${3000 + deletes.length}`
                if (deletes.length >= 40) return { name: "hello", write: false, run: client.hello() }
                deletes.push(id)
                return { name: `delete ${id}`, write: true, run: client.delete(id) }
              }
              default: {
                const component = `u${n}.txt`
                updates.push(`${object}/${component}`)
                return {
                  name: `update ${object}/${component}`,
                  write: true,
                  run: client.updateComponent(object, component, text(`update ${n} `.repeat(random.int(1, 400))), "text/plain")
                }
              }
            }
          }
          const batch = protocol === "binary" ? 1 : 6
          for (let n = 0; n < 120; n += batch) {
            const calls = Array.from({ length: batch }, (_, k) => callFor(n + k))
            yield* Effect.all(calls.map((call) =>
              call.run.pipe(
                Effect.match({
                  onSuccess: () => "ok",
                  onFailure: (error) => `${error._tag}: ${error.message}`
                }),
                Effect.map((result) => outcomes.push({ call: call.name, write: call.write, result }))
              )
            ), { concurrency: "unbounded" })
          }

          const context = `seed ${cutSeed}, ${proxy.connections()} connections, cuts ${JSON.stringify(proxy.cuts().slice(0, 5))}...`
          // the documented outcomes only: a read is answered (an element may break once its bytes began to arrive);
          // a write is applied, or its outcome is unknown
          for (const { call, write, result } of outcomes) {
            if (result === "ok") continue
            if (write) assert.match(result, /^OutcomeUnknownError: /, `${call}: ${result} (${context})`)
            else assert.match(result, /^ConnectionError: /, `${call}: ${result} (${context})`)
            if (!write) assert.match(call, /big\.bin$/, `${call}: ${result} (${context})`)
          }
          const okWrites = new Set(outcomes.filter((o) => o.write && o.result === "ok").map((o) => o.call))
          // no write applied twice: a create or delete made again would have been refused (Conflict, NotFound) above;
          // an update made again is a second commit of its component
          for (const update of updates) {
            const [objectId, componentId] = update.split("/") as [string, string]
            const commits = yield* writesOf(storage, objectId, componentId)
            assert.isAtMost(commits, 1, `${update} (${context})`)
            if (okWrites.has(`update ${update}`)) assert.strictEqual(commits, 1, `${update} (${context})`)
          }
          for (const id of creates) {
            const stored = (yield* storage.list(id)).map((s) => s.componentId)
            if (okWrites.has(`create ${id}`)) assert.deepStrictEqual(stored, ["n.txt"], `${id} (${context})`)
          }
          for (const id of deletes) {
            if (okWrites.has(`delete ${id}`)) assert.deepStrictEqual(yield* storage.list(id), [], `${id} (${context})`)
          }
          // the proxy did cut, and the client rode it out
          assert.isAbove(proxy.cuts().length, 5, context)
          assert.isAbove(outcomes.filter((o) => o.result === "ok").length, 60, context)
          assert.deepStrictEqual(states.slice(0, 2), ["connecting", "connected"])
          assert.include(states.join(" "), "connected reconnecting connected")
          for (let i = 1; i < states.length; i++) {
            assert.include(["connected", "reconnecting"], states[i], states.join(" "))
            assert.notStrictEqual(states[i], states[i - 1], states.join(" "))
          }
        }))
    }
  })
}
