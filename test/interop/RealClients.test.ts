/**
 * The real clients' bytes, replayed: doipy/doip-sdk (GWDG, Python) and CNRI's DOIP Java client (the reference SDK
 * behind Cordra) were run against our server through interop/record-proxy.ts (interop/run-real-clients.sh --save
 * records them again). Each client's requests are sent here, exactly as recorded (only object ids the server chose are
 * swapped for the ones this server chooses), to a fresh in-process server, and each answer is read the way that client
 * reads it: the status and the fields its code goes on to use. No Python or Java is needed.
 */
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { ListenAddress } from "../../src/server/DoipServer.ts"
import { layerServer, seed } from "../support/TestServer.ts"
import { Doip2Connection, type Exchange, exchanges, load, type Message, rewrite } from "./Transcript.ts"

const credentials = { auth: { token: "interop-token-123", username: "alice", password: "alice-secret" } }
const OK = "0.DOIP/Status.001"

interface Replayed extends Exchange {
  readonly replayed: Message
}

/** a fresh server; every recorded connection replayed on a connection of its own, its requests in order */
const replay = async (client: string): Promise<Array<Replayed>> => {
  const transcript = load(client)
  const program = Effect.gen(function*() {
    yield* seed("Q123", "fulltext.pdf", "%PDF-1.4\n% a stand-in for the demo paper\n", "application/pdf")
    const address = yield* ListenAddress
    return yield* Effect.promise(async () => {
      const ids = new Map<string, string>()
      const out: Array<Replayed> = []
      for (const connection of transcript.connections) {
        const recorded = exchanges(connection)
        if (recorded.length === 0) continue
        const socket = await Doip2Connection.open(address.doip2Port)
        try {
          for (const exchange of recorded) {
            const replayed = await socket.exchange(rewrite(exchange.request, ids))
            const before = head(exchange.response).output?.id
            const after = head(replayed).output?.id
            if (typeof before === "string" && typeof after === "string" && /^Q\d+$/.test(before) && before !== after) {
              ids.set(before, after)
            }
            out.push({ ...exchange, replayed })
          }
        } finally {
          socket.close()
        }
      }
      return out
    })
  })
  return Effect.runPromise(Effect.scoped(Layer.build(layerServer({ settings: credentials })).pipe(
    Effect.flatMap((context) => Effect.provide(program, context))
  )))
}

const head = (message: Message): any => {
  const first = message.segments[0]
  if (first?.kind !== "json") throw new Error("the first segment of an answer is not JSON")
  return first.value
}
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const bytesSegments = (message: Message) => message.segments.filter((s) => s.kind === "bytes")
const steps = (all: ReadonlyArray<Replayed>, step: string) => {
  const found = all.filter((e) => e.step === step)
  assert.isAbove(found.length, 0, `the transcript has requests for step ${step}`)
  return found
}
const only = (all: ReadonlyArray<Replayed>, step: string) => {
  const found = steps(all, step)
  assert.strictEqual(found.length, 1, `one request in step ${step}`)
  return found[0]
}

/** what every client needs of every answer: the recorded status again, and the request id echoed when one was sent */
const sameStatusAndRequestId = (all: ReadonlyArray<Replayed>) => {
  for (const e of all) {
    const request = head(e.request)
    const answer = head(e.replayed)
    assert.strictEqual(answer.status, head(e.response).status, `${e.step}: status as recorded`)
    if (request.requestId !== undefined) assert.strictEqual(answer.requestId, request.requestId, `${e.step}: requestId echoed`)
  }
}

/** doip-sdk hands doipy every segment; doipy json.loads each one unless it asked for an element's bytes */
const doipyDecodes = (message: Message) => {
  for (const segment of message.segments) assert.strictEqual(segment.kind, "json", "doipy json.loads every segment")
  return message.segments.map((s) => (s.kind === "json" ? s.value : undefined))
}

