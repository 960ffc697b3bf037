/**
 * What one request costs our request loop, without the kernel: `serveConnection` over an in-memory socket that hands
 * it the same request again and again (one per pull, as a closed-loop client sends them) and drops the answers.
 * No syscalls, no other process: the µs per request printed are our code, Effect's and V8's (GC included), which the
 * wire benchmark's rates cannot tell apart from the socket's cost on a shared 2-core machine. Profile it with
 * `node --cpu-prof bench/request-loop.ts`.
 *
 * `node bench/request-loop.ts [hello|hello2|retrieve|retrieve2] [requests] [batch] [local|memory]` (batch: requests
 * per pull, as a pipelining client sends them; default 1). Over LocalStorage in a temp dir (the default, as the wire
 * benchmark runs it) or memory storage, seeded with wire.ts `SMALL`.
 *
 * `REQUEST_LOOP_ALLOCATIONS=1` also samples what the measured rounds allocate (V8's sampling heap profiler, collected
 * objects included) and prints the bytes allocated per request and the top allocation sites.
 */
import * as Effect from "effect/Effect"
import * as Inspector from "node:inspector/promises"
import * as Socket from "effect/socket/Socket"
import * as Stream from "effect/Stream"
import { ComponentWriter } from "../src/layers/storage/ComponentWriter.ts"
import * as MemoryStorage from "../src/layers/storage/MemoryStorage.ts"
import * as BinaryFraming from "../src/server/framings/BinaryFraming.ts"
import * as Doip2Framing from "../src/server/framings/Doip2Framing.ts"
import * as Listener from "../src/server/Listener.ts"
import { doip2HelloRequest, doip2RetrieveRequest, helloRequest, retrieveRequest, SMALL } from "./wire.ts"
import { inMemorySocket, localStorage, services, tempDirectory } from "./services.ts"

const kind = process.argv[2] ?? "hello"
const total = Number(process.argv[3] ?? 200_000)
const batch = Number(process.argv[4] ?? 1)
const storageKind = process.argv[5] ?? "local"
const requests: Record<string, { readonly bytes: Uint8Array; readonly framing: Listener.Framing }> = {
  hello: { bytes: helloRequest, framing: BinaryFraming.framing },
  hello2: { bytes: Buffer.from(doip2HelloRequest("1")), framing: Doip2Framing.framing },
  retrieve: { bytes: retrieveRequest(SMALL), framing: BinaryFraming.framing },
  retrieve2: { bytes: Buffer.from(doip2RetrieveRequest(SMALL)("1")), framing: Doip2Framing.framing }
}
const chosen = requests[kind]
if (
  chosen === undefined || !Number.isInteger(total) || !Number.isInteger(batch) || batch < 1 ||
  (storageKind !== "local" && storageKind !== "memory")
) {
  console.error("usage: node bench/request-loop.ts [hello|hello2|retrieve|retrieve2] [requests] [batch] [local|memory]")
  process.exit(2)
}

/** a socket whose reader yields `batch` copies of the request per pull, `total` in all, then closes cleanly */
const loopbackSocket = (bytes: Uint8Array, total: number, onAnswer: (n: number) => void): Socket.Socket => {
  let sent = 0
  return inMemorySocket(() => {
    if (sent >= total) return undefined
    const n = Math.min(batch, total - sent)
    sent += n
    return Array.from({ length: n }, () => bytes) as unknown as readonly [Uint8Array, ...Array<Uint8Array>]
  }, onAnswer)
}

const storage = storageKind === "memory" ? MemoryStorage.layer : localStorage(tempDirectory("doip-request-loop-"))

const program = Effect.gen(function*() {
  const writer = yield* ComponentWriter
  yield* writer.write({
    objectId: SMALL.objectId,
    componentId: SMALL.componentId,
    mediaType: SMALL.mediaType,
    content: Stream.make(new Uint8Array(SMALL.size).fill(7)),
    expectedSize: SMALL.size,
    operation: "seed"
  })
  const endpoint = { framing: chosen.framing.name, host: "127.0.0.1", port: 0 } as const
  /** one connection of `n` requests: CPU µs per request (this process, user + system), and bytes answered */
  const run = (n: number) =>
    Effect.gen(function*() {
      let bytes = 0
      const socket = loopbackSocket(chosen.bytes, n, (b) => (bytes += b))
      const started = process.cpuUsage()
      yield* Listener.serveConnection(socket, endpoint, () => chosen.framing)
      const used = process.cpuUsage(started)
      return { micros: (used.user + used.system) / n, bytes }
    })
  yield* run(20_000) // warm-up
  const sampling = process.env["REQUEST_LOOP_ALLOCATIONS"] === "1" ? yield* Effect.promise(startAllocationSampling) : undefined
  // the machine is shared: rounds of a fifth each, and the best and the median of them
  const rounds: Array<number> = []
  let bytes = 0
  for (let i = 0; i < 5; i++) {
    const round = yield* run(Math.ceil(total / 5))
    rounds.push(round.micros)
    bytes = round.bytes
  }
  rounds.sort((a, b) => a - b)
  if (sampling !== undefined) yield* Effect.promise(() => sampling.report(5 * Math.ceil(total / 5)))
  console.log(`${kind}, batch ${batch}, ${storageKind} storage: ${rounds[0]!.toFixed(2)} µs CPU per request (best of 5 ` +
    `rounds; median ${rounds[2]!.toFixed(2)}), ${(bytes / Math.ceil(total / 5)).toFixed(0)} bytes answered each`)
})

interface SamplingNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly selfSize: number
  readonly children: ReadonlyArray<SamplingNode>
}

/** V8's sampling heap profiler over what follows, counting objects already collected too */
const startAllocationSampling = async () => {
  const session = new Inspector.Session()
  session.connect()
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 512,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true
  })
  return {
    report: async (requests: number) => {
      const { profile } = await session.post("HeapProfiler.stopSampling") as unknown as { profile: { head: SamplingNode } }
      session.disconnect()
      const sites = new Map<string, number>()
      let all = 0
      const visit = (node: SamplingNode) => {
        const { functionName, lineNumber, url } = node.callFrame
        const site = `${functionName || "(anonymous)"} ${url.replace(/^.*\/(node_modules|src|bench)\//, "$1/")}:${lineNumber + 1}`
        sites.set(site, (sites.get(site) ?? 0) + node.selfSize)
        all += node.selfSize
        node.children.forEach(visit)
      }
      visit(profile.head)
      console.log(`allocated: ${(all / requests).toFixed(0)} bytes per request (sampled); top sites, bytes per request:`)
      for (const [site, bytes] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
        console.log(`  ${(bytes / requests).toFixed(0).padStart(6)}  ${site}`)
      }
    }
  }
}

Effect.runPromise(Effect.provide(program, services(storage, storageKind)))
