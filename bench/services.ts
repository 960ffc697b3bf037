/**
 * What the benchmark's own servers share: our server's services as `test/support/TestServer.ts` assembles them (a
 * token credential, storage given, the rest default), the embedded store in a temp dir, and a socket in memory for
 * driving the request loop without the kernel.
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
import type { Storage } from "../src/layers/storage/Storage.ts"
import * as DoipServer from "../src/server/DoipServer.ts"
import { ServerInfo } from "../src/server/ServerInfo.ts"
import { TOKEN } from "./wire.ts"

/** the server's services over `storage` (named `name` in hello and the health report), with wire.ts `TOKEN` */
export const services = <E>(storage: Layer.Layer<Storage, E>, name: string) =>
  DoipServer.layerServices.pipe(
    Layer.provideMerge(Layer.mergeAll(
      ServerConfig.layerTest({ auth: { token: TOKEN } }),
      Layer.succeed(ServerInfo, { name: "effect-doip-bench", version: "0.0.0", tls: false, storage: name }),
      Layer.mergeAll(StorageFdoFacade.layer, Health.layerInProcess(name)).pipe(Layer.provideMerge(storage))
    ))
  )

/** LocalStorage in `directory` */
export const localStorage = (directory: string) => LocalStorage.layer({ directory }).pipe(Layer.provide(NodeFileSystem.layer))

/** a fresh temp dir, removed when the process exits */
export const tempDirectory = (prefix: string) => {
  const directory = Fs.mkdtempSync(Path.join(Os.tmpdir(), prefix))
  process.once("exit", () => Fs.rmSync(directory, { recursive: true, force: true }))
  return directory
}

/**
 * A socket whose reader yields what `next` gives, then closes cleanly once `next` gives `undefined`; what is written
 * goes to `onWrite` (byte count per chunk) and is dropped.
 */
export const inMemorySocket = (
  next: () => readonly [Uint8Array, ...Array<Uint8Array>] | undefined,
  onWrite: (bytes: number) => void = () => {}
): Socket.Socket => {
  const closed = new Socket.SocketError({ reason: new Socket.SocketCloseError({ code: 1000 }) })
  const pull = Effect.suspend(() => {
    const batch = next()
    return batch === undefined ? Effect.fail(closed) : Effect.succeed(batch)
  })
  const written = (chunks: ReadonlyArray<unknown>) => {
    for (const c of chunks) onWrite(c instanceof Uint8Array || typeof c === "string" ? c.length : 0)
    return Effect.void
  }
  return Socket.make({
    reader: Effect.succeed({ pull, upgrade: () => Effect.void }),
    writer: Effect.succeed({ write: (chunk) => written([chunk]), writeAll: written })
  })
}
