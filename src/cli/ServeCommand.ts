/**
 * `doip serve`: the server on its embedded defaults, or as configured.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { Command, Flag } from "effect/cli"
import * as Backends from "../layers/config/Backends.ts"
import * as DemoSeed from "../layers/storage/DemoSeed.ts"
import * as ServerConfig from "../layers/config/ServerConfig.ts"
import * as DoipServer from "../server/DoipServer.ts"
import { GatewayAddress } from "../server/http/GatewayAddress.ts"
import * as HttpGateway from "../server/http/HttpGateway.ts"
import * as WebPage from "../server/http/WebPage.ts"
import { packageVersion, ServerInfo } from "../server/ServerInfo.ts"
import * as Tls from "../server/tls/Tls.ts"
import * as Output from "./Output.ts"
import * as WriteCredential from "./WriteCredential.ts"

const flags = {
  config: Flag.File("config").pipe(Flag.withDescription("YAML config file (default: ./config.yaml when present)"), Flag.optional),
  host: Flag.String("host").pipe(Flag.withDescription("address to listen on (default 0.0.0.0)"), Flag.optional),
  port: Flag.Int("port").pipe(Flag.withDescription("binary listener port (default 3567)"), Flag.optional),
  httpPort: Flag.Int("http-port").pipe(
    Flag.withDescription("HTTP gateway and web page port (env DOIP_HTTP_PORT, default 8080; 0 turns them off)"),
    Flag.optional
  ),
  dataDir: Flag.String("data-dir").pipe(
    Flag.withDescription("embedded storage folder (env DOIP_DATA_DIR, default ./data)"),
    Flag.optional
  ),
  fdoApi: Flag.String("fdo-api").pipe(
    Flag.withDescription("FDO façade base URL (env FDO_API; default: manifests derived from storage)"),
    Flag.optional
  ),
  lakefsUrl: Flag.String("lakefs-url").pipe(
    Flag.withDescription("lakeFS server, https when no scheme is given (env LAKEFS_URL; default: embedded storage)"),
    Flag.optional
  ),
  lakefsRepo: Flag.String("lakefs-repo").pipe(Flag.withDescription("lakeFS repository (env LAKEFS_REPO)"), Flag.optional),
  lakefsBranch: Flag.String("lakefs-branch").pipe(
    Flag.withDescription("lakeFS branch (env LAKEFS_BRANCH, default main)"),
    Flag.optional
  ),
  lakefsUser: Flag.String("lakefs-user").pipe(Flag.withDescription("lakeFS access key id (env LAKEFS_USER)"), Flag.optional),
  lakefsPassword: Flag.String("lakefs-password").pipe(
    Flag.withDescription("lakeFS secret access key (env LAKEFS_PASSWORD, which other users cannot see in ps)"),
    Flag.optional
  ),
  tls: Flag.Literals("tls", Tls.modes).pipe(
    Flag.withDescription(
      "off: plaintext only; auto: plaintext and TLS on every port; required: TLS only (env DOIP_TLS_MODE; default " +
        "required with a certificate, else auto with a self-signed one kept in the data dir)"
    ),
    Flag.optional
  ),
  tlsCert: Flag.String("tls-cert").pipe(
    Flag.withDescription("TLS certificate, PEM (env DOIP_TLS_CERT; default certs/server.crt when it exists)"),
    Flag.optional
  ),
  tlsKey: Flag.String("tls-key").pipe(
    Flag.withDescription("TLS private key, PEM (env DOIP_TLS_KEY; default certs/server.key when it exists)"),
    Flag.optional
  )
}

/**
 * The flags given, as a settings object (the highest-precedence configuration source).
 *
 * @since 0.1.0
 */
