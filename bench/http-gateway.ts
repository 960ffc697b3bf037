/**
 * `npm run bench:http`: the HTTP gateway beside two twins answering the same bytes, in one run, printed as one
 * Markdown table of absolute figures and ratios.
 *
 * - bare   = http-server-bare.ts, bare `node:http`: the ceiling.
 * - effect = http-server-effect.ts, Effect's own HTTP server (`HttpRouter.add` on `NodeHttpServer.layer`): what
 *   Effect itself costs, so that what ours costs beyond it is ours (`HttpApi`, the handlers, the operations).
 * - ours   = the real `doip serve` (`npm start`'s V8 flags), embedded storage in a temp dir, TLS off, the gateway on a
 *   free port, `DOIP_TOKEN` set for the upload.
 *
 * Each server runs in its own child process, and so does the load generator (http-loadgen.ts, the same code
 * against every server); this process only starts them, watches their CPU and prints. The machine is shared and
 * noisy, so the three take turns, three rounds of each measurement, and the ratios of the medians, not the absolute
 * figures, are the result.
 *
 * Order: start ours (it seeds its demo object Q123), PUT a 64 MiB component `big.bin` onto Q123, capture ours'
 * answers (hello, Q123's manifest, the download's headers, an upload's answer), start the twins with them and check
 * they answer the same bytes, then the rows: `GET /doip/hello` and `GET /doip/objects/Q123` over 16 keep-alive
 * connections (closed loop), the 64 MiB download (the twins stream ours' own blob file) and a 64 MiB PUT (ours
 * hashes and commits it; the twins write it to a file and fsync). About two minutes on 2 cores.
 *
 * Environment:
 * - `BENCH_ROWS=hello,manifest,download,upload` measures those rows only (all when unset);
 * - `BENCH_PROFILE=DIR` runs each server with `--cpu-prof` into `DIR/<server>/` and appends each measured window to
 *   `DIR/windows.tsv` (labelled `hello #1`, ..., one per round), for
 *   `npm run profile:top -- DIR/ours --window="hello #2"`;
 * - `BENCH_OURS_FLAGS="..."` replaces ours' V8 flags (`npm start`'s by default; the twins run with Node's defaults);
 * - `BENCH_SERVERS=ours` measures only those servers (`bare,effect,ours` when unset; the table leaves the others
 *   out), for profiling ours alone.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Readline from "node:readline"
import { fileURLToPath } from "node:url"
import { cell, cpuSeconds, fmt, log, median, ms, progress, ratio, type Show, stopChild, warmFile } from "./bench-common.ts"
import { chosenHeaders, type Captured, type HttpAnswers, saveAnswers } from "./http-answers.ts"
import type { Job, RateResult, TransferResult } from "./http-loadgen.ts"

const WARM_MS = 500
const MEASURE_MS = 2500
const CONNECTIONS = 16
/** each measurement runs this many times per server, the servers taking turns; the median counts */
const ROUNDS = 3
const MiB = 1 << 20
const SIZE = 64 * MiB
const TOKEN = "bench-http-token-0123456789"
const OBJECT = "Q123" // the demo object ours seeds into an empty store
const PATHS = {
  hello: "/doip/hello",
  manifest: `/doip/objects/${OBJECT}`,
  download: `/doip/objects/${OBJECT}/components/big.bin`,
  upload: `/doip/objects/${OBJECT}/components/upload.bin`
} as const

const ROWS = new Set((process.env["BENCH_ROWS"] ?? "hello,manifest,download,upload").split(",").map((r) => r.trim()))
const SERVERS = new Set((process.env["BENCH_SERVERS"] ?? "bare,effect,ours").split(",").map((s) => s.trim()))
const PROFILE_DIR = process.env["BENCH_PROFILE"]

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))
// -----------------------------------------------------------------------------
// child processes
// -----------------------------------------------------------------------------

type Name = "bare" | "effect" | "ours"

interface Server {
  readonly name: Name
  readonly port: number
  readonly pid: number
}

const running: Array<ChildProcess> = []

