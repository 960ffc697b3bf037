/**
 * Whether writers block each other (issue 14, item 5), through the real `doip serve` on the embedded store (or, with
 * `--lakefs`, on the in-process lakeFS stand-in):
 *
 * 1. a writer that sends 1 KiB of a 1 MiB element and then stalls: how long a 1 KiB update of another object takes
 *    meanwhile (capped at 5 s);
 * 2. a 200 MB update of object A, streamed from a generator: its throughput, and the latency of 1 KiB updates of
 *    object B sent one after the other on a second connection while it runs;
 * 3. the server's peak resident memory growth over the whole run.
 *
 * `node bench/writers-during-upload.ts [--lakefs] [--size-mb 200]`
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import * as net from "node:net"
import * as DoipClient from "../src/client/DoipClient.ts"
import * as LakeFsStandIn from "../test/support/LakeFsStandIn.ts"
import { serverProcess } from "../test/support/ServerProcess.ts"

const MiB = 1024 * 1024
const CHUNK = 64 * 1024
const token = "writers-bench-token"
const args = process.argv.slice(2)
const onLakeFs = args.includes("--lakefs")
const sizeArg = args.indexOf("--size-mb")
const size = Math.floor((sizeArg === -1 ? 200 : Number(args[sizeArg + 1])) * 1e6 / CHUNK) * CHUNK

const content = (bytes: number) =>
  Stream.range(0, bytes / CHUNK - 1, 1).pipe(Stream.map((i) => new Uint8Array(CHUNK).fill(i % 251)))

/** a DOIP v2.0 update of `objectId` announcing a 1 MiB element, of which it sends 1 KiB; closed with the scope */
const stalledWriter = (port: number, objectId: string) =>
  Effect.acquireRelease(
    Effect.callback<net.Socket>((resume) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.write(
          `{"requestId":"s","targetId":"${objectId}","operationId":"0.DOIP/Op.Update",` +
            `"authentication":{"token":"${token}"}}\n#\n` +
            `{"id":"${objectId}"}\n#\n{"id":"stalled.bin"}\n#\n@\n${MiB}\n` + "x".repeat(1024)
        )
        resume(Effect.succeed(socket))
      })
      socket.on("error", () => {})
    }),
    (socket) => Effect.sync(() => socket.destroy())
  )

const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!

const ms = (n: number) => `${n.toFixed(1)} ms`

const program = Effect.gen(function*() {
  const env = onLakeFs ? LakeFsStandIn.environment(yield* LakeFsStandIn.make()) : { LAKEFS_URL: undefined }
  const server = yield* serverProcess({ token, env })
  const options = { host: "127.0.0.1", port: server.port, credentials: { token }, timeout: "300 seconds" } as const
  const a = yield* DoipClient.make(options)
  const b = yield* DoipClient.make(options)
  const small = new Uint8Array(1024).fill(0x62)
  yield* a.create({ id: "Q1" }, [{ id: "small.txt", mediaType: "text/plain", content: small }])
  yield* b.create({ id: "Q2" }, [{ id: "small.txt", mediaType: "text/plain", content: small }])
  const smallWriteBy = (client: DoipClient.DoipClient["Service"]) =>
    Effect.timed(client.updateComponent("Q2", "small.txt", small, "text/plain")).pipe(
      Effect.map(([took]) => Duration.toMillis(took))
    )
  const smallWrite = smallWriteBy(b)
  // warm up the small write path
  for (let i = 0; i < 5; i++) yield* smallWrite
  const baseline = server.memory().rss
  const idle = (yield* Effect.forEach(Array.from({ length: 20 }), () => smallWrite)).sort((x, y) => x - y)

  // 1: a stalled writer; the probe on a connection of its own, which a timeout may leave broken
  const stalled = yield* Effect.scoped(Effect.gen(function*() {
    const probe = yield* DoipClient.make(options)
    yield* stalledWriter(server.doip2Port, "Q1")
    yield* Effect.sleep("200 millis")
    const fiber = yield* Effect.forkChild(smallWriteBy(probe))
    const done = yield* Fiber.join(fiber).pipe(Effect.timeout("5 seconds"), Effect.option)
    return done._tag === "Some" ? done.value : Infinity
  }))

  // 2: small writes of B during a large upload of A
  const latencies: Array<number> = []
  let uploading = true
  const started = performance.now()
  const upload = yield* a.updateComponent("Q1", "big.bin", { size, stream: content(size) }).pipe(
    Effect.ensuring(Effect.sync(() => (uploading = false))),
    Effect.forkChild
  )
  yield* Effect.sleep("100 millis")
  while (uploading) {
    // every write that started during the upload counts, however long it waited
    latencies.push(yield* smallWrite)
    yield* Effect.sleep("50 millis")
  }
  yield* Fiber.join(upload)
  const seconds = (performance.now() - started) / 1000
  const sorted = latencies.sort((x, y) => x - y)
  const peakGrowth = (server.memory().peak - baseline) / MiB

  console.log(`storage: ${onLakeFs ? "lakeFS stand-in" : "embedded"}, upload ${(size / 1e6).toFixed(0)} MB`)
  console.log(`| case | result |`)
  console.log(`|---|---|`)
  console.log(`| 1 KiB update of B, idle (p50 / max of ${idle.length}) | ${ms(percentile(idle, 0.5))} / ${ms(idle[idle.length - 1]!)} |`)
  console.log(`| 1 KiB update of B while a writer of A stalls | ${stalled === Infinity ? "> 5000 ms (timed out)" : ms(stalled)} |`)
  console.log(`| upload of A | ${(size / 1e6 / seconds).toFixed(0)} MB/s (${seconds.toFixed(2)} s) |`)
  console.log(
    `| 1 KiB update of B during the upload (n ${sorted.length}) | p50 ${ms(percentile(sorted, 0.5))}, ` +
      `p95 ${ms(percentile(sorted, 0.95))}, max ${ms(sorted[sorted.length - 1] ?? NaN)} |`
  )
  console.log(`| server peak RSS growth | ${peakGrowth.toFixed(1)} MiB |`)
})

Effect.runPromise(Effect.scoped(program)).catch((error) => {
  console.error(error)
  process.exit(1)
})
