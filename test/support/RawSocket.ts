/**
 * A raw `node:net` connection to a listener of the server in context, for tests that write every request by hand and
 * split every answer with a reader of their own: the socket buffers what comes in, `read` takes the next whole answer
 * as the connection's framing splits it, and every wait (connecting, an answer, the server closing) has a short
 * timeout. The framings themselves (how an answer ends, what it parses to) stay with the tests that use them.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as net from "node:net"
import { ListenAddress } from "../../src/server/DoipServer.ts"
import { concatBytes } from "./Random.ts"

// -----------------------------------------------------------------------------
// bytes
// -----------------------------------------------------------------------------

export const utf8 = (s: string) => new TextEncoder().encode(s)

/** strict UTF-8: throws on bytes that are not */
export const text = (b: Uint8Array) => new TextDecoder("utf-8", { fatal: true }).decode(b)

/** the parts one after the other; a part may be a list of byte values */
export const bytes = (...parts: ReadonlyArray<Uint8Array | ReadonlyArray<number>>): Uint8Array =>
  concatBytes(parts.map((part) => (part instanceof Uint8Array ? part : Uint8Array.from(part))))

/** big-endian */
export const u32 = (n: number): Uint8Array => {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, n, false)
  return out
}

// -----------------------------------------------------------------------------
// a raw socket with short timeouts
// -----------------------------------------------------------------------------

export const TIMEOUT_MS = 5_000

/** how the answers of one framing are told apart */
export interface Framing<A> {
  /** what one answer is called, for errors */
  readonly what: string
  /**
   * The first whole answer in `buffer` and its length in bytes, or `undefined` when more bytes are needed. May throw
   * (an assertion, a parse error) when the bytes are not a well-formed answer: the read then fails with that error.
   */
  readonly split: (buffer: Uint8Array) => { readonly length: number; readonly answer: A } | undefined
}

/**
 * A framing from a splitter that finds where the first whole message in the buffer ends (`undefined` when more bytes
 * are needed) and a `make` that turns it, with the message's bytes exactly as they came, into the answer.
 */
export const framing = <S extends { readonly length: number }, A>(
  what: string,
  split: (buffer: Uint8Array) => S | undefined,
  make: (split: S, message: Uint8Array) => A
): Framing<A> => ({
  what,
  split: (buffer) => {
    const found = split(buffer)
    return found === undefined ? undefined : { length: found.length, answer: make(found, buffer.slice(0, found.length)) }
  }
})

export class RawSocket<A> {
  private buffer: Uint8Array = new Uint8Array(0)
  private closedBy: string | undefined
  private readonly listeners = new Set<() => void>()
  readonly socket: net.Socket
  readonly framing: Framing<A>

  constructor(socket: net.Socket, framing: Framing<A>) {
    this.socket = socket
    this.framing = framing
    socket.on("data", (chunk: Buffer) => {
      this.buffer = bytes(this.buffer, chunk)
      this.notify()
    })
    socket.on("end", () => this.close("end"))
    socket.on("close", () => this.close("close"))
    socket.on("error", (error) => this.close(`error ${(error as NodeJS.ErrnoException).code ?? error.message}`))
  }

  get closed() {
    return this.closedBy !== undefined
  }

  /** a string is sent as its UTF-8 bytes */
  write(data: Uint8Array | string): Effect.Effect<void, Error> {
    return Effect.callback<void, Error>((resume) => {
      this.socket.write(typeof data === "string" ? utf8(data) : data, (error) => resume(error ? Effect.fail(error) : Effect.void))
    })
  }

  /** one write per byte, each waited for */
  writeBytewise(data: Uint8Array | string): Effect.Effect<void, Error> {
    return Effect.forEach(typeof data === "string" ? utf8(data) : data, (byte) => this.write(Uint8Array.of(byte)), {
      discard: true
    })
  }

  /** the next whole answer of the connection's framing */
  read(): Effect.Effect<A, Error> {
    return this.readWith(this.framing)
  }

