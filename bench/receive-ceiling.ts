/**
 * The ceiling of receiving an upload on this machine, apart from our code: a raw `node:net` sender process writes
 * 256 MiB in 1 MiB writes over loopback, and this process receives it with Effect 4's own socket reader, doing
 * nothing with the bytes (`plain`) or hashing them with SHA-256 as every store must (`hash`), on the one thread that
 * also reads the socket. Prints MB/s per run, and the CPU time each side spent (user + system, both processes): on a
 * machine whose two cores the sender and the receiver share, that is the budget an upload's hashing, file writes and
 * fsync must fit beside. Hold `npm run bench:wire` row 5 and `bench/upload-loop.ts` against it.
 *
 * `node bench/receive-ceiling.ts [runs]`
 */
import * as NodeSocketServer from "@effect/platform-node/NodeSocketServer"
import * as Effect from "effect/Effect"
import * as NetAddress from "effect/net/NetAddress"
import * as Queue from "effect/Queue"
import type * as Socket from "effect/socket/Socket"
import * as SocketServer from "effect/socket/SocketServer"
import { spawn } from "node:child_process"
import { once } from "node:events"
import { createHash } from "node:crypto"

const SIZE = 256 * 1024 * 1024
const runs = Number(process.argv[2] ?? 2)

/** the sender: a child process writing SIZE bytes in 1 MiB writes, waiting for `drain` as a well-behaved writer does */
const sender = `
const net = require("node:net")
const c = net.connect(Number(process.argv[1]), async () => {
  c.setNoDelay(true)
  const buf = Buffer.alloc(1 << 20, 1)
  for (let i = 0; i < ${SIZE / (1 << 20)}; i++) if (!c.write(buf)) await new Promise((r) => c.once("drain", r))
  c.end()
  c.on("close", () => {
    const u = process.cpuUsage()
    process.stdout.write(String((u.user + u.system) / 1000))
  })
})
c.on("error", () => {})`

/** one connection's bytes, hashed or not: its MB/s from the first byte to the last */
const receive = (socket: Socket.Socket, hash: boolean) =>
  Effect.scoped(Effect.gen(function*() {
    const { pull } = yield* socket.reader
    const digest = createHash("sha256")
    let received = 0
    let started = 0
    while (received < SIZE) {
      const batch = yield* pull
      if (started === 0) started = performance.now()
      for (const chunk of batch) {
        received += chunk.length
        if (hash) digest.update(chunk as Uint8Array)
      }
    }
    return SIZE / 1e6 / ((performance.now() - started) / 1000)
  }))

Effect.gen(function*() {
  const server = yield* SocketServer.SocketServer
  const port = NetAddress.isInetAddress(server.address) ? server.address.port : 0
  const results = yield* Queue.unbounded<number>()
  let hash = false
  yield* Effect.forkScoped(server.run((socket) =>
    receive(socket, hash).pipe(Effect.flatMap((mbs) => Queue.offer(results, mbs)), Effect.ignore)
  ))
  for (let i = 0; i < runs; i++) {
    for (const hashing of [false, true]) {
      hash = hashing
      const child = spawn(process.execPath, ["-e", sender, String(port)], { stdio: ["ignore", "pipe", "ignore"] })
      let senderMs = ""
      child.stdout.on("data", (d) => (senderMs += d))
      const cpu = process.cpuUsage()
      const mbs = yield* Queue.take(results)
      const used = process.cpuUsage(cpu)
      yield* Effect.promise(() => once(child, "exit"))
      console.log(
        `${hashing ? "hash " : "plain"}: ${mbs.toFixed(0)} MB/s, CPU ms: receiver ${((used.user + used.system) / 1000).toFixed(0)}, ` +
          `sender ${Number(senderMs).toFixed(0)} (wall ${(SIZE / 1e6 / mbs * 1000).toFixed(0)} ms)`
      )
    }
  }
}).pipe(Effect.provide(NodeSocketServer.layer({ host: "127.0.0.1", port: 0 })), Effect.scoped, Effect.runPromise)
