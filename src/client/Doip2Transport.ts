/**
 * The client's DOIP v2.0 transport (PROTOCOL.md §2): many calls in flight on one connection.
 *
 * - Requests are written as soon as they are made, each with a fresh `requestId`, one whole request at a time (a
 *   lock serialises the writes, so an upload holds the other requests back only while it is written).
 * - One reader fiber per connection reads the answers. It reads an answer's first segment, finds the call whose
 *   `requestId` it echoes (in a map: nothing but the id ties an answer to its call) and hands the rest of the answer
 *   to that caller, as a stream when it holds an element. It reads on once that caller is done with the answer:
 *   read it to its end, or closed the scope the answer belongs to.
 * - An answer given up before its end when the caller's scope closed normally (an element left unread) is drained:
 *   the decoder skips the rest without buffering it, and the calls behind it go on. An answer given up by a failure
 *   or an interruption (a timeout, a broken stream) closes the connection instead: the server may be stuck half-way,
 *   and draining would wait on it. Answers whose caller stopped waiting before they began are drained.
 * - A timeout, a request that failed half-way, a broken answer, or the server closing the connection fails every
 *   call on the connection and closes it; the next call opens a fresh one. The calls that failed with it because
 *   the connection went (not the one whose own timeout or upload closed it) are made again as `Reconnect.ts` says:
 *   idempotent ones on the next connection, writes only when none of their bytes was sent (else
 *   `OutcomeUnknownError`).
 * - A status other than success is an error answer: 104 is a `NotFoundError`, any other a `ServerError` carrying the
 *   server's `attributes.message` (and kind: `attributes.error`, else the status's). It leaves the connection open.
 * - A long-lived answer (`stream`: a watch) gets a connection of its own, closed with its scope: the pipelined one
 *   would hold every later answer behind it. It is never retried here; `Watch.ts` resumes it.
 *
 * Credentials travel in the request's `authentication` object.
 *
 * @since 0.1.0
 */
import type * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import * as Socket from "effect/socket/Socket"
import * as Stream from "effect/Stream"
import * as DoipStatus from "../protocol/DoipStatus.ts"
import { DoipOperationId } from "../protocol/OperationCodes.ts"
import { parseComponentId } from "../layers/storage/ObjectId.ts"
import * as SegmentCodec from "../protocol/doip2/Codec.ts"
import {
  type ClientError,
  closedBeforeAnswer,
  ConnectionError,
  fromServer,
  fromSocketError,
  InvalidRequestError,
  type NotFoundError,
  ProtocolError,
  type ServerError
} from "./ClientError.ts"
import * as Reconnect from "./Reconnect.ts"
import type {
  Answer,
  CallRequest,
  ClientOptions,
  NewElement,
  ReceivedComponent,
  RetrievedComponent,
  StreamedAnswer,
  Transport
} from "./Transport.ts"
import {
  answerBudget,
  callTimeout,
  type Connection,
  maxAnswerSize,
  open,
  reusable,
  tooLarge,
  withTimeout
} from "./internal/connection.ts"
import { asRecord, credentialFields, doip2OperationId, sizedStream } from "./internal/requests.ts"