const overridesOf = (options: {
  readonly host: Option.Option<string>
  readonly port: Option.Option<number>
  readonly httpPort: Option.Option<number>
  readonly dataDir: Option.Option<string>
  readonly fdoApi: Option.Option<string>
  readonly lakefsUrl: Option.Option<string>
  readonly lakefsRepo: Option.Option<string>
  readonly lakefsBranch: Option.Option<string>
  readonly lakefsUser: Option.Option<string>
  readonly lakefsPassword: Option.Option<string>
  readonly tls: Option.Option<Tls.TlsMode>
  readonly tlsCert: Option.Option<string>
  readonly tlsKey: Option.Option<string>
}) => {
  const out: Record<string, unknown> = {}
  const tls: Record<string, unknown> = {}
  const lakefs: Record<string, unknown> = {}
  if (Option.isSome(options.host)) out["host"] = options.host.value
  if (Option.isSome(options.port)) out["port"] = options.port.value
  if (Option.isSome(options.httpPort)) out["http"] = { port: options.httpPort.value }
  if (Option.isSome(options.dataDir)) out["dataDir"] = options.dataDir.value
  if (Option.isSome(options.fdoApi)) out["fdoApi"] = options.fdoApi.value
  if (Option.isSome(options.lakefsUrl)) lakefs["url"] = options.lakefsUrl.value
  if (Option.isSome(options.lakefsRepo)) lakefs["repo"] = options.lakefsRepo.value
  if (Option.isSome(options.lakefsBranch)) lakefs["branch"] = options.lakefsBranch.value
  if (Option.isSome(options.lakefsUser)) lakefs["user"] = options.lakefsUser.value
  if (Option.isSome(options.lakefsPassword)) lakefs["password"] = options.lakefsPassword.value
  if (Option.isSome(options.tls)) tls["mode"] = options.tls.value
  if (Option.isSome(options.tlsCert)) tls["cert"] = options.tlsCert.value
  if (Option.isSome(options.tlsKey)) tls["key"] = options.tlsKey.value
  if (Object.keys(tls).length > 0) out["tls"] = tls
  if (Object.keys(lakefs).length > 0) out["lakefs"] = lakefs
  return out
}

/**
 * @since 0.1.0
 */
export const serve = Command.make("serve", flags, Effect.fn("serve")(function*(options) {
  const loaded = yield* ServerConfig.load({
    configFile: Option.getOrUndefined(options.config),
    overrides: overridesOf(options)
  })
  const settings = yield* WriteCredential.ensure(loaded)
  yield* Effect.logInfo(`configuration: ${ServerConfig.describe(settings)}`)
  const tls = yield* Tls.resolve(settings)
  yield* Effect.logInfo(tls.log)
  for (const line of Backends.describe(settings)) yield* Effect.logInfo(line)

  const info = Layer.succeed(ServerInfo, {
    name: settings.serverName,
    version: packageVersion,
    tls: tls.setup.mode !== "off",
    storage: Option.isSome(settings.lakefs.url) ? "lakeFS" : "embedded"
  })
  const services = DoipServer.layerServices.pipe(
    Layer.provideMerge(Layer.mergeAll(Layer.succeed(ServerConfig.ServerConfig, settings), info, Backends.layer(settings)))
  )
  // the demo object is for a newcomer's empty embedded store, never for a production lakeFS repository
  const seeded = Layer.effectDiscard(Effect.gen(function*() {
    if (Option.isNone(settings.lakefs.url) && (yield* DemoSeed.seedIfEmpty)) {
      yield* Effect.logInfo(`seeded demo object ${DemoSeed.demoObjectId} with fulltext.pdf`)
    }
  }))
  const listening = Layer.effectDiscard(Effect.gen(function*() {
    const address = yield* DoipServer.ListenAddress
    yield* Effect.logInfo(`binary DOIP listener on ${address.host}:${address.binaryPort}`)
    yield* Effect.logInfo(`DOIP v2.0 listener on ${address.host}:${address.doip2Port}`)
  }))
  const gateway = settings.http.port === 0
    ? Layer.empty
    : HttpGateway.layer({ host: settings.host, port: settings.http.port, tls: tls.setup, routes: WebPage.layer }).pipe(
      Layer.tap((context) => {
        const address = Context.get(context, GatewayAddress)
        const scheme = tls.setup.mode === "required" ? "https" : tls.setup.mode === "auto" ? "http(s)" : "http"
        return Effect.logInfo(`HTTP gateway and web page on ${scheme}://${address.host}:${address.port}/`)
      })
    )
  const server = Layer.merge(
    DoipServer.layerListeners({ host: settings.host, port: settings.port, tls: tls.setup }),
    gateway
  ).pipe(Layer.provideMerge(seeded.pipe(Layer.provideMerge(services))))
  return yield* Layer.launch(Layer.provide(listening, server))
}, Output.failOnError)).pipe(Command.withDescription("Run the DOIP server (binary listener on --port, DOIP v2.0 on --port + 1; embedded storage unless lakeFS is configured)"))
