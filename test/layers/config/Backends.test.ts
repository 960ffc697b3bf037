import { KnowledgeGraph } from "../../../src/layers/knowledge/KnowledgeGraph.ts"
import * as MediaWikiStandIn from "../../support/MediaWikiStandIn.ts"
import { assert, describe, it } from "@effect/vitest"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Backends from "../../../src/layers/config/Backends.ts"
import { FdoFacade } from "../../../src/layers/metadata/FdoFacade.ts"
import { Health } from "../../../src/layers/config/Health.ts"
import { Llm } from "../../../src/layers/workflows/llm/Llm.ts"
import * as ServerConfig from "../../../src/layers/config/ServerConfig.ts"
import { Storage } from "../../../src/layers/storage/Storage.ts"
import * as FacadeStandIn from "../../support/FacadeStandIn.ts"
import * as LakeFsStandIn from "../../support/LakeFsStandIn.ts"
import * as OllamaStandIn from "../../support/OllamaStandIn.ts"

/** the settings `serve` would load from this environment (no config file, no flags) */
const settingsFrom = (env: Record<string, string>) =>
  ServerConfig.load({ env, configFile: undefined }).pipe(Effect.provide(NodeServices.layer))

const lakeFsEnv = (standIn: LakeFsStandIn.LakeFsStandInService) => ({
  LAKEFS_URL: standIn.url,
  LAKEFS_REPO: standIn.repo,
  LAKEFS_BRANCH: standIn.branch,
  LAKEFS_USER: standIn.user,
  LAKEFS_PASSWORD: standIn.password,
  DOIP_LAKEFS_RETRY_DELAY_MILLIS: "5"
})

const reportOf = Effect.flatMap(Health, (health) => health.report)

const statusesOf = Effect.map(reportOf, (report) => report.map((d) => `${d.name}:${d.kind}:${d.status}`))

