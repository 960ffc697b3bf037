/**
 * The DOIP client as an Effect service. Which framing it speaks is chosen by the layer:
 *
 * - {@link layer} / {@link make}: the binary envelope (PROTOCOL.md §1, port 3567), one call at a time on one
 *   reused connection (`BinaryTransport.ts`);
 * - {@link layerDoip2} / {@link makeDoip2}: DOIP v2.0 segments (PROTOCOL.md §2, port 3568), pipelined: many calls
 *   in flight on one connection, each answer matched to its call by `requestId` (`Doip2Transport.ts`).
 *
 * Both offer the same methods. A transport only knows how to carry a {@link CallRequest} and stream one element
 * back; every method here is a call, so each means the same on both. Where the framings' answers differ, the
 * method returns what the server answered on that framing: `hello`, `retrieve(objectId)`, `create` and `update`
 * return the binary envelope's metadata (an FDO manifest, a commit record) but DOIP v2.0's digital object.
 *
 * A call that fails half-way (a timeout, broken framing, a failed upload) closes the connection, and the next call
 * opens a fresh one. An error answer (`NotFoundError`, `ServerError`) leaves the connection open. A connection that
 * breaks or is refused is reopened with jittered exponential back-off, and calls that can safely be made again are
 * (`Reconnect.ts`: the options' `reconnect`); a write that broke after it was sent fails with
 * `OutcomeUnknownError`. `connectionState` tells when the client is connected.
 *
 * `versions(objectId)` lists the object's versions (the commits that changed it, newest first), and `retrieve` takes
 * one of them as `{ version }`: the object, or an element, as it was then.
 *
 * `watch(ids)` streams the changes of objects as they happen (DOIP v2.0 only), riding out dropped connections.
 *
 * `retrieve(objectId, componentId)` streams the element: its `content` holds its place on the connection until it
 * has been read to the end or the caller's scope closes (see each transport for what happens to unread content).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type { ChangeEvent } from "../protocol/ChangeEvent.ts"
import * as DigitalObject from "../protocol/DigitalObject.ts"
import { type ObjectVersion, VersionsAnswer } from "../protocol/ObjectVersion.ts"
import * as BinaryTransport from "./BinaryTransport.ts"
import { type ClientError, ProtocolError } from "./ClientError.ts"
import * as Doip2Transport from "./Doip2Transport.ts"
import type { ConnectionState } from "./Reconnect.ts"
import { asRecord } from "./internal/requests.ts"
import * as Watch from "./Watch.ts"
import type { WatchOptions } from "./Watch.ts"
import type {
  Answer,
  CallRequest,
  ClientOptions,
  Content,
  NewElement,
  Protocol,
  RetrievedComponent,
  Transport
} from "./Transport.ts"

// the models of a call and the transport interface live in `Transport.ts`; they are part of this API too
export type * from "./Transport.ts"
// a version as `versions` gives it, the same model the server answers with
export type { ObjectVersion } from "../protocol/ObjectVersion.ts"
export type { ConnectionState, ReconnectOptions } from "./Reconnect.ts"
// a change as `watch` gives it, and how to watch
export type { ChangeEvent } from "../protocol/ChangeEvent.ts"
export type { WatchOptions } from "./Watch.ts"

/**
 * The description of an object to create. Without an `id` the server picks the next free one.
 *
 * @category models
 * @since 0.1.0
 */
export interface NewObject {
  readonly id?: string | undefined
  readonly type?: string | undefined
  /** `content` holds the object's own metadata (a JSON object) */
  readonly attributes?: Readonly<Record<string, unknown>> | undefined
}

/**
 * @category models
 * @since 0.1.0
 */
export interface SearchOptions {
  /** 0-based page (default 0) */
  readonly pageNum?: number | undefined
  /** results per page (default: all) */
  readonly pageSize?: number | undefined
  /** `"field ASC,other DESC"` */
  readonly sortFields?: string | undefined
  /** `"id"` for ids, `"full"` (the default) for digital objects */
  readonly type?: "id" | "full" | undefined
}

/**
 * @category models
 * @since 0.1.0
 */
export interface RetrieveOptions {
  /** a commit id (as `versions` lists them): the object, or the element, as it was at that commit */
  readonly version?: string | undefined
}

/**
 * `size` counts every match, `results` holds one page of them: ids, or digital objects.
 *
 * @category models
 * @since 0.1.0
 */
