/**
 * The real `doip serve` in a child process (Node 24, the same `node` that runs the tests), on an ephemeral port and a
 * fresh data folder, with its memory readable from /proc. The child inherits the test process's environment;
 * `options.env` adds to it or overrides it (e.g. `LAKEFS_*` to put its storage on the lakeFS stand-in), and a
 * variable set to `undefined` there is not passed on at all.
 */
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface ServerProcess {
  readonly pid: number
  readonly port: number
  /** the DOIP v2.0 listener's port */
  readonly doip2Port: number
  readonly dataDir: string
  /** resident set size and its peak so far, in bytes (from /proc/<pid>/status) */
  readonly memory: () => { readonly rss: number; readonly peak: number }
}

export interface ServerProcessOptions {
  readonly token: string
  readonly args?: ReadonlyArray<string> | undefined
  /** the HTTP gateway's port; default none (0 turns it off: the gateway has no free-port mode) */
  readonly httpPort?: number | undefined
  /** more environment for the child, over the test process's own */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
}

export const serverProcess = (options: ServerProcessOptions) =>
  Effect.acquireRelease(
    Effect.callback<ServerProcess, Error>((resume) => {
      const dataDir = mkdtempSync(join(tmpdir(), "doip-server-"))
      const httpPort = String(options.httpPort ?? 0)
      const child = spawn(process.execPath, [...startCommand(), "--port", "0", "--http-port", httpPort, "--host", "127.0.0.1", ...(options.args ?? [])], {
        env: { ...process.env, DOIP_DATA_DIR: dataDir, DOIP_TOKEN: options.token, ...options.env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let log = ""
      const onData = (data: Buffer) => {
        log += data.toString()
        const binary = /binary DOIP listener on [^:\s]+:(\d+)/.exec(log)
        const doip2 = /DOIP v2\.0 listener on [^:\s]+:(\d+)/.exec(log)
        if (binary !== null && doip2 !== null) {
          child.stdout.off("data", onData)
          resume(Effect.succeed({
            pid: child.pid!,
            port: Number(binary[1]),
            doip2Port: Number(doip2[1]),
            dataDir,
            memory: () => memoryOf(child.pid!)
          }))
        }
      }
      child.stdout.on("data", onData)
      child.stderr.on("data", (data: Buffer) => (log += data.toString()))
      child.once("exit", (code) => resume(Effect.fail(new Error(`server exited with ${code}: ${log}`))))
    }),
    (server) =>
      Effect.sync(() => {
        process.kill(server.pid, "SIGKILL")
        rmSync(server.dataDir, { recursive: true, force: true })
      })
  )

/**
 * The arguments of `npm start` (package.json's start script, minus its leading `node`), so the tests run the server
 * exactly as the README starts it, V8 flags included.
 */
const startCommand = (): Array<string> => {
  const script: string = JSON.parse(readFileSync("package.json", "utf8")).scripts.start
  const [node, ...args] = script.split(/\s+/)
  if (node !== "node") throw new Error(`the start script should begin with node: ${script}`)
  return args
}

const memoryOf = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024
  return { rss: kib("VmRSS"), peak: kib("VmHWM") }
}
