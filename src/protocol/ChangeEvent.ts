/**
 * A change of an object as watchers see it, the same on every wire (DOIP v2.0's watch, the HTTP gateway's
 * Server-Sent Events): one commit of the branch that changed one object.
 *
 * ```json
 * {"objectId": "Q123", "version": "3f…", "operation": "update", "time": "2026-12-07T10:00:00.000Z",
 *  "components": {"added": ["notes.txt"], "changed": [], "removed": []}}
 * ```
 *
 * `version` is the commit id: what watch's `since` takes to resume after it, and what retrieve's `version` reads the
 * object at. Events come in the order of the branch's commits.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { ComponentChanges } from "./ObjectVersion.ts"

/**
 * @category schemas
 * @since 0.1.0
 */
export const ChangeEvent = Schema.Struct({
  objectId: Schema.String,
  /** the commit id */
  version: Schema.String,
  /** `create`, `update`, `delete`, `invoke`, ... as the commit recorded it */
  operation: Schema.String,
  /** when the commit was made, ISO 8601 */
  time: Schema.String,
  /** the component ids the commit added, changed (wrote again) and removed */
  components: ComponentChanges
})

/**
 * @category models
 * @since 0.1.0
 */
export type ChangeEvent = typeof ChangeEvent.Type

