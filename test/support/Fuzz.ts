/**
 * What the fuzz tests (`test/fuzz/`) and `bench/fuzz.ts` share: grammar-aware generators of requests on every wire
 * (valid requests of each operation, then mutated: bit flips, truncations, inserted and deleted bytes, length
 * fields set to huge or off-by-one values, marker lines spliced in, wrong JSON types, deep JSON, `__proto__` keys),
 * a synchronous driver that runs a decoder's state machine over any chunking of the input and says how it ended
 * (parts, a typed error, a crash or a hang), and a raw-socket runner for the whole server.
 *
 * Nothing here uses the codecs' encoders: the requests are written byte by byte from PROTOCOL.md, so a mistake in an
 * encoder cannot hide the same mistake in its decoder.
 */
import { createHash } from "node:crypto"
import * as net from "node:net"
import * as fc from "fast-check"
import * as Redacted from "effect/Redacted"
import * as Envelope from "../../src/protocol/binary/Codec.ts"
import { type Machine, NeedInput } from "../../src/protocol/ByteQueue.ts"
import * as Credentials from "../../src/protocol/Credentials.ts"
import * as SegmentCodec from "../../src/protocol/doip2/Codec.ts"
import * as LengthPrefixed from "../../src/protocol/upstream/Codec.ts"
import * as SearchQuery from "../../src/server/handlers/SearchQuery.ts"
import { concatBytes } from "./Random.ts"

const utf8 = new TextEncoder()

// -----------------------------------------------------------------------------
// JSON with holes: wrong types, deep nesting, `__proto__`
// -----------------------------------------------------------------------------

/** a value rendered as raw JSON text: lets generators put in what `JSON.stringify` cannot make (deep nesting) */
export interface RawJson {
  readonly raw: string
}

const isRaw = (u: unknown): u is RawJson => typeof u === "object" && u !== null && "raw" in u && Object.keys(u).length === 1

