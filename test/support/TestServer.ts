/**
 * A whole server on loopback (port 0) over memory storage (or the storage and façade given), and clients for it, for tests.
 */
import type { KnowledgeGraph } from "../../src/layers/knowledge/KnowledgeGraph.ts"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as DoipClient from "../../src/client/DoipClient.ts"
import { ComponentWriter } from "../../src/layers/storage/ComponentWriter.ts"
import type { FdoFacade } from "../../src/layers/metadata/FdoFacade.ts"
import * as Health from "../../src/layers/config/Health.ts"
import type { Llm } from "../../src/layers/workflows/llm/Llm.ts"
import * as MemoryStorage from "../../src/layers/storage/MemoryStorage.ts"
import * as ServerConfig from "../../src/layers/config/ServerConfig.ts"
import * as StorageFdoFacade from "../../src/layers/metadata/StorageFdoFacade.ts"
import type * as Workflows from "../../src/layers/workflows/Workflows.ts"
import type { Storage } from "../../src/layers/storage/Storage.ts"
import * as DoipServer from "../../src/server/DoipServer.ts"
import * as HttpGateway from "../../src/server/http/HttpGateway.ts"
import * as WebPage from "../../src/server/http/WebPage.ts"
import { ServerInfo } from "../../src/server/ServerInfo.ts"
import type { Operation } from "../../src/server/OperationRegistry.ts"
import type { TlsSetup } from "../../src/server/tls/Tls.ts"

export const token = "test-token-0123456789"

/** what a test server is made of; every option has a default */
export interface ServerOptions {
  readonly settings?: Record<string, unknown>
  /** the listeners' TLS mode and certificate; default plaintext only */
  readonly tls?: TlsSetup
  readonly storage?: Layer.Layer<Storage, any>
  /** the manifests' source; default: derived from storage */
  readonly facade?: Layer.Layer<FdoFacade, any, Storage>
  /** the dependency checks hello reports; default: storage and façade in-process, always ok */
  readonly health?: Layer.Layer<Health.Health>
  /** the model workflows refine with; default none */
  readonly llm?: Layer.Layer<Llm>
  /** the knowledge graph upstream's binary search asks; default the objects held here */
  readonly knowledgeGraph?: Layer.Layer<KnowledgeGraph, never, Storage | FdoFacade>
  readonly workflows?: Layer.Layer<Workflows.Workflows, never, Storage | ComponentWriter>
  readonly extensions?: ReadonlyArray<Effect.Effect<Operation, never, Storage | ServerConfig.ServerConfig>>
}

/** the server: memory storage (or the given storage), a token credential, listeners on an ephemeral port */
export const layerServer = (options?: ServerOptions) =>
  DoipServer.layerListeners({ host: "127.0.0.1", port: 0, tls: options?.tls }).pipe(Layer.provideMerge(layerServices(options)))

/** the server with its HTTP gateway (and web page) too, on an ephemeral port in the listeners' TLS mode */
export const layerServerWithHttp = (options?: ServerOptions) =>
  Layer.merge(
    DoipServer.layerListeners({ host: "127.0.0.1", port: 0, tls: options?.tls }),
    HttpGateway.layer({ host: "127.0.0.1", port: 0, tls: options?.tls, routes: WebPage.layer })
  ).pipe(Layer.provideMerge(layerServices(options)))

/** the operation registry and every service behind it, as the options ask */
export const layerServices = (options?: ServerOptions) => {
  const config = ServerConfig.layerTest({ auth: { token }, ...options?.settings })
  const info = Layer.succeed(ServerInfo, { name: "effect-doip-test", version: "0.0.0", tls: options?.tls !== undefined && options.tls.mode !== "off", storage: "memory" })
  const backends = (options?.knowledgeGraph ?? Layer.empty).pipe(
    Layer.provideMerge(Layer.mergeAll(
      options?.facade ?? StorageFdoFacade.layer,
      options?.health ?? Health.layerInProcess("memory"),
      options?.llm ?? Layer.empty
    )),
    Layer.provideMerge(options?.storage ?? MemoryStorage.layer)
  )
  return DoipServer.layerServicesWith(options?.workflows ?? DoipServer.layerWorkflows, options?.extensions).pipe(
    Layer.provideMerge(Layer.mergeAll(config, info, backends))
  )
}

/** a client for the server in context */
export const layerClient = (options?: Partial<DoipClient.ClientOptions>) =>
  Layer.unwrap(Effect.gen(function*() {
    const address = yield* DoipServer.ListenAddress
    return DoipClient.layer({ host: "127.0.0.1", port: address.binaryPort, timeout: "20 seconds", ...options })
  }))

/** stores and commits a component, as a seed for tests */
export const seed = (objectId: string, componentId: string, content: Uint8Array | string, mediaType = "application/octet-stream") =>
  Effect.gen(function*() {
    const writer = yield* ComponentWriter
    return yield* writer.write({
      objectId,
      componentId,
      mediaType,
      content: Stream.succeed(typeof content === "string" ? new TextEncoder().encode(content) : content),
      operation: "seed"
    })
  })

/** a DOIP v2.0 client for the server in context (its port + 1 listener) */
export const layerClientDoip2 = (options?: Partial<DoipClient.ClientOptions>) =>
  Layer.unwrap(Effect.gen(function*() {
    const address = yield* DoipServer.ListenAddress
    return DoipClient.layerDoip2({ host: "127.0.0.1", port: address.doip2Port, timeout: "20 seconds", ...options })
  }))
