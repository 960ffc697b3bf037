/**
 * `Storage` over a lakeFS repository, through its REST API v1 (`{url}/api/v1`) with HTTP Basic auth.
 *
 * A write streams the content into `POST …/branches/{branch}/objects` (never buffered whole) while it is counted and
 * hashed, then stages a checksum marker beside it; `commit` commits the branch with message and metadata. `spool`
 * receives content into a local file of `Options.spoolDirectory` instead, and `stage` uploads it from there, so that
 * a slow client's upload keeps no writer waiting that must stage after it. Reads
 * (`stat`, `read`, `list`, `objects`) use the ref `{branch}@`, the branch's last commit without its staged changes, so
 * a staged write stays invisible until committed, as the contract wants. `history` is the log of commits that changed
 * the object's folder. `at` reads an earlier commit the same way, through the ref `{commitId}` (after `GET
 * /commits/{commitId}` has said it exists), and `changes` is the diff of the object's folder between a commit and its
 * first parent.
 *
 * The server itself never stages on the branch: `writeBranch` gives each change a branch of its own
 * (`doip-write-<time>-<random>`, from the branch's head), on which it stages and commits, and that commit is merged
 * into the branch as one squashed commit carrying the change's message and metadata. So several writers, in this
 * process or in other servers on the same branch, run at once, and each commit on the branch holds one change and
 * nothing of another's. `versions` (the head, read once per round trip however many ask; a diff per object) lets
 * the manifest caches of several servers follow each other's writes.
 *
 * **Details**
 *
 * - A component lives at `{shard}/components/{componentId}` (`ObjectId.componentPath`). Its SHA-256 is known only
 *   once the upload has streamed, too late for the upload's own `X-Lakefs-Meta-*` headers, so it is kept as the user
 *   metadata `sha256` of an empty marker object `{shard}/checksums/{componentId}`, staged, removed, reset and
 *   committed together with the component.
 * - `modified` of a committed component is the creation date of the last commit that changed it (one log call per
 *   component), so `stat` after a commit agrees with that commit.
 * - `remove` stats the branch first: a component neither committed nor staged, or whose deletion is staged already,
 *   is `NotFound`. A committed component is deleted (a staged tombstone); one that is only staged is reset.
 * - Errors: 404 is `NotFound`; 401/403 is `Unauthorized` (the server's lakeFS credentials are wrong); 5xx and
 *   connection failures are retried with exponential backoff for reads, stat, delete and reset, then `Unavailable`.
 *   Uploads and commits are not retried (a stream cannot be replayed; a commit is not idempotent).
 * - Timeouts (`Options.timeout`): a call that has no answer within it, retries included, is `Unavailable`, so a
 *   lakeFS that hangs cannot hang a client. That holds for stat, list, log, delete, reset, the checksum marker's
 *   upload, the commit, and the content: `open` (and `read`) waits for the answer's head that long, then for each
 *   further piece of the body. `open` returns only once lakeFS has answered 200, so a listener knows the content is
 *   there before it announces it.
 * - A path that also changed on the branch since the write branch was made is a merge conflict: lakeFS applies
 *   nothing, and the change fails with `Conflict` (which `ComponentWriter` makes again from the start). lakeFS answers
 *   429 when the branch kept moving under its own retries: the merge is tried again (`retries`, with
 *   jittered back-off). A merge whose answer is lost is looked for on the branch as a commit is (next).
 * - A write branch is deleted when its change ends, committed or not. One that a crash left (or whose deletion
 *   failed) is deleted by a sweep, at start and hourly, once older than `Options.staleWriteBranchAfter` (by the time
 *   in its name), so that no other server's write in flight loses its branch.
 * - A commit whose answer is lost (no answer in time, the connection broken after the request went out, a 5xx, an
 *   answer that cannot be read) may have happened all the same. Each commit carries a fresh id in its metadata
 *   (`doip_write_id`, left out of the `CommitInfo` that `commit` and `history` give), and after a lost answer the
 *   branch's newest commits are read for it: found, the commit succeeded and that commit is the answer; not found,
 *   the commit failed, with the error it met (the caller resets what it staged); and when the branch cannot be read
 *   either, the commit fails with `OutcomeUnknown`, which says that it may or may not have happened. A lakeFS that
 *   was cut off mid-commit ends it soon (the request's context is cancelled), so when there was no answer at all
 *   (or a gateway's 502/504) the branch is read three more times, 2, 4 and 8 times `retryDelayMillis` apart (1.4 s
 *   in all by default), before "not found" counts. A commit is never sent twice: a second try could land beside the
 *   first, and one that failed for sure is the caller's to repeat.
 * - At start (`Options.resetUncommittedOnStart`, default on) the layer resets every uncommitted change on the branch:
 *   what an older server, which staged on the branch itself, left when killed between staging and committing, and
 *   what others stage there by hand. lakeFS refuses to merge into a branch with uncommitted changes, so until they
 *   are gone no write succeeds. When lakeFS cannot be reached at start the server starts all the same, and the reset
 *   is made before the first write instead (which fail until it works).
 *
 * **Gotchas**
 *
 * - A component written with `write` (content the server makes, streamed as it comes) has no upload timeout; one
 *   staged from a spool file has the timeout plus its bytes at 1 MB/s.
 * - A lakeFS that completes a commit only after the branch was read for it (beyond the timeout and the looks after
 *   it) turns a commit reported as failed into one that happened. The looks make that unlikely, not impossible.
 * - The commit id lookup reads the newest 100 commits of the branch: with more commits after ours in the few seconds
 *   of a lookup (many writers on one branch), ours would be missed and reported as not applied.
 * - A write costs four calls more than staging on the branch would (create, merge, read the merged commit, delete):
 *   about 8 ms against the stand-in on this machine.
 * - A component written by someone else, without a checksum marker, reports lakeFS's own checksum as `md5:<etag>`.
 * - `list` and `stat` cost one log call per component besides the listing.
 *
 * @since 0.1.0
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Deferred from "effect/Deferred"
import * as FileSystem from "effect/FileSystem"
import { flow } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import type * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Semaphore from "effect/Semaphore"
import * as Stream from "effect/Stream"
import * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import { randomUUID } from "node:crypto"
import { redactUrl } from "../config/Redact.ts"
import * as ObjectId from "./ObjectId.ts"
import {
  type CommitInfo,
  type ComponentChange,
  type ComponentStat,
  type Snapshot,
  type Spooled,
  Storage,
  StorageError,
  type WriteBranch
} from "./Storage.ts"
import { makeSpooler } from "./internal/spoolFile.ts"
import {
  clamp,
  locate,
  type Location,
  measure,
  notFound,
  notFoundAt,
  now,
  openFromStream,
  parseObject,
  parseVersion,
  notOnBranch,
  tooManyAfter,
  versionNotFound
} from "./internal/storageCommon.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** the lakeFS server, for example `http://127.0.0.1:8000` (a trailing `/api/v1` is accepted) */
  readonly url: string
  readonly repo: string
  readonly branch: string
  /** the access key id */
  readonly user: string
  /** the secret access key */
  readonly password: Redacted.Redacted<string>
  /** how often a failed read is retried before it is `Unavailable`; default 4 */
  readonly retries?: number | undefined
  /** the first retry delay, doubled on every further one; default 100 ms */
  readonly retryDelayMillis?: number | undefined
  /**
   * how long a call may wait for lakeFS, retries included, and a read for each piece of content, before it is
   * `Unavailable`; default 30 seconds. Uploads of content wait as long as they take; a commit without an answer in
   * time is looked for on the branch (see above).
   */
  readonly timeout?: Duration.Input | undefined
  /**
   * whether the layer resets the branch's uncommitted changes when it starts (what an older, killed server left
   * staged); default true. The servers of today stage on write branches only, so several may share a branch with it on.
   */
  readonly resetUncommittedOnStart?: boolean | undefined
  /**
   * how old a write branch (`doip-write-…`, one per change, deleted when it ends) must be before the layer takes it
   * for the leftover of a crashed write and deletes it; default 24 hours, at least a minute. Longer than any write
   * takes: another server's write in flight must not lose its branch.
   */
  readonly staleWriteBranchAfter?: Duration.Input | undefined
  /**
   * where `spool` keeps content until it is staged: a directory of this storage alone, emptied at start (of what a
   * crash left); default a fresh directory in the system's temp folder, removed when the storage closes
   */
  readonly spoolDirectory?: string | undefined
}

