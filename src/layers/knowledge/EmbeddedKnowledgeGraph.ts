/**
 * `KnowledgeGraph` over the objects this server holds, for a server without a MediaWiki: the upstream binary search
 * answered from the same manifests that retrieve serves.
 *
 * An object matches when every word of the query appears in its id or what is said of it (its manifest's profile and
 * the content clients gave it; case-insensitive), and,
 * with a type, when its schema.org type is the profile type's (`publication` is a ScholarlyArticle, `software` a
 * SoftwareApplication or SoftwareSourceCode, `workflow` a Workflow, any other name its CamelCase). A raw QID type
 * needs the knowledge graph's facets, which no stored object carries: it matches nothing. Results come in object id
 * order, as the title the object's `name`, as the snippet its `description`, as the timestamp its kernel's
 * `modified`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import { FdoFacade, manifestsOf } from "../metadata/FdoFacade.ts"
import { Storage } from "../storage/Storage.ts"
import { facetsOf, type Hit, KnowledgeGraph, KnowledgeGraphError, ProfileTypes, type SearchRequest } from "./KnowledgeGraph.ts"

/**
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const storage = yield* Storage
  const facade = yield* FdoFacade
  const unavailable = (message: string) => new KnowledgeGraphError({ kind: "Unavailable", message })

  const search = (request: SearchRequest) =>
    Effect.gen(function*() {
      const words = (request.query ?? "").toLowerCase().split(/\s+/).filter((w) => w !== "" && w !== "*")
      const type = request.type?.trim() ?? ""
      if (words.length === 0 && type === "" && request.query?.trim() !== "*") {
        return yield* new KnowledgeGraphError({ kind: "BadRequest", message: `search needs a "query", a "type", or both` })
      }
      const wanted = type === "" ? undefined : schemaTypesOf(type)
      if (typeof wanted === "string") return yield* new KnowledgeGraphError({ kind: "BadRequest", message: wanted })
      const manifests = yield* Effect.mapError(manifestsOf(storage, facade), (error) => unavailable(error.message))
      const hits: Array<Hit> = []
      for (const [id, manifest] of manifests) {
        const profile = record(manifest["profile"])
        const kernel = record(manifest["kernel"])
        if (wanted !== undefined && !wanted.includes(typeOf(profile, kernel))) continue
        // what clients said of the object sits in the profile, or beside the manifest's keys (create's content)
        const { "@context": _, kernel: __, provenance: ___, ...described } = manifest
        const text = `${id} ${JSON.stringify(described)}`.toLowerCase()
        if (!words.every((word) => text.includes(word))) continue
        const name = manifest["name"] ?? profile["name"]
        const description = manifest["description"] ?? profile["description"]
        hits.push({
          qid: id,
          title: typeof name === "string" ? name : id,
          snippet: typeof description === "string" ? description.slice(0, 300) : "",
          ...(typeof kernel["modified"] === "string" ? { timestamp: kernel["modified"] } : {})
        })
      }
      return { totalHits: hits.length, results: hits.slice(0, request.limit) }
    })

  return KnowledgeGraph.of({ kind: "embedded", search })
})

/**
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<KnowledgeGraph, never, Storage | FdoFacade> = Layer.effect(KnowledgeGraph, make)

// internal

/** the schema.org types a profile type stands for; a raw QID stands for none here; a message for an unknown type */
const schemaTypesOf = (type: string): ReadonlyArray<string> | string => {
  const facets = facetsOf(type)
  if (Result.isFailure(facets)) return facets.failure
  if (!(type in ProfileTypes)) return []
  return schemaTypes[type] ?? [type.split("_").map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join("")]
}

const schemaTypes: Readonly<Record<string, ReadonlyArray<string>>> = {
  publication: ["ScholarlyArticle"],
  software: ["SoftwareApplication", "SoftwareSourceCode"],
  jupyter_notebook: ["SoftwareSourceCode"]
}

/** the object's schema.org type: its profile's, else the last segment of its kernel's type */
const typeOf = (profile: Record<string, unknown>, kernel: Record<string, unknown>): string => {
  const type = profile["@type"] ?? kernel["digitalObjectType"]
  return typeof type === "string" ? type.slice(type.lastIndexOf("/") + 1) : ""
}

const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : {}

