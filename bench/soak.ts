/**
 * Crash-safety soak (issue 14, item 10): the real server (`doip serve`, a child process) on one data folder, written
 * to by our client while it is killed with SIGKILL at random moments and restarted, round after round.
 *
 *   npm run soak                                   # 20 rounds on the embedded store
 *   npm run soak -- --rounds 50 --writers 4 --max-size 4194304 --seed 7
 *   npm run soak -- --backend lakefs               # the same against the lakeFS stand-in (in this process)
 *   SOAK_ROUNDS=50 npm run soak
 *
 * Each writer owns its own components (`Q<object>/w<writer>-<n>.bin`) and writes them one at a time, sizes from
 * 0 B to `--max-size`, each content random and recorded with its SHA-256; an answered update is an acknowledged
 * write. The server is killed `--min-kill-ms`..`--max-kill-ms` into a round (writes are in flight: a write whose
 * call failed is unacknowledged). After every restart, before writing again, every component written so far is
 * read back and must be:
 *
 * - the newest acknowledged write of that component, or a later unacknowledged one (in flight at a kill: it may
 *   or may not have landed), byte for byte (its SHA-256); absent only when no write of it was acknowledged;
 * - else it is *lost* (absent, or an older write) or *torn* (bytes that match no write at all).
 *
 * And the store's staging area must be empty after the restart: `<data-dir>/tmp/` for the embedded store, the
 * branch's uncommitted changes for lakeFS.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { createHash, randomBytes } from "node:crypto"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as References from "effect/References"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as DoipClient from "../src/client/DoipClient.ts"
import * as LakeFsStandIn from "../test/support/LakeFsStandIn.ts"
import { uncommitted } from "../test/support/LakeFsOnStandIn.ts"
import { prng } from "../test/support/Random.ts"

const arg = (name: string, env: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`)
  return (i !== -1 ? process.argv[i + 1] : process.env[env]) ?? fallback
}
const rounds = Number(arg("rounds", "SOAK_ROUNDS", "20"))
const writers = Number(arg("writers", "SOAK_WRITERS", "4"))
const componentsPerWriter = Number(arg("components", "SOAK_COMPONENTS", "3"))
const maxSize = Number(arg("max-size", "SOAK_MAX_SIZE", String(4 * 1024 * 1024)))
const minKillMs = Number(arg("min-kill-ms", "SOAK_MIN_KILL_MS", "300"))
const maxKillMs = Number(arg("max-kill-ms", "SOAK_MAX_KILL_MS", "4000"))
const backend = arg("backend", "SOAK_BACKEND", "embedded") as "embedded" | "lakefs"
const seed = Number(arg("seed", "SOAK_SEED", String(Date.now() % 1_000_000_007)))
const token = "soak-token-" + randomBytes(8).toString("hex")
const random = prng(seed)

// -----------------------------------------------------------------------------
// the server process
// -----------------------------------------------------------------------------

interface Server {
  readonly child: ChildProcess
  readonly port: number
  readonly exited: Promise<void>
}

const startScript = (): Array<string> => {
  const [, ...args] = (JSON.parse(readFileSync("package.json", "utf8")).scripts.start as string).split(/\s+/)
  return args
}

const start = (dataDir: string, env: Record<string, string>): Promise<Server> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...startScript(), "--port", "0", "--http-port", "0", "--host", "127.0.0.1", "--tls", "off"], {
      env: { ...process.env, DOIP_DATA_DIR: dataDir, DOIP_TOKEN: token, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    const exited = new Promise<void>((done) => child.once("exit", () => done()))
    let log = ""
    const timer = setTimeout(() => reject(new Error(`the server did not start within 30 s: ${log}`)), 30_000)
    const onData = (data: Buffer) => {
      log += data.toString()
      const binary = /binary DOIP listener on [^:\s]+:(\d+)/.exec(log)
      if (binary !== null) {
        clearTimeout(timer)
        child.stdout!.off("data", onData)
        child.stdout!.resume()
        resolve({ child, port: Number(binary[1]), exited })
      }
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", (data: Buffer) => (log += data.toString()))
    child.once("exit", (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`the server exited with ${signal ?? code} before listening: ${log}`))
    })
  })

// -----------------------------------------------------------------------------
// what was written
// -----------------------------------------------------------------------------

interface Write {
  readonly sha: string
  readonly size: number
  /** answered by the server */
  acknowledged: boolean
}

