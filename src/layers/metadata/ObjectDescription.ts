/**
 * What a digital object says about itself, as create and update record it: its DOIP type, its content (less what the
 * server makes) and its elements' attributes, in the metadata of the commits that changed it. Both façades lay it over
 * the manifests they make: the embedded one derives manifests from storage, the HTTP one reads them from the FDO
 * façade.
 *
 * @since 0.1.0
 */
import { parseJsonObjectText } from "../../protocol/binary/Codec.ts"
import type { CommitInfo } from "../storage/Storage.ts"
import type { Manifest } from "./FdoFacade.ts"

/**
 * Commit metadata keys under which create and update record an object's DOIP type and `attributes.content`: the
 * embedded store keeps what a digital object says about itself in its history, so lakeFS can hold it too.
 *
 * @category constants
 * @since 0.1.0
 */
export const DescriptionKeys = { type: "doip_type", content: "doip_content", elements: "doip_elements" } as const

/**
 * What of a digital object's `attributes.content` the client owns, to be recorded under `DescriptionKeys.content`.
 * Retrieve gives the manifest as the content, and clients send it back changed: the parts the server makes
 * (`@id`, the `kernel` with its component list, sizes and checksums, the `provenance`) are dropped here and made
 * afresh by the façade, so that what a client sends back is what it gets, never nested inside the profile.
 *
 * @category conversions
 * @since 0.1.0
 */
export const clientContent = (content: Readonly<Record<string, unknown>>): Record<string, unknown> => {
  const { "@id": _id, kernel: _kernel, provenance: _provenance, ...owned } = content
  return owned
}

/**
 * JSON text with every object's keys sorted: two values are the same JSON when their canonical texts are equal.
 *
 * @category conversions
 * @since 0.1.0
 */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    isRecord(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v)

/**
 * Whether a value is a JSON object.
 *
 * @category predicates
 * @since 0.1.0
 */
export const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * A manifest (the FDO façade's, or the one storage gives) with what clients recorded laid over it: the parts the
 * server makes (`@id`, the `kernel`, the `provenance`) stay as they are, every other key of the content is the
 * client's as sent, at the top as sent (a `profile` sent replaces the manifest's; content without one keeps it), and
 * each component gets the attributes its element was given. So a DOIP client that creates `{"name": ...}` reads
 * `content.name` back, as doipy's `update_metadata` and Cordra-style clients do.
 *
 * @category combinators
 * @since 0.1.0
 */
export const overlay = (manifest: Manifest, description: Description): Manifest => {
  if (description.content === undefined && description.elements.size === 0) return manifest
  const kernel = isRecord(manifest["kernel"]) ? manifest["kernel"] : {}
  const components = Array.isArray(kernel["fdo:hasComponent"]) ? kernel["fdo:hasComponent"] : undefined
  return {
    ...manifest,
    ...description.content,
    "@id": manifest["@id"],
    kernel: components === undefined ? kernel : {
      ...kernel,
      "fdo:hasComponent": components.map((entry: unknown) => {
        const component = isRecord(entry) ? entry : {}
        const attributes = description.elements.get(String(component["componentId"]))
        return attributes === undefined || Object.keys(attributes).length === 0 ? entry : { ...component, attributes }
      })
    },
    provenance: manifest["provenance"]
  }
}

/**
 * What an object's history recorded of it: the type and content of the newest commits that recorded them, and each
 * element's attributes as the newest commit that declared the element recorded them.
 *
 * @category models
 * @since 0.1.0
 */
export interface Description {
  readonly type: string | undefined
  readonly content: Record<string, unknown> | undefined
  readonly elements: ReadonlyMap<string, Record<string, unknown>>
}

/**
 * @category constructors
 * @since 0.1.0
 */
export const describedBy = (history: ReadonlyArray<CommitInfo>): Description => {
  let type: string | undefined
  let content: Record<string, unknown> | undefined
  const elements = new Map<string, Record<string, unknown>>()
  for (const commit of history) {
    // what an object said of itself before it was deleted is not what a new object of that id says
    if (commit.metadata["operation"] === "delete") break
    type ??= commit.metadata[DescriptionKeys.type]
    if (content === undefined && commit.metadata[DescriptionKeys.content] !== undefined) {
      const parsed = parseJsonObjectText(commit.metadata[DescriptionKeys.content]!, Infinity) // ours: checked when sent
      content = typeof parsed === "string" ? undefined : parsed
    }
    const recorded = commit.metadata[DescriptionKeys.elements]
    if (recorded !== undefined) {
      const parsed = parseJsonObjectText(recorded, Infinity)
      if (typeof parsed !== "string") {
        for (const [id, attributes] of Object.entries(parsed)) {
          // an empty set is recorded too: it cleared what an older commit gave the element
          if (!elements.has(id) && isRecord(attributes)) elements.set(id, attributes)
        }
      }
    }
  }
  return { type, content, elements }
}
