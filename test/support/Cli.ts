/**
 * The `doip` command as a user runs it, for tests: `node src/cli/main.ts <command>` in a child process (the Node that
 * runs the tests) with the test token in its environment, its stdout and stderr pipes (not terminals), or its stderr
 * a pseudo-terminal (util-linux `script`), to see what a person at a terminal sees.
 */
import * as Effect from "effect/Effect"
import { execFile } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { token } from "./TestServer.ts"

export interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** runs `doip args...` with stdout and stderr pipes */
export const doip = (args: ReadonlyArray<string>) =>
  Effect.callback<Run>((resume) => {
    execFile(
      process.execPath,
      ["src/cli/main.ts", ...args],
      { env: { ...process.env, DOIP_TOKEN: token }, timeout: 30_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resume(Effect.succeed({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }))
    )
  })

/** what a terminal showed (stderr; `\n` arrives as `\r\n`), and stdout, which went to a file */
export interface TerminalRun {
  readonly code: number
  readonly terminal: string
  readonly stdout: Uint8Array
  /** how long the command ran, in milliseconds */
  readonly millis: number
}

/**
 * Runs `doip args...` with stderr (and stdin) on a pseudo-terminal and stdout into a file: `script -qfec` runs the
 * command on a new terminal and copies what the terminal shows to its own stdout; `-e` passes the exit code on.
 */
export const doipOnTerminal = (args: ReadonlyArray<string>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "doip-tty-"))),
    (dir) =>
      Effect.callback<TerminalRun>((resume) => {
        const out = join(dir, "stdout")
        const command = [process.execPath, "src/cli/main.ts", ...args].map(shellQuote).join(" ") + ` > ${shellQuote(out)}`
        const started = performance.now()
        const child = execFile(
          "script",
          ["-qfec", command, "/dev/null"],
          { env: { ...process.env, DOIP_TOKEN: token }, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
          (error, terminal) =>
            resume(typeof error?.code === "string" ? Effect.die(new Error(`cannot run script (util-linux): ${error.message}`)) : Effect.sync(() => ({
              code: error === null ? 0 : Number(error.code ?? 1),
              terminal,
              stdout: readFileSync(out),
              millis: performance.now() - started
            })))
        )
        // nothing to type: the terminal's input ends at once
        child.stdin?.end()
      }),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

/** a fresh folder, removed with the scope */
export const folder = () =>
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "doip-cli-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

const shellQuote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`
