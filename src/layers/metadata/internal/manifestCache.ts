/**
 * The manifest cache both façades keep: bounded, with a time to live, failures not kept, concurrent lookups of one
 * object sharing one. Where other processes write to the branch too (`Storage.versions`, lakeFS with several
 * servers), an entry remembers the branch's head it was looked up at, and is served only after a check against the
 * head now: the same head, or a head under which nothing of the object changed (one diff), serves it; else it is
 * looked up afresh. So a server serves what another server wrote as soon as that write is acknowledged, for one call
 * to lakeFS per manifest (shared between the manifests asked for at the same time) instead of the listing, stats
 * and history of a lookup. When the head cannot be read, the entry is served as it is (a lookup would fail too).
 */
import * as Cache from "effect/Cache"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { Manifest } from "../FdoFacade.ts"
import type { Storage, StorageError } from "../../storage/Storage.ts"

export interface ManifestCache<E> {
  readonly get: (objectId: string) => Effect.Effect<Manifest, E | StorageError>
  readonly invalidate: (objectId: string) => Effect.Effect<void>
}

interface Entry {
  readonly manifest: Manifest
  /** the branch's head this entry is known to be right at; `undefined` where storage has no versions */
  at: string | undefined
}

export const make = <E>(
  storage: Storage["Service"],
  lookup: (objectId: string) => Effect.Effect<Manifest, E>,
  options: { readonly capacity: number; readonly timeToLive: Duration.Input }
): Effect.Effect<ManifestCache<E>> =>
  Effect.gen(function*() {
    const versions = storage.versions
    const cache = yield* Cache.makeWith(
      (objectId: string): Effect.Effect<Entry, E | StorageError> =>
        versions === undefined
          ? Effect.map(lookup(objectId), (manifest) => ({ manifest, at: undefined }))
          // the head first: a write landing during the lookup makes the entry look older than it is, never newer
          : Effect.flatMap(versions.head, (at) => Effect.map(lookup(objectId), (manifest) => ({ manifest, at }))),
      {
        capacity: options.capacity,
        // failures are not kept: a manifest that failed while a backend was down is looked up afresh once it is back
        timeToLive: (exit: Exit.Exit<Entry, E | StorageError>) => (Exit.isSuccess(exit) ? options.timeToLive : Duration.zero)
      }
    )
    if (versions === undefined) {
      return {
        get: (objectId) => Effect.map(Cache.get(cache, objectId), (entry) => entry.manifest),
        invalidate: (objectId) => Cache.invalidate(cache, objectId)
      }
    }
    const get = (objectId: string): Effect.Effect<Manifest, E | StorageError> =>
      Effect.gen(function*() {
        const entry = yield* Cache.get(cache, objectId)
        // storage that cannot say whether the entry is current cannot give a newer one either: it is served as it is
        const head = yield* Effect.option(versions.head)
        if (head._tag === "None" || entry.at === head.value) return entry.manifest
        const changed = entry.at === undefined ? true : yield* versions.changedBetween(objectId, entry.at, head.value).pipe(
          Effect.orElseSucceed(() => true)
        )
        if (!changed) {
          entry.at = head.value
          return entry.manifest
        }
        yield* Cache.invalidate(cache, objectId)
        return (yield* Cache.get(cache, objectId)).manifest
      })
    return { get, invalidate: (objectId) => Cache.invalidate(cache, objectId) }
  })
