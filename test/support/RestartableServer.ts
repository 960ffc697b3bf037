/**
 * A whole server on loopback whose listeners can be stopped and started again on the same ports, its storage (memory,
 * unless given) living on in between: a server that goes away under a client's feet and comes back.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as net from "node:net"
import * as DoipServer from "../../src/server/DoipServer.ts"
import { layerServices, type ServerOptions } from "./TestServer.ts"

/**
 * The server's services (storage, registry, ...) are built once, in the caller's scope (`services`, for tests to
 * look at storage); the listeners start at once. `stop` closes the listeners and their connections, and the ports
 * refuse connections until `start`.
 */
export const restartableServer = (options?: ServerOptions) =>
  Effect.gen(function*() {
    const services = yield* Layer.build(layerServices(options))
    const port = yield* freePortPair
    let listeners: Scope.Closeable | undefined
    const start = Effect.gen(function*() {
      if (listeners !== undefined) return
      const scope = yield* Scope.make()
      yield* Layer.buildWithScope(DoipServer.layerListeners({ host: "127.0.0.1", port, tls: options?.tls }), scope).pipe(
        Effect.provideContext(services),
        Effect.onError(() => Scope.close(scope, Exit.void))
      )
      listeners = scope
    }).pipe(Effect.orDie)
    const stop = Effect.suspend(() => {
      const scope = listeners
      listeners = undefined
      return scope === undefined ? Effect.void : Scope.close(scope, Exit.void)
    })
    yield* Effect.addFinalizer(() => stop)
    yield* start
    return { binaryPort: port, doip2Port: port + 1, start, stop, running: () => listeners !== undefined, services } as const
  })

/** a port `p` such that `p` and `p + 1` are both free now */
const freePortPair = Effect.promise(async () => {
  for (;;) {
    const first = await listen(0)
    const port = (first.address() as net.AddressInfo).port
    const second = await listen(port + 1).catch(() => undefined)
    await close(first)
    if (second !== undefined) {
      await close(second)
      return port
    }
  }
})

const listen = (port: number) =>
  new Promise<net.Server>((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(port, "127.0.0.1", () => resolve(server))
  })

const close = (server: net.Server) => new Promise<void>((resolve) => server.close(() => resolve()))
