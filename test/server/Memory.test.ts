/**
 * The server streams: a 512 MiB component goes up and comes back through the real `doip serve` process, alone and
 * in the object's RO-Crate, over each framing and on each storage, while the server's peak resident memory grows by
 * less than 64 MiB.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import * as net from "node:net"
import * as DoipClient from "../../src/client/DoipClient.ts"
import * as LakeFsStandIn from "../support/LakeFsStandIn.ts"
import { serverProcess } from "../support/ServerProcess.ts"

const MiB = 1024 * 1024
const token = "memory-test-token"
const size = 512 * MiB
/** a fresh object on every run: the demo Q123 is seeded only into the embedded store */
const objectId = "Q900512"

/** 64 KiB chunks made one per pull, so the test itself never holds more than a chunk */
const content = (size: number) =>
  Stream.range(0, size / (64 * 1024) - 1, 1).pipe(Stream.map((i) => new Uint8Array(64 * 1024).fill(i % 251)))

/**
 * The server's environment for each storage. Embedded unsets `LAKEFS_URL`, so a lakeFS exported for the real-lakeFS
 * contract suite is not sent 512 MiB; lakeFS is the stand-in, in this process, keeping contents on disk, so that
 * neither process holds the component.
 */
const storages: Record<string, Effect.Effect<Record<string, string | undefined>, never, Scope.Scope>> = {
  embedded: Effect.succeed({ LAKEFS_URL: undefined }),
  lakeFS: Effect.map(LakeFsStandIn.make(), LakeFsStandIn.environment)
}

