/**
 * `npm run bench`: our server against a bare node:net ceiling, each in its own child process, driven from here.
 *
 * Order: start ours (it seeds 256 MiB first), capture its hello answers, measure the binary listener, then the DOIP
 * v2.0 one (hello, retrieve, upload, capturing the upload's answer); stop it; start the bare server with those
 * captured answers, measure the same way; print the table. A little over a minute in all.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Readline from "node:readline"
import { fileURLToPath } from "node:url"
import * as Envelope from "../src/protocol/binary/Codec.ts"
import * as SegmentCodec from "../src/protocol/doip2/Codec.ts"
import { doipClientHello } from "./effect-client.ts"
import { binary, captureAnswer, doip2, type Framing, helloLoad, retrieveOnce, uploadOnce } from "./loadgen.ts"
import {
  BIG,
  doip2HelloRequest,
  doip2RetrieveRequest,
  doip2UploadChunk,
  doip2UploadHead,
  doip2UploadTail,
  helloRequest,
  retrieveRequest,
  SERVICE_ID,
  TOKEN,
  UPLOAD
} from "./wire.ts"

const WARM_MS = 1000
const MEASURE_MS = 3000
const RETRIEVE_RUNS = 3
const STORAGE = process.env["BENCH_STORAGE"] === "memory" ? "memory" : "local"

/** CPU use during a measurement, in % of one core */
interface Cpu {
  server: number
  client: number
}

/** requests per second */
interface Rate {
  perSecond: number
  cpu: Cpu
}

/** one 256 MiB transfer, repeated */
interface Transfer {
  /** median MB/s */
  mbs: number
  runs: Array<number>
  cpu: Cpu
  /** KiB: RSS right before the runs (and their warm-up), and the peak during them */
  rssBefore: number
  hwm: number
}

interface Results {
  hello1: Rate
  hello16: Rate
  clientHello1: Rate
  retrieve: Transfer
  doip2Hello1: Rate
  doip2Hello16: Rate
  doip2Retrieve: Transfer
  doip2Upload: Transfer
  /** KiB */
  rssReady: number
  hwmReady: number
}

// -----------------------------------------------------------------------------
// child processes
// -----------------------------------------------------------------------------

interface Server {
  readonly child: ChildProcess
  /** the binary listener's port */
  readonly port: number
  readonly doip2Port: number
  readonly pid: number
}

/**
 * spawns `node bench/<script> 0 ...args` (0: both listeners on free ports) and waits for its
 * "ready <port> <DOIP v2.0 port>" line; other stdout lines go to stderr
 */