/**
 * A `Storage` on the branch `options.branch`. It starts even when lakeFS cannot be reached (an unreachable lakeFS must
 * not keep the server from starting; `check` says what is wrong), and the first `Unauthorized` is logged as a warning
 * with the fix, once.
 *
 * Before it serves, it resets the branch's uncommitted changes (unless `resetUncommittedOnStart` is false), logging
 * how many: no write of this server stages there (each has a write branch), so what is staged was left by an older
 * server or by hand, and no client was told it had succeeded. The sweep of old write branches runs beside it.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function*(options: Options) {
  const fs = yield* FileSystem.FileSystem
  const spooler = makeSpooler(
    fs,
    options.spoolDirectory ?? (yield* fs.makeTempDirectoryScoped({ prefix: "effect-doip-spool-" }).pipe(
      Effect.mapError((cause) => new StorageError({ kind: "Unavailable", message: `cannot make a spool directory: ${cause.message}`, cause }))
    ))
  )
  if (options.spoolDirectory !== undefined) yield* spooler.prepare
  const branch = options.branch
  const repoUrl = repositoryUrl(options)
  const client = (yield* HttpClient.HttpClient).pipe(
    HttpClient.mapRequest(flow(
      HttpClientRequest.prependUrl(repoUrl),
      HttpClientRequest.basicAuth(options.user, options.password),
      HttpClientRequest.acceptJson
    )),
    HttpClient.filterStatusOk
  )
  const retrying = client.pipe(HttpClient.retryTransient({
    retryOn: "errors-only",
    schedule: Schedule.exponential(`${options.retryDelayMillis ?? 100} millis`),
    times: options.retries ?? 4
  }))
  const retryDelayMillis = options.retryDelayMillis ?? 100
  const timeout = Duration.fromInputUnsafe(options.timeout ?? "30 seconds")
  /** the call, failing with a `TimeoutError` (and aborting its request) when lakeFS has not answered in time */
  const timed = <A, E, R>(call: Effect.Effect<A, E, R>) => Effect.timeout(call, timeout)
  const branchUrl = `/branches/${encodeURIComponent(branch)}`
  /** the branch's last commit, without staged changes */
  const committed = `/refs/${encodeURIComponent(`${branch}@`)}`
  /** the branch with its staged changes */
  const staged = `/refs/${encodeURIComponent(branch)}`

  const failure = (what: string, path?: string, missing: (path: string) => StorageError = notFound) =>
  (error: HttpClientError.HttpClientError | Schema.SchemaError | Cause.TimeoutError) => {
    if (Cause.isTimeoutError(error)) {
      return new StorageError({
        kind: "Unavailable",
        message: `lakeFS ${what} failed: no answer within ${Duration.format(timeout)}`
      })
    }
    const status = error._tag === "HttpClientError" ? error.response?.status : undefined
    if (status === 404 && path !== undefined) return missing(path)
    if (status === 401 || status === 403) {
      return new StorageError({
        kind: "Unauthorized",
        message: `lakeFS rejected the server's credentials (HTTP ${status}) for ${what}: ` +
          `the server's lakeFS access key or secret is wrong`,
        cause: causeOf(error)
      })
    }
    const why = error._tag === "SchemaError"
      ? "unexpected answer"
      : status === undefined
      ? error.reason._tag
      : `HTTP ${status}`
    return new StorageError({ kind: "Unavailable", message: `lakeFS ${what} failed: ${why}`, cause: causeOf(error) })
  }

  const getJson = <S extends Schema.Constraint>(
    schema: S,
    url: string,
    urlParams: Record<string, string | ReadonlyArray<string>>,
    what: string,
    path?: string,
    missing?: (path: string) => StorageError
  ): Effect.Effect<S["Type"], StorageError, S["DecodingServices"]> =>
    retrying.get(url, { urlParams }).pipe(
      Effect.flatMap(HttpClientResponse.schemaBodyJson(schema)),
      timed,
      Effect.mapError(failure(what, path, missing))
    )

  const statAt = (ref: string, path: string, missing?: (path: string) => StorageError) =>
    getJson(ObjectStats, `${ref}/objects/stat`, { path }, `stat of ${path}`, path, missing)

  const exists = (ref: string, path: string) =>
    statAt(ref, path).pipe(
      Effect.as(true),
      Effect.catchIf((e) => e.kind === "NotFound", () => Effect.succeed(false))
    )

  /** reads that end with the scope that opened them: lakeFS's answer is aborted then, read to its end or not */
  const scoped = retrying.pipe(HttpClient.withScope)

  /**
   * The reads of the commit `ref` names (`{branch}@`, the branch's last commit; or a commit id), with its log read at
   * `logRef` (the branch, or that commit); a component that is not there is `missing(path)`.
   */
  const readerAt = (ref: string, logRef: string, missing: (path: string) => StorageError = notFound) => {
    /** every object under `prefix`, following the pagination */
    const listAll = (prefix: string) =>
      allPages((after) =>
        getJson(page(ObjectStats), `${ref}/objects/ls`, { prefix, after, amount: "1000" }, `listing of ${prefix}`)
      )

    /** the commits that changed `path` (exactly) or anything under `prefix`, newest first */
    const logOf = (filter: { readonly objects: string } | { readonly prefixes: string }, amount: number) =>
      allPages(
        (after) =>
          getJson(page(LakeFsCommit), `${logRef}/commits`, { ...filter, after, amount: String(amount) }, "commit log"),
        amount === 1 ? 1 : Infinity
      )

    /** creation date of the last commit that changed `path`, or the object's own mtime when the log has none */
    const modifiedOf = (path: string, mtime: number) =>
      Effect.map(logOf({ objects: path }, 1), (commits) => isoDate(commits[0]?.creation_date ?? mtime))

    const checksumOf = (at: Location, object: typeof ObjectStats.Type) =>
      statAt(ref, checksumPath(at)).pipe(
        Effect.map((marker) => sha256Of(marker) ?? `md5:${object.checksum}`),
        Effect.catchIf((e) => e.kind === "NotFound", () => Effect.succeed(`md5:${object.checksum}`))
      )

    const componentStat = (at: Location, object: typeof ObjectStats.Type, checksum: string) =>
      Effect.map(modifiedOf(at.path, object.mtime), (modified): ComponentStat => ({
        ...at,
        size: object.size_bytes,
        mediaType: object.content_type ?? "application/octet-stream",
        checksum,
        modified
      }))

    const stat = Effect.fnUntraced(function*(objectId: string, componentId: string) {
      const at = yield* locate(objectId, componentId)
      const object = yield* statAt(ref, at.path, missing)
      return yield* componentStat(at, object, yield* checksumOf(at, object))
    })

    /**
     * The content of the committed object at `path`, of `size` bytes, from `start` to `end` (exclusive), once lakeFS
     * has answered 200 (a 404 is `NotFound`, a 5xx `Unavailable`, after the retries): its body, each piece of which
     * must come within the timeout.
     */
    const contentAt = (path: string, size: number, [start, end]: readonly [number, number]) => {
      const what = `read of ${path}`
      if (start >= end) return Effect.succeed(Stream.empty)
      const request = HttpClientRequest.get(`${ref}/objects`, { urlParams: { path } }).pipe(
        start === 0 && end === size ? (r) => r : HttpClientRequest.setHeader("range", `bytes=${start}-${end - 1}`)
      )
      return scoped.execute(request).pipe(
        timed,
        Effect.mapError(failure(what, path, missing)),
        Effect.map((response) =>
          response.stream.pipe(
            Stream.mapError(failure(what, path, missing)),
            // per piece, not for the whole body: a large component may take long, but never stall
            Stream.timeoutOrElse({
              duration: timeout,
              orElse: () => Stream.fail(failure(what, path)(new Cause.TimeoutError()))
            })
          )
        )
      )
    }

    /** `[start, end)` of the committed component and its location, or the `NotFound` of its stat */
    const extentOf = (objectId: string, componentId: string, range: { start: number; end: number } | undefined) =>
      Effect.flatMap(locate(objectId, componentId), (at) =>
        Effect.map(statAt(ref, at.path, missing), (object) => ({
          at,
          size: object.size_bytes,
          extent: clamp(object.size_bytes, range)
        })))

    const read = (objectId: string, componentId: string, range?: { start: number; end: number }) =>
      Stream.unwrap(
        Effect.flatMap(extentOf(objectId, componentId, range), ({ at, extent, size }) => contentAt(at.path, size, extent))
      )

    const open = (objectId: string, componentId: string, range?: { start: number; end: number }) =>
      Effect.gen(function*() {
        const { at, extent: [start, end], size } = yield* extentOf(objectId, componentId, range)
        return yield* openFromStream(end - start, yield* contentAt(at.path, size, [start, end]))
      })

    const list = Effect.fnUntraced(function*(objectId: string) {
      const id = yield* parseObject(objectId)
      const prefix = ObjectId.componentsPrefix(id)
      const [objects, markers] = yield* Effect.all([listAll(prefix), listAll(`${ObjectId.shard(id)}/checksums/`)], {
        concurrency: 2
      })
      const sums = new Map(markers.map((m) => [m.path.slice(m.path.lastIndexOf("/") + 1), sha256Of(m)]))
      const components = objects.filter((o) =>
        !o.path.slice(prefix.length).includes("/") && !ObjectId.isReserved(o.path.slice(prefix.length))
      )
      return yield* Effect.forEach(components, (object) => {
        const componentId = object.path.slice(prefix.length)
        const at = { objectId: id, componentId, path: object.path }
        return componentStat(at, object, sums.get(componentId) ?? `md5:${object.checksum}`)
      }, { concurrency: 8 })
    })

    const history = (objectId: string) =>
      Effect.flatMap(parseObject(objectId), (id) =>
        Effect.map(logOf({ prefixes: `${ObjectId.shard(id)}/` }, 1000), (commits) => commits.map(commitInfo)))

    return { stat, open, read, list, history, listAll }
  }

  /** the branch's last commit */
  const current = readerAt(committed, staged)

  /** what the commit `version` holds; `NotFound` when lakeFS has no such commit */
  const at = (version: string): Effect.Effect<Snapshot, StorageError> =>
    Effect.gen(function*() {
      const id = yield* parseVersion(version)
      const commit = yield* commitById(id, () => versionNotFound(id))
      // lakeFS takes a commit id as a ref; the one it answered with, as a 64-digit id, names no branch
      const ref = `/refs/${encodeURIComponent(commit.id)}`
      const { history, list, open, read, stat } = readerAt(ref, ref, (path) => notFoundAt(path, commit.id))
      return { commit, stat, open, read, list, history }
    })

  /**
   * What `commit` changed of the object, against its first parent: the diff of the object's folder between the two
   * (one call a page); for a first commit, everything it holds there.
   */
  const changes = (objectId: string, commit: CommitInfo) =>
    Effect.gen(function*() {
      const id = yield* parseObject(objectId)
      const version = yield* parseVersion(commit.id)
      const prefix = ObjectId.componentsPrefix(id)
      const parent = commit.parents[0]
      const ref = `/refs/${encodeURIComponent(version)}`
      const entries = parent === undefined
        ? (yield* readerAt(ref, ref).listAll(prefix)).map((object) => ({ path: object.path, type: "added" }))
        : yield* allPages((after) =>
          getJson(
            page(DiffEntry),
            `/refs/${encodeURIComponent(parent)}/diff/${encodeURIComponent(version)}`,
            { prefix, after, amount: "1000", type: "two_dot" },
            `diff of ${id} in commit ${version}`,
            version,
            () => versionNotFound(version)
          )
        )
      const out: Array<ComponentChange> = []
      for (const entry of entries) {
        const componentId = entry.path.slice(prefix.length)
        if (!entry.path.startsWith(prefix) || componentId === "" || componentId.includes("/")) continue
        out.push({ componentId, change: entry.type === "added" || entry.type === "removed" ? entry.type : "changed" })
      }
      return out.sort((a, b) => (a.componentId < b.componentId ? -1 : a.componentId > b.componentId ? 1 : 0))
    })

  /**
   * The calls that change a branch: the storage's own, or a write branch (`writeBranch`). Their reads of the branch
   * itself (`remove`'s stat, a lost commit's lookup) read `name`, never the storage's branch.
   */
  const onBranch = (name: string, shown = `branch ${name}`) => {
    const branchUrl = `/branches/${encodeURIComponent(name)}`
    const committed = `/refs/${encodeURIComponent(`${name}@`)}`
    const staged = `/refs/${encodeURIComponent(name)}`
    const upload = (
      path: string,
      body: Stream.Stream<Uint8Array, unknown>,
      contentType: string,
      headers: Record<string, string>,
      contentLength?: number,
      limit: <A, E>(call: Effect.Effect<A, E>) => Effect.Effect<A, E | Cause.TimeoutError> = (call) => call
    ) =>
      client.execute(
        HttpClientRequest.post(`${branchUrl}/objects`, { urlParams: { path }, headers }).pipe(
          HttpClientRequest.bodyStream(body, { contentType, contentLength })
        )
      ).pipe(limit, Effect.mapError(failure(`upload of ${path}`)))

    const write: Storage["Service"]["write"] = (objectId, componentId, mediaType, content, options) =>
      Effect.gen(function*() {
        const at = yield* locate(objectId, componentId)
        const queue = yield* Queue.bounded<Uint8Array, Cause.Done>(16)
        // copies: the caller may reuse the buffers behind these views once they are handed on
        const feed = measure(content, options, (chunks) => Queue.offerAll(queue, chunks.map((c) => c.slice()))).pipe(
          Effect.tap(() => Queue.end(queue))
        )
        // when the content fails or breaks an option, `all` interrupts the upload: lakeFS stages nothing of a cut request
        const [{ hex, size }] = yield* Effect.all(
          [feed, upload(at.path, Stream.fromQueue(queue), mediaType, {}, options?.expectedSize)],
          { concurrency: 2 }
        )
        yield* mark(at, hex)
        return { ...at, size, mediaType, checksum: `sha256:${hex}`, modified: yield* now } satisfies ComponentStat
      })

    /** stages the checksum marker of the component just uploaded to `at` */
    const mark = (at: Location, hex: string) =>
      // an empty body: unlike the content's upload, its answer is due at once
      upload(checksumPath(at), Stream.empty, "application/octet-stream", { "x-lakefs-meta-sha256": hex }, 0, timed).pipe(
        // a component without its marker would report the wrong checksum: undo it
        Effect.tapError(() => Effect.ignore(resetPath(at.path)))
      )


    const stage = (objectId: string, componentId: string, mediaType: string, spooled: Spooled) =>
      Effect.gen(function*() {
        const at = yield* locate(objectId, componentId)
        const file = yield* spooler.fileOf(spooled)
        // the content is here already, so its upload is the server's own business and has a deadline: the timeout,
        // plus its bytes at 1 MB/s (a lakeFS that stops reading would otherwise hold the write lock for good)
        const deadline = Duration.sum(timeout, Duration.millis(file.size / UPLOAD_BYTES_PER_MILLI))
        yield* upload(at.path, spooler.read(file), mediaType, {}, file.size, (call) => Effect.timeout(call, deadline))
        yield* mark(at, file.hex)
        return { ...at, size: file.size, mediaType, checksum: spooled.checksum, modified: yield* now } satisfies ComponentStat
      })

    const resetPath = (path: string) =>
      retrying.execute(
        HttpClientRequest.put(branchUrl).pipe(HttpClientRequest.bodyJsonUnsafe({ type: "object", path }))
      ).pipe(timed, Effect.mapError(failure(`reset of ${path}`)))

    const deletePath = (path: string) =>
      retrying.execute(HttpClientRequest.delete(`${branchUrl}/objects`, { urlParams: { path } })).pipe(
        timed,
        Effect.mapError(failure(`delete of ${path}`))
      )

    const both = (at: Location, f: (path: string) => Effect.Effect<unknown, StorageError>) =>
      Effect.asVoid(Effect.all([f(at.path), f(checksumPath(at))], { concurrency: 2 }))

    const remove = Effect.fnUntraced(function*(objectId: string, componentId: string) {
      const at = yield* locate(objectId, componentId)
      yield* statAt(staged, at.path)
      yield* both(at, (yield* exists(committed, at.path)) ? deletePath : resetPath)
    })

    /**
     * Commits what is staged, with a fresh `doip_write_id` in the metadata. An answer that says the commit was refused
     * (4xx) is its failure; when the answer is lost, the branch says whether the commit happened (`outcomeOf`).
     */
    const commit = (message: string, metadata: Readonly<Record<string, string>>) =>
      Effect.suspend(() => {
        const writeId = randomUUID()
        const body = { message, metadata: { ...metadata, [WRITE_ID]: writeId } }
        return client.execute(HttpClientRequest.post(`${branchUrl}/commits`).pipe(HttpClientRequest.bodyJsonUnsafe(body)))
          .pipe(
            Effect.flatMap(HttpClientResponse.schemaBodyJson(LakeFsCommit)),
            timed,
            Effect.map(commitInfo),
            Effect.catch((error) => {
              if (error._tag === "HttpClientError" && error.response?.status === 400) {
                return Effect.fail(
                  new StorageError({ kind: "NoChanges", message: `nothing staged on ${shown}`, cause: causeOf(error) })
                )
              }
              const lost = answerLost(error)
              return lost === "no" ? Effect.fail(failure("commit")(error)) : outcomeOf(writeId, error, lost === "settled")
            })
          )
      })

    /** the branch's newest commits, for the one carrying `writeId` */
    const findCommit = (writeId: string) =>
      Effect.map(
        getJson(page(LakeFsCommit), `${staged}/commits`, { amount: String(LOOKUP_DEPTH) }, "commit log"),
        ({ results }) => results.find((c) => c.metadata?.[WRITE_ID] === writeId)
      )

    /**
     * What became of the commit carrying `writeId` whose answer was lost with `error`: the commit, when the branch has
     * it; else `error`'s failure. When lakeFS may still be working on it (`settled` false: it never answered), it is
     * looked for three more times, 2, 4 and 8 times `retryDelayMillis` apart. `OutcomeUnknown` when the branch cannot
     * be read. `what` names the call for messages: the commit (default), or the merge that made it.
     */
    const outcomeOf = (
      writeId: string,
      error: HttpClientError.HttpClientError | Schema.SchemaError | Cause.TimeoutError,
      settled: boolean,
      what = "commit"
    ): Effect.Effect<CommitInfo, StorageError> => {
      const lost = failure(what)(error)
      const unknown = (lookup: StorageError) =>
        new StorageError({
          kind: "OutcomeUnknown",
          message: `lakeFS ${what} on ${shown}: its answer was lost (${
            lost.message.slice(`lakeFS ${what} failed: `.length)
          }) and the branch cannot be read to learn whether it was applied (${lookup.message})`,
          cause: lookup
        })
      const looks = settled ? 1 : SETTLE_LOOKS
      const look = (n: number): Effect.Effect<CommitInfo, StorageError> =>
        findCommit(writeId).pipe(
          Effect.mapError(unknown),
          Effect.flatMap((found) => {
            if (found !== undefined) return Effect.succeed(commitInfo(found))
            if (n + 1 < looks) return Effect.andThen(Effect.sleep(Duration.millis(2 * retryDelayMillis * 2 ** n)), look(n + 1))
            return Effect.fail(
              settled
                ? lost
                : new StorageError({ kind: lost.kind, message: `${lost.message}; the branch shows it was not applied`, cause: lost.cause })
            )
          })
        )
      return look(0)
    }

    const reset = (objectId: string, componentId: string) =>
      Effect.flatMap(locate(objectId, componentId), (at) => both(at, resetPath))

    return { write, stage, remove, commit, reset, resetPath, outcomeOf }
  }

  const spool: Storage["Service"]["spool"] = (content, writeOptions) => spooler.spool(content, writeOptions)
  const main = onBranch(branch)

  const objects = () =>
    Effect.map(current.listAll(""), (all) => {
      const ids = new Set<string>()
      for (const object of all) {
        const match = /^\d{2}\/\d{2}\/\d{2}\/(Q\d+)\/components\/[^/]+$/.exec(object.path)
        if (match !== null) ids.add(match[1]!)
      }
      return Array.from(ids).sort((a, b) => {
        const [x, y] = [ObjectId.shard(a), ObjectId.shard(b)]
        return x < y ? -1 : x > y ? 1 : 0
      })
    })

  // wrong credentials fail every request alike: say so, with the fix, once rather than on every request
  let warned = false
  const warnOnce = (error: StorageError): Effect.Effect<void> => {
    if (error.kind !== "Unauthorized" || warned) return Effect.void
    warned = true
    return Effect.logWarning(`${error.message}; set LAKEFS_USER and LAKEFS_PASSWORD (or lakefs.user and ` +
      `lakefs.password in config.yaml) to an access key of ${redactUrl(options.url)} that may read and write ${options.repo}`)
  }
  const logged = <A, R>(effect: Effect.Effect<A, StorageError, R>) => Effect.tapError(effect, warnOnce)

  /** every uncommitted change on the branch, following the pagination */
  const uncommittedChanges = allPages((after) =>
    getJson(page(DiffEntry), `${branchUrl}/diff`, { after, amount: "1000" }, "listing of uncommitted changes")
  )

  /** resets every uncommitted change on the branch, logging how many there were (see `make` for why) */
  const resetUncommitted = Effect.gen(function*() {
    const changes = yield* uncommittedChanges
    if (changes.length === 0) return
    yield* Effect.forEach(changes, (change) => main.resetPath(change.path), { concurrency: 8, discard: true })
    const shown = changes.slice(0, 5).map((change) => change.path).join(", ")
    yield* Effect.logWarning(
      `reset ${changes.length} uncommitted change${changes.length === 1 ? "" : "s"} on lakeFS branch ${branch} ` +
        `that an earlier run left staged and never committed (${shown}${changes.length > 5 ? ", ..." : ""})`
    )
  })

  // until the reset has worked, nothing may be staged: the reset would take it along, and a commit before it would
  // publish the leftovers
  let resetPending = options.resetUncommittedOnStart ?? true
  const resetLock = yield* Semaphore.make(1)
  const resetLeftovers: Effect.Effect<void, StorageError> = Effect.suspend(() =>
    resetPending
      ? resetLock.withPermit(Effect.suspend(() =>
        resetPending
          ? Effect.tap(resetUncommitted, () =>
            Effect.sync(() => {
              resetPending = false
            }))
          : Effect.void
      ))
      : Effect.void
  )
  /** `effect`, once the leftovers of an earlier run are reset */
  const afterReset = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | StorageError, R> =>
    Effect.andThen(
      Effect.mapError(resetLeftovers, (error) =>
        new StorageError({
          kind: error.kind,
          message: `uncommitted changes an earlier run left on branch ${branch} cannot be reset (${error.message}); ` +
            `nothing is staged until they are`,
          cause: error
        })),
      effect
    )
  yield* resetLeftovers.pipe(
    Effect.tapError(warnOnce),
    Effect.catch((error) =>
      Effect.logWarning(
        `could not reset the uncommitted changes on lakeFS branch ${branch} at start (${error.message}); ` +
          `the first write resets them`
      )
    )
  )

  /** a fresh write branch from the branch's head, deleted with the scope */
  const openWriteBranch = Effect.gen(function*() {
    const name = writeBranchName(yield* Clock.currentTimeMillis)
    // the deletion is due before the creation is sent: a creation whose answer is lost (or late) may have made it
    yield* Effect.addFinalizer(() => deleteBranch(name))
    yield* retrying.execute(
      HttpClientRequest.post("/branches").pipe(HttpClientRequest.bodyJsonUnsafe({ name, source: branch }))
    ).pipe(
      // the name is fresh: a 409 says that a try whose answer was lost made it
      Effect.catchIf((error) => error.response?.status === 409, () => Effect.void),
      timed,
      Effect.mapError(failure("creation of a write branch"))
    )
    return name
  })

  const deleteBranch = (name: string) =>
    retrying.execute(HttpClientRequest.delete(`/branches/${encodeURIComponent(name)}`)).pipe(
      timed,
      Effect.asVoid,
      // gone already (a creation that never happened, another server's sweep): nothing to do
      Effect.catchIf((error) => error._tag === "HttpClientError" && error.response?.status === 404, () => Effect.void),
      Effect.mapError(failure(`deletion of write branch ${name}`)),
      // logged only, never answered to a client: a branch left behind holds nothing anyone sees
      Effect.catch((error) => Effect.logWarning(`${error.message}; the sweep removes it later`))
    )

  /** the commit `id` of the repository, for the merge's answer, which names only it */
  const commitById = (id: string, missing?: () => StorageError) =>
    getJson(LakeFsCommit, `/commits/${encodeURIComponent(id)}`, {}, `reading commit ${id}`, missing === undefined ? undefined : id, missing).pipe(
      Effect.map(commitInfo)
    )

  /**
   * Merges the write branch `name` into the branch as one squashed commit carrying `message` and `metadata` (and a
   * fresh `doip_write_id`, to find it should the answer be lost). A path that changed on both sides since the write
   * branch was made is a conflict (409): nothing is merged, and the change fails with `Conflict`, for its writer to
   * make again on what the branch holds now (another server may have deleted or created the object meanwhile).
   * lakeFS answers 429 when the branch kept moving under its retries (many merges at once): tried again.
   */
  const merge = (name: string, message: string, metadata: Readonly<Record<string, string>>) =>
    Effect.suspend(() => {
      const writeId = randomUUID()
      const body = {
        message,
        metadata: { ...metadata, [WRITE_ID]: writeId },
        squash_merge: true
      }
      const request = HttpClientRequest.post(`/refs/${encodeURIComponent(name)}/merge/${encodeURIComponent(branch)}`)
        .pipe(HttpClientRequest.bodyJsonUnsafe(body))
      return client.execute(request).pipe(
        Effect.flatMap(HttpClientResponse.schemaBodyJson(MergeResult)),
        timed,
        Effect.retry({
          while: (error) => error._tag === "HttpClientError" && error.response?.status === 429,
          schedule: Schedule.exponential(`${retryDelayMillis} millis`).pipe(Schedule.jittered),
          times: options.retries ?? 4
        }),
        Effect.flatMap(({ reference }) =>
          commitById(reference).pipe(
            // merged for sure: when its details cannot be read, say what is known
            Effect.orElseSucceed((): CommitInfo => ({
              id: reference,
              parents: [],
              message,
              metadata,
              committer: options.user,
              creationDate: new Date().toISOString()
            }))
          )
        ),
        Effect.catch((error) => {
          if (error instanceof StorageError) return Effect.fail(error)
          if (error._tag === "HttpClientError" && error.response?.status === 409) {
            return Effect.fail(
              new StorageError({
                kind: "Conflict",
                message: "another write changed the same components at the same time; nothing of this one was applied",
                cause: causeOf(error)
              })
            )
          }
          const lost = answerLost(error)
          return lost === "no"
            ? Effect.fail(failure("merge")(error))
            : main.outcomeOf(writeId, error, lost === "settled", "merge")
        })
      )
    })

  const writeBranch = () =>
    Effect.gen(function*() {
      // a merge refuses a branch with uncommitted changes: what an earlier run left there goes first
      const name = yield* afterReset(openWriteBranch)
      // its name is the server's own business: messages, which may reach clients, say "a write branch"
      const on = onBranch(name, "a write branch")
      return {
        write: on.write,
        stage: on.stage,
        remove: on.remove,
        commit: (message: string, metadata: Readonly<Record<string, string>>) =>
          Effect.andThen(on.commit(message, metadata), merge(name, message, metadata))
      } satisfies WriteBranch
    }).pipe(Effect.tapError(warnOnce))

  /** deletes the write branches that crashed writes left: those older than `staleWriteBranchAfter` */
  // never less than a minute: a sweep that took the branches of writes in flight for leftovers would fail them all
  const staleAfter = Duration.max(Duration.fromInputUnsafe(options.staleWriteBranchAfter ?? "24 hours"), Duration.minutes(1))
  const sweepWriteBranches = Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const branches = yield* allPages((after) =>
      getJson(page(LakeFsRef), "/branches", { prefix: WRITE_BRANCH_PREFIX, after, amount: "1000" }, "listing of branches")
    )
    const stale = branches.filter(({ id }) => {
      const made = writeBranchTime(id)
      return made !== undefined && now - made > Duration.toMillis(staleAfter)
    })
    yield* Effect.forEach(stale, ({ id }) => deleteBranch(id), { concurrency: 4, discard: true })
    if (stale.length > 0) {
      yield* Effect.logInfo(`deleted ${stale.length} write branch${stale.length === 1 ? "" : "es"} that crashed writes left`)
    }
  })
  yield* sweepWriteBranches.pipe(
    Effect.catch((error) => Effect.logWarning(`could not sweep old write branches (${error.message})`)),
    Effect.repeat(Schedule.spaced(Duration.min(staleAfter, Duration.hours(1)))),
    Effect.forkScoped
  )

  /**
   * The branch's head commit, as it is at the call or later: a caller shares a read of the branch only with callers
   * that came before that read was sent. One that comes while a read is under way waits for the next one, which
   * starts when the current one ends and serves everyone who came meanwhile; so checking a cache costs at most one
   * call per round trip (a search's manifests, say), never one per entry, and never answers with a head older than
   * a write acknowledged before the call.
   */
  const readHead = getJson(LakeFsRef, branchUrl, {}, `reading branch ${branch}`).pipe(Effect.map((ref) => ref.commit_id))
  /** the read whose request is under way */
  let sent: Deferred.Deferred<string, StorageError> | undefined
  /** the read not sent yet, which callers join: it is sent at once when none is under way, else when that one ends */
  let gathering: Deferred.Deferred<string, StorageError> | undefined
  const layerScope = yield* Effect.scope
  const send = (read: Deferred.Deferred<string, StorageError>): Effect.Effect<unknown> =>
    Effect.forkIn(
      Effect.suspend(() => {
        gathering = undefined
        sent = read
        return Effect.flatMap(Effect.exit(readHead), (exit) =>
          Effect.suspend(() => {
            sent = undefined
            Deferred.doneUnsafe(read, exit)
            return gathering === undefined ? Effect.void : send(gathering)
          }))
      }),
      layerScope
    )
  const head = Effect.suspend(() => {
    if (gathering !== undefined) return Deferred.await(gathering)
    const read = Deferred.makeUnsafe<string, StorageError>()
    gathering = read
    return sent === undefined ? Effect.andThen(send(read), Deferred.await(read)) : Deferred.await(read)
  })

  const changedBetween = (objectId: string, from: string, to: string) =>
    Effect.flatMap(parseObject(objectId), (id) =>
      getJson(
        page(DiffEntry),
        `/refs/${encodeURIComponent(from)}/diff/${encodeURIComponent(to)}`,
        { prefix: `${ObjectId.shard(id)}/`, amount: "1", type: "two_dot" },
        `diff of ${id} between two commits`
      ).pipe(Effect.map(({ results }) => results.length > 0)))

  /**
   * The branch's commits after `since`, oldest first: its log, newest first, read page by page back to `since` (a
   * page of 100 first: a watcher or the poller usually asks for the few commits of the last seconds).
   */
  const commitsAfter = (since: string | undefined, limit: number) =>
    Effect.gen(function*() {
      const wanted = since === undefined ? undefined : yield* parseVersion(since)
      const out: Array<CommitInfo> = []
      let after = ""
      for (let amount = 100;; amount = 1000) {
        const { pagination, results } = yield* getJson(
          page(LakeFsCommit),
          `${staged}/commits`,
          { after, amount: String(amount) },
          "commit log"
        )
        for (const commit of results) {
          if (commit.id === wanted) return out.reverse()
          if (out.length >= limit) return yield* tooManyAfter(since, limit)
          out.push(commitInfo(commit))
        }
        if (!pagination.has_more || results.length === 0) break
        after = pagination.next_offset
      }
      return wanted === undefined ? out.reverse() : yield* notOnBranch(wanted)
    })

  return Storage.of({
    branch,
    stat: flow(current.stat, logged),
    open: flow(current.open, Effect.tapError(warnOnce)),
    read: flow(current.read, Stream.tapError(warnOnce)),
    // a failure of the content itself (the caller's error) is not lakeFS's
    write: (objectId, componentId, mediaType, content, writeOptions) =>
      Effect.tapError(
        afterReset(main.write(objectId, componentId, mediaType, content, writeOptions)),
        (error) => error instanceof StorageError ? warnOnce(error) : Effect.void
      ),
    // only the local disk: nothing for lakeFS's credentials to say
    spool,
    stage: flow(main.stage, afterReset, logged),
    remove: flow(main.remove, afterReset, logged),
    commit: flow(main.commit, logged),
    writeBranch,
    versions: { head: Effect.tapError(head, warnOnce), changedBetween: flow(changedBetween, logged) },
    reset: flow(main.reset, logged),
    list: flow(current.list, logged),
    history: flow(current.history, logged),
    objects: flow(objects, logged),
    at: flow(at, logged),
    changes: flow(changes, logged),
    log: { head: Effect.tapError(head, warnOnce), after: flow(commitsAfter, logged) }
  })
})

