/**
 * An in-process stand-in for the lakeFS REST API v1, for tests: the endpoints `/work/shared/BACKENDS.md` lists, with
 * lakeFS's status codes and JSON bodies, on `127.0.0.1` and a free port.
 *
 * **Details**
 *
 * - HTTP Basic auth on every call but `GET /healthcheck`; a wrong key answers 401 `{"message": …}`.
 * - Each branch has a head commit and a staging area (writes, and tombstones from `DELETE`). A ref is resolved as
 *   lakeFS resolves it: a commit id (or a unique prefix of one), a branch (its staged view), `branch@` (the branch's
 *   last commit only), with `~N` and `^N` walking to parents. `GET commits/{ref}` reads the commit any ref names.
 * - Uploads take the raw body, chunked or with `Content-Length`, and stream it into a file while hashing it (the ETag
 *   and `checksum` are its MD5); an upload whose connection breaks stages nothing and leaves no file behind.
 * - Reads stream from that file: 200 with the whole object, 206 for a `Range`, 416 for a range past its end.
 * - A commit with nothing that changes the tree answers 400 `{"message":"commit: no changes"}` (unless `allow_empty`).
 * - A diff of two refs lists the paths that differ, under `prefix` when given, paginated: from their merge base
 *   (`type=three_dot`, the default) or from the left ref itself (`two_dot`).
 * - Sorted listings (objects, branches, diffs) seek past `after` whether or not it still exists, as lakeFS does.
 * - `commits?objects=P&prefixes=F` gives the commits (first-parent chain) that changed path `P` or something under `F`.
 * - Branches are listed (`prefix`, paginated), created from a branch or commit, and deleted (not the default one:
 *   400). A merge (`POST refs/{source}/merge/{branch}`) is three-way against the nearest common ancestor, as lakeFS's:
 *   a path changed on one side only takes that side; changed on both, the `strategy` decides (`source-wins`,
 *   `dest-wins`; another is 400), or it is a 409 conflict. A destination with uncommitted changes is refused (400,
 *   "dirty branch"), and so is a source unchanged since the merge base (400, "no changes"). The commit has the
 *   destination's head as its one parent with `squash_merge`, else the source commit as a second, and carries
 *   `.lakefs.merge.strategy` (`default` without a strategy) in its metadata. Branch names must match `^\w[-\w]*$`;
 *   the default branch cannot be deleted (403). `GET commits/{id}` reads any commit.
 * - Fault injection: `failNext(n, status, matching)` answers the next `n` authenticated calls (those whose
 *   `METHOD /path?query` matches `matching`, when given) with that status,
 *   `rejectCredentials(true)` answers 401 to everyone, `delay(ms)` holds every answer back that long,
 *   `answerLate(ms, matching)` sends the answers it matches that long after making them, `hang(matching)`
 *   never answers the calls it matches, `cutAfter(bytes, matching)` sends the head and the first `bytes` of the
 *   object reads it matches, then drops the connection, and `loseCommitAnswer(how, { applied, on })` makes the next
 *   commit (or, with `on: "merge"`, merge) lose its answer (the connection dropped, a 5xx, or none ever), having made
 *   it or not.
 *
 * Repositories, branches and commits live in memory, object contents in files of a fresh folder under
 * `Options.blobDirectory`, so a test's memory does not hold what it uploads; nothing survives the scope.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import { randomBytes } from "node:crypto"
import * as Http from "node:http"
import * as Blobs from "./internal/lakeFsBlobs.ts"
import { listen } from "./internal/listen.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** a repository created at start, with its default branch; default `doip` */
  readonly repo?: string | undefined
  /** default `main` */
  readonly branch?: string | undefined
  /** default the lakeFS quickstart access key id */
  readonly user?: string | undefined
  /** default the lakeFS quickstart secret */
  readonly password?: string | undefined
  /** where object contents go: a fresh folder made under it, removed with the scope; default the system temp folder */
  readonly blobDirectory?: string | undefined
}

/**
 * @category models
 * @since 0.1.0
 */
