/**
 * An in-process stand-in for MaRDI's importer service, as the upstream server calls it: `GET /health` (`{"status":
 * "ok"}`), `POST /create/item` (an item with the writer's `username` and `password`; answers `{"qid": "Q…"}`, the
 * next free QID), and `POST /update/item` (`{qid, username, password, ...properties}`: 404 for an unknown item,
 * 409 `{"error": "property already set", "existing_values": [...]}` when one of the properties has a value, else
 * 200 `{"status": "updated"}`). A writer is accepted when its user name and password are in `writers`; else 401
 * `{"detail": "invalid credentials"}`. Faults: `hooks.status` answers everything with that status, `hooks.unhealthy`
 * only `/health` (503), `hooks.delayMs` holds every answer back.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"
import { listen } from "./internal/listen.ts"

export interface Hooks {
  status: number | undefined
  /** milliseconds every answer is held back */
  delayMs: number
  unhealthy: boolean
  /** every body posted, oldest first (passwords included: the tests check they arrive) */
  readonly posted: Array<{ readonly path: string; readonly body: Record<string, unknown> }>
}

export interface ImporterStandIn {
  readonly url: string
  readonly hooks: Hooks
  /** the items, by QID: what create gave and update set */
  readonly items: ReadonlyMap<string, Record<string, unknown>>
}

export const make = (writers: Readonly<Record<string, string>>): Effect.Effect<ImporterStandIn, never, Scope.Scope> =>
  Effect.gen(function*() {
    const hooks: Hooks = { status: undefined, delayMs: 0, unhealthy: false, posted: [] }
    const items = new Map<string, Record<string, unknown>>()
    let next = 9_000_000

    const server = Http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (chunk: Buffer) => chunks.push(chunk))
      req.on("end", () => setTimeout(() => answer(req, res, chunks), hooks.delayMs))
    })
    const answer = (req: Http.IncomingMessage, res: Http.ServerResponse, chunks: ReadonlyArray<Buffer>) => {
      {
        if (hooks.status !== undefined) return send(res, hooks.status, { detail: "injected failure" })
        if (req.method === "GET" && req.url === "/health") {
          return hooks.unhealthy ? send(res, 503, { status: "down" }) : send(res, 200, { status: "ok" })
        }
        let body: Record<string, unknown>
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8"))
        } catch {
          return send(res, 422, { detail: "body is not JSON" })
        }
        hooks.posted.push({ path: req.url ?? "", body })
        const { password, username, ...rest } = body
        if (typeof username !== "string" || writers[username] !== password) return send(res, 401, { detail: "invalid credentials" })
        if (req.method === "POST" && req.url === "/create/item") {
          const qid = `Q${next++}`
          items.set(qid, rest)
          return send(res, 200, { qid, status: "created" })
        }
        if (req.method === "POST" && req.url === "/update/item") {
          const { claims: given, do_override, qid, ...properties } = rest
          const item = items.get(String(qid))
          if (item === undefined) return send(res, 404, { error: `item ${String(qid)} not found` })
          // claims come as `claims` or as P-keys beside the other fields (label, description)
          const asClaims = { ...(given as Record<string, unknown> | undefined), ...Object.fromEntries(Object.entries(properties).filter(([k]) => /^P\d+$/.test(k))) }
          const fields = Object.fromEntries(Object.entries(properties).filter(([k]) => !/^P\d+$/.test(k)))
          const claims = (item["claims"] ?? {}) as Record<string, unknown>
          const existing = Object.keys(asClaims).filter((p) => claims[p] !== undefined).map((p) => ({ property: p, value: claims[p] }))
          if (existing.length > 0 && do_override !== true) {
            return send(res, 409, { error: "property already set", existing_values: existing })
          }
          items.set(String(qid), { ...item, ...fields, claims: { ...claims, ...asClaims } })
          return send(res, 200, { status: "updated" })
        }
        send(res, 404, { detail: "Not Found" })
      }
    }
    const port = yield* listen(server)
    return { url: `http://127.0.0.1:${port}`, hooks, items }
  })

const send = (res: Http.ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  res.end(text)
}