/**
 * Whether lakeFS works for the server: `GET /healthcheck` (no auth) says it is reachable, then reading the branch
 * says the credentials, repository and branch are right. Fails with what is wrong, for the operator.
 *
 * @category health
 * @since 0.1.0
 */
export const check = (options: Options): Effect.Effect<void, string, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const base = apiUrl(options)
    const health = yield* client.get(`${base}/healthcheck`).pipe(
      Effect.mapError((error) => `cannot connect (${error.message})`)
    )
    if (health.status < 200 || health.status > 299) return yield* Effect.fail(`healthcheck answered HTTP ${health.status}`)
    const branch = yield* client.execute(
      HttpClientRequest.get(`${repositoryUrl(options)}/branches/${encodeURIComponent(options.branch)}`).pipe(
        HttpClientRequest.basicAuth(options.user, options.password)
      )
    ).pipe(Effect.mapError((error) => `cannot read branch ${options.branch} (${error.message})`))
    if (branch.status === 200) return
    if (branch.status === 401 || branch.status === 403) {
      return yield* Effect.fail(`lakeFS rejected the server's credentials (HTTP ${branch.status}): check LAKEFS_USER and LAKEFS_PASSWORD`)
    }
    if (branch.status === 404) {
      return yield* Effect.fail(`repository ${options.repo} or its branch ${options.branch} does not exist`)
    }
    return yield* Effect.fail(`reading branch ${options.branch} answered HTTP ${branch.status}`)
  })

