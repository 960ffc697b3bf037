/**
 * Our DOIP v2.0 client takes every answer layout the specification allows, not only ours: an element's bytes with
 * or without a JSON segment naming it first, and without an announced length.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as net from "node:net"
import * as DoipClient from "../../src/client/DoipClient.ts"
import { concatBytes } from "../support/Random.ts"

/** a DOIP v2.0 server that answers every request with `answer(requestId)`, written as it is */
const answering = (answer: (requestId: unknown) => string) =>
  Effect.acquireRelease(
    Effect.callback<net.Server>((resume) => {
      const server = net.createServer((socket) => {
        let buffer = ""
        socket.on("error", () => socket.destroy())
        socket.on("data", (data: Buffer) => {
          buffer += data.toString("utf8")
          for (let end = buffer.indexOf("\n#\n#\n"); end !== -1; end = buffer.indexOf("\n#\n#\n")) {
            const request = JSON.parse(buffer.slice(0, end)) as Record<string, unknown>
            buffer = buffer.slice(end + 5)
            socket.write(answer(request["requestId"]))
          }
        })
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) => Effect.sync(() => server.close())
  )

const retrieveText = (server: net.Server) =>
  Effect.gen(function*() {
    const client = yield* DoipClient.makeDoip2({ host: "127.0.0.1", port: (server.address() as net.AddressInfo).port })
    const component = yield* client.retrieve("Q1", "hello.txt")
    const bytes = concatBytes(yield* Stream.runCollect(component.content))
    return { component, text: new TextDecoder().decode(bytes) }
  })

describe("answers the DOIP v2.0 specification allows", () => {
  it.live("an element named by a JSON segment before its bytes, with no length announced", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* answering((requestId) =>
        `{"requestId":${JSON.stringify(requestId)},"status":"0.DOIP/Status.001"}\n#\n` +
        `{"id":"hello.txt","type":"text/plain"}\n#\n` +
        `@\n3\nhel\n2\nlo\n#\n#\n`
      )
      const { component, text } = yield* retrieveText(server)
      assert.strictEqual(text, "hello")
      assert.strictEqual(component.mediaType, "text/plain")
      assert.strictEqual(component.componentId, "hello.txt")
    })))

  it.live("the bytes right after the first segment, the old short status form", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* answering((requestId) =>
        `{"requestId":${JSON.stringify(requestId)},"status":"0.DOIP/Status.1","attributes":{"filename":"hello.txt"}}\n#\n` +
        `@\n5\nhello\n#\n#\n`
      )
      assert.strictEqual((yield* retrieveText(server)).text, "hello")
    })))

  it.live("a file name that is a path is not taken: the element keeps the id it was asked by", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* answering((requestId) =>
        `{"requestId":${JSON.stringify(requestId)},"status":"0.DOIP/Status.001","attributes":{"filename":"../../.bashrc"}}\n#\n` +
        `@\n5\nhello\n#\n#\n`
      )
      assert.strictEqual((yield* retrieveText(server)).component.componentId, "hello.txt")
    })))
})
