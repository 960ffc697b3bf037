/**
 * Watching over HTTP (issue 17, item 4): `GET /doip/events` as Server-Sent Events, with Node's `http` reading the
 * stream as it comes: the changes in order with `id:` their versions, filtered by `ids`, resumed after
 * `Last-Event-ID` (as a browser's EventSource sends it) with nothing lost or repeated, kept open by comments past the
 * idle timeout, and mistakes answered as JSON before any event.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as http from "node:http"
import * as DoipClient from "../../../src/client/DoipClient.ts"
import { ListenAddress } from "../../../src/server/DoipServer.ts"
import { GatewayAddress } from "../../../src/server/http/GatewayAddress.ts"
import { layerServerWithHttp, token } from "../../support/TestServer.ts"

const text = (s: string) => new TextEncoder().encode(s)

interface SseEvent {
  readonly id: string | undefined
  readonly event: string | undefined
  readonly data: string
}

/** an open event stream: its status and headers, the events so far, and the comments seen */
const open = (path: string, headers: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const { port } = yield* GatewayAddress
    return yield* Effect.acquireRelease(
      Effect.callback<{
        readonly status: number
        readonly type: string
        readonly next: Effect.Effect<SseEvent, Error>
        readonly comments: () => number
        readonly body: () => string
        readonly close: () => void
      }>((resume) => {
        const request = http.get({ host: "127.0.0.1", port, path, headers }, (response) => {
          let buffer = ""
          let body = ""
          let comments = 0
          const events: Array<SseEvent> = []
          const waiting = new Set<() => void>()
          response.setEncoding("utf8")
          response.on("data", (chunk: string) => {
            body += chunk
            buffer += chunk
            for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
              const block = buffer.slice(0, end)
              buffer = buffer.slice(end + 2)
              const fields: Record<string, string> = {}
              let comment = true
              for (const line of block.split("\n")) {
                if (line.startsWith(":")) continue
                comment = false
                const colon = line.indexOf(":")
                const [name, value] = colon < 0 ? [line, ""] : [line.slice(0, colon), line.slice(colon + 1).replace(/^ /, "")]
                fields[name] = name === "data" && fields["data"] !== undefined ? `${fields["data"]}\n${value}` : value
              }
              if (comment) comments++
              else if (fields["data"] !== undefined) events.push({ id: fields["id"], event: fields["event"], data: fields["data"] })
            }
            for (const wake of waiting) wake()
          })
          const next = Effect.callback<SseEvent, Error>((done) => {
            const check = () => {
              const event = events.shift()
              if (event === undefined) return
              waiting.delete(check)
              done(Effect.succeed(event))
            }
            waiting.add(check)
            check()
          }).pipe(Effect.timeout("10 seconds"))
          resume(Effect.succeed({
            status: response.statusCode ?? 0,
            type: response.headers["content-type"] ?? "",
            next,
            comments: () => comments,
            body: () => body,
            close: () => request.destroy()
          }))
        })
        request.on("error", () => {})
      }),
      (stream) => Effect.sync(stream.close)
    )
  })

/** a DOIP v2.0 client of the server in context, to make the changes */
const writer = Effect.gen(function*() {
  const address = yield* ListenAddress
  return yield* DoipClient.makeDoip2({ host: "127.0.0.1", port: address.doip2Port, credentials: { token }, timeout: "20 seconds" })
})

