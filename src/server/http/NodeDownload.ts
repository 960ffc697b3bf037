/**
 * A download written straight to Node's response from reused buffers, as the DOIP listeners write components
 * (`framings/Content.ts`): two 1 MiB buffers take turns, and a buffer is read into again only once Node has written
 * it out (its write's callback), so the bytes in flight never pass 2 MiB and no buffer is made per piece.
 *
 * Why not a `Stream` body: Effect's server writes whatever chunks a stream yields, and a storage stream yields a
 * fresh 1 MiB buffer per piece. Those are garbage the moment they are written, but V8 collects buffers only once
 * tens of MiB of them have piled up, so a large download held ~60 MiB more than the server needed. Written here, the
 * response has ended when the handler returns, and Effect's server leaves an ended response alone.
 *
 * @since 0.1.0
 */
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as Effect from "effect/Effect"
import type { HttpServerRequest } from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import type * as Http from "node:http"
import type { ContentReader } from "../../protocol/DoipMessage.ts"
import { DoipError } from "../../protocol/DoipError.ts"

/**
 * Writes `status`, `headers` and the reader's bytes to the request's Node response. Fails before the head is sent
 * when the first piece cannot be read (the handler's error answer is still possible then); after that, a failure
 * can only cut the response, and the client sees a body shorter than its `Content-Length`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const write = (
  request: HttpServerRequest,
  reader: ContentReader,
  status: number,
  headers: Record<string, string>
): Effect.Effect<HttpServerResponse.HttpServerResponse, DoipError> =>
  Effect.gen(function*() {
    const response = NodeHttpServerRequest.toServerResponse(request) as Http.ServerResponse
    const buffers = [Buffer.allocUnsafe(PIECE), Buffer.allocUnsafe(PIECE)] as const
    // per buffer, the write that still holds it (none yet)
    const inFlight: Array<Effect.Effect<void, DoipError> | undefined> = [undefined, undefined]
    let remaining = reader.size
    let turn = 0
    let headSent = false
    while (remaining > 0) {
      const buffer = buffers[turn]!
      const previous = inFlight[turn]
      if (previous !== undefined) yield* previous
      const read = yield* reader.read(buffer.subarray(0, Math.min(PIECE, remaining)))
      if (read === 0) {
        if (headSent) response.destroy()
        return yield* new DoipError({ kind: "InternalError", message: `the component ended ${remaining} bytes early` })
      }
      if (!headSent) {
        response.writeHead(status, { ...headers, "content-length": String(reader.size) })
        headSent = true
      }
      inFlight[turn] = written(response, buffer.subarray(0, read))
      remaining -= read
      turn = 1 - turn
    }
    if (!headSent) response.writeHead(status, { ...headers, "content-length": "0" })
    for (const pending of inFlight) if (pending !== undefined) yield* pending
    response.end()
    // ignored by the server, which sees the response ended
    return HttpServerResponse.empty({ status })
  }).pipe(
    Effect.onInterrupt(() =>
      Effect.sync(() => {
        const response = NodeHttpServerRequest.toServerResponse(request) as Http.ServerResponse
        if (!response.writableEnded) response.destroy()
      })
    )
  )

/** the buffer's bytes handed to Node, as an effect that completes when Node is done with them (or the client left) */
const written = (response: Http.ServerResponse, bytes: Buffer): Effect.Effect<void, DoipError> => {
  let done: Effect.Effect<void, DoipError> | undefined
  let resume: ((effect: Effect.Effect<void, DoipError>) => void) | undefined
  const settle = (effect: Effect.Effect<void, DoipError>) => {
    if (done !== undefined) return
    done = effect
    response.off("close", onClose)
    resume?.(effect)
  }
  const onClose = () => settle(Effect.fail(clientLeft))
  response.once("close", onClose)
  response.write(bytes, (error) => settle(error ? Effect.fail(clientLeft) : Effect.void))
  return Effect.callback<void, DoipError>((cb) => {
    if (done !== undefined) return cb(done)
    resume = cb
  })
}

const clientLeft = new DoipError({ kind: "Unavailable", message: "the client closed the connection during the download" })

/** one read, one write: the size the DOIP listeners use too */
const PIECE = 1024 * 1024
