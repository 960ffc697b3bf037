/**
 * The HTTP gateway's routes, declared once: the server implements them (`GatewayHandlers.ts`) and `/openapi.json`
 * is generated from them, so the document can never drift from what is served.
 *
 * Three groups:
 *
 * - `upstream`: the MaRDI server's FastAPI gateway, same paths, parameters and answer shapes
 *   (`GET /doip/retrieve/{id}/{component}`, `GET /doip/search`, `POST /doip/purge/{id}`, `POST /doip/create`);
 * - `objects`: the objects as resources (`/doip/objects/...`: manifest, components up and down, delete, invoke,
 *   search with paging), `GET /doip/hello`, which the web page uses, and `GET /doip/events`, the changes as
 *   Server-Sent Events;
 * - `cordra`: the DOIP API for HTTP clients as Cordra serves it (`/doip?operationId=...&targetId=...`).
 *
 * Components travel as raw bytes both ways (declared as streams); everything else is JSON. Every endpoint may answer
 * the errors of `GatewayErrors`, as JSON `{error, message}`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import * as GatewayErrors from "./GatewayErrors.ts"

const errors = GatewayErrors.all

const ObjectParams = { objectId: Schema.String }
const ComponentParams = { objectId: Schema.String, componentId: Schema.String }

/** component bytes, as they are stored: any media type */
const Bytes = HttpApiSchema.StreamUint8Array({ contentType: "application/octet-stream" })

/** Server-Sent Events, written as they come */
const EventStream = HttpApiSchema.StreamUint8Array({ contentType: "text/event-stream" })

/** headers a download honours */
const DownloadHeaders = {
  range: Schema.optional(Schema.String),
  "if-none-match": Schema.optional(Schema.String),
  "if-range": Schema.optional(Schema.String)
}

const Json = Schema.Json

/** `?version=`: a commit id, as the object's versions list them */
const VersionQuery = { version: Schema.optional(Schema.String) }

/**
 * Upstream's create: raw (`label`, `description`, `claims`) or typed (`type`, `fields`), and the write token.
 *
 * @category models
 * @since 0.1.0
 */
export const CreateBody = Schema.Struct({
  label: Schema.optional(Schema.String),
  description: Schema.optional(Schema.String),
  claims: Schema.optional(Schema.JsonObject),
  type: Schema.optional(Schema.String),
  fields: Schema.optional(Schema.JsonObject),
  token: Schema.optional(Schema.String)
})

/**
 * @category groups
 * @since 0.1.0
 */
export class UpstreamGroup extends HttpApiGroup.make("upstream")
  .add(
    HttpApiEndpoint.get("retrieve", "/doip/retrieve/:objectId/:componentId", {
      params: ComponentParams,
      query: { force_reload: Schema.optional(Schema.String) },
      headers: DownloadHeaders,
      success: Bytes,
      error: errors
    }).annotate(OpenApi.Description, "A component's bytes as a download (`?force_reload` drops the cached manifest first)"),
    HttpApiEndpoint.get("search", "/doip/search", {
      query: {
        q: Schema.String,
        limit: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 50 }))),
        namespaces: Schema.optional(Schema.String)
      },
      success: Json,
      error: errors
    }).annotate(OpenApi.Description, "Search the knowledge graph: `{query, total_hits, results}`, as upstream answers"),
    HttpApiEndpoint.post("purge", "/doip/purge/:objectId", {
      params: ObjectParams,
      success: Json,
      error: errors
    }).annotate(OpenApi.Description, "Drop the cached manifest, so the next retrieve reads it afresh"),
    HttpApiEndpoint.post("create", "/doip/create", {
      payload: CreateBody,
      success: Json,
      error: errors
    }).annotate(
      OpenApi.Description,
      "Create a knowledge-graph item: raw (`label`, `description`, `claims`) or typed (`type`, `fields`); the write " +
        "credential as `token` in the body or in `Authorization`"
    )
  )
{}

/**
 * @category groups
 * @since 0.1.0
 */
