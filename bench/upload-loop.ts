/**
 * What an upload costs the server without the kernel: `serveConnection` over an in-memory socket that hands it one
 * binary update request carrying a 256 MiB component in 64 KiB chunks (a fresh buffer each, as a socket gives them),
 * three times, into LocalStorage in a temp dir. The first run is stored and synced; the next two store the same
 * content again, which skips the sync. Prints MB/s per run: the ceiling of our server's side of an upload, to hold
 * against `npm run bench:wire` row 5 (where the bytes also cross a socket from our client).
 *
 * `node bench/upload-loop.ts` (npm start's V8 flags: `node --max-semi-space-size=1 bench/upload-loop.ts`).
 */
import * as Effect from "effect/Effect"
import * as Socket from "effect/socket/Socket"
import * as Envelope from "../src/protocol/binary/Codec.ts"
import { builtin } from "../src/protocol/OperationCodes.ts"
import * as BinaryFraming from "../src/server/framings/BinaryFraming.ts"
import * as Listener from "../src/server/Listener.ts"
import { TOKEN } from "./wire.ts"
import { inMemorySocket, localStorage, services, tempDirectory } from "./services.ts"

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
  return inMemorySocket(() => {
    if (sent === -1) {
      sent = 0
      return [prefix]
    }
    if (sent >= SIZE) return undefined
    sent += CHUNK
    return [Buffer.alloc(CHUNK, sent & 0xff)] // a fresh buffer per read, as a socket gives
  })
}

Effect.runPromise(Effect.provide(Effect.gen(function*() {
  for (let i = 0; i < 3; i++) {
    const t = performance.now()
    yield* Listener.serveConnection(socket(), { framing: "binary", host: "h", port: 0 }, () => BinaryFraming.framing)
    console.log(`upload in-process: ${(SIZE / 1e6 / ((performance.now() - t) / 1000)).toFixed(0)} MB/s`)
  }
}), services(localStorage(tempDirectory("doip-upload-loop-")), "local")))
