/**
 * `doip watch` as a user runs it (`node src/cli/main.ts watch ...` in a child process): one JSON line per change on
 * stdout, until Ctrl-C (SIGINT), which ends it with exit code 0; a watch over the binary envelope fails at once.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import * as DoipClient from "../../src/client/DoipClient.ts"
import { ListenAddress } from "../../src/server/DoipServer.ts"
import { doip } from "../support/Cli.ts"
import { layerServer, token } from "../support/TestServer.ts"

const text = (s: string) => new TextEncoder().encode(s)

/** `doip args...` running in the background: its stdout lines as they come, and a way to stop it with SIGINT */
const running = (args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child = spawn(process.execPath, ["src/cli/main.ts", ...args], {
        env: { ...process.env, DOIP_TOKEN: token },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let stdout = ""
      let stderr = ""
      const waiting = new Set<() => void>()
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk
        for (const wake of waiting) wake()
      })
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk
        for (const wake of waiting) wake()
      })
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
      /** until stdout holds `n` lines, or stderr says the watch began */
      const until = (done: () => boolean) =>
        Effect.callback<void>((resume) => {
          const check = () => {
            if (!done()) return
            waiting.delete(check)
            resume(Effect.void)
          }
          waiting.add(check)
          check()
        }).pipe(Effect.timeout("20 seconds"))
      return {
        lines: (n: number) =>
          Effect.map(until(() => stdout.split("\n").filter((l) => l !== "").length >= n), () =>
            stdout.split("\n").filter((l) => l !== "")),
        started: until(() => stderr.includes("watching")),
        interrupt: Effect.promise(() => {
          child.kill("SIGINT")
          return exited
        }),
        stderr: () => stderr,
        kill: () => child.kill("SIGKILL")
      }
    }),
    (watch) => Effect.sync(watch.kill)
  )

layer(layerServer(), { excludeTestServices: true })("doip watch", (it) => {
  it.effect("prints one JSON line per change of the objects named, and Ctrl-C ends it with exit code 0", () =>
    Effect.gen(function*() {
      const address = yield* ListenAddress
      const watch = yield* running(["watch", "Q7001", "Q7002", "--port", String(address.doip2Port)])
      yield* watch.started
      // the request is on its way once the note is out: give the server a moment to take it
      yield* Effect.sleep("300 millis")
      const client = yield* DoipClient.makeDoip2({ host: "127.0.0.1", port: address.doip2Port, credentials: { token } })
      yield* client.create({ id: "Q7001" }, [{ id: "a.txt", mediaType: "text/plain", content: text("a") }])
      yield* client.create({ id: "Q7003" }, [{ id: "b.txt", content: text("not watched") }])
      yield* client.create({ id: "Q7002" }, [{ id: "c.txt", content: text("c") }])
      yield* client.updateComponent("Q7001", "a.txt", text("aa"), "text/plain")
      const lines = yield* watch.lines(3)
      const events = lines.map((line) => JSON.parse(line))
      assert.deepStrictEqual(events.map((e) => [e.objectId, e.operation]), [
        ["Q7001", "create"],
        ["Q7002", "create"],
        ["Q7001", "update"]
      ])
      assert.deepStrictEqual(events[2].components, { added: [], changed: ["a.txt"], removed: [] })
      assert.match(events[0].version, /^[0-9a-f]{64}$/)
      const code = yield* watch.interrupt
      assert.strictEqual(code, 0, watch.stderr())
    }).pipe(Effect.scoped), { timeout: 60_000 })

  it.effect("over the binary envelope it fails at once, saying to use DOIP v2.0", () =>
    Effect.gen(function*() {
      const address = yield* ListenAddress
      const run = yield* doip(["watch", "--protocol", "binary", "--port", String(address.binaryPort)])
      assert.strictEqual(run.code, 1)
      assert.match(run.stderr, /DOIP v2\.0/)
      assert.strictEqual(run.stdout, "")
    }), { timeout: 60_000 })
})
