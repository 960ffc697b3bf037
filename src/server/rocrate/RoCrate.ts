/**
 * The RO-Crate of an object, built when it is retrieved (element `rocrate`, when storage holds no component of that
 * name): a zip streamed as it is built, holding the object's components and `ro-crate-metadata.json`. When storage
 * holds none of the object's components but its manifest names a distribution, the crate wraps that file, downloaded
 * as it streams into the zip (`Distribution`).
 *
 * Nothing is buffered or spooled: the zip's length is computed before its first byte (`StoredZip`), the components
 * stream from storage one after another, and the metadata comes last, after the files, so a downloaded file's SHA-256
 * (computed as it passes) can be in it; a stored component's comes from storage (`ComponentStat.checksum`). A stored
 * component named `ro-crate-metadata.json` would clash with the crate's own and is left out.
 *
 * The upstream server answers the crate as one component `rocrate`, `application/zip`; so does this.
 *
 * @since 0.1.0
 */
import * as Arr from "effect/Array"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import { ServerConfig } from "../../layers/config/ServerConfig.ts"
import { FdoFacade, type Manifest } from "../../layers/metadata/FdoFacade.ts"
import * as DigitalObject from "../../protocol/DigitalObject.ts"
import { DoipError, notFound } from "../../protocol/DoipError.ts"
import type { OutgoingComponent } from "../../protocol/DoipMessage.ts"
import { type ComponentStat, Storage, type StorageReader } from "../../layers/storage/Storage.ts"
import { logLeftOut, storageToDoipError } from "../ServiceErrors.ts"
import * as CrateMetadata from "./CrateMetadata.ts"
import * as Distribution from "./Distribution.ts"
import * as StoredZip from "./StoredZip.ts"

/**
 * The element id a crate is retrieved by, and the component id it is answered as.
 *
 * @category constants
 * @since 0.1.0
 */
export const elementId = "rocrate"

/**
 * @category constants
 * @since 0.1.0
 */
export const mediaType = "application/zip"

/**
 * One file for the crate.
 *
 * @category models
 * @since 0.1.0
 */
export interface CrateFile {
  /** its name in the archive */
  readonly path: string
  /** the name a person reads, when not `path` */
  readonly name?: string | undefined
  readonly mediaType: string
  readonly size: number
  readonly modified: Date
  /** hex; computed as the content streams when not known */
  readonly sha256: string | undefined
  readonly contentUrl?: string | undefined
  readonly content: Stream.Stream<Uint8Array, DoipError>
}

/**
 * The crate of `files` as an answer's component: its size computed, its bytes streamed when the answer is written.
 * Fails with `TooLarge` when the zip would need zip64.
 *
 * @category constructors
 * @since 0.1.0
 */
export const crate = (
  root: Omit<CrateMetadata.Root, "datePublished">,
  files: ReadonlyArray<CrateFile>
): Effect.Effect<OutgoingComponent, DoipError> => {
  const modified = new Date(Math.max(0, ...files.map((file) => file.modified.getTime())))
  const rootEntity: CrateMetadata.Root = { ...root, datePublished: modified.toISOString() }
  const parts = (digest: (file: CrateFile, i: number) => string) =>
    files.map((file, i): CrateMetadata.Part => ({
      path: file.path,
      name: file.name,
      encodingFormat: file.mediaType,
      contentSize: file.size,
      sha256: digest(file, i),
      contentUrl: file.contentUrl
    }))
  // the metadata's length, with a digest still to be computed standing in for itself
  const metadataSize = CrateMetadata.render(rootEntity, parts((file) => file.sha256 ?? CrateMetadata.digestPlaceholder)).length
  const sizes = [...files.map((file) => ({ name: file.path, size: file.size })), { name: CrateMetadata.fileName, size: metadataSize }]
  return StoredZip.check(sizes).pipe(
    Effect.mapError((error) => new DoipError({ kind: "TooLarge", message: `the RO-Crate of ${root.objectId}: ${error.message}` })),
    Effect.as({
      componentId: elementId,
      mediaType,
      size: StoredZip.length(sizes),
      // built afresh for each reader: the digests computed on the way are this stream's own
      content: Stream.suspend(() => {
        const digests = files.map((file) => file.sha256)
        const entries: Array<StoredZip.Entry<DoipError>> = files.map((file, i) => ({
          name: file.path,
          size: file.size,
          modified: file.modified,
          content: file.sha256 !== undefined ? file.content : hashed(file.content, (hex) => (digests[i] = hex))
        }))
        entries.push({
          name: CrateMetadata.fileName,
          size: metadataSize,
          modified,
          content: Stream.suspend(() => Stream.succeed(CrateMetadata.render(rootEntity, parts((_, i) => digests[i]!))))
        })
        return StoredZip.stream(entries).pipe(
          Stream.mapError((error) =>
            error._tag === "DoipError"
              ? error
              : new DoipError({ kind: "Unavailable", message: `the RO-Crate of ${root.objectId} broke off: ${error.message}` })
          )
        )
      })
    } satisfies OutgoingComponent)
  )
}

