/**
 * The query language of search, over digital objects as JSON (pure functions).
 *
 * - `*` or an empty query matches every object;
 * - otherwise the query is terms separated by spaces, and an object matches when every term does;
 * - a term `field:value` matches when a property reached by `field` holds a value containing `value`; `field` is a
 *   dotted path from the object (`id`, `type`, `attributes.content.profile.name`, `elements.type`) or a bare key
 *   found at any depth (`name`, `mediaType`);
 * - any other term matches when any string or number in the object contains it;
 * - `"quoted phrases"` keep their spaces; matching ignores case.
 *
 * Sort fields are `"field ASC,other DESC"` (ASC when omitted) with the same field paths.
 *
 * @since 0.1.0
 */

/**
 * @category models
 * @since 0.1.0
 */
export interface Term {
  readonly field: string | undefined
  readonly value: string
}

/**
 * @category models
 * @since 0.1.0
 */
export interface SortField {
  readonly field: string
  readonly descending: boolean
}

/**
 * @category parsing
 * @since 0.1.0
 */
export const parseQuery = (query: string): ReadonlyArray<Term> => {
  const terms: Array<Term> = []
  for (const match of query.matchAll(/(?:([^\s:"]+):)?(?:"([^"]*)"|(\S+))/g)) {
    const value = (match[2] ?? match[3] ?? "").toLowerCase()
    if (match[1] === undefined && value === "*") continue
    terms.push({ field: match[1], value: value === "*" ? "" : value })
  }
  return terms
}

/**
 * @category predicates
 * @since 0.1.0
 */
export const matches = (object: unknown, terms: ReadonlyArray<Term>): boolean =>
  terms.every((term) => valuesAt(object, term.field).some((value) => scalars(value).some((s) => s.includes(term.value))))

/**
 * Parses `"field ASC,other DESC"`, or fails with the reason.
 *
 * @category parsing
 * @since 0.1.0
 */
export const parseSortFields = (text: string): ReadonlyArray<SortField> | string => {
  const fields: Array<SortField> = []
  for (const part of text.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const [field, direction, extra] = part.split(/\s+/)
    const order = direction?.toUpperCase()
    if (extra !== undefined || (order !== undefined && order !== "ASC" && order !== "DESC")) {
      return `sort field ${JSON.stringify(part)} must be "field", "field ASC" or "field DESC"`
    }
    fields.push({ field: field!, descending: order === "DESC" })
  }
  return fields
}

/**
 * A comparator over objects by sort fields; objects missing a field sort last.
 *
 * @category sorting
 * @since 0.1.0
 */
export const compareBy = (fields: ReadonlyArray<SortField>) => (a: unknown, b: unknown): number => {
  for (const { descending, field } of fields) {
    const x = valuesAt(a, field)[0]
    const y = valuesAt(b, field)[0]
    if (x === undefined || y === undefined) {
      if (x !== y) return x === undefined ? 1 : -1
      continue
    }
    const order = typeof x === "number" && typeof y === "number"
      ? x - y
      : String(x).localeCompare(String(y), undefined, { numeric: true })
    if (order !== 0) return descending ? -order : order
  }
  return 0
}

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

/** the values a field reaches: a dotted path from the root (arrays fan out), else a bare key at any depth */
const valuesAt = (root: unknown, field: string | undefined): Array<unknown> => {
  if (field === undefined) return [root]
  const byPath = field.split(".").reduce<Array<unknown>>((values, key) => values.flatMap((v) => child(v, key)), [root])
  if (byPath.length > 0 || field.includes(".")) return byPath
  const found: Array<unknown> = []
  const visit = (value: unknown) => {
    if (Array.isArray(value)) return value.forEach(visit)
    if (typeof value !== "object" || value === null) return
    for (const [key, inner] of Object.entries(value)) {
      if (key === field) found.push(inner)
      visit(inner)
    }
  }
  visit(root)
  return found
}

const child = (value: unknown, key: string): Array<unknown> => {
  if (Array.isArray(value)) return value.flatMap((item) => child(item, key))
  if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return []
  return [(value as Record<string, unknown>)[key]]
}

/** every string and number inside a value, lower-cased */
const scalars = (value: unknown): Array<string> => {
  if (typeof value === "string") return [value.toLowerCase()]
  if (typeof value === "number" || typeof value === "boolean") return [String(value)]
  if (Array.isArray(value)) return value.flatMap(scalars)
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(scalars)
  return []
}
