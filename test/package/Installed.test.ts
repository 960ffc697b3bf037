/**
 * The package as a user gets it: `npm pack` (which builds dist/ first, the `prepare` script), the tarball installed in
 * an empty folder, and then only what that folder holds. A server started by the installed `doip` bin; a plain `.mjs`
 * program importing `effect-doip/client` against it; the web page's files, read beside the compiled modules and from
 * the installed katex and pdfjs-dist; a `.ts` program type-checked against the installed declarations (the repo's
 * tsc); and the bin installed globally into a temporary prefix and run with an old Node (the machine's, 20) first on
 * PATH, where its launcher hands the command to the Node 24 of the package's `node` dependency.
 *
 * npm runs with the cache `npm ci` left (`--prefer-offline`): no test here needs the registry.
 */
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { delimiter, dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const repo = fileURLToPath(new URL("../..", import.meta.url))
const npmFlags = ["--prefer-offline", "--no-audit", "--no-fund"]

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

let work: string
let app: string
let tarball: string
let server: { readonly child: ChildProcess; readonly port: number; readonly httpPort: number } | undefined

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "doip-package-"))
  app = join(work, "app")
  mkdirSync(app)
  const packed = await run("npm", ["pack", "--json", "--pack-destination", work, ...npmFlags], { cwd: repo })
  assert.strictEqual(packed.code, 0, `npm pack: ${packed.stderr}`)
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("[")))
  tarball = join(work, info.filename)
  console.log(`npm pack: ${info.filename}, ${info.size} bytes packed, ${info.unpackedSize} unpacked, ${info.entryCount} files`)

  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }))
  const installed = await run("npm", ["install", tarball, ...npmFlags], { cwd: app })
  assert.strictEqual(installed.code, 0, `npm install: ${installed.stderr}`)

  const dataDir = join(work, "data")
  const httpPort = await freePort()
  const child = spawn(
    join(app, "node_modules/.bin/doip"),
    ["serve", "--port", "0", "--http-port", String(httpPort), "--host", "127.0.0.1", "--tls", "off", "--data-dir", dataDir],
    { cwd: app, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] }
  )
  server = { child, httpPort, port: await listening(child) }
}, 600_000)

afterAll(() => {
  server?.child.kill("SIGKILL")
  if (work !== undefined) rmSync(work, { recursive: true, force: true })
})

describe("the installed package", () => {
  it("holds compiled modules, declarations and the bin, and no TypeScript it would run", () => {
    const root = join(app, "node_modules/effect-doip")
    for (const file of ["bin/doip.js", "dist/client/DoipClient.js", "dist/client/DoipClient.d.ts", "dist/client/DoipClient.js.map", "dist/cli/main.js", "dist/server/http/web/index.html"]) {
      assert.isTrue(existsSync(join(root, file)), file)
    }
    assert.notInclude(readFileSync(join(root, "dist/client/DoipClient.js"), "utf8"), `.ts"`, "relative imports rewritten to .js")
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))
    assert.strictEqual(manifest.bin.doip, "./bin/doip.js")
  })

  it("serves a plain JavaScript client importing effect-doip/client: hello, Q123's manifest and its fulltext.pdf", async () => {
    writeFileSync(join(app, "client.mjs"), clientProgram)
    const result = await run(process.execPath, ["client.mjs", "127.0.0.1", String(server!.port)], { cwd: app })
    assert.strictEqual(result.code, 0, result.stderr)
    const answer = JSON.parse(result.stdout)
    assert.strictEqual(answer.hello.server, "effect-doip")
    assert.strictEqual(answer.hello.serverVersion, JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).version)
    assert.strictEqual(answer.manifest["@id"], "Q123")
    assert.strictEqual(answer.pdf.mediaType, "application/pdf")
    assert.isAbove(answer.pdf.bytes, 0)
    assert.strictEqual(answer.pdf.bytes, answer.pdf.size)
    assert.strictEqual(answer.pdf.head, "%PDF-")
  })

  it("exports only the documented entry points", async () => {
    const probe = `
      const tryImport = (s) => import(s).then((m) => Object.keys(m).length > 0, (e) => e.code)
      console.log(JSON.stringify(await Promise.all(process.argv.slice(1).map(tryImport))))`
    const specifiers = [
      "effect-doip/client",
      "effect-doip/client/ClientError",
      "effect-doip/server",
      "effect-doip/server/http/HttpGateway",
      "effect-doip/protocol/doip2/Codec",
      "effect-doip/layers/storage/MemoryStorage",
      "effect-doip/client/internal/requests",
      "effect-doip/server/http/web/app",
      "effect-doip"
    ]
    const result = await run(process.execPath, ["--input-type=module", "-e", probe, ...specifiers], { cwd: app })
    assert.strictEqual(result.code, 0, result.stderr)
    assert.deepStrictEqual(JSON.parse(result.stdout), [
      true, true, true, true, true, true,
      "ERR_PACKAGE_PATH_NOT_EXPORTED", "ERR_PACKAGE_PATH_NOT_EXPORTED", "ERR_PACKAGE_PATH_NOT_EXPORTED"
    ])
  })

  it("serves the web page and the katex and pdf.js builds it loads, from the installed files", async () => {
    const base = `http://127.0.0.1:${server!.httpPort}`
    for (const path of ["/", "/ui/app.js", "/ui/style.css", "/ui/katex/katex.min.js", "/ui/pdfjs/build/pdf.min.mjs"]) {
      const response = await fetch(base + path)
      assert.strictEqual(response.status, 200, path)
      assert.isAbove((await response.arrayBuffer()).byteLength, 0, path)
    }
  })

  it("type-checks a TypeScript program against the installed declarations", async () => {
    writeFileSync(join(app, "consumer.ts"), typedProgram)
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify({
      compilerOptions: {
        target: "ES2023",
        lib: ["ES2023"],
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        // a consumer installs @types/node beside the package; the repo's stands in for it
        types: ["node"],
        typeRoots: [join(repo, "node_modules/@types")]
      },
      files: ["consumer.ts"]
    }))
    const tsc = join(repo, "node_modules/typescript/bin/tsc")
    const checked = await run(process.execPath, [tsc, "--noEmit", "-p", "tsconfig.json"], { cwd: app })
    assert.strictEqual(checked.code, 0, checked.stdout + checked.stderr)

    // and the declarations are real types, not `any`: a wrong use is an error
    writeFileSync(join(app, "consumer.ts"), typedProgram + `export const wrong: number = DoipClient.layer({ host: "h" })\n`)
    const refused = await run(process.execPath, [tsc, "--noEmit", "-p", "tsconfig.json"], { cwd: app })
    assert.notStrictEqual(refused.code, 0)
    assert.include(refused.stdout, "not assignable to type 'number'")
  })
})