  /** the next whole answer of another framing (a listener that answers in a framing of its own) */
  readWith<B>(framing: Framing<B>): Effect.Effect<B, Error> {
    return this.until(framing.what, () => {
      const found = framing.split(this.buffer)
      if (found !== undefined) {
        this.buffer = this.buffer.slice(found.length)
        return Effect.succeed(found.answer)
      }
      if (this.closed) {
        return Effect.fail(
          new Error(`the server closed the connection (${this.closedBy}) with ${this.buffer.length} bytes of a partial answer: ${
            JSON.stringify(new TextDecoder().decode(this.buffer))
          }`)
        )
      }
      return undefined
    })
  }

  /** waits until the server closes the connection; answers the bytes left unread */
  closedByServer(): Effect.Effect<Uint8Array, Error> {
    return this.until("the server to close the connection", () => (this.closed ? Effect.succeed(this.buffer) : undefined))
  }

  /** waits until `check` has a result (a throw is a failure), or fails after `TIMEOUT_MS` */
  private until<B>(what: string, check: () => Effect.Effect<B, Error> | undefined): Effect.Effect<B, Error> {
    return Effect.suspend(() => {
      const now = Effect.try({ try: check, catch: (e) => e as Error })
      return Effect.flatMap(now, (result) => {
        if (result !== undefined) return result
        return Effect.callback<B, Error>((resume) => {
          const listener = () => {
            let result: Effect.Effect<B, Error> | undefined
            try {
              result = check()
            } catch (e) {
              result = Effect.fail(e as Error)
            }
            if (result === undefined) return
            cleanup()
            resume(result)
          }
          const timer = setTimeout(() => {
            cleanup()
            resume(Effect.fail(
              new Error(`timed out after ${TIMEOUT_MS} ms waiting for ${what} (${this.buffer.length} unread bytes, closed: ${
                this.closedBy ?? "no"
              })`)
            ))
          }, TIMEOUT_MS)
          const cleanup = () => {
            clearTimeout(timer)
            this.listeners.delete(listener)
          }
          this.listeners.add(listener)
          return Effect.sync(cleanup)
        })
      })
    })
  }

  private close(reason: string) {
    this.closedBy ??= reason
    this.notify()
  }

  private notify() {
    for (const listener of [...this.listeners]) listener()
  }
}

/**
 * A raw connection to the listener of the server in context that `port` picks (`(address) => address.binaryPort`,
 * `(address) => address.doip2Port`), reading answers of `framing`; destroyed when the test's scope closes.
 */
export const connectTo = <A>(
  port: (address: (typeof ListenAddress)["Service"]) => number,
  framing: Framing<A>
): Effect.Effect<RawSocket<A>, Error, ListenAddress | Scope.Scope> =>
  Effect.gen(function*() {
    const address = yield* ListenAddress
    return yield* Effect.acquireRelease(
      Effect.callback<RawSocket<A>, Error>((resume) => {
        const socket = net.connect({ host: address.host, port: port(address) })
        socket.setNoDelay(true)
        const timer = setTimeout(() => {
          socket.destroy()
          resume(Effect.fail(new Error(`could not connect within ${TIMEOUT_MS} ms`)))
        }, TIMEOUT_MS)
        socket.once("connect", () => {
          clearTimeout(timer)
          socket.removeAllListeners("error")
          resume(Effect.succeed(new RawSocket(socket, framing)))
        })
        socket.once("error", (error) => {
          clearTimeout(timer)
          resume(Effect.fail(error))
        })
      }),
      (raw) => Effect.sync(() => raw.socket.destroy())
    )
  })

/** sends bytes (a string as UTF-8) on a connection and reads one answer */
export const exchange = <A>(raw: RawSocket<A>, request: Uint8Array | string): Effect.Effect<A, Error> =>
  Effect.andThen(raw.write(request), raw.read())
