/**
 * The HTTP ceiling: bare `node:http` answering ours' captured bytes (http-answers.ts), no framework:
 * `node bench/http-server-bare.ts <answers.json>`, on a free port; prints "ready <port>" once listening.
 *
 * - the captured GETs: `writeHead` with ours' headers, `end` with ours' body;
 * - the download: ours' headers, then ours' own blob file through `createReadStream` (1 MiB reads) piped to the
 *   answer;
 * - the upload: the body piped to a new file, flushed to disk (`flush: true`: fsync before close, as ours commits),
 *   removed again, then ours' captured answer.
 * Anything else: 404.
 */
import * as Fs from "node:fs"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { pipeline } from "node:stream/promises"
import { loadAnswers, uploadFile } from "./http-answers.ts"

const file = process.argv[2]
if (file === undefined) {
  console.error("usage: node bench/http-server-bare.ts <answers.json>")
  process.exit(2)
}
const answers = loadAnswers(file)
const MiB = 1 << 20

const gets = new Map(Object.entries(answers.get).map(([path, a]) => {
  const body = Buffer.from(a.body, "base64")
  return [path, { status: a.status, headers: { ...a.headers, "content-length": String(body.length) }, body }]
}))
const download = { ...answers.download, headers: { ...answers.download.headers, "content-length": String(answers.download.size) } }
const uploaded = Buffer.from(answers.upload.answer.body, "base64")
const uploadHeaders = { ...answers.upload.answer.headers, "content-length": String(uploaded.length) }
let uploads = 0

const server = Http.createServer({ noDelay: true }, (request, response) => {
  const url = request.url ?? ""
  if (request.method === "GET") {
    const answer = gets.get(url)
    if (answer !== undefined) {
      response.writeHead(answer.status, answer.headers)
      response.end(answer.body)
      return
    }
    if (url === download.path) {
      response.writeHead(200, download.headers)
      Fs.createReadStream(download.file, { highWaterMark: MiB }).pipe(response)
      return
    }
  }
  if (request.method === "PUT" && url === answers.upload.path) {
    const path = uploadFile(answers.upload.dir, ++uploads)
    pipeline(request, Fs.createWriteStream(path, { flush: true })).then(
      () => {
        Fs.rmSync(path, { force: true })
        response.writeHead(answers.upload.answer.status, uploadHeaders)
        response.end(uploaded)
      },
      () => {
        Fs.rmSync(path, { force: true })
        response.destroy()
      }
    )
    return
  }
  request.resume()
  response.writeHead(404, { "content-length": "0" })
  response.end()
})

server.listen(0, "127.0.0.1", () => console.log(`ready ${(server.address() as AddressInfo).port}`))
for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => process.exit(0))
