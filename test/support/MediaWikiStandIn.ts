/**
 * An in-process stand-in for a MediaWiki's Action API (`/w/api.php`) with Wikibase and CirrusSearch, for tests: the
 * calls the server makes, answered as MediaWiki answers them.
 *
 * - `action=query&list=search&srsearch=…&srlimit=…[&srnamespace=…]&format=json`: `srsearch` may start with
 *   `haswbfacet:P<n>=Q<m>` keywords (an item must have every such statement), then words (each must appear in the
 *   item's label or description, case-insensitive). Items live in namespace 120 as `Item:Q…`; `srnamespace` filters
 *   by namespace. The answer is `{batchcomplete, continue?, query: {searchinfo: {totalhits}, search: [{ns, title,
 *   pageid, size, wordcount, snippet, timestamp}]}}` with the words marked `<span class="searchmatch">` in the
 *   snippet, HTML-escaped as MediaWiki does, at most `srlimit` (default 10, at most 500) results.
 * - `action=query&meta=siteinfo`: `{batchcomplete, query: {general: {sitename, ...}}}`.
 * - Logging in with a bot password, as MediaWiki does it: `action=query&meta=tokens&type=login` sets a session cookie
 *   and answers a login token of that session; `POST action=login` (form body `lgname`, `lgpassword`, `lgtoken`)
 *   with that cookie answers `{"login": {"result": "Success", "lguserid", "lgusername"}}` for a known bot password
 *   (`User@App`; `lgusername` is `User`), `{"login": {"result": "Failed", "reason": ...}}` for a wrong one, and
 *   `WrongToken` when the token is not the session's.
 * - Anything else: 200 with `{"error": {"code": "badvalue", "info": ...}}`, as the API reports a bad request.
 *
 * Faults: `hooks.status` answers every call with that status (and an HTML body, as a broken proxy would),
 * `hooks.delayMs` holds answers back, `hooks.apiError` answers every call with that API error (HTTP 200).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { randomBytes } from "node:crypto"
import * as Http from "node:http"
import { listen } from "./internal/listen.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface Item {
  readonly qid: string
  readonly label: string
  readonly description?: string | undefined
  /** statements, as `[property, value QID]` */
  readonly facets?: ReadonlyArray<readonly [string, string]> | undefined
  /** ISO 8601 */
  readonly timestamp?: string | undefined
}

/**
 * @category models
 * @since 0.1.0
 */
export interface Hooks {
  status: number | undefined
  delayMs: number
  apiError: { readonly code: string; readonly info: string } | undefined
  /** every call's query string, oldest first */
  readonly requests: Array<string>
  /** `action=login` calls answered */
  logins: number
}

/**
 * @category models
 * @since 0.1.0
 */
export interface MediaWikiStandIn {
  /** `http://127.0.0.1:<port>/w/api.php` */
  readonly apiUrl: string
  readonly hooks: Hooks
  readonly putItem: (item: Item) => void
  /** adds a bot password: `name` is `User@App` */
  readonly putBotPassword: (name: string, password: string) => void
}

