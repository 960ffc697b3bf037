/**
 * Our own DoipClient (the Effect service) as the benchmark's client, in the benchmark's process: a download of a
 * component to a file and an upload from a file, each the way `doip retrieve -o` and `doip update -i` do them
 * (src/cli/ClientCommands.ts: `Stream.run(content, fs.sink(file))`, `{ size, stream: fs.stream(file) }`).
 *
 * Each opens its connection with a hello before the clock starts, as the raw load generator connects first.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as DoipClient from "../src/client/DoipClient.ts"
import * as Files from "../src/client/Files.ts"
import { type Component, TOKEN } from "./wire.ts"

export type Wire = "binary" | "doip2"

const clientLayer = (wire: Wire, port: number) => {
  const options: DoipClient.ClientOptions = {
    host: "127.0.0.1",
    port,
    credentials: { token: TOKEN },
    // a 256 MiB upload is one call, answered once it is stored: give a slow server room
    timeout: "120 seconds"
  }
  return wire === "binary" ? DoipClient.layer(options) : DoipClient.layerDoip2(options)
}

/** runs `f` with a connected client and the file system; `f` returns its own seconds */
export const withClient = <A>(
  wire: Wire,
  port: number,
  f: (client: DoipClient.DoipClient["Service"], fs: FileSystem.FileSystem) => Effect.Effect<A, unknown, FileSystem.FileSystem>
): Promise<A> =>
  Effect.gen(function*() {
    const client = yield* DoipClient.DoipClient
    yield* client.hello()
    return yield* f(client, yield* FileSystem.FileSystem)
  }).pipe(
    Effect.provide(Layer.merge(clientLayer(wire, port), NodeFileSystem.layer)),
    Effect.runPromise
  )

/** retrieves `c` into `file`: seconds from the retrieve call to the file written and closed */
export const download = (wire: Wire, port: number, c: Component, file: string): Promise<number> =>
  withClient(wire, port, (client, fs) =>
    Effect.gen(function*() {
      const start = performance.now()
      yield* Effect.scoped(Effect.gen(function*() {
        const component = yield* client.retrieve(c.objectId, c.componentId)
        yield* Files.writeFile(file, component.content)
      }))
      const seconds = (performance.now() - start) / 1000
      const size = Number((yield* fs.stat(file)).size)
      if (size !== c.size) return yield* Effect.fail(new Error(`downloaded ${size} bytes of ${c.componentId}, expected ${c.size}`))
      return seconds
    }))

/** stores `file` as `c` (one commit): seconds from the update call to its answer */
export const upload = (wire: Wire, port: number, c: Component, file: string): Promise<number> =>
  withClient(wire, port, (client, fs) =>
    Effect.gen(function*() {
      const content = yield* Files.readFile(file)
      const start = performance.now()
      yield* client.updateComponent(c.objectId, c.componentId, content, c.mediaType)
      return (performance.now() - start) / 1000
    }))
