/**
 * The server's configuration, and where it comes from.
 *
 * Precedence: defaults < `config.yaml` < environment < command-line flags. Each source is turned into a plain object
 * of the same shape (the YAML file's own shape, below) and the sources are layered with `ConfigProvider.orElse`, so
 * one `Config` description decodes them all. The environment keeps the upstream server's names (`FDO_API`,
 * `LAKEFS_URL`, `LAKEFS_REPO`, `LAKEFS_BRANCH`, `LAKEFS_USER`, `LAKEFS_PASSWORD`, `OLLAMA_API_KEY`) beside our own
 * `DOIP_*` names.
 *
 * ```yaml
 * host: 0.0.0.0
 * port: 3567                      # binary listener; DOIP v2.0 listener on port + 1
 * http: { port: 8080 }            # HTTP gateway and web page (TLS as the listeners); 0: none
 * dataDir: ./data                 # embedded storage
 * serverName: effect-doip
 * serviceId: effect-doip/service  # the DOIP v2.0 service id that hello answers with
 * tls: { mode: auto, cert: certs/server.crt, key: certs/server.key }  # off | auto | required
 * auth: { token: "...", username: "...", password: "...", invokeRequiresAuth: false,
 *         backend: static,           # or mediawiki: user names and bot passwords checked by MEDIAWIKI_API_URL's login
 *         mediawikiCacheSeconds: 300,  # a MediaWiki login that succeeded is trusted this long
 *         maxFailures: 5,            # failed attempts per client address (or user name) before attempts wait
 *         failureWindowSeconds: 60,  # failures are forgotten after this long without an attempt
 *         backoffBaseMillis: 250,    # the first wait, doubled for each further failure ...
 *         backoffMaxMillis: 5000,    # ... up to this; one failure more, and the address is refused unchecked
 *         lockoutSeconds: 60,        # for this long (a correct credential too)
 *         maxTrackedClients: 10000 } # addresses and user names counted at once (least recently seen go first)
 * limits: { maxObjectIdLength: 1024, maxMetadataSize: 1048576, maxJsonDepth: 64, maxMessageSize: 4294967295,
 *           maxComponentSize: 4294967295, maxSegmentsPerMessage: 10000, maxConnections: 1024,
 *           idleTimeoutSeconds: 300, messageTimeoutSeconds: 60, minBytesPerSecond: 1024 }
 * fdoApi: https://fdo.portal.mardi4nfdi.de/fdo/  # unset: manifests derived from storage
 * facade: { timeoutSeconds: 10, cacheCapacity: 10000, cacheTtlSeconds: 300 }
 * lakefs: { url: ..., repo: ..., branch: main, user: ..., password: ...,  # url unset: embedded storage
 *           retries: 4, retryDelayMillis: 100,
 *           timeoutSeconds: 30,         # a call's answer, retries included, and each piece of content read
 *           resetUncommittedOnStart: true,   # reset what an older, killed server left staged on the branch
 *           staleWriteBranchHours: 24 }      # delete write branches a crashed write left once this old
 * mediawiki: { apiUrl: https://portal.mardi4nfdi.de/w/api.php,  # unset: binary search over the objects held here
 *             timeoutSeconds: 15,
 *             importerUrl: http://importer:8000,   # unset: upstream's create makes objects here; property updates refused
 *             importerTimeoutSeconds: 30 }
 * health: { intervalSeconds: 30, timeoutSeconds: 5 }   # dependency checks that hello reports
 * ollama: { host: http://127.0.0.1:11434, model: ..., apiKey: ...,  # refining equations needs a model
 *           timeoutSeconds: 60, acceptsImages: false }       # per model call; whether the model reads images
 * workflows: { maxConcurrentRuns: 2, timeoutSeconds: 600,     # runs at once (others queue); one run's limit
 *              equations: { componentId: equations.json, maxPdfBytes: 104857600, maxPages: 500 } }
 * rocrate: { maxDownloadBytes: 268435456,   # a distribution an RO-Crate wraps (a body of unknown length is held in memory)
 *            downloadTimeoutSeconds: 30 }   # its answer, and each piece of its body
 * events: { pollSeconds: 5,     # lakeFS: how often the branch's log is read for other servers' commits; 0: never
 *           bufferSize: 1024 }  # changes held for watchers that fall behind (they then catch up from the log)
 * ```
 *
 * Secrets are `Redacted`: they print as `<redacted>` in every log line.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Yaml from "effect/encoding/Yaml"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { redactUrlsIn } from "./Redact.ts"

/** `host:8000` is `https://host:8000`; a URL with a scheme stays as it is */
const withScheme = (url: string) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(url.trim()) ? url.trim() : `https://${url.trim()}`)

