/**
 * Small readers of request fields that several handlers share, each failing with a `BadRequest` that names the field.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as DigitalObject from "../../protocol/DigitalObject.ts"
import { badRequest, type DoipError } from "../../protocol/DoipError.ts"
import type { DoipRequest } from "../../protocol/DoipMessage.ts"
import { parseComponentId, parseObjectId } from "../../layers/storage/ObjectId.ts"
import { parseTypeId } from "../../layers/metadata/TypeCatalog.ts"

/**
 * The request's object id, normalised (`q7` is `Q7`).
 *
 * @since 0.1.0
 */
export const objectIdOf = (request: DoipRequest): Effect.Effect<string, DoipError> =>
  request.objectId === ""
    ? Effect.fail(badRequest(`${request.operation} needs an object id`))
    : parseId(request.objectId)

/**
 * An object id, normalised.
 *
 * @since 0.1.0
 */
export const parseId = (value: string): Effect.Effect<string, DoipError> =>
  Result.match(parseObjectId(value), {
    onFailure: (message) => Effect.fail(badRequest(message)),
    onSuccess: Effect.succeed
  })

/**
 * The type id the request's object id names (`types/X`, or the full URI under `base`), `undefined` when it names no
 * type; a malformed type id (`types/`, `types/../x`) is a `BadRequest`.
 *
 * @since 0.1.0
 */
export const typeIdOf = (request: DoipRequest, base: string): Effect.Effect<string | undefined, DoipError> => {
  const parsed = parseTypeId(request.objectId, base)
  return parsed === undefined
    ? Effect.undefined
    : Result.match(parsed, { onFailure: (message) => Effect.fail(badRequest(message)), onSuccess: Effect.succeed })
}

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

/**
 * An optional boolean attribute; DOIP clients send flags as JSON booleans or as the strings `"true"`/`"false"`.
 *
 * @since 0.1.0
 */
export const optionalBoolean = (request: DoipRequest, key: string): Effect.Effect<boolean, DoipError> => {
  const value = request.attributes[key]
  if (value === undefined || value === null || value === false || value === "false") return Effect.succeed(false)
  if (value === true || value === "true") return Effect.succeed(true)
  return Effect.fail(badRequest(`"${key}" must be true or false, got ${JSON.stringify(value)}`))
}

/**
 * The request's input as a digital object (create, update).
 *
 * @since 0.1.0
 */
export const digitalObjectOf = (request: DoipRequest): Effect.Effect<typeof DigitalObject.DigitalObjectInput.Type, DoipError> =>
  Schema.decodeUnknownEffect(DigitalObject.DigitalObjectInput)(request.input).pipe(
    Effect.mapError((error) => badRequest(`${request.operation} input is not a digital object: ${error.message}`))
  )
