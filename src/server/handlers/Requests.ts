/**
 * Small readers of request fields that several handlers share, each failing with a `BadRequest` that names the field.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as DigitalObject from "../../protocol/DigitalObject.ts"
import { badRequest, type DoipError, notFound } from "../../protocol/DoipError.ts"
import type { DoipRequest } from "../../protocol/DoipMessage.ts"
import { isReserved, parseComponentRef, parseObjectId } from "../../layers/storage/ObjectId.ts"
import type { ByteRange } from "../../layers/storage/Storage.ts"
import type { WikiWriter } from "../../layers/knowledge/KnowledgeGraph.ts"
import { parseTypeId } from "../../layers/metadata/TypeCatalog.ts"

/**
 * The request's object id, normalised (`q7` is `Q7`). An id that is not a QID names no object here, so it is
 * `NotFound`, as any object that does not exist (DOIP clients tell "no such object" from a malformed request by
 * that status); only a create, which would make the object, refuses it as a bad request (`parseId`).
 *
 * @since 0.1.0
 */
export const objectIdOf = (request: DoipRequest): Effect.Effect<string, DoipError> =>
  request.objectId === ""
    ? Effect.fail(badRequest(`${request.operation} needs an object id`))
    : Result.match(parseObjectId(request.objectId), {
      onFailure: (message) => Effect.fail(notFound(`object ${JSON.stringify(request.objectId)} does not exist: ${message}`)),
      onSuccess: Effect.succeed
    })

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
 * A component id, checked to be a plain file name. The form seed 000 and the upstream server use,
 * `doip:bitstream/{objectId}/{componentId}`, names the same component: it is accepted wherever a component id is, and
 * its object must be the request's (`objectId`, when given).
 *
 * @since 0.1.0
 */
export const componentIdOf = (value: string, objectId?: string | undefined): Effect.Effect<string, DoipError> =>
  Result.match(parseComponentRef(value, objectId), {
    onFailure: (message) => Effect.fail(badRequest(message)),
    onSuccess: (id) =>
      isReserved(id)
        ? Effect.fail(badRequest(`component id ${JSON.stringify(value)} is reserved for the server`))
        : Effect.succeed(id)
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

/**
 * The bytes of an element a retrieve asks for: `attributes.range` holds `start` and `end`, inclusive, each a
 * non-negative integer, absent or null (CNRI's `retrievePartialElement` sends both, null for the one left open). No
 * `start` asks for the last `end` bytes, no `end` for everything from `start` on; an `end` past the element ends
 * with it. `undefined` when the whole element is wanted.
 *
 * @since 0.1.0
 */
export const rangeOf = (request: DoipRequest, size: number): Effect.Effect<ByteRange | undefined, DoipError> => {
  const range = request.attributes["range"]
  if (range === undefined || range === null) return Effect.undefined
  if (typeof range !== "object" || Array.isArray(range)) {
    return Effect.fail(badRequest(`"range" must be an object with "start" and "end", got ${JSON.stringify(range)}`))
  }
  const { end, start } = range as { readonly start?: unknown; readonly end?: unknown }
  for (const [key, value] of [["start", start], ["end", end]] as const) {
    if (value !== undefined && value !== null && !(Number.isSafeInteger(value) && (value as number) >= 0)) {
      return Effect.fail(badRequest(`"range.${key}" must be a byte offset (an integer from 0), got ${JSON.stringify(value)}`))
    }
  }
  const from = start as number | null | undefined
  const to = end as number | null | undefined
  if (from === undefined || from === null) {
    if (to === undefined || to === null) return Effect.undefined
    // the last `to` bytes
    return Effect.succeed({ start: size - Math.min(to, size), end: size - 1 })
  }
  if (to !== undefined && to !== null && to < from) {
    return Effect.fail(badRequest(`"range" ends (${to}) before it starts (${from})`))
  }
  if (from >= size && !(from === 0 && size === 0)) {
    return Effect.fail(badRequest(`"range" starts at byte ${from}, past the end of the ${size}-byte element`))
  }
  return Effect.succeed({ start: from, end: to === undefined || to === null ? size - 1 : Math.min(to, size - 1) })
}

/**
 * The wiki user and bot password the request was authorized with, which the importer needs to write as that user;
 * a `BadRequest` saying what `what` needs when the request came with a token.
 *
 * @since 0.1.0
 */
export const wikiWriterOf = (request: DoipRequest, what: string): Effect.Effect<WikiWriter, DoipError> => {
  const { password, username } = request.credentials ?? {}
  return username === undefined || password === undefined
    ? Effect.fail(badRequest(`${what} needs the writer's wiki user name and bot password`))
    : Effect.succeed({ username, password })
}