/** waits for `pattern` on the child's stdout or stderr (its first group is the port); the output so far on failure */
const waitFor = (child: ChildProcess, name: string, pattern: RegExp) =>
  new Promise<number>((resolve, reject) => {
    let output = ""
    const onExit = (code: number | null) => reject(new Error(`${name} exited (${code}) before it was ready:\n${output}`))
    child.once("exit", onExit)
    for (const stream of [child.stdout!, child.stderr!]) {
      Readline.createInterface({ input: stream }).on("line", (line) => {
        output += `${line}\n`
        const found = pattern.exec(line)
        if (found !== null) {
          child.off("exit", onExit)
          resolve(Number(found[1]))
        }
      })
    }
  })

/** polls `GET /doip/hello` on `port` until it answers 200 (no log line to wait for: the CLI's wording may change) */
const waitForHello = async (child: ChildProcess, port: number) => {
  let output = ""
  for (const stream of [child.stdout!, child.stderr!]) stream.on("data", (data: Buffer) => (output += data.toString()))
  const deadline = performance.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`ours exited (${child.exitCode}) before it was ready:\n${output}`)
    if (performance.now() > deadline) throw new Error(`ours did not answer on port ${port} within 60 s:\n${output}`)
    const status = await fetch(`http://127.0.0.1:${port}/doip/hello`).then((r) => r.arrayBuffer().then(() => r.status), () => 0)
    if (status === 200) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** a port that was free a moment ago (`doip serve` takes 0 as "no gateway", so it needs one named) */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = Net.createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as Net.AddressInfo
      probe.close(() => resolve(port))
    })
  })

/** `npm start`'s node flags (package.json's start script, its leading `node` and its script left out) */
const startFlags = (): Array<string> => {
  const script: string = JSON.parse(Fs.readFileSync(here("../package.json"), "utf8")).scripts.start
  return script.split(/\s+/).slice(1).filter((arg) => arg.startsWith("--"))
}

/** with `BENCH_PROFILE`: `--cpu-prof` into `DIR/<server>` */
const profileFlags = (name: Name) =>
  PROFILE_DIR === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${Path.join(PROFILE_DIR, name)}`]

/** ours' V8 flags: `npm start`'s (a small young generation), or `BENCH_OURS_FLAGS` to try others */
const OURS_FLAGS = process.env["BENCH_OURS_FLAGS"]?.split(" ").filter((f) => f !== "") ?? startFlags()

const startOurs = async (dataDir: string): Promise<Server> => {
  const port = await freePort()
  const args = [
    ...profileFlags("ours"),
    ...OURS_FLAGS,
    here("../src/cli/main.ts"),
    "serve",
    ...["--host", "127.0.0.1", "--port", "0", "--http-port", String(port), "--tls", "off", "--data-dir", dataDir]
  ]
  const child = spawn(process.execPath, args, {
    env: { ...process.env, DOIP_TOKEN: TOKEN },
    stdio: ["ignore", "pipe", "pipe"]
  })
  running.push(child)
  await waitForHello(child, port)
  return { name: "ours", port, pid: child.pid! }
}

const startTwin = async (name: "bare" | "effect", answersFile: string): Promise<Server> => {
  const child = spawn(process.execPath, [...profileFlags(name), here(`./http-server-${name}.ts`), answersFile], {
    stdio: ["ignore", "pipe", "pipe"]
  })
  running.push(child)
  const port = await waitFor(child, name, /^ready (\d+)$/)
  return { name, port, pid: child.pid! }
}

/** runs one load generator job in its own process: its result */
const loadgen = <A>(job: Job): Promise<A> =>
  new Promise((resolve, reject) => {
    execFile(process.execPath, [here("./http-loadgen.ts"), JSON.stringify(job)], { maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`load generator failed (${JSON.stringify(job)}): ${stderr || error.message}`))
      else resolve(JSON.parse(stdout))
    })
  })

/** `f`'s result, and how busy `server` was meanwhile, % of one core */
const observe = async <A>(server: Server, f: () => Promise<A>) => {
  const cpu0 = cpuSeconds(server.pid)
  const t0 = performance.now()
  const value = await f()
  return { value, cpu: (100 * (cpuSeconds(server.pid) - cpu0)) / ((performance.now() - t0) / 1000) }
}

// -----------------------------------------------------------------------------
// ours' content and answers
// -----------------------------------------------------------------------------

/** `SIZE` bytes, each MiB filled with its own byte */
const writeSource = (path: string) => {
  const fd = Fs.openSync(path, "w")
  try {
    for (let i = 0; i < SIZE / MiB; i++) Fs.writeSync(fd, Buffer.alloc(MiB, (i * 37 + 11) & 0xff))
  } finally {
    Fs.closeSync(fd)
  }
}

const url = (server: Server, path: string) => `http://127.0.0.1:${server.port}${path}`

