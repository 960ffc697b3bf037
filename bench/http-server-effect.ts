/**
 * The Effect ceiling: what http-server-bare.ts does, with Effect's own HTTP server (`HttpRouter.add` routes served
 * by `HttpRouter.serve` on `NodeHttpServer.layer`, as the gateway is served, without `HttpApi`):
 * `node bench/http-server-effect.ts <answers.json>`, on a free port; prints "ready <port>" once listening.
 *
 * - the captured GETs: `HttpServerResponse.uint8Array` of ours' body with ours' headers;
 * - the download: `HttpServerResponse.stream` of `FileSystem.stream` (1 MiB chunks) of ours' own blob file, the
 *   path ours' download takes through Effect (a `Stream` of the bytes, the length known);
 * - the upload: `request.stream` written to a new file chunk by chunk (`File.writeAll`), `sync`ed, removed again,
 *   then ours' captured answer.
 * Anything else: the router's 404.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as NetAddress from "effect/net/NetAddress"
import * as Stream from "effect/Stream"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServer from "effect/http/HttpServer"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Http from "node:http"
import { type Captured, loadAnswers, uploadFile } from "./http-answers.ts"

const file = process.argv[2]
if (file === undefined) {
  console.error("usage: node bench/http-server-effect.ts <answers.json>")
  process.exit(2)
}
const answers = loadAnswers(file)
const MiB = 1 << 20

/** ours' headers, the content type apart (Effect's responses carry it as their own field) */
const split = (headers: Readonly<Record<string, string>>) => {
  const { "content-type": contentType, ...rest } = headers
  return { contentType, headers: rest }
}

const respond = (a: Captured) => {
  const body = new Uint8Array(Buffer.from(a.body, "base64"))
  const options = { status: a.status, ...split(a.headers) }
  return Effect.sync(() => HttpServerResponse.uint8Array(body, options))
}

const gets = Object.entries(answers.get).map(([path, a]) => HttpRouter.add("GET", path as `/${string}`, respond(a)))

const download = HttpRouter.add(
  "GET",
  answers.download.path as `/${string}`,
  Effect.map(FileSystem.FileSystem, (fs) =>
    HttpServerResponse.stream(fs.stream(answers.download.file, { chunkSize: MiB }), {
      ...split(answers.download.headers),
      contentLength: answers.download.size
    }))
)

let uploads = 0
const uploaded = respond(answers.upload.answer)
const upload = HttpRouter.add("PUT", answers.upload.path as `/${string}`, (request) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = uploadFile(answers.upload.dir, ++uploads)
    yield* Effect.scoped(Effect.gen(function*() {
      const out = yield* fs.open(path, { flag: "w" })
      yield* Stream.runForEach(request.stream, (chunk) => out.writeAll(chunk))
      yield* out.sync
    })).pipe(Effect.ensuring(Effect.ignore(fs.remove(path, { force: true }))))
    return yield* uploaded
  }).pipe(Effect.orDie))

const ready = Layer.effectDiscard(Effect.map(HttpServer.HttpServer, (server) => {
  if (NetAddress.isInetAddress(server.address)) console.log(`ready ${server.address.port}`)
}))

HttpRouter.serve(Layer.mergeAll(download, upload, ...gets), { disableListenLog: true, disableLogger: true }).pipe(
  Layer.merge(ready),
  Layer.provide(NodeHttpServer.layer(() => Http.createServer({ noDelay: true }), { host: "127.0.0.1", port: 0 })),
  Layer.launch,
  NodeRuntime.runMain
)
