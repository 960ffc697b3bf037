/**
 * What our client got from the server in context, in the shapes the backend tests compare: a component's content as
 * text, and a refusal as the error kind and message the server answered with.
 */
import { assert } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { ClientError } from "../../src/client/ClientError.ts"
import * as DoipClient from "../../src/client/DoipClient.ts"
import { concatBytes } from "./Random.ts"

/** the content of a component, as the server streams it now */
export const contentOf = (objectId: string, componentId: string) =>
  Effect.gen(function*() {
    const client = yield* DoipClient.DoipClient
    const component = yield* client.retrieve(objectId, componentId)
    return new TextDecoder().decode(concatBytes(yield* Stream.runCollect(component.content)))
  }).pipe(Effect.scoped)

/** the error answer `call` got (any other outcome fails the test): its kind and message */
export const refusalOf = <A, R>(call: Effect.Effect<A, ClientError, R>) =>
  Effect.gen(function*() {
    // scoped: the answer to an element retrieve holds its connection until its scope ends
    const error = yield* Effect.flip(Effect.scoped(call))
    assert.strictEqual(error._tag, "ServerError", error.message)
    return { kind: error._tag === "ServerError" ? error.error : error._tag, message: error.message }
  })