/** JSON text of `value`, where a {@link RawJson} is spliced in as it is and a key `__proto__` stays an own key */
export const jsonText = (value: unknown): string => {
  if (isRaw(value)) return value.raw
  if (Array.isArray(value)) return `[${value.map(jsonText).join(",")}]`
  if (typeof value === "object" && value !== null) {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(",")}}`
  }
  return JSON.stringify(value) ?? "null"
}

/** `[[[...]]]` or `{"a":{"a":...}}`, `depth` deep */
export const deepJson = (depth: number, kind: "array" | "object"): RawJson =>
  kind === "array"
    ? { raw: "[".repeat(depth) + "]".repeat(depth) }
    : { raw: `{"a":`.repeat(depth) + "1" + "}".repeat(depth) }

/** values of every JSON type, some deep, some odd: what a client may send where a string or a number belongs */
export const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, true, 0, -1, 1e308, -0, "", "*", 2 ** 53 + 1, [], {}, "\u0000", "\ud800") },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom("array" as const, "object" as const)).map(([d, k]) => deepJson(d, k)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 3000 }) }
)

/**
 * Replaces the values of some keys with values of other types, adds unknown or `__proto__` keys, drops keys.
 */
export const mutateJson = (value: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> => {
  const keys = Object.keys(value)
  const edit = fc.oneof(
    fc.record({ kind: fc.constant("replace" as const), key: keys.length > 0 ? fc.constantFrom(...keys) : fc.constant("x"), value: wrongValue }),
    fc.record({
      kind: fc.constant("add" as const),
      key: fc.constantFrom("__proto__", "constructor", "toString", "unknownKey", "input", "attributes", "element", "range", "token", "username", "password", "operation", "workflow", "params", "query", "pageSize", "pageNum", "sortFields", "type"),
      value: wrongValue
    }),
    fc.record({ kind: fc.constant("drop" as const), key: keys.length > 0 ? fc.constantFrom(...keys) : fc.constant("x"), value: fc.constant(undefined) })
  )
  return fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => {
    // built with defineProperty so a `__proto__` key is an own key, as JSON.parse makes it
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true })
    for (const e of edits) {
      if (e.kind === "drop") delete out[e.key]
      else Object.defineProperty(out, e.key, { value: e.value, enumerable: true, writable: true, configurable: true })
    }
    return out
  })
}

// -----------------------------------------------------------------------------
// byte-level mutations
// -----------------------------------------------------------------------------

export type Mutation =
  | { readonly kind: "flip"; readonly at: number; readonly bit: number }
  | { readonly kind: "truncate"; readonly at: number }
  | { readonly kind: "insert"; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: "delete"; readonly at: number; readonly length: number }
  | { readonly kind: "set32"; readonly at: number; readonly value: number }
  | { readonly kind: "set16"; readonly at: number; readonly value: number }
  | { readonly kind: "number"; readonly which: number; readonly text: string }
  | { readonly kind: "duplicate"; readonly at: number; readonly length: number }

/** byte strings that mean something on one of the wires */
const tokens = [
  "\n#\n", "#\n", "@\n", "\n", "\r\n", "#", "@", "0\n", "1\n", "00\n", "01\n", "4294967296\n", "99999999999999999999\n",
  "{", "}", "\"", "\\", "\u0000\u0000\u0000\u0000", "\u00ff\u00ff\u00ff\u00ff", "\u0002\u0001\u0001\u0000", "\u0016\u0003\u0001",
  "{\"operationId\":\"0.DOIP/Op.Hello\"}\n#\n#\n", "\n#\n#\n", "@\n5\nhello\n#\n", "\u00c3\u0028"
].map((s) => Uint8Array.from(s, (c) => c.charCodeAt(0)))

const interesting32 = [0, 1, 2, 4, 5, 8, 0x7f, 0xff, 0x100, 0xffff, 0x10000, 0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff]
const numberTexts = ["0", "00", "01", "-1", "1e3", "9007199254740993", "4294967295", "4294967296", "99999999999999999999999", " 5", "5 ", "+5", "0x10", "1.5"]

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("insert" as const),
      at: fc.nat(),
      bytes: fc.oneof(fc.constantFrom(...tokens), fc.uint8Array({ minLength: 1, maxLength: 16 }))
    })
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("set32" as const),
      at: fc.nat(),
      value: fc.oneof(fc.constantFrom(...interesting32), fc.nat({ max: 0xffff_ffff }))
    })
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("set16" as const), at: fc.nat(), value: fc.constantFrom(0, 1, 0x7fff, 0xffff, 0x400, 0x401) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("number" as const), which: fc.nat(), text: fc.constantFrom(...numberTexts) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("duplicate" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }) }
)

/**
 * Applies one mutation. `fields` are the offsets of the message's length fields (for `set32`/`set16`, which then
 * hit a real field rather than any 4 bytes).
 */
export const applyMutation = (input: Uint8Array, m: Mutation, fields: ReadonlyArray<number> = []): Uint8Array => {
  const n = input.length
  switch (m.kind) {
    case "flip": {
      if (n === 0) return input
      const out = input.slice()
      out[m.at % n]! ^= 1 << m.bit
      return out
    }
    case "truncate":
      return input.slice(0, m.at % (n + 1))
    case "insert": {
      const at = m.at % (n + 1)
      return concatBytes([input.subarray(0, at), m.bytes, input.subarray(at)])
    }
    case "delete": {
      const at = m.at % (n + 1)
      return concatBytes([input.subarray(0, at), input.subarray(Math.min(n, at + m.length))])
    }
    case "set32":
    case "set16": {
      const width = m.kind === "set32" ? 4 : 2
      const at = fields.length > 0 && m.at % 3 !== 0 ? fields[m.at % fields.length]! : m.at % (n + 1)
      if (at + width > n) return input
      const out = input.slice()
      const view = new DataView(out.buffer)
      if (width === 4) view.setUint32(at, m.value >>> 0)
      else view.setUint16(at, m.value & 0xffff)
      return out
    }
    case "number": {
      // the which-th run of ASCII digits (a chunk size, a JSON number) becomes `text`
      const runs: Array<[number, number]> = []
      for (let i = 0; i < n;) {
        if (input[i]! >= 0x30 && input[i]! <= 0x39) {
          const start = i
          while (i < n && input[i]! >= 0x30 && input[i]! <= 0x39) i++
          runs.push([start, i])
        } else i++
      }
      if (runs.length === 0) return input
      const [start, end] = runs[m.which % runs.length]!
      return concatBytes([input.subarray(0, start), utf8.encode(m.text), input.subarray(end)])
    }
    case "duplicate": {
      const at = m.at % (n + 1)
      const piece = input.subarray(at, Math.min(n, at + m.length))
      return concatBytes([input.subarray(0, at), piece, input.subarray(at)])
    }
  }
}

/** a valid message with its length fields, mutated 0 to 4 times (0: a valid message is a case too) */
export const mutated = (valid: fc.Arbitrary<Encoded>, maxMutations = 4): fc.Arbitrary<Uint8Array> =>
  fc.tuple(valid, fc.array(mutation, { maxLength: maxMutations })).map(([message, ms]) =>
    ms.reduce((bytes, m) => applyMutation(bytes, m, message.fields), message.bytes)
  )

/** bytes of a message, and where its length fields are */
export interface Encoded {
  readonly bytes: Uint8Array
  readonly fields: ReadonlyArray<number>
}

/** several messages on one connection (pipelined), their field offsets shifted into place */
export const sequence = (message: fc.Arbitrary<Encoded>, maxLength = 3): fc.Arbitrary<Encoded> =>
  fc.array(message, { minLength: 1, maxLength }).map((messages) => {
    const fields: Array<number> = []
    let offset = 0
    for (const m of messages) {
      for (const f of m.fields) fields.push(offset + f)
      offset += m.bytes.length
    }
    return { bytes: concatBytes(messages.map((m) => m.bytes)), fields }
  })

// -----------------------------------------------------------------------------
// what requests are about
// -----------------------------------------------------------------------------

export const token = "test-token-0123456789"

export const objectIds = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("Q1", "Q2", "Q7", "Q999", "Q123") },
  { weight: 1, arbitrary: fc.constantFrom("", "service", "effect-doip/service", "Q0", "Q01", "q1", "Q" + "9".repeat(40), "../Q1", "Q1/../../etc", "types/ScholarlyArticle", "Q1\u0000", "Ω") },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) }
)

export const componentIds = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("a.txt", "b.bin", "fulltext.pdf", "fixity.sha256") },
  { weight: 1, arbitrary: fc.constantFrom("", ".", "..", "a/b", "../x", "a\u0000b", " ", "x".repeat(300)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) }
)

const credentials = fc.oneof(
  fc.constant({}),
  fc.constant({ token }),
  fc.constant({ token: "wrong" }),
  fc.constant({ username: "u", password: "p" }),
  fc.record({ token: wrongValue })
)

const content = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1000, maxLength: 5000 }) },
  { weight: 1, arbitrary: fc.constantFrom(utf8.encode("\n#\n"), utf8.encode("@\n5\nhello\n#\n#\n"), new Uint8Array(0)) }
)

const searchQueries = fc.oneof(
  fc.constantFrom("*", "", "Q1", "type:Dataset", "id:Q1", "name:\"my data\"", "elements.type:text", "\"unterminated", ":", "a:", ":b", "*:*", "\u0000"),
  fc.string({ maxLength: 60 }),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom("*", ":", "\"", " ", "field:", "a.b.c:")), { maxLength: 12 }).map((parts) => parts.join(""))
)

const sortFields = fc.oneof(
  fc.constantFrom("id", "id DESC", "id ASC,type DESC", "", ",", "id UP", "id ASC DESC", "a b c", " , , "),
  fc.string({ maxLength: 30 })
)

/** the metadata (binary) or attributes (DOIP v2.0, upstream) of a request of each operation */
const operationAttributes = (op: string): fc.Arbitrary<Record<string, unknown>> => {
  switch (op) {
    case "retrieve":
      return fc.oneof(
        fc.constant({}),
        fc.record({ element: componentIds }),
        fc.record({ element: componentIds, range: fc.record({ start: fc.integer({ min: -5, max: 100 }), end: fc.integer({ min: -5, max: 100 }) }, { requiredKeys: [] }) }),
        fc.constant({ includeElementData: true })
      )
    case "search":
      return fc.record({ query: searchQueries, pageNum: fc.integer({ min: -2, max: 3 }), pageSize: fc.integer({ min: -2, max: 5 }), sortFields, type: fc.constantFrom("id", "full", "other") }, { requiredKeys: ["query"] })
    case "invoke":
      return fc.record({ workflow: fc.constantFrom("fixity", "nope", "equation_extraction"), params: fc.oneof(fc.constant({}), fc.record({ pages: fc.array(fc.integer({ min: -1, max: 3 }), { maxLength: 3 }), mode: fc.constantFrom("heuristic", "llm", "x") }, { requiredKeys: [] })) })
    default:
      return fc.constant({})
  }
}

// -----------------------------------------------------------------------------
// the binary envelope (PROTOCOL.md §1)
// -----------------------------------------------------------------------------

const binaryOps = [
  ["hello", 0x01], ["retrieve", 0x02], ["update", 0x03], ["list_operations", 0x04], ["invoke", 0x05], ["describe", 0x06],
  ["purge", 0x07], ["create", 0x08], ["search", 0x09], ["delete", 0x0a]
] as const

/** a block of the binary envelope, unencoded */
type BinaryBlock =
  | { readonly type: number; readonly json: unknown }
  | { readonly type: 0x02; readonly componentId: string; readonly mediaType: string; readonly content: Uint8Array }

/** encodes a binary request by hand, noting the offsets of every length field */
export const encodeBinary = (message: {
  readonly version?: number
  readonly msgType?: number
  readonly operation: number
  readonly objectId: string
  readonly blocks: ReadonlyArray<BinaryBlock>
}): Encoded => {
  const fields: Array<number> = [4, 6]
  const body: Array<Uint8Array> = []
  let offset = 10
  const id = utf8.encode(message.objectId)
  offset += id.length
  for (const block of message.blocks) {
    if ("json" in block) {
      const text = utf8.encode(jsonText(block.json))
      const head = new Uint8Array(5)
      head[0] = block.type
      new DataView(head.buffer).setUint32(1, text.length)
      fields.push(offset + 1)
      body.push(head, text)
      offset += 5 + text.length
    } else {
      const cid = utf8.encode(block.componentId)
      const mt = utf8.encode(block.mediaType)
      const head = new Uint8Array(5 + 2 + cid.length + 2 + mt.length + 4)
      const view = new DataView(head.buffer)
      head[0] = 0x02
      view.setUint32(1, 2 + cid.length + 2 + mt.length + 4 + block.content.length)
      view.setUint16(5, cid.length)
      head.set(cid, 7)
      view.setUint16(7 + cid.length, mt.length)
      head.set(mt, 9 + cid.length)
      view.setUint32(9 + cid.length + mt.length, block.content.length)
      fields.push(offset + 1, offset + 5, offset + 7 + cid.length, offset + 9 + cid.length + mt.length)
      body.push(head, block.content)
      offset += head.length + block.content.length
    }
  }
  const payload = concatBytes(body)
  const header = new Uint8Array(10)
  const view = new DataView(header.buffer)
  header[0] = message.version ?? 0x02
  header[1] = message.msgType ?? 0x01
  header[2] = message.operation
  view.setUint16(4, id.length)
  view.setUint32(6, payload.length)
  return { bytes: concatBytes([header, id, payload]), fields }
}

const binaryRequest = (jsonMutations: boolean): fc.Arbitrary<Encoded> =>
  fc.constantFrom(...binaryOps).chain(([name, code]) =>
    fc.record({
      named: fc.boolean(),
      objectId: name === "hello" || name === "list_operations" || name === "search" ? fc.constantFrom("", "service") : objectIds,
      attributes: operationAttributes(name),
      credentials: name === "update" || name === "create" || name === "delete" ? credentials : fc.constant({}),
      components: name === "update" || name === "create"
        ? fc.array(fc.record({ componentId: componentIds, mediaType: fc.constantFrom("", "text/plain", "application/pdf"), content }), { minLength: 1, maxLength: 2 })
        : fc.constant([]),
      workflowBlock: name === "invoke" ? fc.boolean() : fc.constant(false),
      extraMetadata: fc.boolean()
    }).chain((r) => {
      const element = r.components[0]?.componentId
      const meta: Record<string, unknown> = {
        ...(r.named ? { operation: name } : {}),
        ...(name === "update" && element !== undefined ? { element } : {}),
        ...r.attributes,
        ...r.credentials
      }
      const metadata = jsonMutations ? fc.oneof(fc.constant(meta), mutateJson(meta)) : fc.constant(meta)
      return metadata.map((m) => {
        const blocks: Array<BinaryBlock> = [{ type: 0x01, json: m }]
        if (r.extraMetadata) blocks.push({ type: 0x01, json: { extra: true } })
        for (const c of r.components) blocks.push({ type: 0x02, ...c })
        if (r.workflowBlock) blocks.push({ type: 0x03, json: { workflow: "fixity" } })
        return encodeBinary({ operation: code, objectId: r.objectId, blocks })
      })
    })
  )

/** valid binary requests of every operation */
export const binaryValid: fc.Arbitrary<Encoded> = binaryRequest(false)

/** binary requests, valid and not: JSON-level mutations, then byte-level ones, on 1 to 3 pipelined messages */
export const binaryCase: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 8, arbitrary: mutated(sequence(binaryRequest(true))) },
  // a header alone with a huge announced payload or object id
  { weight: 1, arbitrary: fc.tuple(fc.nat({ max: 0xffff }), fc.nat({ max: 0xffff_ffff }), fc.integer({ min: 0, max: 0xff })).map(([idLen, payloadLen, op]) => encodeBinary({ operation: op, objectId: "", blocks: [] }).bytes.map((b, i) => (i === 4 ? idLen >> 8 : i === 5 ? idLen & 0xff : i >= 6 ? (payloadLen >>> ((9 - i) * 8)) & 0xff : b))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) }
)

// -----------------------------------------------------------------------------
// DOIP v2.0 segments (PROTOCOL.md §2)
// -----------------------------------------------------------------------------

const doip2Ops = [
  ["0.DOIP/Op.Hello", "hello"], ["0.DOIP/Op.ListOperations", "list"], ["0.DOIP/Op.Retrieve", "retrieve"],
  ["0.DOIP/Op.Create", "create"], ["0.DOIP/Op.Update", "update"], ["0.DOIP/Op.Delete", "delete"],
  ["0.DOIP/Op.Search", "search"], ["0.DOIP/Op.Invoke", "invoke"], ["0.DOIP/Op.Purge", "purge"], ["0.DOIP/Op.Nope", "nope"]
] as const

/** a bytes segment of `data`, cut into chunks at `cuts` */
const bytesSegment = (data: Uint8Array, cuts: ReadonlyArray<number>, crlf: boolean): Uint8Array => {
  const eol = crlf ? "\r\n" : "\n"
  const parts: Array<Uint8Array> = [utf8.encode("@" + eol)]
  const points = [...new Set(cuts.map((c) => c % Math.max(1, data.length)).filter((c) => c > 0))].sort((a, b) => a - b)
  let from = 0
  for (const to of [...points, data.length]) {
    if (to <= from) continue
    parts.push(utf8.encode(`${to - from}${eol}`), data.subarray(from, to), utf8.encode(eol))
    from = to
  }
  parts.push(utf8.encode("#" + eol))
  return concatBytes(parts)
}

const doip2Request = (jsonMutations: boolean): fc.Arbitrary<Encoded> =>
  fc.constantFrom(...doip2Ops).chain(([operationId, name]) =>
    fc.record({
      requestId: fc.oneof(fc.constant(undefined), fc.nat().map(String), wrongValue),
      targetId: name === "hello" || name === "list" || name === "search" || name === "create" ? fc.constantFrom("service", "effect-doip/service") : objectIds,
      attributes: operationAttributes(name),
      auth: name === "update" || name === "create" || name === "delete" ? credentials : fc.constant({}),
      compact: fc.boolean(),
      elements: name === "update" || name === "create"
        ? fc.array(fc.record({ id: componentIds, data: content, cuts: fc.array(fc.nat(), { maxLength: 3 }) }), { maxLength: 2 })
        : fc.constant([]),
      crlf: fc.boolean(),
      leadingBlank: fc.boolean()
    }).chain((r) => {
      const elements: ReadonlyArray<{ readonly id: string; readonly data: Uint8Array; readonly cuts: ReadonlyArray<number> }> = r.elements
      const object = { id: r.targetId, type: "Dataset", attributes: { content: { name: "x" } }, elements: elements.map((e) => ({ id: e.id, type: "text/plain" })) }
      const first: Record<string, unknown> = {
        ...(r.requestId === undefined ? {} : { requestId: r.requestId }),
        targetId: r.targetId,
        operationId,
        attributes: r.attributes,
        ...(Object.keys(r.auth).length > 0 ? { authentication: r.auth } : {}),
        ...((name === "create" || name === "update") && r.compact && r.elements.length === 0 ? { input: object } : {})
      }
      const firstArb = jsonMutations ? fc.oneof(fc.constant(first), mutateJson(first)) : fc.constant(first)
      return firstArb.map((head) => {
        const eol = r.crlf ? "\r\n" : "\n"
        const seg = (value: unknown) => utf8.encode(jsonText(value) + eol + "#" + eol)
        const parts: Array<Uint8Array> = []
        if (r.leadingBlank) parts.push(utf8.encode(eol))
        parts.push(seg(head))
        if ((name === "create" || name === "update") && !("input" in first)) {
          parts.push(seg(object))
          for (const e of elements) parts.push(seg({ id: e.id }), bytesSegment(e.data, e.cuts, r.crlf))
        }
        parts.push(utf8.encode("#" + eol))
        return { bytes: concatBytes(parts), fields: [] }
      })
    })
  )

export const doip2Valid: fc.Arbitrary<Encoded> = doip2Request(false)

export const doip2Case: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 8, arbitrary: mutated(sequence(doip2Request(true))) },
  // a bytes segment with a huge or odd chunk size
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...numberTexts, "4294967295", "18446744073709551616"), fc.uint8Array({ maxLength: 32 })).map(([size, data]) => concatBytes([utf8.encode(`{"operationId":"0.DOIP/Op.Hello"}\n#\n@\n${size}\n`), data, utf8.encode("\n#\n#\n")])) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) }
)

