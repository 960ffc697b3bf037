/**
 * Our server, alone in its own process, for the benchmark: `node bench/server-ours.ts <port> [local|memory]`.
 *
 * Assembled as test/support/TestServer.ts does (with its token credential, so updates are allowed), but on
 * LocalStorage (the real default) in a fresh temp directory, removed on exit. Both listeners start: binary on
 * `port`, DOIP v2.0 on `port + 1` (both on free ports when `port` is 0). Before it says "ready <port> <DOIP v2.0
 * port>" on stdout it seeds object Q1 with the 256 MiB component `big.bin`.
 * It runs until SIGTERM/SIGINT (NodeRuntime.runMain interrupts the program, so the temp directory is removed).
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Stream from "effect/Stream"
import { ComponentWriter } from "../src/layers/storage/ComponentWriter.ts"
import * as Health from "../src/layers/config/Health.ts"
import * as LocalStorage from "../src/layers/storage/LocalStorage.ts"
import * as MemoryStorage from "../src/layers/storage/MemoryStorage.ts"
import * as ServerConfig from "../src/layers/config/ServerConfig.ts"
import * as StorageFdoFacade from "../src/layers/metadata/StorageFdoFacade.ts"
import * as DoipServer from "../src/server/DoipServer.ts"
import { ServerInfo } from "../src/server/ServerInfo.ts"
import { BIG, CHUNK, TOKEN } from "./wire.ts"

const port = Number(process.argv[2])
const storageKind = process.argv[3] === "memory" ? "memory" : "local"
if (!Number.isInteger(port) || port < 0) {
  console.error("usage: node bench/server-ours.ts <port> [local|memory]")
  process.exit(2)
}

/** LocalStorage in a temp directory that lives as long as the layer (removed when the process is stopped) */
const localStorage = Layer.unwrap(Effect.gen(function*() {
  const fs = yield* FileSystem.FileSystem
  const directory = yield* fs.makeTempDirectoryScoped({ prefix: "doip-bench-" })
  return LocalStorage.layer({ directory })
})).pipe(Layer.provide(NodeFileSystem.layer))

const storage = storageKind === "memory" ? MemoryStorage.layer : localStorage

const services = DoipServer.layerServices.pipe(
  Layer.provideMerge(Layer.mergeAll(
    ServerConfig.layerTest({ auth: { token: TOKEN } }),
    Layer.succeed(ServerInfo, { name: "effect-doip-bench", version: "0.0.0", tls: false, storage: storageKind }),
    Layer.mergeAll(StorageFdoFacade.layer, Health.layerInProcess(storageKind)).pipe(Layer.provideMerge(storage))
  ))
)
const server = DoipServer.layerListeners({ host: "127.0.0.1", port }).pipe(Layer.provideMerge(services))

/**
 * 256 MiB in 64 KiB chunks, generated one per pull: `Stream.range` with chunk size 1, so `Stream.map` allocates one
 * buffer at a time (with the default chunk size it would map 4096 numbers, i.e. 256 MiB, at once).
 */
const bigContent = Stream.range(0, BIG.size / CHUNK - 1, 1).pipe(
  Stream.map((i) => Buffer.alloc(CHUNK, i & 0xff))
)

const program = Effect.gen(function*() {
  const writer = yield* ComponentWriter
  const started = performance.now()
  yield* writer.write({
    objectId: BIG.objectId,
    componentId: BIG.componentId,
    mediaType: BIG.mediaType,
    content: bigContent,
    operation: "seed"
  })
  console.error(`[server-ours] seeded ${BIG.size / 2 ** 20} MiB into ${storageKind} storage in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  // the parent waits for this line; the listeners are bound already (the layer is built before the program runs)
  const address = yield* DoipServer.ListenAddress
  console.log(`ready ${address.binaryPort} ${address.doip2Port}`)
  return yield* Effect.never
})

program.pipe(
  Effect.provide(server),
  // logs go to stderr: stdout is the "ready" channel the parent reads
  Effect.provideService(Logger.LogToStderr, true),
  NodeRuntime.runMain
)
