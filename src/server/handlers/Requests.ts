/**
 * Small readers of request fields that several handlers share, each failing with a `BadRequest` that names the field.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import { badRequest, type DoipError } from "../../protocol/DoipError.ts"
import type { DoipRequest } from "../../protocol/DoipMessage.ts"
import { parseComponentId, parseObjectId } from "../../layers/ObjectId.ts"

/**
 * The request's object id, normalised (`q7` is `Q7`).
 *
 * @since 0.1.0
 */
export const objectIdOf = (request: DoipRequest): Effect.Effect<string, DoipError> =>
  request.objectId === ""
    ? Effect.fail(badRequest(`${request.operation} needs an object id`))
    : Result.match(parseObjectId(request.objectId), {
      onFailure: (message) => Effect.fail(badRequest(message)),
      onSuccess: Effect.succeed
    })

/**
 * A component id, checked to be a plain file name.
 *
 * @since 0.1.0
 */
export const componentIdOf = (value: string): Effect.Effect<string, DoipError> =>
  Result.match(parseComponentId(value), {
    onFailure: (message) => Effect.fail(badRequest(message)),
    onSuccess: Effect.succeed
  })

/**
 * An optional string attribute.
 *
 * @since 0.1.0
 */
export const optionalString = (request: DoipRequest, key: string): Effect.Effect<string | undefined, DoipError> => {
  const value = request.attributes[key]
  if (value === undefined || value === null) return Effect.succeed(undefined)
  return typeof value === "string"
    ? Effect.succeed(value)
    : Effect.fail(badRequest(`"${key}" must be a string, got ${JSON.stringify(value)}`))
}
