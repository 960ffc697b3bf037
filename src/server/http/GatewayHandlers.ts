/**
 * The gateway's routes, implemented by the operation handlers the DOIP listeners use (`GatewayRequests.run`).
 *
 * JSON answers are the handlers' own: upstream's routes answer the binary envelope's metadata block, as upstream's
 * gateway does; the objects' routes answer what DOIP v2.0 answers where it differs (search results, element file
 * names). Downloads and uploads stream (`Downloads.ts`, `GatewayRequests.bodyComponent`).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import type { HttpServerRequest } from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { HttpApiBuilder } from "effect/http-api"
import { ServerConfig } from "../../layers/config/ServerConfig.ts"
import { type DoipResponse, type Endpoint, type OutgoingComponent, outputOf } from "../../protocol/DoipMessage.ts"
import { parseJsonObject, parseJsonObjectText } from "../../protocol/binary/Codec.ts"
import { Operations } from "../OperationRegistry.ts"
import * as Downloads from "./Downloads.ts"
import { CreateBody, GatewayApi } from "./GatewayApi.ts"
import * as GatewayErrors from "./GatewayErrors.ts"
import * as GatewayRequests from "./GatewayRequests.ts"
import { GatewayAddress } from "./GatewayAddress.ts"

/**
 * Both groups' handlers, given the operation registry, the settings and the gateway's address.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = Layer.mergeAll(
  HttpApiBuilder.group(GatewayApi, "upstream", Effect.fnUntraced(function*(handlers) {
    const { download, maxJsonDepth, pace, run } = yield* calls
    return handlers
      .handle("retrieve", ({ params, query, request }) =>
        Effect.gen(function*() {
          if (query.force_reload !== undefined) {
            // a failed purge leaves a stale manifest at worst: the component's bytes are read from storage anyway
            yield* Effect.ignore(run(request, { operation: "purge", objectId: params.objectId, framing: "upstream" }))
          }
          return yield* download(request, params.objectId, params.componentId)
        }))
      .handle("search", ({ query, request }) =>
        Effect.map(
          run(request, {
            operation: "search",
            attributes: {
              query: query.q,
              limit: query.limit ?? 10,
              ...(query.namespaces === undefined ? {} : { namespaces: query.namespaces })
            },
            framing: "upstream"
          }),
          firstBlock
        ))
      .handle("purge", ({ params, request }) =>
        Effect.map(run(request, { operation: "purge", objectId: params.objectId, framing: "upstream" }), firstBlock))
      .handleRaw("create", ({ request }) =>
        Effect.gen(function*() {
          const body = yield* GatewayRequests.jsonBody(request, maxJsonDepth, pace)
          const payload = yield* decodeCreateBody(body ?? {}).pipe(
            Effect.mapError((error) =>
              new GatewayErrors.BadRequest({ error: "BadRequest", message: `payload: ${GatewayErrors.oneLine(error.message)}` })
            )
          )
          const { token, ...rest } = payload
          if ((rest.label === undefined) === (rest.type === undefined)) {
            return yield* new GatewayErrors.BadRequest({
              error: "BadRequest",
              message: "give either \"label\" (raw format) or \"type\" (typed format), not both"
            })
          }
          const item = rest.type !== undefined
            ? { type: rest.type, fields: rest.fields ?? {} }
            : { label: rest.label, description: rest.description, claims: rest.claims ?? {} }
          return firstBlock(
            yield* run(request, {
              operation: "create",
              attributes: { json: JSON.stringify(item) },
              ...(token === undefined ? {} : { credentials: { token: Redacted.make(token) } }),
              framing: "upstream"
            })
          )
        }))
  })),
  HttpApiBuilder.group(GatewayApi, "objects", Effect.fnUntraced(function*(handlers) {
    const { download, events, maxComponentSize, maxJsonDepth, pace, run } = yield* calls
    return handlers
      .handle("hello", ({ request }) =>
        Effect.map(run(request, { operation: "hello", framing: "binary" }), firstBlock))
      .handle("search", ({ query, request }) =>
        Effect.map(
          run(request, {
            operation: "search",
            attributes: {
              query: query.q === undefined || query.q.trim() === "" ? "*" : query.q,
              pageNum: query.pageNum ?? 0,
              pageSize: query.pageSize ?? 20,
              ...(query.sortFields === undefined ? {} : { sortFields: query.sortFields }),
              ...(query.type === undefined ? {} : { type: query.type })
            },
            framing: "doip2"
          }),
          (response) => response.output as any
        ))
      .handle("manifest", ({ params, query, request }) =>
        Effect.map(
          run(request, {
            operation: "retrieve",
            objectId: params.objectId,
            attributes: versionOf(query.version),
            framing: "binary"
          }),
          firstBlock
        ))
      .handle("events", ({ headers, query, request }) => events(request, query.ids, headers["last-event-id"] ?? query.since))
      .handle("versions", ({ params, request }) =>
        Effect.map(run(request, { operation: "versions", objectId: params.objectId, framing: "binary" }), firstBlock))
      .handle("delete", ({ params, request }) =>
        Effect.map(run(request, { operation: "delete", objectId: params.objectId, framing: "binary" }), firstBlock))
      .handle("download", ({ params, query, request }) =>
        download(request, params.objectId, params.componentId, versionOf(query.version)))
      .handleRaw("upload", ({ params, request }) =>
        Effect.gen(function*() {
          const nextComponent = yield* GatewayRequests.bodyComponent(request, params.componentId, maxComponentSize, pace)
          return firstBlock(
            yield* run(request, {
              operation: "update",
              objectId: params.objectId,
              attributes: { element: params.componentId },
              nextComponent,
              framing: "binary"
            })
          )
        }))
      .handleRaw("invoke", ({ params, request }) =>
        Effect.gen(function*() {
          const body = yield* GatewayRequests.jsonBody(request, maxJsonDepth, pace)
          const response = yield* run(request, {
            operation: "invoke",
            objectId: params.objectId,
            attributes: { workflow: params.workflow, params: body ?? {} },
            framing: "binary"
          })
          const block = firstBlock(response)
          return {
            workflow: block["workflow"] ?? params.workflow,
            result: block["result"] ?? {},
            components: response.components.map(describeComponent)
          } as any
        }))
  })),
  HttpApiBuilder.group(GatewayApi, "cordra", Effect.fnUntraced(function*(handlers) {
    const { cordra } = yield* calls
    return handlers
      .handleRaw("get", ({ request }) => cordra(request, "GET", undefined))
      .handleRaw("post", ({ request }) => cordra(request, "POST", undefined))
      .handleRaw("getPath", ({ params, request }) => cordra(request, "GET", `${params.prefix}/${params.operation}`))
      .handleRaw("postPath", ({ params, request }) => cordra(request, "POST", `${params.prefix}/${params.operation}`))
  }))
)

/**
 * What every route needs: `run` one operation, and `download` one component.
 */
