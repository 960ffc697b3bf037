/**
 * `npm run bench`: our server against a bare node:net ceiling, each in its own child process, driven from here.
 *
 * Order: start ours (it seeds 256 MiB first), capture its hello answer, measure; stop it; start the bare server with
 * that captured answer, measure the same way; print the table. About a minute in all.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Readline from "node:readline"
import { fileURLToPath } from "node:url"
import * as Envelope from "../src/protocol/Envelope.ts"
import { doipClientHello } from "./effect-client.ts"
import { captureAnswer, helloLoad, retrieveOnce } from "./loadgen.ts"
import { BIG, helloRequest, retrieveAnswerHead, retrieveRequest } from "./wire.ts"

const WARM_MS = 1000
const MEASURE_MS = 3000
const RETRIEVE_RUNS = 3
const STORAGE = process.env["BENCH_STORAGE"] === "memory" ? "memory" : "local"

/** CPU use during a measurement, in % of one core */
interface Cpu {
  server: number
  client: number
}

interface Results {
  hello1: number
  hello16: number
  clientHello1: number
  cpu: { hello1: Cpu; hello16: Cpu; clientHello1: Cpu; retrieve: Cpu }
  retrieveMBs: number
  retrieveRuns: Array<number>
  /** KiB */
  rssReady: number
  hwmReady: number
  /** RSS right before the retrieve runs (after the hello runs), and the peak during them */
  rssBeforeRetrieve: number
  hwmRetrieve: number
}

// -----------------------------------------------------------------------------
// child processes
// -----------------------------------------------------------------------------

interface Server {
  readonly child: ChildProcess
  readonly port: number
  readonly pid: number
}

/** a port the kernel says is free now (the child binds it a moment later; fine on loopback) */
const freePort = async (): Promise<number> => {
  const probe = Net.createServer()
  probe.listen(0, "127.0.0.1")
  await once(probe, "listening")
  const port = (probe.address() as Net.AddressInfo).port
  probe.close()
  await once(probe, "close")
  return port
}