describe("Backends", () => {
  it.live("no lakeFS, no façade: the embedded store and manifests derived from it, both healthy", () =>
    Effect.gen(function*() {
      const dataDir = mkdtempSync(join(tmpdir(), "doip-backends-"))
      const settings = yield* settingsFrom({ DOIP_DATA_DIR: dataDir })
      assert.deepStrictEqual(Backends.describe(settings), [
        `storage: embedded, in ${dataDir}`,
        "metadata: manifests derived from storage (no FDO_API)",
        "knowledge graph: the objects held here (no MEDIAWIKI_API_URL)",
        "model: none (no OLLAMA_MODEL), equations keep their heuristic LaTeX"
      ])
      const statuses = yield* statusesOf.pipe(Effect.provide(Backends.layer(settings)))
      assert.deepStrictEqual(statuses, ["storage:embedded:ok", "metadata:derived from storage:ok"])
    }))

  it.live("MEDIAWIKI_API_URL: upstream's search asks that MediaWiki, and hello reports it", () =>
    Effect.gen(function*() {
      const dataDir = mkdtempSync(join(tmpdir(), "doip-backends-"))
      const mediaWiki = yield* MediaWikiStandIn.make([{ qid: "Q5", label: "heat", facets: [] }])
      const settings = yield* settingsFrom({ DOIP_DATA_DIR: dataDir, MEDIAWIKI_API_URL: mediaWiki.apiUrl })
      assert.include(Backends.describe(settings), `knowledge graph: MediaWiki at ${mediaWiki.apiUrl}`)
      yield* Effect.gen(function*() {
        assert.deepStrictEqual(yield* statusesOf, [
          "storage:embedded:ok",
          "metadata:derived from storage:ok",
          "knowledge graph:MediaWiki:ok"
        ])
        const found = yield* (yield* KnowledgeGraph).search({ query: "heat", limit: 10 })
        assert.deepStrictEqual(found.results.map((hit) => hit.qid), ["Q5"])
      }).pipe(Effect.provide(Backends.layer(settings)))
    }).pipe(Effect.scoped))

  it.live("LAKEFS_URL and FDO_API: components go to lakeFS and manifests come from the façade", () =>
    Effect.gen(function*() {
      const lakeFs = yield* LakeFsStandIn.make()
      const facade = yield* FacadeStandIn.make({ Q7: { "@id": "Q7", kernel: { "fdo:hasComponent": [{ componentId: "a.txt" }] } } })
      const settings = yield* settingsFrom({ ...lakeFsEnv(lakeFs), FDO_API: facade.baseUrl })
      yield* Effect.gen(function*() {
        assert.deepStrictEqual(yield* statusesOf, ["storage:lakeFS:ok", "metadata:FDO façade:ok"])
        const storage = yield* Storage
        yield* storage.write("Q7", "a.txt", "text/plain", Stream.make(new TextEncoder().encode("hello")))
        yield* storage.commit("test", {})
        assert.isTrue(lakeFs.requests().some((r) => r.startsWith("POST /api/v1/repositories/doip/branches/main/commits")))
        const manifest = yield* (yield* FdoFacade).manifest("Q7")
        // the façade's entry, with size and checksum from lakeFS
        assert.deepInclude((manifest["kernel"] as any)["fdo:hasComponent"][0], { componentId: "a.txt", size: 5 })
        assert.strictEqual(facade.count("Q7"), 1)
      }).pipe(Effect.provide(Backends.layer(settings)))
    }).pipe(Effect.scoped))

  it.live("OLLAMA_MODEL: an Llm for the workflows, and the model among the dependencies", () =>
    Effect.gen(function*() {
      const ollama = yield* OllamaStandIn.make({ models: ["qwen2.5:7b"] })
      const settings = yield* settingsFrom({
        DOIP_DATA_DIR: mkdtempSync(join(tmpdir(), "doip-backends-")),
        OLLAMA_HOST: ollama.host,
        OLLAMA_MODEL: "qwen2.5:7b"
      })
      yield* Effect.gen(function*() {
        assert.deepStrictEqual(yield* statusesOf, [
          "storage:embedded:ok",
          "metadata:derived from storage:ok",
          "model:Ollama (qwen2.5:7b):ok"
        ])
        const llm = yield* Effect.serviceOption(Llm)
        assert.strictEqual(Option.getOrThrow(llm).model, "qwen2.5:7b")
      }).pipe(Effect.provide(Backends.layer(settings)))
      const missing = yield* settingsFrom({
        DOIP_DATA_DIR: mkdtempSync(join(tmpdir(), "doip-backends-")),
        OLLAMA_HOST: ollama.host,
        OLLAMA_MODEL: "llama3:70b"
      })
      const report = yield* reportOf.pipe(Effect.provide(Backends.layer(missing)))
      assert.include(report[2]!.detail, "not installed")
    }).pipe(Effect.scoped))

  it.live("unreachable systems are failing dependencies with the reason, and the layer still starts", () =>
    Effect.gen(function*() {
      const settings = yield* settingsFrom({
        LAKEFS_URL: "http://127.0.0.1:9",
        LAKEFS_REPO: "r",
        LAKEFS_USER: "u",
        LAKEFS_PASSWORD: "p",
        FDO_API: "http://127.0.0.1:9/fdo/",
        DOIP_HEALTH_TIMEOUT_SECONDS: "2"
      })
      const report = yield* reportOf.pipe(Effect.provide(Backends.layer(settings)))
      assert.deepStrictEqual(report.map((d) => d.status), ["failing", "failing"])
      for (const dependency of report) assert.include(dependency.detail, "cannot connect")
    }))

  it.live("health is checked again in the background: a rejected key shows, and its repair too", () =>
    Effect.gen(function*() {
      const lakeFs = yield* LakeFsStandIn.make()
      lakeFs.rejectCredentials(true)
      const settings = yield* settingsFrom({ ...lakeFsEnv(lakeFs), DOIP_HEALTH_INTERVAL_SECONDS: "0.05" })
      yield* Effect.gen(function*() {
        const health = yield* Health
        const first = (yield* health.report)[0]!
        assert.strictEqual(first.status, "failing")
        assert.include(first.detail, "rejected the server's credentials")
        lakeFs.rejectCredentials(false)
        // the next rounds of checks see the repaired key
        const repaired = yield* health.report.pipe(
          Effect.repeat({ until: (report) => report[0]!.status === "ok", schedule: Schedule.spaced("20 millis") }),
          Effect.timeout("5 seconds")
        )
        assert.strictEqual(repaired[0]!.status, "ok")
      }).pipe(Effect.provide(Backends.layer(settings)))
    }).pipe(Effect.scoped))

  it.effect("a lakeFS half configured is an error naming what is missing", () =>
    Effect.gen(function*() {
      const settings = yield* settingsFrom({ LAKEFS_URL: "lakefs.example", LAKEFS_PASSWORD: "p" })
      const error = yield* Effect.flip(Layer.build(Backends.layer(settings))).pipe(Effect.scoped)
      assert.strictEqual(error._tag, "BackendsConfigError")
      assert.include(error.message, "LAKEFS_REPO")
      assert.include(error.message, "LAKEFS_USER")
    }))
})