export interface SearchResult {
  readonly size: number
  readonly results: ReadonlyArray<string | DigitalObject.DigitalObject>
}

/**
 * @category services
 * @since 0.1.0
 */
export class DoipClient extends Context.Service<DoipClient, {
  readonly protocol: Protocol
  /**
   * The connection's state now, then at every change: `connecting`, `connected`, `reconnecting` (lost; the next call
   * connects again), `closed` (the client's scope closed; the stream ends after it). See `Reconnect.ts`.
   */
  readonly connectionState: Stream.Stream<ConnectionState>
  /** binary: the upstream hello record; DOIP v2.0: the service's digital object */
  readonly hello: () => Effect.Effect<Record<string, unknown>, ClientError>
  /** binary: the names of `availableOperations`; DOIP v2.0: the service's operation ids */
  readonly listOps: () => Effect.Effect<ReadonlyArray<string>, ClientError>
  readonly retrieve: {
    /** binary: the object's FDO manifest; DOIP v2.0: the digital object; with `version`, as it was then */
    (objectId: string, options?: RetrieveOptions): Effect.Effect<Record<string, unknown>, ClientError>
    (objectId: string, componentId: string, options?: RetrieveOptions): Effect.Effect<RetrievedComponent, ClientError, Scope.Scope>
  }
  /** the object's versions, newest first */
  readonly versions: (objectId: string) => Effect.Effect<ReadonlyArray<ObjectVersion>, ClientError>
  /** replaces or adds one element, leaving the others */
  readonly updateComponent: <E = never>(
    objectId: string,
    componentId: string,
    content: Content<E>,
    mediaType?: string
  ) => Effect.Effect<Record<string, unknown>, ClientError | E>
  /** binary: the commit record (`objectId`, `componentIds`, `commitId`); DOIP v2.0: the new digital object */
  readonly create: <E = never>(
    object: NewObject,
    elements: ReadonlyArray<NewElement<E>>
  ) => Effect.Effect<Record<string, unknown>, ClientError | E>
  /** binary: the commit record; DOIP v2.0: the response's attributes (a delete has no output) */
  readonly delete: (objectId: string) => Effect.Effect<Record<string, unknown>, ClientError>
  readonly search: (query: string, options?: SearchOptions) => Effect.Effect<SearchResult, ClientError>
  readonly invoke: (
    objectId: string,
    workflow: string,
    params?: Readonly<Record<string, unknown>>
  ) => Effect.Effect<Answer, ClientError>
  readonly purge: (objectId: string) => Effect.Effect<Record<string, unknown>, ClientError>
  /**
   * The changes of the objects `ids` (every object when none are given) as they happen, for as long as the stream is
   * read; after `options.since` (a version) when given, the changes since first. A dropped connection is ridden out:
   * the stream connects again and resumes after the last event it gave (`Watch.ts`). DOIP v2.0 only: over the binary
   * envelope it fails at once with an `InvalidRequestError`.
   */
  readonly watch: (ids?: ReadonlyArray<string>, options?: WatchOptions) => Stream.Stream<ChangeEvent, ClientError>
  readonly call: <E = never>(request: CallRequest<E>) => Effect.Effect<Answer, ClientError | E>
}>()("effect-doip/client/DoipClient") {}

