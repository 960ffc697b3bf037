/**
 * The client commands: `hello`, `list-ops`, `retrieve`, `history`, `update`, `create`, `delete`, `search`, `invoke`,
 * `purge`, `watch` (which prints one JSON line per change until Ctrl-C).
 * Each connects with the connection flags (`--protocol binary|doip2` picks the framing), runs one call, prints JSON
 * answers pretty and element bytes raw (or to `--output`). Every failure is one line on stderr and exit code 1.
 * Component bytes going either way pass through a progress meter (a line on a terminal's stderr for transfers over
 * 1 MB); `--json` and `--quiet` (see `Output.ts`) are taken by every command.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { Argument, Command, Flag } from "effect/cli"
import * as Files from "../client/Files.ts"
import * as DoipClient from "../client/DoipClient.ts"
import type { ClientError } from "../client/ClientError.ts"
import * as Output from "./Output.ts"
import * as Progress from "./Progress.ts"

/** where the server listens unless told otherwise: the DOIP v2.0 listener is on the binary port + 1 */
const defaultPorts = { binary: 3567, doip2: 3568 } as const

const connection = {
  host: Flag.String("host").pipe(Flag.withDescription("server host"), Flag.withDefault("127.0.0.1")),
  protocol: Flag.Literals("protocol", ["binary", "doip2"]).pipe(
    Flag.withDescription("binary envelope, or DOIP v2.0 segments"),
    Flag.withDefault("binary")
  ),
  port: Flag.Int("port").pipe(
    Flag.withDescription(`server port (default ${defaultPorts.binary}, or ${defaultPorts.doip2} with --protocol doip2)`),
    Flag.optional
  ),
  tls: Flag.Boolean("tls").pipe(Flag.withDescription("connect over TLS, verifying the certificate"), Flag.withDefault(false)),
  ca: Flag.File("ca").pipe(Flag.withDescription("PEM file of the CA to trust (implies --tls)"), Flag.optional),
  insecure: Flag.Boolean("insecure").pipe(
    Flag.withDescription("TLS without verifying the certificate (development only; implies --tls)"),
    Flag.withDefault(false)
  ),
  timeout: Flag.Int("timeout").pipe(Flag.withDescription("seconds a call may take"), Flag.withDefault(60)),
  // not about the connection, but every command that connects takes them
  ...Output.flags
}

const credentials = {
  token: Flag.Redacted("token").pipe(
    Flag.withDescription("write token (env DOIP_TOKEN)"),
    Flag.withFallbackConfig(Config.Redacted("DOIP_TOKEN")),
    Flag.optional
  ),
  username: Flag.String("username").pipe(
    Flag.withDescription("user name (env DOIP_USERNAME)"),
    Flag.withFallbackConfig(Config.String("DOIP_USERNAME")),
    Flag.optional
  ),
  password: Flag.Redacted("password").pipe(
    Flag.withDescription("password (env DOIP_PASSWORD)"),
    Flag.withFallbackConfig(Config.Redacted("DOIP_PASSWORD")),
    Flag.optional
  )
}

type ConnectionFlags = Command.Command.Config.Infer<typeof connection>
type CredentialFlags = Command.Command.Config.Infer<typeof credentials>

const clientOptions = Effect.fnUntraced(function*(flags: ConnectionFlags, creds?: CredentialFlags) {
  const fs = yield* FileSystem.FileSystem
  const ca = Option.isSome(flags.ca) ? yield* fs.readFile(flags.ca.value) : undefined
  const tls = flags.insecure
    ? { verify: false }
    : ca !== undefined
    ? { ca }
    : flags.tls
  return {
    host: flags.host,
    port: Option.getOrElse(flags.port, () => defaultPorts[flags.protocol]),
    tls,
    timeout: `${flags.timeout} seconds`,
    // a person at a terminal wants "refused" at once when no server runs, not after half a minute of retries; a
    // connection that drops mid-command is still reopened, a few times
    reconnect: { maxAttempts: 3, maxElapsed: "2 seconds" },
    credentials: creds === undefined ? undefined : {
      token: Option.getOrUndefined(creds.token),
      username: Option.getOrUndefined(creds.username),
      password: Option.getOrUndefined(creds.password)
    }
  } satisfies DoipClient.ClientOptions
})

/**
 * runs `f` with a client built from the flags; client errors become one line on stderr and exit code 1; `--json` and
 * `--quiet` hold for all of it
 */
