/**
 * An object's versions as the `versions` operation answers them, the same on every wire:
 * `{operation: "versions", objectId, versions: [ObjectVersion, ...]}`, newest first. A version is a commit that
 * changed the object; its `id` is what retrieve takes as `version`.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

const Names = Schema.Array(Schema.String)

/**
 * The component ids a commit added, changed (wrote again) and removed: in a version, and in a change as watchers see
 * it (`ChangeEvent.ts`).
 *
 * @category schemas
 * @since 0.1.0
 */
export const ComponentChanges = Schema.Struct({ added: Names, changed: Names, removed: Names })

/**
 * @category schemas
 * @since 0.1.0
 */
export const ObjectVersion = Schema.Struct({
  /** the commit id: retrieve's `version` */
  id: Schema.String,
  /** ISO 8601 */
  time: Schema.String,
  /** who made the change: the writer the server authorized, else the store's committer */
  author: Schema.String,
  message: Schema.String,
  /** `create`, `update`, `delete`, `invoke`, ... as the commit recorded it (none for a commit made by hand) */
  operation: Schema.optional(Schema.String),
  /** the component ids the commit added, changed (wrote again) and removed */
  components: ComponentChanges,
  /** present when the commit changed what the object says of itself (its type, content, element attributes) */
  description: Schema.optional(Schema.Literals(["added", "changed", "removed"]))
})

/**
 * @category models
 * @since 0.1.0
 */
export type ObjectVersion = typeof ObjectVersion.Type

/**
 * The answer of `versions`, as far as a client reads it.
 *
 * @category schemas
 * @since 0.1.0
 */
export const VersionsAnswer = Schema.Struct({ versions: Schema.Array(ObjectVersion) })