/**
 * `Storage` on a lakeFS branch, talking HTTP through Node's `http` module.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<Storage, StorageError> =>
  Layer.effect(Storage, make(options)).pipe(Layer.provide([NodeHttpClient.layerNodeHttp, NodeFileSystem.layer]))

// internal

/** `{url}/api/v1`, whether or not the configured URL already ends in it */
/** the slowest a staged upload from a spool file may go before it counts as stalled: 1 MB/s */
const UPLOAD_BYTES_PER_MILLI = 1000

const apiUrl = (options: Options) => `${options.url.replace(/\/+$/, "").replace(/\/api\/v1$/, "")}/api/v1`

const repositoryUrl = (options: Options) => `${apiUrl(options)}/repositories/${encodeURIComponent(options.repo)}`

const ObjectStats = Schema.Struct({
  path: Schema.String,
  checksum: Schema.String,
  size_bytes: Schema.Number,
  mtime: Schema.Number,
  content_type: Schema.optional(Schema.String),
  metadata: Schema.optional(Schema.NullOr(Schema.Record(Schema.String, Schema.String)))
})

const LakeFsCommit = Schema.Struct({
  id: Schema.String,
  parents: Schema.Array(Schema.String),
  committer: Schema.String,
  message: Schema.String,
  creation_date: Schema.Number,
  metadata: Schema.optional(Schema.NullOr(Schema.Record(Schema.String, Schema.String)))
})