export class ObjectsGroup extends HttpApiGroup.make("objects")
  .add(
    HttpApiEndpoint.get("hello", "/doip/hello", { success: Json, error: errors })
      .annotate(OpenApi.Description, "The server: name, version, operations, workflows and its dependencies' health"),
    HttpApiEndpoint.get("search", "/doip/objects", {
      query: {
        q: Schema.optional(Schema.String),
        pageNum: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
        pageSize: Schema.optional(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
        sortFields: Schema.optional(Schema.String),
        type: Schema.optional(Schema.Literals(["full", "id"]))
      },
      success: Json,
      error: errors
    }).annotate(
      OpenApi.Description,
      "Search the objects held here with the DOIP search syntax (`*`, `type:Dataset`, words): `{size, results}`"
    ),
    HttpApiEndpoint.get("manifest", "/doip/objects/:objectId", {
      params: ObjectParams,
      query: VersionQuery,
      success: Json,
      error: errors
    }).annotate(OpenApi.Description, "The object's FDO manifest (JSON-LD); `?version=` the manifest as it was at that version"),
    HttpApiEndpoint.get("versions", "/doip/objects/:objectId/versions", { params: ObjectParams, success: Json, error: errors })
      .annotate(
        OpenApi.Description,
        "The object's versions, newest first: `{objectId, versions: [{id, time, author, message, operation, components: " +
          "{added, changed, removed}}]}`; an `id` is what `?version=` takes"
      ),
    HttpApiEndpoint.get("events", "/doip/events", {
      query: { ids: Schema.optional(Schema.String), since: Schema.optional(Schema.String) },
      headers: { "last-event-id": Schema.optional(Schema.String) },
      success: EventStream,
      error: errors
    }).annotate(
      OpenApi.Description,
      "The changes of objects as they happen, as Server-Sent Events: one `data:` JSON `{objectId, version, operation, " +
        "time, components: {added, changed, removed}}` per change, its `id:` the version. `ids` (comma-separated) " +
        "picks objects (default all); `since` (or the `Last-Event-ID` header, which a browser's EventSource sends " +
        "when it reconnects) a version to resume after: the changes since come first. The first event, `watching`, " +
        "says where the stream starts (`{since}`); a failure mid-stream is an event `failure` (`{error, message}`), " +
        "then the end; comments keep an idle stream open."
    ),
    HttpApiEndpoint.delete("delete", "/doip/objects/:objectId", { params: ObjectParams, success: Json, error: errors })
      .annotate(OpenApi.Description, "Delete the object and every component (needs a credential)"),
    HttpApiEndpoint.get("download", "/doip/objects/:objectId/components/:componentId", {
      params: ComponentParams,
      query: VersionQuery,
      headers: DownloadHeaders,
      success: Bytes,
      error: [...errors, GatewayErrors.RangeNotSatisfiable]
    }).annotate(
      OpenApi.Description,
      "A component's bytes (`?version=`: as they were at that version); `Range` answers 206, `If-None-Match` with its ETag 304"
    ),
    HttpApiEndpoint.put("upload", "/doip/objects/:objectId/components/:componentId", {
      params: ComponentParams,
      payload: Bytes,
      success: Json,
      error: errors
    }).annotate(
      OpenApi.Description,
      "Store a component (needs a credential): the body is its content, streamed; `Content-Type` its media type"
    ),
    HttpApiEndpoint.post("invoke", "/doip/invoke/:objectId/:workflow", {
      params: { objectId: Schema.String, workflow: Schema.String },
      payload: Schema.optional(Schema.JsonObject),
      success: Json,
      error: errors
    }).annotate(
      OpenApi.Description,
      "Run a workflow on the object with the JSON body as its parameters: `{workflow, result, components}`; stored " +
        "only with a credential"
    )
  )
{}

const CordraQuery = {
  operationId: Schema.optional(Schema.String),
  o: Schema.optional(Schema.String),
  targetId: Schema.optional(Schema.String),
  t: Schema.optional(Schema.String),
  clientId: Schema.optional(Schema.String),
  attributes: Schema.optional(Schema.String)
}

const cordraDescription = "A DOIP operation as Cordra's DOIP API for HTTP clients takes it: `operationId` (or `o`, or " +
  "the path after /doip/) and `targetId` (or `t`) in the query, attributes as `attributes` (JSON) or " +
  "`attributes.<name>`, the input as the JSON body; answers the operation's output as JSON (an element's bytes " +
  "for a retrieve with `attributes.element`)."

/**
 * @category groups
 * @since 0.1.0
 */
export class CordraGroup extends HttpApiGroup.make("cordra")
  .add(
    HttpApiEndpoint.get("get", "/doip", { query: CordraQuery, success: Json, error: errors })
      .annotate(OpenApi.Description, `${cordraDescription} GET takes the operations that change nothing.`),
    HttpApiEndpoint.post("post", "/doip", {
      query: CordraQuery,
      payload: Schema.optional(Json),
      success: Json,
      error: errors
    }).annotate(OpenApi.Description, cordraDescription),
    HttpApiEndpoint.get("getPath", "/doip/:prefix/:operation", {
      params: { prefix: Schema.String, operation: Schema.String },
      query: CordraQuery,
      success: Json,
      error: errors
    }).annotate(OpenApi.Description, "As GET /doip, the operation id in the path (`/doip/0.DOIP/Op.Retrieve?targetId=...`)"),
    HttpApiEndpoint.post("postPath", "/doip/:prefix/:operation", {
      params: { prefix: Schema.String, operation: Schema.String },
      query: CordraQuery,
      payload: Schema.optional(Json),
      success: Json,
      error: errors
    }).annotate(OpenApi.Description, "As POST /doip, the operation id in the path (`/doip/0.DOIP/Op.Create?targetId=service`)")
  )
{}

/**
 * The whole gateway.
 *
 * @category api
 * @since 0.1.0
 */
export class GatewayApi extends HttpApi.make("effect-doip")
  .add(UpstreamGroup)
  .add(ObjectsGroup)
  .add(CordraGroup)
  .annotateMerge(OpenApi.annotations({
    title: "effect-doip HTTP gateway",
    description: "FAIR Digital Objects over HTTP: the DOIP operations of this server, for browsers, curl and DOIP " +
      "tools that speak HTTP. Writes need `Authorization: Bearer <token>` or Basic credentials."
  }))
{}