const ListenPort = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65534 }))

/**
 * The `Config` description of the server's settings.
 *
 * @category config
 * @since 0.1.0
 */
export const config = Config.all({
  host: Config.String("host").pipe(Config.withDefault("0.0.0.0")),
  // 0 asks the system for a free port (tests, benchmarks); the log then says which one was taken. The DOIP v2.0
  // listener will take port + 1, hence the upper bound.
  port: Config.schema(ListenPort, "port").pipe(Config.withDefault(3567)),
  dataDir: Config.String("dataDir").pipe(Config.withDefault("./data")),
  serverName: Config.String("serverName").pipe(Config.withDefault("effect-doip")),
  serviceId: Config.String("serviceId").pipe(Config.withDefault("effect-doip/service")),
  tls: Config.all({
    // unset: `required` when a certificate is configured (or in upstream's certs/), else `auto` (see server/tls/Tls)
    mode: Config.option(Config.schema(Schema.Literals(["off", "auto", "required"]), "mode")),
    cert: Config.option(Config.String("cert")),
    key: Config.option(Config.String("key"))
  }).pipe(Config.nested("tls")),
  auth: Config.all({
    token: Config.option(Config.Redacted("token")),
    username: Config.option(Config.String("username")),
    password: Config.option(Config.Redacted("password")),
    invokeRequiresAuth: Config.Boolean("invokeRequiresAuth").pipe(Config.withDefault(false)),
    // who checks user names and passwords: the ones configured here, or the MediaWiki's login (server/AuthBackends)
    backend: Config.schema(Schema.Literals(["static", "mediawiki"]), "backend").pipe(Config.withDefault("static" as const)),
    // how long a MediaWiki login that succeeded is trusted without asking again
    mediawikiCacheSeconds: Config.Number("mediawikiCacheSeconds").pipe(Config.withDefault(300)),
    // guessing slowed down (server/AuthThrottle.ts): at 0 failures tolerated even a first attempt would wait
    maxFailures: Config.schema(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)), "maxFailures").pipe(Config.withDefault(5)),
    failureWindowSeconds: Config.Number("failureWindowSeconds").pipe(Config.withDefault(60)),
    backoffBaseMillis: Config.Int("backoffBaseMillis").pipe(Config.withDefault(250)),
    backoffMaxMillis: Config.Int("backoffMaxMillis").pipe(Config.withDefault(5000)),
    lockoutSeconds: Config.Number("lockoutSeconds").pipe(Config.withDefault(60)),
    // bounds the throttle's memory, however many addresses a flood comes from
    maxTrackedClients: Config.schema(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)), "maxTrackedClients").pipe(
      Config.withDefault(10_000)
    )
  }).pipe(Config.nested("auth")),
  limits: Config.all({
    maxObjectIdLength: Config.Int("maxObjectIdLength").pipe(Config.withDefault(1024)),
    maxMetadataSize: Config.Int("maxMetadataSize").pipe(Config.withDefault(1024 * 1024)),
    // JSON a client sends nests at most this deep (checked before it is parsed)
    maxJsonDepth: Config.Int("maxJsonDepth").pipe(Config.withDefault(64)),
    maxMessageSize: Config.Number("maxMessageSize").pipe(Config.withDefault(0xffff_ffff)),
    maxComponentSize: Config.Number("maxComponentSize").pipe(Config.withDefault(0xffff_ffff)),
    // DOIP v2.0: JSON and bytes segments in one message (a create with many elements has two per element)
    maxSegmentsPerMessage: Config.Int("maxSegmentsPerMessage").pipe(Config.withDefault(10_000)),
    maxConnections: Config.Int("maxConnections").pipe(Config.withDefault(1024)),
    idleTimeoutSeconds: Config.Number("idleTimeoutSeconds").pipe(Config.withDefault(300)),
    // a message must arrive within this long plus its bytes at minBytesPerSecond: a client that trickles a byte
    // now and then is never idle, and would hold its connection for good
    messageTimeoutSeconds: Config.Number("messageTimeoutSeconds").pipe(Config.withDefault(60)),
    minBytesPerSecond: Config.Number("minBytesPerSecond").pipe(Config.withDefault(1024))
  }).pipe(Config.nested("limits")),
  http: Config.all({
    // the HTTP gateway and web page; 0 turns them off (they have no free-port mode: nobody could find them)
    port: Config.schema(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 })), "port").pipe(
      Config.withDefault(8080)
    )
  }).pipe(Config.nested("http")),
  fdoApi: Config.option(Config.String("fdoApi")),
  facade: Config.all({
    timeoutSeconds: Config.Number("timeoutSeconds").pipe(Config.withDefault(10)),
    cacheCapacity: Config.Int("cacheCapacity").pipe(Config.withDefault(10_000)),
    cacheTtlSeconds: Config.Number("cacheTtlSeconds").pipe(Config.withDefault(300))
  }).pipe(Config.nested("facade")),
  lakefs: Config.all({
    // as the upstream server does, a URL without a scheme means https
    url: Config.option(Config.String("url").pipe(Config.map(withScheme))),
    repo: Config.option(Config.String("repo")),
    branch: Config.String("branch").pipe(Config.withDefault("main")),
    user: Config.option(Config.String("user")),
    password: Config.option(Config.Redacted("password")),
    // reads, stats, deletes and resets that meet a 5xx or a broken connection are retried this often
    retries: Config.Int("retries").pipe(Config.withDefault(4)),
    retryDelayMillis: Config.Int("retryDelayMillis").pipe(Config.withDefault(100)),
    // a lakeFS that hangs must not hang the clients: a call without an answer this long is Unavailable (content
    // uploads excepted; a commit is then looked for on the branch: see LakeFsStorage)
    timeoutSeconds: Config.Number("timeoutSeconds").pipe(Config.withDefault(30)),
    // writes stage on write branches of their own, never on the branch: what is staged there at start was left by
    // an older server, or by hand, and lakeFS merges into the branch only once it is gone
    resetUncommittedOnStart: Config.Boolean("resetUncommittedOnStart").pipe(Config.withDefault(true)),
    // a write branch this old is the leftover of a crashed write (of any server on the branch), and deleted
    staleWriteBranchHours: Config.Number("staleWriteBranchHours").pipe(Config.withDefault(24))
  }).pipe(Config.nested("lakefs")),
  mediawiki: Config.all({
    // the Action API (…/w/api.php) the binary search asks, as upstream does; unset: the objects held here
    apiUrl: Config.option(Config.String("apiUrl").pipe(Config.map(withScheme))),
    timeoutSeconds: Config.Number("timeoutSeconds").pipe(Config.withDefault(15)),
    // MaRDI's importer: upstream's create ({json}) and property updates become knowledge-graph items through it
    importerUrl: Config.option(Config.String("importerUrl").pipe(Config.map(withScheme))),
    importerTimeoutSeconds: Config.Number("importerTimeoutSeconds").pipe(Config.withDefault(30))
  }).pipe(Config.nested("mediawiki")),
  health: Config.all({
    intervalSeconds: Config.Number("intervalSeconds").pipe(Config.withDefault(30)),
    timeoutSeconds: Config.Number("timeoutSeconds").pipe(Config.withDefault(5))
  }).pipe(Config.nested("health")),
  ollama: Config.all({
    host: Config.String("host").pipe(Config.withDefault("http://127.0.0.1:11434")),
    model: Config.option(Config.String("model")),
    apiKey: Config.option(Config.Redacted("apiKey")),
    // one model call; a page of equations that takes longer keeps its heuristic LaTeX
    timeoutSeconds: Config.Number("timeoutSeconds").pipe(Config.withDefault(60)),
    // only a vision model reads the equation crops; a text model would be sent images it ignores
    acceptsImages: Config.Boolean("acceptsImages").pipe(Config.withDefault(false))
  }).pipe(Config.nested("ollama")),
  workflows: Config.all({
    // invoke is open to anonymous callers by default: bound the work they can start
    maxConcurrentRuns: Config.Int("maxConcurrentRuns").pipe(Config.withDefault(2)),
    timeoutSeconds: Config.Number("timeoutSeconds").pipe(Config.withDefault(600)),
    equations: Config.all({
      componentId: Config.String("componentId").pipe(Config.withDefault("equations.json")),
      // a PDF is parsed in memory (pdf.js needs random access), so its size is checked before it is read
      maxPdfBytes: Config.Int("maxPdfBytes").pipe(Config.withDefault(100 * 1024 * 1024)),
      maxPages: Config.Int("maxPages").pipe(Config.withDefault(500))
    }).pipe(Config.nested("equations"))
  }).pipe(Config.nested("workflows")),
  rocrate: Config.all({
    // the download streams into the crate when its server says its length; a body of unknown length has to be held
    // in memory before the crate can announce its own, so this bounds memory too
    maxDownloadBytes: Config.Number("maxDownloadBytes").pipe(Config.withDefault(256 * 1024 * 1024)),
    downloadTimeoutSeconds: Config.Number("downloadTimeoutSeconds").pipe(Config.withDefault(30))
  }).pipe(Config.nested("rocrate")),
  events: Config.all({
    // watchers see other servers' commits on the same lakeFS branch this late at most (the embedded store has one
    // process per data directory, and is not polled)
    pollSeconds: Config.schema(Schema.Number.check(Schema.isGreaterThanOrEqualTo(0)), "pollSeconds").pipe(
      Config.withDefault(5)
    ),
    // the changes kept for watchers, however many there are: one that falls further behind reads what it missed
    // from the commit log, so a slow watcher costs no memory beyond this and never holds a writer back
    bufferSize: Config.schema(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)), "bufferSize").pipe(
      Config.withDefault(1024)
    )
  }).pipe(Config.nested("events"))
})