layer(layerServerWithHttp({ settings: { limits: { idleTimeoutSeconds: 3 } } }), { excludeTestServices: true })(
  "GET /doip/events",
  (it) => {
    it.effect("the changes of the objects asked for, in order, each with its version as the event's id", () =>
      Effect.gen(function*() {
        const client = yield* writer
        const stream = yield* open("/doip/events?ids=Q8001")
        assert.strictEqual(stream.status, 200)
        assert.match(stream.type, /^text\/event-stream/)
        const watching = yield* stream.next
        assert.strictEqual(watching.event, "watching")
        assert.strictEqual(watching.id, JSON.parse(watching.data).since)
        yield* client.create({ id: "Q8002" }, [{ id: "other", content: text("not watched") }])
        yield* client.create({ id: "Q8001" }, [{ id: "a.txt", mediaType: "text/plain", content: text("a") }])
        yield* client.updateComponent("Q8001", "a.txt", text("b"), "text/plain")
        yield* client.invoke("Q8001", "fixity")
        yield* client.delete("Q8001")
        const events = [yield* stream.next, yield* stream.next, yield* stream.next, yield* stream.next]
        const changes = events.map((e) => JSON.parse(e.data))
        assert.deepStrictEqual(changes.map((c) => [c.objectId, c.operation]), [
          ["Q8001", "create"],
          ["Q8001", "update"],
          ["Q8001", "invoke"],
          ["Q8001", "delete"]
        ])
        assert.deepStrictEqual(changes[1].components, { added: [], changed: ["a.txt"], removed: [] })
        assert.deepStrictEqual(events.map((e) => e.id), changes.map((c) => c.version))
        assert.deepStrictEqual(events.map((e) => e.event), [undefined, undefined, undefined, undefined], "plain messages")
        const versions = (yield* client.versions("Q8001")).map((v) => v.id).reverse()
        assert.deepStrictEqual(changes.map((c) => c.version), versions)
      }).pipe(Effect.scoped))

    it.effect("Last-Event-ID resumes after that change: the ones missed first, none twice, then live ones", () =>
      Effect.gen(function*() {
        const client = yield* writer
        yield* client.create({ id: "Q8101" }, [{ id: "n", content: text("0") }])
        const first = yield* open("/doip/events?ids=Q8101")
        const watching = yield* first.next
        yield* client.updateComponent("Q8101", "n", text("1"))
        const seen = yield* first.next
        first.close()
        // what happens while the browser is away
        yield* client.updateComponent("Q8101", "n", text("2"))
        yield* client.updateComponent("Q8101", "n", text("3"))
        const again = yield* open("/doip/events?ids=Q8101", { "last-event-id": seen.id! })
        assert.strictEqual((yield* again.next).event, "watching")
        const missed = [yield* again.next, yield* again.next]
        yield* client.updateComponent("Q8101", "n", text("4"))
        const live = yield* again.next
        const versions = (yield* client.versions("Q8101")).map((v) => v.id).reverse()
        assert.deepStrictEqual([seen.id, ...missed.map((e) => e.id), live.id], versions.slice(1))
        assert.isString(watching.id)
        // `since` in the query does the same
        const bySince = yield* open(`/doip/events?ids=Q8101&since=${versions[2]}`)
        yield* bySince.next
        assert.deepStrictEqual([(yield* bySince.next).id, (yield* bySince.next).id], versions.slice(3))
      }).pipe(Effect.scoped))

    it.effect("a quiet stream gets comments and outlives the idle timeout (3 s here)", () =>
      Effect.gen(function*() {
        const client = yield* writer
        const stream = yield* open("/doip/events?ids=Q8201")
        yield* stream.next
        yield* Effect.sleep("4500 millis")
        assert.isAtLeast(stream.comments(), 2)
        yield* client.create({ id: "Q8201" }, [{ id: "a", content: text("a") }])
        assert.strictEqual(JSON.parse((yield* stream.next).data).operation, "create")
      }).pipe(Effect.scoped), { timeout: 30_000 })

    it.effect("an unknown version or a bad id is answered as JSON before any event; Cordra's route points here", () =>
      Effect.gen(function*() {
        const { port } = yield* GatewayAddress
        const answer = (path: string) =>
          Effect.promise(async () => {
            const response = await fetch(`http://127.0.0.1:${port}${path}`)
            return { status: response.status, json: await response.json() as any }
          })
        const unknown = yield* answer(`/doip/events?since=${"0".repeat(64)}`)
        assert.strictEqual(unknown.status, 404)
        assert.strictEqual(unknown.json.error, "NotFound")
        const bad = yield* answer("/doip/events?ids=Q1,nope")
        assert.strictEqual(bad.status, 400)
        const cordra = yield* answer("/doip?operationId=0.DOIP/Op.Watch&targetId=service")
        assert.strictEqual(cordra.status, 501)
        assert.match(cordra.json.message, /\/doip\/events/)
      }))
  }
)