// -----------------------------------------------------------------------------
// the upstream length-prefixed variant (PROTOCOL.md, end of §2)
// -----------------------------------------------------------------------------

const lengthPrefixed = (segments: ReadonlyArray<Uint8Array>): Encoded => {
  const parts: Array<Uint8Array> = []
  const fields: Array<number> = []
  let offset = 0
  for (const s of segments) {
    const prefix = new Uint8Array(4)
    new DataView(prefix.buffer).setUint32(0, s.length)
    fields.push(offset)
    parts.push(prefix, s)
    offset += 4 + s.length
  }
  fields.push(offset)
  parts.push(new Uint8Array(4))
  return { bytes: concatBytes(parts), fields }
}

const upstreamRequest = (jsonMutations: boolean): fc.Arbitrary<Encoded> =>
  fc.constantFrom("hello", "list_operations", "retrieve", "invoke", "search", "purge", "update", "nope").chain((name) =>
    fc.record({
      byDoipId: fc.boolean(),
      target: objectIds,
      attributes: operationAttributes(name),
      nested: fc.boolean(),
      extra: fc.array(content.filter((c) => c.length > 0), { maxLength: 2 })
    }).chain((r) => {
      const head: Record<string, unknown> = {
        ...(r.byDoipId ? { operationId: `0.DOIP/Op.${name[0]!.toUpperCase()}${name.slice(1)}` } : { operation: name }),
        targetId: r.target,
        ...(r.nested ? { attributes: r.attributes } : r.attributes)
      }
      const headArb = jsonMutations ? fc.oneof(fc.constant(head), mutateJson(head)) : fc.constant(head)
      return headArb.map((h) => lengthPrefixed([utf8.encode(jsonText(h)), ...r.extra]))
    })
  )

