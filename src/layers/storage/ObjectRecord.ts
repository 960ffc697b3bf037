/**
 * The object's record (`ObjectId.RECORD_ID`): what makes an object exist when it has no components, and what a
 * change of its description alone writes, so that the change is a commit of the object like any other.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { Staging } from "./ComponentWriter.ts"
import { RECORD_ID } from "./ObjectId.ts"
import type { ComponentStat, Storage, StorageError } from "./Storage.ts"

/**
 * Whether the object exists: it has a component, or a record.
 *
 * @category queries
 * @since 0.1.0
 */
export const exists = (
  storage: Storage["Service"],
  objectId: string,
  components?: ReadonlyArray<ComponentStat>
): Effect.Effect<boolean, StorageError> =>
  components !== undefined && components.length > 0 ? Effect.succeed(true) : hasRecord(storage, objectId)

/**
 * Whether the object has a record.
 *
 * @category queries
 * @since 0.1.0
 */
export const hasRecord = (storage: Storage["Service"], objectId: string): Effect.Effect<boolean, StorageError> =>
  storage.stat(objectId, RECORD_ID).pipe(
    Effect.as(true),
    Effect.catchIf((error) => error.kind === "NotFound", () => Effect.succeed(false))
  )

/**
 * Stages the record, holding `description` (the commit metadata that records the object's type and content).
 *
 * @category staging
 * @since 0.1.0
 */
export const stage = (staging: Staging, description: Readonly<Record<string, string>>) =>
  staging.write(RECORD_ID, "application/json", Stream.succeed(new TextEncoder().encode(JSON.stringify(description))))