const withClient = <A, E, R>(
  flags: ConnectionFlags,
  creds: CredentialFlags | undefined,
  f: (client: DoipClient.DoipClient["Service"]) => Effect.Effect<A, E | ClientError, R>
) =>
  Effect.gen(function*() {
    const options = yield* clientOptions(flags, creds)
    const client = yield* (flags.protocol === "doip2" ? DoipClient.makeDoip2(options) : DoipClient.make(options))
    return yield* f(client)
  }).pipe(Effect.scoped, Output.failOnError, Output.withMode(flags))

const objectId = Argument.String("object-id").pipe(Argument.withDescription("object id, e.g. Q123"))

const hello = Command.make("hello", connection, (flags) =>
  withClient(flags, undefined, (client) => Effect.flatMap(client.hello(), Output.json)))
  .pipe(Command.withDescription("Ask the server who it is and what it offers"))

const listOps = Command.make("list-ops", connection, (flags) =>
  withClient(flags, undefined, (client) => Effect.flatMap(client.listOps(), Output.json)))
  .pipe(Command.withDescription("List the operations the server offers"))

const retrieve = Command.make("retrieve", {
  ...connection,
  objectId,
  component: Flag.String("component").pipe(Flag.withDescription("component id; without it, the manifest"), Flag.optional),
  version: Flag.String("version").pipe(
    Flag.withDescription("a version (commit id, as `doip history` lists them): the object or component as it was then"),
    Flag.optional
  ),
  output: Flag.String("output").pipe(
    Flag.withAlias("o"),
    Flag.withDescription("file, or existing folder, to write to (default: stdout)"),
    Flag.optional
  )
}, (flags) =>
  withClient(flags, undefined, (client) =>
    Effect.gen(function*() {
      const options = { version: Option.getOrUndefined(flags.version) }
      if (Option.isNone(flags.component)) {
        const manifest = yield* client.retrieve(flags.objectId, options)
        if (Option.isNone(flags.output)) return yield* Output.json(manifest)
        const bytes = yield* Output.writeJsonFile(flags.output.value, manifest)
        return yield* Output.outcome(`wrote the manifest (${bytes} bytes) to ${flags.output.value}`, {
          objectId: flags.objectId,
          bytes,
          file: flags.output.value
        })
      }
      if (flags.json && Option.isNone(flags.output)) {
        return yield* new Output.UsageError({ message: "--json with --component needs --output: stdout would carry the bytes" })
      }
      const component = yield* client.retrieve(flags.objectId, flags.component.value, options)
      const label = `${flags.objectId}/${component.componentId}`
      if (Option.isNone(flags.output)) {
        const toStdout = Progress.transfer(label, component.size, (meter) => Output.stdout(meter.count(component.content)))
        // bytes shown on the terminal itself would be torn up by a line redrawn between them
        return yield* process.stdout.isTTY ? Effect.provideService(toStdout, Progress.Display, undefined) : toStdout
      }
      const target = yield* Output.targetFile(flags.output.value, component.componentId)
      // the bytes that arrived, not the size announced (a DOIP v2.0 server need not announce one)
      const bytes = yield* Progress.transfer(label, component.size, (meter) =>
        Effect.andThen(Output.writeFile(target, meter.count(component.content)), meter.bytes))
      yield* Output.outcome(`wrote ${bytes} bytes (${component.mediaType}) to ${target}`, {
        objectId: flags.objectId,
        componentId: component.componentId,
        bytes,
        file: target,
        mediaType: component.mediaType
      })
    })))
  .pipe(Command.withDescription("Retrieve an object's manifest, or one component with --component; --version for an earlier one"))

const history = Command.make("history", { ...connection, objectId }, (flags) =>
  withClient(flags, undefined, (client) =>
    Effect.gen(function*() {
      const versions = yield* client.versions(flags.objectId)
      if (versions.length === 0) yield* Output.note(`${flags.objectId} has no stored versions`)
      yield* Output.records(versions, versionLine)
    })))
  .pipe(Command.withDescription(
    "List an object's versions, newest first, one a line: id, time, author, operation, components (+added " +
      "~changed -removed), message (--json: one JSON object a line)"
  ))

const update = Command.make("update", {
  ...connection,
  ...credentials,
  objectId,
  component: Flag.String("component").pipe(Flag.withDescription("component id (an exact file name)")),
  input: Flag.File("input").pipe(Flag.withAlias("i"), Flag.withDescription("file holding the new content")),
  mediaType: Flag.String("media-type").pipe(
    Flag.withDescription("media type of the content"),
    Flag.withDefault("application/octet-stream")
  )
}, (flags) =>
  withClient(flags, flags, (client) =>
    Effect.gen(function*() {
      const file = yield* Files.readFile(flags.input)
      const answer = yield* Progress.transfer(`${flags.objectId}/${flags.component}`, file.size, (meter) =>
        client.updateComponent(flags.objectId, flags.component, counted(meter, file), flags.mediaType))
      yield* Output.json(answer)
    })))
  .pipe(Command.withDescription("Replace one component of an object (streams --input; needs a credential)"))