export const upstreamValid: fc.Arbitrary<Encoded> = upstreamRequest(false)

export const upstreamCase: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 8, arbitrary: mutated(sequence(upstreamRequest(true))) },
  { weight: 1, arbitrary: fc.nat({ max: 0xffff_ffff }).map((n) => Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff, 0x7b)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => concatBytes([Uint8Array.of(0), b])) }
)

// -----------------------------------------------------------------------------
// chunkings
// -----------------------------------------------------------------------------

/** cuts `input` at the given points (taken modulo its length): a chunking as the socket might deliver it */
export const chunk = (input: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  if (input.length === 0) return []
  const points = [...new Set(cuts.map((c) => c % input.length).filter((c) => c > 0))].sort((a, b) => a - b)
  const out: Array<Uint8Array> = []
  let from = 0
  for (const to of [...points, input.length]) {
    out.push(input.slice(from, to))
    from = to
  }
  return out
}

/** cut points: none, a few, or every byte */
export const cuts: fc.Arbitrary<ReadonlyArray<number> | "bytewise"> = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.nat(), { maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constant("bytewise" as const) }
)

export const chunked = (input: Uint8Array, c: ReadonlyArray<number> | "bytewise"): Array<Uint8Array> => {
  if (c !== "bytewise") return chunk(input, c)
  // byte by byte through the first 2 KiB (every header and marker line), the rest in one chunk
  const head = Math.min(input.length, 2048)
  const out = Array.from(input.subarray(0, head), (_, i) => input.slice(i, i + 1))
  if (input.length > head) out.push(input.slice(head))
  return out
}