/** every write of every component, in the order its writer made them (one at a time per component) */
const history = new Map<string, Array<Write>>()
const key = (objectId: string, componentId: string) => `${objectId}/${componentId}`
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

const sizeOf = () => {
  const r = random.next()
  // a third tiny (0..1 KiB, empty included), a third up to 256 KiB, a third up to max-size
  return r < 0.05 ? 0 : r < 0.33 ? random.int(1, 1024) : r < 0.66 ? random.int(1, 256 * 1024) : random.int(1, maxSize)
}

const content = (size: number): Uint8Array => {
  // random but cheap: 64 KiB of random bytes, repeated with the position mixed in, so every write differs
  const out = new Uint8Array(size)
  const block = randomBytes(Math.min(size, 65536))
  for (let i = 0; i < size; i += block.length) out.set(block.subarray(0, Math.min(block.length, size - i)), i)
  if (size >= 8) new DataView(out.buffer).setFloat64(0, random.next())
  return out
}

let acknowledged = 0
const failures: Array<string> = []
let unacknowledged = 0

/** writes until the server dies under it (a failed call) */
const writer = (client: DoipClient.DoipClient["Service"], w: number) =>
  Effect.gen(function*() {
    for (;;) {
      const objectId = `Q${1 + random.int(0, 5)}`
      const componentId = `w${w}-${random.int(0, componentsPerWriter - 1)}.bin`
      const size = sizeOf()
      const bytes = content(size)
      const write: Write = { sha: sha256(bytes), size, acknowledged: false }
      const k = key(objectId, componentId)
      if (!history.has(k)) history.set(k, [])
      history.get(k)!.push(write)
      const result = yield* Effect.result(client.updateComponent(objectId, componentId, bytes))
      if (result._tag === "Failure") {
        unacknowledged++
        // a failed call is expected once the server is killed; an error the server answered is not
        const error = result.failure as { readonly _tag: string; readonly message?: string }
        if (!/Connection|Transport|Socket|Timeout|Closed|OutcomeUnknown/i.test(error._tag)) failures.push(`${k}: ${error._tag}: ${error.message}`)
        return
      }
      write.acknowledged = true
      acknowledged++
    }
  })

// -----------------------------------------------------------------------------
// checking what the store holds
// -----------------------------------------------------------------------------

const totals = { checks: 0, lost: 0, torn: 0, inFlightLanded: 0, stagingLeftovers: 0 }
const problems: Array<string> = []

const verify = (client: DoipClient.DoipClient["Service"], round: number) =>
  Effect.forEach([...history], ([k, writes]) =>
    Effect.gen(function*() {
      const [objectId, componentId] = k.split("/") as [string, string]
      const newest = writes.findLastIndex((w) => w.acknowledged)
      const allowed = writes.slice(Math.max(0, newest))
      if (newest === -1) allowed.length = writes.length // none acknowledged: any (or none) of them
      const read = yield* Effect.result(Effect.scoped(Effect.gen(function*() {
        const retrieved = yield* client.retrieve(objectId, componentId)
        const hash = createHash("sha256")
        let size = 0
        yield* Stream.runForEach(retrieved.content, (chunk) => Effect.sync(() => {
          hash.update(chunk)
          size += chunk.length
        }))
        return { sha: hash.digest("hex"), size }
      })))
      if (newest !== -1) totals.checks++
      if (read._tag === "Failure") {
        const notFound = read.failure._tag === "NotFoundError"
        if (!notFound) return yield* Effect.die(read.failure)
        if (newest !== -1) {
          totals.lost++
          problems.push(`round ${round}: ${k} is absent, but write ${newest + 1} of ${writes.length} (${writes[newest]!.size} B) was acknowledged`)
        }
        return
      }
      const found = allowed.find((w) => w.sha === read.success.sha)
      if (found !== undefined) {
        if (!found.acknowledged) totals.inFlightLanded++
        return
      }
      const older = writes.findIndex((w) => w.sha === read.success.sha)
      if (older !== -1) {
        totals.lost++
        problems.push(`round ${round}: ${k} holds write ${older + 1}, but write ${newest + 1} of ${writes.length} was acknowledged`)
      } else {
        totals.torn++
        problems.push(`round ${round}: ${k} holds ${read.success.size} B matching no write (sha256 ${read.success.sha})`)
      }
    }), { concurrency: 4, discard: true })

// -----------------------------------------------------------------------------
// the rounds
// -----------------------------------------------------------------------------

