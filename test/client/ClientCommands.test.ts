/**
 * The client commands as a user runs them: `node src/cli/main.ts <command>` in a child process (the Node that runs
 * the tests), against a server on loopback, over both framings.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Storage } from "../../src/layers/storage/Storage.ts"
import { ListenAddress } from "../../src/server/DoipServer.ts"
import { layerServer, seed, token } from "../support/TestServer.ts"

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** runs the `doip` command with the server's port for the framing, and the test token in the environment */
const doip = (protocol: "binary" | "doip2", ...args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const { binaryPort, doip2Port } = yield* ListenAddress
    const port = protocol === "binary" ? binaryPort : doip2Port
    return yield* Effect.callback<Run>((resume) => {
      execFile(
        process.execPath,
        ["src/cli/main.ts", ...args, "--protocol", protocol, "--port", String(port)],
        { env: { ...process.env, DOIP_TOKEN: token }, timeout: 30_000 },
        (error, stdout, stderr) => resume(Effect.succeed({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }))
      )
    })
  })

/** a one-line failure: exit code 1 and exactly one line on stderr */
const assertFailure = (run: Run, pattern: RegExp) => {
  assert.strictEqual(run.code, 1, run.stderr)
  assert.strictEqual(run.stdout, "")
  const lines = run.stderr.split("\n").filter((line) => line !== "")
  assert.strictEqual(lines.length, 1, run.stderr)
  assert.match(lines[0]!, pattern)
}

const folder = () =>
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "doip-cli-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

layer(layerServer(), { excludeTestServices: true })("the client commands", (it) => {
  it.effect("doip2: create with two files, search, retrieve an element, delete, then the object is gone", () =>
    Effect.gen(function*() {
      const dir = yield* folder()
      writeFileSync(join(dir, "data.csv"), "a,b\n1,2\n")
      writeFileSync(join(dir, "notes"), "some notes")
      const created = yield* doip(
        "doip2",
        "create",
        "--id",
        "Q55",
        "--type",
        "Dataset",
        "--element",
        `data.csv=${join(dir, "data.csv")}`,
        "--element",
        `notes.txt=${join(dir, "notes")}:text/plain`,
        "--attributes",
        `{"content":{"name":"fifty-five"}}`
      )
      assert.strictEqual(created.code, 0, created.stderr)
      const object = JSON.parse(created.stdout)
      assert.strictEqual(object.id, "Q55")
      assert.strictEqual(object.type, "Dataset")
      assert.deepStrictEqual(object.elements.map((e: any) => [e.id, e.type, e.length]), [
        ["data.csv", "text/csv", 8],
        ["notes.txt", "text/plain", 10]
      ])

      const found = yield* doip("doip2", "search", "name:fifty-five", "--type", "id")
      assert.strictEqual(found.code, 0, found.stderr)
      assert.deepStrictEqual(JSON.parse(found.stdout), { size: 1, results: ["Q55"] })

      const notes = yield* doip("doip2", "retrieve", "Q55", "--component", "notes.txt")
      assert.strictEqual(notes.code, 0, notes.stderr)
      assert.strictEqual(notes.stdout, "some notes")

      const deleted = yield* doip("doip2", "delete", "Q55")
      assert.strictEqual(deleted.code, 0, deleted.stderr)
      assert.match(deleted.stderr, /deleted Q55/)
      assert.deepStrictEqual(yield* (yield* Storage).list("Q55"), [])
      assertFailure(yield* doip("doip2", "retrieve", "Q55"), /^error: NotFoundError: object Q55 does not exist$/)
    }))

  it.effect("binary: the default framing; hello, create and search with paging and sorting", () =>
    Effect.gen(function*() {
      const dir = yield* folder()
      writeFileSync(join(dir, "x.txt"), "x")
      const hello = yield* doip("binary", "hello")
      assert.strictEqual(JSON.parse(hello.stdout).status, "ok")
      for (const id of ["Q61", "Q62", "Q63"]) {
        const created = yield* doip("binary", "create", "--id", id, "--type", "Sample", "--element", `x.txt=${join(dir, "x.txt")}`)
        assert.strictEqual(created.code, 0, created.stderr)
        assert.strictEqual(JSON.parse(created.stdout).objectId, id)
      }
      const page = yield* doip("binary", "search", "type:Sample", "--type", "id", "--sort", "id DESC", "--page-size", "2", "--page-num", "0")
      assert.deepStrictEqual(JSON.parse(page.stdout), { size: 3, results: ["Q63", "Q62"] })
    }))

  it.effect("every failure is one line and exit code 1", () =>
    Effect.gen(function*() {
      yield* seed("Q70", "a.txt", "a")
      const dir = yield* folder()
      assertFailure(
        yield* doip("doip2", "create", "--id", "Q70", "--element", `a.txt=${join(dir, "missing")}`),
        /^error: .*missing/
      )
      writeFileSync(join(dir, "a.txt"), "a")
      assertFailure(
        yield* doip("doip2", "create", "--id", "Q70", "--element", `a.txt=${join(dir, "a.txt")}`),
        /^error: Conflict: object Q70 already exists$/
      )
      assertFailure(
        yield* doip("binary", "create", "--element", `a.txt=${join(dir, "a.txt")}`, "--attributes", "[1]"),
        /^error: UsageError: --attributes must be a JSON object$/
      )
      assertFailure(yield* doip("doip2", "create", "--element", "no-equals-sign"), /^error: UsageError: --element/)
      assertFailure(yield* doip("doip2", "delete", "Q70", "--token", "wrong"), /^error: Unauthenticated: /)
      assertFailure(yield* doip("doip2", "search", "*", "--page-num", "-1"), /^error: BadRequest: .*pageNum/)
    }))
})
