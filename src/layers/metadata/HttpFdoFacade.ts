/**
 * The FDO façade over HTTP (BACKENDS.md): `GET {baseUrl}{QID}` for a manifest, `GET {baseUrl}types/{TypeId}` for a
 * type FDO.
 *
 * Manifests are decoded leniently: unknown fields are kept, `fdo:hasComponent` is optional, a component's `mimeType`
 * becomes `mediaType`, and `digitalObjectType` may be any URL (old ones included). Component entries that lack a size
 * or checksum get them from `Storage`. Manifests and types are cached (bounded, with a time to live; failures are not
 * kept; manifests checked against the branch's head where several servers share it: `internal/manifestCache.ts`),
 * concurrent requests for one object share one HTTP call, `purge` evicts an object's manifest and `purgeType`
 * a type FDO.
 *
 * A manifest at a version (`manifest(objectId, version)`) is the façade's manifest now (the façade keeps no versions)
 * with the components storage held at that commit: see `lookupAt`.
 *
 * Errors: 404 is `NotFound`, 400 `BadRequest` (a bad identifier), and 5xx answers, timeouts, connection failures and
 * undecodable answers are `Unavailable` ("metadata service unavailable: ...").
 *
 * @since 0.1.0
 */
import * as Cache from "effect/Cache"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as SchemaTransformation from "effect/SchemaTransformation"
import * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import { redactUrl } from "../config/Redact.ts"
import { FacadeError, notAtVersion } from "./FacadeError.ts"
import * as ManifestCache from "./internal/manifestCache.ts"
import { FdoFacade, type Manifest } from "./FdoFacade.ts"
import { describedBy, overlay } from "./ObjectDescription.ts"
import * as ObjectRecord from "../storage/ObjectRecord.ts"
import { Storage, type StorageError } from "../storage/Storage.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** the façade's base URL, for example `https://fdo.portal.mardi4nfdi.de/fdo/` */
  readonly baseUrl: string
  /** how long one HTTP call (answer and body) may take; default 10 seconds */
  readonly timeout?: Duration.Input | undefined
  /** how many manifests the cache keeps; default 10 000 */
  readonly cacheCapacity?: number | undefined
  /** how long a cached manifest stays; default 5 minutes */
  readonly cacheTtl?: Duration.Input | undefined
}

const Rest = [Schema.Record(Schema.String, Schema.Unknown)] as const

/**
 * A component entry as the façade sends it: `mediaType` or its alias `mimeType`, other fields kept.
 *
 * @category schemas
 * @since 0.1.0
 */
export const WireComponent = Schema.StructWithRest(
  Schema.Struct({
    componentId: Schema.String,
    mediaType: Schema.optional(Schema.String),
    mimeType: Schema.optional(Schema.String),
    size: Schema.optional(Schema.Number),
    checksum: Schema.optional(Schema.String)
  }),
  Rest
)

/**
 * A component entry with its media type under `mediaType` only.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Component = Schema.StructWithRest(
  Schema.Struct({
    componentId: Schema.String,
    mediaType: Schema.optional(Schema.String),
    size: Schema.optional(Schema.Number),
    checksum: Schema.optional(Schema.String)
  }),
  Rest
)

/**
 * @category models
 * @since 0.1.0
 */
export type Component = typeof Component.Type

/**
 * A component entry from the wire, `mimeType` normalised to `mediaType`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ComponentFromWire = WireComponent.pipe(Schema.decodeTo(
  Component,
  SchemaTransformation.transform({
    decode: ({ mediaType, mimeType, ...rest }) => {
      const type = mediaType ?? mimeType
      return type === undefined ? rest : { ...rest, mediaType: type }
    },
    encode: (component) => component
  })
))

/**
 * The kernel: an optional `fdo:hasComponent` list, other fields (`digitalObjectType`, ...) kept as they are.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Kernel = Schema.StructWithRest(
  Schema.Struct({
    "fdo:hasComponent": Schema.optional(Schema.Array(ComponentFromWire)),
    digitalObjectType: Schema.optional(Schema.String)
  }),
  Rest
)

/**
 * A manifest (`@context`, `@id`, `@type`, `kernel`, `profile`, `provenance`, anything else kept).
 *
 * @category schemas
 * @since 0.1.0
 */
export const ManifestSchema = Schema.StructWithRest(Schema.Struct({ kernel: Schema.optional(Kernel) }), Rest)

/**
 * A type FDO: any JSON object.
 *
 * @category schemas
 * @since 0.1.0
 */
