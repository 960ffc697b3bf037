/**
 * An object's distribution: the file its manifest's schema.org profile says it is distributed as
 * (`profile.distribution[].contentUrl`, which the upstream server reads as the knowledge graph's P205), downloaded over
 * HTTP for an RO-Crate of an object whose components storage does not hold.
 *
 * The download streams: its body goes on into the crate as it arrives, so its size must be known before it does,
 * from `Content-Length`. A body of unknown length (chunked) cannot be announced before it has all arrived; it is
 * held in memory, which `maxBytes` bounds as it bounds every download. An answer slower than `timeout` (its head, or
 * any piece of its body) fails the download, and so does a non-2xx status, after up to 5 redirects.
 *
 * Messages name the object, never the URL (it may carry a token in its query); the log has the URL.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Stream from "effect/Stream"
import { redactUrl } from "../../layers/config/Redact.ts"
import { DoipError } from "../../protocol/DoipError.ts"

/**
 * Where the distribution is, and its media type when the manifest says it.
 *
 * @category models
 * @since 0.1.0
 */
export interface Source {
  readonly url: string
  readonly encodingFormat?: string | undefined
}

/**
 * A download under way: its head has arrived, its body streams.
 *
 * @category models
 * @since 0.1.0
 */
export interface Download {
  /** the last segment of the URL's path (`data.csv`), or `{objectId}.bin` when that names no file */
  readonly filename: string
  readonly mediaType: string
  readonly size: number
  /** from `Last-Modified`; the time of the download when it is absent */
  readonly modified: Date
  readonly content: Stream.Stream<Uint8Array, DoipError>
}

/**
 * @category models
 * @since 0.1.0
 */
export interface Options {
  readonly maxBytes: number
  readonly timeout: Duration.Input
}

/**
 * The first `http:` or `https:` URL among the profile's distributions (`contentUrl`, `contentURL` or `url`; the
 * `distribution` may be one object or a list), or `undefined` when there is none.
 *
 * @category parsing
 * @since 0.1.0
 */
export const sourceOf = (manifest: Readonly<Record<string, unknown>>): Source | undefined => {
  const profile = manifest["profile"]
  if (typeof profile !== "object" || profile === null) return undefined
  const distribution = (profile as Record<string, unknown>)["distribution"]
  const candidates: ReadonlyArray<unknown> = Array.isArray(distribution) ? distribution : [distribution]
  for (const candidate of candidates) {
    if (typeof candidate !== "object" || candidate === null) continue
    const entry = candidate as Record<string, unknown>
    const url = [entry["contentUrl"], entry["contentURL"], entry["url"]].find((u) => typeof u === "string" && isHttp(u))
    if (typeof url !== "string") continue
    const format = entry["encodingFormat"]
    return { url, encodingFormat: typeof format === "string" && format !== "" ? format : undefined }
  }
  return undefined
}

