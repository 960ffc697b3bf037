/**
 * Our server, alone in its own process, for the wire benchmark: `node bench/server-ours.ts <port> <directory>`.
 *
 * Assembled as test/support/TestServer.ts does (with its token credential, so updates are allowed), on LocalStorage
 * (the real default) in `directory`, which the caller creates and removes. Both listeners start: binary on `port`,
 * DOIP v2.0 on `port + 1` (both on free ports when `port` is 0). Every other setting is the default, so
 * `limits.maxConnections` (1,024 per listener) holds the benchmark's idle connections.
 *
 * Before it says "ready <port> <DOIP v2.0 port>" on stdout it seeds object Q1 with wire.ts `SEEDED` through
 * ComponentWriter, as a create would store them, and says "blob <componentId> <sha256 hex>" for each, so the bare
 * server can read the very files ours reads. It runs until SIGTERM/SIGINT.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Stream from "effect/Stream"
import { ComponentWriter } from "../src/layers/storage/ComponentWriter.ts"
import * as DoipServer from "../src/server/DoipServer.ts"
import { CHUNK, type Component, SEEDED } from "./wire.ts"
import { localStorage, services } from "./services.ts"

const port = Number(process.argv[2])
const directory = process.argv[3]
if (!Number.isInteger(port) || port < 0 || directory === undefined) {
  console.error("usage: node bench/server-ours.ts <port> <directory>")
  process.exit(2)
}

const server = DoipServer.layerListeners({ host: "127.0.0.1", port }).pipe(
  Layer.provideMerge(services(localStorage(directory), "local"))
)

/**
 * `c.size` bytes in 1 MiB chunks (each filled with its index, so no two components share content), generated one
 * per pull: `Stream.range` with chunk size 1, so `Stream.map` allocates one buffer at a time (with the default chunk
 * size it would map 4096 numbers at once).
 */
const content = (c: Component) =>
  Stream.range(0, Math.ceil(c.size / CHUNK) - 1, 1).pipe(
    Stream.map((i) => Buffer.alloc(Math.min(CHUNK, c.size - i * CHUNK), (i * 7 + c.size / 1024) & 0xff))
  )

const seed = (c: Component) =>
  Effect.gen(function*() {
    const writer = yield* ComponentWriter
    const started = performance.now()
    const { stat } = yield* writer.write({
      objectId: c.objectId,
      componentId: c.componentId,
      mediaType: c.mediaType,
      content: content(c),
      expectedSize: c.size,
      operation: "seed"
    })
    console.error(`[server-ours] seeded ${c.componentId} (${c.size} bytes) in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    console.log(`blob ${c.componentId} ${stat.checksum.replace(/^sha256:/, "")}`)
  })

const program = Effect.gen(function*() {
  yield* Effect.forEach(SEEDED, seed, { discard: true })
  // the parent waits for this line; the listeners are bound already (the layer is built before the program runs)
  const address = yield* DoipServer.ListenAddress
  console.log(`ready ${address.binaryPort} ${address.doip2Port}`)
  return yield* Effect.never
})

program.pipe(
  Effect.provide(server),
  // logs go to stderr: stdout is the channel the parent reads
  Effect.provideService(Logger.LogToStderr, true),
  NodeRuntime.runMain
)
