/**
 * search: the objects storage holds, as digital objects, filtered by a query (see `SearchQuery.ts`), sorted and
 * paged as DOIP v2.0 asks: attributes `query` (required), `pageNum` (0-based, default 0), `pageSize` (default -1:
 * all), `sortFields` (`"field ASC,other DESC"`), `type` (`"id"` for ids only, `"full"` for whole objects). The
 * answer is `{size, results}` with `size` the number of matches before paging.
 *
 * The binary envelope's upstream shape (`{"query", "type", "limit"}`, where `type` names an object type) is
 * accepted too: `limit` is a page size, and a `type` other than `id`/`full` filters by object type.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import { builtin } from "../../protocol/OperationCodes.ts"
import * as DigitalObject from "../../protocol/DigitalObject.ts"
import { badRequest } from "../../protocol/DoipError.ts"
import { dualResponse, type DoipRequest } from "../../protocol/DoipMessage.ts"
import { FdoFacade } from "../../layers/metadata/FdoFacade.ts"
import { Storage } from "../../layers/storage/Storage.ts"
import type { Operation } from "../OperationRegistry.ts"
import { optionalString } from "./Requests.ts"
import { compareBy, matches, parseQuery, parseSortFields, type Term } from "./SearchQuery.ts"

/**
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const storage = yield* Storage
  const facade = yield* FdoFacade
  return {
    ...builtin("search"),
    target: "service",
    handler: Effect.fnUntraced(function*(request) {
      const query = yield* optionalString(request, "query")
      if (query === undefined) return yield* badRequest(`search needs a "query" attribute ("*" matches everything)`)
      const pageNum = yield* integer(request, "pageNum", 0)
      const pageSize = yield* integer(request, "pageSize", yield* integer(request, "limit", -1))
      if (pageNum < 0) return yield* badRequest(`"pageNum" must be 0 or more, got ${pageNum}`)
      const sortFields = parseSortFields((yield* optionalString(request, "sortFields")) ?? "")
      if (typeof sortFields === "string") return yield* badRequest(sortFields)
      const type = (yield* optionalString(request, "type")) ?? "full"
      const terms: ReadonlyArray<Term> = [
        ...parseQuery(query),
        ...(type === "id" || type === "full" ? [] : [{ field: "type", value: type.toLowerCase() }])
      ]
      const ids = yield* storage.objects()
      const objects = yield* Effect.forEach(
        ids,
        (id) =>
          facade.manifest(id).pipe(
            Effect.map((manifest) => DigitalObject.fromManifest(id, manifest)),
            // an object deleted between listing and reading is simply not a result
            Effect.catchIf((error) => error.kind === "NotFound", () => Effect.succeed(undefined))
          ),
        { concurrency: 8 }
      )
      const found = objects.filter((o): o is DigitalObject.DigitalObject => o !== undefined && matches(o, terms))
      if (sortFields.length > 0) found.sort(compareBy(sortFields))
      const page = pageSize < 0 ? found : found.slice(pageNum * pageSize, (pageNum + 1) * pageSize)
      const results = type === "id" ? page.map((o) => o.id) : page
      return dualResponse(
        { operation: "search", query, size: found.length, results },
        { size: found.length, results }
      )
    })
  } satisfies Operation
})

const integer = (request: DoipRequest, key: string, fallback: number) => {
  const value = request.attributes[key]
  if (value === undefined || value === null) return Effect.succeed(fallback)
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value
  return typeof number === "number" && Number.isInteger(number)
    ? Effect.succeed(number)
    : Effect.fail(badRequest(`"${key}" must be an integer, got ${JSON.stringify(value)}`))
}
