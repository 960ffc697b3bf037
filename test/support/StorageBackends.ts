/**
 * The storages the operation suites run on, each as a whole test server on a fresh instance of it: memory (the fake)
 * and `LakeFsStorage` over the in-process lakeFS stand-in. What passes on one must pass on the other.
 */
import * as LakeFsStorage from "../../src/layers/storage/LakeFsStorage.ts"
import * as LakeFsOnStandIn from "./LakeFsOnStandIn.ts"
import { layerServer } from "./TestServer.ts"

/** what a test server is built from, but its storage */
export type ServerOptions = Omit<NonNullable<Parameters<typeof layerServer>[0]>, "storage">

/**
 * the server on `LakeFsStorage` over a lakeFS stand-in of its own, with the stand-in in context for fault injection;
 * `lakeFs` overrides storage options (a short timeout, say)
 */
export const layerServerOnLakeFs = (
  options?: ServerOptions & { readonly lakeFs?: Partial<LakeFsStorage.Options> | undefined }
) =>
  LakeFsOnStandIn.onStandIn((standIn) => {
    const { lakeFs, ...server } = options ?? {}
    return layerServer({ ...server, storage: LakeFsStorage.layer({ ...LakeFsOnStandIn.optionsOf(standIn), ...lakeFs }) })
  })

/** a storage: its name, and a server on a fresh instance of it */
export interface Backend {
  readonly name: string
  readonly layerServer: (options?: ServerOptions) => ReturnType<typeof layerServer>
}

export const backends: ReadonlyArray<Backend> = [
  { name: "memory", layerServer },
  { name: "lakeFS", layerServer: layerServerOnLakeFs }
]