export interface LakeFsStandInService {
  /** `http://127.0.0.1:<port>`, without `/api/v1` */
  readonly url: string
  readonly repo: string
  readonly branch: string
  readonly user: string
  readonly password: string
  /**
   * answers the next `count` authenticated calls with `status` (default 500) and `{"message": …}`; with `matching`,
   * only calls whose `METHOD /path?query` it matches count (e.g. `/^POST .*\/commits/` fails commits only)
   */
  readonly failNext: (count: number, status?: number, matching?: RegExp) => void
  /** while on, every call needing auth answers 401, as for a wrong key */
  readonly rejectCredentials: (on: boolean) => void
  /** holds every answer back by `millis` (0 to stop) */
  readonly delay: (millis: number) => void
  /**
   * answers the calls `matching` matches at once, as of now, but sends the answer only `millis` later (a slow
   * network); `undefined` stops it
   */
  readonly answerLate: (millis: number, matching: RegExp | undefined) => void
  /**
   * never answers the authenticated calls `matching` matches, as a lakeFS that hangs; `undefined` stops it and drops
   * the calls left hanging
   */
  readonly hang: (matching: RegExp | undefined) => void
  /**
   * object reads (`GET …/objects?path=`) that `matching` matches answer 200 with the whole object's length, send its
   * first `bytes` and then drop the connection, as a lakeFS that fails mid-answer; `undefined` stops it
   */
  readonly cutAfter: (bytes: number, matching: RegExp | undefined) => void
  /**
   * the next commit (`POST …/branches/{branch}/commits`; with `on: "merge"`, the next merge) loses its answer: it is
   * made first when `applied` (default false), then the connection is dropped (`"drop"`), answered with that status
   * and `{"message": …}` (a number), or never answered (`"hang"`, until `hang(undefined)`)
   */
  readonly loseCommitAnswer: (
    how: "drop" | "hang" | number,
    options?: { readonly applied?: boolean; readonly on?: "commit" | "merge" }
  ) => void
  /** the names of the repository's branches, sorted */
  readonly branches: () => ReadonlyArray<string>
  /** the commits of the branch, newest first, following first parents: message, metadata and the paths each changed */
  readonly commits: (branch?: string) => ReadonlyArray<{
    readonly id: string
    readonly message: string
    readonly metadata: Readonly<Record<string, string>>
    readonly changed: ReadonlyArray<string>
  }>
  /** every call seen, as `METHOD /path?query`, oldest first */
  readonly requests: () => ReadonlyArray<string>
}

/**
 * @category services
 * @since 0.1.0
 */
export class LakeFsStandIn extends Context.Service<LakeFsStandIn, LakeFsStandInService>()(
  "effect-doip/test/support/LakeFsStandIn"
) {}

