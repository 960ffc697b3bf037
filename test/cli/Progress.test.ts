/**
 * The progress line: its arithmetic and redraws under the TestClock with a display that records what is drawn, then
 * the `doip` command on a real pseudo-terminal (util-linux `script`) against a server behind a proxy slow enough for
 * a transfer to take about a second: the line appears for large uploads and downloads, not with --quiet, and nothing
 * reaches stderr when it is not a terminal.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { TestClock } from "effect/testing"
import { randomBytes } from "node:crypto"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as Progress from "../../src/cli/Progress.ts"
import { ListenAddress } from "../../src/server/DoipServer.ts"
import { doip, doipOnTerminal, folder } from "../support/Cli.ts"
import { throttledProxy } from "../support/ThrottledProxy.ts"
import { layerServer, seed } from "../support/TestServer.ts"

/** runs a transfer of `chunks` chunks of `size` bytes, the clock moving `millis` before each, recording the draws */
const run = (options: {
  readonly total: number | undefined
  readonly chunks: number
  readonly size: number
  readonly millis: number
  readonly fail?: boolean
}) =>
  Effect.gen(function*() {
    const draws: Array<string> = []
    const display: Progress.Display = { write: (text) => draws.push(text), columns: () => undefined }
    const content = Stream.range(1, options.chunks, 1).pipe(
      Stream.mapEffect(() => Effect.as(TestClock.adjust(options.millis), new Uint8Array(options.size)))
    )
    const counted = yield* Progress.transfer("Q1/data.bin", options.total, (meter) =>
      Effect.andThen(
        Stream.runDrain(meter.count(content)),
        options.fail === true ? Effect.fail("broken" as const) : meter.bytes
      )).pipe(Effect.provideService(Progress.Display, display), Effect.result)
    return { draws, counted }
  })

describe("Progress", () => {
  it.effect("a known size over 1 MB: redrawn in place at most every 100 ms, with bytes, rate and time left", () =>
    Effect.gen(function*() {
      // 31 chunks of 100 kB, one every 50 ms: 2 MB/s
      const { draws, counted } = yield* run({ total: 3_100_000, chunks: 31, size: 100_000, millis: 50 })
      assert.deepStrictEqual(counted._tag === "Success" && counted.success, 3_100_000)
      // the first chunk draws; after it every other chunk, 100 ms on: chunks 1, 3, ..., 31, then the final line
      assert.strictEqual(draws.length, 17)
      assert.isTrue(draws.every((draw) => draw.startsWith("\r")))
      assert.isTrue(draws.slice(0, -1).every((draw) => !draw.includes("\n")))
      // chunk 3 at 150 ms: 300 kB of 3.1 MB, 2 MB/s, 2.8 MB to go
      assert.strictEqual(draws[1], "\rQ1/data.bin [##                  ] 300.0 kB / 3.1 MB 9%  2.0 MB/s  1.4 s left\x1b[K")
      assert.strictEqual(draws.at(-2), "\rQ1/data.bin [####################] 3.1 MB / 3.1 MB 100%  2.0 MB/s  0.0 s left\x1b[K")
      assert.strictEqual(draws.at(-1), "\rQ1/data.bin  3.1 MB in 1.6 s, 2.0 MB/s\x1b[K\n")
    }))

  it.effect("an unknown size: drawn once 1 MB has passed, without a time left", () =>
    Effect.gen(function*() {
      const { draws } = yield* run({ total: undefined, chunks: 5, size: 300_000, millis: 200 })
      // 300 kB, 600 kB, 900 kB draw nothing; 1.2 MB and 1.5 MB do
      assert.deepStrictEqual(draws, [
        "\rQ1/data.bin  1.2 MB  1.5 MB/s\x1b[K",
        "\rQ1/data.bin  1.5 MB  1.5 MB/s\x1b[K",
        "\rQ1/data.bin  1.5 MB in 1.0 s, 1.5 MB/s\x1b[K\n"
      ])
    }))

  it.effect("1 MB or less, or no display: nothing drawn, the bytes still counted", () =>
    Effect.gen(function*() {
      const small = yield* run({ total: 1_000_000, chunks: 10, size: 100_000, millis: 500 })
      assert.deepStrictEqual(small.draws, [])
      const unannounced = yield* run({ total: undefined, chunks: 10, size: 100_000, millis: 500 })
      assert.deepStrictEqual(unannounced.draws, [])
      const counted = yield* Progress.transfer("x", 5_000_000, (meter) =>
        Effect.andThen(Stream.runDrain(meter.count(Stream.make(new Uint8Array(3), new Uint8Array(4)))), meter.bytes)).pipe(
          Effect.provideService(Progress.Display, undefined)
        )
      assert.strictEqual(counted, 7)
    }))

  it.effect("a failed transfer clears its line, so the error stands alone", () =>
    Effect.gen(function*() {
      const { draws, counted } = yield* run({ total: 5_000_000, chunks: 3, size: 100_000, millis: 50, fail: true })
      assert.strictEqual(counted._tag, "Failure")
      assert.strictEqual(draws.length, 3)
      assert.strictEqual(draws.at(-1), "\r\x1b[K")
    }))
})

