/**
 * The server assembled from layers: the operation registry and the services behind it, and the listeners.
 *
 * `layerServices` needs `Storage`, `FdoFacade`, `Health`, `ServerConfig` and `ServerInfo`, so tests run it on memory
 * storage and `serve` on whatever `Backends.layer` chose from the configuration; `layerListeners` binds the sockets.
 * Nothing here decides which storage or façade runs: callers provide them.
 *
 * @since 0.1.0
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as NetAddress from "effect/net/NetAddress"
import * as SocketServer from "effect/socket/SocketServer"
import * as AuthBackends from "./AuthBackends.ts"
import * as ChangeEvents from "../layers/storage/ChangeEvents.ts"
import * as ComponentWriter from "../layers/storage/ComponentWriter.ts"
import * as EquationExtractionWorkflow from "../layers/workflows/EquationExtractionWorkflow.ts"
import * as FixityWorkflow from "../layers/workflows/FixityWorkflow.ts"
import * as PdfJs from "../layers/workflows/pdf/PdfJs.ts"
import * as ServerConfig from "../layers/config/ServerConfig.ts"
import * as Workflows from "../layers/workflows/Workflows.ts"
import * as BuiltinOperations from "./BuiltinOperations.ts"
import * as BinaryFraming from "./framings/BinaryFraming.ts"
import * as Doip2Framing from "./framings/Doip2Framing.ts"
import * as UpstreamFraming from "./framings/UpstreamFraming.ts"
import * as Listener from "./Listener.ts"
import type { Operation } from "./OperationRegistry.ts"
import * as PortServer from "./tls/PortServer.ts"
import type { TlsSetup } from "./tls/Tls.ts"

/**
 * The built-in workflows: `fixity`, and `equation_extraction` (which refines with the `Llm` when one is provided).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerWorkflows = Workflows.layerFrom([FixityWorkflow.make, EquationExtractionWorkflow.makeFromSettings]).pipe(
  // pdf.js in this process, within the configured limits: it needs no outside system, so every server has it
  Layer.provide(Layer.unwrap(Effect.gen(function*() {
    const { workflows } = yield* ServerConfig.ServerConfig
    return PdfJs.layer({ maxBytes: workflows.equations.maxPdfBytes, maxPages: workflows.equations.maxPages })
  })))
)

/**
 * The operation registry with every service it stands on, given `Storage`, `FdoFacade`, `Health`, `ServerConfig`
 * and `ServerInfo`.
 * Pass another `workflows` layer to add workflows of your own, and `extensions` to add operations (see
 * `BuiltinOperations.layerWith`).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerServicesWith = <E, R, EO = never, RO = never>(
  workflows: Layer.Layer<Workflows.Workflows, E, R>,
  extensions: ReadonlyArray<Effect.Effect<Operation, EO, RO>> = []
) =>
  BuiltinOperations.layerWith(extensions).pipe(
    // retrieve downloads an object's distribution for its RO-Crate when storage holds none of its components
    Layer.provide(NodeHttpClient.layerNodeHttp),
    Layer.provideMerge(workflows),
    Layer.provideMerge(ComponentWriter.layer),
    // the writer tells the hub of every commit; watch reads from it
    Layer.provideMerge(ChangeEvents.layer),
    Layer.provideMerge(AuthBackends.layer)
  )

/**
 * The operation registry with the built-in workflows.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerServices = layerServicesWith(layerWorkflows)

/**
 * Where the listeners ended up listening (the ports are the real ones when 0 was asked for).
 *
 * @category services
 * @since 0.1.0
 */
export class ListenAddress extends Context.Service<ListenAddress, {
  readonly host: string
  readonly binaryPort: number
  readonly doip2Port: number
}>()("effect-doip/server/ListenAddress") {}

/**
 * Binds the binary listener on `host:port` and the DOIP v2.0 listener on `host:port + 1` (both on a free port when
 * `port` is 0), both in the TLS mode `tls` asks for (plaintext only when it is not given).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerListeners = (options: {
  readonly host: string
  readonly port: number
  readonly tls?: TlsSetup | undefined
}) => {
  const socketServer = (port: number) =>
    PortServer.layer({ host: options.host, port, setup: options.tls ?? { mode: "off" } })
  const boundPort = Effect.gen(function*() {
    const server = yield* SocketServer.SocketServer
    return NetAddress.isInetAddress(server.address) ? server.address.port : options.port
  })
  const binary = Layer.effect(BinaryPort, boundPort).pipe(
    Layer.merge(Listener.layer("binary", () => BinaryFraming.framing)),
    Layer.provide(socketServer(options.port))
  )
  const doip2 = Layer.effect(Doip2Port, boundPort).pipe(
    // the upstream variant's length prefix starts with 0x00, which never starts a DOIP v2.0 segment
    Layer.merge(Listener.layer("doip2", (first) => first === 0x00 ? UpstreamFraming.framing : Doip2Framing.framing)),
    Layer.provide(socketServer(options.port === 0 ? 0 : options.port + 1))
  )
  const address = Layer.effect(
    ListenAddress,
    Effect.gen(function*() {
      return ListenAddress.of({ host: options.host, binaryPort: yield* BinaryPort, doip2Port: yield* Doip2Port })
    })
  )
  return address.pipe(Layer.provide(Layer.merge(binary, doip2)))
}

class BinaryPort extends Context.Service<BinaryPort, number>()("effect-doip/server/DoipServer/BinaryPort") {}
class Doip2Port extends Context.Service<Doip2Port, number>()("effect-doip/server/DoipServer/Doip2Port") {}
