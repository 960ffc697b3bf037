/**
 * What a client can download here, beside ours: `node bench/download-ceiling.ts [runs]`.
 *
 * Starts ours (bench/server-ours.ts, seeded) and downloads its 256 MiB component over the binary wire:
 * - **bare, 64 KiB reads**: a `node:net` client on Node's own `data` events, dropping the bytes;
 * - **bare, 1 MiB reads**: `onread` into one reused buffer, copied into two 1 MiB buffers written to a file (two
 *   writes in flight), the ceiling of a client writing to a file;
 * - **ours, dropped / to a file**: DoipClient's content stream drained, or written with `Files.writeFile`, as
 *   `doip retrieve -o` does.
 * Each line also prints the client process's CPU time (user and system) for the download.
 */
import * as Cp from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { download, withClient } from "./client.ts"
import { BIG, retrieveRequest } from "./wire.ts"

const runs = Number(process.argv[2] ?? 3)
const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "download-ceiling-"))
const file = Path.join(dir, "download.bin")
const server = Cp.spawn(process.execPath, ["--max-semi-space-size=1", "bench/server-ours.ts", "0", dir], {
  stdio: ["ignore", "pipe", "inherit"]
})
const port = await new Promise<number>((resolve) => {
  let out = ""
  server.stdout!.on("data", (d) => {
    out += d
    const ready = /ready (\d+) (\d+)/.exec(out)
    if (ready) resolve(Number(ready[1]))
  })
})

/** Node's own reads, bytes dropped: seconds until `BIG.size` bytes (and the answer's few header bytes) arrived */
const bareDropped = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const start = performance.now()
    let total = 0
    const socket = Net.connect({ port, host: "127.0.0.1" })
    socket.on("data", (chunk: Buffer) => {
      total += chunk.length
      if (total >= BIG.size) {
        socket.destroy()
        resolve((performance.now() - start) / 1000)
      }
    })
    socket.on("error", reject)
    socket.write(retrieveRequest(BIG))
  })

/** 1 MiB reads into a reused buffer, copied into two 1 MiB buffers that are written to `file` */
const bareToFile = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const MiB = 1024 * 1024
    const start = performance.now()
    const fd = Fs.openSync(file, "w")
    const buffers = [Buffer.allocUnsafe(MiB), Buffer.allocUnsafe(MiB)]
    let current = 0
    let filled = 0
    let total = 0
    let writing = 0
    let done = false
    const write = () => {
      writing++
      Fs.write(fd, buffers[current]!, 0, filled, null, () => {
        writing--
        if (socket.isPaused()) socket.resume()
        if (done && writing === 0) {
          Fs.closeSync(fd)
          resolve((performance.now() - start) / 1000)
        }
      })
      current ^= 1
      filled = 0
      if (writing === 2 && !done) socket.pause()
    }
    const socket: Net.Socket = Net.connect({
      port,
      host: "127.0.0.1",
      onread: {
        buffer: Buffer.allocUnsafe(MiB),
        callback: (n: number, read: Uint8Array) => {
          for (let offset = 0; offset < n;) {
            const k = Math.min(n - offset, MiB - filled)
            buffers[current]!.set(read.subarray(offset, offset + k), filled)
            filled += k
            offset += k
            if (filled === MiB) write()
          }
          total += n
          if (total >= BIG.size) {
            done = true
            write()
            socket.destroy()
          }
          return true
        }
      }
    })
    socket.on("error", reject)
    socket.write(retrieveRequest(BIG))
  })

const oursDropped = () =>
  withClient("binary", port, (client) =>
    Effect.scoped(Effect.gen(function*() {
      const start = performance.now()
      const component = yield* client.retrieve(BIG.objectId, BIG.componentId)
      yield* Stream.runDrain(component.content)
      return (performance.now() - start) / 1000
    })))

const measure = async (label: string, f: () => Promise<number>) => {
  const cpu = process.cpuUsage()
  const seconds = await f()
  const used = process.cpuUsage(cpu)
  Fs.rmSync(file, { force: true })
  console.log(
    `${label.padEnd(26)} ${(BIG.size / seconds / 1e6).toFixed(0).padStart(5)} MB/s  ` +
      `user ${(used.user / 1000).toFixed(0).padStart(4)} ms  system ${(used.system / 1000).toFixed(0).padStart(4)} ms`
  )
}

try {
  for (let i = 0; i < runs; i++) {
    await measure("bare, 64 KiB reads, dropped", bareDropped)
    await measure("bare, 1 MiB reads, to a file", bareToFile)
    await measure("ours, dropped", oursDropped)
    await measure("ours, to a file", () => download("binary", port, BIG, file))
  }
} finally {
  server.kill()
  Fs.rmSync(dir, { recursive: true, force: true })
}