const capture = async (response: Response): Promise<Captured> => ({
  status: response.status,
  headers: chosenHeaders(Object.fromEntries(response.headers)),
  body: Buffer.from(await response.arrayBuffer()).toString("base64")
})

const put = (server: Server, path: string, source: string) =>
  fetch(url(server, path), {
    method: "PUT",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/octet-stream", "content-length": String(SIZE) },
    body: Fs.readFileSync(source)
  })

/** stores the download's content on ours, then captures every answer the twins give */
const captureAnswers = async (ours: Server, dataDir: string, tmp: string): Promise<HttpAnswers> => {
  const source = Path.join(tmp, "source.bin")
  writeSource(source)
  const stored = await put(ours, PATHS.download, source)
  const answer = await stored.json() as { checksum?: string }
  if (stored.status !== 200 || answer.checksum === undefined) throw new Error(`ours: PUT ${PATHS.download}: ${stored.status} ${JSON.stringify(answer)}`)
  const hex = answer.checksum.replace(/^sha256:/, "")
  // LocalStorage's documented layout: blobs/sha256/ab/<hex>
  const blob = Path.join(dataDir, "blobs", "sha256", hex.slice(0, 2), hex)
  if (!Fs.existsSync(blob) || Fs.statSync(blob).size !== SIZE) throw new Error(`ours' blob is not at ${blob} (LocalStorage's layout changed?)`)
  const get = async (path: string) => {
    const captured = await capture(await fetch(url(ours, path)))
    if (captured.status !== 200) throw new Error(`ours: GET ${path}: ${captured.status}`)
    return captured
  }
  const head = await fetch(url(ours, PATHS.download))
  await head.body?.cancel()
  const uploaded = await capture(await put(ours, PATHS.upload, source))
  if (uploaded.status !== 200) throw new Error(`ours: PUT ${PATHS.upload}: ${uploaded.status}`)
  const uploads = Path.join(tmp, "twin-uploads")
  Fs.mkdirSync(uploads)
  Fs.rmSync(source)
  return {
    get: { [PATHS.hello]: await get(PATHS.hello), [PATHS.manifest]: await get(PATHS.manifest) },
    download: { path: PATHS.download, file: blob, size: SIZE, headers: chosenHeaders(Object.fromEntries(head.headers)) },
    upload: { path: PATHS.upload, dir: uploads, answer: uploaded }
  }
}

/** the twin answers the GETs with ours' bodies and ours' headers (Effect may add its own beside them) */
const checkTwin = async (twin: Server, answers: HttpAnswers) => {
  for (const [path, expected] of Object.entries(answers.get)) {
    const got = await capture(await fetch(url(twin, path)))
    if (got.body !== expected.body) throw new Error(`${twin.name}: GET ${path} answers other bytes than ours`)
    for (const [name, value] of Object.entries(expected.headers)) {
      if (got.headers[name] !== value) throw new Error(`${twin.name}: GET ${path}: ${name} is ${got.headers[name]}, ours ${value}`)
    }
  }
  const head = await fetch(url(twin, answers.download.path))
  await head.body?.cancel()
  if (head.headers.get("content-length") !== String(SIZE)) throw new Error(`${twin.name}: the download's length differs`)
}