/** one uncommitted change of the branch (`GET …/branches/{branch}/diff`) */
const DiffEntry = Schema.Struct({ path: Schema.String, type: Schema.String })

/** the names of write branches: the prefix, the time it was made (base 36 milliseconds), a random part */
const WRITE_BRANCH_PREFIX = "doip-write-"

const writeBranchName = (millis: number) => `${WRITE_BRANCH_PREFIX}${millis.toString(36)}-${randomUUID().slice(0, 8)}`

/** when a write branch was made, from its name; `undefined` for a name this layer did not make */
const writeBranchTime = (name: string): number | undefined => {
  const match = /^doip-write-([0-9a-z]+)-[0-9a-f]{8}$/.exec(name)
  return match === null ? undefined : parseInt(match[1]!, 36)
}

/** the answer of a merge */
const MergeResult = Schema.Struct({ reference: Schema.String })

/** one branch of a listing */
const LakeFsRef = Schema.Struct({ id: Schema.String, commit_id: Schema.String })

/** the commit metadata key of the id `commit` gives each commit, to find it on the branch after a lost answer */
const WRITE_ID = "doip_write_id"

/** how many of the branch's newest commits are read for a commit whose answer was lost */
const LOOKUP_DEPTH = 100

/** how often the branch is read for a commit that lakeFS never answered (it may still have been working on it) */
const SETTLE_LOOKS = 4

