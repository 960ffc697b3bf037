/**
 * create: a new object from a digital object and its elements' data, committed as one commit.
 *
 * The id is the input object's `id`, else the target when it names an object (the binary envelope's header), else
 * the next free QID. An id already in use is a `Conflict` (DOIP status 105); the check runs under the writer's lock,
 * so two creates of one id cannot both succeed (and once before the elements' data is received, so that a doomed
 * create does not read it all first). Objects in this store are their components, so a create needs at
 * least one element with data. The binary envelope sends `type` and `attributes` in its metadata and the elements
 * as component blocks.
 *
 * Upstream's create (binary envelope and compat framing, with `json`): see `createItem`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { builtin } from "../../protocol/OperationCodes.ts"
import * as DigitalObject from "../../protocol/DigitalObject.ts"
import { badRequest, DoipError } from "../../protocol/DoipError.ts"
import { type DoipRequest, type DoipResponse, metadataResponse } from "../../protocol/DoipMessage.ts"
import { parseJsonObject } from "../../protocol/doip2/Codec.ts"
import { allPropertyIds, KnowledgeGraph, NewItem } from "../../layers/knowledge/KnowledgeGraph.ts"
import type { ServiceError } from "../ServiceErrors.ts"
import { Auth } from "../Auth.ts"
import { ComponentWriter } from "../../layers/storage/ComponentWriter.ts"
import { FdoFacade } from "../../layers/metadata/FdoFacade.ts"
import { parseObjectId } from "../../layers/storage/ObjectId.ts"
import { ServerConfig } from "../../layers/config/ServerConfig.ts"
import { Storage } from "../../layers/storage/Storage.ts"
import type { Operation } from "../OperationRegistry.ts"
import * as ObjectRecord from "../../layers/storage/ObjectRecord.ts"
import { answerWithObject, descriptionMetadata, receiveElements, stageElements } from "./ObjectInput.ts"
import { digitalObjectOf, parseId, wikiWriterOf } from "./Requests.ts"

const decodeItem = Schema.decodeUnknownEffect(NewItem)

/**
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const auth = yield* Auth
  const storage = yield* Storage
  const writer = yield* ComponentWriter
  const facade = yield* FdoFacade
  const { limits } = yield* ServerConfig
  const graph = yield* Effect.serviceOption(KnowledgeGraph)
  // the highest QID number handed out or seen; read from storage on the first create that needs a fresh id
  const highest = yield* Ref.make<bigint | undefined>(undefined)
  const rescan = Effect.gen(function*() {
    const objects = yield* storage.objects()
    const seen = objects.reduce((max, id) => (BigInt(id.slice(1)) > max ? BigInt(id.slice(1)) : max), 0n)
    yield* Ref.update(highest, (current) => (current === undefined || seen > current ? seen : current))
  })

  /**
   * The next QID no object has. Objects also appear without this handler (created with an id of their own, written
   * by another server on the same lakeFS branch, seeded), so each candidate is checked, and after a run of taken
   * ones storage is read again; the check under the writer's lock still catches a create that wins the race.
   */
  const freshId = Effect.gen(function*() {
    if ((yield* Ref.get(highest)) === undefined) yield* rescan
    for (let taken = 1;; taken++) {
      const id = yield* Ref.modify(highest, (current) => [`Q${current! + 1n}`, current! + 1n])
      if ((yield* ObjectRecord.find(storage, id)) === undefined) return id
      if (taken % 16 === 0) yield* rescan
    }
  })

  const idOf = (request: DoipRequest, object: typeof DigitalObject.DigitalObjectInput.Type) => {
    if (object.id !== undefined) return parseId(object.id)
    const target = parseObjectId(request.objectId)
    return Result.isSuccess(target) ? Effect.succeed(target.success) : freshId
  }

  return {
    ...builtin("create"),
    target: "service",
    handler: Effect.fnUntraced(function*(request) {
      const principal = yield* auth.authorizeWrite(request.credentials, request.peer)
      // upstream's create: an item as JSON text, for the knowledge graph
      if (request.endpoint.framing !== "doip2" && request.attributes["json"] !== undefined) {
        return yield* createItem(request, principal)
      }
      const object = yield* digitalObjectOf(
        request.input === undefined
          ? { ...request, input: { type: request.attributes["type"], attributes: request.attributes["attributes"] } }
          : request
      )
      return yield* createObject(request, object, principal)
    })
  } satisfies Operation

  /**
   * Upstream's create, `{json, username, password}`: the item, checked before anything is sent, becomes an item of
   * the knowledge graph through the importer when one is configured (the writer's wiki user name and bot password go
   * with it), else an object of this server with no elements (its content the item). Answered as upstream does,
   * `{operation: "create", status: "created", qid}`, with `objectId` beside it.
   */
  function createItem(request: DoipRequest, principal: string): Effect.Effect<DoipResponse, DoipError | ServiceError> {
    return Effect.gen(function*() {
      const json = request.attributes["json"]
      if (typeof json !== "string") return yield* badRequest(`"json" must be the new item as JSON text`)
      const parsed = parseJsonObject(new TextEncoder().encode(json), limits.maxJsonDepth)
      if (typeof parsed === "string") return yield* badRequest(`create: "json" is not a JSON object: ${parsed}`)
      if (!allPropertyIds(parsed["claims"])) {
        return yield* badRequest(`create: claims and their qualifiers must be keyed by property ids (P<digits>)`)
      }
      const item = yield* Effect.mapError(
        decodeItem(parsed),
        (error) => badRequest(`create: the item is not {label, description?, claims?} nor {type, fields?}: ${error.message}`)
      )
      const items = Option.getOrUndefined(graph)?.items
      if (items !== undefined) {
        const qid = yield* items.create(item, yield* wikiWriterOf(request, "creating a knowledge-graph item"))
        return metadataResponse({ operation: "create", status: "created", qid, objectId: qid })
      }
      const content = "label" in item
        ? { name: item.label, ...(item.description === undefined ? {} : { description: item.description }), ...(item.claims === undefined ? {} : { claims: item.claims }) }
        : { ...item.fields }
      return yield* createObject(request, { type: "label" in item ? "Item" : item.type, attributes: { content } }, principal)
    })
  }

  function createObject(
    request: DoipRequest,
    object: typeof DigitalObject.DigitalObjectInput.Type,
    principal: string
  ): Effect.Effect<DoipResponse, DoipError | ServiceError> {
    return Effect.gen(function*() {
      const objectId = yield* idOf(request, object)
      yield* Ref.update(highest, (current) => (current === undefined || BigInt(objectId.slice(1)) <= current ? current : BigInt(objectId.slice(1))))
      const description = yield* descriptionMetadata(object)
      const exists = Effect.gen(function*() {
        if ((yield* ObjectRecord.find(storage, objectId)) !== undefined) {
          return yield* new DoipError({ kind: "Conflict", message: `object ${objectId} already exists` })
        }
      })
      yield* exists
      const changed = yield* Effect.scoped(Effect.gen(function*() {
        // the data first, before the lock: a slow client holds back no other writer
        const received = yield* receiveElements({
          request,
          objectId,
          object,
          existing: [],
          writer,
          maxComponentSize: limits.maxComponentSize
        })
        return yield* writer.change(
          { objectId, operation: "create", metadata: { committer: principal, ...description } },
          Effect.fnUntraced(function*(staging) {
            // again under the lock, where it counts: another create of the id may have committed meanwhile
            yield* exists
            const staged = yield* stageElements(received, staging)
            // the record makes the object, with or without elements (a Cordra-style object is its JSON alone)
            yield* ObjectRecord.stage(staging, description)
            return staged
          })
        )
      }))
      const metadata = {
        operation: "create",
        status: "created",
        objectId,
        qid: objectId, // upstream clients read `qid`; ours `objectId`
        componentIds: changed.result.written.map((stat) => stat.componentId),
        branch: changed.branch,
        commitId: changed.commit.id
      }
      return yield* answerWithObject(facade, objectId, metadata)
    })
  }
})
