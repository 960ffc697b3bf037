/**
 * The top frames by self time of a V8 CPU profile (`node --cpu-prof`), with GC and a split of busy time by where the
 * code lives: what the issue's "profile before and after" notes are made of.
 *
 * `node bench/profile-top.ts DIR|FILE [--window=LABEL] [--n=10] [--callers=FUNCTION] [--depth=3]`
 *
 * - DIR: the newest `.cpuprofile` in it. With `--window=LABEL`, only the samples of the measured window of that
 *   label count: `wire-bench.ts` run with `BENCH_PROFILE=P` profiles each server into `P/<server>/` and writes the
 *   windows to `P/windows.tsv`; DIR is `P/<server>`. Labels match by substring.
 * - `--callers=F`: the call paths (up to `--depth` frames) F's self time came from.
 *
 * A sample's self time is the time to the next sample, as Chrome's DevTools count it; frames merge across call paths.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
  readonly columnNumber: number
}
interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
  readonly children?: ReadonlyArray<number>
}
interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly startTime: number
  readonly endTime: number
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const args = process.argv.slice(2)
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
const target = args.find((a) => !a.startsWith("--"))
if (target === undefined) {
  console.error("usage: node bench/profile-top.ts DIR|FILE [--window=LABEL] [--n=10] [--callers=FUNCTION] [--depth=3]")
  process.exit(2)
}

const newestProfile = (dir: string) => {
  const files = Fs.readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")).map((f) => Path.join(dir, f))
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}`)
  return files.sort((a, b) => Fs.statSync(b).mtimeMs - Fs.statSync(a).mtimeMs)[0]!
}

/** the window [from, to] (µs) of `label` for the server profiled into `dir`, from the `windows.tsv` beside it */
const windowOf = (dir: string, label: string): [number, number] => {
  const server = Path.basename(Path.resolve(dir))
  const lines = Fs.readFileSync(Path.join(dir, "..", "windows.tsv"), "utf8").trim().split("\n").map((l) => l.split("\t"))
  const found = lines.find(([s, l]) => s === server && l!.includes(label))
  if (found === undefined) throw new Error(`no window of ${server} labelled like "${label}" in windows.tsv`)
  return [Number(found[2]), Number(found[3])]
}

const isDir = Fs.statSync(target).isDirectory()
const file = isDir ? newestProfile(target) : target
const label = option("window")
const [from, to] = label !== undefined && isDir ? windowOf(target, label) : [-Infinity, Infinity]
const top = Number(option("n") ?? 10)
const callersOf = option("callers")
const depth = Number(option("depth") ?? 3)
const profile: Profile = JSON.parse(Fs.readFileSync(file, "utf8"))

const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parentOf = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id)

const shortUrl = (url: string) => {
  const u = url.replace(/^file:\/\//, "")
  for (const marker of ["/node_modules/", "/src/", "/bench/"]) {
    const at = u.lastIndexOf(marker)
    if (at >= 0) return marker === "/node_modules/" ? u.slice(at + marker.length) : u.slice(at + 1)
  }
  return u
}

const categories = ["effect", "platform-node", "ours", "node", "native", "bench/other", "program", "gc"] as const
const categoryOf = ({ functionName, url }: CallFrame): string => {
  if (functionName === "(garbage collector)") return "gc"
  if (functionName === "(program)") return "program"
  if (functionName === "(idle)") return "idle"
  if (!url) return "native"
  if (url.startsWith("node:")) return "node"
  if (url.includes("/node_modules/effect/")) return "effect"
  if (url.includes("/node_modules/@effect/platform-node")) return "platform-node"
  if (url.includes("/src/") && !url.includes("/node_modules/")) return "ours"
  return "bench/other"
}

interface Frame {
  readonly name: string
  readonly location: string
  readonly category: string
  micros: number
}
const frames = new Map<string, Frame>()
const byCategory = new Map<string, number>()
const callers = new Map<string, number>()
let total = 0
let at = profile.startTime
for (let i = 0; i < profile.samples.length; i++) {
  at += profile.timeDeltas[i]!
  const next = i + 1 < profile.samples.length ? at + profile.timeDeltas[i + 1]! : profile.endTime
  if (at < from || at > to) continue
  const micros = Math.max(0, next - at)
  const node = byId.get(profile.samples[i]!)!
  const cf = node.callFrame
  const key = `${cf.functionName}\u0000${cf.url}\u0000${cf.lineNumber}\u0000${cf.columnNumber}`
  let frame = frames.get(key)
  if (frame === undefined) {
    const location = cf.url ? `${shortUrl(cf.url)}:${cf.lineNumber + 1}:${cf.columnNumber + 1}` : ""
    frame = { name: cf.functionName || "(anonymous)", location, category: categoryOf(cf), micros: 0 }
    frames.set(key, frame)
  }
  frame.micros += micros
  total += micros
  byCategory.set(frame.category, (byCategory.get(frame.category) ?? 0) + micros)
  if (callersOf !== undefined && cf.functionName === callersOf) {
    const path: Array<string> = []
    for (let id = parentOf.get(node.id); id !== undefined && path.length < depth; id = parentOf.get(id)) {
      const pf = byId.get(id)!.callFrame
      path.push(`${pf.functionName || "(anonymous)"}${pf.url ? ` ${shortUrl(pf.url)}:${pf.lineNumber + 1}` : ""}`)
    }
    const k = path.join("  <-  ")
    callers.set(k, (callers.get(k) ?? 0) + micros)
  }
}
if (total === 0) {
  console.error("no samples in the window")
  process.exit(1)
}

const ms = (us: number) => (us / 1000).toFixed(1)
const pct = (us: number, of: number) => (100 * us / of).toFixed(1)
const idle = byCategory.get("idle") ?? 0
const busy = total - idle
const special = new Set(["(garbage collector)", "(program)", "(idle)", "(root)"])
const ranked = [...frames.values()].filter((f) => !special.has(f.name)).sort((a, b) => b.micros - a.micros)

console.log(`${Path.relative(process.cwd(), file)}${label === undefined ? "" : `, window "${label}"`}: ` +
  `${ms(total)} ms sampled, busy ${ms(busy)} ms (${pct(busy, total)}%), GC ${pct(byCategory.get("gc") ?? 0, busy)}% of busy`)
console.log("")
console.log(`| # | self ms | % of busy | where | function | file:line |`)
console.log(`|---:|---:|---:|---|---|---|`)
ranked.slice(0, top).forEach((f, i) =>
  console.log(`| ${i + 1} | ${ms(f.micros)} | ${pct(f.micros, busy)} | ${f.category} | ${f.name} | ${f.location} |`)
)
console.log("")
console.log(`busy time by where: ${categories.map((c) => `${c} ${pct(byCategory.get(c) ?? 0, busy)}%`).join(", ")}`)
if (callersOf !== undefined) {
  console.log("")
  console.log(`callers of ${callersOf} (its self time by call path, innermost first):`)
  for (const [path, us] of [...callers].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`  ${ms(us).padStart(8)} ms  ${path}`)
}
