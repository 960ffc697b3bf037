/**
 * Component bytes through the listeners' reused 1 MiB buffers (framings/Content.ts), from the embedded store: many
 * retrieves at once, on both wires, each on a connection of its own, must each get exactly their own bytes. A buffer
 * handed back to the pool while a write still used it, or shared between two connections, would show here as a
 * wrong checksum.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import * as DoipClient from "../../src/client/DoipClient.ts"
import * as LocalStorage from "../../src/layers/storage/LocalStorage.ts"
import * as DoipServer from "../../src/server/DoipServer.ts"
import { layerServer, seed } from "../support/TestServer.ts"

const MiB = 1024 * 1024

/** a component whose every byte depends on its position and on `salt`, so no two components share a piece */
const pattern = (size: number, salt: number) => {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + salt * 7 + (i >>> 20)) & 0xff
  return bytes
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

/** sizes around the 1 MiB piece: whole pieces, a partial last piece, one short piece, a small blob */
const components = [
  { id: "a.bin", bytes: pattern(2 * MiB + 123_457, 1) },
  { id: "b.bin", bytes: pattern(3 * MiB, 2) },
  { id: "c.bin", bytes: pattern(MiB - 1, 3) },
  { id: "d.bin", bytes: pattern(100_000, 4) },
  { id: "e.bin", bytes: pattern(5_000, 5) }
]

const localStorage = Layer.unwrap(Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  return LocalStorage.layer({ directory: yield* fs.makeTempDirectoryScoped({ prefix: "doip-concurrent-" }) })
})).pipe(Layer.provide(NodeFileSystem.layer))

/** retrieves `componentId` of Q1 on a connection of its own and answers the checksum of what arrived */
const retrieveOnce = (protocol: DoipClient.Protocol, componentId: string) =>
  Effect.gen(function*() {
    const address = yield* DoipServer.ListenAddress
    const options = { host: "127.0.0.1", timeout: "60 seconds" } as const
    const client = yield* (protocol === "binary"
      ? DoipClient.make({ ...options, port: address.binaryPort })
      : DoipClient.makeDoip2({ ...options, port: address.doip2Port }))
    const component = yield* client.retrieve("Q1", componentId)
    const hash = createHash("sha256")
    let size = 0
    yield* Stream.runForEach(component.content, (chunk) =>
      Effect.sync(() => {
        size += chunk.length
        hash.update(chunk)
      }))
    return { size, sha256: hash.digest("hex") }
  }).pipe(Effect.scoped)

layer(layerServer({ storage: localStorage }), { excludeTestServices: true })("concurrent retrieves", (it) => {
  it.effect("every retrieve gets its own bytes, on both wires at once", () =>
    Effect.gen(function*() {
      for (const c of components) yield* seed("Q1", c.id, c.bytes)
      const runs = components.flatMap((c) =>
        (["binary", "doip2", "binary", "doip2"] as const).map((protocol) =>
          Effect.map(retrieveOnce(protocol, c.id), (got) => ({ protocol, component: c, got }))
        )
      )
      const results = yield* Effect.all(runs, { concurrency: "unbounded" })
      assert.strictEqual(results.length, components.length * 4)
      for (const { component, got, protocol } of results) {
        assert.deepStrictEqual(got, { size: component.bytes.length, sha256: sha256(component.bytes) }, `${component.id} over ${protocol}`)
      }
      // read before, the small blobs now answer from the store's memory (OutgoingComponent.bytes): the same bytes
      for (const c of components.filter((c) => c.bytes.length <= 64 * 1024)) {
        for (const protocol of ["binary", "doip2"] as const) {
          const got = yield* retrieveOnce(protocol, c.id)
          assert.deepStrictEqual(got, { size: c.bytes.length, sha256: sha256(c.bytes) }, `${c.id} over ${protocol}, again`)
        }
      }
    }), { timeout: 120_000 })
})