const startServer = async (
  script: string,
  args: ReadonlyArray<string>,
  nodeFlags: ReadonlyArray<string> = []
): Promise<Server> => {
  const path = fileURLToPath(new URL(script, import.meta.url))
  const child = spawn(process.execPath, [...nodeFlags, path, "0", ...args], { stdio: ["ignore", "pipe", "inherit"] })
  const lines = Readline.createInterface({ input: child.stdout! })
  const [port, doip2Port] = await new Promise<[number, number]>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${script} exited (${code}) before it was ready`))
    child.once("exit", onExit)
    lines.on("line", (line) => {
      const ready = /^ready (\d+) (\d+)$/.exec(line.trim())
      if (ready) {
        child.off("exit", onExit)
        resolve([Number(ready[1]), Number(ready[2])])
      } else process.stderr.write(`[${script}] ${line}\n`)
    })
  })
  return { child, port, doip2Port, pid: child.pid! }
}

const stopServer = async (server: Server) => {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return
  const exited = once(server.child, "exit")
  server.child.kill("SIGTERM") // ours: NodeRuntime interrupts, so its temp directory is removed
  const timer = setTimeout(() => server.child.kill("SIGKILL"), 10_000)
  await exited
  clearTimeout(timer)
}

/** VmRSS and VmHWM (peak RSS) of a process, in KiB */
const memory = (pid: number) => {
  const status = Fs.readFileSync(`/proc/${pid}/status`, "utf8")
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN)
  return { rss: field("VmRSS"), hwm: field("VmHWM") }
}

/** resets VmHWM to the current RSS (Linux: writing 5 to clear_refs), so the next peak is the retrieve's own */
const resetPeak = (pid: number): boolean => {
  try {
    Fs.writeFileSync(`/proc/${pid}/clear_refs`, "5")
    return true
  } catch {
    return false
  }
}

/** user + system CPU seconds a process has used (/proc/<pid>/stat utime, stime; Linux USER_HZ is 100) */
const cpuSeconds = (pid: number) => {
  const stat = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ") // the command name may hold spaces
  return (Number(fields[11]) + Number(fields[12])) / 100
}

// -----------------------------------------------------------------------------
// measuring
// -----------------------------------------------------------------------------

const log = (text: string) => process.stdout.write(`${text}\n`)
const gc = () => globalThis.gc?.() // keep the load generator's own garbage out of the next measurement
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const mb = (bytes: number, seconds: number) => bytes / 1e6 / seconds

/**
 * Runs `f` and says how busy the server and this process (the load generator) were meanwhile: with both on one
 * machine, a server far below 100% means the load generator, not the server, set the pace.
 */
const withCpu = async <A>(pid: number, f: () => Promise<A>): Promise<{ value: A; cpu: Cpu }> => {
  const server0 = cpuSeconds(pid)
  const client0 = process.cpuUsage()
  const t0 = performance.now()
  const value = await f()
  const wall = (performance.now() - t0) / 1000
  const client = process.cpuUsage(client0)
  return {
    value,
    cpu: {
      server: (100 * (cpuSeconds(pid) - server0)) / wall,
      client: (client.user + client.system) / 1e4 / wall
    }
  }
}

const cpuNote = (cpu: Cpu) => `(CPU: server ${cpu.server.toFixed(0)}%, load generator ${cpu.client.toFixed(0)}%)`
const mib = (kib: number) => (kib / 1024).toFixed(0)

/** `run(WARM_MS)` as warm-up, then `run(MEASURE_MS)` measured */
const rate = async (name: string, label: string, server: Server, run: (ms: number) => Promise<number>): Promise<Rate> => {
  await run(WARM_MS)
  gc()
  const { value, cpu } = await withCpu(server.pid, () => run(MEASURE_MS))
  log(`  ${name}: ${label.padEnd(30)} ${fmt(value)} req/s ${cpuNote(cpu)}`)
  return { perSecond: value, cpu }
}

/** resets the peak RSS, runs `warmUp`, then RETRIEVE_RUNS measured runs of `once`: their median MB/s and the peak */
const transfer = async (
  name: string,
  label: string,
  server: Server,
  warmUp: () => Promise<void>,
  once: () => Promise<{ bytes: number; seconds: number }>
): Promise<Transfer> => {
  const rssBefore = memory(server.pid).rss
  const peakReset = resetPeak(server.pid)
  await warmUp()
  const runs: Array<number> = []
  const { cpu } = await withCpu(server.pid, async () => {
    for (let i = 0; i < RETRIEVE_RUNS; i++) {
      gc()
      const { bytes, seconds } = await once()
      runs.push(mb(bytes, seconds))
    }
  })
  const mbs = median(runs)
  const hwm = memory(server.pid).hwm
  log(`  ${name}: ${label.padEnd(30)} ${fmt(mbs)} MB/s (runs: ${runs.map(fmt).join(", ")}) ${cpuNote(cpu)}`)
  log(`  ${name}: ${"  peak RSS during them".padEnd(30)} ${mib(hwm)} MiB (RSS before them ${mib(rssBefore)} MiB)${peakReset ? "" : " (could not reset VmHWM: includes start-up)"}`)
  return { mbs, runs, cpu, rssBefore, hwm }
}

/** warm-up retrieve, which also checks the answer's head bytes against the precomputed ones the bare server sends */
const checkedRetrieve = (name: string, port: number, framing: Framing) => async () => {
  const expected = framing.retrieveHead
  const head = await captureAnswer(port, framing.retrieve, expected.length, framing)
  if (!head.equals(expected)) {
    throw new Error(`${name}: ${framing.name} retrieve answer head differs from the precomputed one:\n${head.toString("hex")}\n${expected.toString("hex")}`)
  }
}

/** the measurements, and the answer to the warm-up upload (captured from ours for the bare server) */
const measure = async (name: string, server: Server): Promise<{ results: Results; updateAnswer: Buffer }> => {
  const { rss: rssReady, hwm: hwmReady } = memory(server.pid)

  const hello = (framing: Framing, port: number, connections: number) => (ms: number) =>
    helloLoad(port, connections, ms, framing)
  const hello1 = await rate(name, "hello, 1 conn", server, hello(binary, server.port, 1))
  const hello16 = await rate(name, "hello, 16 conns", server, hello(binary, server.port, 16))

  gc()
  // the CPU figures include the DoipClient's 1 s warm-up on the same connection
  const { value: clientHello, cpu: clientCpu } = await withCpu(
    server.pid,
    () => doipClientHello(server.port, WARM_MS, MEASURE_MS)
  )
  log(`  ${name}: ${"hello, 1 conn, DoipClient".padEnd(30)} ${fmt(clientHello)} req/s ${cpuNote(clientCpu)}`)
  const clientHello1 = { perSecond: clientHello, cpu: clientCpu }

  const retrieves = (label: string, port: number, framing: Framing) =>
    transfer(name, label, server, checkedRetrieve(name, port, framing), () => retrieveOnce(port, framing))
  const retrieve = await retrieves("retrieve 256 MiB", server.port, binary)

  const doip2Hello1 = await rate(name, "v2.0 hello, 1 conn", server, hello(doip2, server.doip2Port, 1))
  const doip2Hello16 = await rate(name, "v2.0 hello, 16 conns", server, hello(doip2, server.doip2Port, 16))
  const doip2Retrieve = await retrieves("v2.0 retrieve 256 MiB", server.doip2Port, doip2)
  let updateAnswer: Buffer = Buffer.alloc(0)
  const doip2Upload = await transfer(name, "v2.0 upload 256 MiB", server, async () => {
    updateAnswer = (await uploadOnce(server.doip2Port, 64 * 1024)).answer!
  }, () => uploadOnce(server.doip2Port))

  return {
    results: {
      hello1,
      hello16,
      clientHello1,
      retrieve,
      doip2Hello1,
      doip2Hello16,
      doip2Retrieve,
      doip2Upload,
      rssReady,
      hwmReady
    },
    updateAnswer
  }
}

// -----------------------------------------------------------------------------
// output
// -----------------------------------------------------------------------------

const fmt = (n: number) =>
  n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1)

const row = (label: string, ours: string, bare: string, ratio: string) =>
  `${label.padEnd(42)}${ours.padStart(12)}${bare.padStart(16)}${ratio.padStart(10)}`

const ratio = (ours: number, bare: number) => `${(ours / bare).toFixed(2)}x`

const header = () => {
  log(`DOIP listeners benchmark: Node ${process.version}, ${Os.cpus().length} CPUs, ${Os.cpus()[0]?.model ?? "?"}`)
  log("")
  log("  ours  = effect-doip (DoipServer.layerServices + layerListeners, as test/support/TestServer.ts builds it)")
  log(`          on ${STORAGE === "local" ? "LocalStorage (the real default) in a temp dir" : "MemoryStorage"}, seeded with Q1/big.bin (256 MiB in 64 KiB chunks)`)
  log("  bare  = a bare node:net server answering the same bytes: the hello answers captured from ours, and for retrieve a")
  log("          precomputed answer head + one preallocated 64 KiB buffer written with backpressure. This is the ceiling.")
  log("  Each server runs alone in a child process; the load generator runs in this process (2 processes, 1 machine).")
  log("")
  log(`  hello req/s      sequential request/response round trips per connection, ${WARM_MS / 1000} s warm-up, then ${MEASURE_MS / 1000} s measured,`)
  log("                   summed over connections. Client: raw node:net + a 10-byte-header parser, the same for both servers.")
  log("  DoipClient       the same over 1 connection, but with our Effect DoipClient.hello() as the client, to show its cost.")
  log("  retrieve MB/s    retrieve with element of the 256 MiB component on a fresh connection, from writing the request to")
  log(`                   the last byte received; MB = 10^6 bytes on the wire; median of ${RETRIEVE_RUNS} runs after 1 warm-up run.`)
  log("  peak RSS         the server's VmHWM over the runs and their warm-up (reset through /proc/<pid>/clear_refs before them).")
  log("  CPU              % of one core used by the server process and by this process during each measurement. A load")
  log("                   generator near 100% means the client, not the server, set the pace (likely for bare retrieve).")
  log("  DOIP v2.0 rows, on the listener at port + 1 (hand-written segments; the load generator finds line ends and skips")
  log("  chunk data by its size line, never buffering it):")
  log("  v2.0 hello       the hello loop above with 0.DOIP/Op.Hello: one request in flight per connection, as for binary.")
  log("  v2.0 retrieve    Op.Retrieve with attributes.element, same 256 MiB: first segment, one bytes segment of 64 KiB chunks.")
  log(`  v2.0 upload      Op.Update (token) of ${UPLOAD.componentId}, ${UPLOAD.size / 2 ** 20} MiB in ${UPLOAD.chunk / 2 ** 20} MiB chunks, clock until the answer: ours hashes,`)
  log("                   writes, fsyncs and commits it to storage; bare reads the chunk framing and drops the data.")
  log("")
}

const table = (ours: Results, bare: Results) => {
  const compare = (label: string, pick: (r: Results) => number, show: (n: number) => string = fmt) =>
    log(row(label, show(pick(ours)), show(pick(bare)), ratio(pick(ours), pick(bare))))
  log("")
  log(row("", "ours", "bare node:net", "ratio"))
  log("binary envelope (port)")
  compare("  hello req/s, 1 conn", (r) => r.hello1.perSecond)
  compare("  hello req/s, 16 conns", (r) => r.hello16.perSecond)
  compare("  hello req/s, 1 conn, DoipClient", (r) => r.clientHello1.perSecond)
  compare("  retrieve 256 MiB, MB/s", (r) => r.retrieve.mbs)
  compare("  server peak RSS during retrieve, MiB", (r) => r.retrieve.hwm, mib)
  compare("  server RSS right before retrieve, MiB", (r) => r.retrieve.rssBefore, mib)
  log("DOIP v2.0 segments (port + 1)")
  compare("  hello req/s, 1 conn", (r) => r.doip2Hello1.perSecond)
  compare("  hello req/s, 16 conns", (r) => r.doip2Hello16.perSecond)
  compare("  retrieve 256 MiB, MB/s", (r) => r.doip2Retrieve.mbs)
  compare("  server peak RSS during retrieve, MiB", (r) => r.doip2Retrieve.hwm, mib)
  compare("  upload 256 MiB (Op.Update), MB/s", (r) => r.doip2Upload.mbs)
  compare("  server peak RSS during upload, MiB", (r) => r.doip2Upload.hwm, mib)
  compare("server RSS when ready, MiB", (r) => r.rssReady, mib)
  const cpuRow = (label: string, pick: (r: Results) => Cpu) => {
    const both = (cpu: Cpu) => `${cpu.server.toFixed(0)}/${cpu.client.toFixed(0)}`
    log(row(label, both(pick(ours)), both(pick(bare)), ""))
  }
  log("")
  log("CPU, % of one core (server/load generator):")
  cpuRow("  hello, 1 conn", (r) => r.hello1.cpu)
  cpuRow("  hello, 16 conns", (r) => r.hello16.cpu)
  cpuRow("  hello, 1 conn, DoipClient", (r) => r.clientHello1.cpu)
  cpuRow("  retrieve", (r) => r.retrieve.cpu)
  cpuRow("  v2.0 hello, 1 conn", (r) => r.doip2Hello1.cpu)
  cpuRow("  v2.0 hello, 16 conns", (r) => r.doip2Hello16.cpu)
  cpuRow("  v2.0 retrieve", (r) => r.doip2Retrieve.cpu)
  cpuRow("  v2.0 upload", (r) => r.doip2Upload.cpu)
  log("")
  log(`Client overhead: against the bare server, DoipClient does ${fmt(bare.clientHello1.perSecond)} hello/s where the raw client does ` +
    `${fmt(bare.hello1.perSecond)} (${ratio(bare.clientHello1.perSecond, bare.hello1.perSecond)}).`)
  log(`Ours peaked at ${mib(ours.hwmReady)} MiB RSS before the runs (seeding 256 MiB included).`)
}

// -----------------------------------------------------------------------------
// main
// -----------------------------------------------------------------------------

/** the hand-written requests of wire.ts must be the bytes our own encoders produce */
const checkRequests = () => {
  const check = (name: string, ours: Buffer, encoded: ReadonlyArray<Uint8Array>) => {
    if (!ours.equals(Buffer.concat(encoded))) throw new Error(`wire.ts ${name} is wrong`)
  }
  const encode = (operation: number, objectId: string, metadata: Record<string, unknown>) =>
    Envelope.encodeSync({ msgType: Envelope.MessageType.Request, operation, objectId, metadata: [metadata] })
  check("hello request", helloRequest, [encode(0x01, "", { operation: "hello" })])
  check("retrieve request", retrieveRequest, [encode(0x02, BIG.objectId, { operation: "retrieve", element: BIG.componentId })])

  const { encodeJson, endOfMessage } = SegmentCodec
  check("DOIP v2.0 hello request", doip2HelloRequest, [
    encodeJson({ requestId: "h", targetId: SERVICE_ID, operationId: "0.DOIP/Op.Hello" }),
    endOfMessage
  ])
  check("DOIP v2.0 retrieve request", doip2RetrieveRequest, [
    encodeJson({ requestId: "r", targetId: BIG.objectId, operationId: "0.DOIP/Op.Retrieve", attributes: { element: BIG.componentId } }),
    endOfMessage
  ])
  // the upload with one chunk instead of many: head, chunk, tail = the request segments + a bytes segment + the end
  const data = doip2UploadChunk.subarray(`${UPLOAD.chunk}\n`.length, -1)
  check("DOIP v2.0 upload framing", Buffer.concat([doip2UploadHead, doip2UploadChunk, doip2UploadTail]), [
    encodeJson({ requestId: "u", targetId: BIG.objectId, operationId: "0.DOIP/Op.Update", authentication: { token: TOKEN } }),
    encodeJson({ id: BIG.objectId }),
    encodeJson({ id: UPLOAD.componentId, type: BIG.mediaType }),
    SegmentCodec.encodeBytesSync(data, { maxChunkSize: UPLOAD.chunk }),
    endOfMessage
  ])
}

/** the hello answers of both listeners, whole */
const helloAnswers = async (server: Server) => ({
  binary: await captureAnswer(server.port, helloRequest, 1 << 20, binary),
  doip2: await captureAnswer(server.doip2Port, doip2HelloRequest, 1 << 20, doip2)
})

const main = async () => {
  header()
  checkRequests()
  const started = performance.now()

  log(`starting ours (${STORAGE} storage, seeding ${BIG.size / 2 ** 20} MiB) ...`)
  // ours runs with the V8 flags of `npm start` (a small young generation, see package.json), the bare server as is
  const oursServer = await startServer("./server-ours.ts", [STORAGE], ["--max-semi-space-size=1"])
  let answers: { binary: Buffer; doip2: Buffer; update: Buffer }
  let ours: Results
  try {
    const hello = await helloAnswers(oursServer)
    log(`  captured ours' hello answers: binary ${hello.binary.length} bytes, DOIP v2.0 ${hello.doip2.length} bytes`)
    const measured = await measure("ours", oursServer)
    ours = measured.results
    answers = { ...hello, update: measured.updateAnswer }
    log(`  captured ours' DOIP v2.0 update answer: ${answers.update.length} bytes`)
  } finally {
    await stopServer(oursServer)
  }

  log("starting bare node:net ...")
  const bareServer = await startServer(
    "./server-bare.ts",
    [answers.binary, answers.doip2, answers.update].map((answer) => answer.toString("base64"))
  )
  let bare: Results
  try {
    const hello = await helloAnswers(bareServer)
    if (!hello.binary.equals(answers.binary) || !hello.doip2.equals(answers.doip2)) {
      throw new Error("the bare server's hello answers differ from ours")
    }
    bare = (await measure("bare", bareServer)).results
  } finally {
    await stopServer(bareServer)
  }

  table(ours, bare)
  log(`(bench took ${((performance.now() - started) / 1000).toFixed(0)} s)`)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