/**
 * The `targetId` of service operations when the options name none.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultServiceId = "effect-doip/service"

/**
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(options: ClientOptions) {
  const timeout = callTimeout(options)
  const limit = maxAnswerSize(options)
  const serviceId = options.serviceId ?? defaultServiceId
  const credentials = credentialFields(options.credentials)
  const authentication = Object.keys(credentials).length === 0 ? undefined : credentials
  let lastRequestId = 0

  const connections = yield* reusable(
    Effect.gen(function*() {
      const connection = yield* open(
        options,
        (bytes) =>
          bytes.pipe(Stream.pipeThroughChannel(SegmentCodec.decode({ limits: { maxJsonSegmentSize: limit } }))),
        toClientError(limit)
      )
      const pipeline: Pipeline = { ...connection, writeLock: Semaphore.makeUnsafe(1), waiting: new Map(), failure: undefined }
      // the reader lives in the connection's scope; when it fails, it closes that scope from another fiber (closing
      // it from its own would wait for itself to end)
      const tls = options.tls !== undefined && options.tls !== false
      yield* readAnswers(pipeline, timeout, tls, () => connections.answered()).pipe(
        Effect.catch((error) => Effect.asVoid(Effect.forkDetach(shutdown(pipeline, error)))),
        Effect.forkIn(connection.scope)
      )
      return pipeline
    }),
    (pipeline) => pipeline.failure === undefined
  )
  const policy = Reconnect.policy(options.reconnect, connections.hasAnswered)

  /**
   * Runs `exchange` with a request on the connection, within the call timeout; a timeout closes the connection.
   */
  const onPipeline = <A, E, R>(
    progress: Reconnect.Attempt,
    exchange: (pipeline: Pipeline) => Effect.Effect<A, E, R>
  ): Effect.Effect<A, E | ClientError, R> =>
    Effect.suspend(() => {
      let used: Pipeline | undefined
      return withTimeout(
        timeout,
        Effect.flatMap(connections.get, (pipeline) => {
          used = pipeline
          progress.connected = true
          return exchange(pipeline)
        }),
        Effect.suspend(() =>
          used === undefined ? Effect.void : shutdown(used, new ConnectionError({
            message: "the connection was closed: a call on it timed out"
          }))
        )
      )
    })

  /**
   * Sends a request and waits for its answer to begin. The answer belongs to the caller's scope: closing it gives
   * the connection back to the reader. An error answer is read to its end and fails.
   */
  const ask = <E>(
    pipeline: Pipeline,
    request: Outgoing<E>,
    progress: Reconnect.Attempt
  ): Effect.Effect<Incoming, ClientError | E, Scope.Scope> =>
    Effect.gen(function*() {
      const requestId = String(++lastRequestId)
      const bytes = yield* encodeRequest(requestId, request, request.authenticate ? authentication : undefined)
      const waiter: Waiter = { answer: Deferred.makeUnsafe(), handed: undefined }
      // registered before the waiter is: whatever happens next, the reader is never left waiting on this call
      yield* Effect.addFinalizer((exit) =>
        Effect.sync(() => {
          pipeline.waiting.delete(requestId)
          waiter.handed?.release(Exit.isSuccess(exit))
        })
      )
      if (pipeline.failure !== undefined) return yield* pipeline.failure
      pipeline.waiting.set(requestId, waiter)
      yield* send(pipeline, bytes, progress)
      const incoming = yield* Deferred.await(waiter.answer)
      const refusal = refusalOf(incoming.head)
      if (refusal !== undefined) {
        yield* drain(incoming.next)
        return yield* refusal
      }
      return incoming
    })

  const call = <E = never>(request: CallRequest<E>): Effect.Effect<Answer, ClientError | E> =>
    Effect.gen(function*() {
      if ((request.metadata?.length ?? 0) > 0 || (request.workflow?.length ?? 0) > 0) {
        return yield* new InvalidRequestError({ message: "metadata and workflow blocks belong to the binary envelope" })
      }
      const outgoing: Outgoing<E> = {
        operationId: yield* doip2OperationId(request.operation),
        targetId: request.targetId ?? serviceId,
        attributes: request.attributes,
        input: request.input,
        elements: request.elements ?? [],
        authenticate: request.authenticate !== false
      }
      return yield* Reconnect.retrying(
        policy,
        { operation: request.operation, objectId: request.targetId },
        (progress) =>
          onPipeline(progress, (pipeline) =>
            Effect.scoped(Effect.flatMap(ask(pipeline, outgoing, progress), (incoming) => readAnswer(incoming, limit))))
      )
    })

  /** one attempt of a retrieve of an element: its answer up to the element's first byte */
  const retrieveOnce = (
    objectId: string,
    componentId: string,
    progress: Reconnect.Attempt,
    asked?: Readonly<Record<string, unknown>>
  ): Effect.Effect<RetrievedComponent, ClientError, Scope.Scope> =>
    Effect.gen(function*() {
      const { first, incoming, pipeline } = yield* onPipeline(progress, (pipeline) =>
        Effect.gen(function*() {
          const incoming = yield* ask<never>(pipeline, {
            operationId: DoipOperationId.retrieve,
            targetId: objectId,
            attributes: { ...asked, element: componentId },
            input: undefined,
            elements: [],
            authenticate: false
          }, progress)
          return { first: yield* incoming.next, incoming, pipeline }
        })
      )
      // the specification lets a server name the element in a JSON segment (`{"id": ...}`) before its bytes
      const named = first?._tag === "Json" ? asRecord(yield* parseJson(first.body)) : undefined
      const bytes = first?._tag === "Json" ? yield* incoming.next : first
      if (bytes?._tag !== "Bytes") {
        return yield* new ProtocolError({
          message: `expected the element's bytes in the answer, got ${bytes === undefined ? "nothing" : "a JSON segment"}`
        })
      }
      const attributes = { ...asRecord(named?.["attributes"]), ...asRecord(incoming.head["attributes"]) }
      const content = bytes.content.pipe(
        Stream.mapError((error) => pipeline.failure ?? toClientError(limit)(error)),
        Stream.concat(Stream.fromEffectDrain(Effect.gen(function*() {
          const more = yield* incoming.next
          if (more !== undefined) return yield* new ProtocolError({ message: "the answer goes on after the element" })
          incoming.release(true) // read to its end: the reader goes on at once
        }))),
        Stream.tapError((error) => shutdown(pipeline, new ConnectionError({ message: `the connection was closed: ${error.message}` })))
      )
      return {
        // a server's file name names a file the caller may write: only a plain file name is taken
        componentId: fileName(string(attributes["filename"])) ?? componentId,
        mediaType: string(attributes["mediaType"]) ?? string(named?.["type"]) ?? "application/octet-stream",
        size: typeof attributes["length"] === "number" ? attributes["length"] : undefined,
        content
      } satisfies RetrievedComponent
    })

  const retrieveComponent = (objectId: string, componentId: string, asked?: Readonly<Record<string, unknown>>) =>
    Reconnect.retryingElement(policy, objectId, (progress) => retrieveOnce(objectId, componentId, progress, asked))

  const stream = (request: CallRequest): Effect.Effect<StreamedAnswer, ClientError, Scope.Scope> =>
    Effect.gen(function*() {
      if ((request.elements?.length ?? 0) > 0 || request.input !== undefined) {
        return yield* new InvalidRequestError({ message: "a long-lived answer is asked for with attributes only" })
      }
      const outgoing: Outgoing<never> = {
        operationId: yield* doip2OperationId(request.operation),
        targetId: request.targetId ?? serviceId,
        attributes: request.attributes,
        input: undefined,
        elements: [],
        authenticate: request.authenticate !== false
      }
      return yield* streamAnswer(options, outgoing, outgoing.authenticate ? authentication : undefined)
    })

  return {
    protocol: "doip2",
    connectionState: connections.state,
    call,
    retrieveComponent,
    stream,
    reconnect: options.reconnect
  } satisfies Transport
})

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