// -----------------------------------------------------------------------------
// driving a decoder's state machine
// -----------------------------------------------------------------------------

/** how a run of a decoder ended */
export type Outcome =
  | { readonly _tag: "End"; readonly parts: ReadonlyArray<string>; readonly steps: number }
  | { readonly _tag: "Error"; readonly kind: string; readonly parts: ReadonlyArray<string>; readonly steps: number }
  | { readonly _tag: "Crash"; readonly error: unknown; readonly parts: ReadonlyArray<string>; readonly steps: number }
  | { readonly _tag: "Hang"; readonly parts: ReadonlyArray<string>; readonly steps: number }

/** how a decoder's part is described for comparing runs; `content` says whether the part has content to read */
export type Describe = (part: any) => { readonly text: string; readonly content: boolean }

const hash = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex").slice(0, 16)

export const describeBinary: Describe = (part) => {
  switch (part._tag) {
    case "Head":
      return { text: `Head ${JSON.stringify(part.header)} ${JSON.stringify(part.objectId)}`, content: false }
    case "Metadata":
    case "Workflow":
      return { text: `${part._tag} ${part.body.length} ${hash(part.body)}`, content: false }
    case "Component":
      return { text: `Component ${JSON.stringify(part.componentId)} ${JSON.stringify(part.mediaType)} ${part.size} ${part.last}`, content: true }
    default:
      return { text: part._tag, content: false }
  }
}

export const describeDoip2: Describe = (part) =>
  part._tag === "Json" ? { text: `Json ${part.body.length} ${hash(part.body)}`, content: false } : { text: part._tag, content: part._tag === "Bytes" }

export const describeUpstream: Describe = (part) =>
  part._tag === "Segment" ? { text: `Segment ${part.body.length} ${hash(part.body)}`, content: false } : { text: part._tag, content: false }

/**
 * Runs a fresh machine over `chunks` as a request loop does: parts are pulled, each part's content is read (when
 * `read(i)` says so for part `i`; else it is left for the decoder to skip), and a chunk is pushed only when the
 * machine asks for input; after the last chunk the input ends. A run that needs more than a bound of steps
 * (linear in the input) is a hang. Anything thrown that is not the decoder's typed error is a crash, and so is a
 * machine that breaks its contract (asks for input after the end, consumes more than it was given, forgets that it
 * failed).
 */