const invoke = Command.make("invoke", {
  ...connection,
  ...credentials,
  objectId,
  workflow: Flag.String("workflow").pipe(Flag.withAlias("w"), Flag.withDescription("workflow name, e.g. fixity")),
  params: Flag.String("params").pipe(Flag.withDescription("workflow params as a JSON object"), Flag.withDefault("{}"))
}, (flags) =>
  withClient(flags, flags, (client) =>
    Effect.gen(function*() {
      const params = yield* Output.parseJsonObject("--params", flags.params)
      const answer = yield* client.invoke(flags.objectId, flags.workflow, params)
      yield* Output.json({
        metadata: answer.metadata,
        workflow: answer.workflow,
        components: answer.components.map((c) => ({ componentId: c.componentId, mediaType: c.mediaType, size: c.content.length }))
      })
    })))
  .pipe(Command.withDescription("Run a workflow on an object"))

const create = Command.make("create", {
  ...connection,
  ...credentials,
  id: Flag.String("id").pipe(Flag.withDescription("the new object's id (default: the next free QID)"), Flag.optional),
  type: Flag.String("type").pipe(Flag.withDescription("the object's type, e.g. Dataset"), Flag.optional),
  elements: Flag.String("element").pipe(
    Flag.withAlias("e"),
    Flag.withDescription("an element: ID=FILE or ID=FILE:MEDIA/TYPE (repeat for more; streamed from FILE)"),
    Flag.atLeast(1)
  ),
  attributes: Flag.String("attributes").pipe(
    Flag.withDescription(`the object's attributes as a JSON object, e.g. '{"content":{"name":"x"}}'`),
    Flag.optional
  )
}, (flags) =>
  withClient(flags, flags, (client) =>
    Effect.gen(function*() {
      const attributes = Option.isSome(flags.attributes)
        ? yield* Output.parseJsonObject("--attributes", flags.attributes.value)
        : undefined
      const elements = yield* Effect.forEach(flags.elements, (spec) =>
        Effect.gen(function*() {
          const element = yield* parseElement(spec)
          return { id: element.id, mediaType: element.mediaType, file: yield* Files.readFile(element.file) }
        }))
      // one line for all the elements: they go out one after the other, in one request
      const total = elements.reduce((sum, element) => sum + element.file.size, 0)
      const label = `${Option.getOrElse(flags.id, () => "new object")} (${elements.length} element${elements.length === 1 ? "" : "s"})`
      const answer = yield* Progress.transfer(label, total, (meter) =>
        client.create(
          { id: Option.getOrUndefined(flags.id), type: Option.getOrUndefined(flags.type), attributes },
          elements.map((element) => ({ id: element.id, mediaType: element.mediaType, content: counted(meter, element.file) }))
        ))
      yield* Output.json(answer)
    })))
  .pipe(Command.withDescription("Create an object from files, one element each (needs a credential)"))

const remove = Command.make("delete", { ...connection, ...credentials, objectId }, (flags) =>
  withClient(flags, flags, (client) =>
    Effect.flatMap(client.delete(flags.objectId), (answer) =>
      // DOIP v2.0 answers a delete with its status alone
      Object.keys(answer).length === 0
        ? Output.outcome(`deleted ${flags.objectId}`, { objectId: flags.objectId, deleted: true })
        : Output.json(answer))))
  .pipe(Command.withDescription("Delete an object: every element goes, in one commit (needs a credential)"))

const search = Command.make("search", {
  ...connection,
  query: Argument.String("query").pipe(
    Argument.withDescription(`"*" for everything; field:value terms (type:Dataset, name:x); words anywhere`)
  ),
  pageNum: Flag.Int("page-num").pipe(Flag.withDescription("0-based page (default 0)"), Flag.optional),
  pageSize: Flag.Int("page-size").pipe(Flag.withDescription("results per page (default: all)"), Flag.optional),
  sort: Flag.String("sort").pipe(Flag.withDescription(`sort fields, e.g. "id DESC" or "type,id"`), Flag.optional),
  type: Flag.Literals("type", ["id", "full"]).pipe(
    Flag.withDescription("ids only, or whole objects (default full)"),
    Flag.optional
  )
}, (flags) =>
  withClient(flags, undefined, (client) =>
    Effect.flatMap(
      client.search(flags.query, {
        pageNum: Option.getOrUndefined(flags.pageNum),
        pageSize: Option.getOrUndefined(flags.pageSize),
        sortFields: Option.getOrUndefined(flags.sort),
        type: Option.getOrUndefined(flags.type)
      }),
      Output.json
    )))
  .pipe(Command.withDescription("Search objects: prints {size, results}"))