// a writer stops at its first failed call (the restarted server listens on another port): no reconnecting
const clientOf = (port: number) =>
  DoipClient.make({ host: "127.0.0.1", port, timeout: "60 seconds", credentials: { token }, reconnect: false })

const soak = Effect.gen(function*() {
  const dataDir = mkdtempSync(join(tmpdir(), "doip-soak-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dataDir, { recursive: true, force: true })))
  let env: Record<string, string> = {}
  let staging: () => Effect.Effect<ReadonlyArray<string>> = () =>
    Effect.sync(() => readdirSync(join(dataDir, "tmp")))
  if (backend === "lakefs") {
    const standIn = yield* LakeFsStandIn.LakeFsStandIn
    env = {
      LAKEFS_URL: standIn.url,
      LAKEFS_REPO: standIn.repo,
      LAKEFS_BRANCH: standIn.branch,
      LAKEFS_USER: standIn.user,
      LAKEFS_PASSWORD: standIn.password
    }
    staging = () => uncommitted(standIn)
  }
  console.log(`soak on the ${backend} store: ${rounds} rounds, ${writers} writers, sizes 0..${maxSize} B, kills ${minKillMs}..${maxKillMs} ms into a round, seed ${seed}`)
  const started = performance.now()
  let server = yield* Effect.promise(() => start(dataDir, env))
  // the objects the writers update
  yield* Effect.scoped(Effect.flatMap(clientOf(server.port), (client) =>
    Effect.forEach([1, 2, 3, 4, 5, 6], (n) => client.create({ id: `Q${n}`, type: "Dataset" }, []), { discard: true })))
  for (let round = 1; round <= rounds; round++) {
    const roundScope = yield* Scope.make()
    const clients = yield* Effect.forEach(Array.from({ length: writers }), () => clientOf(server.port)).pipe(Scope.provide(roundScope))
    const fibers = yield* Effect.forEach(clients, (client, w) => Effect.forkChild(writer(client, w)))
    const killAfter = random.int(minKillMs, maxKillMs)
    yield* Effect.sleep(killAfter)
    server.child.kill("SIGKILL")
    yield* Effect.promise(() => server.exited)
    yield* Effect.forEach(fibers, (fiber) => Fiber.await(fiber), { discard: true })
    yield* Scope.close(roundScope, Exit.void)
    server = yield* Effect.promise(() => start(dataDir, env))
    const left = yield* staging()
    if (left.length > 0) {
      totals.stagingLeftovers += left.length
      problems.push(`round ${round}: after the restart the staging area holds ${left.length}: ${left.slice(0, 5).join(", ")}`)
    }
    yield* Effect.scoped(Effect.flatMap(clientOf(server.port), (client) => verify(client, round)))
    console.log(`  round ${round}: killed after ${killAfter} ms; ${acknowledged} acknowledged and ${unacknowledged} unacknowledged writes so far; lost ${totals.lost}, torn ${totals.torn}`)
  }
  server.child.kill("SIGKILL")
  yield* Effect.promise(() => server.exited)
  const seconds = (performance.now() - started) / 1000
  console.log(`\n| store | rounds | acknowledged writes | unacknowledged (in flight at a kill) | landed of those | component checks against an acknowledged write | lost | torn | staging leftovers after restart | s |`)
  console.log(`|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|`)
  console.log(`| ${backend} | ${rounds} | ${acknowledged} | ${unacknowledged} | ${totals.inFlightLanded} | ${totals.checks} | ${totals.lost} | ${totals.torn} | ${totals.stagingLeftovers} | ${seconds.toFixed(0)} |`)
  if (problems.length > 0) console.log(`\nproblems:\n${problems.slice(0, 20).join("\n")}`)
  if (failures.length > 0) console.log(`\nwrites the server refused (not a kill):\n${failures.slice(0, 10).join("\n")}`)
  return problems.length === 0
})

const standIn: Layer.Layer<LakeFsStandIn.LakeFsStandIn> = backend === "lakefs"
  ? LakeFsStandIn.layer()
  : Layer.succeed(LakeFsStandIn.LakeFsStandIn, undefined as never) // never asked for on the embedded store
const program = soak.pipe(
  Effect.scoped,
  Effect.provide(standIn),
  Effect.provideService(References.MinimumLogLevel, "Warn")
)

Effect.runPromise(program).then(
  (ok) => process.exit(ok ? 0 : 1),
  (error) => {
    console.error(error)
    process.exit(2)
  }
)
