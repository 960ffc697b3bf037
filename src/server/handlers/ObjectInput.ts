/**
 * Staging a digital object's elements (create, and update with a digital object as input): every element that
 * arrives with data is written; when the object lists its `elements`, existing components it leaves out are
 * deleted and listed elements without data must already exist. Element media types come from the element's `type`,
 * else from the framing, else from the component being replaced.
 *
 * Two steps, so that no client's bytes are read while the writer's lock is held: `receiveElements` reads the
 * elements' data off the request and spools it, before the change; `stageElements` stages what was received, in the
 * change.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as DigitalObject from "../../protocol/DigitalObject.ts"
import { badRequest, type DoipError } from "../../protocol/DoipError.ts"
import { type DoipRequest, dualResponse, type DoipResponse, type JsonObject } from "../../protocol/DoipMessage.ts"
import type { FacadeError } from "../../layers/metadata/FacadeError.ts"
import type { FdoFacade } from "../../layers/metadata/FdoFacade.ts"
import type { ComponentWriter, Staging } from "../../layers/storage/ComponentWriter.ts"
import type { ComponentStat, Spooled, StorageError } from "../../layers/storage/Storage.ts"
import { canonicalJson, clientContent, DescriptionKeys, isRecord } from "../../layers/metadata/ObjectDescription.ts"
import { parseComponentId } from "../../layers/storage/ObjectId.ts"
import { componentIdOf } from "./Requests.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface Staged {
  readonly written: ReadonlyArray<ComponentStat>
  readonly removed: ReadonlyArray<string>
}

/**
 * The elements of a request, received: their data spooled (until the scope closes), not yet staged.
 *
 * @category models
 * @since 0.1.0
 */
export interface Received {
  readonly object: typeof DigitalObject.DigitalObjectInput.Type
  readonly existing: ReadonlyArray<ComponentStat>
  /** the elements the object lists, by component id */
  readonly declared: ReadonlyMap<string, DigitalObject.Element>
  /** the elements that came with data, in the order they came */
  readonly elements: ReadonlyArray<{ readonly id: string; readonly mediaType: string; readonly spooled: Spooled }>
}

/**
 * Reads the request's components one after the other (the order they come off the wire) and spools each, checking
 * them against the object's list of elements as they come. Runs before the change: a client sending slowly, or not
 * at all, holds back no other writer.
 *
 * @since 0.1.0
 */
export const receiveElements = Effect.fnUntraced(function*(options: {
  readonly request: DoipRequest
  /** the object the elements are for: a `doip:bitstream/…` element id must name it */
  readonly objectId: string
  readonly object: typeof DigitalObject.DigitalObjectInput.Type
  readonly existing: ReadonlyArray<ComponentStat>
  readonly writer: ComponentWriter["Service"]
  readonly maxComponentSize: number
}) {
  const { existing, object, request, writer } = options
  const declared = new Map<string, DigitalObject.Element>()
  for (const element of object.elements ?? []) {
    const id = yield* componentIdOf(element.id, options.objectId)
    if (declared.has(id)) return yield* badRequest(`element ${JSON.stringify(id)} is listed twice`)
    declared.set(id, element)
  }
  const current = new Map(existing.map((stat) => [stat.componentId, stat]))
  const elements: Array<Received["elements"][number]> = []
  for (;;) {
    const component = yield* request.nextComponent
    if (component === undefined) break
    const id = yield* componentIdOf(component.componentId, options.objectId)
    if (object.elements !== undefined && !declared.has(id)) {
      return yield* badRequest(`element ${JSON.stringify(id)} has data but is not listed in the object's elements`)
    }
    if (elements.some((element) => element.id === id)) {
      return yield* badRequest(`element ${JSON.stringify(id)} has data twice`)
    }
    const mediaType = declared.get(id)?.type ?? component.mediaType ?? current.get(id)?.mediaType ??
      "application/octet-stream"
    const spooled = yield* writer.spool(component.content, {
      maxSize: options.maxComponentSize,
      expectedSize: component.size
    })
    elements.push({ id, mediaType, spooled })
  }
  return { object, existing, declared, elements } satisfies Received
})

