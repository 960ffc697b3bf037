/**
 * A recording proxy for DOIP v2.0 interop runs: it sits between a real client and our server's DOIP v2.0 port and
 * writes what each connection carried, in order, to a JSON transcript.
 *
 *   node interop/record-proxy.ts --listen 47578 --target 127.0.0.1:47568 --out /tmp/rec/cnri.json \
 *        [--tls-cert test/fixtures/tls/server.crt --tls-key test/fixtures/tls/server.key] [--label-file /tmp/rec/step]
 *
 * With `--tls-cert`/`--tls-key` the proxy terminates TLS (doipy, doip-sdk and CNRI's client speak DOIP over TLS only)
 * and talks plaintext to the target, so the transcript holds the DOIP bytes themselves. `--label-file` names a file
 * the driver rewrites before each call ("create-with-element", ...): every chunk is tagged with the label in force
 * when it arrived, which is how a pooled connection (CNRI's client keeps one open across calls) is split into steps.
 *
 * The transcript is rewritten after every chunk (so a killed proxy leaves a whole file) and has the shape
 *   { client, target, tls, connections: [{ id, openedAt, closedAt?, events: [{ dir: "c2s" | "s2c", step, t, utf8 | base64 }] }] }
 * A chunk is stored as `utf8` when it is valid UTF-8 without control characters other than \n, \r and \t, else as
 * `base64`. `t` is milliseconds since the proxy started.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import * as tls from "node:tls"
import { parseArgs } from "node:util"

export interface TranscriptEvent {
  readonly dir: "c2s" | "s2c"
  readonly step: string
  readonly t: number
  readonly utf8?: string
  readonly base64?: string
}

export interface TranscriptConnection {
  readonly id: number
  readonly openedAt: number
  closedAt?: number
  readonly events: Array<TranscriptEvent>
}

export interface Transcript {
  readonly client: string
  readonly target: string
  readonly tls: boolean
  readonly connections: Array<TranscriptConnection>
}

const printable = (chunk: Buffer): string | undefined => {
  let text: string
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(chunk)
  } catch {
    return undefined
  }
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(text) ? undefined : text
}

export const encodeChunk = (chunk: Buffer): { utf8: string } | { base64: string } => {
  const text = printable(chunk)
  return text === undefined ? { base64: chunk.toString("base64") } : { utf8: text }
}

export const startProxy = (options: {
  readonly listenPort: number
  readonly targetHost: string
  readonly targetPort: number
  readonly out: string
  readonly client: string
  readonly tls?: { readonly cert: string; readonly key: string } | undefined
  readonly labelFile?: string | undefined
}) => {
  const started = Date.now()
  const transcript: Transcript = {
    client: options.client,
    target: `${options.targetHost}:${options.targetPort}`,
    tls: options.tls !== undefined,
    connections: []
  }
  fs.mkdirSync(path.dirname(options.out), { recursive: true })
  const save = () => fs.writeFileSync(options.out, JSON.stringify(transcript, null, 1) + "\n")
  const label = () => {
    if (options.labelFile === undefined) return ""
    try {
      return fs.readFileSync(options.labelFile, "utf8").trim()
    } catch {
      return ""
    }
  }
  let nextId = 1
  const onClient = (client: net.Socket) => {
    const connection: TranscriptConnection = { id: nextId++, openedAt: Date.now() - started, events: [] }
    transcript.connections.push(connection)
    save()
    const upstream = net.connect({ host: options.targetHost, port: options.targetPort })
    const record = (dir: "c2s" | "s2c", chunk: Buffer) => {
      connection.events.push({ dir, step: label(), t: Date.now() - started, ...encodeChunk(chunk) })
      save()
    }
    client.on("data", (chunk: Buffer) => {
      record("c2s", chunk)
      upstream.write(chunk)
    })
    upstream.on("data", (chunk: Buffer) => {
      record("s2c", chunk)
      client.write(chunk)
    })
    const close = () => {
      if (connection.closedAt === undefined) {
        connection.closedAt = Date.now() - started
        save()
      }
      client.destroy()
      upstream.destroy()
    }
    client.on("end", () => upstream.end())
    upstream.on("end", () => client.end())
    client.on("close", close)
    upstream.on("close", close)
    client.on("error", close)
    upstream.on("error", close)
  }
  const server = options.tls === undefined
    ? net.createServer(onClient)
    : tls.createServer({ cert: fs.readFileSync(options.tls.cert), key: fs.readFileSync(options.tls.key) }, onClient)
  server.on("tlsClientError", (error) => process.stderr.write(`record-proxy: TLS handshake failed: ${error.message}\n`))
  server.listen(options.listenPort, "127.0.0.1", () => {
    process.stderr.write(
      `record-proxy: ${options.tls ? "TLS" : "plaintext"} 127.0.0.1:${options.listenPort} -> ${transcript.target}, writing ${options.out}\n`
    )
  })
  save()
  return server
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      listen: { type: "string" },
      target: { type: "string", default: "127.0.0.1:3568" },
      out: { type: "string" },
      client: { type: "string", default: "unknown" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "label-file": { type: "string" }
    }
  })
  if (values.listen === undefined || values.out === undefined) {
    process.stderr.write("usage: record-proxy.ts --listen PORT --target HOST:PORT --out FILE [--client NAME] [--tls-cert F --tls-key F] [--label-file F]\n")
    process.exit(2)
  }
  const [host, port] = values.target.split(":")
  const server = startProxy({
    listenPort: Number(values.listen),
    targetHost: host,
    targetPort: Number(port),
    out: values.out,
    client: values.client,
    tls: values["tls-cert"] && values["tls-key"] ? { cert: values["tls-cert"], key: values["tls-key"] } : undefined,
    labelFile: values["label-file"]
  })
  const stop = () => server.close(() => process.exit(0))
  process.on("SIGTERM", stop)
  process.on("SIGINT", stop)
}
