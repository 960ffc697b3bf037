/**
 * The FDO types: which type ids there are, the embedded server's type FDOs, and how a requested id names a type.
 *
 * The MaRDI façade serves a type FDO at `{FDO_API}types/{TypeId}` and hello advertises them as a `typeRegistry`;
 * clients retrieve one as `types/{TypeId}` or by its full URI. The embedded façade has no MaRDI property ids, so its
 * type FDOs map each property to its schema.org IRI instead, which is what the properties are.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { withoutUserinfo } from "../config/Redact.ts"
import type { Manifest } from "./FdoFacade.ts"

/**
 * The type ids the MaRDI façade defines.
 *
 * @category constants
 * @since 0.1.0
 */
export const TypeIds = [
  "ScholarlyArticle",
  "Dataset",
  "Workflow",
  "Person",
  "SoftwareApplication",
  "SoftwareSourceCode",
  "Formula"
] as const

/**
 * @category models
 * @since 0.1.0
 */
export type TypeId = typeof TypeIds[number]

/**
 * What a property holds: text, a date, a URL, or a reference to another digital object (`item`).
 *
 * @category models
 * @since 0.1.0
 */
export type ValueType = "string" | "date" | "url" | "item"

/**
 * How a type's property is identified (`pid`), what it holds, and whether it may occur more than once.
 *
 * @category models
 * @since 0.1.0
 */
export interface PropertyMapping {
  readonly pid: string
  readonly type: ValueType
  readonly multi: boolean
}

/**
 * The id prefix of type FDOs, and the embedded catalog's base URI.
 *
 * @category constants
 * @since 0.1.0
 */
export const prefix = "types/"

/**
 * The base URI of the type FDOs: `{fdoApi}types/` when a façade is configured, else `types/` (the embedded catalog,
 * retrievable by exactly those ids). A URI the server publishes: user info in `fdoApi` is left out.
 *
 * @category constructors
 * @since 0.1.0
 */
export const baseUri = (fdoApi: Option.Option<string>): string =>
  Option.match(fdoApi, { onNone: () => prefix, onSome: (api) => `${withoutUserinfo(api).replace(/\/+$/, "")}/${prefix}` })

/**
 * hello's `typeRegistry`: the base URI and each known type's URI under it.
 *
 * @category constructors
 * @since 0.1.0
 */
export const registry = (base: string) => ({
  baseUri: base,
  types: Object.fromEntries(TypeIds.map((typeId) => [typeId, `${base}${typeId}`]))
})

/**
 * The type id a requested object id names: `types/X`, or `{base}X` for the full URI under `base`, is `X`. Any other
 * id is `undefined` (not a type; an object id, say); a type reference whose id is not a plain name (empty, a path,
 * `..`) fails with a message saying so.
 *
 * @category parsing
 * @since 0.1.0
 */
export const parseTypeId = (requested: string, base: string = prefix): Result.Result<string, string> | undefined => {
  const trimmed = requested.trim()
  const start = trimmed.startsWith(prefix) ? prefix.length : trimmed.startsWith(base) ? base.length : -1
  if (start < 0) return undefined
  const typeId = trimmed.slice(start)
  if (typeId.length === 0) return Result.fail(`${JSON.stringify(trimmed)} names no type`)
  if (typeId.length > 128) return Result.fail("type id is longer than 128 characters")
  // a plain name: it becomes a path segment of the façade's URL, so no "/", no "..", nothing to escape
  return /^[A-Za-z0-9_-]+$/.test(typeId)
    ? Result.succeed(typeId)
    : Result.fail(`type id ${JSON.stringify(typeId)} is not a name (letters, digits, "_" and "-")`)
}

/**
 * The embedded type FDOs, by type id.
 *
 * @category constants
 * @since 0.1.0
 */
export const embedded: Readonly<Record<TypeId, Manifest>> = {
  ScholarlyArticle: typeFdo("ScholarlyArticle", "Scholarly article", "A publication: article, preprint or book chapter.", {
    name: p("string"),
    author: p("item", true),
    datePublished: p("date"),
    identifier: p("string", true),
    isPartOf: p("item"),
    about: p("item", true),
    citation: p("item", true)
  }),
  Dataset: typeFdo("Dataset", "Dataset", "A body of structured data, published as one or more files.", {
    name: p("string"),
    description: p("string"),
    creator: p("item", true),
    datePublished: p("date"),
    license: p("url"),
    identifier: p("string", true),
    encodingFormat: p("string", true)
  }),
  Workflow: typeFdo("Workflow", "Workflow", "A computational workflow: steps that turn inputs into results.", {
    name: p("string"),
    description: p("string"),
    creator: p("item", true),
    programmingLanguage: p("string", true),
    hasPart: p("item", true),
    url: p("url")
  }),
  Person: typeFdo("Person", "Person", "A researcher or other person named by other objects.", {
    name: p("string"),
    givenName: p("string"),
    familyName: p("string"),
    affiliation: p("item", true),
    identifier: p("string", true)
  }),
  SoftwareApplication: typeFdo("SoftwareApplication", "Software application", "A released program or package.", {
    name: p("string"),
    description: p("string"),
    softwareVersion: p("string"),
    applicationCategory: p("string"),
    license: p("url"),
    url: p("url")
  }),
  SoftwareSourceCode: typeFdo("SoftwareSourceCode", "Software source code", "The source code of a program.", {
    name: p("string"),
    description: p("string"),
    codeRepository: p("url"),
    programmingLanguage: p("string", true),
    author: p("item", true),
    license: p("url")
  }),
  Formula: typeFdo("Formula", "Formula", "A mathematical formula; `text` holds its TeX source.", {
    name: p("string"),
    description: p("string"),
    text: p("string"),
    about: p("item", true),
    citation: p("item", true)
  })
}

/**
 * The embedded type FDO of a type id, `undefined` for an unknown one.
 *
 * @category getters
 * @since 0.1.0
 */
export const embeddedType = (typeId: string): Manifest | undefined =>
  Object.hasOwn(embedded, typeId) ? embedded[typeId as TypeId] : undefined

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

/** a property mapping whose pid is filled in from its name by `typeFdo` */
function p(type: ValueType, multi = false) {
  return { type, multi }
}

function typeFdo(
  typeId: TypeId,
  label: string,
  description: string,
  properties: Readonly<Record<string, Omit<PropertyMapping, "pid">>>
): Manifest {
  return {
    "@context": "https://w3id.org/fdo/context/v1",
    "@id": `${prefix}${typeId}`,
    "@type": "DigitalObjectType",
    label,
    description,
    propertyMappings: Object.fromEntries(
      Object.entries(properties).map(([name, mapping]) => [name, { pid: `https://schema.org/${name}`, ...mapping }])
    )
  }
}
