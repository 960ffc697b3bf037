/**
 * `npm run bench:wire`: our DOIP server beside two twins answering the same bytes, on both wires (binary envelope on
 * the port, DOIP v2.0 on port + 1), in one run, printed as one Markdown table.
 *
 * - bare   = server-bare.ts, bare `node:net`: the ceiling.
 * - effect = server-effect.ts, the same work with Effect 4's socket primitives: what Effect itself costs.
 * - ours   = server-ours.ts, DoipServer on LocalStorage in a temp dir, seeded with wire.ts `SEEDED`.
 *
 * Each server runs alone in its own child process; this process is the load generator (loadgen.ts, the same code
 * against every server) and our DoipClient (client.ts). The machine is shared and noisy, so within a row the three
 * run back to back and the ratios, not the absolute figures, are the result.
 *
 * Order: start ours (it seeds ~1.3 GiB), capture its answers (hello, the 1 KiB retrieve, the heads of the big
 * retrieves), start the twins with them and check they answer the same bytes, open 1,000 idle connections to ours
 * (kept open to the end), then the rows. Ours' peak RSS (VmHWM) is reset before each of its measurements and read
 * after it. About two minutes on 2 cores; needs ~3.5 GB in the temp dir (removed at the end).
 *
 * Two environment variables narrow a run down for profiling:
 * - `BENCH_ROWS=1,3` measures those rows only;
 * - `BENCH_PROFILE=DIR` runs each server with `--cpu-prof` into `DIR/<server>/` and appends each measured load's
 *   window to `DIR/windows.tsv` (`server, label, from µs, to µs`, CLOCK_MONOTONIC as the profile's timestamps), for
 *   `node bench/profile-top.ts DIR/<server> --window=<label>`;
 * - `BENCH_OURS_FLAGS="..."` replaces ours' V8 flags (`npm start`'s by default).
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Readline from "node:readline"
import { fileURLToPath } from "node:url"
import { cell, cpuSeconds, fmt, log, median, ms, progress, ratio, type Show, stopChild, warmFile } from "./bench-common.ts"
import { download, upload, type Wire } from "./client.ts"
import { binary, closedLoop, connect, doip2, exchange, type Framing, idleConnections, type LoadResult, type Request } from "./loadgen.ts"
import {
  type Answers,
  BIG,
  type Component,
  doip2HelloRequest,
  doip2RetrieveRequest,
  type FileAnswer,
  helloRequest,
  HUGE,
  MEDIUM,
  retrieveRequest,
  saveAnswers,
  SEEDED,
  SMALL,
  UPLOAD
} from "./wire.ts"

const WARM_MS = 500
const MEASURE_MS = 2000
/** measured runs of each transfer (after one warm-up run, except the 1 GiB one and uploads); the median counts */
const TRANSFER_RUNS = 3
/** idle connections held open to ours through every measurement, half on each wire */
const IDLE_CONNECTIONS = 1000
/** connections trickling a request that never ends, held open to ours with the idle ones (until ours closes them) */
const SLOWLORIS_CONNECTIONS = 100

/** the goals the issue sets */
const GOAL = {
  helloRatio: 0.6,
  p99Ms: 2,
  oneConnP50Ms: 0.15,
  pipelinedRatio: 0.6,
  smallRetrieveRatio: 0.5,
  bigRetrieveRatio: 0.5,
  clientOfServer: 0.5,
  uploadMBs: 400,
  rssMiB: 256
} as const

/** the rows to measure (`BENCH_ROWS=1,3`), all when unset */
const ROWS = new Set((process.env["BENCH_ROWS"] ?? "1,2,3,4,5,6").split(",").map((r) => r.trim()))
/** where the servers' CPU profiles and the measured windows go (`BENCH_PROFILE=DIR`), none when unset */
const PROFILE_DIR = process.env["BENCH_PROFILE"]
/** ours' V8 flags: `npm start`'s (a small young generation, see package.json), or `BENCH_OURS_FLAGS` to try others */
const OURS_FLAGS = (process.env["BENCH_OURS_FLAGS"] ?? "--max-semi-space-size=1").split(" ").filter((f) => f !== "")

// -----------------------------------------------------------------------------
// child processes
// -----------------------------------------------------------------------------

type Name = "bare" | "effect" | "ours"