// -----------------------------------------------------------------------------
// measuring
// -----------------------------------------------------------------------------

/** one cell per server (absent: not measured) */
type Cells = Partial<Record<Name, number>>

const markWindow = (server: Name, label: string, from: number, to: number) => {
  if (PROFILE_DIR === undefined) return
  Fs.mkdirSync(PROFILE_DIR, { recursive: true })
  Fs.appendFileSync(Path.join(PROFILE_DIR, "windows.tsv"), `${server}\t${label}\t${from}\t${to}\n`)
}

const cpuNote = (server: number, client: number) =>
  `CPU server ${server.toFixed(0)}%, load generator ${client.toFixed(0)}%`

/**
 * `measure` against each server in turn, `ROUNDS` times over (bare, effect, ours, bare, ...), so that a slow
 * minute of the shared machine falls on all three: each server's results by round, and its CPU (% of one core)
 */
const rounds = async <A extends { readonly from: number; readonly to: number; readonly cpu: number }>(
  label: string,
  servers: ReadonlyArray<Server>,
  measure: (server: Server, round: number) => Job,
  note: (result: A) => string
) => {
  const results = new Map<Name, Array<A>>(servers.map((s) => [s.name, []]))
  for (let round = 1; round <= ROUNDS; round++) {
    for (const server of servers) {
      const { cpu, value } = await observe(server, () => loadgen<A>(measure(server, round)))
      markWindow(server.name, `${label} #${round}`, value.from, value.to)
      results.get(server.name)!.push(value)
      progress(`  ${label} #${round}, ${server.name}: ${note(value)} (${cpuNote(cpu, value.cpu)})`)
    }
  }
  return results
}

const rateRow = async (label: string, path: string, servers: ReadonlyArray<Server>) => {
  const results = await rounds<RateResult>(
    label,
    servers,
    (server) => ({ kind: "rate", port: server.port, path, connections: CONNECTIONS, warmMs: WARM_MS, measureMs: MEASURE_MS }),
    (r) => `${fmt(r.perSecond)} req/s, p50 ${ms(r.p50)}, p99 ${ms(r.p99)} ms`
  )
  const pick = (f: (r: RateResult) => number): Cells =>
    Object.fromEntries([...results].map(([name, rs]) => [name, median(rs.map(f))]))
  return [
    { label: `GET ${path}, ${CONNECTIONS} conns: req/s`, cells: pick((r) => r.perSecond), show: fmt },
    { label: `GET ${path}, ${CONNECTIONS} conns: p50 ms`, cells: pick((r) => r.p50), show: ms },
    { label: `GET ${path}, ${CONNECTIONS} conns: p99 ms`, cells: pick((r) => r.p99), show: ms }
  ]
}

const transferRow = async (label: string, servers: ReadonlyArray<Server>, job: (server: Server, round: number) => Job) => {
  const results = await rounds<TransferResult>(label, servers, job, (r) => `${r.mbs.map(fmt).join(", ")} MB/s`)
  const cells: Cells = Object.fromEntries([...results].map(([name, rs]) => [name, median(rs.flatMap((r) => r.mbs))]))
  return [{ label: `${label}: MB/s`, cells, show: fmt }]
}

// -----------------------------------------------------------------------------
// the table
// -----------------------------------------------------------------------------

interface Row {
  readonly label: string
  readonly cells: Cells
  readonly show: Show
}

const printTable = (rows: ReadonlyArray<Row>) => {
  log("| row | bare | effect | ours | ours/bare | effect/bare | ours/effect |")
  log("|---|---:|---:|---:|---:|---:|---:|")
  for (const { cells, label, show } of rows) {
    log(`| ${label} | ${cell(cells.bare, show)} | ${cell(cells.effect, show)} | ${cell(cells.ours, show)} | ` +
      `${ratio(cells.ours, cells.bare)} | ${ratio(cells.effect, cells.bare)} | ${ratio(cells.ours, cells.effect)} |`)
  }
}