// the machine's own node, older than the 22.19 the command needs (Node 20 here); none, and the launcher has nothing to do
const oldNode = findOldNode()

describe.skipIf(oldNode === undefined)(`doip installed globally, run with ${oldNode?.version ?? "an old Node"} first on PATH`, () => {
  let prefix: string
  let env: NodeJS.ProcessEnv
  const doip = (args: ReadonlyArray<string>) => run(join(prefix, "bin/doip"), args, { cwd: work, env })

  beforeAll(async () => {
    prefix = join(work, "global")
    // PATH without any other node: the old one, then the folders that hold no node (npm, the shell's tools)
    const others = process.env.PATH!.split(delimiter).filter((p) => !existsSync(join(p, "node")) || sameFile(join(p, "node"), oldNode!.path))
    env = { ...cleanEnv(), PATH: [dirname(oldNode!.path), ...others].join(delimiter) }
    const installed = await run("npm", ["install", "-g", tarball, ...npmFlags], { cwd: work, env: { ...env, npm_config_prefix: prefix } })
    assert.strictEqual(installed.code, 0, `npm install -g: ${installed.stderr}`)
  }, 600_000)

  it("doip --version", async () => {
    const result = await doip(["--version"])
    assert.strictEqual(result.code, 0, result.stderr)
    assert.include(result.stdout, JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).version)
  })

  it("doip hello against the server, and an error's exit code passed on", async () => {
    const hello = await doip(["hello", "--host", "127.0.0.1", "--port", String(server!.port), "--json"])
    assert.strictEqual(hello.code, 0, hello.stderr)
    assert.strictEqual(JSON.parse(hello.stdout).server, "effect-doip")

    const missing = await doip(["retrieve", "Q999", "--host", "127.0.0.1", "--port", String(server!.port)])
    assert.strictEqual(missing.code, 1)
    assert.include(missing.stderr, "NotFoundError")
  })

  it("runs the command in a Node 24 child, which a signal to the launcher stops", async () => {
    const launcher = spawn(
      join(prefix, "bin/doip"),
      ["serve", "--port", "0", "--http-port", "0", "--host", "127.0.0.1", "--tls", "off", "--data-dir", join(work, "global-data")],
      { cwd: work, env, stdio: ["ignore", "pipe", "pipe"] }
    )
    await listening(launcher)
    const [child] = readFileSync(`/proc/${launcher.pid}/task/${launcher.pid}/children`, "utf8").trim().split(" ").map(Number)
    assert.isDefined(child, "the launcher has a child")
    const childNode = realpathSync(`/proc/${child}/exe`)
    assert.strictEqual(execFileSync(childNode, ["--version"], { encoding: "utf8" }).trim(), `v${nodeDependencyVersion()}`)

    const exited = new Promise<number | null>((done) => launcher.once("exit", (code) => done(code)))
    launcher.kill("SIGTERM")
    assert.strictEqual(await exited, 130, "the child's exit code: interrupted")
    assert.isFalse(existsSync(`/proc/${child}`), "the child is gone")
  })
})

