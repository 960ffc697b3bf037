/**
 * What a client transport is and carries: the connection options, the requests (`CallRequest`) and answers
 * (`Answer`, streamed elements), and the `Transport` interface each framing implements (`BinaryTransport.ts`,
 * `Doip2Transport.ts`). `DoipClient` builds its methods on a transport; the transports need nothing of `DoipClient`.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type { ClientError } from "./ClientError.ts"
import type { ConnectionState, ReconnectOptions } from "./Reconnect.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface ClientOptions {
  readonly host: string
  /** the binary listener's port for {@link layer}, the DOIP v2.0 listener's (binary + 1) for {@link layerDoip2} */
  readonly port: number
  /** `true` for TLS with the system's trusted CAs; an object to pin a CA or (for development) skip verification */
  readonly tls?: boolean | {
    /** PEM certificate(s) to trust instead of the system's */
    readonly ca?: string | Uint8Array | undefined
    /** `false` skips certificate verification (development only) */
    readonly verify?: boolean | undefined
    readonly servername?: string | undefined
  } | undefined
  /**
   * How long one attempt of a call may take until its answer starts, or is whole when it is read whole (default 30
   * seconds). A call that times out closes its connection and is not tried again.
   */
  readonly timeout?: Duration.Input | undefined
  /** how long opening one connection (TCP and TLS handshake) may take (default 10 seconds) */
  readonly connectTimeout?: Duration.Input | undefined
  /**
   * The most bytes of one answer the client holds in memory: a JSON segment or metadata block, and all of an answer
   * read whole (`call`, `invoke`) (default 64 MiB). Past it the call fails with an `AnswerTooLargeError` and the
   * connection is closed. Elements streamed by `retrieve(objectId, componentId)` are not held to it.
   */
  readonly maxAnswerSize?: number | undefined
  /**
   * How the client reconnects (see `Reconnect.ts`): back-off settings, or `false` to try every call once (a write
   * whose connection broke after it was sent still fails with `OutcomeUnknownError`). Default:
   * `Reconnect.defaults`.
   */
  readonly reconnect?: ReconnectOptions | false | undefined
  /** sent with writes: a token, or a username and password */
  readonly credentials?: {
    readonly token?: Redacted.Redacted<string> | string | undefined
    readonly username?: string | undefined
    readonly password?: Redacted.Redacted<string> | string | undefined
  } | undefined
  /** DOIP v2.0: the `targetId` of service operations (hello, list, create, search); default `effect-doip/service` */
  readonly serviceId?: string | undefined
}

/**
 * @category models
 * @since 0.1.0
 */
export type Protocol = "binary" | "doip2"

/**
 * An element as retrieved: `content` streams it from the connection. `size` is the size the server announced
 * (DOIP v2.0 servers other than this one may not announce it).
 *
 * @category models
 * @since 0.1.0
 */
export interface RetrievedComponent {
  readonly componentId: string
  readonly mediaType: string
  readonly size: number | undefined
  readonly content: Stream.Stream<Uint8Array, ClientError>
}

/**
 * An element as received in a whole answer (invoke, call), its bytes in memory.
 *
 * @category models
 * @since 0.1.0
 */
export interface ReceivedComponent {
  readonly componentId: string
  readonly mediaType: string
  readonly content: Uint8Array
}

/**
 * A whole answer, read to its end.
 *
 * | field | binary envelope | DOIP v2.0 |
 * |---|---|---|
 * | `output` | the first metadata block | the compact output, else the first JSON output segment (any JSON) |
 * | `metadata` | the metadata blocks | `[output]` when the output is a JSON object |
 * | `components` | the component blocks | the bytes segments, named by the `{"id","type"}` segment before each (or by `attributes.filename`) |
 * | `workflow` | the workflow blocks | the JSON output segments after the first that are not element headers |
 * | `attributes` | `{}` | the response's `attributes` |
 *
 * @category models
 * @since 0.1.0
 */