type Part = SegmentCodec.Part<Socket.SocketError>
type Segment = SegmentCodec.JsonSegment | SegmentCodec.BytesSegment<Socket.SocketError>

/** a connection, and the calls waiting on it for their answers */
interface Pipeline extends Connection<Part> {
  readonly writeLock: Semaphore.Semaphore
  readonly waiting: Map<string, Waiter>
  /** why the connection was closed; set once */
  failure: ClientError | undefined
}

interface Waiter {
  readonly answer: Deferred.Deferred<Incoming, ClientError>
  /** the answer once the reader handed it over */
  handed: Incoming | undefined
}

/** an answer handed to its caller: its first segment, and the rest one segment at a time */
interface Incoming {
  readonly head: Record<string, unknown>
  /** the answer's next segment, `undefined` after its end */
  readonly next: Effect.Effect<Segment | undefined, ClientError>
  /**
   * Gives the connection back to the reader. `clean` is false when the caller gave up by a failure or an
   * interruption: an answer left unread then closes the connection.
   */
  readonly release: (clean: boolean) => void
}

/** a request, its operation resolved */
interface Outgoing<E> {
  readonly operationId: string
  readonly targetId: string
  readonly attributes: Readonly<Record<string, unknown>> | undefined
  readonly input: unknown
  readonly elements: ReadonlyArray<NewElement<E>>
  readonly authenticate: boolean
}

const toClientError = (limit: number) => (error: SegmentCodec.SegmentError | Socket.SocketError): ClientError =>
  !SegmentCodec.isSegmentError(error)
    ? fromSocketError(error)
    : error.kind === "TooLarge"
    ? tooLarge(limit, `the answer is too large: ${error.message}`)
    : error.kind === "Truncated"
    ? new ConnectionError({ message: "the server closed the connection mid-answer" })
    : new ProtocolError({ message: `bad answer from the server: ${error.message}` })

const string = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)

/** fails every call on the connection with `error`, and no later call will use it (the first error stays) */
const markFailed = (pipeline: Pipeline, error: ClientError) => {
  if (pipeline.failure !== undefined) return
  pipeline.failure = error
  for (const waiter of pipeline.waiting.values()) Deferred.doneUnsafe(waiter.answer, Effect.fail(error))
  pipeline.waiting.clear()
}