/**
 * Starts the download of `source` for object `objectId`: succeeds when its head has arrived (with a size within
 * `maxBytes`), and its body streams from `content`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const download = Effect.fnUntraced(function*(
  client: HttpClient.HttpClient,
  objectId: string,
  source: Source,
  options: Options
) {
  const timeout = Duration.fromInputUnsafe(options.timeout)
  const shown = redactUrl(source.url)
  const response = yield* HttpClient.followRedirects(client, 5).get(source.url).pipe(
    Effect.timeout(timeout),
    Effect.catch((error) =>
      fail(
        objectId,
        Cause.isTimeoutError(error) ? `no answer within ${Duration.format(timeout)}` : error.reason._tag,
        `${shown}: ${Cause.isTimeoutError(error) ? "timeout" : error.message}`
      )
    )
  )
  if (response.status < 200 || response.status > 299) {
    yield* discard(response)
    return yield* fail(objectId, `HTTP ${response.status}`, `${shown} answered HTTP ${response.status}`)
  }
  const body = response.stream.pipe(
    Stream.timeoutOrElse({
      duration: timeout,
      orElse: () => Stream.fail(unavailable(objectId, `no data for ${Duration.format(timeout)}`))
    }),
    Stream.catchIf(
      (error): error is Exclude<typeof error, DoipError> => error._tag !== "DoipError",
      (error) => Stream.fail(unavailable(objectId, `the download broke off (${error.reason._tag})`))
    )
  )
  const declared = contentLength(response)
  const modified = lastModified(response) ?? new Date(yield* Effect.clockWith((clock) => clock.currentTimeMillis))
  const described = {
    filename: filenameOf(source.url, objectId),
    mediaType: source.encodingFormat ?? mediaTypeOf(response),
    modified
  }
  if (declared !== undefined) {
    if (declared > options.maxBytes) {
      yield* discard(response)
      return yield* tooLarge(objectId, `${declared} bytes`, options.maxBytes)
    }
    return { ...described, size: declared, content: body } satisfies Download
  }
  // no length announced: the whole body has to arrive before the crate can announce its own
  const chunks: Array<Uint8Array> = []
  let size = 0
  yield* Stream.runForEachArray(body, (batch) => {
    for (const chunk of batch) {
      size += chunk.length
      chunks.push(chunk)
    }
    return size > options.maxBytes ? tooLarge(objectId, "more than that", options.maxBytes) : Effect.void
  })
  return { ...described, size, content: Stream.fromArray(chunks) } satisfies Download
})

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const isHttp = (url: string): boolean => {
  try {
    const protocol = new URL(url).protocol
    return protocol === "http:" || protocol === "https:"
  } catch {
    return false
  }
}

const unavailable = (objectId: string, why: string) =>
  new DoipError({ kind: "Unavailable", message: `the distribution of ${objectId} could not be downloaded: ${why}` })

/** fails with what the client reads, after logging what it does not (the URL) */
const fail = (objectId: string, why: string, detail: string) =>
  Effect.andThen(
    Effect.logWarning(`RO-Crate of ${objectId}: download of its distribution failed: ${detail}`),
    Effect.fail(unavailable(objectId, why))
  )

const tooLarge = (objectId: string, what: string, maxBytes: number) =>
  Effect.fail(
    new DoipError({
      kind: "TooLarge",
      message: `the distribution of ${objectId} is ${what}; an RO-Crate downloads at most ${maxBytes} bytes ` +
        `(rocrate.maxDownloadBytes)`
    })
  )

/** a response whose body is not wanted: opening its stream and closing it at once aborts the request */
const discard = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<void> =>
  Effect.scoped(Effect.ignore(Stream.toPull(response.stream)))

const contentLength = (response: HttpClientResponse.HttpClientResponse): number | undefined => {
  const value = response.headers["content-length"]
  return value !== undefined && /^[0-9]{1,15}$/.test(value.trim()) ? Number(value.trim()) : undefined
}

const lastModified = (response: HttpClientResponse.HttpClientResponse): Date | undefined => {
  const value = response.headers["last-modified"]
  const date = value === undefined ? undefined : new Date(value)
  return date !== undefined && !Number.isNaN(date.getTime()) ? date : undefined
}

const mediaTypeOf = (response: HttpClientResponse.HttpClientResponse): string => {
  const value = response.headers["content-type"]?.split(";")[0]?.trim()
  return value === undefined || value === "" ? "application/octet-stream" : value
}

/** a file name from the URL's last path segment, as a component id would be checked; else `{objectId}.bin` */
const filenameOf = (url: string, objectId: string): string => {
  const fallback = `${objectId}.bin`
  let name: string
  try {
    const path = new URL(url).pathname
    name = decodeURIComponent(path.slice(path.lastIndexOf("/") + 1))
  } catch {
    return fallback
  }
  // eslint-disable-next-line no-control-regex
  const plain = name !== "" && name !== "." && name !== ".." && name.length <= 255 && !/[/\\\u0000-\u001f\u007f]/.test(name)
  return plain ? name : fallback
}
