/**
 * What a workflow derived, and how it is kept: committed when the caller may write, answered only when not.
 *
 * Invoke is open to anonymous callers (the upstream client invokes without credentials), but storing is a write: an
 * anonymous run must not overwrite what the object's owner stored. So a workflow runs the same for everyone and
 * hands what it derived to {@link keep}, which commits it only for a caller who authenticated.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import type { ComponentWriter } from "../storage/ComponentWriter.ts"
import type { StorageError } from "../storage/Storage.ts"

/**
 * A derived component, with its content: the answer carries these bytes (never a re-read of storage, which a later
 * write may have changed already).
 *
 * @category models
 * @since 0.1.0
 */
export interface DerivedComponent {
  readonly componentId: string
  readonly mediaType: string
  readonly size: number
  /** `sha256:<hex>` */
  readonly checksum: string
  readonly bytes: Uint8Array
}

/**
 * Keeps `component`: commits it as one change of `objectId` when `principal` is given (recorded as the committer),
 * and only answers it otherwise. `commitId` is the commit's when one was made.
 *
 * @category constructors
 * @since 0.1.0
 */
export const keep = Effect.fnUntraced(function*(
  writer: ComponentWriter["Service"],
  principal: string | undefined,
  component: {
    readonly objectId: string
    readonly componentId: string
    readonly mediaType: string
    readonly bytes: Uint8Array
    readonly workflow: string
    readonly message?: string | undefined
    readonly metadata?: Readonly<Record<string, string>> | undefined
  }
): Effect.fn.Return<{ readonly derived: DerivedComponent; readonly commitId: string | undefined }, StorageError> {
  const derived = (checksum: string): DerivedComponent => ({
    componentId: component.componentId,
    mediaType: component.mediaType,
    size: component.bytes.length,
    checksum,
    bytes: component.bytes
  })
  if (principal === undefined) {
    return { derived: derived(`sha256:${createHash("sha256").update(component.bytes).digest("hex")}`), commitId: undefined }
  }
  // stored: the storage has hashed the bytes on their way in
  const written = yield* writer.write({
    objectId: component.objectId,
    componentId: component.componentId,
    mediaType: component.mediaType,
    content: Stream.succeed(component.bytes),
    operation: "invoke",
    message: component.message,
    metadata: { workflow: component.workflow, committer: principal, ...component.metadata }
  })
  return { derived: derived(written.stat.checksum), commitId: written.commit.id }
})