interface Server {
  readonly name: Name
  readonly port: number
  readonly doip2Port: number
  readonly pid: number
  /** ours: the sha256 of each seeded component's blob, by component id */
  readonly blobs: ReadonlyMap<string, string>
}

/** every server process started, so that all are stopped whatever fails */
const running: Array<ChildProcess> = []

/**
 * spawns `node [flags] bench/<script> 0 ...args` (0: both listeners on free ports) and waits for its
 * "ready <port> <DOIP v2.0 port>" line, collecting "blob <componentId> <hex>" lines before it; other stdout lines go
 * to stderr
 */
const startServer = async (name: Name, args: ReadonlyArray<string>, nodeFlags: ReadonlyArray<string> = []): Promise<Server> => {
  const script = fileURLToPath(new URL(`./server-${name}.ts`, import.meta.url))
  const profile = PROFILE_DIR === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${Path.join(PROFILE_DIR, name)}`]
  const child = spawn(process.execPath, [...profile, ...nodeFlags, script, "0", ...args], { stdio: ["ignore", "pipe", "inherit"] })
  running.push(child)
  const blobs = new Map<string, string>()
  const lines = Readline.createInterface({ input: child.stdout! })
  const [port, doip2Port] = await new Promise<[number, number]>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`server-${name}.ts exited (${code}) before it was ready`))
    child.once("exit", onExit)
    lines.on("line", (line) => {
      const ready = /^ready (\d+) (\d+)$/.exec(line.trim())
      const blob = /^blob (\S+) ([0-9a-f]{64})$/.exec(line.trim())
      if (ready) {
        child.off("exit", onExit)
        resolve([Number(ready[1]), Number(ready[2])])
      } else if (blob) blobs.set(blob[1]!, blob[2]!)
      else progress(`[${name}] ${line}`)
    })
  })
  return { name, port, doip2Port, pid: child.pid!, blobs }
}

const portOf = (server: Server, framing: Framing) => framing === binary ? server.port : server.doip2Port

/** VmRSS and VmHWM (peak RSS) of a process, in KiB */
const memory = (pid: number) => {
  const status = Fs.readFileSync(`/proc/${pid}/status`, "utf8")
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN)
  return { rss: field("VmRSS"), hwm: field("VmHWM") }
}

/** resets VmHWM to the current RSS (Linux: writing 5 to clear_refs), so the next peak is the measurement's own */
const resetPeak = (pid: number) => Fs.writeFileSync(`/proc/${pid}/clear_refs`, "5")

/**
 * Runs `f` against `server`: the server's RSS before and peak RSS over it (KiB), and how busy the server and this
 * process (the load generator) were, in % of one core. A server well below 100% means the load generator set the
 * pace.
 */
const observe = async <A>(server: Server, f: () => Promise<A>) => {
  const before = memory(server.pid).rss
  resetPeak(server.pid)
  const server0 = cpuSeconds(server.pid)
  const client0 = process.cpuUsage()
  const t0 = performance.now()
  const value = await f()
  const wall = (performance.now() - t0) / 1000
  const client = process.cpuUsage(client0)
  const cpu = {
    server: (100 * (cpuSeconds(server.pid) - server0)) / wall,
    client: (client.user + client.system) / 1e4 / wall
  }
  return { value, rss: { before, hwm: memory(server.pid).hwm }, cpu }
}

const cpuNote = (cpu: { server: number; client: number }) =>
  `CPU server ${cpu.server.toFixed(0)}%, load generator ${cpu.client.toFixed(0)}%`

// -----------------------------------------------------------------------------
// capturing ours' answers for the twins
// -----------------------------------------------------------------------------

/**
 * Reads the start of the answer to `request` until `headLength` (given the bytes so far) knows where the content
 * starts, then hangs up: the big answers' heads without reading 1 GiB.
 */
const captureHead = async (
  port: number,
  request: Buffer | string,
  headLength: (received: Buffer) => number | undefined
): Promise<Buffer> => {
  const socket = await connect(port)
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      let received = Buffer.alloc(0)
      socket.on("data", (chunk: Buffer) => {
        received = Buffer.concat([received, chunk])
        const n = headLength(received)
        if (n !== undefined && received.length >= n) resolve(received.subarray(0, n))
      })
      socket.once("error", reject)
      socket.once("close", () => reject(new Error("connection closed before the answer's head")))
      socket.write(request)
    })
  } finally {
    socket.destroy()
  }
}

/** binary: the component's bytes end the answer, so its head is the answer's size (from its header) less theirs */
const binaryHeadLength = (c: Component) => (received: Buffer) =>
  received.length < 10 ? undefined : 10 + received.readUInt16BE(4) + received.readUInt32BE(6) - c.size

/** DOIP v2.0: the head is the first segment and the `@` line that opens the bytes segment */
const doip2HeadLength = (received: Buffer) => {
  const at = received.indexOf("\n#\n@\n")
  return at < 0 ? undefined : at + 5
}

/** the path of a blob in LocalStorage's documented layout (`blobs/sha256/ab/<hex>`), checked */
const blobFile = (storeDir: string, hex: string, c: Component): string => {
  const path = Path.join(storeDir, "blobs", "sha256", hex.slice(0, 2), hex)
  const size = Fs.existsSync(path) ? Fs.statSync(path).size : -1
  if (size !== c.size) throw new Error(`ours' blob of ${c.componentId} is not at ${path} (LocalStorage's layout changed?)`)
  return path
}

const captureAnswers = async (ours: Server, storeDir: string): Promise<Answers> => {
  const whole = async (framing: Framing, request: Buffer | string) =>
    (await exchange(portOf(ours, framing), framing, request, 1 << 20)).captured!
  const file = async (c: Component): Promise<FileAnswer> => ({
    componentId: c.componentId,
    size: c.size,
    path: blobFile(storeDir, ours.blobs.get(c.componentId) ?? "", c),
    binaryHead: await captureHead(ours.port, retrieveRequest(c), binaryHeadLength(c)),
    doip2Head: await captureHead(ours.doip2Port, doip2RetrieveRequest(c)("r"), doip2HeadLength)
  })
  return {
    hello: { binary: await whole(binary, helloRequest), doip2: await whole(doip2, doip2HelloRequest("1")) },
    small: {
      binary: await whole(binary, retrieveRequest(SMALL)),
      doip2: await whole(doip2, doip2RetrieveRequest(SMALL)("1"))
    },
    files: [await file(MEDIUM), await file(BIG), await file(HUGE)]
  }
}

/** the twins must answer hello and the small retrieve with ours' exact bytes */
const checkTwin = async (twin: Server, answers: Answers) => {
  const same = async (framing: Framing, request: Buffer | string, expected: Buffer, what: string) => {
    const got = (await exchange(portOf(twin, framing), framing, request, 1 << 20)).captured!
    if (!got.equals(expected)) throw new Error(`${twin.name}: its ${framing.name} ${what} answer differs from ours'`)
  }
  await same(binary, helloRequest, answers.hello.binary, "hello")
  await same(doip2, doip2HelloRequest("1"), answers.hello.doip2, "hello")
  await same(binary, retrieveRequest(SMALL), answers.small.binary, "1 KiB retrieve")
  await same(doip2, doip2RetrieveRequest(SMALL)("1"), answers.small.doip2, "1 KiB retrieve")
}