/** 24 MB through a proxy passing 30 MB/s: about a second, less what the sockets' buffers take in at once */
const SIZE = 24_000_000
const RATE = 30_000_000

/** the redraws a terminal showed (the text between carriage returns), without the erase-to-end-of-line */
const redraws = (terminal: string) =>
  terminal.split("\r").map((part) => part.replace("\x1b[K", "")).filter((part) => part !== "" && part !== "\n")

/**
 * a line in flight: bar, bytes of the total, percentage, rate and time left (both `--` when drawn in the first
 * millisecond), capturing the bytes done
 */
const inFlight = (label: string) =>
  new RegExp(
    `^${escape(label)} \\[[# ]{20}\\] ([\\d.]+) (B|kB|MB) \\/ 24\\.0 MB \\d+%  ([\\d.]+ (?:kB|MB)|-- B)\\/s  ([\\d.]+ s|--) left$`
  )

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")

/** what the terminal showed for a large transfer: lines in flight, throttled, growing, then one final line */
const assertShown = (terminal: string, millis: number, label: string) => {
  const lines = redraws(terminal)
  // the final line, ended: the terminal shows the `\n` as `\r\n`
  assert.isTrue(terminal.endsWith("\x1b[K\r\n"), JSON.stringify(terminal))
  assert.match(lines.at(-1)!, new RegExp(`^${escape(label)}  24\\.0 MB in [\\d.]+ s, [\\d.]+ MB\\/s$`), terminal)
  const flight = lines.slice(0, -1)
  assert.isAtLeast(flight.length, 2, terminal)
  const matches = flight.map((line) => {
    const match = inFlight(label).exec(line)
    assert.isNotNull(match, `not a progress line: ${JSON.stringify(line)}`)
    return match!
  })
  const megabytes = matches.map((match) => Number(match[1]) * (match[2] === "MB" ? 1 : match[2] === "kB" ? 1e-3 : 1e-6))
  // the bytes grow, and some line was drawn mid-way (neither at the start nor at the end) with a rate and time left
  assert.deepStrictEqual(megabytes, [...megabytes].sort((a, b) => a - b))
  assert.isTrue(
    matches.some((match, i) => megabytes[i]! > 1 && megabytes[i]! < 23 && match[3] !== "-- B" && match[4] !== "--"),
    terminal
  )
  // ten redraws a second at most (the first line is drawn at once)
  assert.isAtMost(flight.length, Math.ceil(millis / Progress.REDRAW_MILLIS) + 1, terminal)
}

