/**
 * An in-process stand-in for the FDO façade (BACKENDS.md): `GET {base}{QID}` answers a manifest, `GET {base}types/{TypeId}`
 * a type FDO, `GET /health` `{"status":"ok"}`, with the façade's status codes and `{"detail": ...}` error bodies
 * (400 for an identifier that is not a QID, 404 for an unknown one). Tests steer it through `hooks`: a delay before
 * every answer (to trigger client timeouts), a forced status (502/504/500), and a count of the requests it served.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { TypeIds } from "../../src/layers/metadata/TypeCatalog.ts"

/** what tests may change while the stand-in runs */
export interface Hooks {
  /** milliseconds to wait before answering anything but `/health` */
  delayMs: number
  /** when set, every request but `/health` answers this status with a `{"detail"}` body */
  status: number | undefined
  /** requests served (all but `/health`), by path */
  readonly requests: Array<string>
}

export interface FacadeStandIn {
  /** the façade's base URL, ending in `/fdo/` */
  readonly baseUrl: string
  /** the server's origin, for `/health` */
  readonly origin: string
  readonly hooks: Hooks
  /** adds or replaces a manifest */
  readonly putManifest: (objectId: string, manifest: unknown) => void
  /** how many requests asked for `path` (relative to the base, e.g. `Q1` or `types/Dataset`) */
  readonly count: (path?: string) => number
}

export const QID = /^Q[0-9]+(_FULLTEXT)?$/

export const typeFdo = (typeId: string) => ({
  "@context": "https://w3id.org/fdo/context/v1",
  "@id": `https://fdo.portal.mardi4nfdi.de/fdo/types/${typeId}`,
  "@type": "DigitalObjectType",
  label: typeId,
  description: `The FDO type ${typeId}`,
  propertyMappings: { name: { pid: "P1", type: "string", multi: false } }
})

/** Starts the stand-in on 127.0.0.1 (a free port) for the scope, holding `manifests` (object id -> manifest). */
export const make = (
  manifests: Readonly<Record<string, unknown>> = {}
): Effect.Effect<FacadeStandIn, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.callback<{ server: http.Server; standIn: FacadeStandIn }>((resume) => {
      const store = new Map<string, unknown>(Object.entries(manifests))
      const hooks: Hooks = { delayMs: 0, status: undefined, requests: [] }
      const send = (res: http.ServerResponse, status: number, body: unknown) => {
        if (res.destroyed) return
        const text = JSON.stringify(body)
        res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
        res.end(text)
      }
      const answer = (path: string): readonly [number, unknown] => {
        if (hooks.status !== undefined) return [hooks.status, { detail: `upstream answered ${hooks.status}` }]
        // the façade defines the same type ids as the embedded catalog (BACKENDS.md)
        if (path.startsWith("types/")) {
          const typeId = decodeURIComponent(path.slice("types/".length))
          return (TypeIds as ReadonlyArray<string>).includes(typeId)
            ? [200, typeFdo(typeId)]
            : [404, { detail: `type ${typeId} not found` }]
        }
        const id = decodeURIComponent(path)
        if (!QID.test(id)) return [400, { detail: `invalid identifier ${id}` }]
        const manifest = store.get(id)
        return manifest === undefined ? [404, { detail: `${id} not found` }] : [200, manifest]
      }
      const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://localhost")
        if (req.method !== "GET") return send(res, 405, { detail: "method not allowed" })
        if (url.pathname === "/health") return send(res, 200, { status: "ok" })
        if (!url.pathname.startsWith("/fdo/")) return send(res, 404, { detail: "Not Found" })
        const path = url.pathname.slice("/fdo/".length)
        hooks.requests.push(path)
        const [status, body] = answer(path)
        if (hooks.delayMs > 0) setTimeout(() => send(res, status, body), hooks.delayMs)
        else send(res, status, body)
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        const origin = `http://127.0.0.1:${port}`
        resume(Effect.succeed({
          server,
          standIn: {
            baseUrl: `${origin}/fdo/`,
            origin,
            hooks,
            putManifest: (objectId, manifest) => void store.set(objectId, manifest),
            count: (path) => (path === undefined ? hooks.requests.length : hooks.requests.filter((p) => p === path).length)
          }
        }))
      })
    }),
    ({ server }) =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ standIn }) => standIn))