// -----------------------------------------------------------------------------
// measuring
// -----------------------------------------------------------------------------

/** KiB: ours' RSS right before a measurement, and its peak during it */
interface Rss {
  readonly before: number
  readonly hwm: number
}

/** one cell per server (absent: not measured), and ours' RSS over its measurement */
interface Cells {
  readonly bare?: number | undefined
  readonly effect?: number | undefined
  readonly ours?: number | undefined
  readonly rss?: Rss | undefined
}

interface Load {
  readonly framing: Framing
  readonly request: Request
  readonly connections: number
  readonly depth: number
}

/** the load against each server in turn: its result per server, and ours' peak RSS */
const loadRow = async (label: string, servers: ReadonlyArray<Server>, load: Load) => {
  const results = new Map<Name, LoadResult>()
  let oursRss: Rss | undefined
  for (const server of servers) {
    globalThis.gc?.()
    const measuredFrom = monotonicMicros() + WARM_MS * 1000
    const { cpu, rss, value } = await observe(server, () =>
      closedLoop({ ...load, port: portOf(server, load.framing), warmMs: WARM_MS, measureMs: MEASURE_MS }))
    markWindow(server.name, label, measuredFrom)
    results.set(server.name, value)
    if (server.name === "ours") oursRss = rss
    progress(`  ${label}, ${server.name}: ${fmt(value.perSecond)} req/s, p50 ${ms(value.p50)}, p99 ${ms(value.p99)} ms (${cpuNote(cpu)})`)
  }
  const pick = (f: (r: LoadResult) => number): Cells => ({
    bare: maybe(results.get("bare"), f),
    effect: maybe(results.get("effect"), f),
    ours: maybe(results.get("ours"), f),
    rss: oursRss
  })
  return { perSecond: pick((r) => r.perSecond), p50: pick((r) => r.p50), p99: pick((r) => r.p99) }
}

