/**
 * The upstream server's "compat" framing on port + 1, for the callers of existing upstream deployments: segments
 * are a 4-byte big-endian length and that many bytes, and a zero length ends a message (PROTOCOL.md, end of §2).
 * The DOIP v2.0 port serves a connection in this framing when its first byte is `0x00`.
 *
 * A request is one JSON segment naming the operation (`operationId` or `operation_id`: a DOIP v2.0 id, a name in any
 * case such as `HELLO`, or the binary envelope's code such as `1`, as the upstream server takes them; or the upstream
 * `operation` name), the target (`targetId`, `target_id`, `objectId` or `object_id`) and its attributes
 * (`attributes`, or the remaining keys, as the binary envelope's metadata: `element` or its upstream alias
 * `componentId`, `workflow`, `params`, credentials). Operations that take no components are served (hello, list_ops,
 * retrieve, invoke, search, purge, describe); the answer is one JSON segment `{"status":"success","metadata":[...],
 * "workflow":[...],"components":[{componentId, mediaType, size}],"attributes":{"filename":first component id}}`
 * (`attributes` only with components, as upstream sends it), then each non-empty component's bytes as one segment,
 * in that order, then the end. A failure is
 * `{"status":"error","error":kind,"message":text}` and the end.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Socket from "effect/socket/Socket"
import { concat } from "../../protocol/ByteQueue.ts"
import * as Credentials from "../../protocol/Credentials.ts"
import { badRequest, DoipError } from "../../protocol/DoipError.ts"
import { type DoipResponse, noComponents } from "../../protocol/DoipMessage.ts"
import { parseJsonObject } from "../../protocol/doip2/Codec.ts"
import * as PartReader from "../../protocol/PartReader.ts"
import * as LengthPrefixed from "../../protocol/upstream/Codec.ts"
import { type Connection, type ConnectionError, eventsUnsupported, type Exchange, type Framing, type Incoming } from "../Listener.ts"
import { type Opened, streamContent, whenReadable } from "./Content.ts"

/**
 * @category framings
 * @since 0.1.0
 */
export const framing: Framing = {
  name: "upstream",
  open: (connection) => new UpstreamExchange(connection)
}

/**
 * @category encoding
 * @since 0.1.0
 */
export const encodeError = (error: DoipError): Uint8Array =>
  concat([
    LengthPrefixed.encodeSegment(json({ status: "error", error: error.kind, message: error.message })),
    LengthPrefixed.endOfMessage
  ])

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

type ReadError = LengthPrefixed.LengthPrefixedError | Socket.SocketError

class UpstreamExchange implements Exchange<LengthPrefixed.LengthPrefixedError> {
  private readonly reader: PartReader.PartReader<LengthPrefixed.Part, LengthPrefixed.LengthPrefixedError, Socket.SocketError>
  private readonly connection: Connection
  private ended = true

  constructor(connection: Connection) {
    this.connection = connection
    this.reader = PartReader.make(
      LengthPrefixed.makeDecoder(connection.limits.maxMetadataSize),
      LengthPrefixed.isLengthPrefixedError,
      connection.input
    )
  }

  readonly isFramingError = LengthPrefixed.isLengthPrefixedError

  get next(): Effect.Effect<Incoming | undefined, ReadError> {
    return Effect.map(this.reader.next, (first) => {
      if (first === undefined) return undefined
      this.ended = first._tag === "End"
      return first._tag === "End"
        ? { _tag: "Invalid", error: badRequest("empty message: a request is one JSON segment") }
        : this.request(first.body)
    })
  }

  get skipRest(): Effect.Effect<void, ReadError> | undefined {
    if (this.ended) return undefined
    const self = this
    return Effect.gen(function*() {
      while (!self.ended) {
        const part = yield* self.reader.next
        if (part === undefined) {
          return yield* new LengthPrefixed.LengthPrefixedError({
            kind: "Truncated",
            message: "the connection ended inside a message"
          })
        }
        self.ended = part._tag === "End"
      }
    })
  }

