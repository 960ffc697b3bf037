/**
 * A stand-in's HTTP server listening on `127.0.0.1` and a free port for the scope: closed, its connections with it,
 * when the scope closes.
 */
import * as Effect from "effect/Effect"
import type * as Http from "node:http"
import type { AddressInfo } from "node:net"

/** starts `server`; the port it listens on */
export const listen = (server: Http.Server) =>
  Effect.gen(function*() {
    yield* Effect.callback<void>((resume) => {
      server.listen(0, "127.0.0.1", () => resume(Effect.void))
    })
    yield* Effect.addFinalizer(() =>
      Effect.callback<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
    )
    return (server.address() as AddressInfo).port
  })