export interface Answer {
  readonly output: unknown
  readonly metadata: ReadonlyArray<Record<string, unknown>>
  readonly components: ReadonlyArray<ReceivedComponent>
  readonly workflow: ReadonlyArray<Record<string, unknown>>
  readonly attributes: Record<string, unknown>
}

/**
 * Content to upload: bytes, or a stream of exactly `size` bytes.
 *
 * @category models
 * @since 0.1.0
 */
export type Content<E = never> = Uint8Array | { readonly size: number; readonly stream: Stream.Stream<Uint8Array, E> }

/**
 * An element to upload. Without a media type the server keeps the element's current one, or uses
 * `application/octet-stream`.
 *
 * @category models
 * @since 0.1.0
 */
export interface NewElement<E = never> {
  readonly id: string
  readonly mediaType?: string | undefined
  readonly content: Content<E>
}

/**
 * Any request.
 *
 * - `operation`: a name (`retrieve`, `list_operations`, an extension's name), a DOIP v2.0 operation id
 *   (`0.DOIP/Op.Retrieve`), or a binary operation code. The binary envelope sends the code in its header and the
 *   name as the metadata's `operation`; DOIP v2.0 sends the operation id.
 * - `targetId`: the object id, or for service operations nothing (binary: an empty object id; DOIP v2.0: the
 *   service id of the options).
 * - `attributes`: DOIP v2.0's attributes; binary: the keys of the first metadata block.
 * - `input`: DOIP v2.0's input (compact, or the first input segment when there are elements); binary: an object
 *   input is merged into the first metadata block, as the upstream client sends create's `type` and `attributes`.
 * - `elements`: uploaded after the input (binary: component blocks).
 * - `authenticate`: send the options' credentials (default `true`).
 * - `metadata`, `workflow`: binary only, further metadata and workflow blocks as given.
 *
 * @category models
 * @since 0.1.0
 */
export interface CallRequest<E = never> {
  readonly operation: string | number
  readonly targetId?: string | undefined
  readonly attributes?: Readonly<Record<string, unknown>> | undefined
  readonly input?: unknown
  readonly elements?: ReadonlyArray<NewElement<E>> | undefined
  readonly authenticate?: boolean | undefined
  readonly metadata?: ReadonlyArray<Record<string, unknown>> | undefined
  readonly workflow?: ReadonlyArray<Record<string, unknown>> | undefined
}

/**
 * What a framing provides: carrying one request and reading its whole answer, and streaming one element.
 *
 * @category models
 * @since 0.1.0
 */
export interface Transport {
  readonly protocol: Protocol
  /** the connection's state now and at every change; it ends after `"closed"` */
  readonly connectionState: Stream.Stream<ConnectionState>
  readonly call: <E = never>(request: CallRequest<E>) => Effect.Effect<Answer, ClientError | E>
  /** streams one element; `attributes` go with the request beside `element` (a `version`, say) */
  readonly retrieveComponent: (
    objectId: string,
    componentId: string,
    attributes?: Readonly<Record<string, unknown>> | undefined
  ) => Effect.Effect<RetrievedComponent, ClientError, Scope.Scope>
  /**
   * A long-lived answer (a watch), on a connection of its own that closes with the scope: the answer's attributes
   * once it has begun, then its output segments, one JSON object each, as the server sends them. Only DOIP v2.0
   * carries one; the binary envelope has none.
   */
  readonly stream?: ((request: CallRequest) => Effect.Effect<StreamedAnswer, ClientError, Scope.Scope>) | undefined
  /** the reconnect options the transport was made with, for what rides out drops on top of it (a watch) */
  readonly reconnect?: ReconnectOptions | false | undefined
}

/**
 * A long-lived answer that has begun: its first segment's attributes, and its output segments as they come.
 *
 * @category models
 * @since 0.1.0
 */
export interface StreamedAnswer {
  readonly attributes: Record<string, unknown>
  readonly segments: Stream.Stream<Record<string, unknown>, ClientError>
}