/**
 * Starts the stand-in; it stops with the scope.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options?: Options): Effect.Effect<LakeFsStandInService, never, Scope.Scope> =>
  Effect.gen(function*() {
    const repoName = options?.repo ?? "doip"
    const branchName = options?.branch ?? "main"
    const user = options?.user ?? "AKIAIOSFOLQUICKSTART"
    const password = options?.password ?? "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    const blobs = yield* Blobs.folder(options?.blobDirectory)
    const faults = {
      failures: 0,
      status: 500,
      matching: undefined as RegExp | undefined,
      reject: false,
      delay: 0,
      late: undefined as { readonly millis: number; readonly matching: RegExp } | undefined,
      hang: undefined as RegExp | undefined,
      cut: undefined as { readonly bytes: number; readonly matching: RegExp } | undefined,
      lostCommit: undefined as
        | { readonly how: "drop" | "hang" | number; readonly applied: boolean; readonly on: "commit" | "merge" }
        | undefined
    }
    /** the calls left unanswered by `hang` */
    const hanging = new Set<Http.ServerResponse>()
    const seen: Array<string> = []
    const repos = new Map<string, Repo>()
    createRepo(repos, repoName, branchName, user)
    const expectedAuth = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`

    const server = Http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`)
      const late = faults.late
      if (late !== undefined && late.matching.test(`${req.method} ${req.url}`)) {
        const end = res.end.bind(res) as (...args: Array<unknown>) => Http.ServerResponse
        res.end = ((...args: Array<unknown>) => {
          setTimeout(() => end(...args), late.millis)
          return res
        }) as typeof res.end
      }
      const answer = () => {
        try {
          route(req, res)
        } catch (error) {
          send(res, 500, { message: String(error) })
        }
      }
      if (faults.delay > 0) setTimeout(answer, faults.delay)
      else answer()
    })

    const route = (req: Http.IncomingMessage, res: Http.ServerResponse) => {
      const url = new URL(req.url ?? "/", "http://stand-in")
      const method = req.method ?? "GET"
      if (!url.pathname.startsWith("/api/v1/")) return notFound(res)
      const parts = url.pathname.slice("/api/v1/".length).split("/").map(decodeURIComponent)
      if (method === "GET" && parts.length === 1 && parts[0] === "healthcheck") return send(res, 204)
      if (faults.reject || req.headers.authorization !== expectedAuth) {
        return send(res, 401, { message: "error authenticating request" })
      }
      if (faults.failures > 0 && (faults.matching === undefined || faults.matching.test(`${method} ${req.url}`))) {
        faults.failures--
        return send(res, faults.status, { message: "injected failure" })
      }
      if (faults.hang !== undefined && faults.hang.test(`${method} ${req.url}`)) {
        hanging.add(res)
        res.on("close", () => hanging.delete(res))
        return
      }
      if (parts[0] !== "repositories") return notFound(res)
      if (parts.length === 1 && method === "POST") return readJson(req, res, (body) => newRepo(res, body))
      const repo = repos.get(parts[1] ?? "")
      if (repo === undefined) return notFound(res)
      const [, , kind, name, what, sub, third] = parts
      const path = url.searchParams.get("path") ?? ""
      if (kind === "branches" && name === undefined && method === "POST") {
        return readJson(req, res, (body) => newBranch(res, repo, body))
      }
      if (kind === "branches" && name === undefined && method === "GET") {
        const prefix = url.searchParams.get("prefix") ?? ""
        const names = Array.from(repo.branches.keys()).filter((n) => n.startsWith(prefix)).sort()
        return send(res, 200, page(names, (n) => n, url.searchParams, 100, (n) => ({ id: n, commit_id: repo.branches.get(n)!.head })))
      }
      if (kind === "commits" && name !== undefined && what === undefined && method === "GET") {
        // any ref, as lakeFS dereferences it (a branch gives its head), but not a branch's staging area
        const ref = parseRef(repo, name)
        if (ref === "invalid" || ref?.kind === "staging" && ref.explicit) return send(res, 400, { message: "invalid ref" })
        const found = ref === undefined ? undefined : repo.commits.get(ref.kind === "commit" ? ref.id : ref.branch.head)
        return found === undefined ? notFound(res) : send(res, 200, commitBody(found))
      }
      if (kind === "refs" && name !== undefined && what === "merge" && sub !== undefined && method === "POST") {
        return readJson(req, res, (body) => {
          const lost = faults.lostCommit?.on === "merge" ? faults.lostCommit : undefined
          if (lost === undefined) return merge(res, repo, name, sub, body)
          faults.lostCommit = undefined
          if (lost.applied) merge(res, repo, name, sub, body, () => {})
          loseAnswer(res, lost.how)
        })
      }
      if (kind === "branches" && name !== undefined) {
        const branch = repo.branches.get(name)
        if (branch === undefined) return notFound(res)
        if (what === undefined && method === "GET") return send(res, 200, { id: name, commit_id: branch.head })
        if (what === undefined && method === "DELETE") {
          if (name === repo.defaultBranch) return send(res, 403, { message: "cannot delete repository default branch" })
          repo.branches.delete(name)
          return send(res, 204)
        }
        if (what === undefined && method === "PUT") {
          return readJson(req, res, (body) => {
            if (body.type !== "object" || typeof body.path !== "string") {
              return send(res, 400, { message: "only object resets are supported" })
            }
            branch.staging.delete(body.path)
            send(res, 204)
          })
        }
        if (what === "objects" && sub === undefined && method === "POST") return upload(req, res, blobs, branch, path)
        if (what === "objects" && sub === undefined && method === "DELETE") {
          branch.staging.set(path, null)
          return send(res, 204)
        }
        if (what === "commits" && sub === undefined && method === "POST") {
          const lost = faults.lostCommit?.on === "commit" ? faults.lostCommit : undefined
          if (lost === undefined) return readJson(req, res, (body) => commit(res, repo, branch, body))
          faults.lostCommit = undefined
          return readJson(req, res, (body) => {
            if (lost.applied) commit(res, repo, branch, body, () => {})
            loseAnswer(res, lost.how)
          })
        }
        if (what === "diff" && sub === undefined && method === "GET") {
          return send(res, 200, diffBody(repo.commits.get(branch.head)!.tree, viewOf(branch, repo)))
        }
        return notFound(res)
      }
      if (kind === "refs" && name !== undefined && method === "GET") {
        const tree = resolve(repo, name)
        if (tree === undefined) return notFound(res)
        if (what === "objects" && sub === undefined) {
          const cut = faults.cut !== undefined && faults.cut.matching.test(`${method} ${req.url}`) ? faults.cut.bytes : undefined
          return download(req, res, tree.get(path), cut)
        }
        if (what === "objects" && sub === "stat") {
          const object = tree.get(path)
          return object === undefined ? notFound(res) : send(res, 200, objectStats(object))
        }
        if (what === "objects" && sub === "ls") return send(res, 200, listObjects(tree, url.searchParams))
        if (what === "commits" && sub === undefined) return send(res, 200, log(repo, name, url.searchParams))
        if (what === "diff" && sub !== undefined && third === undefined) {
          const right = resolve(repo, sub)
          if (right === undefined) return notFound(res)
          // three_dot (lakeFS's default) diffs from the merge base of the two refs; two_dot from the left ref itself
          const [leftId, rightId] = [commitIdOf(repo, name), commitIdOf(repo, sub)]
          const left = url.searchParams.get("type") === "two_dot" || leftId === undefined || rightId === undefined
            ? tree
            : mergeBase(repo, leftId, rightId)
          return send(res, 200, diffBody(left, right, url.searchParams))
        }
      }
      return notFound(res)
    }

    const newRepo = (res: Http.ServerResponse, body: Record<string, unknown>) => {
      const name = body.name
      if (typeof name !== "string" || name.length === 0) return send(res, 400, { message: "name is required" })
      if (repos.has(name)) return send(res, 409, { message: "repository already exists" })
      const defaultBranch = typeof body.default_branch === "string" ? body.default_branch : "main"
      const created = createRepo(repos, name, defaultBranch, user)
      send(res, 201, {
        id: name,
        creation_date: created.creationDate,
        default_branch: defaultBranch,
        storage_namespace: body.storage_namespace
      })
    }

    const newBranch = (res: Http.ServerResponse, repo: Repo, body: Record<string, unknown>) => {
      if (typeof body.name !== "string" || typeof body.source !== "string") {
        return send(res, 400, { message: "name and source are required" })
      }
      if (!/^\w[-\w]*$/.test(body.name)) return send(res, 400, { message: "branch id: invalid value: validation error" })
      if (repo.branches.has(body.name)) return send(res, 409, { message: "branch already exists" })
      const source = repo.branches.get(body.source)?.head ?? (repo.commits.has(body.source) ? body.source : undefined)
      if (source === undefined) return notFound(res)
      repo.branches.set(body.name, { head: source, staging: new Map() })
      res.writeHead(201, { "content-type": "text/html" }).end(source)
    }

    const commit = (
      res: Http.ServerResponse,
      repo: Repo,
      branch: Branch,
      body: Record<string, unknown>,
      reply: (status: number, body: unknown) => void = (status, body) => send(res, status, body)
    ) => {
      if (typeof body.message !== "string") return reply(400, { message: "message is required" })
      const parent = repo.commits.get(branch.head)!
      const tree = viewOf(branch, repo)
      const changed = changedPaths(parent.tree, tree)
      if (changed.size === 0 && body.allow_empty !== true) return reply(400, { message: "commit: no changes" })
      const metadata = isStringRecord(body.metadata) ? { ...body.metadata } : {}
      const created: Commit = {
        id: randomBytes(32).toString("hex"),
        parents: [parent.id],
        committer: user,
        message: body.message,
        creationDate: Math.floor(Date.now() / 1000),
        metadata,
        tree,
        changed
      }
      repo.commits.set(created.id, created)
      branch.head = created.id
      branch.staging.clear()
      reply(201, commitBody(created))
    }

    /** no answer, as `loseCommitAnswer` wants it */
    const loseAnswer = (res: Http.ServerResponse, how: "drop" | "hang" | number) => {
      if (how === "drop") return void res.destroy()
      if (how !== "hang") return send(res, how, { message: "injected failure" })
      hanging.add(res)
      res.on("close", () => hanging.delete(res))
    }

    const merge = (
      res: Http.ServerResponse,
      repo: Repo,
      sourceRef: string,
      destinationName: string,
      body: Record<string, unknown>,
      reply: (status: number, body: unknown) => void = (status, body) => send(res, status, body)
    ) => {
      const destination = repo.branches.get(destinationName)
      const sourceId = repo.branches.get(sourceRef)?.head ?? (repo.commits.has(sourceRef) ? sourceRef : undefined)
      if (destination === undefined || sourceId === undefined) return reply(404, { message: "not found" })
      if (destination.staging.size > 0) return reply(400, { message: `${destinationName}: dirty branch` })
      const given = body.strategy ?? ""
      if (given !== "" && given !== "source-wins" && given !== "dest-wins") {
        return reply(400, { message: "merge strategy is not supported" })
      }
      const strategy = given === "" ? "default" : given
      const base = mergeBase(repo, sourceId, destination.head)
      const [from, to] = [repo.commits.get(sourceId)!.tree, repo.commits.get(destination.head)!.tree]
      // as lakeFS: nothing to merge when the source has not changed since the merge base
      if (changedPaths(base, from).size === 0 && body.allow_empty !== true) return reply(400, { message: "no changes" })
      const merged = new Map(to)
      for (const path of new Set([...from.keys(), ...to.keys()])) {
        const [s, d, b] = [from.get(path), to.get(path), base.get(path)]
        if (s === b || s === d) continue
        if (d !== b && strategy === "default") return reply(409, { reference: "" })
        if (d !== b && strategy === "dest-wins") continue
        if (s === undefined) merged.delete(path)
        else merged.set(path, s)
      }
      const changed = changedPaths(to, merged)
      const created: Commit = {
        id: randomBytes(32).toString("hex"),
        parents: body.squash_merge === true ? [destination.head] : [destination.head, sourceId],
        committer: user,
        message: typeof body.message === "string" ? body.message : `Merge '${sourceRef}' into '${destinationName}'`,
        creationDate: Math.floor(Date.now() / 1000),
        metadata: { ...(isStringRecord(body.metadata) ? body.metadata : {}), ".lakefs.merge.strategy": strategy },
        tree: merged,
        changed
      }
      repo.commits.set(created.id, created)
      destination.head = created.id
      reply(200, { reference: created.id })
    }

    /** what a ref names (see `parseRef`): a branch's staged view, or a commit's tree */
    const resolve = (repo: Repo, ref: string): Tree | undefined => {
      const parsed = parseRef(repo, ref)
      if (parsed === undefined || parsed === "invalid") return undefined
      return parsed.kind === "staging" ? viewOf(parsed.branch, repo) : repo.commits.get(parsed.id)!.tree
    }

    const log = (repo: Repo, ref: string, params: URLSearchParams) => {
      const objects = params.getAll("objects")
      const prefixes = params.getAll("prefixes")
      const filtered = objects.length > 0 || prefixes.length > 0
      const touches = (c: Commit) =>
        Array.from(c.changed).some((p) => objects.includes(p) || prefixes.some((prefix) => p.startsWith(prefix)))
      const all: Array<Commit> = []
      for (let c = repo.commits.get(commitIdOf(repo, ref) ?? ""); c !== undefined; c = repo.commits.get(c.parents[0] ?? "")) {
        if (!filtered || touches(c)) all.push(c)
      }
      return page(all, (c) => c.id, params, 100, commitBody, false)
    }

    const port = yield* listen(server)
    return {
      url: `http://127.0.0.1:${port}`,
      repo: repoName,
      branch: branchName,
      user,
      password,
      failNext: (count, status = 500, matching) => {
        faults.failures = count
        faults.status = status
        faults.matching = matching
      },
      rejectCredentials: (on) => {
        faults.reject = on
      },
      delay: (millis) => {
        faults.delay = millis
      },
      answerLate: (millis, matching) => {
        faults.late = matching === undefined ? undefined : { millis, matching }
      },
      hang: (matching) => {
        faults.hang = matching
        if (matching !== undefined) return
        for (const res of hanging) res.destroy()
        hanging.clear()
      },
      cutAfter: (bytes, matching) => {
        faults.cut = matching === undefined ? undefined : { bytes, matching }
      },
      loseCommitAnswer: (how, lostOptions) => {
        faults.lostCommit = { how, applied: lostOptions?.applied ?? false, on: lostOptions?.on ?? "commit" }
      },
      branches: () => Array.from(repos.get(repoName)!.branches.keys()).sort(),
      commits: (name = branchName) => {
        const repo = repos.get(repoName)!
        const out = []
        for (let c = repo.commits.get(repo.branches.get(name)?.head ?? ""); c !== undefined; c = repo.commits.get(c.parents[0] ?? "")) {
          out.push({ id: c.id, message: c.message, metadata: c.metadata, changed: Array.from(c.changed).sort() })
        }
        return out
      },
      requests: () => seen.slice()
    } satisfies LakeFsStandInService
  })

