/**
 * MediaWiki credentials (issue 15, item 3): with `auth.backend: mediawiki`, a writer's user name and bot password are
 * checked by the MediaWiki's login API (the stand-in's), as the upstream server checks them; a success is kept
 * briefly (no second login); a wrong one is `Unauthenticated`; a MediaWiki that is down is `Unavailable`, saying so;
 * the server's own token still works. Without a MediaWiki URL the server refuses to start.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as DoipClient from "../../src/client/DoipClient.ts"
import * as ServerConfig from "../../src/layers/config/ServerConfig.ts"
import * as AuthBackends from "../../src/server/AuthBackends.ts"
import { contentOf } from "../support/ClientAnswers.ts"
import * as MediaWikiStandIn from "../support/MediaWikiStandIn.ts"
import { layerClient, layerServer, seed, token } from "../support/TestServer.ts"
import { ListenAddress } from "../../src/server/DoipServer.ts"

class StandIn extends Context.Service<StandIn, MediaWikiStandIn.MediaWikiStandIn>()("test/MediaWikiAuth/StandIn") {}

const layerServerOnMediaWiki = Layer.unwrap(Effect.gen(function*() {
  const standIn = yield* MediaWikiStandIn.make()
  standIn.putBotPassword("Alice@doip", "alice-bot-secret")
  return layerServer({ settings: { auth: { token, backend: "mediawiki" }, mediawiki: { apiUrl: standIn.apiUrl } } }).pipe(
    Layer.merge(Layer.succeed(StandIn, standIn))
  )
}))

/** a client of its own, with these credentials */
const clientWith = (credentials: DoipClient.ClientOptions["credentials"]) =>
  Effect.gen(function*() {
    const { binaryPort } = yield* ListenAddress
    return yield* DoipClient.make({ host: "127.0.0.1", port: binaryPort, credentials })
  })

const text = (s: string) => new TextEncoder().encode(s)

layer(layerClient({ credentials: { token } }).pipe(Layer.provideMerge(layerServerOnMediaWiki)), { excludeTestServices: true })("writers checked by MediaWiki's login", (it) => {
  it.effect("a bot password MediaWiki accepts may write; its success is kept, so the next write logs in no more", () =>
    Effect.gen(function*() {
      yield* seed("Q9101", "a.txt", "old", "text/plain")
      const standIn = yield* StandIn
      const alice = yield* clientWith({ username: "Alice@doip", password: "alice-bot-secret" })
      yield* alice.updateComponent("Q9101", "a.txt", text("by alice"), "text/plain")
      assert.strictEqual(yield* contentOf("Q9101", "a.txt"), "by alice")
      const logins = standIn.hooks.logins
      yield* alice.updateComponent("Q9101", "a.txt", text("by alice again"), "text/plain")
      assert.strictEqual(standIn.hooks.logins, logins, "answered from the kept success")
      assert.strictEqual(yield* contentOf("Q9101", "a.txt"), "by alice again")
    }))

  it.effect("a wrong bot password is Unauthenticated, and nothing is written", () =>
    Effect.gen(function*() {
      yield* seed("Q9102", "a.txt", "old", "text/plain")
      const mallory = yield* clientWith({ username: "Alice@doip", password: "guess" })
      const refused = yield* Effect.flip(mallory.updateComponent("Q9102", "a.txt", text("evil"), "text/plain"))
      assert.strictEqual(refused._tag === "ServerError" && refused.error, "Unauthenticated")
      assert.strictEqual(yield* contentOf("Q9102", "a.txt"), "old")
    }))

  it.effect("MediaWiki down: Unavailable, saying so (not a wrong password)", () =>
    Effect.gen(function*() {
      yield* seed("Q9103", "a.txt", "old", "text/plain")
      const standIn = yield* StandIn
      standIn.putBotPassword("Bob@doip", "bob-bot-secret")
      standIn.hooks.status = 502
      const bob = yield* clientWith({ username: "Bob@doip", password: "bob-bot-secret" })
      // more attempts than the throttle tolerates (5): an outage is nobody's wrong guess, and locks nobody out
      for (let i = 0; i < 8; i++) {
        const refused = yield* Effect.flip(bob.updateComponent("Q9103", "a.txt", text("by bob"), "text/plain"))
        assert.strictEqual(refused._tag === "ServerError" && refused.error, "Unavailable")
        assert.strictEqual(refused.message, "the MediaWiki login cannot check credentials: the login token request answered HTTP 502")
      }
      standIn.hooks.status = undefined
      yield* bob.updateComponent("Q9103", "a.txt", text("by bob"), "text/plain")
      assert.strictEqual(yield* contentOf("Q9103", "a.txt"), "by bob")
    }))

  it.effect("the server's own token is accepted beside MediaWiki's users", () =>
    Effect.gen(function*() {
      yield* seed("Q9104", "a.txt", "old", "text/plain")
      const operator = yield* clientWith({ token })
      yield* operator.updateComponent("Q9104", "a.txt", text("by the operator"), "text/plain")
      assert.strictEqual(yield* contentOf("Q9104", "a.txt"), "by the operator")
    }))
})

describe("auth.backend mediawiki without a MediaWiki", () => {
  it.effect("refuses to start, saying what to set", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Layer.build(AuthBackends.layer).pipe(
        Effect.provide(ServerConfig.layerTest({ auth: { backend: "mediawiki", password: Redacted.make("x") } })),
        Effect.scoped
      ))
      assert.isTrue(Exit.isFailure(exit))
      assert.include(JSON.stringify(exit), "set MEDIAWIKI_API_URL")
    }))
})