const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n)

/** with `BENCH_PROFILE`: the measured window of `label` on `server`, from `from` to now */
const markWindow = (server: Name, label: string, from: number) => {
  if (PROFILE_DIR === undefined) return
  Fs.mkdirSync(PROFILE_DIR, { recursive: true })
  Fs.appendFileSync(Path.join(PROFILE_DIR, "windows.tsv"), `${server}\t${label}\t${from}\t${monotonicMicros()}\n`)
}

const maybe = <A>(a: A | undefined, f: (a: A) => number) => a === undefined ? undefined : f(a)

/**
 * `runs` timed runs of `once` (seconds for `bytes` of content) after `warmUps` untimed ones: the median MB/s, and
 * ours' peak RSS over all of them
 */
const transfer = async (
  label: string,
  server: Server,
  bytes: number,
  once: () => Promise<number>,
  runs = TRANSFER_RUNS,
  warmUps = 1
) => {
  globalThis.gc?.()
  const from = monotonicMicros()
  const { cpu, rss, value } = await observe(server, async () => {
    for (let i = 0; i < warmUps; i++) await once()
    const mbs: Array<number> = []
    for (let i = 0; i < runs; i++) {
      globalThis.gc?.()
      mbs.push(bytes / 1e6 / await once())
    }
    return mbs
  })
  markWindow(server.name, label, from)
  progress(`  ${label}, ${server.name}: ${value.map(fmt).join(", ")} MB/s (${cpuNote(cpu)})`)
  return { mbs: median(value), rss }
}

/** one retrieve of `c` on a fresh connection, checked whole: seconds from the request to the last byte */
const retrieveOnce = (server: Server, framing: Framing, c: Component, head: number) => async () => {
  const request = framing === binary ? retrieveRequest(c) : doip2RetrieveRequest(c)("r")
  const { bytes, data, seconds } = await exchange(portOf(server, framing), framing, request)
  const content = framing === binary ? data - head : data
  if (content !== c.size || (framing === binary && bytes !== data)) {
    throw new Error(`${server.name}: ${framing.name} retrieve of ${c.componentId}: ${content} content bytes, ${bytes} on the wire`)
  }
  return seconds
}

/** MB/s of retrieving `c` from the bare server and from ours, and ours' peak RSS */
const retrieveRow = async (
  label: string,
  bare: Server,
  ours: Server,
  framing: Framing,
  file: FileAnswer,
  c: Component,
  runs = TRANSFER_RUNS,
  warmUps = 1
): Promise<Cells> => {
  const head = file.binaryHead.length
  warmFile(file.path)
  const b = await transfer(label, bare, c.size, retrieveOnce(bare, framing, c, head), runs, warmUps)
  const o = await transfer(label, ours, c.size, retrieveOnce(ours, framing, c, head), runs, warmUps)
  return { bare: b.mbs, ours: o.mbs, rss: o.rss }
}

// -----------------------------------------------------------------------------
// the table
// -----------------------------------------------------------------------------