export const drive = (
  machine: Machine<any, string, any>,
  isError: (u: unknown) => boolean,
  describe: Describe,
  chunks: ReadonlyArray<Uint8Array>,
  read: (part: number) => boolean = () => true
): Outcome => {
  let total = 0
  for (const c of chunks) total += c.length
  const bound = 4 * (total + chunks.length) + 64
  const parts: Array<string> = []
  let steps = 0
  let next = 0
  const feed = () => {
    if (next < chunks.length) machine.queue.push(chunks[next++]!)
    else if (!machine.ended) machine.ended = true
    else throw new ContractBroken("the machine asked for input after the input ended")
  }
  try {
    for (;;) {
      if (++steps > bound) return { _tag: "Hang", parts, steps }
      const part = machine.next()
      if (part === NeedInput) {
        feed()
        continue
      }
      if (part === undefined) {
        if (!machine.ended || next < chunks.length) throw new ContractBroken("clean end before the input ended")
        if (machine.queue.consumed !== total) throw new ContractBroken(`clean end with ${total - machine.queue.consumed} bytes unread`)
        return { _tag: "End", parts, steps }
      }
      const d = describe(part)
      if (d.content && read(parts.length)) {
        const generation = machine.generation
        const seen: Array<Uint8Array> = []
        for (;;) {
          if (++steps > bound) return { _tag: "Hang", parts, steps }
          const views = machine.read(generation)
          if (views === NeedInput) {
            feed()
            continue
          }
          if (views === undefined) break
          if (views.length === 0 || views.some((v) => v.length === 0)) throw new ContractBroken("an empty content view")
          seen.push(...views)
        }
        parts.push(`${d.text} <${hash(concatBytes(seen))}>`)
      } else parts.push(d.text)
      if (machine.queue.consumed > total) throw new ContractBroken("consumed more bytes than it was given")
    }
  } catch (error) {
    if (error instanceof ContractBroken || !isError(error)) return { _tag: "Crash", error, parts, steps }
    const kind = (error as { kind: string }).kind
    // once failed, a machine keeps failing with the same error
    try {
      machine.next()
      return { _tag: "Crash", error: new ContractBroken(`next() after ${kind} did not fail again`), parts, steps }
    } catch (again) {
      if (again !== error) return { _tag: "Crash", error: new ContractBroken(`next() after ${kind} failed differently: ${String(again)}`), parts, steps }
    }
    return { _tag: "Error", kind, parts, steps }
  }
}

export class ContractBroken extends Error {}

/** an outcome as one comparable line: how the run ended, and every part */
export const summary = (o: Outcome): string =>
  `${o._tag === "Error" ? `Error ${o.kind}` : o._tag === "Crash" ? `Crash ${String(o.error)}` : o._tag}: ${o.parts.join(" | ")}`

export const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex")

// -----------------------------------------------------------------------------
// the whole server, over a raw socket
// -----------------------------------------------------------------------------

export interface ServerCaseResult {
  /** the server closed the connection (or reset it) */
  readonly closed: boolean
  readonly elapsedMs: number
  readonly received: number
  readonly error?: string | undefined
}

/**
 * Writes `input` to a fresh connection in the given chunks, then either ends the client's side (`"end"`: the server
 * sees the end of the input) or leaves it open and silent (`"stall"`: only the server's idle timeout can close it),
 * and waits up to `boundMs` for the server to close the connection.
 */
export const serverCase = (
  port: number,
  chunks: ReadonlyArray<Uint8Array>,
  mode: "end" | "stall",
  boundMs: number
): Promise<ServerCaseResult> =>
  new Promise((resolve) => {
    const started = performance.now()
    let received = 0
    let done = false
    let error: string | undefined
    const socket = net.connect({ host: "127.0.0.1", port })
    socket.setNoDelay(true)
    const finish = (closed: boolean) => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve({ closed, elapsedMs: performance.now() - started, received, error })
    }
    const timer = setTimeout(() => finish(false), boundMs)
    socket.on("data", (data: Buffer) => (received += data.length))
    socket.on("error", (e: NodeJS.ErrnoException) => (error = e.code ?? e.message))
    socket.on("close", () => finish(true))
    socket.on("end", () => finish(true))
    socket.once("connect", () => {
      for (const c of chunks) if (!socket.destroyed) socket.write(c)
      if (mode === "end" && !socket.destroyed) socket.end()
    })
  })

/** a binary hello, as PROTOCOL.md §1 spells it */
export const binaryHello = encodeBinary({ operation: 0x01, objectId: "", blocks: [{ type: 0x01, json: { operation: "hello" } }] }).bytes

export const doip2Hello = utf8.encode(`{"requestId":"h","targetId":"service","operationId":"0.DOIP/Op.Hello"}\n#\n#\n`)

export const upstreamHello = lengthPrefixed([utf8.encode(`{"operation":"hello"}`)]).bytes

/**
 * Sends a hello and resolves with the answer's first bytes once `complete` says the answer is whole (rejects after
 * `timeoutMs`): the server still serves after what came before.
 */