  respond(response: DoipResponse): Effect.Effect<void, ConnectionError<never>> {
    if (response.events !== undefined) {
      this.respondError(eventsUnsupported(undefined))
      return Effect.void
    }
    // `"status":"success"` promises the content: it is opened before the first segment is queued
    return whenReadable(response.components, this.refuse, (opened) => this.write(response, opened))
  }

  respondError(error: DoipError) {
    this.connection.output.queue(encodeError(error))
  }

  /** a response whose content cannot be opened is answered with the error instead */
  private readonly refuse = (error: DoipError) => this.respondError(error)

  private write(response: DoipResponse, opened: Opened): Effect.Effect<void, ConnectionError<never>> {
    const { output } = this.connection
    output.queue(LengthPrefixed.encodeSegment(json({
      status: "success",
      metadata: response.metadata,
      workflow: response.workflow,
      components: response.components.map((c) => ({ componentId: c.componentId, mediaType: c.mediaType, size: c.size })),
      ...(response.components.length === 0 ? {} : { attributes: { filename: response.components[0]!.componentId } })
    })))
    return Effect.gen(function*() {
      // an empty component has no segment: a zero length would read as the end of the message
      for (let i = 0; i < response.components.length; i++) {
        const component = response.components[i]!
        if (component.size === 0) continue
        output.queue(LengthPrefixed.encodeLength(component.size))
        yield* streamContent(output, component, opened[i], (chunks) => chunks)
      }
      output.queue(LengthPrefixed.endOfMessage)
      yield* output.flushIfFull
    })
  }

  framingError(error: LengthPrefixed.LengthPrefixedError) {
    return encodeError(new DoipError({ kind: error.kind === "TooLarge" ? "TooLarge" : "ProtocolError", message: error.message }))
  }

  private request(body: Uint8Array): Incoming {
    const { operations, endpoint, peer } = this.connection
    const head = parseJsonObject(body, this.connection.limits.maxJsonDepth)
    if (typeof head === "string") return { _tag: "Invalid", error: badRequest(`request segment: ${head}`) }
    const { attributes, operationId, operation_id, operation: name, targetId, target_id, objectId, object_id, ...rest } =
      head
    const wanted = operationId ?? operation_id ?? name
    const operation = operationNamed(operations, wanted, name !== undefined && wanted === name)
    if (operation === undefined) {
      return {
        _tag: "Invalid",
        error: new DoipError({
          kind: "UnsupportedOperation",
          message: `operation ${JSON.stringify(wanted ?? null)} is not supported`
        })
      }
    }
    const target = targetId ?? target_id ?? objectId ?? object_id ?? ""
    const given = typeof attributes === "object" && attributes !== null ? { ...rest, ...attributes } : rest
    // upstream reads the component to retrieve from `element` or `componentId`
    const { componentId, ...others } = given as Record<string, unknown>
    const merged = componentId !== undefined && others["element"] === undefined ? { ...others, element: componentId } : given
    const { credentials, rest: plain } = Credentials.split(merged)
    return {
      _tag: "Request",
      operation,
      request: {
        operation: operation.name,
        objectId: typeof target === "string" ? target : String(target),
        attributes: plain,
        credentials,
        input: undefined,
        workflow: undefined,
        nextComponent: noComponents,
        endpoint,
        peer
      }
    }
  }
}

/**
 * The operation a request names: by the binary envelope's code when a number, else by DOIP v2.0 id or name, in any
 * case (`HELLO`); the upstream `operation` key (`byName`) by name alone.
 */
const operationNamed = (operations: Connection["operations"], wanted: unknown, byName: boolean) => {
  if (typeof wanted === "number") return Number.isInteger(wanted) ? operations.byCode(wanted) : undefined
  if (typeof wanted !== "string") return undefined
  if (byName) return operations.get(wanted) ?? operations.get(wanted.toLowerCase())
  return operations.byDoipId(wanted) ?? operations.get(wanted.toLowerCase())
}

const textEncoder = new TextEncoder()

const json = (value: unknown) => textEncoder.encode(JSON.stringify(value))