/** spawns `node bench/<script> <port> ...args` and waits for its "ready" line; other stdout lines go to stderr */
const startServer = async (
  script: string,
  args: ReadonlyArray<string>,
  nodeFlags: ReadonlyArray<string> = []
): Promise<Server> => {
  const port = await freePort()
  const path = fileURLToPath(new URL(script, import.meta.url))
  const child = spawn(process.execPath, [...nodeFlags, path, String(port), ...args], { stdio: ["ignore", "pipe", "inherit"] })
  const lines = Readline.createInterface({ input: child.stdout! })
  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${script} exited (${code}) before it was ready`))
    child.once("exit", onExit)
    lines.on("line", (line) => {
      if (line.trim() === "ready") {
        child.off("exit", onExit)
        resolve()
      } else process.stderr.write(`[${script}] ${line}\n`)
    })
  })
  return { child, port, pid: child.pid! }
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

const measure = async (name: string, server: Server): Promise<Results> => {
  const { rss: rssReady, hwm: hwmReady } = memory(server.pid)

  await helloLoad(server.port, 1, WARM_MS)
  gc()
  const { value: hello1, cpu: hello1Cpu } = await withCpu(server.pid, () => helloLoad(server.port, 1, MEASURE_MS))
  log(`  ${name}: hello, 1 conn               ${fmt(hello1)} req/s ${cpuNote(hello1Cpu)}`)

  await helloLoad(server.port, 16, WARM_MS)
  gc()
  const { value: hello16, cpu: hello16Cpu } = await withCpu(server.pid, () => helloLoad(server.port, 16, MEASURE_MS))
  log(`  ${name}: hello, 16 conns             ${fmt(hello16)} req/s ${cpuNote(hello16Cpu)}`)

  gc()
  // the CPU figures include the DoipClient's 1 s warm-up on the same connection
  const { value: clientHello1, cpu: clientCpu } = await withCpu(
    server.pid,
    () => doipClientHello(server.port, WARM_MS, MEASURE_MS)
  )
  log(`  ${name}: hello, 1 conn, DoipClient   ${fmt(clientHello1)} req/s ${cpuNote(clientCpu)}`)

  const rssBeforeRetrieve = memory(server.pid).rss
  const peakReset = resetPeak(server.pid)
  // warm-up retrieve, which also checks the answer's head bytes against the precomputed ones the bare server sends
  const head = await captureAnswer(server.port, retrieveRequest, retrieveAnswerHead().length)
  if (!head.equals(retrieveAnswerHead())) {
    throw new Error(`${name}: retrieve answer head differs from the precomputed one:\n${head.toString("hex")}\n${retrieveAnswerHead().toString("hex")}`)
  }
  const retrieveRuns: Array<number> = []
  const { cpu: retrieveCpu } = await withCpu(server.pid, async () => {
    for (let i = 0; i < RETRIEVE_RUNS; i++) {
      gc()
      const { bytes, seconds } = await retrieveOnce(server.port)
      retrieveRuns.push(mb(bytes, seconds))
    }
  })
  const retrieveMBs = median(retrieveRuns)
  const hwmRetrieve = memory(server.pid).hwm
  log(`  ${name}: retrieve 256 MiB            ${fmt(retrieveMBs)} MB/s (runs: ${retrieveRuns.map(fmt).join(", ")}) ${cpuNote(retrieveCpu)}`)
  log(`  ${name}: peak RSS during retrieves   ${(hwmRetrieve / 1024).toFixed(0)} MiB (RSS before them ${(rssBeforeRetrieve / 1024).toFixed(0)} MiB)${peakReset ? "" : " (could not reset VmHWM: includes start-up)"}`)
  const cpu = { hello1: hello1Cpu, hello16: hello16Cpu, clientHello1: clientCpu, retrieve: retrieveCpu }
  return { hello1, hello16, clientHello1, cpu, retrieveMBs, retrieveRuns, rssReady, hwmReady, rssBeforeRetrieve, hwmRetrieve }
}

// -----------------------------------------------------------------------------
// output
// -----------------------------------------------------------------------------

const fmt = (n: number) =>
  n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1)

const row = (label: string, ours: string, bare: string, ratio: string) =>
  `${label.padEnd(38)}${ours.padStart(12)}${bare.padStart(16)}${ratio.padStart(10)}`

const ratio = (ours: number, bare: number) => `${(ours / bare).toFixed(2)}x`

const header = () => {
  log(`DOIP binary listener benchmark: Node ${process.version}, ${Os.cpus().length} CPUs, ${Os.cpus()[0]?.model ?? "?"}`)
  log("")
  log("  ours  = effect-doip (DoipServer.layerServices + layerListeners, as test/support/TestServer.ts builds it)")
  log(`          on ${STORAGE === "local" ? "LocalStorage (the real default) in a temp dir" : "MemoryStorage"}, seeded with Q1/big.bin (256 MiB in 64 KiB chunks)`)
  log("  bare  = a bare node:net server answering the same bytes: the hello answer captured from ours, and for retrieve a")
  log("          precomputed answer head + one preallocated 64 KiB buffer written with backpressure. This is the ceiling.")
  log("  Each server runs alone in a child process; the load generator runs in this process (2 processes, 1 machine).")
  log("")
  log(`  hello req/s      sequential request/response round trips per connection, ${WARM_MS / 1000} s warm-up, then ${MEASURE_MS / 1000} s measured,`)
  log("                   summed over connections. Client: raw node:net + a 10-byte-header parser, the same for both servers.")
  log("  DoipClient       the same over 1 connection, but with our Effect DoipClient.hello() as the client, to show its cost.")
  log("  retrieve MB/s    retrieve with element of the 256 MiB component on a fresh connection, from writing the request to")
  log(`                   the last byte received; MB = 10^6 bytes; median of ${RETRIEVE_RUNS} runs after 1 warm-up run.`)
  log("  peak RSS         the server's VmHWM over the retrieve runs (reset through /proc/<pid>/clear_refs just before them).")
  log("  CPU              % of one core used by the server process and by this process during each measurement. A load")
  log("                   generator near 100% means the client, not the server, set the pace (likely for bare retrieve).")
  log("")
}

const table = (ours: Results, bare: Results) => {
  log("")
  log(row("", "ours", "bare node:net", "ratio"))
  log(row("hello req/s, 1 conn", fmt(ours.hello1), fmt(bare.hello1), ratio(ours.hello1, bare.hello1)))
  log(row("hello req/s, 16 conns", fmt(ours.hello16), fmt(bare.hello16), ratio(ours.hello16, bare.hello16)))
  log(row("hello req/s, 1 conn, DoipClient", fmt(ours.clientHello1), fmt(bare.clientHello1), ratio(ours.clientHello1, bare.clientHello1)))
  log(row("retrieve 256 MiB, MB/s", fmt(ours.retrieveMBs), fmt(bare.retrieveMBs), ratio(ours.retrieveMBs, bare.retrieveMBs)))
  const mib = (kib: number) => (kib / 1024).toFixed(0)
  log(row("server peak RSS during retrieve, MiB", mib(ours.hwmRetrieve), mib(bare.hwmRetrieve), ratio(ours.hwmRetrieve, bare.hwmRetrieve)))
  log(row("server RSS right before retrieve, MiB", mib(ours.rssBeforeRetrieve), mib(bare.rssBeforeRetrieve), ratio(ours.rssBeforeRetrieve, bare.rssBeforeRetrieve)))
  log(row("server RSS when ready, MiB", mib(ours.rssReady), mib(bare.rssReady), ratio(ours.rssReady, bare.rssReady)))
  const cpuRow = (label: string, key: keyof Results["cpu"]) =>
    log(row(label, `${ours.cpu[key].server.toFixed(0)}/${ours.cpu[key].client.toFixed(0)}`, `${bare.cpu[key].server.toFixed(0)}/${bare.cpu[key].client.toFixed(0)}`, ""))
  log("")
  log("CPU, % of one core (server/load generator):")
  cpuRow("  hello, 1 conn", "hello1")
  cpuRow("  hello, 16 conns", "hello16")
  cpuRow("  hello, 1 conn, DoipClient", "clientHello1")
  cpuRow("  retrieve", "retrieve")
  log("")
  log(`Client overhead: against the bare server, DoipClient does ${fmt(bare.clientHello1)} hello/s where the raw client does ` +
    `${fmt(bare.hello1)} (${ratio(bare.clientHello1, bare.hello1)}).`)
  log(`Ours peaked at ${mib(ours.hwmReady)} MiB RSS before the runs (seeding 256 MiB included).`)
}

// -----------------------------------------------------------------------------
// main
// -----------------------------------------------------------------------------

/** the hand-written requests of wire.ts must be the bytes our own encoder produces */
const checkRequests = () => {
  const encode = (operation: number, objectId: string, metadata: Record<string, unknown>) =>
    Buffer.from(Envelope.encodeSync({ msgType: Envelope.MessageType.Request, operation, objectId, metadata: [metadata] }))
  if (!helloRequest.equals(encode(0x01, "", { operation: "hello" }))) throw new Error("wire.ts hello request is wrong")
  const retrieve = encode(0x02, BIG.objectId, { operation: "retrieve", element: BIG.componentId })
  if (!retrieveRequest.equals(retrieve)) throw new Error("wire.ts retrieve request is wrong")
}

const main = async () => {
  header()
  checkRequests()
  const started = performance.now()

  log(`starting ours (${STORAGE} storage, seeding ${BIG.size / 2 ** 20} MiB) ...`)
  // ours runs with the V8 flags of `npm start` (a small young generation, see package.json), the bare server as is
  const oursServer = await startServer("./server-ours.ts", [STORAGE], ["--max-semi-space-size=2"])
  let helloAnswer: Buffer
  let ours: Results
  try {
    helloAnswer = await captureAnswer(oursServer.port, helloRequest, 1 << 20)
    log(`  captured ours' hello answer: ${helloAnswer.length} bytes`)
    ours = await measure("ours", oursServer)
  } finally {
    await stopServer(oursServer)
  }

  log("starting bare node:net ...")
  const bareServer = await startServer("./server-bare.ts", [helloAnswer.toString("base64")])
  let bare: Results
  try {
    const bareHello = await captureAnswer(bareServer.port, helloRequest, 1 << 20)
    if (!bareHello.equals(helloAnswer)) throw new Error("the bare server's hello answer differs from ours")
    bare = await measure("bare", bareServer)
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