/**
 * @category models
 * @since 0.1.0
 */
export type Settings = Config.Success<typeof config>

/**
 * The decoded settings, as a service.
 *
 * @category services
 * @since 0.1.0
 */
export class ServerConfig extends Context.Service<ServerConfig, Settings>()("effect-doip/layers/ServerConfig") {}

/**
 * Environment names and the settings path each one sets. Our own `DOIP_*` names come with the upstream names.
 *
 * @category config
 * @since 0.1.0
 */
export const environmentNames: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
  ["DOIP_HOST", ["host"]],
  ["DOIP_PORT", ["port"]],
  ["DOIP_HTTP_PORT", ["http", "port"]],
  ["DOIP_DATA_DIR", ["dataDir"]],
  ["DOIP_SERVER_NAME", ["serverName"]],
  ["DOIP_SERVICE_ID", ["serviceId"]],
  ["DOIP_TLS_MODE", ["tls", "mode"]],
  ["DOIP_TLS_CERT", ["tls", "cert"]],
  ["DOIP_TLS_KEY", ["tls", "key"]],
  ["DOIP_TOKEN", ["auth", "token"]],
  ["DOIP_USERNAME", ["auth", "username"]],
  ["DOIP_PASSWORD", ["auth", "password"]],
  ["DOIP_INVOKE_REQUIRES_AUTH", ["auth", "invokeRequiresAuth"]],
  ["DOIP_AUTH_MAX_FAILURES", ["auth", "maxFailures"]],
  ["DOIP_AUTH_FAILURE_WINDOW_SECONDS", ["auth", "failureWindowSeconds"]],
  ["DOIP_AUTH_BACKEND", ["auth", "backend"]],
  ["DOIP_AUTH_MEDIAWIKI_CACHE_SECONDS", ["auth", "mediawikiCacheSeconds"]],
  ["DOIP_AUTH_BACKOFF_BASE_MILLIS", ["auth", "backoffBaseMillis"]],
  ["DOIP_AUTH_BACKOFF_MAX_MILLIS", ["auth", "backoffMaxMillis"]],
  ["DOIP_AUTH_LOCKOUT_SECONDS", ["auth", "lockoutSeconds"]],
  ["DOIP_AUTH_MAX_TRACKED_CLIENTS", ["auth", "maxTrackedClients"]],
  ["DOIP_MAX_OBJECT_ID_LENGTH", ["limits", "maxObjectIdLength"]],
  ["DOIP_MAX_METADATA_SIZE", ["limits", "maxMetadataSize"]],
  ["DOIP_MAX_JSON_DEPTH", ["limits", "maxJsonDepth"]],
  ["DOIP_MAX_MESSAGE_SIZE", ["limits", "maxMessageSize"]],
  ["DOIP_MAX_COMPONENT_SIZE", ["limits", "maxComponentSize"]],
  ["DOIP_MAX_SEGMENTS_PER_MESSAGE", ["limits", "maxSegmentsPerMessage"]],
  ["DOIP_MAX_CONNECTIONS", ["limits", "maxConnections"]],
  ["DOIP_IDLE_TIMEOUT_SECONDS", ["limits", "idleTimeoutSeconds"]],
  ["DOIP_MESSAGE_TIMEOUT_SECONDS", ["limits", "messageTimeoutSeconds"]],
  ["DOIP_MIN_BYTES_PER_SECOND", ["limits", "minBytesPerSecond"]],
  ["FDO_API", ["fdoApi"]],
  ["DOIP_FDO_TIMEOUT_SECONDS", ["facade", "timeoutSeconds"]],
  ["DOIP_FDO_CACHE_CAPACITY", ["facade", "cacheCapacity"]],
  ["DOIP_FDO_CACHE_TTL_SECONDS", ["facade", "cacheTtlSeconds"]],
  ["LAKEFS_URL", ["lakefs", "url"]],
  ["LAKEFS_REPO", ["lakefs", "repo"]],
  ["LAKEFS_BRANCH", ["lakefs", "branch"]],
  ["LAKEFS_USER", ["lakefs", "user"]],
  ["LAKEFS_PASSWORD", ["lakefs", "password"]],
  ["DOIP_LAKEFS_RETRIES", ["lakefs", "retries"]],
  ["DOIP_LAKEFS_RETRY_DELAY_MILLIS", ["lakefs", "retryDelayMillis"]],
  ["DOIP_LAKEFS_TIMEOUT_SECONDS", ["lakefs", "timeoutSeconds"]],
  ["DOIP_LAKEFS_RESET_UNCOMMITTED_ON_START", ["lakefs", "resetUncommittedOnStart"]],
  ["DOIP_LAKEFS_STALE_WRITE_BRANCH_HOURS", ["lakefs", "staleWriteBranchHours"]],
  ["MEDIAWIKI_API_URL", ["mediawiki", "apiUrl"]],
  ["DOIP_MEDIAWIKI_TIMEOUT_SECONDS", ["mediawiki", "timeoutSeconds"]],
  ["IMPORTER_API_URL", ["mediawiki", "importerUrl"]],
  ["DOIP_IMPORTER_TIMEOUT_SECONDS", ["mediawiki", "importerTimeoutSeconds"]],
  ["DOIP_HEALTH_INTERVAL_SECONDS", ["health", "intervalSeconds"]],
  ["DOIP_HEALTH_TIMEOUT_SECONDS", ["health", "timeoutSeconds"]],
  ["OLLAMA_HOST", ["ollama", "host"]],
  ["OLLAMA_MODEL", ["ollama", "model"]],
  ["OLLAMA_API_KEY", ["ollama", "apiKey"]],
  ["DOIP_OLLAMA_TIMEOUT_SECONDS", ["ollama", "timeoutSeconds"]],
  ["DOIP_OLLAMA_ACCEPTS_IMAGES", ["ollama", "acceptsImages"]],
  ["DOIP_WORKFLOW_MAX_CONCURRENT_RUNS", ["workflows", "maxConcurrentRuns"]],
  ["DOIP_WORKFLOW_TIMEOUT_SECONDS", ["workflows", "timeoutSeconds"]],
  ["DOIP_EQUATIONS_COMPONENT_ID", ["workflows", "equations", "componentId"]],
  ["DOIP_PDF_MAX_BYTES", ["workflows", "equations", "maxPdfBytes"]],
  ["DOIP_PDF_MAX_PAGES", ["workflows", "equations", "maxPages"]],
  ["DOIP_ROCRATE_MAX_DOWNLOAD_BYTES", ["rocrate", "maxDownloadBytes"]],
  ["DOIP_ROCRATE_DOWNLOAD_TIMEOUT_SECONDS", ["rocrate", "downloadTimeoutSeconds"]],
  ["DOIP_EVENTS_POLL_SECONDS", ["events", "pollSeconds"]],
  ["DOIP_EVENTS_BUFFER_SIZE", ["events", "bufferSize"]]
]