/**
 * The environment that points `doip serve` at the stand-in (its `LAKEFS_*` settings).
 *
 * @category accessors
 * @since 0.1.0
 */
export const environment = (standIn: LakeFsStandInService): Record<string, string> => ({
  LAKEFS_URL: standIn.url,
  LAKEFS_REPO: standIn.repo,
  LAKEFS_BRANCH: standIn.branch,
  LAKEFS_USER: standIn.user,
  LAKEFS_PASSWORD: standIn.password
})

/**
 * The stand-in as a service, started with the layer.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options?: Options): Layer.Layer<LakeFsStandIn> => Layer.effect(LakeFsStandIn, make(options))

// internal

interface StoredObject {
  readonly path: string
  readonly blob: Blobs.BlobFile
  readonly mtime: number
  readonly contentType: string
  readonly metadata: Readonly<Record<string, string>>
}

type Tree = ReadonlyMap<string, StoredObject>

interface Commit {
  readonly id: string
  readonly parents: ReadonlyArray<string>
  readonly committer: string
  readonly message: string
  readonly creationDate: number
  readonly metadata: Readonly<Record<string, string>>
  readonly tree: Tree
  /** the paths this commit changed against its first parent */
  readonly changed: ReadonlySet<string>
}

interface Branch {
  head: string
  /** path -> staged object, or `null` for a tombstone */
  readonly staging: Map<string, StoredObject | null>
}

