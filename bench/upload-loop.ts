/**
 * What an upload costs the server without the kernel: `serveConnection` over an in-memory socket that hands it one
 * binary update request carrying a 256 MiB component in 64 KiB chunks (a fresh buffer each, as a socket gives them),
 * three times, into LocalStorage in a temp dir. The first run is stored and synced; the next two store the same
 * content again, which skips the sync. Prints MB/s per run: the ceiling of our server's side of an upload, to hold
 * against `npm run bench:wire` row 5 (where the bytes also cross a socket from our client).
 *
 * `node bench/upload-loop.ts` (npm start's V8 flags: `node --max-semi-space-size=1 bench/upload-loop.ts`).
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Socket from "effect/socket/Socket"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Health from "../src/layers/config/Health.ts"
import * as ServerConfig from "../src/layers/config/ServerConfig.ts"
import * as StorageFdoFacade from "../src/layers/metadata/StorageFdoFacade.ts"
import * as LocalStorage from "../src/layers/storage/LocalStorage.ts"
import * as Envelope from "../src/protocol/binary/Codec.ts"
import { builtin } from "../src/protocol/OperationCodes.ts"
import * as DoipServer from "../src/server/DoipServer.ts"
import * as BinaryFraming from "../src/server/framings/BinaryFraming.ts"
import * as Listener from "../src/server/Listener.ts"
import { ServerInfo } from "../src/server/ServerInfo.ts"
import { TOKEN } from "./wire.ts"

const SIZE = 256 * 1024 * 1024
const CHUNK = 64 * 1024
const meta = Envelope.encodeJsonBlock(Envelope.BlockType.Metadata, { operation: "update", token: TOKEN })
const comp = Envelope.componentHeader({ componentId: "upload.bin", mediaType: "application/octet-stream", size: SIZE })
const id = Buffer.from("Q1")
const head = Envelope.encodeHeader({
  msgType: Envelope.MessageType.Request,
  operation: builtin("update").code,
  flags: 0,
  objectIdLength: id.length,
  payloadLength: meta.length + comp.length + SIZE
})
const prefix = Buffer.concat([head, id, meta, comp])

/** a socket whose reader yields the request's head, then its content, then closes cleanly; answers are dropped */
const socket = (): Socket.Socket => {
  let sent = -1
  const closed = new Socket.SocketError({ reason: new Socket.SocketCloseError({ code: 1000 }) })
  const pull = Effect.suspend(() => {
    if (sent === -1) {
      sent = 0
      return Effect.succeed([prefix] as const)
    }
    if (sent >= SIZE) return Effect.fail(closed)
    sent += CHUNK
    const chunk = Buffer.alloc(CHUNK, sent & 0xff) // a fresh buffer per read, as a socket gives
    return Effect.succeed([chunk] as const)
  })
  return Socket.make({
    reader: Effect.succeed({ pull, upgrade: () => Effect.void }),
    writer: Effect.succeed({ write: () => Effect.void, writeAll: () => Effect.void })
  })
}
const directory = Fs.mkdtempSync(Path.join(Os.tmpdir(), "doip-upload-loop-"))
process.once("exit", () => Fs.rmSync(directory, { recursive: true, force: true }))
const services = DoipServer.layerServices.pipe(
  Layer.provideMerge(Layer.mergeAll(
    ServerConfig.layerTest({ auth: { token: TOKEN } }),
    Layer.succeed(ServerInfo, { name: "effect-doip-bench", version: "0.0.0", tls: false, storage: "local" }),
    Layer.mergeAll(StorageFdoFacade.layer, Health.layerInProcess("local")).pipe(
      Layer.provideMerge(LocalStorage.layer({ directory }).pipe(Layer.provide(NodeFileSystem.layer)))
    )
  ))
)
Effect.runPromise(Effect.provide(Effect.gen(function*() {
  for (let i = 0; i < 3; i++) {
    const t = performance.now()
    yield* Listener.serveConnection(socket(), { framing: "binary", host: "h", port: 0 }, () => BinaryFraming.framing)
    console.log(`upload in-process: ${(SIZE / 1e6 / ((performance.now() - t) / 1000)).toFixed(0)} MB/s`)
  }
}), services))