/**
 * The settings object set by an environment (only the names that are present and non-empty).
 *
 * @category config
 * @since 0.1.0
 */
export const fromEnvironment = (env: Readonly<Record<string, string | undefined>>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [name, path] of environmentNames) {
    const value = env[name]
    if (value !== undefined && value !== "") setPath(out, path, value)
  }
  return out
}

/**
 * An error reading the configuration file.
 *
 * @category errors
 * @since 0.1.0
 */
export class ConfigFileError extends Schema.TaggedError<ConfigFileError>()("ConfigFileError", {
  path: Schema.String,
  message: Schema.String
}) {}

/**
 * The settings object of a YAML file.
 *
 * @category config
 * @since 0.1.0
 */
export const fromYamlFile = Effect.fnUntraced(function*(path: string) {
  const fs = yield* FileSystem.FileSystem
  const text = yield* fs.readFileString(path).pipe(
    Effect.mapError((error) => new ConfigFileError({ path, message: `cannot read config file: ${error.message}` }))
  )
  const parsed = yield* Effect.try({
    try: () => Yaml.parse(text),
    catch: (error) => new ConfigFileError({ path, message: `config file is not valid YAML: ${String(error)}` })
  })
  if (parsed === null || parsed === undefined) return {}
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    return yield* new ConfigFileError({ path, message: "config file must hold a mapping of settings" })
  }
  return parsed as Record<string, unknown>
})