interface Repo {
  readonly creationDate: number
  readonly defaultBranch: string
  readonly branches: Map<string, Branch>
  readonly commits: Map<string, Commit>
}

const createRepo = (repos: Map<string, Repo>, name: string, defaultBranch: string, committer: string): Repo => {
  const creationDate = Math.floor(Date.now() / 1000)
  const initial: Commit = {
    id: randomBytes(32).toString("hex"),
    parents: [],
    committer,
    message: "Repository created",
    creationDate,
    metadata: {},
    tree: new Map(),
    changed: new Set()
  }
  const repo: Repo = {
    creationDate,
    defaultBranch,
    branches: new Map([[defaultBranch, { head: initial.id, staging: new Map() }]]),
    commits: new Map([[initial.id, initial]])
  }
  repos.set(name, repo)
  return repo
}

/** the commit a ref names: a branch's head (`branch@` too) or a commit */
const commitIdOf = (repo: Repo, ref: string): string | undefined => {
  const parsed = parseRef(repo, ref)
  return parsed === undefined || parsed === "invalid" ? undefined : parsed.kind === "staging" ? parsed.branch.head : parsed.id
}

/**
 * A ref as lakeFS resolves it (`pkg/graveler/ref/resolve_ref.go`, `parse_ref.go`): its base is a full commit id
 * (which wins over a branch of that name), else a branch, else a unique prefix of a commit id (1 to 63 hex digits;
 * a prefix two commits share names none). Modifiers follow: `@` (a branch's last commit, without its staged changes;
 * on a branch only, alone), `$` (a branch's staged view, explicitly), `~N` (the first parent, N times) and `^N` (the Nth
 * parent); N defaults to 1. A branch without modifiers reads its staged view. `undefined` when nothing is named,
 * `invalid` for modifiers that do not apply (lakeFS's 400).
 */
