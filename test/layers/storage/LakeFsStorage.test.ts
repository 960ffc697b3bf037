import { assert, describe, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Hash from "effect/Hash"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as LakeFsStorage from "../../../src/layers/storage/LakeFsStorage.ts"
import { Storage } from "../../../src/layers/storage/Storage.ts"
import * as LakeFsOnStandIn from "../../support/LakeFsOnStandIn.ts"
import * as LakeFsStandIn from "../../support/LakeFsStandIn.ts"
import { storageContract } from "./StorageContract.ts"

/** LakeFsStorage on a fresh stand-in, with the stand-in beside it for fault injection */
const onStandIn = LakeFsOnStandIn.layer()

storageContract("LakeFsStorage on the lakeFS stand-in", onStandIn)

const real = ["LAKEFS_URL", "LAKEFS_REPO", "LAKEFS_USER", "LAKEFS_PASSWORD"].filter((name) => !process.env[name])
if (real.length === 0) {
  // a fresh branch off the repository's main, so the suite starts empty of its own ids
  const url = process.env.LAKEFS_URL!
  const repo = process.env.LAKEFS_REPO!
  const user = process.env.LAKEFS_USER!
  const password = process.env.LAKEFS_PASSWORD!
  const branch = `doip-contract-${Date.now()}`
  const createBranch = Effect.promise(async () => {
    const res = await fetch(`${url.replace(/\/+$/, "")}/api/v1/repositories/${encodeURIComponent(repo)}/branches`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`
      },
      body: JSON.stringify({ name: branch, source: process.env.LAKEFS_SOURCE_BRANCH ?? "main" })
    })
    if (res.status !== 201) throw new Error(`creating branch ${branch}: HTTP ${res.status} ${await res.text()}`)
  })
  storageContract(
    `LakeFsStorage on the real lakeFS at ${url} (branch ${branch})`,
    Layer.unwrap(Effect.as(
      createBranch,
      LakeFsStorage.layer({ url, repo, branch, user, password: Redacted.make(password) })
    ))
  )
} else {
  describe("LakeFsStorage on a real lakeFS", () => {
    it.skip(`skipped: set ${real.join(", ")} to run the contract against a real lakeFS`, () => {})
  })
  console.info(`LakeFsStorage: real lakeFS contract skipped, ${real.join(", ")} not set`)
}

layer(onStandIn, { excludeTestServices: true })("LakeFsStorage faults", (it) => {
  it.effect("a read that meets 500s is retried and succeeds once lakeFS recovers", () =>
    Effect.gen(function*() {
      const standIn = yield* LakeFsStandIn.LakeFsStandIn
      const storage = yield* Storage
      yield* storage.write("Q900", "a", "text/plain", Stream.make(new TextEncoder().encode("survives")))
      yield* storage.commit("a", {})
      standIn.failNext(3)
      const stat = yield* storage.stat("Q900", "a")
      assert.strictEqual(stat.size, 8)
      standIn.failNext(2)
      const bytes = yield* Stream.mkUint8Array(storage.read("Q900", "a"))
      assert.strictEqual(new TextDecoder().decode(bytes), "survives")
    }))

  it.effect("a read that keeps meeting 500s is Unavailable", () =>
    Effect.gen(function*() {
      const standIn = yield* LakeFsStandIn.LakeFsStandIn
      const storage = yield* Storage
      standIn.failNext(100, 503)
      const error = yield* Effect.flip(storage.list("Q900"))
      standIn.failNext(0)
      assert.strictEqual(error.kind, "Unavailable")
      assert.include(error.message, "503")
    }))

  it.effect("its errors can be hashed, as Effect does when two failures meet (say, two resets failing at once)", () =>
    Effect.gen(function*() {
      const standIn = yield* LakeFsStandIn.LakeFsStandIn
      const storage = yield* Storage
      standIn.failNext(100, 503)
      const unavailable = yield* Effect.flip(storage.stat("Q900", "a"))
      standIn.failNext(0)
      standIn.rejectCredentials(true)
      const unauthorized = yield* Effect.flip(storage.reset("Q900", "a"))
      standIn.rejectCredentials(false)
      // hashing reads every getter of the error's cause: an HTTP response there would die (`textUnsafe`), turning
      // the failure into a defect
      for (const error of [unavailable, unauthorized]) assert.isNumber(Hash.hash(error))
      assert.deepStrictEqual([unavailable.kind, unauthorized.kind], ["Unavailable", "Unauthorized"])
    }))

  it.effect("rejected credentials are Unauthorized, saying so", () =>
    Effect.gen(function*() {
      const standIn = yield* LakeFsStandIn.LakeFsStandIn
      const storage = yield* Storage
      standIn.rejectCredentials(true)
      const errors = yield* Effect.all([
        Effect.flip(storage.stat("Q900", "a")),
        Effect.flip(storage.commit("m", {})),
        Effect.flip(storage.write("Q901", "a", "text/plain", Stream.make(new Uint8Array(3))))
      ]).pipe(Effect.ensuring(Effect.sync(() => standIn.rejectCredentials(false))))
      for (const error of errors) {
        assert.strictEqual(error.kind, "Unauthorized")
        assert.include(error.message, "credentials")
      }
    }))

  it.effect("a wrong key still starts; requests are Unauthorized, and the fix is logged once", () =>
    Effect.gen(function*() {
      const standIn = yield* LakeFsStandIn.LakeFsStandIn
      const logged: Array<string> = []
      const logger = Logger.make((options) => {
        logged.push(String(Array.isArray(options.message) ? options.message.join(" ") : options.message))
      })
      const errors = yield* Effect.gen(function*() {
        const storage = yield* Storage
        return yield* Effect.all([
          Effect.flip(storage.stat("Q900", "a")),
          Effect.flip(storage.list("Q900")),
          Effect.flip(storage.objects())
        ])
      }).pipe(
        Effect.provide(LakeFsStorage.layer({ ...LakeFsOnStandIn.optionsOf(standIn), password: Redacted.make("wrong") })),
        Effect.provide(Logger.layer([logger]))
      )
      assert.deepStrictEqual(errors.map((e) => e.kind), ["Unauthorized", "Unauthorized", "Unauthorized"])
      const warnings = logged.filter((line) => line.includes("LAKEFS_PASSWORD"))
      assert.strictEqual(warnings.length, 1)
    }))

  it.effect("check: ok on a working lakeFS; says what is wrong otherwise", () =>
    Effect.gen(function*() {
      const standIn = yield* LakeFsStandIn.LakeFsStandIn
      const check = (options: LakeFsStorage.Options) =>
        LakeFsStorage.check(options).pipe(Effect.flip, Effect.option, Effect.provide(FetchHttpClient.layer))
      assert.isTrue(Option.isNone(yield* check(LakeFsOnStandIn.optionsOf(standIn))))
      const wrongKey = yield* check({ ...LakeFsOnStandIn.optionsOf(standIn), password: Redacted.make("wrong") })
      assert.include(Option.getOrThrow(wrongKey), "rejected the server's credentials (HTTP 401)")
      const noRepo = yield* check({ ...LakeFsOnStandIn.optionsOf(standIn), repo: "nope" })
      assert.include(Option.getOrThrow(noRepo), "does not exist")
      const noBranch = yield* check({ ...LakeFsOnStandIn.optionsOf(standIn), branch: "nope" })
      assert.include(Option.getOrThrow(noBranch), "does not exist")
      const down = yield* check({ ...LakeFsOnStandIn.optionsOf(standIn), url: "http://127.0.0.1:9" })
      assert.include(Option.getOrThrow(down), "cannot connect")
    }))
})

/** `LakeFsStorage` on the stand-in in context, built afresh (so it starts, and resets leftovers, now) */
const storageOn = (standIn: LakeFsStandIn.LakeFsStandInService, options?: Partial<LakeFsStorage.Options>) =>
  LakeFsStorage.layer({ ...LakeFsOnStandIn.optionsOf(standIn), ...options })

/** the log lines `effect` wrote, beside its result */
const withLog = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.suspend(() => {
    const logged: Array<string> = []
    const logger = Logger.make((options) => {
      logged.push(String(Array.isArray(options.message) ? options.message.join(" ") : options.message))
    })
    return Effect.map(Effect.provide(effect, Logger.layer([logger])), (a) => [a, logged] as const)
  })

const bytes = (s: string) => Stream.make(new TextEncoder().encode(s))

/** the ways a commit's answer is lost: the connection dropped, a 5xx (lakeFS's own, a gateway's), none in time */
const losses = ["drop", 500, 502, "hang"] as const

layer(onStandIn, { excludeTestServices: true })("LakeFsStorage: a commit whose answer is lost", (it) => {
  it.effect("it happened: the commit succeeds, with that commit, and the content is there", () =>
    Effect.gen(function*() {
      const standIn = yield* LakeFsStandIn.LakeFsStandIn
      for (const [i, how] of losses.entries()) {
        const storage = yield* Storage
        yield* storage.write("Q960", `a${i}`, "text/plain", bytes(`landed ${how}`))
        standIn.loseCommitAnswer(how, { applied: true })
        const commit = yield* storage.commit(`write a${i}`, { operation: "update" })
        assert.strictEqual(commit.message, `write a${i}`, String(how))
        assert.deepStrictEqual(commit.metadata, { operation: "update" }, "the write id stays lakeFS's")
        assert.strictEqual((yield* storage.history("Q960"))[0]!.id, commit.id)
        const stat = yield* storage.stat("Q960", `a${i}`)
        assert.strictEqual(stat.modified, commit.creationDate)
        const content = new TextDecoder().decode(yield* Stream.mkUint8Array(storage.read("Q960", `a${i}`)))
        assert.strictEqual(content, `landed ${how}`)
        assert.deepStrictEqual(yield* LakeFsOnStandIn.uncommitted(standIn), [])
        standIn.hang(undefined)
      }
    }).pipe(Effect.provide(Layer.unwrap(Effect.map(LakeFsStandIn.LakeFsStandIn, (standIn) =>
      storageOn(standIn, { timeout: "300 millis" }))))))

  it.effect("it did not happen: the commit fails (the branch showing it), and after a reset nothing is staged", () =>
    Effect.gen(function*() {
      const standIn = yield* LakeFsStandIn.LakeFsStandIn
      const storage = yield* Storage
      for (const [i, how] of losses.entries()) {
        yield* storage.write("Q961", `a${i}`, "text/plain", bytes(`lost ${how}`))
        standIn.loseCommitAnswer(how, { applied: false })
        const error = yield* Effect.flip(storage.commit(`write a${i}`, {}))
        standIn.hang(undefined)
        assert.strictEqual(error.kind, "Unavailable", String(how))
        assert.match(
          error.message,
          how === 500
            ? /^lakeFS commit failed: HTTP 500$/
            : /^lakeFS commit failed: (TransportError|HTTP 502|no answer within 300ms); the branch shows it was not applied$/
        )
        assert.strictEqual((yield* Effect.flip(storage.stat("Q961", `a${i}`))).kind, "NotFound")
        // what ComponentWriter does after a failed commit
        yield* storage.reset("Q961", `a${i}`)
        assert.deepStrictEqual(yield* LakeFsOnStandIn.uncommitted(standIn), [])
      }
      assert.deepStrictEqual(yield* storage.history("Q961"), [])
    }).pipe(Effect.provide(Layer.unwrap(Effect.map(LakeFsStandIn.LakeFsStandIn, (standIn) =>
      storageOn(standIn, { timeout: "300 millis" }))))))

  it.effect("the branch cannot be read either: OutcomeUnknown, whether it happened or not", () =>
    Effect.gen(function*() {
      const standIn = yield* LakeFsStandIn.LakeFsStandIn
      const storage = yield* Storage
      for (const applied of [true, false]) {
        const componentId = `a-${applied}`
        yield* storage.write("Q962", componentId, "text/plain", bytes("unknown"))
        standIn.loseCommitAnswer("drop", { applied })
        standIn.failNext(1000, 503, /^GET .*\/commits/)
        const error = yield* Effect.flip(storage.commit("write", {}))
        standIn.failNext(0)
        assert.strictEqual(error.kind, "OutcomeUnknown")
        assert.match(
          error.message,
          /^lakeFS commit on branch main: its answer was lost \(TransportError\) and the branch cannot be read to learn whether it was applied \(lakeFS commit log failed: HTTP 503\)$/
        )
        assert.strictEqual((yield* Effect.exit(storage.stat("Q962", componentId)))._tag, applied ? "Success" : "Failure")
        yield* storage.reset("Q962", componentId)
      }
    }))

  it.effect("a commit lakeFS refuses (4xx) is not looked for; one never sent is not either", () =>
    Effect.gen(function*() {
      const standIn = yield* LakeFsStandIn.LakeFsStandIn
      const storage = yield* Storage
      yield* storage.write("Q963", "a", "text/plain", bytes("refused"))
      standIn.failNext(1, 412, /^POST .*\/commits/)
      const before = standIn.requests().length
      const refused = yield* Effect.flip(storage.commit("write", {}))
      assert.deepStrictEqual([refused.kind, refused.message], ["Unavailable", "lakeFS commit failed: HTTP 412"])
      assert.strictEqual(standIn.requests().length - before, 1, "the commit alone")
      yield* storage.reset("Q963", "a")

      const nowhere = yield* Effect.flip(
        Effect.flatMap(Storage, (s) => s.commit("write", {})).pipe(
          Effect.provide(storageOn(standIn, { url: "http://127.0.0.1:9", resetUncommittedOnStart: false }))
        )
      )
      assert.deepStrictEqual([nowhere.kind, nowhere.message], ["Unavailable", "lakeFS commit failed: TransportError"])
    }))
})

layer(onStandIn, { excludeTestServices: true })("LakeFsStorage at start", (it) => {
  /** stages `paths` the way a server killed before its commit leaves them */
  const leave = (standIn: LakeFsStandIn.LakeFsStandInService, ...paths: ReadonlyArray<string>) =>
    Effect.forEach(paths, (path) =>
      call(standIn, `/repositories/${standIn.repo}/branches/${standIn.branch}/objects?path=${path}`, {
        method: "POST",
        body: "left over"
      }), { discard: true })

  it.effect("resets what an earlier run left staged, saying how many, so no later commit publishes it", () =>
    Effect.gen(function*() {
      const standIn = yield* LakeFsStandIn.LakeFsStandIn
      yield* leave(standIn, "00/00/02/Q2/components/w3-2.bin", "00/00/02/Q2/checksums/w3-1.bin")
      const [, logged] = yield* withLog(Effect.provide(Effect.void, storageOn(standIn)))
      assert.deepStrictEqual(yield* LakeFsOnStandIn.uncommitted(standIn), [])
      assert.deepStrictEqual(logged.filter((line) => line.includes("uncommitted")), [
        "reset 2 uncommitted changes on lakeFS branch main that an earlier run left staged and never committed " +
        "(00/00/02/Q2/checksums/w3-1.bin, 00/00/02/Q2/components/w3-2.bin)"
      ])

      const storage = yield* Storage
      yield* storage.write("Q2", "w0-0.bin", "application/octet-stream", bytes("acknowledged"))
      yield* storage.commit("write", {})
      assert.deepStrictEqual((yield* storage.list("Q2")).map((stat) => stat.componentId), ["w0-0.bin"])
    }))

  it.effect("leaves them when told to (several servers on one branch)", () =>
    Effect.gen(function*() {
      const standIn = yield* LakeFsStandIn.LakeFsStandIn
      yield* leave(standIn, "00/00/03/Q3/components/x")
      yield* Effect.provide(Effect.void, storageOn(standIn, { resetUncommittedOnStart: false }))
      assert.deepStrictEqual(yield* LakeFsOnStandIn.uncommitted(standIn), ["00/00/03/Q3/components/x"])
      yield* call(standIn, `/repositories/${standIn.repo}/branches/${standIn.branch}`, {
        method: "PUT",
        body: JSON.stringify({ type: "object", path: "00/00/03/Q3/components/x" })
      })
    }))

  it.effect("starts when lakeFS cannot be read, and resets them before its first write instead", () =>
    Effect.gen(function*() {
      const standIn = yield* LakeFsStandIn.LakeFsStandIn
      yield* leave(standIn, "00/00/04/Q4/components/y")
      standIn.failNext(1000, 503, /\/diff/)
      yield* Effect.gen(function*() {
        const storage = yield* Storage
        const refused = yield* Effect.flip(storage.write("Q4", "z", "text/plain", bytes("z")))
        assert.strictEqual(refused.kind, "Unavailable")
        assert.match(refused.message, /^uncommitted changes an earlier run left on branch main cannot be reset \(/)
        standIn.failNext(0)
        yield* storage.write("Q4", "z", "text/plain", bytes("z"))
        yield* storage.commit("write z", {})
        assert.deepStrictEqual((yield* storage.list("Q4")).map((stat) => stat.componentId), ["z"])
        assert.deepStrictEqual(yield* LakeFsOnStandIn.uncommitted(standIn), [])
      }).pipe(Effect.provide(storageOn(standIn)))
    }))
})

const call = (standIn: LakeFsStandIn.LakeFsStandInService, path: string, init?: RequestInit & { auth?: boolean }) =>
  Effect.promise(async () => {
    const headers = new Headers(init?.headers)
    if (init?.auth !== false) {
      headers.set("authorization", `Basic ${Buffer.from(`${standIn.user}:${standIn.password}`).toString("base64")}`)
    }
    const res = await fetch(`${standIn.url}/api/v1${path}`, { ...init, headers })
    const text = await res.text()
    return { status: res.status, headers: res.headers, text, json: text.startsWith("{") ? JSON.parse(text) : undefined }
  })

describe("LakeFsStandIn (the stand-in itself)", () => {
  it.live("stages, commits, reads with ranges, lists, logs, and fails like lakeFS", () =>
    Effect.gen(function*() {
      const s = yield* LakeFsStandIn.make()
      const repo = `/repositories/${s.repo}`
      assert.strictEqual((yield* call(s, "/healthcheck", { auth: false })).status, 204)
      const denied = yield* call(s, `${repo}/branches/main`, { auth: false })
      assert.strictEqual(denied.status, 401)
      assert.isString(denied.json.message)

      const up = yield* call(s, `${repo}/branches/main/objects?path=a/b.txt`, {
        method: "POST",
        body: "0123456789",
        headers: { "content-type": "text/plain", "x-lakefs-meta-sha256": "abc" }
      })
      assert.strictEqual(up.status, 201)
      assert.deepStrictEqual([up.json.path, up.json.size_bytes, up.json.content_type], ["a/b.txt", 10, "text/plain"])
      assert.strictEqual((yield* call(s, `${repo}/refs/main/objects/stat?path=a/b.txt`)).status, 200, "staged view")
      const missing = yield* call(s, `${repo}/refs/main@/objects/stat?path=a/b.txt`)
      assert.deepStrictEqual([missing.status, missing.json], [404, { message: "not found" }])

      const commit = yield* call(s, `${repo}/branches/main/commits`, {
        method: "POST",
        body: JSON.stringify({ message: "m", metadata: { k: "v" } })
      })
      assert.strictEqual(commit.status, 201)
      assert.deepStrictEqual(commit.json.metadata, { k: "v" })
      const empty = yield* call(s, `${repo}/branches/main/commits`, { method: "POST", body: "{\"message\":\"m\"}" })
      assert.strictEqual(empty.status, 400)

      const range = yield* call(s, `${repo}/refs/main@/objects?path=a/b.txt`, { headers: { range: "bytes=2-4" } })
      assert.deepStrictEqual([range.status, range.text, range.headers.get("content-range")], [206, "234", "bytes 2-4/10"])
      const stat = yield* call(s, `${repo}/refs/${commit.json.id}/objects/stat?path=a/b.txt`)
      assert.deepStrictEqual(stat.json.metadata, { sha256: "abc" })

      for (const p of ["a/c", "a/d", "b/e"]) {
        yield* call(s, `${repo}/branches/main/objects?path=${p}`, { method: "POST", body: "x" })
      }
      yield* call(s, `${repo}/branches/main/commits`, { method: "POST", body: "{\"message\":\"more\"}" })
      const first = yield* call(s, `${repo}/refs/main/objects/ls?prefix=a/&amount=2`)
      assert.deepStrictEqual(first.json.results.map((o: { path: string }) => o.path), ["a/b.txt", "a/c"])
      assert.deepStrictEqual([first.json.pagination.has_more, first.json.pagination.next_offset], [true, "a/c"])
      const second = yield* call(s, `${repo}/refs/main/objects/ls?prefix=a/&amount=2&after=a/c`)
      assert.deepStrictEqual(second.json.results.map((o: { path: string }) => o.path), ["a/d"])
      assert.isFalse(second.json.pagination.has_more)

      const logB = yield* call(s, `${repo}/refs/main/commits?prefixes=b/`)
      assert.deepStrictEqual(logB.json.results.map((c: { message: string }) => c.message), ["more"])
      const logAb = yield* call(s, `${repo}/refs/main/commits?objects=a/b.txt`)
      assert.deepStrictEqual(logAb.json.results.map((c: { message: string }) => c.message), ["m"])

      assert.strictEqual((yield* call(s, `${repo}/branches/main/objects?path=a/c`, { method: "DELETE" })).status, 204)
      assert.strictEqual((yield* call(s, `${repo}/refs/main/objects/stat?path=a/c`)).status, 404)
      const reset = yield* call(s, `${repo}/branches/main`, {
        method: "PUT",
        body: JSON.stringify({ type: "object", path: "a/c" })
      })
      assert.strictEqual(reset.status, 204)
      assert.strictEqual((yield* call(s, `${repo}/refs/main/objects/stat?path=a/c`)).status, 200)

      s.failNext(1)
      assert.strictEqual((yield* call(s, `${repo}/branches/main`)).status, 500)
      assert.strictEqual((yield* call(s, `${repo}/branches/main`)).status, 200)
      s.rejectCredentials(true)
      assert.strictEqual((yield* call(s, `${repo}/branches/main`)).status, 401)
    }).pipe(Effect.scoped))

  it.live("reads any commit by ref as lakeFS resolves refs: ids, prefixes, branches, ~ and ^; logs and diffs from one", () =>
    Effect.gen(function*() {
      const s = yield* LakeFsStandIn.make()
      const repo = `/repositories/${s.repo}`
      const upload = (path: string, body: string) =>
        call(s, `${repo}/branches/main/objects?path=${path}`, { method: "POST", body, headers: { "content-type": "text/plain" } })
      const commit = (message: string) =>
        Effect.map(
          call(s, `${repo}/branches/main/commits`, { method: "POST", body: JSON.stringify({ message }) }),
          (answer) => answer.json.id as string
        )
      yield* upload("o/a", "one")
      const c1 = yield* commit("first")
      yield* upload("o/a", "two!")
      yield* upload("o/b", "b")
      const c2 = yield* commit("second")
      yield* call(s, `${repo}/branches/main/objects?path=o/a`, { method: "DELETE" })
      yield* upload("p/c", "c")
      const c3 = yield* commit("third")

      // GET commits/{ref} dereferences any ref, and answers the commit's own id
      for (const [ref, id] of [[c2, c2], [c2.slice(0, 10), c2], ["main", c3], ["main@", c3], [`${c3}~2`, c1], [`main^1`, c2]]) {
        const got = yield* call(s, `${repo}/commits/${encodeURIComponent(ref!)}`)
        assert.deepStrictEqual([got.status, got.json.id], [200, id], ref)
      }
      assert.strictEqual((yield* call(s, `${repo}/commits/${"0".repeat(64)}`)).status, 404)
      assert.strictEqual((yield* call(s, `${repo}/commits/${encodeURIComponent("main$")}`)).status, 400)
      assert.strictEqual((yield* call(s, `${repo}/commits/${encodeURIComponent(`${c1}@`)}`)).status, 400)

      // objects, stats and listings as the commit held them
      assert.strictEqual((yield* call(s, `${repo}/refs/${c1}/objects?path=o/a`)).text, "one")
      assert.strictEqual((yield* call(s, `${repo}/refs/${c2.slice(0, 8)}/objects?path=o/a`)).text, "two!")
      assert.strictEqual((yield* call(s, `${repo}/refs/${c3}/objects/stat?path=o/a`)).status, 404)
      assert.strictEqual((yield* call(s, `${repo}/refs/${encodeURIComponent(`${c3}~1`)}/objects/stat?path=o/a`)).json.size_bytes, 4)
      assert.strictEqual((yield* call(s, `${repo}/refs/${"0".repeat(64)}/objects/stat?path=o/a`)).status, 404)
      const listed = yield* call(s, `${repo}/refs/${c2}/objects/ls?prefix=o/`)
      assert.deepStrictEqual(listed.json.results.map((o: { path: string }) => o.path), ["o/a", "o/b"])

      // the log from a commit, filtered by prefix: that commit and its ancestors only
      const log = yield* call(s, `${repo}/refs/${c2}/commits?prefixes=o/`)
      assert.deepStrictEqual(log.json.results.map((c: { id: string }) => c.id), [c2, c1])
      const logP = yield* call(s, `${repo}/refs/${c2}/commits?prefixes=p/`)
      assert.deepStrictEqual(logP.json.results, [])

      // a diff between a commit and its parent: what the commit did, under the prefix
      const diff = (left: string, right: string) =>
        Effect.map(
          call(s, `${repo}/refs/${left}/diff/${right}?type=two_dot&prefix=o/`),
          (answer) => answer.json.results.map((d: { path: string; type: string }) => [d.path, d.type])
        )
      assert.deepStrictEqual(yield* diff(c1, c2), [["o/a", "changed"], ["o/b", "added"]])
      assert.deepStrictEqual(yield* diff(c2, c3), [["o/a", "removed"]])
      assert.strictEqual((yield* call(s, `${repo}/refs/${c2}/diff/${"0".repeat(64)}?type=two_dot`)).status, 404)
    }).pipe(Effect.scoped))
})