layer(layerServer(), { excludeTestServices: true })("the doip command's progress line", (it) => {
  const through = (protocol: "binary" | "doip2") =>
    Effect.gen(function*() {
      const address = yield* ListenAddress
      const proxy = yield* throttledProxy(protocol === "binary" ? address.binaryPort : address.doip2Port, RATE)
      return ["--protocol", protocol, "--port", String(proxy.port)]
    })

  it.effect("upload and download over 1 MB on a terminal: the line with bytes, rate and time left", () =>
    Effect.gen(function*() {
      const dir = yield* folder()
      const content = randomBytes(SIZE)
      writeFileSync(join(dir, "big.bin"), content)

      yield* seed("Q90", "readme.txt", "an object to add a large component to")
      const binary = yield* through("binary")
      const upload = yield* doipOnTerminal(["update", "Q90", "--component", "big.bin", "--input", join(dir, "big.bin"), ...binary])
      assert.strictEqual(upload.code, 0, upload.terminal)
      assert.strictEqual(JSON.parse(new TextDecoder().decode(upload.stdout)).size, SIZE)
      assertShown(upload.terminal, upload.millis, "Q90/big.bin")

      // to a file over the binary envelope, then to stdout over DOIP v2.0
      const download = yield* doipOnTerminal(["retrieve", "Q90", "--component", "big.bin", "-o", join(dir, "copy.bin"), ...binary])
      assert.strictEqual(download.code, 0, download.terminal)
      assert.isTrue(Buffer.from(readFileSync(join(dir, "copy.bin"))).equals(content))
      const [progress, note] = download.terminal.split(/(?<=\n)/)
      assertShown(progress!, download.millis, "Q90/big.bin")
      assert.strictEqual(note, `wrote ${SIZE} bytes (application/octet-stream) to ${join(dir, "copy.bin")}\r\n`)

      const piped = yield* doipOnTerminal(["retrieve", "Q90", "--component", "big.bin", ...(yield* through("doip2"))])
      assert.strictEqual(piped.code, 0, piped.terminal)
      assert.isTrue(Buffer.from(piped.stdout).equals(content))
      assertShown(piped.terminal, piped.millis, "Q90/big.bin")
    }))

  it.effect("--quiet on a terminal, and stderr that is not a terminal: nothing on stderr", () =>
    Effect.gen(function*() {
      const dir = yield* folder()
      // text (base64), for stdout read as a string below
      const content = randomBytes((SIZE / 4) * 3).toString("base64")
      writeFileSync(join(dir, "big.bin"), content)
      // straight to the server: a fast transfer draws its line too (the first chunk, then the final line)
      const { binaryPort, doip2Port } = yield* ListenAddress
      const binary = ["--port", String(binaryPort)]
      const doip2 = ["--protocol", "doip2", "--port", String(doip2Port)]

      // create's one line covers all its elements
      const created = yield* doipOnTerminal([
        "create", "--id", "Q91", "--element", `big.bin=${join(dir, "big.bin")}`, "--element", `again.bin=${join(dir, "big.bin")}`,
        ...binary
      ])
      assert.strictEqual(created.code, 0, created.terminal)
      assert.match(redraws(created.terminal).at(-1)!, /^Q91 \(2 elements\)  48\.0 MB in [\d.]+ s, [\d.]+ MB\/s$/)

      const quietUpload = yield* doipOnTerminal(["update", "Q91", "--component", "big.bin", "--input", join(dir, "big.bin"), ...binary, "--quiet"])
      assert.strictEqual(quietUpload.code, 0, quietUpload.terminal)
      assert.strictEqual(quietUpload.terminal, "")
      const quietDownload = yield* doipOnTerminal(["retrieve", "Q91", "--component", "big.bin", ...doip2, "--quiet"])
      assert.strictEqual(quietDownload.code, 0, quietDownload.terminal)
      assert.strictEqual(quietDownload.stdout.length, SIZE)
      assert.strictEqual(quietDownload.terminal, "")

      // without --quiet, stderr a pipe
      const upload = yield* doip(["update", "Q91", "--component", "big.bin", "--input", join(dir, "big.bin"), ...doip2])
      assert.strictEqual(upload.code, 0, upload.stderr)
      assert.strictEqual(upload.stderr, "")
      const download = yield* doip(["retrieve", "Q91", "--component", "again.bin", ...binary])
      assert.strictEqual(download.code, 0, download.stderr)
      assert.isTrue(download.stdout === content)
      assert.strictEqual(download.stderr, "")
    }))
})
