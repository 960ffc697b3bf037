/**
 * The transport-neutral request and response: what an operation handler sees and answers, whichever framing
 * (binary envelope, DOIP v2.0 segments) carried it.
 *
 * @since 0.1.0
 */
import type * as Stream from "effect/Stream"
import type { Credentials } from "./Credentials.ts"
import type { DoipError } from "./DoipError.ts"

/**
 * A component arriving with a request: its content streams from the connection and must be read before the
 * handler answers (or not at all).
 *
 * @category models
 * @since 0.1.0
 */
export interface IncomingComponent {
  readonly componentId: string
  readonly mediaType: string
  /** the announced size, when the framing announces one */
  readonly size: number | undefined
  readonly content: Stream.Stream<Uint8Array, DoipError>
}

/**
 * @category models
 * @since 0.1.0
 */
export interface DoipRequest {
  /** the operation name (`hello`, `retrieve`, ..., or an extension's name) */
  readonly operation: string
  readonly objectId: string
  /** the request's metadata with the credential keys removed */
  readonly attributes: Readonly<Record<string, unknown>>
  readonly credentials: Credentials | undefined
  /** the workflow block, when the request has one */
  readonly workflow: Readonly<Record<string, unknown>> | undefined
  /** the first component of the request, when it has one */
  readonly component: IncomingComponent | undefined
  /** whether the request holds anything after `component` (a second component or a workflow block) */
  readonly moreAfterComponent: boolean
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
}

/**
 * @category models
 * @since 0.1.0
 */
export interface DoipResponse {
  readonly metadata: ReadonlyArray<Readonly<Record<string, unknown>>>
  readonly components: ReadonlyArray<OutgoingComponent>
  readonly workflow: ReadonlyArray<Readonly<Record<string, unknown>>>
}

/**
 * A response of metadata blocks only.
 *
 * @category constructors
 * @since 0.1.0
 */
export const metadataResponse = (...metadata: ReadonlyArray<Readonly<Record<string, unknown>>>): DoipResponse => ({
  metadata,
  components: [],
  workflow: []
})