describe("doipy / doip-sdk (GWDG), replayed", () => {
  let all: Array<Replayed> = []
  beforeAll(async () => {
    all = await replay("doipy")
  })

  it("recorded one connection per request, no requestId, and every answer has the recorded status", () => {
    const transcript = load("doipy")
    for (const connection of transcript.connections) assert.isAtMost(exchanges(connection).length, 1)
    for (const e of all) assert.isUndefined(head(e.request).requestId)
    sameStatusAndRequestId(all)
  })

  it("hello and listOperations: a DOIPService with protocolVersion 2.0, operations as a list of ids", () => {
    const hello = doipyDecodes(only(all, "hello").replayed)[0]
    assert.strictEqual(hello.status, OK)
    assert.strictEqual(hello.output.attributes.protocolVersion, "2.0")
    assert.include(doipyDecodes(only(all, "listOperations-service").replayed)[0].output, "0.DOIP/Op.Create")
    assert.include(doipyDecodes(only(all, "listOperations-object").replayed)[0].output, "0.DOIP/Op.Retrieve")
  })

  it("create with a file: the element keeps doipy's uuid id and its filename, and the answer is one JSON segment", () => {
    const e = only(all, "create-with-file")
    const sent = e.request.segments[1]
    assert.strictEqual(sent.kind, "json")
    const uuid = (sent as any).value.elements[0].id
    const [answer] = doipyDecodes(e.replayed)
    assert.strictEqual(answer.status, OK)
    assert.match(answer.output.id, /^Q\d+$/)
    assert.deepInclude(answer.output.elements[0], { id: uuid, length: 12, type: "text/plain" })
    assert.strictEqual(answer.output.elements[0].attributes.filename, "hello.txt")
  })

  it("create without a file, with username/password and with clientId/password", () => {
    for (const step of ["create-without-file", "create-clientId-password"]) {
      const [answer] = doipyDecodes(only(all, step).replayed)
      assert.strictEqual(answer.status, OK, step)
      assert.match(answer.output.id, /^Q\d+$/, step)
    }
    assert.strictEqual(head(only(all, "create-clientId-password").request).clientId, "alice")
  })

  it("retrieve of an element: attributes.filename in the first segment (doipy crashes without it), then the bytes", () => {
    for (const e of steps(all, "retrieve-element")) {
      const first = head(e.replayed)
      assert.strictEqual(first.status, OK)
      assert.strictEqual(first.attributes.filename, "hello.txt")
      // doip-sdk's reader: content[1] is the element's bytes
      assert.strictEqual(text((bytesSegments(e.replayed)[0] as any).data), "Hello World\n")
    }
  })

  it("retrieve with includeElementData (doip-sdk): the object, then its element's id and bytes", () => {
    const e = only(all, "retrieve-includeElementData")
    const [first, object, elementId, data] = e.replayed.segments as any
    assert.strictEqual(first.value.status, OK)
    assert.isArray(object.value.elements)
    assert.strictEqual(elementId.value.id, object.value.elements[0].id)
    assert.strictEqual(text(data.data), "Hello World\n")
  })

  it("update_bitsq: the new bytes are stored and read back under the element's filename", () => {
    const [update, retrieve] = steps(all, "update-bitsq")
    assert.strictEqual(head(update.replayed).status, OK)
    const reread = steps(all, "update-bitsq").find((e) => bytesSegments(e.replayed).length > 0)!
    assert.strictEqual(text((bytesSegments(reread.replayed)[0] as any).data), "Hello again\n")
    assert.strictEqual(head(reread.replayed).attributes.filename, "hello2.txt")
    void retrieve
  })

  it("search: {size, results[]} with the created object", () => {
    const [answer] = doipyDecodes(only(all, "search").replayed)
    assert.strictEqual(answer.status, OK)
    assert.isAtLeast(answer.output.size, 1)
    const created = head(only(all, "create-with-file").replayed).output.id
    assert.include(answer.output.results.map((r: any) => r.id), created)
  })

  it("invoke of the fixity workflow through doip-sdk's send_request", () => {
    assert.strictEqual(head(only(all, "invoke-fixity").replayed).status, OK)
  })

  it("a wrong token is 102; delete with token, username/password and clientId/password; then 104", () => {
    assert.strictEqual(doipyDecodes(only(all, "credentials-bad-token").replayed)[0].status, "0.DOIP/Status.102")
    const deletes = steps(all, "delete")
    for (const e of deletes.filter((e) => head(e.request).operationId === "0.DOIP/Op.Delete")) {
      assert.strictEqual(doipyDecodes(e.replayed)[0].status, OK)
    }
    const last = deletes[deletes.length - 1]
    assert.strictEqual(head(last.request).operationId, "0.DOIP/Op.Retrieve")
    assert.strictEqual(head(last.replayed).status, "0.DOIP/Status.104")
  })

  // doipy reads back attributes.content as it sent it: update_metadata merges the new keys into it, and refuses a key
  // it does not find (a server that moved the content into content.profile failed here)
  it("retrieve gives attributes.content as doipy sent it (content.name)", () => {
    const answer = head(only(all, "retrieve").replayed)
    assert.strictEqual(answer.output.attributes.content.name, "doipy interop")
  })

  it("update_metadata: retrieve, the content sent back with a changed name, kept without nesting, elements kept", () => {
    const round = steps(all, "update-metadata-roundtrip")
    const update = round.find((e) => head(e.request).operationId === "0.DOIP/Op.Update")
    assert.isDefined(update, "doipy sent the update")
    assert.strictEqual(head(update!.replayed).status, OK)
    const reread = head(round[round.length - 1]!.replayed).output
    assert.strictEqual(reread.attributes.content.name, "doipy interop, updated")
    assert.notProperty(reread.attributes.content.profile ?? {}, "name", "nothing nests inside the profile")
    assert.strictEqual(reread.elements.length, 1)
  })
})

