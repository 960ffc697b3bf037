/**
 * What the benchmarks that start servers share (wire-bench.ts, http-gateway.ts): stopping a child, reading a
 * process's CPU time, warming a file into the page cache, and formatting the figures of their tables.
 */
import type { ChildProcess } from "node:child_process"
import { once } from "node:events"
import * as Fs from "node:fs"

/** the table goes to stdout */
export const log = (text: string) => process.stdout.write(`${text}\n`)
/** progress goes to stderr, so stdout is the header and the table alone */
export const progress = (text: string) => process.stderr.write(`${text}\n`)

/** SIGTERM, then SIGKILL after `killAfterMs` if it has not exited (a profiled child writes its profile first) */
export const stopChild = async (child: ChildProcess, killAfterMs = 10_000) => {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, "exit")
  child.kill("SIGTERM")
  const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs)
  await exited
  clearTimeout(timer)
}

/** user + system CPU seconds a process has used (/proc/<pid>/stat utime, stime; Linux USER_HZ is 100) */
export const cpuSeconds = (pid: number) => {
  const stat = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ") // the command name may hold spaces
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/**
 * Reads a file through in 1 MiB reads, so that every server finds it in the page cache: the VM may reclaim cold
 * pages (DAMON), and whichever server read first would pay the disk for the others.
 */
export const warmFile = (path: string) => {
  const buffer = Buffer.allocUnsafe(1 << 20)
  const fd = Fs.openSync(path, "r")
  try {
    while (Fs.readSync(fd, buffer) > 0);
  } finally {
    Fs.closeSync(fd)
  }
}

export const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export type Show = (n: number) => string

export const fmt: Show = (n) => n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1)
export const ms: Show = (n) => n.toFixed(3)
export const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? "–" : `${(a / b).toFixed(2)}x`
export const cell = (n: number | undefined, show: Show) => n === undefined ? "–" : show(n)
