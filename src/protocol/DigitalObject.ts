/**
 * Digital objects as DOIP v2.0 serialises them (PROTOCOL.md §2):
 * `{"id", "type", "attributes": {"content": {...}, ...}, "elements": [{"id", "type", "length", "attributes"}]}`.
 *
 * Our objects are a manifest (JSON-LD, from the FDO façade or derived from storage) and components. As a digital
 * object, the manifest is `attributes.content`, the type is the manifest's `digitalObjectType` (its last path
 * segment, as type ids are written in DOIP), and each component is an element whose `type` is its media type and
 * whose `attributes` are those the client gave it (the manifest's component `attributes`), with `filename` its id
 * unless the client named the file (doipy names downloads after it) and `checksum` the server's.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * @category models
 * @since 0.1.0
 */
export interface Element {
  readonly id: string
  readonly type?: string | undefined
  readonly length?: number | undefined
  readonly attributes?: Readonly<Record<string, unknown>> | undefined
}

/**
 * @category models
 * @since 0.1.0
 */
export interface DigitalObject {
  readonly id?: string | undefined
  readonly type?: string | undefined
  readonly attributes?: Readonly<Record<string, unknown>> | undefined
  readonly elements?: ReadonlyArray<Element> | undefined
}

/**
 * The type of an object that does not say which it is.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultType = "DigitalObject"

/**
 * The input shape of create and update: every field optional, unknown fields kept out.
 *
 * @category schemas
 * @since 0.1.0
 */
export const DigitalObjectInput = Schema.Struct({
  id: Schema.optional(Schema.String),
  type: Schema.optional(Schema.String),
  attributes: Schema.optional(Schema.Record(Schema.String, Schema.Unknown)),
  elements: Schema.optional(Schema.Array(Schema.Struct({
    id: Schema.String,
    type: Schema.optional(Schema.String),
    length: Schema.optional(Schema.Number),
    attributes: Schema.optional(Schema.Record(Schema.String, Schema.Unknown))
  })))
})

/**
 * The digital object of a manifest.
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromManifest = (objectId: string, manifest: Readonly<Record<string, unknown>>): DigitalObject => {
  const kernel = record(manifest["kernel"])
  return {
    id: objectId,
    type: typeIdOf(kernel["digitalObjectType"]) ?? defaultType,
    attributes: { content: manifest },
    elements: array(kernel["fdo:hasComponent"]).map((entry) => {
      const component = record(entry)
      const id = String(component["componentId"] ?? "")
      const mediaType = component["mediaType"] ?? component["mimeType"]
      const checksum = component["checksum"]
      return {
        id,
        ...(typeof mediaType === "string" ? { type: mediaType } : {}),
        ...(typeof component["size"] === "number" ? { length: component["size"] } : {}),
        attributes: { filename: id, ...record(component["attributes"]), ...(typeof checksum === "string" ? { checksum } : {}) }
      }
    })
  }
}

/**
 * The attributes a client gave one component of a manifest, without building the whole digital object.
 *
 * @category parsing
 * @since 0.1.0
 */
export const elementAttributes = (
  manifest: Readonly<Record<string, unknown>>,
  componentId: string
): Readonly<Record<string, unknown>> | undefined => {
  const components = array(record(manifest["kernel"])["fdo:hasComponent"])
  for (let i = 0; i < components.length; i++) {
    const component = record(components[i])
    if (component["componentId"] === componentId) {
      const attributes = component["attributes"]
      return attributes === undefined ? undefined : record(attributes)
    }
  }
  return undefined
}

/**
 * The last path segment of a type URL (`https://.../types/Dataset` is `Dataset`); plain ids stay as they are.
 *
 * @category parsing
 * @since 0.1.0
 */
export const typeIdOf = (value: unknown): string | undefined => {
  if (typeof value !== "string" || value === "") return undefined
  const slash = value.replace(/\/+$/, "").lastIndexOf("/")
  return slash < 0 || !/^[a-z]+:\/\//i.test(value) ? value : value.replace(/\/+$/, "").slice(slash + 1)
}

const record = (u: unknown): Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : {}

const array = (u: unknown): ReadonlyArray<unknown> => (Array.isArray(u) ? u : [])