describe("CNRI DOIP Java client (net.dona.doip), replayed", () => {
  let all: Array<Replayed> = []
  beforeAll(async () => {
    all = await replay("cnri")
  })
  afterAll(() => {
    all = []
  })

  it("recorded one pooled connection with a requestId per request; every answer echoes it with the recorded status", () => {
    const transcript = load("cnri")
    assert.strictEqual(transcript.connections.filter((c) => exchanges(c).length > 0).length, 1)
    for (const e of all) assert.isString(head(e.request).requestId)
    sameStatusAndRequestId(all)
  })

  it("hello: compact output, a DigitalObject with id and attributes.protocolVersion", () => {
    const e = only(all, "hello")
    assert.strictEqual(e.replayed.segments.length, 1, "compact output")
    const answer = head(e.replayed)
    assert.isString(answer.output.id)
    assert.strictEqual(answer.output.attributes.protocolVersion, "2.0")
  })

  it("listOperations: output is a JSON array of operation ids", () => {
    assert.includeMembers(head(only(all, "listOperations-service").replayed).output, ["0.DOIP/Op.Hello", "0.DOIP/Op.Create"])
    assert.include(head(only(all, "listOperations-object").replayed).output, "0.DOIP/Op.Retrieve")
  })

  it("create with an element: the DigitalObject back with the element's id, length and filename", () => {
    const e = only(all, "create-with-element")
    assert.deepStrictEqual(e.request.segments.map((s) => s.kind), ["json", "json", "json", "bytes"])
    const answer = head(e.replayed)
    assert.strictEqual(answer.status, OK)
    assert.match(answer.output.id, /^Q\d+$/)
    assert.deepInclude(answer.output.elements[0], { id: "notes", length: 12, type: "text/plain" })
    assert.strictEqual(answer.output.elements[0].attributes.filename, "hello.txt")
    assert.match(head(only(all, "create-without-elements").replayed).output.id, /^Q\d+$/)
  })

  it("retrieve sends attributes {} and gets compact output; includeElementData arrives as the string \"true\"", () => {
    const plain = only(all, "retrieve")
    assert.deepStrictEqual(head(plain.request).attributes, {})
    assert.strictEqual(plain.replayed.segments.length, 1)
    const full = only(all, "retrieve-includeElementData")
    assert.strictEqual(head(full.request).attributes.includeElementData, "true")
    // digitalObjectFromSegments: the object, then per element {"id"} and its bytes
    const [, object, elementId, data] = full.replayed.segments as any
    assert.strictEqual(object.value.id, head(full.replayed).output?.id ?? object.value.id)
    assert.strictEqual(elementId.value.id, "notes")
    assert.strictEqual(text(data.data), "Hello World\n")
  })

  it("retrieveElement and retrievePartialElement: the first segment is the element's bytes", () => {
    const cases: Array<[string, string]> = [
      ["retrieveElement", "Hello World\n"],
      ["retrievePartialElement-0-4", "Hello"],
      ["retrievePartialElement-last-6", "World\n"],
      ["retrievePartialElement-6-end", "World\n"]
    ]
    for (const [step, expected] of cases) {
      const e = only(all, step)
      // InDoipMessageUtil.getFirstSegment(output): the first output segment must be the bytes themselves
      const output = e.replayed.segments.slice(1)
      assert.strictEqual(output[0]?.kind, "bytes", `${step}: first output segment is bytes`)
      assert.strictEqual(text((output[0] as any).data), expected, step)
    }
    assert.deepStrictEqual(head(only(all, "retrievePartialElement-last-6").request).attributes.range, { end: 6 })
  })

  it("update round trip: the retrieved object sent back changed, the change answered and kept", () => {
    const [, update, reread] = steps(all, "update-roundtrip")
    assert.strictEqual(head(update.request).operationId, "0.DOIP/Op.Update")
    assert.strictEqual(head(update.replayed).output.attributes.content.name, "cnri interop, updated")
    assert.strictEqual(head(reread.replayed).output.attributes.content.name, "cnri interop, updated")
    const adds = steps(all, "update-add-element")
    const add = adds.find((e) => head(e.request).operationId === "0.DOIP/Op.Update")!
    assert.deepStrictEqual(head(add.replayed).output.elements.map((el: any) => el.id).sort(), ["more", "notes"])
  })

  it("search and searchIds: {size, results} of objects, and of ids when type is id", () => {
    const search = head(only(all, "search").replayed).output
    assert.isAtLeast(search.size, 2)
    for (const r of search.results) assert.isString(r.id)
    const ids = only(all, "searchIds-sorted")
    assert.strictEqual(head(ids.request).attributes.type, "id")
    const results = head(ids.replayed).output.results
    for (const r of results) assert.isString(r)
    assert.deepStrictEqual([...results].sort().reverse(), results, "sorted by id descending")
  })

  it("invoke through performOperation answers 001 with output segments", () => {
    const e = only(all, "invoke-fixity")
    assert.strictEqual(head(e.replayed).status, OK)
    assert.isAbove(e.replayed.segments.length, 1)
  })

  it("credentials: a wrong token and a write without any are 102; delete with token and password; then 104", () => {
    assert.strictEqual(head(only(all, "credentials-bad-token").replayed).status, "0.DOIP/Status.102")
    assert.strictEqual(head(only(all, "credentials-no-auth-write").replayed).status, "0.DOIP/Status.102")
    for (const e of steps(all, "delete")) assert.strictEqual(head(e.replayed).status, OK)
    assert.strictEqual(head(only(all, "retrieve-deleted").replayed).status, "0.DOIP/Status.104")
  })

  // Cordra-style clients read back attributes.content as sent at create
  it("retrieve after create gives attributes.content.name as sent", () => {
    assert.strictEqual(head(only(all, "retrieve").replayed).output.attributes.content.name, "cnri interop")
  })
})