/**
 * Starts the stand-in, holding `items`; it stops with the scope.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (items: ReadonlyArray<Item> = []): Effect.Effect<MediaWikiStandIn, never, Scope.Scope> =>
  Effect.gen(function*() {
    const store = new Map(items.map((item) => [item.qid, item]))
    const hooks: Hooks = { status: undefined, delayMs: 0, apiError: undefined, requests: [], logins: 0 }
    const botPasswords = new Map<string, string>()
    /** session cookie value -> its login token */
    const sessions = new Map<string, string>()

    const answer = (req: Http.IncomingMessage, res: Http.ServerResponse) => {
      const url = new URL(req.url ?? "/", "http://stand-in")
      hooks.requests.push(url.search)
      if (url.pathname !== "/w/api.php") return send(res, 404, "<html>Not Found</html>", "text/html")
      if (hooks.status !== undefined) return send(res, hooks.status, "<html>Bad Gateway</html>", "text/html")
      if (hooks.apiError !== undefined) return json(res, { error: { ...hooks.apiError, "*": "See api.php for API usage." } })
      const params = url.searchParams
      if (req.method === "POST") return readForm(req, (form) => json(res, login(form, req.headers.cookie)))
      if (params.get("action") === "query" && params.get("meta") === "tokens" && params.get("type") === "login") {
        const session = randomBytes(16).toString("hex")
        const token = `${randomBytes(20).toString("hex")}+\\`
        sessions.set(session, token)
        // a site's own cookie first, as MaRDI's proxy sets one: the session cookie must not be lost behind it
        res.setHeader("set-cookie", ["GeoIP=DE:BE:Berlin; path=/; secure", `stand_session=${session}; path=/; HttpOnly`])
        return json(res, { batchcomplete: "", query: { tokens: { logintoken: token } } })
      }
      if (params.get("action") === "query" && params.get("meta") === "siteinfo") {
        return json(res, { batchcomplete: "", query: { general: { sitename: "MaRDI portal (stand-in)", generator: "MediaWiki 1.41" } } })
      }
      if (params.get("action") === "query" && params.get("list") === "search") {
        const srsearch = params.get("srsearch") ?? ""
        if (srsearch.trim() === "") return json(res, { error: { code: "nosrsearch", info: "The \"srsearch\" parameter must be set." } })
        return json(res, search(Array.from(store.values()), srsearch, params))
      }
      return json(res, { error: { code: "badvalue", info: "Unrecognized value for parameter \"action\"." } })
    }

    const login = (form: URLSearchParams, cookie: string | undefined) => {
      if (form.get("action") !== "login") return { error: { code: "badvalue", info: "Unrecognized value for parameter \"action\"." } }
      hooks.logins++
      const session = /stand_session=([0-9a-f]+)/.exec(cookie ?? "")?.[1]
      if (session === undefined || sessions.get(session) !== form.get("lgtoken")) return { login: { result: "WrongToken" } }
      sessions.delete(session)
      const name = form.get("lgname") ?? ""
      if (botPasswords.get(name) !== form.get("lgpassword") || !botPasswords.has(name)) {
        return { login: { result: "Failed", reason: "Incorrect username or password entered. Please try again." } }
      }
      return { login: { result: "Success", lguserid: 7, lgusername: name.split("@")[0] } }
    }

    const server = Http.createServer((req, res) => {
      if (hooks.delayMs > 0) setTimeout(() => answer(req, res), hooks.delayMs)
      else answer(req, res)
    })
    const port = yield* listen(server)
    return {
      apiUrl: `http://127.0.0.1:${port}/w/api.php`,
      hooks,
      putItem: (item) => void store.set(item.qid, item),
      putBotPassword: (name, password) => void botPasswords.set(name, password)
    }
  })

// internal

const search = (items: ReadonlyArray<Item>, srsearch: string, params: URLSearchParams) => {
  const facets: Array<readonly [string, string]> = []
  const words: Array<string> = []
  for (const token of srsearch.trim().split(/\s+/)) {
    const facet = /^haswbfacet:(P\d+)=(Q\d+)$/.exec(token)
    if (facet !== null) facets.push([facet[1]!, facet[2]!])
    else words.push(token.toLowerCase())
  }
  const namespace = params.get("srnamespace")
  const limit = Math.min(500, Math.max(1, Number(params.get("srlimit") ?? 10) || 10))
  const matched = items.filter((item) => {
    if (namespace !== null && namespace !== "120") return false
    const text = `${item.label} ${item.description ?? ""}`.toLowerCase()
    const has = (p: string, q: string) => (item.facets ?? []).some(([fp, fq]) => fp === p && fq === q)
    return facets.every(([p, q]) => has(p, q)) && words.every((word) => text.includes(word))
  }).sort((a, b) => Number(a.qid.slice(1)) - Number(b.qid.slice(1)))
  const page = matched.slice(0, limit)
  return {
    batchcomplete: "",
    ...(matched.length > limit ? { continue: { sroffset: limit, continue: "-||" } } : {}),
    query: {
      searchinfo: { totalhits: matched.length },
      search: page.map((item, i) => ({
        ns: 120,
        title: `Item:${item.qid}`,
        pageid: 1000 + i,
        size: 1024,
        wordcount: 12,
        snippet: snippetOf(item, words),
        timestamp: item.timestamp ?? "2024-02-02T12:00:00Z"
      }))
    }
  }
}

/** the label and description, HTML-escaped, the words marked as CirrusSearch marks them */
const snippetOf = (item: Item, words: ReadonlyArray<string>) => {
  let html = escape(`${item.label} ${item.description ?? ""}`.trim())
  for (const word of words) {
    const w = escape(word).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
    html = html.replace(new RegExp(`(${w})`, "gi"), `<span class="searchmatch">$1</span>`)
  }
  return html
}

const escape = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const readForm = (req: Http.IncomingMessage, handle: (form: URLSearchParams) => void) => {
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", () => handle(new URLSearchParams(Buffer.concat(chunks).toString("utf8"))))
}

const json = (res: Http.ServerResponse, body: unknown) => send(res, 200, JSON.stringify(body), "application/json; charset=utf-8")

const send = (res: Http.ServerResponse, status: number, body: string, contentType: string) => {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body) })
  res.end(body)
}