/** fails every call on the connection with `error` and closes it */
const shutdown = (pipeline: Pipeline, error: ClientError): Effect.Effect<void> =>
  Effect.suspend(() => {
    markFailed(pipeline, error)
    return Scope.close(pipeline.scope, Exit.void)
  })

/** the reader: hands every answer to its caller, one after the other, until the connection fails */
const readAnswers = (
  pipeline: Pipeline,
  timeout: Duration.Duration,
  tls: boolean,
  onAnswer: () => void
): Effect.Effect<never, ClientError> =>
  Effect.gen(function*() {
    // the server's word on a request nobody waits for (a broken one, say), for when it then closes the connection
    let lastWord: string | undefined
    for (let answers = 0;; answers++) {
      // before any answer, a dropped connection is most likely a TLS server refusing plaintext: say so
      const part = yield* (answers > 0 ? pipeline.next : Effect.catchTag(pipeline.next, "ConnectionError", (error) =>
        Effect.fail(closedBeforeAnswer(tls, error.message === "the server closed the connection" ? undefined : error.message))))
      if (part === undefined) {
        if (answers === 0) return yield* closedBeforeAnswer(tls)
        return yield* new ConnectionError({
          message: `the server closed the connection${lastWord === undefined ? "" : ` after answering: ${lastWord}`}`
        })
      }
      if (part._tag !== "Json") {
        return yield* new ProtocolError({
          message: `bad answer from the server: it begins with ${part._tag === "End" ? "the end of a message" : "bytes"}`
        })
      }
      const head = SegmentCodec.parseJsonObject(part.body)
      if (typeof head === "string") return yield* new ProtocolError({ message: `bad answer from the server: ${head}` })
      onAnswer()
      const message = messageOf(pipeline)
      const requestId = head["requestId"]
      const waiter = typeof requestId === "string" ? pipeline.waiting.get(requestId) : undefined
      if (waiter === undefined) {
        lastWord = refusalOf(head)?.message ?? lastWord
        yield* withTimeout(timeout, drain(message.next))
        continue
      }
      pipeline.waiting.delete(requestId as string)
      const released = Deferred.makeUnsafe<void>()
      const incoming: Incoming = {
        head,
        next: message.next,
        release: (clean) => {
          // at once, so that no call made from now on is sent on a connection about to close
          if (!clean && !message.ended()) {
            markFailed(pipeline, new ConnectionError({ message: "the connection was closed: an answer on it was given up half-way" }))
          }
          Deferred.doneUnsafe(released, Effect.void)
        }
      }
      waiter.handed = incoming
      Deferred.doneUnsafe(waiter.answer, Effect.succeed(incoming))
      yield* Deferred.await(released)
      if (pipeline.failure !== undefined) return yield* pipeline.failure
      if (!message.ended()) yield* withTimeout(timeout, drain(message.next))
    }
  })

/** the segments of the answer being read, `undefined` at its end */
const messageOf = (pipeline: Pipeline) => {
  let ended = false
  const next: Effect.Effect<Segment | undefined, ClientError> = Effect.suspend(() => {
    if (ended) return Effect.succeed(undefined)
    if (pipeline.failure !== undefined) return Effect.fail(pipeline.failure)
    return Effect.flatMap(pipeline.next, (part) => {
      if (part === undefined) return Effect.fail(new ConnectionError({ message: "the server closed the connection mid-answer" }))
      if (part._tag !== "End") return Effect.succeed(part)
      ended = true
      return Effect.succeed(undefined)
    })
  })
  return { next, ended: () => ended }
}

/** reads segments up to the end of the answer; unread bytes are skipped by the decoder, not buffered */
const drain = (next: Effect.Effect<Segment | undefined, ClientError>): Effect.Effect<void, ClientError> =>
  Effect.gen(function*() {
    while ((yield* next) !== undefined) {
      // skipped
    }
  })

/**
 * A long-lived answer (a watch), on a connection of its own: it cannot share the pipelined one, whose later answers
 * would wait behind it for good. The request goes out, the answer's first segment must come within the call timeout;
 * then its output segments come as they come (no timeout: events come when they come), each held to the client's
 * `maxAnswerSize`, until the server ends the answer. A segment `{error, message}` fails the stream with that error,
 * as the server ends a watch that failed. The connection closes with the scope.
 */