const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`

interface Row {
  readonly row: string
  readonly label: string
  readonly cells: Cells
  readonly show: Show
  /** the goal check, already written out, or "" */
  readonly goal: string
}

const check = (ok: boolean) => ok ? "✓" : "✗"
/** "300 MiB ✗ (+12)": the peak, its goal check, and how far it rose above the RSS the row started from */
const rss = (r: Rss | undefined) => {
  if (r === undefined) return "–"
  const change = Math.round((r.hwm - r.before) / 1024)
  return `${mib(r.hwm)} ${check(r.hwm / 1024 < GOAL.rssMiB)} (${change < 0 ? "−" : "+"}${Math.abs(change)})`
}

/** "ours/bare ≥ 0.6x ✗" */
const ratioGoal = (cells: Cells, min: number) =>
  cells.ours === undefined || cells.bare === undefined ? "" : `≥ ${min}x ${check(cells.ours / cells.bare >= min)}`
/** "≤ 2 ms ✗" (ours) */
const latencyGoal = (cells: Cells, max: number) =>
  cells.ours === undefined ? "" : `ours ≤ ${max} ms ${check(cells.ours <= max)}`

const printTable = (rows: ReadonlyArray<Row>) => {
  log("| # | row | bare | effect | ours | ours/bare | effect/bare | ours peak RSS | goal |")
  log("|---|---|---:|---:|---:|---:|---:|---:|---|")
  for (const { cells, goal, label, row, show } of rows) {
    log(`| ${row} | ${label} | ${cell(cells.bare, show)} | ${cell(cells.effect, show)} | ${cell(cells.ours, show)} | ` +
      `${ratio(cells.ours, cells.bare)} | ${ratio(cells.effect, cells.bare)} | ${rss(cells.rss)} | ${goal} |`)
  }
}

const header = () => {
  const cpus = Os.cpus()
  log(`## DOIP wire benchmark (\`npm run bench:wire\`)`)
  log("")
  log(`${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? "?"}. ` +
    "Each server in its own process, driven in turn by one load generator (this process) on the same machine: " +
    "**bare** = bare `node:net` (the ceiling), **effect** = the same work with Effect 4's socket primitives, " +
    "**ours** = DoipServer on LocalStorage (temp dir). The twins answer with ours' captured bytes (DOIP v2.0: " +
    "keeping the captured requestId, where ours echoes each request's); bare streams big components from ours' own " +
    "blob files, 1 MiB reads into two reused buffers; effect answers hello and the 1 KiB retrieve only. " +
    `${IDLE_CONNECTIONS.toLocaleString("en-US")} idle connections (half per wire, one hello each) stay open to ours throughout, ` +
    `and ${SLOWLORIS_CONNECTIONS} slowloris ones trickle a request a byte every 2 s until ours' message deadline closes them. ` +
    `Rates: ${WARM_MS / 1000} s warm-up, ${MEASURE_MS / 1000} s measured, closed loop; latency from request written ` +
    `to answer's last byte. Transfers: median of ${TRANSFER_RUNS} runs on fresh connections (MB = 10^6 bytes of ` +
    "content). Ours' peak RSS: VmHWM over its part of the row (reset before it; it cannot fall below the heap ours keeps " +
    "from earlier rows, so (+N) says how many MiB the row itself added). ✓/✗: the issue's goals (RSS < 256 MiB).")
  log("")
}

// -----------------------------------------------------------------------------
// main
// -----------------------------------------------------------------------------

const hello: Record<"binary" | "doip2", Load> = {
  binary: { framing: binary, request: () => helloRequest, connections: 16, depth: 1 },
  doip2: { framing: doip2, request: (n) => doip2HelloRequest(String(n)), connections: 16, depth: 1 }
}
const smallRetrieve: Record<"binary" | "doip2", Load> = {
  binary: { framing: binary, request: () => retrieveRequest(SMALL), connections: 16, depth: 1 },
  doip2: { framing: doip2, request: (n) => doip2RetrieveRequest(SMALL)(String(n)), connections: 16, depth: 1 }
}
const wires = [["binary", binary], ["doip2", doip2]] as const

/** what every row needs */
interface Bench {
  readonly bare: Server
  readonly effect: Server
  readonly ours: Server
  readonly answers: Answers
  /** the temp dir, for the client's files */
  readonly tmp: string
}

const row = (row: string, label: string, cells: Cells, show: Show, goal = ""): Row => ({ row, label, cells, show, goal })

/** 1: hello over 16 connections (req/s, p99), and over one (p50) */
const helloRows = async ({ bare, effect, ours }: Bench): Promise<Array<Row>> => {
  progress("row 1: hello, 16 connections; one connection")
  const rows: Array<Row> = []
  for (const [wire, framing] of wires) {
    const r = await loadRow(`${framing.name} hello, 16 conns`, [bare, effect, ours], hello[wire])
    rows.push(row("1", `hello, 16 conns, ${framing.name}: req/s`, r.perSecond, fmt, ratioGoal(r.perSecond, GOAL.helloRatio)))
    rows.push(row("1", `hello, 16 conns, ${framing.name}: p99 ms`, r.p99, ms, latencyGoal(r.p99, GOAL.p99Ms)))
  }
  for (const [wire, framing] of wires) {
    const r = await loadRow(`${framing.name} hello, 1 conn`, [bare, effect, ours], { ...hello[wire], connections: 1 })
    rows.push(row("1", `hello, 1 conn, ${framing.name}: p50 ms`, r.p50, ms, latencyGoal(r.p50, GOAL.oneConnP50Ms)))
  }
  return rows
}