/**
 * Whether a failed commit may have happened all the same: `no` when lakeFS refused it (a 4xx) or it was never sent
 * (no connection, a request that could not be encoded); `settled` when lakeFS answered, so it is done with it (a 5xx
 * of its own, an answer that cannot be read); `unsettled` when it may still be at work: no answer in time, the
 * connection broken after the request went out, a gateway's 502 or 504.
 */
const answerLost = (
  error: HttpClientError.HttpClientError | Schema.SchemaError | Cause.TimeoutError
): "no" | "settled" | "unsettled" => {
  if (Cause.isTimeoutError(error)) return "unsettled"
  if (error._tag === "SchemaError") return "settled"
  const status = error.response?.status
  if (status !== undefined) {
    if (status === 502 || status === 504) return "unsettled"
    return status >= 500 || (status >= 200 && status < 300) ? "settled" : "no"
  }
  if (error.reason._tag !== "TransportError") return "no"
  return connectionRefused(error.reason.cause) ? "no" : "unsettled"
}

/** whether a transport failure is a refused connection (nothing was sent), looking through wrapped causes */
const connectionRefused = (cause: unknown): boolean => {
  for (let c = cause, depth = 0; typeof c === "object" && c !== null && depth < 4; depth++) {
    if ((c as { readonly code?: unknown }).code === "ECONNREFUSED") return true
    c = (c as { readonly cause?: unknown }).cause
  }
  return false
}