const header = (answers: HttpAnswers) => {
  const cpus = Os.cpus()
  const size = (path: string) => Buffer.from(answers.get[path]!.body, "base64").length
  log("## HTTP gateway benchmark (`npm run bench:http`)")
  log("")
  log(`${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus.length} × ${cpus[0]?.model ?? "?"}. ` +
    "Each server in its own process, driven in turn by one load generator in another: " +
    "**bare** = bare `node:http` (the ceiling), **effect** = Effect's own HTTP server (`HttpRouter.add` on " +
    "`NodeHttpServer.layer`), **ours** = `doip serve`'s gateway (embedded storage, TLS off, V8 flags " +
    `\`${OURS_FLAGS.join(" ") || "none"}\`; the twins run with Node's defaults). The twins answer with ` +
    `ours' captured bytes and headers (hello ${size(PATHS.hello)} B, ${OBJECT}'s manifest ${size(PATHS.manifest)} B); ` +
    "the download streams ours' own blob file (bare: `createReadStream`, 1 MiB reads; effect: `FileSystem.stream`, " +
    "1 MiB chunks); the upload is written to a file and fsync'd by the twins, hashed (SHA-256) and committed by ours. " +
    `Every figure is the median of ${ROUNDS} rounds, the three servers taking turns in each. Rates: ${CONNECTIONS} ` +
    `keep-alive connections, closed loop, ${WARM_MS / 1000} s warm-up, ${MEASURE_MS / 1000} s measured, latency from ` +
    "request to the body's last byte (a bare `node:net` client, http-loadgen.ts). Transfers: 64 MiB on a fresh " +
    "connection, the download after one warm-up (MB = 10^6 bytes). For p50/p99 a ratio above 1 is slower.")
  log("")
}

// -----------------------------------------------------------------------------
// main
// -----------------------------------------------------------------------------

const main = async () => {
  const started = performance.now()
  const tmp = Fs.mkdtempSync(Path.join(Os.tmpdir(), "doip-http-bench-"))
  const cleanUp = () => Fs.rmSync(tmp, { recursive: true, force: true })
  process.once("SIGINT", () => {
    running.forEach((child) => child.kill("SIGKILL"))
    cleanUp()
    process.exit(130)
  })
  try {
    const dataDir = Path.join(tmp, "data")
    progress(`starting ours (embedded storage in ${dataDir}) ...`)
    const ours = await startOurs(dataDir)
    const answers = await captureAnswers(ours, dataDir, tmp)
    const answersFile = Path.join(tmp, "answers.json")
    saveAnswers(answersFile, answers)
    const [bare, effect] = await Promise.all([startTwin("bare", answersFile), startTwin("effect", answersFile)])
    await checkTwin(bare, answers)
    await checkTwin(effect, answers)
    const servers = [bare, effect, ours].filter((s) => SERVERS.has(s.name))
    const rows: Array<Row> = []
    if (ROWS.has("hello")) rows.push(...await rateRow("hello", PATHS.hello, servers))
    if (ROWS.has("manifest")) rows.push(...await rateRow("manifest", PATHS.manifest, servers))
    if (ROWS.has("download")) {
      warmFile(answers.download.file)
      rows.push(...await transferRow("download 64 MiB", servers, (server, round) => ({
        kind: "download",
        port: server.port,
        path: PATHS.download,
        size: SIZE,
        warmUps: round === 1 ? 1 : 0,
        runs: 1
      })))
    }
    if (ROWS.has("upload")) {
      const source = Path.join(tmp, "upload.bin")
      writeSource(source)
      rows.push(...await transferRow("PUT 64 MiB with the token", servers, (server) => ({
        kind: "upload",
        port: server.port,
        path: PATHS.upload,
        file: source,
        headers: { authorization: `Bearer ${TOKEN}` },
        runs: 1
      })))
    }
    header(answers)
    printTable(rows)
    log("")
    log(`The bench took ${((performance.now() - started) / 1000).toFixed(0)} s.`)
  } finally {
    await Promise.all(running.map((child) => stopChild(child, 20_000)))
    cleanUp()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