const streamAnswer = (
  options: ClientOptions,
  request: Outgoing<never>,
  authentication: Record<string, string> | undefined
): Effect.Effect<StreamedAnswer, ClientError, Scope.Scope> =>
  Effect.gen(function*() {
    const limit = maxAnswerSize(options)
    const tls = options.tls !== undefined && options.tls !== false
    const bytes = yield* encodeRequest("1", request, authentication)
    const connection = yield* Effect.acquireRelease(
      open(
        options,
        (input) => input.pipe(Stream.pipeThroughChannel(SegmentCodec.decode({ limits: { maxJsonSegmentSize: limit } }))),
        toClientError(limit)
      ),
      (opened) => Scope.close(opened.scope, Exit.void)
    )
    const head = yield* withTimeout(
      callTimeout(options),
      Effect.gen(function*() {
        yield* Stream.runForEachArray(bytes, (chunks) => connection.writer.writeAll(chunks)).pipe(
          Effect.mapError(fromSocketError)
        )
        const first = yield* connection.next.pipe(
          Effect.catchTag("ConnectionError", (error) =>
            Effect.fail(closedBeforeAnswer(tls, error.message === "the server closed the connection" ? undefined : error.message)))
        )
        if (first === undefined) return yield* closedBeforeAnswer(tls)
        if (first._tag !== "Json") {
          return yield* new ProtocolError({ message: "bad answer from the server: it begins with no JSON segment" })
        }
        return yield* parseObject(first.body)
      })
    )
    const refusal = refusalOf(head)
    if (refusal !== undefined) return yield* refusal
    const pull: Effect.Effect<Arr.NonEmptyReadonlyArray<Record<string, unknown>>, ClientError | Cause.Done> = Effect.flatMap(
      connection.next,
      (part): Effect.Effect<Arr.NonEmptyReadonlyArray<Record<string, unknown>>, ClientError | Cause.Done> => {
        if (part === undefined) return Effect.fail(new ConnectionError({ message: "the server closed the connection mid-answer" }))
        if (part._tag === "End") return Cause.done()
        if (part._tag === "Bytes") {
          return Effect.fail(new ProtocolError({ message: "bad answer from the server: bytes in a stream of events" }))
        }
        return Effect.flatMap(parseObject(part.body), (value) => {
          const error = string(value["error"])
          return error === undefined
            ? Effect.succeed([value])
            : Effect.fail(fromServer(error, string(value["message"]) ?? error))
        })
      }
    )
    return { attributes: asRecord(head["attributes"]) ?? {}, segments: Stream.fromPull(Effect.succeed(pull)) }
  })

/** the error an answer's status stands for, `undefined` for success */
const refusalOf = (head: Record<string, unknown>): NotFoundError | ServerError | undefined => {
  const status = string(head["status"]) ?? ""
  const kind = DoipStatus.toErrorKind(status)
  if (kind === undefined) return undefined
  const attributes = asRecord(head["attributes"]) ?? {}
  const message = string(attributes["message"]) ?? `the server answered with status ${status === "" ? "(none)" : status}`
  return fromServer(kind === "NotFound" ? kind : string(attributes["error"]) ?? kind, message)
}

/** the request's bytes: its JSON is encoded at once (a value JSON cannot carry fails here), the elements stream */
const encodeRequest = <E>(
  requestId: string,
  request: Outgoing<E>,
  authentication: Record<string, string> | undefined
): Effect.Effect<Stream.Stream<Uint8Array, E>, InvalidRequestError> =>
  Effect.try({
    try: () => {
      const compact = request.input !== undefined && request.elements.length === 0
      const pieces: Array<Uint8Array | Stream.Stream<Uint8Array, E>> = [SegmentCodec.encodeJson({
        requestId,
        targetId: request.targetId,
        operationId: request.operationId,
        ...(request.attributes === undefined ? {} : { attributes: request.attributes }),
        ...(authentication === undefined ? {} : { authentication }),
        ...(compact ? { input: request.input } : {})
      })]
      if (request.elements.length > 0) {
        // the first input segment is the input (a digital object); the elements follow it, each named by a segment
        pieces.push(SegmentCodec.encodeJson(request.input ?? {}))
        for (const element of request.elements) {
          pieces.push(
            SegmentCodec.encodeJson({ id: element.id, ...(element.mediaType === undefined ? {} : { type: element.mediaType }) }),
            SegmentCodec.encodeBytes(sizedStream(element.content).stream)
          )
        }
      }
      pieces.push(SegmentCodec.endOfMessage)
      return Stream.flatten(Stream.fromIterable(coalesce(pieces)))
    },
    catch: (error) => new InvalidRequestError({ message: `the request cannot be sent as JSON: ${String(error)}` })
  })

