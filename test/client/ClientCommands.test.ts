/**
 * The client commands as a user runs them: `node src/cli/main.ts <command>` in a child process (the Node that runs
 * the tests), against a server on loopback, over both framings.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Storage } from "../../src/layers/storage/Storage.ts"
import { ListenAddress } from "../../src/server/DoipServer.ts"
import { doip as runDoip, folder, type Run } from "../support/Cli.ts"
import { layerServer, seed } from "../support/TestServer.ts"

/** runs the `doip` command with the server's port for the framing, and the test token in the environment */
const doip = (protocol: "binary" | "doip2", ...args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const { binaryPort, doip2Port } = yield* ListenAddress
    const port = protocol === "binary" ? binaryPort : doip2Port
    return yield* runDoip([...args, "--protocol", protocol, "--port", String(port)])
  })

/** a one-line failure: exit code 1 and exactly one line on stderr */
const assertFailure = (run: Run, pattern: RegExp) => {
  assert.strictEqual(run.code, 1, run.stderr)
  assert.strictEqual(run.stdout, "")
  const lines = run.stderr.split("\n").filter((line) => line !== "")
  assert.strictEqual(lines.length, 1, run.stderr)
  assert.match(lines[0]!, pattern)
}

/** a command's answer with --json: exit code 0, nothing on stderr, and one JSON document on one line of stdout */
const jsonAnswer = (run: Run): any => {
  assert.strictEqual(run.code, 0, run.stderr)
  assert.strictEqual(run.stderr, "")
  assert.match(run.stdout, /^[^\n]+\n$/, run.stdout)
  return JSON.parse(run.stdout)
}

