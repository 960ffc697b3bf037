/**
 * The `fixity` workflow: an audit of an object's stored bytes.
 *
 * It streams every component of the object, recomputes its SHA-256, compares it with the checksum storage recorded
 * when the component was written, and stores the result as a derived component `fixity.sha256` in the
 * `sha256sum` format (`<hex>  <componentId>` per line), so anyone can re-check a download with `sha256sum -c`.
 * The answer says, per component, whether the bytes still match.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import * as Derived from "./Derived.ts"
import { ComponentWriter } from "../storage/ComponentWriter.ts"
import { Storage } from "../storage/Storage.ts"
import { WorkflowError } from "./WorkflowError.ts"
import type { Workflow } from "./Workflows.ts"

/**
 * @category constants
 * @since 0.1.0
 */
export const name = "fixity"

/**
 * @category constants
 * @since 0.1.0
 */
export const derivedComponentId = "fixity.sha256"

/**
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.gen(function*() {
  const storage = yield* Storage
  const writer = yield* ComponentWriter

  const sha256 = (objectId: string, componentId: string) =>
    storage.read(objectId, componentId).pipe(
      Stream.runFold(() => createHash("sha256"), (hash, chunk) => hash.update(chunk)),
      Effect.map((hash) => hash.digest("hex"))
    )

  const workflow: Workflow = {
    name,
    description: `recomputes the SHA-256 of every component, compares it with the recorded checksum, and stores ${derivedComponentId}`,
    writes: true,
    run: Effect.fnUntraced(function*({ objectId, params, principal }) {
      const unknown = Object.keys(params)
      if (unknown.length > 0) {
        return yield* new WorkflowError({ kind: "BadParams", message: `fixity takes no params (got ${unknown.join(", ")})` })
      }
      const components = (yield* storage.list(objectId))
        .filter((c) => c.componentId !== derivedComponentId)
      if (components.length === 0) {
        return yield* new WorkflowError({ kind: "NotFound", message: `object ${objectId} has no components` })
      }
      const checked = yield* Effect.forEach(components, (component) =>
        sha256(objectId, component.componentId).pipe(
          Effect.map((hex) => ({
            componentId: component.componentId,
            size: component.size,
            sha256: hex,
            recorded: component.checksum,
            ok: !component.checksum.startsWith("sha256:") || component.checksum === `sha256:${hex}`
          }))
        ))
      const text = checked.map((c) => `${c.sha256}  ${c.componentId}\n`).join("")
      const bytes = new TextEncoder().encode(text)
      const kept = yield* Derived.keep(writer, principal, {
        objectId,
        componentId: derivedComponentId,
        mediaType: "text/plain",
        bytes,
        workflow: name
      })
      return {
        result: { components: checked, allOk: checked.every((c) => c.ok) },
        derivedComponents: [kept.derived],
        commitId: kept.commitId
      }
    })
  }
  return workflow
})
