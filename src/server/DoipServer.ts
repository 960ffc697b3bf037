/**
 * The server assembled from layers: the operation registry and the services behind it, and the listeners.
 *
 * `layerServices` needs only `Storage` and `ServerConfig`, so tests run it on memory storage and `serve` on the
 * embedded store; `layerListeners` binds the sockets. Nothing here decides which storage runs: callers provide it.
 *
 * @since 0.1.0
 */
import * as NodeSocketServer from "@effect/platform-node/NodeSocketServer"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NetAddress from "effect/net/NetAddress"
import * as SocketServer from "effect/socket/SocketServer"
import * as Auth from "../layers/Auth.ts"
import * as ComponentWriter from "../layers/ComponentWriter.ts"
import * as FixityWorkflow from "../layers/FixityWorkflow.ts"
import * as StorageFdoFacade from "../layers/StorageFdoFacade.ts"
import * as Workflows from "../layers/Workflows.ts"
import * as BinaryListener from "./BinaryListener.ts"
import * as BuiltinOperations from "./BuiltinOperations.ts"
import type { TlsFiles } from "./Tls.ts"

/**
 * The built-in workflows.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerWorkflows = Workflows.layerFrom([FixityWorkflow.make])

/**
 * The operation registry with every service it stands on, given `Storage`, `ServerConfig` and `ServerInfo`.
 * Pass another `workflows` layer to add workflows of your own.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerServicesWith = <E, R>(workflows: Layer.Layer<Workflows.Workflows, E, R>) =>
  BuiltinOperations.layer.pipe(
    Layer.provideMerge(workflows),
    Layer.provideMerge(ComponentWriter.layer),
    Layer.provideMerge(StorageFdoFacade.layer),
    Layer.provideMerge(Auth.layer)
  )

/**
 * The operation registry with the built-in workflows.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerServices = layerServicesWith(layerWorkflows)

/**
 * Where the listeners ended up listening (the port is the real one when 0 was asked for).
 *
 * @category services
 * @since 0.1.0
 */
export class ListenAddress extends Context.Service<ListenAddress, {
  readonly host: string
  readonly binaryPort: number
}>()("effect-doip/server/ListenAddress") {}

/**
 * Binds the binary listener on `host:port`, over TLS when `tls` is given.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerListeners = (options: {
  readonly host: string
  readonly port: number
  readonly tls?: TlsFiles | undefined
}) => {
  const socketServer = options.tls === undefined
    ? NodeSocketServer.layer({ host: options.host, port: options.port })
    : NodeSocketServer.layerTls({ host: options.host, port: options.port, cert: Buffer.from(options.tls.cert), key: Buffer.from(options.tls.key) })
  const address = Layer.effect(
    ListenAddress,
    Effect.gen(function*() {
      const server = yield* SocketServer.SocketServer
      const port = NetAddress.isInetAddress(server.address) ? server.address.port : options.port
      return ListenAddress.of({ host: options.host, binaryPort: port })
    })
  )
  return Layer.merge(BinaryListener.layer, address).pipe(Layer.provide(socketServer))
}
