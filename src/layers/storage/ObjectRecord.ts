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
import type { ComponentStat, StorageError, StorageReader } from "./Storage.ts"

/**
 * What the object is made of in storage: its committed components, and whether it has a record.
 *
 * @category models
 * @since 0.1.0
 */
export interface Found {
  readonly components: ReadonlyArray<ComponentStat>
  readonly recorded: boolean
}

/**
 * The object's components and record, read at once; `undefined` when it has neither, that is, does not exist. `storage`
 * is the branch (`Storage`), or what it held at a version (`Storage.at`).
 *
 * @category queries
 * @since 0.1.0
 */
export const find = (storage: Pick<StorageReader, "list" | "stat">, objectId: string): Effect.Effect<Found | undefined, StorageError> =>
  Effect.map(
    Effect.all([
      storage.list(objectId),
      storage.stat(objectId, RECORD_ID).pipe(
        Effect.as(true),
        Effect.catchIf((error) => error.kind === "NotFound", () => Effect.succeed(false))
      )
    ], { concurrency: 2 }),
    ([components, recorded]) => components.length === 0 && !recorded ? undefined : { components, recorded }
  )

/**
 * Stages the record, holding `description` (the commit metadata that records the object's type and content).
 *
 * @category staging
 * @since 0.1.0
 */
export const stage = (staging: Staging, description: Readonly<Record<string, string>>) =>
  staging.write(RECORD_ID, "application/json", Stream.succeed(new TextEncoder().encode(JSON.stringify(description))))
