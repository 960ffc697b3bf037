/**
 * The transport-neutral request and response: what an operation handler sees and answers, whichever framing
 * (binary envelope, DOIP v2.0 segments, the upstream length-prefixed variant) carried it.
 *
 * A request's components arrive one at a time through `nextComponent`, each streaming from the connection: a handler
 * reads (or ignores) one component's content before it asks for the next. A response carries both renderings where
 * the two framings disagree: `metadata`/`workflow` blocks for the binary envelope, and `output`/`attributes` for
 * DOIP v2.0 (a digital object where the binary envelope has a manifest, say). Where `output` is absent, the DOIP v2.0
 * listener renders the metadata blocks.
 *
 * A response may also be long-lived (`events`): after its first segment it streams one JSON segment per event, for
 * as long as the events come and the client keeps the connection. Only DOIP v2.0 carries it; the binary envelope,
 * which announces a response's whole length in its header, refuses such an operation as `UnsupportedOperation`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type { Credentials } from "./Credentials.ts"
import type { DoipError } from "./DoipError.ts"

/**
 * @category models
 * @since 0.1.0
 */
export type JsonObject = Readonly<Record<string, unknown>>

/**
 * A component arriving with a request: its content streams from the connection and must be read before the next
 * component is asked for and before the handler answers (or not at all: unread content is skipped).
 *
 * @category models
 * @since 0.1.0
 */
export interface IncomingComponent {
  readonly componentId: string
  /** the media type the framing carried with the component, when it carries one */
  readonly mediaType: string | undefined
  /** the announced size, when the framing announces one */
  readonly size: number | undefined
  readonly content: Stream.Stream<Uint8Array, DoipError>
  /** `false` when the framing already tells that more follows this component (the binary envelope does) */
  readonly last: boolean | undefined
}

/**
 * Which listener a request came through, and where that listener is: hello answers with it.
 *
 * @category models
 * @since 0.1.0
 */
export interface Endpoint {
  readonly framing: "binary" | "doip2" | "upstream"
  readonly host: string
  readonly port: number
}

/**
 * @category models
 * @since 0.1.0
 */
export interface DoipRequest {
  /** the registry name of the operation (`hello`, `retrieve`, ..., or an extension's name) */
  readonly operation: string
  /** the target: an object id, or empty / the service id for service operations */
  readonly objectId: string
  /** the request's attributes (binary: the merged metadata blocks) with the credential keys removed */
  readonly attributes: JsonObject
  readonly credentials: Credentials | undefined
  /** the request's JSON input: DOIP v2.0's `input` or first input segment (a digital object for create/update) */
  readonly input: unknown
  /** the workflow block, when the request has one */
  readonly workflow: JsonObject | undefined
  /** the next component of the request, `undefined` after the last; the previous one's content is skipped */
  readonly nextComponent: Effect.Effect<IncomingComponent | undefined, DoipError>
  readonly endpoint: Endpoint
  /**
   * The client's address, as its connection reports it (`undefined` without a socket): failed authentications are
   * counted per address. Not part of `Endpoint`, which is one object per listener (hello's answer is kept per
   * endpoint).
   */
  readonly peer: string | undefined
}

/**
 * A component to send back. `content` yields exactly `size` bytes.
 *
 * @category models
 * @since 0.1.0
 */
export interface OutgoingComponent {
  readonly componentId: string
  readonly mediaType: string
  readonly size: number
  readonly content: Stream.Stream<Uint8Array, DoipError>
  /** `algorithm:hex` of the whole component (not of a range of it), when known: HTTP answers it as the ETag */
  readonly checksum?: string | undefined
  /**
   * The same bytes for a writer that reads them into buffers of its own (a listener, on its way to the socket):
   * `read` fills the front of `into` and says how many bytes it wrote, 0 at the end. Opened when the writer starts,
   * closed with the writer's scope.
   */
  readonly open?: Effect.Effect<ContentReader, DoipError, Scope.Scope> | undefined
  /** all of the content, when it is in memory already: written as it is, with no open and no read */
  readonly bytes?: Uint8Array | undefined
  /** the element's attributes as DOIP v2.0 sends them (`filename` and what its client gave it); else its id names it */
  readonly attributes?: Readonly<Record<string, unknown>> | undefined
}

/**
 * @category models
 * @since 0.1.0
 */
export interface ContentReader {
  /** the bytes `read` yields in all, never more */
  readonly size: number
  readonly read: (into: Uint8Array) => Effect.Effect<number, DoipError>
}

/**
 * @category models
 * @since 0.1.0
 */
export interface DoipResponse {
  readonly metadata: ReadonlyArray<JsonObject>
  readonly components: ReadonlyArray<OutgoingComponent>
  readonly workflow: ReadonlyArray<JsonObject>
  /** the DOIP v2.0 output JSON, when it is not the single metadata block */
  readonly output?: unknown
  /** the DOIP v2.0 response attributes */
  readonly attributes?: JsonObject | undefined
  /**
   * `true` when the handler answers this very object again and again (hello, list operations): a framing may then
   * keep its encoding instead of encoding it for every request. Such a response must never be changed.
   */
  readonly cacheable?: boolean | undefined
  /**
   * A long-lived answer: one JSON output segment per event, written as each comes (the connection's backpressure
   * holds the stream back while its client reads slowly). The answer ends when the stream ends (then with a last
   * segment `{error, message}` when it failed), or when the client closes the connection or sends its next request.
   * The first segment carries `attributes` and no output. Framings that cannot carry it answer `UnsupportedOperation`.
   */
  readonly events?: Stream.Stream<JsonObject, DoipError> | undefined
}

/**
 * A response of metadata blocks only.
 *
 * @category constructors
 * @since 0.1.0
 */
export const metadataResponse = (...metadata: ReadonlyArray<JsonObject>): DoipResponse => ({
  metadata,
  components: [],
  workflow: []
})

/**
 * A response whose binary rendering is `metadata` and whose DOIP v2.0 output is `output`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const dualResponse = (metadata: JsonObject, output: unknown): DoipResponse => ({
  metadata: [metadata],
  components: [],
  workflow: [],
  output
})

/**
 * A long-lived response streaming `events` (see `DoipResponse.events`), with `attributes` in its first segment.
 *
 * @category constructors
 * @since 0.1.0
 */
export const eventsResponse = (
  events: Stream.Stream<JsonObject, DoipError>,
  attributes?: JsonObject | undefined
): DoipResponse => ({
  metadata: [],
  components: [],
  workflow: [],
  events,
  ...(attributes === undefined ? {} : { attributes })
})

/**
 * The response's DOIP v2.0 output JSON: its own DOIP v2.0 rendering, else its metadata (one block, or the list of
 * them). What the DOIP v2.0 listener sends, and the HTTP gateway's Cordra-style route answers.
 *
 * @category formatting
 * @since 0.1.0
 */
export const outputOf = (response: DoipResponse): unknown =>
  Object.hasOwn(response, "output")
    ? response.output
    : response.metadata.length <= 1
    ? response.metadata[0]
    : response.metadata

/**
 * A request's component source when it has none.
 *
 * @category constructors
 * @since 0.1.0
 */
export const noComponents: Effect.Effect<IncomingComponent | undefined, DoipError> = Effect.succeed(undefined)