export const TypeSchema = Schema.Record(Schema.String, Schema.Unknown)

const decodeManifest = Schema.decodeUnknownEffect(ManifestSchema)
const decodeType = Schema.decodeUnknownEffect(TypeSchema)

/**
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(options: Options) {
  const storage = yield* Storage
  const timeout = Duration.fromInputUnsafe(options.timeout ?? "10 seconds")
  const client = (yield* HttpClient.HttpClient).pipe(
    HttpClient.mapRequest(HttpClientRequest.prependUrl(options.baseUrl))
  )

  /** the JSON body of `GET {baseUrl}{path}`, or the FacadeError its status (or failure) means */
  const fetchJson = (path: string, what: string): Effect.Effect<unknown, FacadeError> =>
    client.get(path).pipe(
      Effect.flatMap((response): Effect.Effect<unknown, FacadeError | HttpClientError.HttpClientError> =>
        response.status === 200 ? response.json : failure(response, what)
      ),
      Effect.timeout(timeout),
      Effect.catch((error) => Effect.fail(toFacadeError(error, timeout)))
    )

  /** the stat of a component the manifest gives no size or checksum for; absent ones stay as they are */
  const enrich = (objectId: string, component: Component): Effect.Effect<Component, StorageError> =>
    component.size !== undefined && component.checksum !== undefined
      ? Effect.succeed(component)
      : storage.stat(objectId, component.componentId).pipe(
        Effect.map((stat) => ({
          ...component,
          mediaType: component.mediaType ?? stat.mediaType,
          size: component.size ?? stat.size,
          checksum: component.checksum ?? stat.checksum
        })),
        Effect.catch((error: StorageError) =>
          error.kind === "Unavailable" || error.kind === "Unauthorized"
            ? Effect.fail(error)
            : Effect.succeed(component)
        )
      )

  const lookupManifest = Effect.fnUntraced(function*(objectId: string) {
    const json = yield* fetchJson(encodeURIComponent(objectId), `object ${objectId}`)
    const manifest = yield* decodeManifest(json).pipe(Effect.mapError((error) => badAnswer(`object ${objectId}`, error)))
    const components = manifest.kernel?.["fdo:hasComponent"]
    const enriched = manifest.kernel === undefined || components === undefined
      ? manifest as Manifest
      : { ...manifest, kernel: { ...manifest.kernel, "fdo:hasComponent": yield* Effect.forEach(components, (c) => enrich(objectId, c), { concurrency: 8 }) } } as Manifest
    // what clients sent with create and update, laid over the façade's manifest
    const history = yield* storage.history(objectId).pipe(
      Effect.catchIf((error) => error.kind !== "Unavailable" && error.kind !== "Unauthorized", () => Effect.succeed([]))
    )
    return overlay(enriched, describedBy(history))
  })

  /**
   * The manifest at a version. The façade keeps no versions: its manifest now, with the components storage held at
   * that commit (each with the façade's entry for it, when it has one, and storage's size and checksum then) in place
   * of its component list, what clients recorded up to then laid over it, and `provenance["fdo:commit"]` naming the
   * commit that made that state. Components the façade names that storage did not hold then are left out.
   */
  const lookupAt = Effect.fnUntraced(function*(objectId: string, version: string) {
    const snapshot = yield* storage.at(version)
    const [found, history] = yield* Effect.all([ObjectRecord.find(snapshot, objectId), snapshot.history(objectId)], {
      concurrency: 2
    })
    if (found === undefined) return yield* notAtVersion(objectId, snapshot.commit.id)
    const json = yield* fetchJson(encodeURIComponent(objectId), `object ${objectId}`)
    const manifest = yield* decodeManifest(json).pipe(Effect.mapError((error) => badAnswer(`object ${objectId}`, error)))
    const named = new Map((manifest.kernel?.["fdo:hasComponent"] ?? []).map((c) => [c.componentId, c]))
    const components = found.components.map((stat) => {
      const entry = named.get(stat.componentId)
      return {
        "@id": `#${stat.componentId}`,
        ...entry,
        componentId: stat.componentId,
        mediaType: entry?.mediaType ?? stat.mediaType,
        size: stat.size,
        checksum: stat.checksum
      }
    })
    const provenance = manifest["provenance"]
    const newest = history[0]
    return overlay({
      ...manifest,
      kernel: { ...manifest.kernel, "fdo:hasComponent": components },
      ...(newest === undefined ? {} : {
        provenance: { ...(typeof provenance === "object" && provenance !== null ? provenance : {}), "fdo:commit": newest.id }
      })
    } as Manifest, describedBy(history))
  })

  const lookupType = Effect.fnUntraced(function*(typeId: string) {
    const json = yield* fetchJson(`types/${encodeURIComponent(typeId)}`, `type ${typeId}`)
    return (yield* decodeType(json).pipe(Effect.mapError((error) => badAnswer(`type ${typeId}`, error)))) as Manifest
  })

  const ttl = options.cacheTtl ?? "5 minutes"
  const cacheOptions = {
    capacity: options.cacheCapacity ?? 10_000,
    // failures are not kept: the next call asks again
    timeToLive: (exit: Exit.Exit<unknown, unknown>) => (Exit.isSuccess(exit) ? ttl : Duration.zero)
  }
  // what storage adds to a manifest (sizes, checksums, what clients sent) must follow other servers' writes too
  const manifests = yield* ManifestCache.make(storage, lookupManifest, { capacity: cacheOptions.capacity, timeToLive: ttl })
  const types = yield* Cache.makeWith(lookupType, cacheOptions)

  return FdoFacade.of({
    manifest: (objectId, version) => version === undefined ? manifests.get(objectId) : lookupAt(objectId, version),
    type: (typeId) => Cache.get(types, typeId),
    purge: manifests.invalidate,
    purgeType: (typeId) => Cache.invalidate(types, typeId)
  })
})

