/**
 * An in-process stand-in for the web server an object's distribution lives on (a `contentUrl` in its manifest's
 * profile): `GET /files/{name}` answers the file put there, with `Content-Length` or chunked (no length), its media
 * type, a status of its own, a delay before the head, or a redirect; anything else is 404. It counts the requests.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as http from "node:http"
import type { AddressInfo } from "node:net"

export interface ServedFile {
  readonly bytes: Uint8Array
  readonly contentType?: string | undefined
  /** no `Content-Length`: the body goes out chunked, in pieces of 1,000 bytes */
  readonly chunked?: boolean | undefined
  /** answered instead of 200, with a short text body */
  readonly status?: number | undefined
  /** milliseconds before the head is sent */
  readonly delayMs?: number | undefined
  /** a 302 to this path instead of the file */
  readonly redirectTo?: string | undefined
}

export interface DistributionStandIn {
  readonly origin: string
  /** the URL of `name` */
  readonly url: (name: string) => string
  readonly put: (name: string, file: ServedFile) => void
  /** requests served, by path */
  readonly requests: ReadonlyArray<string>
}

export const make: Effect.Effect<DistributionStandIn, never, Scope.Scope> = Effect.acquireRelease(
  Effect.callback<{ server: http.Server; standIn: DistributionStandIn }>((resume) => {
    const files = new Map<string, ServedFile>()
    const requests: Array<string> = []
    const answer = (file: ServedFile | undefined, res: http.ServerResponse) => {
      if (res.destroyed) return
      if (file === undefined) return void res.writeHead(404, { "content-type": "text/plain" }).end("not found")
      if (file.redirectTo !== undefined) return void res.writeHead(302, { location: file.redirectTo }).end()
      if (file.status !== undefined) return void res.writeHead(file.status, { "content-type": "text/plain" }).end("no")
      const type = { "content-type": file.contentType ?? "application/octet-stream" }
      if (!file.chunked) return void res.writeHead(200, { ...type, "content-length": file.bytes.length }).end(file.bytes)
      res.writeHead(200, type)
      for (let offset = 0; offset < file.bytes.length; offset += 1000) res.write(file.bytes.subarray(offset, offset + 1000))
      res.end()
    }
    const server = http.createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://localhost").pathname
      requests.push(path)
      const file = path.startsWith("/files/") ? files.get(decodeURIComponent(path.slice("/files/".length))) : undefined
      if (file?.delayMs !== undefined) setTimeout(() => answer(file, res), file.delayMs)
      else answer(file, res)
    })
    server.listen(0, "127.0.0.1", () => {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      resume(Effect.succeed({
        server,
        standIn: {
          origin,
          url: (name) => `${origin}/files/${encodeURIComponent(name)}`,
          put: (name, file) => void files.set(name, file),
          requests
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
