import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import * as DoipClient from "../../src/client/DoipClient.ts"
import { serverProcess } from "../support/ServerProcess.ts"

const MiB = 1024 * 1024
const token = "memory-test-token"

/** 64 KiB chunks made one per pull, so the test itself never holds more than a chunk */
const content = (size: number) =>
  Stream.range(0, size / (64 * 1024) - 1, 1).pipe(Stream.map((i) => new Uint8Array(64 * 1024).fill(i % 251)))

describe("memory", () => {
  for (const protocol of ["binary", "doip2"] as const) {
    it.live(`${protocol}: a 512 MiB component goes up and comes back through the server with its memory growing under 64 MiB`, () =>
      Effect.gen(function*() {
        const server = yield* serverProcess({ token })
        const options = { host: "127.0.0.1", credentials: { token }, timeout: "120 seconds" } as const
        const client = protocol === "binary"
          ? yield* DoipClient.make({ ...options, port: server.port })
          : yield* DoipClient.makeDoip2({ ...options, port: server.doip2Port })
        yield* client.hello()
        const demo = yield* client.retrieve("Q123", "fulltext.pdf")
        yield* Stream.runDrain(demo.content)
        const baseline = server.memory().rss

        const size = 512 * MiB
        const sent = createHash("sha256")
        const answer = yield* client.updateComponent(
          "Q123",
          "big.bin",
          { size, stream: content(size).pipe(Stream.tap((chunk) => Effect.sync(() => sent.update(chunk)))) },
          "application/octet-stream"
        )
        if (protocol === "binary") assert.strictEqual(answer["size"], size)
        const afterUpload = server.memory()
        console.log(`after upload: rss ${(afterUpload.rss / MiB).toFixed(1)} MiB, peak growth ${((afterUpload.peak - baseline) / MiB).toFixed(1)} MiB`)

        const back = yield* client.retrieve("Q123", "big.bin")
        assert.strictEqual(back.size, size)
        const received = yield* Stream.runFold(back.content, () => ({ hash: createHash("sha256"), bytes: 0 }), (acc, chunk) => {
          acc.hash.update(chunk)
          acc.bytes += chunk.length
          return acc
        })
        assert.strictEqual(received.bytes, size)
        assert.strictEqual(received.hash.digest("hex"), sent.digest("hex"))

        const growth = server.memory().peak - baseline
        console.log(`server RSS: baseline ${(baseline / MiB).toFixed(1)} MiB, peak growth ${(growth / MiB).toFixed(1)} MiB`)
        assert.isBelow(growth, 64 * MiB)
      }).pipe(Effect.scoped), 300_000)
  }
})
