/**
 * A component as an HTTP download: `Content-Length`, `Content-Disposition`, `ETag` (the component's SHA-256),
 * `If-None-Match` answered 304 without reading a byte, and one `Range` answered 206 from storage's own ranged read.
 *
 * The bytes go from storage to the socket through two reused buffers (`NodeDownload.ts`), or as they are when storage
 * holds them in memory already: memory does not grow with the component's size.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { HttpServerRequest } from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import type { DoipError } from "../../protocol/DoipError.ts"
import type { OutgoingComponent } from "../../protocol/DoipMessage.ts"
import * as NodeDownload from "./NodeDownload.ts"

/**
 * The bytes a `Range` header selects of a component of `size` bytes: `undefined` when the header asks for the whole
 * component in effect (absent, not `bytes=`, malformed, or several ranges: HTTP lets a server answer those whole),
 * `"unsatisfiable"` when it selects no byte.
 *
 * @category parsing
 * @since 0.1.0
 */
export const parseRange = (
  header: string | undefined,
  size: number
): { readonly start: number; readonly end: number } | "unsatisfiable" | undefined => {
  if (header === undefined) return undefined
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header)
  if (match === null) return undefined
  const [, first, last] = match
  if (first === "" && last === "") return undefined
  if (first === "") {
    // the last `last` bytes
    const suffix = Number(last)
    if (suffix === 0 || size === 0) return "unsatisfiable"
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1)
  if (!Number.isSafeInteger(start) || start >= size) return "unsatisfiable"
  if (last !== "" && Number(last) < start) return undefined // invalid: ignored, as HTTP says
  return { start, end }
}

/**
 * The strong ETag of a component: its SHA-256, quoted (`undefined` when storage gave no checksum).
 *
 * @category formatting
 * @since 0.1.0
 */
export const etagOf = (component: OutgoingComponent): string | undefined => {
  const checksum = component.checksum
  if (checksum === undefined) return undefined
  const colon = checksum.indexOf(":")
  return `"${colon < 0 ? checksum : checksum.slice(colon + 1)}"`
}

/**
 * Whether an `If-None-Match` header names this ETag (or is `*`); weak tags compare by their value, as HTTP says for
 * this header.
 *
 * @category predicates
 * @since 0.1.0
 */
export const matchesNoneMatch = (header: string | undefined, etag: string | undefined): boolean => {
  if (header === undefined || etag === undefined) return false
  if (header.trim() === "*") return true
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag)
}

/**
 * The 304 for a client that holds this version already.
 *
 * @category constructors
 * @since 0.1.0
 */
export const notModified = (etag: string): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.empty({ status: 304, headers: { etag, "accept-ranges": "bytes" } })

/**
 * The 416 for a `Range` outside the component, with the component's size as HTTP asks.
 *
 * @category constructors
 * @since 0.1.0
 */
export const rangeNotSatisfiable = (size: number, header: string): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.jsonUnsafe(
    { error: "RangeNotSatisfiable", message: `${header} selects no byte of the ${size}-byte component` },
    { status: 416, headers: { "content-range": `bytes */${size}` } }
  )

/**
 * The download: the whole component (200) or, given `range` and the whole component's size, that part (206).
 *
 * @category constructors
 * @since 0.1.0
 */
export const respond = (
  request: HttpServerRequest,
  component: OutgoingComponent,
  options: {
    readonly filename: string
    readonly etag: string | undefined
    readonly range?: { readonly start: number; readonly end: number; readonly size: number } | undefined
  }
): Effect.Effect<HttpServerResponse.HttpServerResponse, DoipError> => {
  const headers: Record<string, string> = {
    "content-disposition": contentDisposition(options.filename),
    "accept-ranges": "bytes"
  }
  if (options.etag !== undefined) headers["etag"] = options.etag
  if (options.range !== undefined) {
    headers["content-range"] = `bytes ${options.range.start}-${options.range.end}/${options.range.size}`
  }
  const status = options.range === undefined ? 200 : 206
  // a media type Node will not put in a header (stored as a client sent it) must not make the bytes unreachable
  const mediaType = validHeaderValue.test(component.mediaType) ? component.mediaType : "application/octet-stream"
  if (request.method === "HEAD") {
    // the head alone: nothing is read from storage
    return Effect.succeed(HttpServerResponse.empty({
      status,
      headers: { ...headers, "content-type": mediaType, "content-length": String(component.size) }
    }))
  }
  if (component.bytes !== undefined) {
    return Effect.succeed(HttpServerResponse.uint8Array(component.bytes, { status, headers, contentType: mediaType }))
  }
  const open = component.open
  if (open === undefined) {
    return Effect.succeed(HttpServerResponse.stream(component.content, {
      status,
      headers,
      contentType: mediaType,
      contentLength: component.size
    }))
  }
  return Effect.scoped(Effect.flatMap(open, (reader) =>
    NodeDownload.write(request, reader, status, { ...headers, "content-type": mediaType })))
}

/**
 * `attachment` with the file name twice: plain ASCII for old clients (quotes, backslashes and control characters
 * replaced), and UTF-8 (RFC 6266 / 8187) for the rest.
 *
 * @category formatting
 * @since 0.1.0
 */
export const contentDisposition = (filename: string): string => {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_")
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc8187(filename)}`
}

/** what Node accepts in a header value */
const validHeaderValue = /^[\t\x20-\x7e\x80-\xff]*$/

const encodeRfc8187 = (value: string) =>
  encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