/**
 * The HTTP façade; needs an `HttpClient` (on Node 20, `FetchHttpClient.layer` or `NodeHttpClient.layerNodeHttp`).
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<FdoFacade, never, Storage | HttpClient.HttpClient> =>
  Layer.effect(FdoFacade, make(options))

/**
 * Whether the façade answers `GET /health` (at its origin) with `{"status":"ok"}`.
 *
 * @category health
 * @since 0.1.0
 */
export const check = (baseUrl: string): Effect.Effect<void, string, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const url = new URL("/health", baseUrl).toString()
    // what the failures say: the URL without the user info it may carry
    const shown = redactUrl(url)
    const response = yield* client.get(url).pipe(Effect.mapError((error) => `cannot connect (${error.message})`))
    if (response.status !== 200) return yield* Effect.fail(`${shown} answered HTTP ${response.status}`)
    const body = yield* response.json.pipe(Effect.orElseSucceed(() => undefined))
    const status = typeof body === "object" && body !== null && "status" in body ? body.status : undefined
    if (status !== "ok") return yield* Effect.fail(`${shown} answered ${JSON.stringify(body)}, not {"status":"ok"}`)
  })

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const unavailable = (reason: string) =>
  new FacadeError({ kind: "Unavailable", message: `metadata service unavailable: ${reason}` })

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/** a 200 answer that does not decode: the façade is broken, which is the service's trouble, not the client's */
const badAnswer = (what: string, error: Schema.SchemaError) =>
  unavailable(`the answer for ${what} is malformed (${
    formatIssues(error.issue).issues.slice(0, 3).map((issue) =>
      issue.path === undefined || issue.path.length === 0
        ? issue.message
        : `${issue.path.map(String).join(".")}: ${issue.message}`
    ).join("; ")
  })`)

/** the FacadeError a non-200 answer means, with the façade's `detail` when it sends one */
const failure = (response: HttpClientResponse.HttpClientResponse, what: string): Effect.Effect<never, FacadeError> =>
  response.json.pipe(
    Effect.map((body) =>
      typeof body === "object" && body !== null && "detail" in body && typeof body.detail === "string"
        ? body.detail
        : undefined
    ),
    Effect.orElseSucceed(() => undefined),
    Effect.flatMap((detail) => {
      const status = response.status
      if (status === 404) return Effect.fail(new FacadeError({ kind: "NotFound", message: `${what} not found` }))
      if (status === 400) {
        return Effect.fail(new FacadeError({ kind: "BadIdentifier", message: `bad identifier: ${detail ?? what}` }))
      }
      return Effect.fail(unavailable(`HTTP ${status} for ${what}${detail === undefined ? "" : `: ${detail}`}`))
    })
  )

const toFacadeError = (
  error: FacadeError | HttpClientError.HttpClientError | Cause.TimeoutError,
  timeout: Duration.Duration
): FacadeError => {
  if (error._tag === "FacadeError") return error
  if (Cause.isTimeoutError(error)) return unavailable(`no answer within ${Duration.format(timeout)}`)
  return unavailable(error.reason._tag === "TransportError" ? `cannot connect (${error.message})` : error.message)
}