/**
 * The service's methods, as calls on a transport.
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromTransport = (transport: Transport): DoipClient["Service"] => {
  const { call } = transport
  const output = (answer: Answer) => record(answer.output)

  function retrieve(objectId: string, options?: RetrieveOptions): Effect.Effect<Record<string, unknown>, ClientError>
  function retrieve(
    objectId: string,
    componentId: string,
    options?: RetrieveOptions
  ): Effect.Effect<RetrievedComponent, ClientError, Scope.Scope>
  function retrieve(
    objectId: string,
    componentOrOptions?: string | RetrieveOptions,
    options?: RetrieveOptions
  ): Effect.Effect<any, ClientError, any> {
    if (typeof componentOrOptions === "string") {
      return transport.retrieveComponent(objectId, componentOrOptions, versionAttribute(options))
    }
    return Effect.map(
      call({ operation: "retrieve", targetId: objectId, attributes: versionAttribute(componentOrOptions), authenticate: false }),
      output
    )
  }

  return DoipClient.of({
    protocol: transport.protocol,
    connectionState: transport.connectionState,
    hello: () => Effect.map(call({ operation: "hello", authenticate: false }), output),
    listOps: () =>
      Effect.flatMap(call({ operation: "list_operations", authenticate: false }), (answer) => {
        const names = Array.isArray(answer.output)
          ? answer.output
          : Object.keys(record(record(answer.output)["availableOperations"]))
        return names.every((name) => typeof name === "string")
          ? Effect.succeed(names as ReadonlyArray<string>)
          : Effect.fail(new ProtocolError({ message: "the list of operations holds something other than names" }))
      }),
    retrieve,
    updateComponent: (objectId, componentId, content, mediaType = "application/octet-stream") =>
      Effect.map(
        call({
          operation: "update",
          targetId: objectId,
          // binary: `element` names the one component block; DOIP v2.0: the input object (no `elements` list: the
          // other elements stay) and the element after it
          attributes: { element: componentId },
          input: { id: objectId },
          elements: [{ id: componentId, mediaType, content }]
        }),
        output
      ),
    create: (object, elements) =>
      Effect.map(
        call({
          operation: "create",
          targetId: object.id,
          input: {
            ...(object.id === undefined ? {} : { id: object.id }),
            ...(object.type === undefined ? {} : { type: object.type }),
            ...(object.attributes === undefined ? {} : { attributes: object.attributes })
          },
          elements
        }),
        output
      ),
    delete: (objectId) =>
      Effect.map(call({ operation: "delete", targetId: objectId }), (answer) =>
        answer.output === undefined ? answer.attributes : output(answer)),
    search: (query, options) =>
      call({
        operation: "search",
        authenticate: false,
        attributes: {
          query,
          ...(options?.pageNum === undefined ? {} : { pageNum: options.pageNum }),
          ...(options?.pageSize === undefined ? {} : { pageSize: options.pageSize }),
          ...(options?.sortFields === undefined ? {} : { sortFields: options.sortFields }),
          ...(options?.type === undefined ? {} : { type: options.type })
        }
      }).pipe(Effect.flatMap((answer) =>
        decodeSearchResult(answer.output).pipe(
          Effect.mapError((error) => new ProtocolError({ message: `the search answer is not {size, results}: ${error.message}` }))
        )
      )),
    invoke: (objectId, workflow, params = {}) =>
      call({ operation: "invoke", targetId: objectId, attributes: { workflow, params } }),
    watch: (ids, options) => Watch.watch(transport, ids, options),
    purge: (objectId) => Effect.map(call({ operation: "purge", targetId: objectId, authenticate: false }), output),
    versions: (objectId) =>
      call({ operation: "versions", targetId: objectId, authenticate: false }).pipe(
        Effect.flatMap((answer) =>
          decodeVersions(output(answer)).pipe(
            Effect.mapError((error) => new ProtocolError({ message: `the versions answer is not {versions: [...]}: ${error.message}` }))
          )
        ),
        Effect.map((answer) => answer.versions)
      ),
    call
  })
}

/**
 * A client speaking the binary envelope. The connection closes with the scope.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: ClientOptions): Effect.Effect<DoipClient["Service"], never, Scope.Scope> =>
  Effect.map(BinaryTransport.make(options), fromTransport)

/**
 * A client speaking DOIP v2.0 segments (`options.port` is the DOIP v2.0 port). The connection closes with the scope.
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeDoip2 = (options: ClientOptions): Effect.Effect<DoipClient["Service"], never, Scope.Scope> =>
  Effect.map(Doip2Transport.make(options), fromTransport)

/**
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: ClientOptions): Layer.Layer<DoipClient> => Layer.effect(DoipClient, make(options))

/**
 * @category layers
 * @since 0.1.0
 */
export const layerDoip2 = (options: ClientOptions): Layer.Layer<DoipClient> =>
  Layer.effect(DoipClient, makeDoip2(options))

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const record = (u: unknown): Record<string, unknown> => asRecord(u) ?? {}

const versionAttribute = (options: RetrieveOptions | undefined) =>
  options?.version === undefined ? undefined : { version: options.version }

const decodeVersions = Schema.decodeUnknownEffect(VersionsAnswer)

const decodeSearchResult = Schema.decodeUnknownEffect(Schema.Struct({
  size: Schema.Number,
  results: Schema.Array(Schema.Union([Schema.String, DigitalObject.DigitalObjectInput]))
}))