/** 2: DOIP v2.0 hello, 16 requests in flight on one connection */
const pipelinedRows = async ({ bare, effect, ours }: Bench): Promise<Array<Row>> => {
  progress("row 2: DOIP v2.0 hello, 16 pipelined on one connection")
  const r = await loadRow("DOIP v2.0 hello, 16 pipelined", [bare, effect, ours], { ...hello.doip2, connections: 1, depth: 16 })
  return [
    row("2", "hello, 16 pipelined on 1 conn, DOIP v2.0: req/s", r.perSecond, fmt, ratioGoal(r.perSecond, GOAL.pipelinedRatio)),
    row("2", "hello, 16 pipelined on 1 conn, DOIP v2.0: p99 ms", r.p99, ms)
  ]
}

/** 3: retrieve of the 1 KiB component over 16 connections (the twins answer ours' captured answer) */
const smallRetrieveRows = async ({ bare, effect, ours }: Bench): Promise<Array<Row>> => {
  progress("row 3: retrieve 1 KiB, 16 connections")
  const rows: Array<Row> = []
  for (const [wire, framing] of wires) {
    const r = await loadRow(`${framing.name} retrieve 1 KiB`, [bare, effect, ours], smallRetrieve[wire])
    rows.push(row("3", `retrieve 1 KiB, 16 conns, ${framing.name}: req/s`, r.perSecond, fmt, ratioGoal(r.perSecond, GOAL.smallRetrieveRatio)))
    rows.push(row("3", `retrieve 1 KiB, 16 conns, ${framing.name}: p99 ms`, r.p99, ms))
  }
  return rows
}

const fileOf = (answers: Answers, c: Component) => answers.files.find((f) => f.componentId === c.componentId)!

/** 4: retrieve of 256 MiB (bare from ours' blob file), then our client downloading it to a file */
const bigRetrieveRows = async ({ answers, bare, ours, tmp }: Bench): Promise<Array<Row>> => {
  progress("row 4: retrieve 256 MiB (bare from ours' blob file); our client downloading it to a file")
  const rows: Array<Row> = []
  const server = new Map<Wire, number>()
  for (const [wire, framing] of wires) {
    const r = await retrieveRow(`${framing.name} retrieve 256 MiB`, bare, ours, framing, fileOf(answers, BIG), BIG)
    server.set(wire, r.ours!)
    rows.push(row("4", `retrieve 256 MiB, ${framing.name}: MB/s`, r, fmt, ratioGoal(r, GOAL.bigRetrieveRatio)))
  }
  const file = Path.join(tmp, "download.bin")
  for (const [wire, framing] of wires) {
    const r = await transfer(`DoipClient download 256 MiB, ${framing.name}`, ours, BIG.size, () =>
      download(wire, portOf(ours, framing), BIG, file))
    Fs.rmSync(file, { force: true })
    // the client's ceiling is the server it talks to: ours' own retrieve row on the same wire
    const ofServer = r.mbs / server.get(wire)!
    rows.push(row("4", `DoipClient download 256 MiB to a file, ${framing.name}: MB/s`, { ours: r.mbs, rss: r.rss }, fmt,
      `${ofServer.toFixed(2)}x of ours' retrieve row ≥ ${GOAL.clientOfServer}x ${check(ofServer >= GOAL.clientOfServer)}`))
  }
  return rows
}