const page = <S extends Schema.Top>(item: S) =>
  Schema.Struct({
    pagination: Schema.Struct({ has_more: Schema.Boolean, next_offset: Schema.String }),
    results: Schema.Array(item)
  })

interface Page<A> {
  readonly pagination: { readonly has_more: boolean; readonly next_offset: string }
  readonly results: ReadonlyArray<A>
}

/** all results, page after page, until there are no more or `limit` are in */
const allPages = <A, E, R>(fetch: (after: string) => Effect.Effect<Page<A>, E, R>, limit = Infinity) =>
  Effect.gen(function*() {
    const out: Array<A> = []
    let after = ""
    while (true) {
      const { pagination, results } = yield* fetch(after)
      out.push(...results)
      if (!pagination.has_more || results.length === 0 || out.length >= limit) return out
      after = pagination.next_offset
    }
  })

/**
 * What a `StorageError` keeps of the failure behind it: never the HTTP request or response. Effect hashes errors when
 * it combines causes (say, two concurrent resets failing), hashing reads every getter, and a Node response's
 * `textUnsafe` getter dies when read so; the error would become a defect, and a client's `InternalError`.
 */
const causeOf = (error: HttpClientError.HttpClientError | Schema.SchemaError): unknown =>
  error._tag === "HttpClientError" ? (error.reason.cause ?? error.message) : error

