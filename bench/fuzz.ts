/**
 * Fuzzing at scale (issue 14, item 10): `npm run fuzz` runs generated cases through every decoder (binary envelope,
 * DOIP v2.0 segments, upstream length-prefixed framing, credentials, search queries) and then through the whole
 * server's three wires, and prints per target: cases, crashes, hangs, max time per case.
 *
 *   npm run fuzz                                  # 100,000 cases per decoder, 3,000 per wire of the server
 *   npm run fuzz -- --cases 20000 --server-cases 500 --seed 42
 *   FUZZ_CASES=20000 FUZZ_SERVER_CASES=500 FUZZ_SEED=42 npm run fuzz
 *
 * A decoder case is a crash when the decoder throws anything but its typed error (or breaks its contract: asks for
 * input after the end, consumes more than it got, forgets it failed), a hang when it needs more steps than a bound
 * linear in its input, and a mismatch when the chunking changed what the bytes decode to. A server case is a hang
 * when the server neither answers-and-closes nor closes the connection within 3 s (the idle timeout is 0.5 s); the
 * client either ends its side after the request or stays silent (`stall`). After every batch each wire must still
 * answer a hello. The first few failing inputs are printed as hex.
 */
import * as Effect from "effect/Effect"
import * as References from "effect/References"
import * as fc from "fast-check"
import { ListenAddress } from "../src/server/DoipServer.ts"
import {
  checkCredentials,
  checkSearch,
  decoderCase,
  decoderTargets,
  fuzzServer,
  hex,
  metadataObject,
  queryText,
  runDecoderCase,
  searchObject,
  serverTargets
} from "../test/support/Fuzz.ts"
import { layerServer, seed as seedComponent, token } from "../test/support/TestServer.ts"

const arg = (name: string, env: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  const text = i !== -1 ? process.argv[i + 1] : process.env[env]
  return text === undefined ? fallback : Number(text)
}
const cases = arg("cases", "FUZZ_CASES", 100_000)
const serverCases = arg("server-cases", "FUZZ_SERVER_CASES", 3_000)
const seed = arg("seed", "FUZZ_SEED", Date.now() % 1_000_000_007)

interface Row {
  readonly target: string
  readonly cases: number
  readonly crashes: number
  readonly hangs: number
  readonly other: string
  readonly maxMs: number
  readonly seconds: number
}
const rows: Array<Row> = []
const examples: Array<string> = []
const example = (target: string, what: string) => {
  if (examples.filter((e) => e.startsWith(target)).length < 3) examples.push(`${target}: ${what}`)
}

/** runs `numRuns` cases of `arbitrary`, timing each; `check` says what went wrong, if anything */
const run = <A>(
  target: string,
  arbitrary: fc.Arbitrary<A>,
  check: (a: A) => { readonly kind: "crash" | "hang" | "mismatch"; readonly text: string } | undefined
) => {
  const started = performance.now()
  let crashes = 0
  let hangs = 0
  let mismatches = 0
  let maxMs = 0
  let n = 0
  fc.check(
    fc.property(arbitrary, (a) => {
      const t = performance.now()
      const problem = check(a)
      maxMs = Math.max(maxMs, performance.now() - t)
      n++
      if (problem !== undefined) {
        if (problem.kind === "crash") crashes++
        else if (problem.kind === "hang") hangs++
        else mismatches++
        example(target, problem.text)
      }
      return true
    }),
    { numRuns: cases, seed }
  )
  rows.push({ target, cases: n, crashes, hangs, other: `${mismatches} ${decoderTargets.some((d) => d.name === target) ? "chunking mismatches" : "wrong results"}`, maxMs, seconds: (performance.now() - started) / 1000 })
  console.log(`  ${target}: ${n} cases, ${crashes} crashes, ${hangs} hangs, ${mismatches} mismatches, max ${maxMs.toFixed(1)} ms/case`)
}

console.log(`fuzzing with seed ${seed}: ${cases} cases per decoder, ${serverCases} per wire of the server`)

