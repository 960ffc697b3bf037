/**
 * Our own DoipClient (the Effect service) as the load generator: sequential `hello()` calls over its one connection.
 * Compared with the raw load generator against the same server, this shows what the client itself costs.
 */
import * as Effect from "effect/Effect"
import * as DoipClient from "../src/client/DoipClient.ts"

/** hello calls per second over one connection, after `warmMs` of warm-up on the same connection */
export const doipClientHello = (port: number, warmMs: number, ms: number): Promise<number> =>
  Effect.gen(function*() {
    const client = yield* DoipClient.DoipClient
    // runs hello until `until`; returns the count and the time the last call completed
    const loop = (until: number) =>
      Effect.gen(function*() {
        let count = 0
        let now = performance.now()
        while (now < until) {
          yield* client.hello()
          count++
          now = performance.now()
        }
        return { count, end: now }
      })
    yield* loop(performance.now() + warmMs) // also opens the connection
    const start = performance.now()
    const { count, end } = yield* loop(start + ms)
    return count / ((end - start) / 1000)
  }).pipe(
    Effect.provide(DoipClient.layer({ host: "127.0.0.1", port })),
    Effect.runPromise
  )