const parseRef = (
  repo: Repo,
  ref: string
): { readonly kind: "staging"; readonly branch: Branch; readonly explicit: boolean } | {
  readonly kind: "commit"
  readonly id: string
} | undefined | "invalid" => {
  const split = /^([^~^@$]*)(.*)$/.exec(ref)!
  const [base, modifiers] = [split[1]!, split[2]!]
  const mods = Array.from(modifiers.matchAll(/([~^])(\d*)|([@$])/g))
  if (mods.map((m) => m[0]).join("") !== modifiers) return "invalid"
  const byHash = /^[a-fA-F0-9]{1,64}$/.test(base) ? commitByPrefix(repo, base) : undefined
  const branch = repo.branches.get(base)
  let at: { readonly kind: "staging"; readonly branch: Branch; readonly explicit: boolean } | { readonly kind: "commit"; readonly id: string }
  if (byHash !== undefined && (byHash === base || branch === undefined)) at = { kind: "commit", id: byHash }
  else if (branch !== undefined) at = { kind: "staging", branch, explicit: false }
  else return undefined
  for (const [, walk, count, mark] of mods) {
    if (mark !== undefined) {
      if (at.kind !== "staging" || mods.length !== 1) return "invalid"
      if (mark === "@") at = { kind: "commit", id: at.branch.head }
      else at = { ...at, explicit: true }
      continue
    }
    const n = count === "" ? 1 : Number(count)
    let id = at.kind === "commit" ? at.id : at.branch.head
    if (walk === "~") {
      for (let i = 0; i < n; i++) {
        const parent = repo.commits.get(id)?.parents[0]
        if (parent === undefined) return undefined
        id = parent
      }
    } else if (n > 0) {
      const parent = repo.commits.get(id)?.parents[n - 1]
      if (parent === undefined) return "invalid"
      id = parent
    }
    at = { kind: "commit", id }
  }
  return at
}

