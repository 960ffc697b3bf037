/**
 * How fast a client can guess a password: `node bench/auth-guess-rate.ts [connections] [seconds]`.
 *
 * Starts our server in this process (memory storage, a username and password credential, every other setting the
 * default) and has `connections` plain TCP connections (default 8) send DOIP v2.0 deletes with wrong passwords, each
 * as soon as the answer to its last one arrived, for `seconds` (default 5). It prints how many guesses the server
 * checked per second (answers "the credentials were not accepted", whatever they add), how many it refused unchecked
 * ("wait"), and the slowest answer. All connections come from 127.0.0.1, as one attacker's would.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Net from "node:net"
import * as Health from "../src/layers/config/Health.ts"
import * as ServerConfig from "../src/layers/config/ServerConfig.ts"
import * as StorageFdoFacade from "../src/layers/metadata/StorageFdoFacade.ts"
import * as MemoryStorage from "../src/layers/storage/MemoryStorage.ts"
import * as DoipServer from "../src/server/DoipServer.ts"
import { ServerInfo } from "../src/server/ServerInfo.ts"

const connections = Number(process.argv[2] ?? 8)
const seconds = Number(process.argv[3] ?? 5)

const server = DoipServer.layerListeners({ host: "127.0.0.1", port: 0 }).pipe(
  Layer.provideMerge(DoipServer.layerServices.pipe(
    Layer.provideMerge(Layer.mergeAll(
      ServerConfig.layerTest({ auth: { username: "admin", password: "the-right-one" } }),
      Layer.succeed(ServerInfo, { name: "effect-doip-bench", version: "0.0.0", tls: false, storage: "memory" }),
      Layer.mergeAll(StorageFdoFacade.layer, Health.layerInProcess("memory")).pipe(Layer.provideMerge(MemoryStorage.layer))
    ))
  ))
)

const guess = (n: number) =>
  Buffer.from(
    JSON.stringify({
      requestId: String(n),
      targetId: "Q1",
      operationId: "0.DOIP/Op.Delete",
      authentication: { username: "admin", password: `guess-${n}` }
    }) + "\n#\n#\n"
  )

interface Tally {
  checked: number
  refused: number
  slowest: number
}

/** one connection guessing until `until` (ms since the epoch); every answer is one short JSON segment and `#\n#\n` */
const guesser = (port: number, until: number, tally: Tally, first: number) =>
  new Promise<void>((resolve, reject) => {
    const socket = Net.connect({ host: "127.0.0.1", port, noDelay: true })
    let n = first
    let sent = 0
    let pending = ""
    const send = () => {
      sent = performance.now()
      socket.write(guess(n++))
    }
    socket.on("connect", send)
    socket.on("error", reject)
    socket.on("close", () => resolve())
    socket.setEncoding("utf8")
    socket.on("data", (text: string) => {
      pending += text
      let end: number
      while ((end = pending.indexOf("\n#\n#\n")) >= 0) {
        const answer = pending.slice(0, end)
        pending = pending.slice(end + 5)
        tally.slowest = Math.max(tally.slowest, performance.now() - sent)
        if (answer.includes("not accepted")) tally.checked++
        else if (answer.includes("wait")) tally.refused++
        else return reject(new Error(`unexpected answer: ${answer}`))
        if (Date.now() < until) send()
        else socket.end()
      }
    })
  })

const program = Effect.gen(function*() {
  const { doip2Port } = yield* DoipServer.ListenAddress
  const tally: Tally = { checked: 0, refused: 0, slowest: 0 }
  const started = Date.now()
  yield* Effect.promise(() =>
    Promise.all(Array.from({ length: connections }, (_, i) => guesser(doip2Port, started + seconds * 1000, tally, i * 1_000_000)))
  )
  const elapsed = (Date.now() - started) / 1000
  console.log(
    `${connections} connections, ${elapsed.toFixed(1)} s: ${(tally.checked / elapsed).toFixed(1)} guesses checked/s ` +
      `(${tally.checked} in all), ${tally.refused} refused unchecked, slowest answer ${tally.slowest.toFixed(0)} ms`
  )
})

Effect.runPromise(program.pipe(Effect.provide(server), Effect.provide(Logger.layer([])))).catch((error) => {
  console.error(error)
  process.exit(1)
})
