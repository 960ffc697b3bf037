import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as LakeFsStandIn from "../support/LakeFsStandIn.ts"

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
})