/** 5: our client uploading 256 MiB from a file, committed to LocalStorage */
const uploadRows = async ({ ours, tmp }: Bench): Promise<Array<Row>> => {
  progress("row 5: DoipClient upload 256 MiB from a file, committed")
  const rows: Array<Row> = []
  const source = Path.join(tmp, "upload.bin")
  writeUploadSource(source)
  let uploads = 0
  for (const [wire, framing] of wires) {
    // every run stores new content: an upload of content already stored skips the fsync
    const r = await transfer(`DoipClient upload 256 MiB, ${framing.name}`, ours, UPLOAD.size, () => {
      markUploadSource(source, ++uploads)
      return upload(wire, portOf(ours, framing), UPLOAD, source)
    }, TRANSFER_RUNS, 0)
    rows.push(row("5", `DoipClient upload 256 MiB from a file (committed), ${framing.name}: MB/s`, { ours: r.mbs, rss: r.rss },
      fmt, `ours ≥ ${GOAL.uploadMBs} MB/s ${check(r.mbs >= GOAL.uploadMBs)}`))
  }
  Fs.rmSync(source, { force: true })
  return rows
}

/** 6: retrieves of 16 MiB and 1 GiB, to show ours' peak RSS does not grow with the component */
const rssRows = async ({ answers, bare, ours }: Bench): Promise<Array<Row>> => {
  progress("row 6: peak RSS of retrieves of 16 MiB and 1 GiB")
  const rows: Array<Row> = []
  for (const [c, size, runs, warmUps] of [[MEDIUM, "16 MiB", TRANSFER_RUNS, 1], [HUGE, "1 GiB", 1, 0]] as const) {
    for (const [, framing] of wires) {
      const r = await retrieveRow(`${framing.name} retrieve ${size}`, bare, ours, framing, fileOf(answers, c), c, runs, warmUps)
      rows.push(row("6", `retrieve ${size}${runs === 1 ? " (1 run)" : ""}, ${framing.name}: MB/s`, r, fmt))
    }
  }
  return rows
}

const measureAll = async (bench: Bench): Promise<Array<Row>> => {
  const rows: Array<Row> = []
  const all = [helloRows, pipelinedRows, smallRetrieveRows, bigRetrieveRows, uploadRows, rssRows]
  for (const [i, measure] of all.entries()) if (ROWS.has(String(i + 1))) rows.push(...await measure(bench))
  return rows
}

const writeUploadSource = (path: string) => {
  const chunk = Buffer.alloc(1 << 20, 0xcd)
  const fd = Fs.openSync(path, "w")
  try {
    for (let written = 0; written < UPLOAD.size; written += chunk.length) Fs.writeSync(fd, chunk)
  } finally {
    Fs.closeSync(fd)
  }
}

/** makes the upload's content new: its first 8 bytes hold the run number */
const markUploadSource = (path: string, run: number) => {
  const mark = Buffer.alloc(8)
  mark.writeBigUInt64BE(BigInt(run))
  const fd = Fs.openSync(path, "r+")
  try {
    Fs.writeSync(fd, mark, 0, 8, 0)
  } finally {
    Fs.closeSync(fd)
  }
}

/** starts ours (seeding), captures its answers, starts the twins with them and checks they answer the same bytes */
const startServers = async (tmp: string): Promise<Bench> => {
  const storeDir = Path.join(tmp, "store")
  progress(`starting ours (LocalStorage in ${storeDir}, seeding ${SEEDED_MIB} MiB) ...`)
  // ours runs with the V8 flags of `npm start` (a small young generation, see package.json); the twins as they are
  const ours = await startServer("ours", [storeDir], OURS_FLAGS)
  const answers = await captureAnswers(ours, storeDir)
  const answersFile = Path.join(tmp, "answers.json")
  saveAnswers(answersFile, answers)
  progress(`captured ours' answers: hello ${answers.hello.binary.length} B binary, ${answers.hello.doip2.length} B DOIP v2.0; ` +
    `1 KiB retrieve ${answers.small.binary.length} B binary, ${answers.small.doip2.length} B DOIP v2.0`)
  const [bare, effect] = await Promise.all([startServer("bare", [answersFile]), startServer("effect", [answersFile])])
  await checkTwin(bare, answers)
  await checkTwin(effect, answers)
  return { bare, effect, ours, answers, tmp }
}

/**
 * Connections that trickle a DOIP v2.0 request a byte every 2 s and never finish it (slowloris): each is never idle,
 * so only the server's per-message deadline (`limits.messageTimeoutSeconds`) ends it.
 */
