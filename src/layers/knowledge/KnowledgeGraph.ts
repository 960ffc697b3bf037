/**
 * The knowledge graph the objects are items of (MaRDI's Wikibase), as the upstream server's binary search reads it:
 * items found by text and by MaRDI profile type.
 *
 * Two implementations: `MediaWikiKnowledgeGraph` asks a MediaWiki's search API (`MEDIAWIKI_API_URL`), as upstream
 * does; `EmbeddedKnowledgeGraph` searches the objects this server holds, so the server answers the same request
 * with no MediaWiki at all.
 *
 * A profile type is a name (`workflow`, `software`, ...) or a raw QID; on MaRDI it is a value of property P1460, and
 * `software` spans three facets (SoftwareApplication, and two kinds of source code by P31).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"

/**
 * MaRDI's profile types: name to the QID of its P1460 value (upstream's `MARDI_PROFILE_TYPES`).
 *
 * @category constants
 * @since 0.1.0
 */
export const ProfileTypes: Readonly<Record<string, string>> = {
  formula: "Q5981696",
  quantity: "Q6534271",
  software: "Q5976450",
  person: "Q5976445",
  publication: "Q5976449",
  academic_discipline: "Q6534268",
  dataset: "Q5984635",
  community: "Q6205095",
  algorithm: "Q6503323",
  workflow: "Q6534216",
  theorem: "Q6534201",
  service: "Q6503324",
  research_problem: "Q6534269",
  model: "Q6534270",
  task: "Q6534272",
  jupyter_notebook: "Q6767917"
}

/**
 * A `(property, QID)` pair an item's type is found by.
 *
 * @category models
 * @since 0.1.0
 */
export type Facet = readonly [property: string, qid: string]

/** types that span several facets, each searched on its own */
const multiFacetTypes: Readonly<Record<string, ReadonlyArray<Facet>>> = {
  software: [["P1460", "Q5976450"], ["P31", "Q57080"], ["P31", "Q56605"]]
}

/**
 * The facets of a profile type name or raw QID, or a message naming the known types.
 *
 * @category parsing
 * @since 0.1.0
 */
export const facetsOf = (type: string): Result.Result<ReadonlyArray<Facet>, string> => {
  const multi = multiFacetTypes[type]
  if (multi !== undefined) return Result.succeed(multi)
  const qid = ProfileTypes[type] ?? (/^Q[0-9]+$/.test(type) ? type : undefined)
  return qid === undefined
    ? Result.fail(`unknown type ${JSON.stringify(type)}; known types: ${Object.keys(ProfileTypes).sort().join(", ")}, or a QID`)
    : Result.succeed([["P1460", qid]])
}

/**
 * @category models
 * @since 0.1.0
 */
export interface SearchRequest {
  /** words to find; at least one of `query` and `type` */
  readonly query?: string | undefined
  /** a profile type name or QID (`facetsOf`) */
  readonly type?: string | undefined
  /** at most this many results, 1 to 50 */
  readonly limit: number
}

/**
 * One item found.
 *
 * @category models
 * @since 0.1.0
 */
export interface Hit {
  readonly qid: string
  readonly title: string
  /** text around the match, without markup */
  readonly snippet: string
  /** ISO 8601 time of the item's last change, when known */
  readonly timestamp?: string | undefined
}

/**
 * @category models
 * @since 0.1.0
 */
export interface SearchResult {
  /** how many items matched in all, before `limit` (as the search reports it) */
  readonly totalHits: number
  readonly results: ReadonlyArray<Hit>
}

/**
 * Why a knowledge-graph call failed: `BadRequest` (the request cannot be asked: an unknown type, no query and no
 * type), `Unavailable` (the graph did not answer, or answered what cannot be read; may be retried).
 *
 * @category errors
 * @since 0.1.0
 */
export class KnowledgeGraphError extends Schema.TaggedError<KnowledgeGraphError>()("KnowledgeGraphError", {
  kind: Schema.Literals(["BadRequest", "Unavailable", "Unauthorized", "Forbidden", "NotFound", "Conflict"]),
  message: Schema.String
}) {}

const PropertyId = Schema.String.check(Schema.isPattern(/^P[0-9]+$/))

/**
 * Whether every key of `claims` (an item's claims, or an update's properties), and of their qualifiers, is a property
 * id, `P<digits>`. Check it on the input before decoding: a record whose key schema does not match leaves such keys
 * out rather than failing, and a misspelt property must be refused, not dropped.
 *
 * @category parsing
 * @since 0.1.0
 */
export const allPropertyIds = (claims: unknown): boolean => {
  if (typeof claims !== "object" || claims === null) return true
  return Object.entries(claims).every(([key, value]) =>
    /^P[0-9]+$/.test(key) &&
    (Array.isArray(value) ? value : [value]).every((v) =>
      typeof v !== "object" || v === null || allPropertyIds((v as { readonly qualifiers?: unknown }).qualifiers)
    )
  )
}
const Scalar = Schema.Union([Schema.String, Schema.Finite])
/** a claim's value: a scalar, or one with qualifiers */
const ClaimValue = Schema.Union([
  Scalar,
  Schema.Struct({ value: Scalar, qualifiers: Schema.optional(Schema.Record(PropertyId, Scalar)) })
])

/**
 * A new item, as upstream's create takes it: `{label, description?, claims?}` with claims keyed `P<digits>` (a value,
 * a list of them, or `{value, qualifiers}`), or the importer's typed form `{type, fields?}`.
 *
 * @category models
 * @since 0.1.0
 */
export const NewItem = Schema.Union([
  Schema.Struct({
    label: Schema.NonEmptyString,
    description: Schema.optional(Schema.String),
    claims: Schema.optional(Schema.Record(PropertyId, Schema.Union([ClaimValue, Schema.Array(ClaimValue)])))
  }),
  Schema.Struct({ type: Schema.NonEmptyString, fields: Schema.optional(Schema.Record(Schema.String, Schema.Unknown)) })
])

/**
 * @category models
 * @since 0.1.0
 */
export type NewItem = typeof NewItem.Type

/**
 * Who writes to the graph: a wiki user and their bot password, passed on to the importer.
 *
 * @category models
 * @since 0.1.0
 */
export interface WikiWriter {
  readonly username: string
  readonly password: Redacted.Redacted<string>
}

/**
 * Writing items, through MaRDI's importer service.
 *
 * @category models
 * @since 0.1.0
 */
export interface ItemWriter {
  /** a new item; its QID */
  readonly create: (item: NewItem, writer: WikiWriter) => Effect.Effect<string, KnowledgeGraphError>
  /** sets properties (`P<digits>` keys) of an item; `Conflict` with the values it has when one is set already */
  readonly updateProperties: (
    qid: string,
    properties: Readonly<Record<string, unknown>>,
    writer: WikiWriter
  ) => Effect.Effect<void, KnowledgeGraphError>
}

/**
 * @category services
 * @since 0.1.0
 */
export class KnowledgeGraph extends Context.Service<KnowledgeGraph, {
  /** what answers: `MediaWiki at <url>`, or `embedded` */
  readonly kind: string
  readonly search: (request: SearchRequest) => Effect.Effect<SearchResult, KnowledgeGraphError>
  /** the importer, when one is configured; without, items are objects of this server */
  readonly items?: ItemWriter | undefined
}>()("effect-doip/layers/KnowledgeGraph") {}

/**
 * The upper bound of `SearchRequest.limit`, and its default.
 *
 * @category constants
 * @since 0.1.0
 */
export const MAX_LIMIT = 50
export const DEFAULT_LIMIT = 10