const purge = Command.make("purge", { ...connection, objectId }, (flags) =>
  withClient(flags, undefined, (client) => Effect.flatMap(client.purge(flags.objectId), Output.json)))
  .pipe(Command.withDescription("Drop the server's cached manifest of an object"))

const watch = Command.make("watch", {
  ...connection,
  // a watch streams without end, which only DOIP v2.0 carries
  protocol: Flag.Literals("protocol", ["binary", "doip2"]).pipe(
    Flag.withDescription("DOIP v2.0 segments (the only protocol that carries a watch)"),
    Flag.withDefault("doip2")
  ),
  ids: Argument.String("object-id").pipe(
    Argument.withDescription("objects to watch, e.g. Q123 (default: every object)"),
    Argument.variadic()
  ),
  since: Flag.String("since").pipe(
    Flag.withDescription("a version (an event's version) to resume after: the changes since come first"),
    Flag.optional
  )
}, (flags) =>
  withClient(flags, undefined, (client) =>
    Effect.gen(function*() {
      // Ctrl-C is how a watch ends: exit code 0, not 130
      Output.endsCleanlyOnInterrupt()
      yield* Output.note(`watching ${flags.ids.length === 0 ? "every object" : flags.ids.join(", ")}; Ctrl-C ends`)
      yield* Output.lines(client.watch(flags.ids, {
        since: Option.getOrUndefined(flags.since),
        // a watch runs for long: a server that restarts (or a network that drops) is waited for up to 5 minutes, not
        // the 2 seconds a one-shot command gives it
        reconnect: { maxAttempts: 100, maxElapsed: "5 minutes" }
      }))
    })))
  .pipe(Command.withDescription(
    "Print the changes of objects as they happen, one JSON object a line ({objectId, version, operation, time, " +
      "components: {added, changed, removed}}), until Ctrl-C; reconnects and resumes when the connection drops"
  ))

/**
 * @since 0.1.0
 */
export const commands = [hello, listOps, retrieve, history, update, create, remove, search, invoke, purge, watch] as const

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

/** one version on one line: `id  time  author  operation  +added ~changed -removed  message` */
const versionLine = (version: DoipClient.ObjectVersion) => {
  const { added, changed, removed } = version.components
  const components = [
    ...added.map((id) => `+${id}`),
    ...changed.map((id) => `~${id}`),
    ...removed.map((id) => `-${id}`),
    ...(version.description === undefined ? [] : [`(description ${version.description})`])
  ]
  return [
    version.id,
    version.time,
    version.author,
    version.operation ?? "-",
    components.length === 0 ? "-" : components.join(" "),
    // one line whatever the message holds
    version.message.replace(/\s+/g, " ")
  ].join("  ")
}

/** a file to upload, its bytes counted by the meter as the upload takes them */
const counted = <E>(meter: Progress.Meter, file: { readonly size: number; readonly stream: Stream.Stream<Uint8Array, E> }) => ({
  size: file.size,
  stream: meter.count(file.stream)
})

/** `ID=FILE` or `ID=FILE:MEDIA/TYPE`; without a media type, one guessed from the file's extension */
const parseElement = (spec: string) => {
  const equals = spec.indexOf("=")
  if (equals <= 0 || equals === spec.length - 1) {
    return Effect.fail(new Output.UsageError({ message: `--element ${JSON.stringify(spec)} is not ID=FILE[:MEDIA/TYPE]` }))
  }
  const id = spec.slice(0, equals)
  const rest = spec.slice(equals + 1)
  const typed = /^(.+):([\w.+-]+\/[\w.+-]+)$/.exec(rest)
  const file = typed === null ? rest : typed[1]!
  return Effect.succeed({ id, file, mediaType: typed === null ? guessMediaType(file) : typed[2]! })
}

const mediaTypes: Record<string, string> = {
  csv: "text/csv",
  txt: "text/plain",
  md: "text/markdown",
  tex: "application/x-tex",
  json: "application/json",
  jsonld: "application/ld+json",
  xml: "application/xml",
  html: "text/html",
  pdf: "application/pdf",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  svg: "image/svg+xml",
  zip: "application/zip",
  gz: "application/gzip"
}

const guessMediaType = (file: string): string | undefined => {
  const dot = file.lastIndexOf(".")
  return dot < 0 ? undefined : mediaTypes[file.slice(dot + 1).toLowerCase()]
}