/** size and checksum of the stored component, as the update's answer reports them in either framing */
const reported = (protocol: DoipClient.Protocol, answer: Record<string, unknown>, componentId: string) => {
  if (protocol === "binary") return { size: answer["size"], checksum: answer["checksum"] }
  const elements = (answer["elements"] ?? []) as ReadonlyArray<Record<string, any>>
  const element = elements.find((e) => e["id"] === componentId)
  return { size: element?.["length"], checksum: element?.["attributes"]?.["checksum"] }
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`

/** a port nobody listens on now, for the gateway (which takes no port 0) */
const freePort = Effect.callback<number>((resume) => {
  const probe = net.createServer()
  probe.listen(0, "127.0.0.1", () => {
    const { port } = probe.address() as net.AddressInfo
    probe.close(() => resume(Effect.succeed(port)))
  })
})

describe("memory", () => {
  it.live("HTTP gateway: a 512 MiB component goes up (chunked) and comes back with the server's memory growing under 64 MiB", () =>
    Effect.gen(function*() {
      const httpPort = yield* freePort
      const server = yield* serverProcess({ token, httpPort, args: ["--tls", "off"], env: { LAKEFS_URL: undefined } })
      const base = `http://127.0.0.1:${httpPort}/doip/objects/Q123/components`
      const authorization = `Bearer ${token}`
      // warm the write and read paths, so the baseline is a server that has done both once
      yield* Effect.promise(() => fetch(`${base}/small.txt`, { method: "PUT", body: "x", headers: { authorization } }).then((r) => r.text()))
      yield* Effect.promise(() => fetch(`${base}/small.txt`).then((r) => r.arrayBuffer()))
      const baseline = server.memory().rss

      const sent = createHash("sha256")
      let i = 0
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (i === size / (64 * 1024)) return controller.close()
          const chunk = new Uint8Array(64 * 1024).fill(i++ % 251)
          sent.update(chunk)
          controller.enqueue(chunk)
        }
      })
      const stored: any = yield* Effect.promise(() =>
        fetch(`${base}/big.bin`, { method: "PUT", body, headers: { authorization }, duplex: "half" } as RequestInit)
          .then((r) => r.json())
      )
      const sentHex = sent.digest("hex")
      assert.deepStrictEqual({ size: stored.size, checksum: stored.checksum }, { size: size, checksum: `sha256:${sentHex}` })

      console.log(`HTTP, after upload: peak growth ${mib(server.memory().peak - baseline)}`)
      const received = yield* Effect.promise(async () => {
        const response = await fetch(`${base}/big.bin`)
        const hash = createHash("sha256")
        let bytes = 0
        for await (const chunk of response.body!) {
          hash.update(chunk)
          bytes += chunk.length
        }
        return { bytes, hex: hash.digest("hex"), length: response.headers.get("content-length") }
      })
      assert.deepStrictEqual(received, { bytes: size, hex: sentHex, length: String(size) })
      const growth = server.memory().peak - baseline
      console.log(`HTTP, server RSS: baseline ${mib(baseline)}, peak growth ${mib(growth)}`)
      assert.isBelow(growth, 64 * MiB)
    }).pipe(Effect.scoped), 300_000)


  for (const [storage, environment] of Object.entries(storages)) {
    for (const protocol of ["binary", "doip2"] as const) {
      it.live(`${storage}, ${protocol}: a 512 MiB component goes up and comes back through the server with its memory growing under 64 MiB`, () =>
        Effect.gen(function*() {
          const server = yield* serverProcess({ token, env: yield* environment })
          const options = { host: "127.0.0.1", credentials: { token }, timeout: "120 seconds" } as const
          const client = protocol === "binary"
            ? yield* DoipClient.make({ ...options, port: server.port })
            : yield* DoipClient.makeDoip2({ ...options, port: server.doip2Port })
          // an update needs an existing object; creating one and reading it back also warms up the write and read
          // paths, so the baseline is taken from a server that has done both once
          yield* client.create({ id: objectId }, [{ id: "small.txt", mediaType: "text/plain", content: new Uint8Array(1024) }])
          yield* Stream.runDrain((yield* client.retrieve(objectId, "small.txt")).content)
          const baseline = server.memory().rss

          const sent = createHash("sha256")
          const answer = yield* client.updateComponent(
            objectId,
            "big.bin",
            { size, stream: content(size).pipe(Stream.tap((chunk) => Effect.sync(() => sent.update(chunk)))) },
            "application/octet-stream"
          )
          const sentHex = sent.digest("hex")
          assert.deepStrictEqual(reported(protocol, answer, "big.bin"), { size, checksum: `sha256:${sentHex}` })
          const afterUpload = server.memory()
          console.log(`${storage}, ${protocol}, after upload: rss ${mib(afterUpload.rss)}, peak growth ${mib(afterUpload.peak - baseline)}`)

          const back = yield* client.retrieve(objectId, "big.bin")
          assert.strictEqual(back.size, size)
          const received = yield* Stream.runFold(back.content, () => ({ hash: createHash("sha256"), bytes: 0 }), (acc, chunk) => {
            acc.hash.update(chunk)
            acc.bytes += chunk.length
            return acc
          })
          assert.strictEqual(received.bytes, size)
          assert.strictEqual(received.hash.digest("hex"), sentHex)

          // its RO-Crate, built as it streams: the zip holds the 512 MiB too, and the metadata after it its SHA-256
          const started = performance.now()
          const crate = yield* client.retrieve(objectId, "rocrate")
          const zipped = yield* Stream.runFold(crate.content, () => ({ bytes: 0, last: [] as Array<Uint8Array> }), (acc, chunk) => {
            acc.bytes += chunk.length
            // the last chunks, for the metadata at the end
            acc.last.push(chunk)
            if (acc.last.length > 4) acc.last.shift()
            return acc
          })
          const seconds = (performance.now() - started) / 1000
          if (protocol === "binary") assert.isDefined(crate.size, "the binary head announced the crate's length")
          if (crate.size !== undefined) assert.strictEqual(zipped.bytes, crate.size)
          assert.isAbove(zipped.bytes, size)
          assert.include(new TextDecoder().decode(Buffer.concat(zipped.last)), `"sha256": "${sentHex}"`)
          console.log(`${storage}, ${protocol}, RO-Crate of ${mib(zipped.bytes)} in ${seconds.toFixed(2)} s`)

          const growth = server.memory().peak - baseline
          // the test process (client, and the lakeFS stand-in) must not hold the component either
          const testPeak = process.resourceUsage().maxRSS * 1024
          console.log(`${storage}, ${protocol}, server RSS: baseline ${mib(baseline)}, peak growth ${mib(growth)}; test process peak RSS ${mib(testPeak)}`)
          assert.isBelow(growth, 64 * MiB)
        }).pipe(Effect.scoped), 300_000)
    }
  }
})
