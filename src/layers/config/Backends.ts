/**
 * Which storage and which manifest source the server uses, chosen from its settings.
 *
 * - Storage is lakeFS when `lakefs.url` (`LAKEFS_URL`) is set, else the embedded store in `dataDir`.
 * - Manifests come from the FDO façade when `fdoApi` (`FDO_API`) is set, else they are derived from storage.
 * - Workflows refine with a model (`Llm` over Ollama) when `ollama.model` (`OLLAMA_MODEL`) is set, else there is no
 *   `Llm` and they keep their heuristic results.
 *
 * Each choice comes with its health check (lakeFS `/healthcheck` and the branch, the façade's `/health`); the
 * `Health` layer runs them at start and every `health.intervalSeconds`. An unreachable system is a warning, not a
 * reason to refuse to start: requests that need it fail with a clear error until it is back.
 *
 * @since 0.1.0
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as HttpClient from "effect/http/HttpClient"
import type { FdoFacade } from "../metadata/FdoFacade.ts"
import * as Health from "./Health.ts"
import { redactUrl } from "./Redact.ts"
import * as HttpFdoFacade from "../metadata/HttpFdoFacade.ts"
import * as EmbeddedKnowledgeGraph from "../knowledge/EmbeddedKnowledgeGraph.ts"
import * as ImporterItems from "../knowledge/ImporterItems.ts"
import { KnowledgeGraph } from "../knowledge/KnowledgeGraph.ts"
import * as MediaWikiKnowledgeGraph from "../knowledge/MediaWikiKnowledgeGraph.ts"
import * as LakeFsStorage from "../storage/LakeFsStorage.ts"
import * as LocalStorage from "../storage/LocalStorage.ts"
import * as OllamaLlm from "../workflows/llm/OllamaLlm.ts"
import type { Settings } from "./ServerConfig.ts"
import type { Storage, StorageError } from "../storage/Storage.ts"
import * as StorageFdoFacade from "../metadata/StorageFdoFacade.ts"

/**
 * Settings that cannot work together, found before anything starts.
 *
 * @category errors
 * @since 0.1.0
 */
export class BackendsConfigError extends Schema.TaggedError<BackendsConfigError>()("BackendsConfigError", {
  message: Schema.String
}) {}

/**
 * The lakeFS options of the settings: `undefined` when lakeFS is not configured, an error naming what is missing
 * when it is only half configured.
 *
 * @category constructors
 * @since 0.1.0
 */
export const lakeFsOptions = (
  settings: Settings
): Effect.Effect<LakeFsStorage.Options | undefined, BackendsConfigError> => {
  const {
    branch,
    password,
    repo,
    resetUncommittedOnStart,
    retries,
    retryDelayMillis,
    staleWriteBranchHours,
    timeoutSeconds,
    url,
    user
  } = settings.lakefs
  if (Option.isNone(url)) return Effect.succeed(undefined)
  const missing = [
    Option.isNone(repo) ? "LAKEFS_REPO (lakefs.repo)" : undefined,
    Option.isNone(user) ? "LAKEFS_USER (lakefs.user)" : undefined,
    Option.isNone(password) ? "LAKEFS_PASSWORD (lakefs.password)" : undefined
  ].filter((name) => name !== undefined)
  if (Option.isNone(repo) || Option.isNone(user) || Option.isNone(password)) {
    return Effect.fail(new BackendsConfigError({
      message: `LAKEFS_URL is set to ${redactUrl(url.value)}, but ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not`
    }))
  }
  if (!(staleWriteBranchHours >= 1)) {
    return Effect.fail(new BackendsConfigError({
      message: `lakefs.staleWriteBranchHours (DOIP_LAKEFS_STALE_WRITE_BRANCH_HOURS) is ${staleWriteBranchHours}; it must be ` +
        `at least 1: a write branch younger than the longest write may still be in use`
    }))
  }
  return Effect.succeed({
    url: url.value,
    repo: repo.value,
    branch,
    user: user.value,
    password: password.value,
    retries,
    retryDelayMillis,
    timeout: `${timeoutSeconds} seconds`,
    resetUncommittedOnStart,
    staleWriteBranchAfter: `${staleWriteBranchHours} hours`
  })
}

/**
 * One line for the log per choice, e.g. `storage: lakeFS at https://lakefs.example (repo mardi, branch main)`; user
 * info in a URL is redacted.
 *
 * @category formatting
 * @since 0.1.0
 */