/**
 * Stages the received elements through `staging`, and the removal of the existing components a listing object
 * leaves out.
 *
 * @since 0.1.0
 */
export const stageElements = Effect.fnUntraced(function*(received: Received, staging: Staging) {
  const { declared, elements, existing, object } = received
  const written: Array<ComponentStat> = []
  for (const { id, mediaType, spooled } of elements) {
    written.push(yield* staging.stage(id, mediaType, spooled))
  }
  const current = new Set(existing.map((stat) => stat.componentId))
  const removed: Array<string> = []
  if (object.elements !== undefined) {
    for (const id of declared.keys()) {
      if (!current.has(id) && !elements.some((element) => element.id === id)) {
        return yield* badRequest(`element ${JSON.stringify(id)} is listed but has no data`)
      }
    }
    for (const id of current) {
      if (!declared.has(id)) {
        yield* staging.remove(id)
        removed.push(id)
      }
    }
  }
  return { written, removed } satisfies Staged
})

/**
 * The commit metadata that records what the object says about itself (its type and `attributes.content`, less what
 * the server makes: `clientContent`), and the attributes of each element it lists with `attributes` (an empty set
 * clears them). Only what differs from `current`, the object as retrieve reports it now, is recorded: a client sends
 * the whole object back, and what it did not change is no change (an object without a type of its own is reported
 * as `DigitalObject`; sending that back must not make it one).
 *
 * A `filename` must be a file name (`parseComponentId`): clients save elements under it.
 *
 * @since 0.1.0
 */
export const descriptionMetadata = (
  object: typeof DigitalObject.DigitalObjectInput.Type,
  current?: DigitalObject.DigitalObject
): Effect.Effect<Record<string, string>, DoipError> => {
  const metadata: Record<string, string> = {}
  if (object.type !== undefined && object.type !== current?.type) metadata[DescriptionKeys.type] = object.type
  const content = object.attributes?.["content"]
  if (content !== undefined) {
    if (!isRecord(content)) {
      return Effect.fail(badRequest(`attributes.content must be a JSON object, got ${JSON.stringify(content)}`))
    }
    const owned = clientContent(content)
    const was = current?.attributes?.["content"]
    if (!isRecord(was) || canonicalJson(clientContent(was)) !== canonicalJson(owned)) {
      metadata[DescriptionKeys.content] = JSON.stringify(owned)
    }
  }
  const elements: Record<string, Record<string, unknown>> = {}
  for (const element of object.elements ?? []) {
    if (element.attributes === undefined) continue
    const filename = element.attributes["filename"]
    if (filename !== undefined && (typeof filename !== "string" || Result.isFailure(parseComponentId(filename)))) {
      return Effect.fail(badRequest(`element ${JSON.stringify(element.id)}: "filename" must be a file name, got ${JSON.stringify(filename)}`))
    }
    const attributes = ownAttributes(element.id, element.attributes)
    const was = current?.elements?.find((e) => e.id === element.id)
    if (was === undefined || canonicalJson(ownAttributes(element.id, was.attributes ?? {})) !== canonicalJson(attributes)) {
      elements[element.id] = attributes
    }
  }
  if (Object.keys(elements).length > 0) metadata[DescriptionKeys.elements] = JSON.stringify(elements)
  return Effect.succeed(metadata)
}

/**
 * An element's attributes as the client owns them: the checksum is the server's, and a file name that is the id is
 * what every element has anyway.
 */
const ownAttributes = (id: string, attributes: Readonly<Record<string, unknown>>): Record<string, unknown> => {
  const { checksum: _checksum, ...owned }: Record<string, unknown> = attributes
  if (owned["filename"] === id) delete owned["filename"]
  return owned
}

/**
 * The answer to a write: `metadata` for the binary envelope, the object as it is now for DOIP v2.0.
 *
 * @since 0.1.0
 */
export const answerWithObject = (
  facade: FdoFacade["Service"],
  objectId: string,
  metadata: JsonObject
): Effect.Effect<DoipResponse, FacadeError | StorageError> =>
  Effect.map(facade.manifest(objectId), (manifest) => dualResponse(metadata, DigitalObject.fromManifest(objectId, manifest)))
