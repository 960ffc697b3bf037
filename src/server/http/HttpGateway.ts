/**
 * The HTTP gateway: the gateway's routes (`GatewayApi`, implemented in `GatewayHandlers`), `/openapi.json`
 * generated from them, and the web page, on Effect's HTTP server over Node, in the process of the DOIP listeners
 * and over the same operation registry.
 *
 * Every failure answers JSON `{error, message}`: the handlers' own errors by their declared status, and what
 * Effect's router would answer with an empty body (a route that does not exist, a parameter that fails its schema)
 * by a global middleware here. A defect answers a 500 that names nothing of it; the log has the rest.
 *
 * @since 0.1.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Cause from "effect/Cause"
import * as ByteSize from "effect/ByteSize"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as NetAddress from "effect/net/NetAddress"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import * as HttpServer from "effect/http/HttpServer"
import * as HttpServerError from "effect/http/HttpServerError"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { HttpApiBuilder, HttpApiError } from "effect/http-api"
import { ServerConfig } from "../../layers/config/ServerConfig.ts"
import type { TlsSetup } from "../tls/Tls.ts"
import { GatewayAddress } from "./GatewayAddress.ts"
import { GatewayApi } from "./GatewayApi.ts"
import * as GatewayErrors from "./GatewayErrors.ts"
import * as GatewayHandlers from "./GatewayHandlers.ts"
import * as NodeServers from "./NodeServers.ts"

/**
 * The gateway on `host:port` (a free port when `port` is 0), in the TLS mode `tls` asks for, given the operation
 * registry and the settings. Provides where it listens.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: {
  readonly host: string
  readonly port: number
  readonly tls?: TlsSetup | undefined
  /** more routes served beside the API (the web page) */
  readonly routes?: Layer.Layer<never, never, HttpRouter.HttpRouter> | undefined
}) => {
  const api = HttpApiBuilder.layer(GatewayApi, { openapiPath: "/openapi.json" }).pipe(Layer.provide(GatewayHandlers.layer))
  // the catch-all is added after every other route: its "/*" claims "/" as well, for every method, and the router
  // keeps whichever route came first for a path (mergeAll builds concurrently, so the web page's "/" could lose)
  const app = noRoute.pipe(Layer.provide(Layer.mergeAll(api, jsonErrors, bodyLimit, options.routes ?? Layer.empty)))
  const address = Layer.effect(
    GatewayAddress,
    Effect.map(HttpServer.HttpServer, (server) =>
      GatewayAddress.of({
        host: options.host,
        port: NetAddress.isInetAddress(server.address) ? server.address.port : options.port
      }))
  )
  const server = Layer.unwrap(Effect.gen(function*() {
    const { limits } = yield* ServerConfig
    const timeouts = {
      idleMillis: limits.idleTimeoutSeconds * 1000,
      headersMillis: limits.messageTimeoutSeconds * 1000,
      maxConnections: limits.maxConnections
    }
    return NodeHttpServer.layer(() => NodeServers.make(options.tls ?? { mode: "off" }, timeouts), {
      host: options.host,
      port: options.port,
      // a watcher's event stream never ends by itself: on shutdown, answers still open after this long are cut
      // rather than hold the process for Node's 20 s (longer than a container's stop timeout)
      gracefulShutdownTimeout: "3 seconds"
    })
  }))
  return HttpRouter.serve(app, { disableListenLog: true, disableLogger: true }).pipe(
    Layer.provideMerge(address),
    Layer.provideMerge(server)
  )
}

/**
 * The answers Effect's router gives with an empty body, as JSON `{error, message}`: a route that does not exist
 * (404), a request whose parameters, headers or body fail their schema (400), and a defect (500, saying nothing of
 * it but where).
 */
const jsonErrors = HttpRouter.middleware((effect) =>
  Effect.catchCause(effect, (cause) => {
    const failure = Cause.findError(cause)
    if (Result.isSuccess(failure) && failure.success instanceof HttpServerError.RouteNotFound) {
      const request = failure.success.request
      return Effect.succeed(errorResponse(404, "NotFound", `no route ${request.method} ${request.url.split("?")[0]}`))
    }
    const unreadable = Result.isSuccess(failure) ? unreadableBody(failure.success) : undefined
    if (unreadable !== undefined) return Effect.succeed(unreadable)
    const defect = Cause.findDefect(cause)
    if (Result.isSuccess(defect) && HttpApiError.HttpApiSchemaError.is(defect.success)) {
      const error = defect.success
      if (error.kind !== "Body" && error.kind !== "ResponseHeaders") {
        return Effect.succeed(
          errorResponse(400, "BadRequest", `${error.kind.toLowerCase()}: ${GatewayErrors.oneLine(error.cause.message)}`)
        )
      }
    }
    // a JSON body the API decodes that cannot be read (too large, cut off) is a defect of the decoding
    const unreadableDefect = Result.isSuccess(defect) ? unreadableBody(defect.success) : undefined
    if (unreadableDefect !== undefined) return Effect.succeed(unreadableDefect)
    if (Result.isSuccess(defect) && HttpApiError.HttpApiPayloadTooLarge.is(defect.success)) {
      return Effect.succeed(errorResponse(413, "TooLarge", defect.success.message))
    }
    if (Result.isSuccess(defect)) {
      return Effect.logError("an HTTP request failed unexpectedly", defect.success).pipe(
        Effect.as(errorResponse(500, "InternalError", "the request failed unexpectedly"))
      )
    }
    return Effect.failCause(cause)
  }), { global: true })

/** the answer to a body that could not be read, when `error` says so */
const unreadableBody = (error: unknown) => {
  if (!(error instanceof HttpServerError.HttpServerError) || error.reason._tag !== "RequestParseError") return undefined
  return error.reason.reason === "BodyTooLarge"
    ? errorResponse(413, "TooLarge", "the body is larger than limits.maxMetadataSize")
    : errorResponse(400, "BadRequest", `the body could not be read: ${error.reason.message}`)
}

/**
 * JSON bodies are read whole (create's item, invoke's parameters), so they are held to `limits.maxMetadataSize`, as
 * a DOIP request's JSON is; components stream, and `limits.maxComponentSize` holds them.
 */
const bodyLimit = HttpRouter.middleware(Effect.gen(function*() {
  const { limits } = yield* ServerConfig
  const max = ByteSize.bytes(BigInt(limits.maxMetadataSize))
  return (effect) => Effect.provideService(effect, HttpIncomingMessage.MaxBodySize, max)
}), { global: true })

/**
 * What no route takes: Effect's router answers it with an empty 404, the gateway with JSON like every error. Every
 * method but HEAD: the router answers a HEAD from the GET route of its path only when no route takes HEAD itself,
 * and a HEAD's answer has no body to put JSON in anyway.
 */
const noRoute = HttpRouter.addAll(
  (["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "QUERY"] as const).map((method) =>
    HttpRouter.route(method, "/*", (request) =>
      Effect.succeed(errorResponse(404, "NotFound", `no route ${request.method} ${request.url.split("?")[0]}`)))
  )
)

const errorResponse = (status: number, error: string, message: string) =>
  HttpServerResponse.jsonUnsafe({ error, message }, { status })
