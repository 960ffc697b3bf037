/**
 * `LakeFsStorage` on a fresh in-process lakeFS stand-in, for tests: the storage layer with the stand-in beside it (to
 * inject faults), and a look at the branch's uncommitted changes the way an operator would see them.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as LakeFsStorage from "../../src/layers/storage/LakeFsStorage.ts"
import type { Storage, StorageError } from "../../src/layers/storage/Storage.ts"
import * as LakeFsStandIn from "./LakeFsStandIn.ts"

/** the storage options that reach `standIn`, with its key; retries 5 ms apart, so fault tests stay fast */
export const optionsOf = (standIn: LakeFsStandIn.LakeFsStandInService): LakeFsStorage.Options => ({
  url: standIn.url,
  repo: standIn.repo,
  branch: standIn.branch,
  user: standIn.user,
  password: Redacted.make(standIn.password),
  retryDelayMillis: 5
})

/** the layer `make` builds from a stand-in of its own (started with it), with the stand-in beside it */
export const onStandIn = <A, E, R>(
  make: (standIn: LakeFsStandIn.LakeFsStandInService) => Layer.Layer<A, E, R>
): Layer.Layer<A | LakeFsStandIn.LakeFsStandIn, E, Exclude<R, LakeFsStandIn.LakeFsStandIn>> =>
  Layer.unwrap(Effect.map(LakeFsStandIn.LakeFsStandIn, make)).pipe(Layer.provideMerge(LakeFsStandIn.layer()))

/** `LakeFsStorage` on a stand-in of its own */
export const layer = (): Layer.Layer<Storage | LakeFsStandIn.LakeFsStandIn, StorageError> =>
  onStandIn((standIn) => LakeFsStorage.layer(optionsOf(standIn)))

/**
 * The paths staged on the stand-in's branch and not committed (`GET …/branches/{branch}/diff`), asked over HTTP
 * with the server's key; the stand-in's fault injection must be off.
 */
export const uncommitted = (standIn: LakeFsStandIn.LakeFsStandInService): Effect.Effect<ReadonlyArray<string>> =>
  Effect.promise(async () => {
    const res = await fetch(`${standIn.url}/api/v1/repositories/${standIn.repo}/branches/${standIn.branch}/diff`, {
      headers: { authorization: `Basic ${Buffer.from(`${standIn.user}:${standIn.password}`).toString("base64")}` }
    })
    if (res.status !== 200) throw new Error(`diff answered HTTP ${res.status}: ${await res.text()}`)
    const body = await res.json() as { readonly results: ReadonlyArray<{ readonly path: string }> }
    return body.results.map((change) => change.path)
  })
