/**
 * What both transports put into a request the same way: the operation's name, code and DOIP v2.0 id, the
 * credentials, and content to upload.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { DoipOperationId, OperationCode } from "../../protocol/OperationCodes.ts"
import { InvalidRequestError } from "../ClientError.ts"
import type { ClientOptions, Content } from "../Transport.ts"

/**
 * The binary envelope's operation: its header code (0 when the operation has none; the server then goes by the
 * name) and the name its metadata carries (`list_operations`, as the upstream client spells it).
 *
 * @since 0.1.0
 */
export const binaryOperation = (operation: string | number): { readonly code: number; readonly name: string | undefined } => {
  const name = nameOf(operation)
  const code = typeof operation === "number" ? operation : (OperationCode as Record<string, number>)[name ?? ""] ?? 0
  return { code, name: name === "list_ops" ? "list_operations" : name }
}

/**
 * The DOIP v2.0 operation id: ours for the operations we know, anything else as given.
 *
 * @since 0.1.0
 */
export const doip2OperationId = (operation: string | number): Effect.Effect<string, InvalidRequestError> => {
  const name = nameOf(operation)
  return name === undefined
    ? Effect.fail(new InvalidRequestError({ message: `operation code ${operation} has no DOIP v2.0 id: name the operation` }))
    : Effect.succeed((DoipOperationId as Record<string, string>)[name] ?? name)
}

/**
 * The configured credentials as the wire carries them (binary: keys of the first metadata block; DOIP v2.0: the
 * `authentication` object), revealed only here.
 *
 * @since 0.1.0
 */
export const credentialFields = (credentials: ClientOptions["credentials"]): Record<string, string> => {
  if (credentials === undefined) return {}
  const reveal = (v: Redacted.Redacted<string> | string) => (typeof v === "string" ? v : Redacted.value(v))
  return {
    ...(credentials.token === undefined ? {} : { token: reveal(credentials.token) }),
    ...(credentials.username === undefined ? {} : { username: credentials.username }),
    ...(credentials.password === undefined ? {} : { password: reveal(credentials.password) })
  }
}

/**
 * Content as a size and a stream.
 *
 * @since 0.1.0
 */
export const sizedStream = <E>(content: Content<E>): { readonly size: number; readonly stream: Stream.Stream<Uint8Array, E> } =>
  content instanceof Uint8Array ? { size: content.length, stream: Stream.succeed(content) } : content

/**
 * The operation's name (`list_ops` for list operations): a code's, a DOIP v2.0 id's, or the name given;
 * `undefined` for a code that names no operation.
 *
 * @since 0.1.0
 */
export const operationName = (operation: string | number): string | undefined => nameOf(operation)

/**
 * `u` when it is a JSON object, else `undefined`.
 *
 * @since 0.1.0
 */
export const asRecord = (u: unknown): Record<string, unknown> | undefined =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : undefined

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const operationNames: Record<string, string> = {
  list_operations: "list_ops",
  ...Object.fromEntries(Object.entries(DoipOperationId).map(([name, id]) => [id, name]))
}

/** the operation's name: a code's, an operation id's, or the name given */
const nameOf = (operation: string | number): string | undefined =>
  typeof operation === "number"
    ? Object.entries(OperationCode).find(([, code]) => code === operation)?.[0]
    : operationNames[operation] ?? operation
