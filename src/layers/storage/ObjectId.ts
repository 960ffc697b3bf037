/**
 * Object and component identifiers, and where a component lives in storage.
 *
 * Object ids are Wikibase-style QIDs (`Q` + digits; `q123` is normalised to `Q123`). A component id is an exact
 * file name inside its object's folder: the server never adds or infers an extension, and an id that could escape
 * the folder (`..`, `/`, absolute paths, NUL or control characters) is rejected.
 *
 * @since 0.1.0
 */
import * as Result from "effect/Result"

/**
 * The normalised object id (`Q123`), or a message saying what is wrong with the input.
 *
 * @category parsing
 * @since 0.1.0
 */
export const parseObjectId = (input: string): Result.Result<string, string> => {
  // the id as clients nearly always send it, already normal, is checked without a regex or a BigInt
  if (isNormal(input)) return Result.succeed(input)
  const trimmed = input.trim()
  const match = /^[qQ]([0-9]{1,18})$/.exec(trimmed)
  if (match === null) {
    return Result.fail(`object id ${JSON.stringify(truncate(input))} is not a QID (Q followed by digits, e.g. Q123)`)
  }
  return Result.succeed(`Q${BigInt(match[1]!).toString()}`)
}

/**
 * The component id unchanged, or a message saying why it cannot name a file in the object's folder.
 *
 * @category parsing
 * @since 0.1.0
 */
export const parseComponentId = (input: string, maxLength = 255): Result.Result<string, string> => {
  if (input.length === 0) return Result.fail("component id is empty")
  if (input.length > maxLength) return Result.fail(`component id is longer than ${maxLength} characters`)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(input)) return Result.fail("component id contains control characters")
  if (input.includes("/") || input.includes("\\")) {
    return Result.fail(`component id ${JSON.stringify(truncate(input))} must be a file name, not a path`)
  }
  if (input === "." || input === "..") return Result.fail(`component id ${JSON.stringify(input)} is not a file name`)
  return Result.succeed(input)
}

/**
 * A component id as clients may write it: plain (`fulltext.pdf`), or in the form seed 000 and the upstream server
 * use, `doip:bitstream/{objectId}/{componentId}`, whose object must then be `objectId` (when given). The plain
 * component id, checked by `parseComponentId`, or a message saying what is wrong.
 *
 * @category parsing
 * @since 0.1.0
 */
export const parseComponentRef = (input: string, objectId?: string | undefined): Result.Result<string, string> => {
  if (!input.startsWith(BITSTREAM)) return parseComponentId(input)
  const rest = input.slice(BITSTREAM.length)
  const slash = rest.indexOf("/")
  if (slash === -1) {
    return Result.fail(`component id ${JSON.stringify(truncate(input))} must be doip:bitstream/{objectId}/{componentId}`)
  }
  const named = parseObjectId(rest.slice(0, slash))
  if (Result.isFailure(named)) return Result.fail(`component id ${JSON.stringify(truncate(input))}: ${named.failure}`)
  const expected = objectId === undefined ? undefined : Result.getOrElse(parseObjectId(objectId), () => objectId)
  if (expected !== undefined && named.success !== expected) {
    return Result.fail(`component id ${JSON.stringify(truncate(input))} names object ${named.success}, not ${expected}`)
  }
  return parseComponentId(rest.slice(slash + 1))
}

const BITSTREAM = "doip:bitstream/"

/**
 * The component that records what an object says about itself (its DOIP type and content), stored beside its
 * components so that an object exists with no element at all and a change of its description alone is a change of
 * the object. `Storage.list` leaves it out, and clients cannot name it (`isReserved`).
 *
 * @category constants
 * @since 0.1.0
 */
export const RECORD_ID = ".doip-object.json"

/**
 * Whether a component id is the server's own (`RECORD_ID`), never a client's.
 *
 * @category parsing
 * @since 0.1.0
 */
export const isReserved = (componentId: string): boolean => componentId === RECORD_ID

/**
 * The shard folder of an object: the digits padded to six, the first six split into three two-digit folders.
 * `shard("Q123") === "00/01/23/Q123"`, `shard("Q6190920") === "61/90/92/Q6190920"`.
 *
 * @category paths
 * @since 0.1.0
 */
export const shard = (objectId: string): string => {
  const digits = objectId.slice(1).padStart(6, "0")
  return `${digits.slice(0, 2)}/${digits.slice(2, 4)}/${digits.slice(4, 6)}/${objectId}`
}

/**
 * The storage path of a component: `{shard}/components/{componentId}`.
 *
 * @category paths
 * @since 0.1.0
 */
export const componentPath = (objectId: string, componentId: string): string =>
  `${shard(objectId)}/components/${componentId}`

/**
 * The folder holding all components of an object (with a trailing slash, usable as a listing prefix).
 *
 * @category paths
 * @since 0.1.0
 */
export const componentsPrefix = (objectId: string): string => `${shard(objectId)}/components/`

/** `Q`, then 1 to 18 digits without a leading zero: what `parseObjectId` would answer unchanged */
const isNormal = (input: string): boolean => {
  const n = input.length
  if (n < 2 || n > 19 || input.charCodeAt(0) !== 81 /* Q */) return false
  if (input.charCodeAt(1) === 48 /* 0 */) return n === 2
  for (let i = 1; i < n; i++) {
    const c = input.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

const truncate = (s: string) => (s.length > 64 ? `${s.slice(0, 64)}…` : s)