/** hello, Q123's manifest, and its PDF read to the end: what the README's client section shows */
const clientProgram = `import { Effect, Stream } from "effect"
import * as DoipClient from "effect-doip/client"

const [host, port] = process.argv.slice(2)
const program = Effect.gen(function*() {
  const client = yield* DoipClient.DoipClient
  const hello = yield* client.hello()
  const manifest = yield* client.retrieve("Q123")
  const pdf = yield* client.retrieve("Q123", "fulltext.pdf")
  const chunks = yield* Stream.runCollect(pdf.content)
  const bytes = Buffer.concat(chunks)
  return { hello, manifest, pdf: { mediaType: pdf.mediaType, size: pdf.size, bytes: bytes.length, head: bytes.subarray(0, 5).toString() } }
}).pipe(Effect.scoped, Effect.provide(DoipClient.layer({ host, port: Number(port) })))

Effect.runPromise(program).then(
  (answer) => console.log(JSON.stringify(answer)),
  (error) => {
    console.error(error)
    process.exitCode = 1
  }
)
`

/** the client's API and types, and modules of the server, protocol and layers entry points */
const typedProgram = `import { Effect, Stream } from "effect"
import * as DoipClient from "effect-doip/client"
import type { ClientError } from "effect-doip/client/ClientError"
import * as DoipServer from "effect-doip/server"
import * as HttpGateway from "effect-doip/server/http/HttpGateway"
import * as Doip2Codec from "effect-doip/protocol/doip2/Codec"
import * as MemoryStorage from "effect-doip/layers/storage/MemoryStorage"

const options: DoipClient.ClientOptions = { host: "127.0.0.1", port: 3567, timeout: "10 seconds" }
export const pdfBytes: Effect.Effect<number, ClientError> = Effect.gen(function*() {
  const client = yield* DoipClient.DoipClient
  const manifest: Record<string, unknown> = yield* client.retrieve("Q123")
  const pdf: DoipClient.RetrievedComponent = yield* client.retrieve("Q123", "fulltext.pdf")
  return yield* Stream.runFold(pdf.content, (): number => (manifest["@id"] === "Q123" ? 0 : -1), (n, chunk) => n + chunk.length)
}).pipe(Effect.scoped, Effect.provide(DoipClient.layer(options)))

export const modules = [DoipServer.layerServices, HttpGateway.layer, Doip2Codec, MemoryStorage] as const
`

/** runs a command to its end, collecting its output */
function run(command: string, args: ReadonlyArray<string>, options: { cwd: string; env?: NodeJS.ProcessEnv }) {
  return new Promise<Run>((done) => {
    execFile(command, args, { cwd: options.cwd, env: options.env ?? cleanEnv(), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      done({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr: stderr || (error?.message ?? "") }))
  })
}

/** the environment without what `npm test` put there for its own scripts (the repo's prefix, package and config) */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== "INIT_CWD"))
}

/** the binary DOIP listener's port, once the server logs it */
function listening(child: ChildProcess) {
  return new Promise<number>((done, fail) => {
    let log = ""
    const onData = (data: Buffer) => {
      log += data.toString()
      const binary = /binary DOIP listener on [^:\s]+:(\d+)/.exec(log)
      if (binary !== null && /DOIP v2\.0 listener on/.test(log)) {
        child.stdout!.off("data", onData)
        done(Number(binary[1]))
      }
    }
    child.stdout!.on("data", onData)
    child.stderr!.on("data", (data: Buffer) => (log += data.toString()))
    child.once("exit", (code) => fail(new Error(`doip serve exited with ${code}: ${log}`)))
  })
}

/** a port nothing listens on now (the gateway takes no port 0) */
function freePort() {
  return new Promise<number>((done, fail) => {
    const probe = createServer()
    probe.once("error", fail)
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => done(port))
    })
  })
}

function findOldNode(): { readonly path: string; readonly version: string } | undefined {
  const candidates = ["/usr/local/bin/node", ...process.env.PATH!.split(delimiter).map((p) => join(p, "node")), "/usr/bin/node"]
  for (const path of candidates) {
    if (!existsSync(path)) continue
    const version = execFileSync(path, ["--version"], { encoding: "utf8" }).trim()
    const [major, minor] = version.slice(1).split(".").map(Number)
    if (major! < 22 || (major === 22 && minor! < 19)) return { path, version }
  }
  return undefined
}

function sameFile(a: string, b: string) {
  return realpathSync(a) === realpathSync(b)
}

function nodeDependencyVersion(): string {
  return JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).optionalDependencies.node
}