/** a failure with --json: exit code 1, nothing on stdout, and {error, message} on one line of stderr */
const jsonFailure = (run: Run) => {
  assert.strictEqual(run.code, 1, run.stderr)
  assert.strictEqual(run.stdout, "")
  assert.match(run.stderr, /^[^\n]+\n$/, run.stderr)
  return JSON.parse(run.stderr)
}

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

  it.effect("--json: every command prints one JSON document on one line; errors are {error, message} on stderr", () =>
    Effect.gen(function*() {
      const dir = yield* folder()
      writeFileSync(join(dir, "a.txt"), "alpha")
      writeFileSync(join(dir, "b.txt"), "beta!")

      const hello = jsonAnswer(yield* doip("binary", "hello", "--json"))
      assert.strictEqual(hello.status, "ok")
      assert.include(jsonAnswer(yield* doip("binary", "list-ops", "--json")), "retrieve")

      const created = jsonAnswer(
        yield* doip("binary", "create", "--id", "Q80", "--type", "JsonSample", "--element", `a.txt=${join(dir, "a.txt")}`, "--json")
      )
      assert.strictEqual(created.objectId, "Q80")
      const updated = jsonAnswer(
        yield* doip("binary", "update", "Q80", "--component", "b.txt", "--input", join(dir, "b.txt"), "--media-type", "text/plain", "--json")
      )
      assert.strictEqual(updated.componentId, "b.txt")
      assert.strictEqual(updated.size, 5)

      const manifest = jsonAnswer(yield* doip("binary", "retrieve", "Q80", "--json"))
      assert.strictEqual(typeof manifest, "object")
      const manifestFile = join(dir, "manifest.json")
      const wroteManifest = jsonAnswer(yield* doip("binary", "retrieve", "Q80", "-o", manifestFile, "--json"))
      assert.deepStrictEqual(wroteManifest, { objectId: "Q80", bytes: readFileSync(manifestFile).length, file: manifestFile })
      assert.deepStrictEqual(JSON.parse(readFileSync(manifestFile, "utf8")), manifest)

      // a component to a file: a summary of what was written; to a folder, the file is named for the component
      for (const protocol of ["binary", "doip2"] as const) {
        const summary = jsonAnswer(yield* doip(protocol, "retrieve", "Q80", "--component", "b.txt", "-o", `${dir}/`, "--json"))
        assert.deepStrictEqual(summary, {
          objectId: "Q80",
          componentId: "b.txt",
          bytes: 5,
          file: join(dir, "b.txt"),
          mediaType: "text/plain"
        })
      }
      // ... and without a file stdout would carry the bytes, so that is refused before anything is retrieved
      assert.deepStrictEqual(jsonFailure(yield* doip("binary", "retrieve", "Q80", "--component", "b.txt", "--json")), {
        error: "UsageError",
        message: "--json with --component needs --output: stdout would carry the bytes"
      })

      assert.deepStrictEqual(
        jsonAnswer(yield* doip("doip2", "search", "type:JsonSample", "--type", "id", "--json")),
        { size: 1, results: ["Q80"] }
      )
      const invoked = jsonAnswer(yield* doip("binary", "invoke", "Q80", "--workflow", "fixity", "--json"))
      assert.strictEqual(invoked.metadata[0].workflow, "fixity")
      assert.strictEqual(typeof jsonAnswer(yield* doip("binary", "purge", "Q80", "--json")), "object")

      // DOIP v2.0 answers a delete with its status alone: the note becomes a summary
      assert.deepStrictEqual(jsonAnswer(yield* doip("doip2", "delete", "Q80", "--json")), { objectId: "Q80", deleted: true })
      assert.deepStrictEqual(jsonFailure(yield* doip("binary", "retrieve", "Q80", "--json")), {
        error: "NotFoundError",
        message: "object Q80 does not exist"
      })
      assert.strictEqual(jsonFailure(yield* doip("doip2", "delete", "Q80", "--token", "wrong", "--json")).error, "Unauthenticated")

      // binary answers a delete with the commit: printed as it is
      yield* seed("Q81", "a.txt", "a")
      assert.strictEqual(jsonAnswer(yield* doip("binary", "delete", "Q81", "--json")).objectId, "Q81")
    }))

  it.effect("history lists the versions one a line (--json: one JSON object a line); retrieve --version reads one", () =>
    Effect.gen(function*() {
      const dir = yield* folder()
      writeFileSync(join(dir, "a1"), "first words")
      writeFileSync(join(dir, "a2"), "second words, longer")
      const created = yield* doip("binary", "create", "--id", "Q90", "--element", `a.txt=${join(dir, "a1")}:text/plain`)
      assert.strictEqual(created.code, 0, created.stderr)
      const updated = yield* doip("doip2", "update", "Q90", "--component", "a.txt", "--input", join(dir, "a2"), "--media-type", "text/plain")
      assert.strictEqual(updated.code, 0, updated.stderr)

      for (const protocol of ["binary", "doip2"] as const) {
        const listed = yield* doip(protocol, "history", "Q90")
        assert.strictEqual(listed.code, 0, listed.stderr)
        assert.strictEqual(listed.stderr, "")
        const lines = listed.stdout.split("\n")
        assert.strictEqual(lines.pop(), "", "every line ends")
        assert.strictEqual(lines.length, 2, listed.stdout)
        assert.match(lines[0]!, /^[0-9a-f]{64}  \d{4}-\d\d-\d\dT[\d:.]+Z  token  update  ~a\.txt  update Q90$/)
        assert.match(lines[1]!, /^[0-9a-f]{64}  \S+  token  create  \+a\.txt \(description added\)  create Q90$/)
      }
      const json = yield* doip("doip2", "history", "Q90", "--json")
      assert.strictEqual(json.code, 0, json.stderr)
      const versions = json.stdout.trimEnd().split("\n").map((line) => JSON.parse(line))
      assert.deepStrictEqual(versions.map((v) => [v.operation, v.author, v.components]), [
        ["update", "token", { added: [], changed: ["a.txt"], removed: [] }],
        ["create", "token", { added: ["a.txt"], changed: [], removed: [] }]
      ])
      const [newer, older] = versions.map((v) => v.id as string)

      const old = yield* doip("binary", "retrieve", "Q90", "--component", "a.txt", "--version", older!)
      assert.deepStrictEqual([old.code, old.stdout], [0, "first words"], old.stderr)
      const saved = yield* doip("doip2", "retrieve", "Q90", "--component", "a.txt", "--version", newer!, "-o", join(dir, "out"))
      assert.strictEqual(saved.code, 0, saved.stderr)
      assert.strictEqual(readFileSync(join(dir, "out"), "utf8"), "second words, longer")
      // without --component, the manifest as it was
      const manifest = jsonAnswer(yield* doip("binary", "retrieve", "Q90", "--version", older!, "--json"))
      assert.deepStrictEqual(manifest.kernel["fdo:hasComponent"].map((c: any) => [c.componentId, c.size]), [["a.txt", 11]])
      assert.strictEqual(manifest.provenance["fdo:commit"], older)

      assertFailure(
        yield* doip("binary", "retrieve", "Q90", "--component", "a.txt", "--version", "0".repeat(64)),
        new RegExp(`^error: NotFoundError: version ${"0".repeat(64)} does not exist$`)
      )
      assertFailure(yield* doip("doip2", "history", "Q999"), /^error: NotFoundError: object Q999 does not exist$/)
    }))

  it.effect("without --json: answers pretty, notes on stderr; --quiet drops the notes", () =>
    Effect.gen(function*() {
      yield* seed("Q82", "a.txt", "alpha", "text/plain")
      const dir = yield* folder()
      const hello = yield* doip("binary", "hello")
      assert.match(hello.stdout, /^\{\n  "/)
      const noted = yield* doip("binary", "retrieve", "Q82", "--component", "a.txt", "-o", join(dir, "a"))
      assert.strictEqual(noted.stderr, `wrote 5 bytes (text/plain) to ${join(dir, "a")}\n`)
      const quiet = yield* doip("doip2", "retrieve", "Q82", "--component", "a.txt", "-o", join(dir, "b"), "--quiet")
      assert.strictEqual(quiet.code, 0, quiet.stderr)
      assert.strictEqual(quiet.stderr, "")
      assert.strictEqual(readFileSync(join(dir, "b"), "utf8"), "alpha")
      // errors are not quieted
      assertFailure(yield* doip("binary", "retrieve", "Q999", "--quiet"), /^error: NotFoundError: /)
    }))
})
