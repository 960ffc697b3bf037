/**
 * Component content on its way out, for every framing: each batch of chunks the source yields is framed (the binary
 * envelope sends it as is, DOIP v2.0 adds chunk size lines) and written in one call behind what the connection has
 * queued, awaiting the socket before the next batch is read (that is the backpressure: memory holds a batch, not
 * the component).
 *
 * The announced size is a promise to the client (it is in a header already sent): content that runs longer or
 * shorter breaks the answer, and so does content that fails part-way. All three fail with `ResponseFailed`, and the
 * loop closes the connection, since the client can no longer find the next message.
 *
 * @since 0.1.0
 */
import type * as Arr from "effect/Array"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { OutgoingComponent } from "../../protocol/DoipMessage.ts"
import { type ConnectionError, type Output, ResponseFailed } from "../Listener.ts"

/**
 * @category encoding
 * @since 0.1.0
 */
export const streamContent = (
  output: Output,
  component: Pick<OutgoingComponent, "componentId" | "size" | "content">,
  frame: (chunks: Arr.NonEmptyReadonlyArray<Uint8Array>) => Arr.NonEmptyReadonlyArray<Uint8Array>
): Effect.Effect<void, ConnectionError<never>> =>
  Effect.suspend(() => {
    let seen = 0
    const mismatch = () =>
      new ResponseFailed({
        reason: `component ${JSON.stringify(component.componentId)} announced ${component.size} bytes but its content had ${seen}`
      })
    const content = component.content.pipe(
      Stream.mapError((error) => new ResponseFailed({ reason: error.message }))
    )
    return Stream.runForEachArray(content, (chunks): Effect.Effect<void, ConnectionError<never>> => {
      for (let i = 0; i < chunks.length; i++) seen += chunks[i]!.length
      return seen > component.size ? Effect.fail(mismatch()) : output.writeChunks(frame(chunks))
    }).pipe(
      Effect.flatMap(() => (seen === component.size ? Effect.void : Effect.fail(mismatch())))
    )
  })