/**
 * The builder: `build(objectId)` is the crate of the object's stored components, or of its distribution when storage
 * holds none of them; `NotFound` when there is neither. `build(objectId, version)` is the crate as it was at that
 * commit: of the components storage held then, described by the manifest at that version.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const storage = yield* Storage
  const facade = yield* FdoFacade
  const client = yield* HttpClient.HttpClient
  const { rocrate } = yield* ServerConfig
  const downloadOptions: Distribution.Options = {
    maxBytes: rocrate.maxDownloadBytes,
    timeout: `${rocrate.downloadTimeoutSeconds} seconds`
  }

  const stored = (reader: StorageReader, objectId: string, stat: ComponentStat, manifest: Manifest | undefined): CrateFile => {
    const filename = manifest === undefined ? undefined : DigitalObject.elementAttributes(manifest, stat.componentId)?.["filename"]
    return {
      path: stat.componentId,
      name: typeof filename === "string" && filename !== stat.componentId ? filename : undefined,
      mediaType: stat.mediaType,
      size: stat.size,
      modified: dateOf(stat.modified),
      sha256: /^sha256:([0-9a-f]{64})$/.exec(stat.checksum)?.[1],
      content: inPieces(reader, objectId, stat.componentId).pipe(
        Stream.tapError((error) => logLeftOut(error)),
        Stream.mapError(storageToDoipError)
      )
    }
  }

  /**
   * A stored component in fresh 64 KiB pieces. The stream passes them on as they are, so they cannot be reused;
   * pieces this small become garbage the young generation collects as it goes, where `read`'s 1 MiB ones piled up
   * (some 50 MiB of them for a 512 MiB component) until a full collection.
   */
  const inPieces = (reader: StorageReader, objectId: string, componentId: string) =>
    Stream.unwrap(Effect.map(reader.open(objectId, componentId), (opened) =>
      Stream.fromPull(Effect.succeed(Effect.suspend(() => {
        const piece = Buffer.allocUnsafe(PIECE)
        return Effect.flatMap(opened.read(piece), (n) =>
          n === 0 ? Cause.done() : Effect.succeed(Arr.of(n === PIECE ? piece : piece.subarray(0, n))))
      })))))

  const build = Effect.fnUntraced(function*(objectId: string, version?: string | undefined) {
    const reader: StorageReader = version === undefined ? storage : yield* storage.at(version)
    const stats = (yield* reader.list(objectId)).filter((stat) => stat.componentId !== CrateMetadata.fileName)
    if (stats.length > 0) {
      // the manifest only adds names and a description: a façade that cannot answer leaves them out
      const manifest = yield* facade.manifest(objectId, version).pipe(Effect.orElseSucceed(() => undefined))
      return yield* crate(
        rootOf(objectId, manifest, `The components of ${objectId}`),
        stats.map((stat) => stored(reader, objectId, stat, manifest))
      )
    }
    const manifest = yield* facade.manifest(objectId, version)
    const source = Distribution.sourceOf(manifest)
    if (source === undefined) {
      return yield* notFound(`object ${objectId} has no components and no distribution to make an RO-Crate of`)
    }
    const download = yield* Distribution.download(client, objectId, source, downloadOptions)
    return yield* crate(rootOf(objectId, manifest, `The distribution of ${objectId}`), [{
      // the name is the URL's; one that would clash with the crate's metadata is renamed
      path: download.filename === CrateMetadata.fileName ? `${objectId}.bin` : download.filename,
      mediaType: download.mediaType,
      size: download.size,
      modified: download.modified,
      sha256: undefined,
      contentUrl: source.url,
      content: download.content
    }])
  })
  return { build }
})

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const PIECE = 64 * 1024

/** the root dataset: named by the QID, described by the profile when it says something, identified by the FDO */
const rootOf = (objectId: string, manifest: Manifest | undefined, fallback: string): Omit<CrateMetadata.Root, "datePublished"> => {
  const profile = manifest?.["profile"]
  const said = typeof profile === "object" && profile !== null
    ? [(profile as Record<string, unknown>)["description"], (profile as Record<string, unknown>)["name"]].find((s) =>
      typeof s === "string" && s !== ""
    )
    : undefined
  const identifier = manifest?.["@id"]
  return {
    objectId,
    description: typeof said === "string" ? said : fallback,
    identifier: typeof identifier === "string" && identifier !== "" ? identifier : undefined
  }
}

const dateOf = (iso: string): Date => {
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? new Date(0) : date
}

/** `content`, with its SHA-256 handed to `done` once it has all passed */
const hashed = <E>(content: Stream.Stream<Uint8Array, E>, done: (hex: string) => void): Stream.Stream<Uint8Array, E> =>
  Stream.suspend(() => {
    const hash = createHash("sha256")
    return content.pipe(
      Stream.mapArray((chunks) => {
        for (const chunk of chunks) hash.update(chunk)
        return chunks
      }),
      Stream.concat(Stream.fromEffectDrain(Effect.sync(() => done(hash.digest("hex")))))
    )
  })