/** the one commit whose id starts with `prefix` (the id itself when whole); none when two do */
const commitByPrefix = (repo: Repo, prefix: string): string | undefined => {
  if (repo.commits.has(prefix)) return prefix
  if (prefix.length >= 64) return undefined
  let found: string | undefined
  for (const id of repo.commits.keys()) {
    if (!id.startsWith(prefix)) continue
    if (found !== undefined) return undefined
    found = id
  }
  return found
}

/** the tree of the nearest commit that both `a` and `b` descend from (all parents followed, as lakeFS does) */
const mergeBase = (repo: Repo, a: string, b: string): Tree => {
  const ancestors = new Set<string>()
  for (const queue = [a]; queue.length > 0;) {
    const id = queue.shift()!
    if (ancestors.has(id)) continue
    ancestors.add(id)
    queue.push(...(repo.commits.get(id)?.parents ?? []))
  }
  const seen = new Set<string>()
  for (const queue = [b]; queue.length > 0;) {
    const id = queue.shift()!
    if (ancestors.has(id)) return repo.commits.get(id)!.tree
    if (seen.has(id)) continue
    seen.add(id)
    queue.push(...(repo.commits.get(id)?.parents ?? []))
  }
  return new Map()
}

const viewOf = (branch: Branch, repo: Repo): Tree => {
  const tree = new Map(repo.commits.get(branch.head)!.tree)
  for (const [path, object] of branch.staging) {
    if (object === null) tree.delete(path)
    else tree.set(path, object)
  }
  return tree
}

const changedPaths = (before: Tree, after: Tree): ReadonlySet<string> => {
  const changed = new Set<string>()
  for (const [path, object] of after) if (before.get(path) !== object) changed.add(path)
  for (const path of before.keys()) if (!after.has(path)) changed.add(path)
  return changed
}

/** the changes from `left` to `right`, paginated; with `params`, only those under its `prefix` */
const diffBody = (left: Tree, right: Tree, params = new URLSearchParams()) => {
  const prefix = params.get("prefix") ?? ""
  const paths = Array.from(changedPaths(left, right)).filter((path) => path.startsWith(prefix)).sort()
  return page(paths, (path) => path, params, 1000, (path) => {
    const object = right.get(path)
    return {
      type: object === undefined ? "removed" : left.has(path) ? "changed" : "added",
      path,
      path_type: "object",
      size_bytes: (object ?? left.get(path))!.blob.size
    }
  })
}

const objectStats = (object: StoredObject) => ({
  path: object.path,
  path_type: "object",
  physical_address: Blobs.physicalAddress(object.blob),
  checksum: object.blob.md5,
  size_bytes: object.blob.size,
  mtime: object.mtime,
  metadata: object.metadata,
  content_type: object.contentType
})

const commitBody = (c: Commit) => ({
  id: c.id,
  parents: c.parents,
  committer: c.committer,
  message: c.message,
  creation_date: c.creationDate,
  meta_range_id: "",
  metadata: c.metadata,
  generation: 0,
  version: 1
})