/**
 * The settings from, in rising precedence: defaults, the YAML file (`configFile`, or `./config.yaml` when it exists),
 * the environment, and `overrides` (the command-line flags).
 *
 * @category constructors
 * @since 0.1.0
 */
export const load = Effect.fnUntraced(function*(options: {
  readonly configFile?: string | undefined
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  readonly overrides?: Record<string, unknown> | undefined
}) {
  const fs = yield* FileSystem.FileSystem
  const file = options.configFile ??
    ((yield* fs.exists("config.yaml").pipe(Effect.orElseSucceed(() => false))) ? "config.yaml" : undefined)
  const fromFile = file === undefined ? {} : yield* fromYamlFile(file)
  const provider = ConfigProvider.fromUnknown(options.overrides ?? {}).pipe(
    ConfigProvider.orElse(ConfigProvider.fromUnknown(fromEnvironment(options.env ?? process.env))),
    ConfigProvider.orElse(ConfigProvider.fromUnknown(fromFile))
  )
  return yield* config.parse(provider)
})

/**
 * Settings for tests: the defaults with some values replaced.
 *
 * @category constructors
 * @since 0.1.0
 */
export const layerTest = (overrides: Record<string, unknown> = {}) =>
  Layer.effect(ServerConfig, config.parse(ConfigProvider.fromUnknown(overrides)).pipe(Effect.orDie))

/**
 * The settings as one line for the log, with every secret redacted, and the user info of every URL.
 *
 * @category formatting
 * @since 0.1.0
 */
export const describe = (settings: Settings): string => JSON.stringify(plain(settings))

/** the settings as plain JSON: options unwrapped (absent ones dropped), secrets and URLs' user info `<redacted>` */
const plain = (value: unknown): unknown => {
  if (Redacted.isRedacted(value)) return "<redacted>"
  if (typeof value === "string") return redactUrlsIn(value)
  if (Option.isOption(value)) return Option.isSome(value) ? plain(value.value) : undefined
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]))
  }
  return value
}

const setPath = (target: Record<string, unknown>, path: ReadonlyArray<string>, value: unknown) => {
  let node = target
  for (const key of path.slice(0, -1)) {
    node = (node[key] ??= {}) as Record<string, unknown>
  }
  node[path[path.length - 1]!] = value
}