export const hello = (port: number, request: Uint8Array, complete: (answer: Uint8Array) => boolean, timeoutMs = 5000) =>
  new Promise<Uint8Array>((resolve, reject) => {
    let buffer: Uint8Array = new Uint8Array(0)
    const socket = net.connect({ host: "127.0.0.1", port })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no hello answer within ${timeoutMs} ms on port ${port} (${buffer.length} bytes)`))
    }, timeoutMs)
    socket.on("data", (data: Buffer) => {
      buffer = concatBytes([buffer, data])
      if (complete(buffer)) {
        clearTimeout(timer)
        socket.destroy()
        resolve(buffer)
      }
    })
    socket.on("error", (e) => {
      clearTimeout(timer)
      reject(e)
    })
    socket.once("connect", () => socket.write(request))
  })

/** whole-answer tests for {@link hello} on each wire */
export const binaryAnswerComplete = (b: Uint8Array) =>
  b.length >= 10 && b.length >= 10 + ((b[4]! << 8) | b[5]!) + new DataView(b.buffer, b.byteOffset).getUint32(6)
export const doip2AnswerComplete = (b: Uint8Array) => new TextDecoder().decode(b).endsWith("\n#\n#\n")
export const upstreamAnswerComplete = (b: Uint8Array) =>
  b.length >= 8 && b[b.length - 1] === 0 && b[b.length - 2] === 0 && b[b.length - 3] === 0 && b[b.length - 4] === 0

// -----------------------------------------------------------------------------
// the decoders under test
// -----------------------------------------------------------------------------

/** a decoder to fuzz: its cases, a fresh machine (small limits or the defaults), its typed errors, its parts */
export interface DecoderTarget {
  readonly name: string
  readonly cases: fc.Arbitrary<Uint8Array>
  readonly valid: fc.Arbitrary<Encoded>
  readonly make: (small: boolean) => Machine<any, string, any>
  readonly isError: (u: unknown) => boolean
  readonly describe: Describe
}

export const decoderTargets: ReadonlyArray<DecoderTarget> = [
  {
    name: "binary envelope",
    cases: binaryCase,
    valid: binaryValid,
    make: (small) =>
      Envelope.makeDecoder(small ? { maxObjectIdLength: 64, maxJsonBlockSize: 256, maxMessageSize: 4096, maxComponentSize: 2048, maxComponentIdLength: 32 } : undefined),
    isError: Envelope.isEnvelopeError,
    describe: describeBinary
  },
  {
    name: "DOIP v2.0 segments",
    cases: doip2Case,
    valid: doip2Valid,
    make: (small) =>
      SegmentCodec.makeDecoder(small ? { maxJsonSegmentSize: 256, maxSegmentsPerMessage: 4, maxChunkSize: 1024, maxBytesSegmentSize: 2048, maxMessageSize: 4096 } : undefined),
    isError: SegmentCodec.isSegmentError,
    describe: describeDoip2
  },
  {
    name: "upstream length-prefixed",
    cases: upstreamCase,
    valid: upstreamValid,
    make: (small) => LengthPrefixed.makeDecoder(small ? 2048 : undefined),
    isError: LengthPrefixed.isLengthPrefixedError,
    describe: describeUpstream
  }
]

/** one decoder case: the input, how it is chunked, which parts' content is read, which limits */
export const decoderCase = (target: DecoderTarget) =>
  fc.record({ input: target.cases, cuts, read: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), small: fc.boolean() })

/**
 * Runs one case: the decoder over the chunked input must end cleanly or with its typed error, within the step
 * bound; and, reading every content, it must see the same parts and the same end as over the input in one chunk
 * (how the socket cuts the bytes must not change what they mean).
 */
export const runDecoderCase = (
  target: DecoderTarget,
  c: { readonly input: Uint8Array; readonly cuts: ReadonlyArray<number> | "bytewise"; readonly read: ReadonlyArray<boolean>; readonly small: boolean }
): { readonly outcome: Outcome; readonly problem: string | undefined } => {
  const chunks = chunked(c.input, c.cuts)
  const outcome = drive(target.make(c.small), target.isError, target.describe, chunks, (i) => c.read[i % c.read.length]!)
  if (outcome._tag === "Crash" || outcome._tag === "Hang") return { outcome, problem: summary(outcome) }
  const whole = drive(target.make(c.small), target.isError, target.describe, c.input.length === 0 ? [] : [c.input])
  const split = drive(target.make(c.small), target.isError, target.describe, chunks)
  if (summary(whole) !== summary(split)) {
    return { outcome: split, problem: `chunking changed the outcome:\n  whole: ${summary(whole)}\n  split: ${summary(split)}` }
  }
  return { outcome, problem: undefined }
}

// -----------------------------------------------------------------------------
// credentials and search queries
// -----------------------------------------------------------------------------

/** metadata objects as JSON.parse makes them from what a client sends, credential keys of every type among them */
export const metadataObject: fc.Arbitrary<Record<string, unknown>> = fc
  .array(
    fc.tuple(
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom("username", "password", "token", "operation", "element", "__proto__", "constructor", "hasOwnProperty", "toString") },
        { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }
      ),
      wrongValue
    ),
    { maxLength: 6 }
  )
  .map((entries) => {
    const text = `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(",")}}`
    const value = JSON.parse(text)
    // fast-check prints a counterexample through this (its own printer overflows the stack on deep values)
    Object.defineProperty(value, fc.toStringMethod, { value: () => (text.length > 300 ? `${text.slice(0, 300)}... (${text.length} chars)` : text) })
    return value as Record<string, unknown>
  })

/** how deep arrays and objects nest in a JSON value */
export const nesting = (value: unknown): number => {
  let max = 0
  const stack: Array<[unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [v, d] = stack.pop()!
    if (typeof v !== "object" || v === null) continue
    max = Math.max(max, d + 1)
    for (const inner of Object.values(v)) stack.push([inner, d + 1])
  }
  return max
}

/**
 * `Credentials.split` must not throw, must take out exactly the credential keys (as strings or redacted) and leave
 * every other own key as it was, in a plain object.
 */
export const checkCredentials = (metadata: Record<string, unknown>): string | undefined => {
  let result: ReturnType<typeof Credentials.split>
  try {
    result = Credentials.split(metadata)
  } catch (error) {
    return `threw ${String(error)}`
  }
  const { credentials, rest } = result
  const own = Object.keys(metadata)
  const credentialKeys: ReadonlyArray<string> = own.filter((k) => k === "username" || k === "password" || k === "token")
  if ((credentials === undefined) !== (credentialKeys.length === 0)) return `credentials ${credentials === undefined ? "missing" : "invented"}`
  if (credentials !== undefined) {
    if ("username" in metadata && typeof credentials.username !== "string") return "username is not a string"
    for (const k of ["password", "token"] as const) {
      if (k in metadata && !Redacted.isRedacted(credentials[k])) return `${k} is not redacted`
    }
  }
  const expected = own.filter((k) => !credentialKeys.includes(k))
  if (JSON.stringify(Object.keys(rest)) !== JSON.stringify(expected)) {
    return `rest has keys ${JSON.stringify(Object.keys(rest))}, expected ${JSON.stringify(expected)}`
  }
  for (const k of expected) if (rest[k] !== metadata[k]) return `rest[${JSON.stringify(k)}] changed`
  if (Object.getPrototypeOf(rest) !== Object.prototype) {
    return `rest's prototype is ${JSON.stringify(Object.getPrototypeOf(rest))}, not Object.prototype: its keys ${
      JSON.stringify(Object.keys(Object.getPrototypeOf(rest) ?? {}))
    } read through it`
  }
  return undefined
}

/** query texts: terms, fields, quotes, stars, blanks, any text */
export const queryText: fc.Arbitrary<string> = fc.oneof(
  searchQueries,
  fc.array(fc.constantFrom("a", "b", ":", "\"", " ", "\t", "*", ".", "id", "type", "name", "Ω", "\u0000"), { maxLength: 300 }).map((p) => p.join("")),
  fc.string({ maxLength: 2000, unit: "binary" })
)

/** digital objects as search sees them (JSON: strings, numbers, nested objects and arrays) */
export const searchObject: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ id: objectIds, type: fc.constantFrom("Dataset", "ScholarlyArticle"), attributes: fc.record({ content: fc.jsonValue({ maxDepth: 4 }) }), elements: fc.array(fc.record({ id: componentIds, type: fc.constantFrom("text/plain", "application/pdf"), length: fc.nat() }), { maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) }
)

/**
 * The search query language must not throw on any text or object, must stay fast (`matches` over an object, parsing),
 * and sort consistently: `compareBy` is 0 for an object against itself and antisymmetric.
 */
export const checkSearch = (query: string, sort: string, objects: ReadonlyArray<unknown>): string | undefined => {
  try {
    const terms = SearchQuery.parseQuery(query)
    for (const t of terms) {
      if (typeof t.value !== "string" || t.value !== t.value.toLowerCase()) return `term value ${JSON.stringify(t.value)} is not lower case`
    }
    for (const o of objects) {
      const m = SearchQuery.matches(o, terms)
      if (typeof m !== "boolean") return "matches is not a boolean"
      if (terms.length === 0 && !m) return "an empty query did not match"
    }
    const fields = SearchQuery.parseSortFields(sort)
    if (typeof fields === "string") return undefined
    const compare = SearchQuery.compareBy(fields)
    for (const a of objects) {
      if (compare(a, a) !== 0) return `compareBy(a, a) = ${compare(a, a)} for ${JSON.stringify(a)}`
      for (const b of objects) {
        const ab = Math.sign(compare(a, b))
        const ba = Math.sign(compare(b, a))
        if (ab !== -ba) return `compareBy is not antisymmetric on ${JSON.stringify(a)} and ${JSON.stringify(b)} (${fields.map((f) => f.field).join(",")})`
      }
    }
    return undefined
  } catch (error) {
    return `threw ${String(error)}`
  }
}

// -----------------------------------------------------------------------------
// the whole server
// -----------------------------------------------------------------------------

/** a listener to fuzz: which port, its cases, its hello */
export interface ServerTarget {
  readonly name: string
  readonly port: (address: { readonly binaryPort: number; readonly doip2Port: number }) => number
  readonly cases: fc.Arbitrary<Uint8Array>
  readonly hello: Uint8Array
  readonly complete: (answer: Uint8Array) => boolean
}

export const serverTargets: ReadonlyArray<ServerTarget> = [
  { name: "binary", port: (a) => a.binaryPort, cases: binaryCase, hello: binaryHello, complete: binaryAnswerComplete },
  { name: "DOIP v2.0", port: (a) => a.doip2Port, cases: doip2Case, hello: doip2Hello, complete: doip2AnswerComplete },
  { name: "upstream", port: (a) => a.doip2Port, cases: upstreamCase, hello: upstreamHello, complete: upstreamAnswerComplete }
]

export interface ServerFuzzReport {
  readonly cases: number
  /** connections the server neither closed nor let go within the bound */
  readonly hangs: ReadonlyArray<{ readonly input: Uint8Array; readonly cuts: ReadonlyArray<number>; readonly mode: "end" | "stall"; readonly received: number }>
  readonly maxMs: number
  /** hello failures after a batch of cases */
  readonly deaths: ReadonlyArray<string>
}

/**
 * Sends `count` generated cases to a listener, `concurrency` connections at a time, each in its own connection,
 * half of them ending the client's side after the request and half leaving it open and silent; every connection
 * must be closed by the server within `boundMs`. After every batch the listener (and the other wires) must still
 * answer a hello.
 */
export const fuzzServer = async (
  address: { readonly binaryPort: number; readonly doip2Port: number },
  target: ServerTarget,
  options: {
    readonly count: number
    readonly concurrency: number
    readonly boundMs: number
    readonly seed?: number | undefined
    /** how the client leaves each connection after its request: ended, silent, or either (default) */
    readonly mode?: "end" | "stall" | "mixed" | undefined
  }
): Promise<ServerFuzzReport> => {
  const mode = options.mode ?? "mixed"
  const stall = mode === "mixed" ? fc.boolean() : fc.constant(mode === "stall")
  const samples = fc.sample(fc.record({ input: target.cases, cuts: fc.array(fc.nat(), { maxLength: 4 }), stall }), {
    numRuns: options.count,
    ...(options.seed === undefined ? {} : { seed: options.seed })
  })
  const hangs: Array<{ input: Uint8Array; cuts: ReadonlyArray<number>; mode: "end" | "stall"; received: number }> = []
  const deaths: Array<string> = []
  let maxMs = 0
  const port = target.port(address)
  for (let i = 0; i < samples.length; i += options.concurrency) {
    const batch = samples.slice(i, i + options.concurrency)
    const results = await Promise.all(batch.map((s) => serverCase(port, chunk(s.input, s.cuts), s.stall ? "stall" : "end", options.boundMs)))
    results.forEach((r, j) => {
      maxMs = Math.max(maxMs, r.elapsedMs)
      if (!r.closed) hangs.push({ input: batch[j]!.input, cuts: batch[j]!.cuts, mode: batch[j]!.stall ? "stall" : "end", received: r.received })
    })
    for (const t of serverTargets) {
      try {
        await hello(t.port(address), t.hello, t.complete)
      } catch (error) {
        deaths.push(`${t.name} hello after cases ${i}..${i + batch.length - 1} of ${target.name}: ${String(error)}`)
      }
    }
  }
  return { cases: samples.length, hangs, maxMs, deaths }
}
