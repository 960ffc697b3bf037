/**
 * The idle timeout of the request loop (`limits.idleTimeoutSeconds`), on both listeners: a connection that sends no
 * request for that long is closed; one that keeps asking stays open however long it lives.
 */
import { assert, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { connectTo, exchange, framing, utf8 } from "../support/RawSocket.ts"
import { layerServer } from "../support/TestServer.ts"

/** a binary envelope answer: 10-byte header, then object id and payload */
const binaryAnswers = framing("a binary answer", (buffer) => {
  if (buffer.length < 10) return undefined
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  const length = 10 + view.getUint16(4) + view.getUint32(6)
  return buffer.length < length ? undefined : { length }
}, (_, message) => message[1]!)

/** a DOIP v2.0 compact answer: one JSON segment and the empty segment */
const doip2Answers = framing("a DOIP v2.0 answer", (buffer) => {
  const end = new TextDecoder().decode(buffer).indexOf("\n#\n#\n")
  return end === -1 ? undefined : { length: end + 5 }
}, (_, message) => JSON.parse(new TextDecoder().decode(message).split("\n#\n")[0]!).status as string)

const helloBinary = (() => {
  const json = utf8(`{"operation":"hello"}`)
  const out = new Uint8Array(10 + 5 + json.length)
  const view = new DataView(out.buffer)
  out.set([0x02, 0x01, 0x01, 0x00])
  view.setUint32(6, 5 + json.length)
  out[10] = 0x01
  view.setUint32(11, json.length)
  out.set(json, 15)
  return out
})()

const helloDoip2 = `{"requestId":"1","targetId":"service","operationId":"0.DOIP/Op.Hello"}\n#\n#\n`

const connectBinary = connectTo((address) => address.binaryPort, binaryAnswers)
const connectDoip2 = connectTo((address) => address.doip2Port, doip2Answers)

layer(layerServer({ settings: { limits: { idleTimeoutSeconds: 1 } } }), { excludeTestServices: true })(
  "idle timeout of 1 s",
  (it) => {
    it.effect("a binary connection that sends nothing is closed after about 1 s", () =>
      Effect.gen(function*() {
        const raw = yield* connectBinary
        const started = Date.now()
        yield* raw.closedByServer()
        const waited = Date.now() - started
        assert.isAtLeast(waited, 900)
        assert.isBelow(waited, 3000)
      }).pipe(Effect.scoped))

    it.effect("a DOIP v2.0 connection idle after an answer is closed after about 1 s", () =>
      Effect.gen(function*() {
        const raw = yield* connectDoip2
        assert.strictEqual(yield* exchange(raw, helloDoip2), "0.DOIP/Status.001")
        const answered = Date.now()
        yield* raw.closedByServer()
        const waited = Date.now() - answered
        assert.isAtLeast(waited, 900)
        assert.isBelow(waited, 3000)
      }).pipe(Effect.scoped))

    it.effect("a connection that asks every 400 ms stays open for 2.4 s", () =>
      Effect.gen(function*() {
        const raw = yield* connectBinary
        for (let i = 0; i < 6; i++) {
          assert.strictEqual(yield* exchange(raw, helloBinary), 0x02)
          yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 400)))
        }
        assert.isFalse(raw.closed)
        assert.strictEqual(yield* exchange(raw, helloBinary), 0x02)
      }).pipe(Effect.scoped))
  }
)