for (const target of decoderTargets) {
  run(target.name, decoderCase(target), (c) => {
    const { outcome, problem } = runDecoderCase(target, c)
    if (problem === undefined) return undefined
    const kind = outcome._tag === "Crash" ? "crash" : outcome._tag === "Hang" ? "hang" : "mismatch"
    return { kind, text: `${problem.slice(0, 400)}\n    input ${hex(c.input).slice(0, 600)} cuts ${JSON.stringify(c.cuts)} small limits ${c.small}` }
  })
}

run("credentials", metadataObject, (m) => {
  const problem = checkCredentials(m)
  if (problem === undefined) return undefined
  return { kind: problem.startsWith("threw") ? "crash" : "mismatch", text: `${problem.slice(0, 300)}\n    metadata ${String((m as any)[fc.toStringMethod]())}` }
})

run("search query", fc.tuple(queryText, fc.string({ maxLength: 40 }), fc.array(searchObject, { maxLength: 4 })), ([q, s, o]) => {
  const started = performance.now()
  const problem = checkSearch(q, s, o)
  if (performance.now() - started > 1000) return { kind: "hang", text: `took ${performance.now() - started} ms: query ${JSON.stringify(q).slice(0, 300)}` }
  if (problem === undefined) return undefined
  return { kind: problem.startsWith("threw") ? "crash" : "mismatch", text: `${problem.slice(0, 300)}\n    query ${JSON.stringify(q).slice(0, 300)} sort ${JSON.stringify(s)}` }
})

const server = Effect.gen(function*() {
  yield* seedComponent("Q1", "a.txt", "hello")
  yield* seedComponent("Q2", "b.bin", new Uint8Array(100_000))
  const address = yield* ListenAddress
  for (const target of serverTargets) {
    const started = performance.now()
    const report = yield* Effect.promise(() =>
      fuzzServer(address, target, { count: serverCases, concurrency: 64, boundMs: 3000, seed })
    )
    const stalls = report.hangs.filter((h) => h.mode === "stall").length
    rows.push({
      target: `server, ${target.name} wire`,
      cases: report.cases,
      crashes: report.deaths.length,
      hangs: report.hangs.length,
      other: `${stalls} of the hangs with a silent client, ${report.hangs.length - stalls} with an ended one`,
      maxMs: report.maxMs,
      seconds: (performance.now() - started) / 1000
    })
    for (const h of report.hangs) example(`server, ${target.name} wire`, `not closed within 3 s (${h.mode}, ${h.received} bytes answered): ${hex(h.input).slice(0, 400)} cut at ${h.cuts.join(",")}`)
    for (const d of report.deaths) example(`server, ${target.name} wire`, d)
    console.log(`  server, ${target.name}: ${report.cases} cases, ${report.hangs.length} hangs (${stalls} stalled), ${report.deaths.length} failed hellos`)
  }
})

if (serverCases > 0) {
  await Effect.runPromise(
    server.pipe(
      // the generated credentials are wrong thousands of times from 127.0.0.1: a high failure limit keeps the auth
      // throttle's back-off (a handler's own wait, which no deadline cuts short) out of the hang counts
      Effect.provide(layerServer({ settings: { limits: { idleTimeoutSeconds: 0.5 }, auth: { token, maxFailures: 1_000_000 } } })),
      Effect.scoped,
      // the server's own log (a defect's stack trace per deep-JSON case) would bury the figures
      Effect.provideService(References.MinimumLogLevel, "None")
    )
  )
}

console.log(`\n| target | cases | crashes | hangs | other | max ms/case | s |\n|---|---:|---:|---:|---|---:|---:|`)
for (const r of rows) {
  console.log(`| ${r.target} | ${r.cases} | ${r.crashes} | ${r.hangs} | ${r.other} | ${r.maxMs.toFixed(1)} | ${r.seconds.toFixed(0)} |`)
}
console.log(`(server crashes = hellos that failed after a batch; seed ${seed})`)
if (examples.length > 0) console.log(`\nfirst failing cases:\n${examples.join("\n")}`)
process.exit(0)
