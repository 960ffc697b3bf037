/**
 * Nothing internal leaks (issue 14, item 6): what clients read names objects and components as they named them, never
 * a storage key (`00/01/23/Q123/components/…`), an absolute path, a backend's URL (with or without credentials) or
 * a stack trace, over both framings; the operator's log keeps the detail, but never a URL's credentials.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import { mkdtempSync, rmSync } from "node:fs"
import * as Net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { ClientError } from "../../src/client/ClientError.ts"
import * as DoipClient from "../../src/client/DoipClient.ts"
import * as Backends from "../../src/layers/config/Backends.ts"
import * as ServerConfig from "../../src/layers/config/ServerConfig.ts"
import type { Operation } from "../../src/server/OperationRegistry.ts"
import { refusalOf } from "../support/ClientAnswers.ts"
import { LakeFsStandIn } from "../support/LakeFsStandIn.ts"
import { layerServerOnLakeFs } from "../support/StorageBackends.ts"
import { layerClient, layerClientDoip2, layerServer, seed, token } from "../support/TestServer.ts"

/**
 * What must not be in an answer, each with its reason: an absolute path (a `/` that starts a word: `Q7/a.pdf` or
 * `text/plain` are fine), a storage key, a URL of any scheme, a stack frame.
 */
const leaks = (text: string): ReadonlyArray<string> =>
  [
    ["an absolute path", /(^|[\s'"(=:])\/[\w.-]/],
    ["a storage key", /\d{2}\/\d{2}\/\d{2}\/Q\d+|components\/|checksums\//],
    ["a URL", /[a-z][a-z0-9+.-]*:\/\//i],
    ["a stack frame", /\n\s*at |\.ts:\d+/]
  ].flatMap(([what, pattern]) => (pattern as RegExp).test(text) ? [`${what as string} in ${JSON.stringify(text)}`] : [])

const assertClean = (message: string, ...secrets: ReadonlyArray<string>) => {
  assert.deepStrictEqual(leaks(message), [])
  for (const secret of secrets) assert.notInclude(message, secret)
}

/** everything the server logged, whatever the level */
const logged: Array<string> = []
const recordLog = Logger.layer([
  Logger.make((options) => {
    logged.push(Array.isArray(options.message) ? options.message.map(String).join(" ") : String(options.message))
  })
])

/** a port nothing listens on */
const closedPort = Effect.promise(() =>
  new Promise<number>((resolve) => {
    const server = Net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as Net.AddressInfo
      server.close(() => resolve(port))
    })
  })
)

const dataDir = mkdtempSync(join(tmpdir(), "doip-leaks-"))
const secret = "s3cret-in-the-url"

/**
 * The server as `serve` builds it (`Backends`): the embedded store in `dataDir`, manifests from a façade whose URL
 * carries a user and password and where nothing answers.
 */
const layerEmbedded = Layer.unwrap(Effect.gen(function*() {
  const fdoApi = `http://doip:${secret}@127.0.0.1:${yield* closedPort}/fdo/`
  const settings = yield* ServerConfig.load({ env: { DOIP_DATA_DIR: dataDir, FDO_API: fdoApi }, configFile: undefined })
    .pipe(Effect.provide(NodeServices.layer), Effect.orDie)
  const backends = Backends.layer(settings).pipe(Layer.orDie)
  return layerServer({ settings: { dataDir, fdoApi }, storage: backends, facade: backends, health: backends })
})).pipe(Layer.provide(recordLog))

/** hello with the client's credentials (our client's `hello` sends none) */
const authenticatedHello = Effect.flatMap(
  DoipClient.DoipClient,
  (client) => Effect.map(client.call({ operation: "hello" }), (answer) => answer.output as Record<string, unknown>)
)

const dependenciesOf = (hello: Record<string, unknown>) =>
  JSON.stringify(((hello["attributes"] as Record<string, unknown> | undefined) ?? hello)["dependencies"])

/** the message of the error answer `call` got (our client's `NotFoundError`, `ServerError`, ...) */
const refusal = <A, R>(call: Effect.Effect<A, ClientError, R>) =>
  Effect.map(Effect.flip(Effect.scoped(call)), (error) => error.message)

for (const protocol of ["binary", "doip2"] as const) {
  const layerFor = protocol === "binary" ? layerClient : layerClientDoip2

  layer(layerFor({ credentials: { token } }).pipe(Layer.provideMerge(layerEmbedded)), { excludeTestServices: true })(
    `the embedded store and a façade with credentials in its URL, over ${protocol}`,
    (it) => {
      it.effect("an anonymous hello names no folder or URL; an authenticated one names both, the password redacted", () =>
        Effect.gen(function*() {
          const anonymous = yield* (yield* DoipClient.DoipClient).hello()
          assert.notInclude(JSON.stringify(anonymous), dataDir)
          assert.notInclude(JSON.stringify(anonymous), secret)
          assert.deepStrictEqual(leaks(dependenciesOf(anonymous)), [])
          assert.include(dependenciesOf(anonymous), `"kind":"embedded","status":"ok"`)
          assert.include(dependenciesOf(anonymous), `"kind":"FDO façade","status":"failing"`)

          const authenticated = yield* authenticatedHello
          assert.include(dependenciesOf(authenticated), JSON.stringify(dataDir))
          assert.include(dependenciesOf(authenticated), `"target":"http://<redacted>@127.0.0.1:`)
          assert.notInclude(JSON.stringify(authenticated), secret)
        }))

      it.effect("a missing component is named as the client named it", () =>
        Effect.gen(function*() {
          const client = yield* DoipClient.DoipClient
          assert.strictEqual(yield* refusal(client.retrieve("Q9", "nothing.txt")), "component nothing.txt of Q9 does not exist")
          assert.strictEqual(yield* refusal(client.retrieve("q9", "a b.txt")), "component a b.txt of Q9 does not exist")
        }))

      it.effect("a façade that cannot be reached: Unavailable, without its URL", () =>
        Effect.gen(function*() {
          const message = yield* refusal((yield* DoipClient.DoipClient).retrieve("Q9"))
          assert.match(message, /^metadata service unavailable: cannot connect/)
          assertClean(message, secret, "127.0.0.1")
        }))

      it.effect("a store whose files are gone: Unavailable, without a path; the log has the path", () =>
        Effect.gen(function*() {
          const objectId = protocol === "binary" ? "Q71" : "Q72"
          yield* seed(objectId, "a.txt", "soon gone", "text/plain")
          rmSync(join(dataDir, "blobs"), { recursive: true, force: true })
          const message = yield* refusal((yield* DoipClient.DoipClient).retrieve(objectId, "a.txt"))
          assert.match(message, /^storage unavailable: /)
          assertClean(message, dataDir)
          assert.isTrue(logged.some((line) => line.includes(join(dataDir, "blobs"))), JSON.stringify(logged))
        }))

      it.effect("the log never holds the façade's password", () =>
        Effect.sync(() => {
          assert.isTrue(logged.some((line) => line.includes("<redacted>@127.0.0.1")), JSON.stringify(logged))
          for (const line of logged) assert.notInclude(line, secret)
        }))
    }
  )

  layer(layerFor({ credentials: { token } }).pipe(Layer.provideMerge(layerServerOnLakeFs())), { excludeTestServices: true })(
    `lakeFS failing, over ${protocol}`,
    (it) => {
      it.effect("failure answers name no storage key, URL or credential", () =>
        Effect.gen(function*() {
          const objectId = protocol === "binary" ? "Q81" : "Q82"
          yield* seed(objectId, "a.txt", "stored", "text/plain")
          const standIn = yield* LakeFsStandIn
          const client = yield* DoipClient.DoipClient
          const failures = (label: string) =>
            Effect.all([
              refusal(client.retrieve(objectId, "a.txt")),
              refusal(client.retrieve(objectId)),
              refusal(client.updateComponent(objectId, "b.txt", new TextEncoder().encode("new"), "text/plain")),
              refusal(client.delete(objectId))
            ]).pipe(Effect.map((messages) => messages.map((m) => `${label}: ${m}`)))
          standIn.failNext(1000)
          const unavailable = yield* failures("HTTP 500").pipe(Effect.ensuring(Effect.sync(() => standIn.failNext(0))))
          standIn.rejectCredentials(true)
          const rejected = yield* failures("401").pipe(Effect.ensuring(Effect.sync(() => standIn.rejectCredentials(false))))
          assert.include(unavailable[0], "lakeFS stat of component a.txt of")
          for (const message of [...unavailable, ...rejected]) {
            assert.include(message, "storage unavailable: ")
            assertClean(message, standIn.url, standIn.password, standIn.repo)
          }
        }))
    }
  )

  /** a handler with a bug whose error names a path and has a stack */
  const crash = Effect.succeed({
    name: "crash",
    code: undefined,
    doipId: "example/Op.Crash",
    target: "service",
    handler: () => Effect.die(new Error(`cannot open ${dataDir}/secret.json`))
  } satisfies Operation)

  layer(layerFor().pipe(Layer.provideMerge(layerServer({ extensions: [crash] }).pipe(Layer.provide(recordLog)))), {
    excludeTestServices: true
  })(`a handler's defect, over ${protocol}`, (it) => {
    it.effect("is an InternalError naming the operation only; the log has the defect", () =>
      Effect.gen(function*() {
        const client = yield* DoipClient.DoipClient
        const answer = yield* refusalOf(client.call({ operation: protocol === "binary" ? "crash" : "example/Op.Crash" }))
        assert.deepStrictEqual(answer, { kind: "InternalError", message: "crash failed unexpectedly" })
        assert.isTrue(logged.some((line) => line.includes(`cannot open ${dataDir}/secret.json`)), JSON.stringify(logged))
      }))
  })
}

describe("the grep", () => {
  it("finds what it must and leaves a client's own names alone", () => {
    assert.deepStrictEqual(leaks("component a.pdf of Q7 does not exist; Q7/a.pdf: text/plain"), [])
    for (
      const message of [
        "cannot read /srv/doip/blobs/x",
        "lakeFS read of 00/01/23/Q123/components/a.pdf failed",
        "listing of components/ failed",
        "GET http://127.0.0.1:8000/api/v1",
        "Error: x\n    at f (file.ts:1:2)"
      ]
    ) assert.lengthOf(leaks(message), 1, message)
  })
})