const calls = Effect.gen(function*() {
  const operations = yield* Operations
  const { limits } = yield* ServerConfig
  const address = yield* GatewayAddress
  const endpoint: Omit<Endpoint, "framing"> = { host: address.host, port: address.port }
  const run = (request: HttpServerRequest, call: GatewayRequests.Call) =>
    GatewayRequests.run(operations, request, endpoint, call)

  /**
   * A component's download. The first retrieve answers the whole component lazily (nothing is read before the
   * response streams), so its size and checksum settle `If-None-Match` and `Range` before a byte moves; a range
   * asks storage again, for just those bytes.
   */
  const download = (
    request: HttpServerRequest,
    objectId: string,
    componentId: string,
    asked?: Readonly<Record<string, unknown>>
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, GatewayErrors.GatewayError> =>
    Effect.gen(function*() {
      const retrieve = (attributes: Record<string, unknown>) =>
        run(request, {
          operation: "retrieve",
          objectId,
          attributes: { ...asked, element: componentId, ...attributes },
          framing: "doip2"
        })
      // a component replaced between the whole's retrieve and the range's is read again, a few times at most
      for (let attempt = 1;; attempt++) {
        const whole = yield* retrieve({})
        const component = whole.components[0]
        if (component === undefined) {
          return yield* new GatewayErrors.NotFound({ error: "NotFound", message: `${objectId} has no component ${componentId}` })
        }
        const filename = typeof whole.attributes?.["filename"] === "string" ? whole.attributes["filename"] : component.componentId
        const etag = Downloads.etagOf(component)
        if (etag !== undefined && Downloads.matchesNoneMatch(request.headers["if-none-match"], etag)) {
          return Downloads.notModified(etag)
        }
        const rangeHeader = request.headers["range"]
        const ifRange = request.headers["if-range"]
        const range = ifRange === undefined || ifRange === etag ? Downloads.parseRange(rangeHeader, component.size) : undefined
        if (range === "unsatisfiable") return Downloads.rangeNotSatisfiable(component.size, rangeHeader!)
        if (range === undefined) return yield* respond(request, component, { filename, etag })
        const part = (yield* retrieve({ range })).components[0] ?? component
        if (part.checksum === component.checksum) {
          return yield* respond(request, part, { filename, etag, range: { ...range, size: component.size } })
        }
        if (attempt === 3) {
          return yield* new GatewayErrors.Conflict({
            error: "Conflict",
            message: `${objectId}/${componentId} changed while it was read; ask again`
          })
        }
      }
    })

  const respond = (request: HttpServerRequest, ...args: Parameters<typeof Downloads.respond> extends [any, ...infer Rest] ? Rest : never) =>
    Downloads.respond(request, ...args).pipe(Effect.mapError(GatewayErrors.fromDoipError))

  /**
   * One operation as Cordra's DOIP API for HTTP clients sends it: the operation and target in the query (or the
   * operation in the path), attributes as one JSON `attributes` parameter and/or `attributes.<name>` parameters
   * (for search also the bare `query`, `pageNum`, ... some clients send), the input as the JSON body. The answer is
   * the operation's DOIP v2.0 output as JSON, or an element's bytes for a retrieve that names one.
   */
  const cordra = (
    request: HttpServerRequest,
    method: "GET" | "POST",
    pathOperationId: string | undefined
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, GatewayErrors.GatewayError> =>
    Effect.gen(function*() {
      const query = new URL(request.url, "http://gateway").searchParams
      const operationId = pathOperationId ?? query.get("operationId") ?? query.get("o")
      if (operationId === null || operationId === "") return yield* badRequest(`give the operation as "operationId"`)
      const operation = operations.get(operationId) ?? operations.byDoipId(operationId)
      if (operation === undefined) {
        return yield* new GatewayErrors.NotImplemented({
          error: "UnsupportedOperation",
          message: `operation ${operationId} is not supported`
        })
      }
      if (operation.name === "watch") {
        return yield* new GatewayErrors.NotImplemented({
          error: "UnsupportedOperation",
          message: `${operationId} streams its answer: watch with GET /doip/events (Server-Sent Events)`
        })
      }
      if (method === "GET" && !readOnly.has(operation.name)) {
        return yield* badRequest(`${operationId} changes objects: send it with POST`)
      }
      const targetId = query.get("targetId") ?? query.get("t") ?? ""
      const attributes = yield* cordraAttributes(query, operation.name === "search", limits.maxJsonDepth)
      const input = method === "POST" ? yield* GatewayRequests.jsonBody(request, limits.maxJsonDepth, pace) : undefined
      const element = attributes["element"]
      if (operation.name === "retrieve" && typeof element === "string" && element !== "") {
        return yield* download(request, targetId, element, versionOf(attributes["version"]))
      }
      const response = yield* run(request, { operation: operation.name, objectId: targetId, attributes, input, framing: "doip2" })
      return HttpServerResponse.jsonUnsafe(outputOf(response) ?? null)
    })

  /**
   * The watch operation's events as Server-Sent Events: first `watching` (its `id:` where the watch starts, so a
   * browser that reconnects before any change resumes from there), then one message per change (`id:` its version,
   * `data:` the change), and a comment now and then while none comes, well within the idle timeout (which would
   * otherwise close a quiet stream: it closes a connection on which no byte moves). A client that stops reading holds
   * the stream back (the response waits for its socket to drain), and is closed by that idle timeout.
   */
  const events = (
    request: HttpServerRequest,
    ids: string | undefined,
    since: string | undefined
  ): Effect.Effect<HttpServerResponse.HttpServerResponse, GatewayErrors.GatewayError> =>
    Effect.gen(function*() {
      const response = yield* run(request, {
        operation: "watch",
        attributes: { ...(ids === undefined ? {} : { ids }), ...(since === undefined || since === "" ? {} : { since }) },
        framing: "doip2"
      })
      if (response.events === undefined) return yield* Effect.die(new Error("watch answered without events"))
      const started = response.attributes ?? {}
      const first = `retry: 2000\nid: ${sseField(started["since"])}\nevent: watching\ndata: ${JSON.stringify(started)}\n\n`
      const changes = response.events.pipe(
        Stream.map((event) => `id: ${sseField(event["version"])}\ndata: ${JSON.stringify(event)}\n\n`),
        Stream.catch((error) =>
          Stream.succeed(`event: failure\ndata: ${JSON.stringify({ error: error.kind, message: error.message })}\n\n`))
      )
      const keepAlive = Stream.tick(`${Math.max(1, Math.min(15, limits.idleTimeoutSeconds / 3))} seconds`).pipe(
        Stream.drop(1),
        Stream.as(": still watching\n\n")
      )
      return HttpServerResponse.stream(
        Stream.concat(Stream.succeed(first), Stream.merge(changes, keepAlive, { haltStrategy: "left" })).pipe(Stream.encodeText),
        {
          contentType: "text/event-stream",
          // proxies must pass each event on at once, and keep none
          headers: { "cache-control": "no-cache, no-store", "x-accel-buffering": "no" }
        }
      )
    })

  const pace: GatewayRequests.Pace = {
    messageTimeoutSeconds: limits.messageTimeoutSeconds,
    minBytesPerSecond: limits.minBytesPerSecond,
    maxBodyBytes: limits.maxMetadataSize
  }
  return { run, download, events, cordra, pace, maxComponentSize: limits.maxComponentSize, maxJsonDepth: limits.maxJsonDepth }
})

/** a value as one line of an event's field: the line breaks that would end the field go */
const sseField = (value: unknown) => (typeof value === "string" ? value : "").replace(/[\r\n]/g, "")

/** upstream's create body (its schema is declared on the route too, for the OpenAPI document) */
const decodeCreateBody = Schema.decodeUnknownEffect(CreateBody)

/** the operations a GET may run: the ones that change nothing */
const readOnly = new Set(["hello", "list_ops", "retrieve", "search", "describe", "versions"])

/** the `version` attribute a route passes on, when it was given (a non-string one is the handler's to refuse) */
const versionOf = (version: unknown): Record<string, unknown> => (version === undefined ? {} : { version })

/** the search attributes some Cordra clients send as bare query parameters */
const bareSearchParameters = ["query", "pageNum", "pageSize", "sortFields", "type", "facets", "filterQueries"]

const badRequest = (message: string) => Effect.fail(new GatewayErrors.BadRequest({ error: "BadRequest", message }))

/** the request's attributes from its query: `attributes` (a JSON object), then each `attributes.<name>` over it */
const cordraAttributes = (query: URLSearchParams, search: boolean, maxDepth: number) =>
  Effect.gen(function*() {
    const json = query.get("attributes")
    const attributes: Record<string, unknown> = {}
    if (json !== null && json !== "") {
      const parsed = parseJsonObjectText(json, maxDepth)
      if (typeof parsed === "string") return yield* badRequest(`"attributes" ${parsed}`)
      Object.assign(attributes, parsed)
    }
    for (const [key, value] of query) {
      if (key.startsWith("attributes.") && key.length > "attributes.".length) {
        define(attributes, key.slice("attributes.".length), value)
      }
    }
    if (search) {
      for (const key of bareSearchParameters) {
        const value = query.get(key)
        if (value !== null && !(key in attributes)) define(attributes, key, value)
      }
    }
    return attributes
  })

/** an own property, even `__proto__`, which an assignment would make the object's prototype instead */
const define = (target: Record<string, unknown>, key: string, value: unknown) =>
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })

const firstBlock = (response: DoipResponse): Record<string, any> => (response.metadata[0] ?? {}) as Record<string, any>

/** a component an operation answered, with its content when it is JSON (a workflow's result, say) */
const describeComponent = (component: OutgoingComponent) => {
  const json = component.mediaType.startsWith("application/json") && component.bytes !== undefined
    ? parseJsonObject(component.bytes, 256)
    : undefined
  return {
    componentId: component.componentId,
    mediaType: component.mediaType,
    size: component.size,
    ...(json !== undefined && typeof json !== "string" ? { json } : {})
  }
}