/** neighbouring byte pieces as one write */
const coalesce = <E>(
  pieces: ReadonlyArray<Uint8Array | Stream.Stream<Uint8Array, E>>
): Array<Stream.Stream<Uint8Array, E>> => {
  const out: Array<Stream.Stream<Uint8Array, E>> = []
  let bytes: Array<Uint8Array> = []
  const flush = () => {
    if (bytes.length > 0) out.push(Stream.succeed(Buffer.concat(bytes)))
    bytes = []
  }
  for (const piece of pieces) {
    if (piece instanceof Uint8Array) {
      bytes.push(piece)
    } else {
      flush()
      out.push(piece)
    }
  }
  flush()
  return out
}

/** writes a whole request; one that fails half-way closes the connection, its own error going to its caller */
const send = <E>(
  pipeline: Pipeline,
  bytes: Stream.Stream<Uint8Array, E>,
  progress: Reconnect.Attempt
): Effect.Effect<void, ClientError | E> =>
  pipeline.writeLock.withPermit(Effect.suspend(() => {
    if (pipeline.failure !== undefined) return Effect.fail(pipeline.failure)
    return bytes.pipe(
      Stream.runForEachArray((chunks) => {
        progress.sent = true
        return pipeline.writer.writeAll(chunks)
      }),
      Effect.mapError((error) => (Socket.isSocketError(error) ? fromSocketError(error) : error as E)),
      Effect.onExit((exit) =>
        Exit.isSuccess(exit) ? Effect.void : shutdown(pipeline, new ConnectionError({
          message: "the connection was closed: a request on it failed half-way"
        }))
      )
    )
  }))

/** reads the rest of an answer into memory, at most `limit` bytes of it */
const readAnswer = (incoming: Incoming, limit: number): Effect.Effect<Answer, ClientError> =>
  Effect.gen(function*() {
    const budget = answerBudget(limit)
    const attributes = asRecord(incoming.head["attributes"]) ?? {}
    const json: Array<unknown> = Object.hasOwn(incoming.head, "output") ? [incoming.head["output"]] : []
    const components: Array<ReceivedComponent> = []
    // a JSON segment is an element's header when bytes follow it
    let pending: { readonly value: unknown } | undefined
    for (;;) {
      const segment = yield* incoming.next
      if (segment === undefined) break
      if (segment._tag === "Json") {
        yield* budget.take(segment.body.length)
        if (pending !== undefined) json.push(pending.value)
        pending = { value: yield* parseJson(segment.body) }
        continue
      }
      const header = asRecord(pending?.value) ?? {}
      pending = undefined
      const content = yield* budget.collect(Stream.mapError(segment.content, toClientError(limit)))
      components.push({
        componentId: string(header["id"]) ?? string(attributes["filename"]) ?? "",
        mediaType: string(header["type"]) ?? string(header["mediaType"]) ?? string(attributes["mediaType"]) ??
          "application/octet-stream",
        content
      })
    }
    if (pending !== undefined) json.push(pending.value)
    const [output, ...rest] = json
    const workflow: Array<Record<string, unknown>> = []
    for (const value of rest) {
      const block = asRecord(value)
      if (block === undefined) return yield* new ProtocolError({ message: "an output segment after the first is not a JSON object" })
      workflow.push(block)
    }
    const metadata = asRecord(output)
    return { output, metadata: metadata === undefined ? [] : [metadata], components, workflow, attributes } satisfies Answer
  })

const textDecoder = new TextDecoder("utf-8", { fatal: true })

const parseJson = (body: Uint8Array): Effect.Effect<unknown, ProtocolError> =>
  Effect.try({
    try: () => JSON.parse(textDecoder.decode(body)) as unknown,
    catch: () => new ProtocolError({ message: "bad answer from the server: an output segment is not JSON" })
  })

/** a segment that must hold a JSON object */
const parseObject = (body: Uint8Array): Effect.Effect<Record<string, unknown>, ProtocolError> =>
  Effect.flatMap(parseJson(body), (value) => {
    const record = asRecord(value)
    return record === undefined
      ? Effect.fail(new ProtocolError({ message: "bad answer from the server: a segment is not a JSON object" }))
      : Effect.succeed(record)
  })

/** `name` when it is a plain file name (no path, not `.` or `..`), else `undefined` */
const fileName = (name: string | undefined) =>
  name !== undefined && Result.isSuccess(parseComponentId(name)) ? name : undefined
