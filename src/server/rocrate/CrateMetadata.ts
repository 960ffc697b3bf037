/**
 * `ro-crate-metadata.json`: the RO-Crate 1.1 metadata of a crate holding an object's files.
 *
 * The document is flat JSON-LD, as RO-Crate asks: the metadata descriptor (`ro-crate-metadata.json`, `about` the
 * root), the root dataset (`./`, named by the object's QID, with a `hasPart` reference per file), and one `File`
 * entity per file with its media type (`encodingFormat`), size (`contentSize`, a string, as schema.org's Text and
 * RO-Crate's examples have it) and SHA-256 (`sha256`, hex). A file's `@id` is its name in the archive, percent-encoded
 * as a relative URI path (`my%20data.csv`); its `name` is the name a person reads.
 *
 * Rendering is pure, and a SHA-256 is always 64 hex characters: the document's length is known before the digest of
 * a file that is still to be downloaded is, by rendering it with {@link digestPlaceholder} in its place.
 *
 * @since 0.1.0
 */

/**
 * The name of the metadata file in the crate's root.
 *
 * @category constants
 * @since 0.1.0
 */
export const fileName = "ro-crate-metadata.json"

/**
 * The RO-Crate 1.1 JSON-LD context.
 *
 * @category constants
 * @since 0.1.0
 */
export const context = "https://w3id.org/ro/crate/1.1/context"

/**
 * Stands for a SHA-256 not known yet: renders to the same length as any real one.
 *
 * @category constants
 * @since 0.1.0
 */
export const digestPlaceholder = "0".repeat(64)

/**
 * What the root dataset says of the object.
 *
 * @category models
 * @since 0.1.0
 */
export interface Root {
  /** the QID: the dataset's name */
  readonly objectId: string
  readonly description: string
  /** ISO 8601 */
  readonly datePublished: string
  /** the object's persistent identifier (its FDO's `@id`), when known */
  readonly identifier?: string | undefined
}

/**
 * One file of the crate.
 *
 * @category models
 * @since 0.1.0
 */
export interface Part {
  /** the file's name in the archive */
  readonly path: string
  /** the name a person reads, when not `path` (a file name a client gave a component) */
  readonly name?: string | undefined
  readonly encodingFormat: string
  readonly contentSize: number
  /** hex */
  readonly sha256: string
  /** where the file was downloaded from, when it was */
  readonly contentUrl?: string | undefined
}

/**
 * The document's bytes (UTF-8 JSON, indented).
 *
 * @category encoding
 * @since 0.1.0
 */
export const render = (root: Root, parts: ReadonlyArray<Part>): Uint8Array =>
  encoder.encode(JSON.stringify(
    {
      "@context": context,
      "@graph": [
        {
          "@id": fileName,
          "@type": "CreativeWork",
          conformsTo: { "@id": "https://w3id.org/ro/crate/1.1" },
          about: { "@id": "./" }
        },
        {
          "@id": "./",
          "@type": "Dataset",
          name: root.objectId,
          description: root.description,
          datePublished: root.datePublished,
          ...(root.identifier === undefined ? {} : { identifier: root.identifier }),
          hasPart: parts.map((part) => ({ "@id": idOf(part.path) }))
        },
        ...parts.map((part) => ({
          "@id": idOf(part.path),
          "@type": "File",
          name: part.name ?? part.path,
          encodingFormat: part.encodingFormat,
          contentSize: String(part.contentSize),
          sha256: part.sha256,
          ...(part.contentUrl === undefined ? {} : { contentUrl: part.contentUrl })
        }))
      ]
    },
    null,
    2
  ))

/**
 * A file's `@id`: its path relative to the crate's root, percent-encoded (`a b.txt` is `a%20b.txt`, `ü` is `%C3%BC`),
 * so that no name reads as an absolute URI (`a:b`) or a fragment (`#x`).
 *
 * @category encoding
 * @since 0.1.0
 */
export const idOf = (path: string): string => path.split("/").map(encodeURIComponent).join("/")

const encoder = new TextEncoder()