const slowloris = async (port: number, count: number) => {
  const sockets = await Promise.all(Array.from({ length: count }, () => connect(port)))
  for (const socket of sockets) {
    socket.on("error", () => {})
    socket.write(`{"requestId":"slow","operationId":"0.DOIP/Op.Hello","attributes":{"padding":"`)
  }
  const timer = setInterval(() => {
    for (const socket of sockets) if (socket.writable) socket.write("p")
  }, 2_000)
  return {
    open: () => sockets.filter((socket) => !socket.destroyed && socket.readyState === "open").length,
    close: () => {
      clearInterval(timer)
      sockets.forEach((socket) => socket.destroy())
    }
  }
}

/**
 * Opens the idle connections to ours (half per wire) and the slowloris ones: them, and the rows saying what they cost
 * (RSS, KiB per connection) and what a fresh client meets meanwhile (its hello's p99).
 */
const openIdle = async (ours: Server) => {
  const ready = memory(ours.pid)
  const idle = [
    await idleConnections(ours.port, binary, hello.binary.request, IDLE_CONNECTIONS / 2),
    await idleConnections(ours.doip2Port, doip2, hello.doip2.request, IDLE_CONNECTIONS / 2)
  ]
  const slow = await slowloris(ours.doip2Port, SLOWLORIS_CONNECTIONS)
  const opened = IDLE_CONNECTIONS + SLOWLORIS_CONNECTIONS
  const withIdle: Rss = { before: ready.rss, hwm: memory(ours.pid).rss }
  const fresh = await closedLoop({
    port: ours.doip2Port,
    framing: doip2,
    request: hello.doip2.request,
    connections: 1,
    depth: 1,
    warmMs: 300,
    measureMs: 1_500
  })
  progress(`ours: RSS ${mib(ready.rss)} when ready (peak ${mib(ready.hwm)} while seeding), ` +
    `${mib(withIdle.hwm)} with ${IDLE_CONNECTIONS} idle and ${SLOWLORIS_CONNECTIONS} slowloris connections; ` +
    `a fresh client's hello p99 ${ms(fresh.p99)} ms`)
  const open = `the ${IDLE_CONNECTIONS.toLocaleString("en-US")} idle and ${SLOWLORIS_CONNECTIONS} slowloris connections`
  const perConnection = { ours: (withIdle.hwm - ready.rss) / opened }
  const p99 = { ours: fresh.p99 }
  return {
    rows: [
      row("6", `ours' RSS with ${open} open, before the rows (±: change from before opening them)`, { rss: withIdle }, fmt,
        `peak while seeding ${mib(ready.hwm)}`),
      row("6", `KiB of RSS per open connection (${opened.toLocaleString("en-US")} of them)`, perConnection, fmt),
      row("6", `a fresh client's hello with ${open} open, DOIP v2.0: p99 ms`, p99, ms, latencyGoal(p99, GOAL.p99Ms))
    ],
    open: () => idle.reduce((n, i) => n + i.open(), 0),
    slowOpen: () => slow.open(),
    close: () => {
      idle.forEach((i) => i.close())
      slow.close()
    }
  }
}

const main = async () => {
  const started = performance.now()
  const tmp = Fs.mkdtempSync(Path.join(Os.tmpdir(), "doip-wire-bench-"))
  const cleanUp = () => Fs.rmSync(tmp, { recursive: true, force: true })
  process.once("SIGINT", () => {
    running.forEach((child) => child.kill("SIGKILL"))
    cleanUp()
    process.exit(130)
  })
  let idle: Awaited<ReturnType<typeof openIdle>> | undefined
  try {
    const bench = await startServers(tmp)
    idle = await openIdle(bench.ours)
    const rows = [...await measureAll(bench), ...idle.rows]
    const stillOpen = idle.open()
    const slowStillOpen = idle.slowOpen()
    header()
    printTable(rows)
    log("")
    log(`${stillOpen} of ${IDLE_CONNECTIONS} idle connections still open at the end (the idle timeout is longer than ` +
      `the bench), ${slowStillOpen} of ${SLOWLORIS_CONNECTIONS} slowloris ones (ours closes each once its message deadline, 60 s by default, has passed); the bench took ` +
      `${((performance.now() - started) / 1000).toFixed(0)} s.`)
  } finally {
    idle?.close()
    await Promise.all(running.map((child) => stopChild(child)))
    cleanUp()
  }
}

const SEEDED_MIB = Math.round(SEEDED.reduce((n, c) => n + c.size, 0) / 2 ** 20)

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
