/**
 * The web page at `/`: routes for the HTTP gateway's router that serve the page (`web/`: one HTML file, one ES
 * module, one style sheet) and the browser builds it loads from the installed packages, KaTeX and pdf.js.
 *
 * The machines this runs on have no internet, so nothing comes from a CDN: the vendored files are found in
 * `node_modules` when the layer is built (`createRequire(...).resolve("<package>/package.json")`), which also keeps
 * their versions those of the lock file. Only the directories in {@link mounts} are served, each by
 * `HttpStaticServer` (a path that leaves its root, after decoding, is a 404; ranges and `ETag`/`304` come with it),
 * and no directory is listed or given an index but the page's own root.
 *
 * @since 0.1.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Effect from "effect/Effect"
import * as HttpRouter from "effect/http/HttpRouter"
import * as HttpServerError from "effect/http/HttpServerError"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as HttpStaticServer from "effect/http/HttpStaticServer"
import * as Layer from "effect/Layer"
import { createRequire } from "node:module"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"

/**
 * A URL prefix and the directory it serves.
 *
 * @category models
 * @since 0.1.0
 */
export interface Mount {
  readonly prefix: string
  readonly root: string
  readonly cacheControl: string
}

/**
 * Everything the page may load, and nothing else. The page's own files revalidate on every load (`no-cache` with
 * their `ETag`), so an upgraded server is seen at once; the vendored builds change only with the lock file, so a
 * browser keeps them a day.
 *
 * @category constants
 * @since 0.1.0
 */
export const mounts: ReadonlyArray<Mount> = (() => {
  const vendor = "public, max-age=86400"
  const katex = packageDir("katex")
  const pdfjs = packageDir("pdfjs-dist")
  return [
    { prefix: "/ui", root: webRoot(), cacheControl: "no-cache" },
    { prefix: "/ui/katex", root: NodePath.join(katex, "dist"), cacheControl: vendor },
    // pdf.js fetches fonts and character maps that a PDF does not embed, wasm decoders for some images, a colour profile
    { prefix: "/ui/pdfjs/build", root: NodePath.join(pdfjs, "build"), cacheControl: vendor },
    { prefix: "/ui/pdfjs/cmaps", root: NodePath.join(pdfjs, "cmaps"), cacheControl: vendor },
    { prefix: "/ui/pdfjs/standard_fonts", root: NodePath.join(pdfjs, "standard_fonts"), cacheControl: vendor },
    { prefix: "/ui/pdfjs/wasm", root: NodePath.join(pdfjs, "wasm"), cacheControl: vendor },
    { prefix: "/ui/pdfjs/iccs", root: NodePath.join(pdfjs, "iccs"), cacheControl: vendor }
  ]
})()

/**
 * The page's routes: `GET /` (the page; its views are `#/...` fragments, so deep links need no server route) and
 * `GET /ui/...` (its files). `HEAD` is answered by the router from the same routes.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<never, never, HttpRouter.HttpRouter> = HttpRouter.use(Effect.fnUntraced(function*(router) {
  const page = yield* HttpStaticServer.make({ root: webRoot(), index: "index.html", cacheControl: "no-cache" })
  yield* router.add("GET", "/", respond(page))
  for (const mount of mounts) {
    const files = yield* HttpStaticServer.make({ root: mount.root, index: undefined, cacheControl: mount.cacheControl })
    yield* router.prefixed(mount.prefix).add("GET", "/*", respond(files))
  }
})).pipe(
  // making a static server only reads its services: a failure there is a broken install, not a request's error
  Layer.orDie,
  // the files are read through Node's platform services; the gateway needs nothing more of its routes than a router
  Layer.provide(NodeHttpServer.layerHttpServices)
)

// A missing file is answered here as the gateway answers every failure, JSON `{error, message}`, rather than left to
// the router's error handling; and the Content-Type set from the file name is the only one a browser may use
// (nothing uploaded is served from here, but a sniffed type is never what we meant).
const respond = <R>(
  files: Effect.Effect<HttpServerResponse.HttpServerResponse, HttpServerError.HttpServerError, R>
) =>
  files.pipe(
    Effect.catch((error) =>
      error.reason._tag === "RouteNotFound"
        ? Effect.succeed(failure(404, "NotFound", "no such file"))
        : Effect.as(Effect.logError("a file of the web page could not be read", error), failure(500, "InternalError", "the file could not be read"))
    ),
    Effect.map(HttpServerResponse.setHeader("X-Content-Type-Options", "nosniff"))
  )

const failure = (status: number, error: string, message: string) =>
  HttpServerResponse.jsonUnsafe({ error, message }, { status })

function webRoot(): string {
  return fileURLToPath(new URL("./web/", import.meta.url))
}

// resolved as Node resolves an import from this module, so a hoisted or nested install is found alike
function packageDir(name: string): string {
  return NodePath.dirname(createRequire(import.meta.url).resolve(`${name}/package.json`))
}