const checksumPath = (at: Location) => `${ObjectId.shard(at.objectId)}/checksums/${at.componentId}`

/** the `sha256` user metadata of a checksum marker (lakeFS may capitalise the key) */
const sha256Of = (marker: typeof ObjectStats.Type): string | undefined => {
  const entry = Object.entries(marker.metadata ?? {}).find(([key]) => key.toLowerCase() === "sha256")
  return entry === undefined ? undefined : `sha256:${entry[1]}`
}

/** the metadata as the caller gave it: without the id `commit` adds, nor lakeFS's merge strategy */
const withoutWriteId = (metadata: Readonly<Record<string, string>>): Readonly<Record<string, string>> => {
  if (!(WRITE_ID in metadata) && !(MERGE_STRATEGY in metadata)) return metadata
  const { [WRITE_ID]: _, [MERGE_STRATEGY]: __, ...rest } = metadata
  return rest
}

/** the metadata key lakeFS adds to every merge commit */
const MERGE_STRATEGY = ".lakefs.merge.strategy"

const isoDate = (unixSeconds: number) => new Date(unixSeconds * 1000).toISOString()

const commitInfo = (c: typeof LakeFsCommit.Type): CommitInfo => ({
  id: c.id,
  parents: c.parents,
  message: c.message,
  metadata: withoutWriteId(c.metadata ?? {}),
  committer: c.committer,
  creationDate: isoDate(c.creation_date)
})