export const describe = (settings: Settings): ReadonlyArray<string> => [
  Option.match(settings.lakefs.url, {
    onNone: () => `storage: embedded, in ${settings.dataDir}`,
    onSome: (url) =>
      `storage: lakeFS at ${redactUrl(url)} (repo ${Option.getOrElse(settings.lakefs.repo, () => "?")}, branch ${settings.lakefs.branch})`
  }),
  Option.match(settings.fdoApi, {
    onNone: () => "metadata: manifests derived from storage (no FDO_API)",
    onSome: (url) => `metadata: FDO façade at ${redactUrl(url)}`
  }),
  Option.match(settings.mediawiki.apiUrl, {
    onNone: () => "knowledge graph: the objects held here (no MEDIAWIKI_API_URL)",
    onSome: (url) => `knowledge graph: MediaWiki at ${redactUrl(url)}`
  }),
  Option.match(settings.ollama.model, {
    onNone: () => "model: none (no OLLAMA_MODEL), equations keep their heuristic LaTeX",
    onSome: (model) => `model: ${model} on Ollama at ${redactUrl(settings.ollama.host)}`
  })
]

/**
 * `Storage`, `FdoFacade` and `Health` as the settings ask, and an `Llm` when a model is configured, talking HTTP
 * through Node's `http` module.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (
  settings: Settings
): Layer.Layer<Storage | FdoFacade | Health.Health | KnowledgeGraph, BackendsConfigError | StorageError> =>
  Layer.unwrap(Effect.gen(function*() {
    const lakeFs = yield* lakeFsOptions(settings)
    const client = yield* HttpClient.HttpClient
    const withClient = <A>(check: Effect.Effect<A, string, HttpClient.HttpClient>) =>
      Effect.asVoid(Effect.provideService(check, HttpClient.HttpClient, client))

    const storage = lakeFs === undefined
      ? LocalStorage.layer({ directory: settings.dataDir }).pipe(Layer.provide(NodeFileSystem.layer))
      // uploads wait in the data directory (a spool of this server alone, emptied at start) until they are staged
      : LakeFsStorage.layer({ ...lakeFs, spoolDirectory: `${settings.dataDir}/spool` })
    const storageHealth: Health.Dependency = lakeFs === undefined
      ? Health.inProcess("storage", "embedded", settings.dataDir)
      : { name: "storage", kind: "lakeFS", target: redactUrl(lakeFs.url), check: withClient(LakeFsStorage.check(lakeFs)) }

    const facade = Option.match(settings.fdoApi, {
      onNone: () => StorageFdoFacade.layer,
      onSome: (baseUrl) =>
        HttpFdoFacade.layer({
          baseUrl,
          timeout: `${settings.facade.timeoutSeconds} seconds`,
          cacheCapacity: settings.facade.cacheCapacity,
          cacheTtl: `${settings.facade.cacheTtlSeconds} seconds`
        }).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, client)))
    })
    const facadeHealth: Health.Dependency = Option.match(settings.fdoApi, {
      onNone: () => Health.inProcess("metadata", "derived from storage"),
      onSome: (baseUrl) => ({ name: "metadata", kind: "FDO façade", target: redactUrl(baseUrl), check: withClient(HttpFdoFacade.check(baseUrl)) })
    })

    const searched = Option.match(settings.mediawiki.apiUrl, {
      onNone: () => EmbeddedKnowledgeGraph.layer,
      onSome: (apiUrl) =>
        MediaWikiKnowledgeGraph.layer({ apiUrl, timeout: `${settings.mediawiki.timeoutSeconds} seconds` }).pipe(
          Layer.provide(Layer.succeed(HttpClient.HttpClient, client))
        )
    })
    // items are written through the importer, whichever graph is searched
    const graph = Option.match(settings.mediawiki.importerUrl, {
      onNone: () => searched,
      onSome: (url) =>
        Layer.effect(
          KnowledgeGraph,
          Effect.gen(function*() {
            const items = yield* ImporterItems.make({ url, timeout: `${settings.mediawiki.importerTimeoutSeconds} seconds` }).pipe(
              Effect.provideService(HttpClient.HttpClient, client)
            )
            return KnowledgeGraph.of({ ...(yield* KnowledgeGraph), items })
          })
        ).pipe(Layer.provide(searched))
    })
    const graphHealth: ReadonlyArray<Health.Dependency> = Option.match(settings.mediawiki.apiUrl, {
      onNone: () => [],
      onSome: (apiUrl) => [{ name: "knowledge graph", kind: "MediaWiki", target: redactUrl(apiUrl), check: withClient(MediaWikiKnowledgeGraph.check(apiUrl)) }]
    })

    const model = OllamaLlm.fromSettings(settings)
    const llm = model === undefined
      ? Layer.empty
      : OllamaLlm.layer(model).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, client)))
    const modelHealth: ReadonlyArray<Health.Dependency> = model === undefined
      ? []
      : [{ name: "model", kind: `Ollama (${model.model})`, target: redactUrl(model.host), check: withClient(OllamaLlm.check(model)) }]

    const health = Health.layer([storageHealth, facadeHealth, ...graphHealth, ...modelHealth], {
      interval: `${settings.health.intervalSeconds} seconds`,
      timeout: `${settings.health.timeoutSeconds} seconds`
    })
    return Layer.mergeAll(graph, health, llm).pipe(Layer.provideMerge(facade), Layer.provideMerge(storage))
  })).pipe(Layer.provide(NodeHttpClient.layerNodeHttp))