const listObjects = (tree: Tree, params: URLSearchParams) => {
  const prefix = params.get("prefix") ?? ""
  const objects = Array.from(tree.values()).filter((o) => o.path.startsWith(prefix))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return page(objects, (o) => o.path, params, 1000, objectStats)
}

/** the index of the first item whose key sorts after `after` */
const firstAfter = <A>(all: ReadonlyArray<A>, key: (a: A) => string, after: string) => {
  const i = all.findIndex((a) => key(a) > after)
  return i === -1 ? all.length : i
}

/** lakeFS pagination: `after` is exclusive, `amount` at most 1000, `next_offset` the last key given */
const page = <A, B>(
  all: ReadonlyArray<A>,
  key: (a: A) => string,
  params: URLSearchParams,
  defaultAmount: number,
  render: (a: A) => B,
  sorted = true
) => {
  const after = params.get("after") ?? ""
  const amount = Math.min(1000, Math.max(1, Number(params.get("amount") ?? defaultAmount) || defaultAmount))
  // listings sorted by key seek past `after`, present or not (lakeFS's); a log finds it, or gives nothing
  const start = after === "" ? 0 : sorted ? firstAfter(all, key, after) : all.findIndex((a) => key(a) === after) + 1
  const slice = after !== "" && start === 0 && !sorted ? [] : all.slice(start, start + amount)
  const hasMore = start + amount < all.length && slice.length > 0
  return {
    pagination: {
      has_more: hasMore,
      next_offset: hasMore ? key(slice[slice.length - 1]!) : "",
      results: slice.length,
      max_per_page: 1000
    },
    results: slice.map(render)
  }
}

const upload = (
  req: Http.IncomingMessage,
  res: Http.ServerResponse,
  blobs: string,
  branch: Branch,
  path: string
) => {
  if (path === "") return send(res, 400, { message: "path is required" })
  Blobs.receive(req, blobs, (blob) => {
    // a broken upload has no one to answer to
    if (blob === undefined) return
    const metadata: Record<string, string> = {}
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith("x-lakefs-meta-") && typeof value === "string") metadata[name.slice(14)] = value
    }
    const object: StoredObject = {
      path,
      blob,
      mtime: Math.floor(Date.now() / 1000),
      contentType: req.headers["content-type"] ?? "application/octet-stream",
      metadata
    }
    branch.staging.set(path, object)
    send(res, 201, objectStats(object))
  })
}

const download = (
  req: Http.IncomingMessage,
  res: Http.ServerResponse,
  object: StoredObject | undefined,
  cutAfter: number | undefined
) => {
  if (object === undefined) return notFound(res)
  const size = object.blob.size
  const headers = {
    "content-type": object.contentType,
    etag: `"${object.blob.md5}"`,
    "last-modified": new Date(object.mtime * 1000).toUTCString()
  }
  const range = Blobs.parseRange(req.headers.range, size)
  if (range === "unsatisfiable") {
    return send(res, 416, { message: "Requested Range Not Satisfiable" }, { "content-range": `bytes */${size}` })
  }
  if (cutAfter !== undefined) {
    res.writeHead(200, { ...headers, "content-length": size })
    return Blobs.sendCut(res, object.blob, cutAfter)
  }
  if (range === undefined) {
    res.writeHead(200, { ...headers, "content-length": size })
    return Blobs.send(res, object.blob)
  }
  const [start, end] = range
  res.writeHead(206, { ...headers, "content-length": end - start + 1, "content-range": `bytes ${start}-${end}/${size}` })
  Blobs.send(res, object.blob, range)
}

const readJson = (
  req: Http.IncomingMessage,
  res: Http.ServerResponse,
  handle: (body: Record<string, unknown>) => void
) => {
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", () => {
    let body: unknown
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"))
    } catch {
      return send(res, 400, { message: "request body is not JSON" })
    }
    if (typeof body !== "object" || body === null) return send(res, 400, { message: "request body is not an object" })
    handle(body as Record<string, unknown>)
  })
}

const isStringRecord = (u: unknown): u is Record<string, string> =>
  typeof u === "object" && u !== null && Object.values(u).every((v) => typeof v === "string")

const notFound = (res: Http.ServerResponse) => send(res, 404, { message: "not found" })

const send = (res: Http.ServerResponse, status: number, body?: unknown, headers?: Record<string, string>) => {
  if (body === undefined) return void res.writeHead(status, headers).end()
  const text = JSON.stringify(body)
  res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  res.end(text)
}
