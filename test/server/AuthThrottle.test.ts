/**
 * The guessing throttle on its own, with the time passed in (`AuthThrottle`), and inside `Auth` under the TestClock:
 * failures, then growing waits, then a lock-out that refuses even a correct credential until its cool-down ends;
 * clients at other addresses untouched; user names counted across addresses; memory bounded under a flood.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { TestClock } from "effect/testing"
import * as Auth from "../../src/server/Auth.ts"
import * as AuthThrottle from "../../src/server/AuthThrottle.ts"

const settings: AuthThrottle.Settings = {
  maxFailures: 5,
  failureWindowMillis: 60_000,
  backoffBaseMillis: 250,
  backoffMaxMillis: 5_000,
  lockoutMillis: 60_000,
  maxTrackedClients: 100
}

/** an attempt admitted and settled at `now`: its wait, or its refusal */
const attempt = (throttle: AuthThrottle.Throttle, who: AuthThrottle.Attempt, correct: boolean, now: number) => {
  const admission = throttle.admit(who, now)
  if (admission._tag === "Refused") return admission
  const settled = correct
    ? throttle.settle(admission.ticket, true, now + admission.delayMillis)
    : throttle.settle(admission.ticket, false, now + admission.delayMillis)
  return { ...admission, settled }
}

const attacker = { peer: "203.0.113.7", userName: undefined }

describe("AuthThrottle", () => {
  it("lets maxFailures failures through at once, then waits longer and longer, then locks out until the cool-down ends", () => {
    const throttle = new AuthThrottle.Throttle(settings)
    assert.deepStrictEqual(AuthThrottle.delays(settings), [250, 500, 1000, 2000, 4000, 5000])
    let now = 1_000_000
    const waited: Array<number> = []
    for (let i = 0; i < 11; i++) {
      const result = attempt(throttle, attacker, false, now)
      assert.strictEqual(result._tag, "Check", `attempt ${i + 1}`)
      if (result._tag !== "Check") return
      waited.push(result.delayMillis)
      now += result.delayMillis
    }
    assert.deepStrictEqual(waited, [0, 0, 0, 0, 0, 250, 500, 1000, 2000, 4000, 5000])
    // the eleventh failure spent the back-off: refused unchecked, a correct credential too
    const refused = throttle.admit(attacker, now + 1_000)
    assert.deepStrictEqual(refused, { _tag: "Refused", retryAfterMillis: 59_000, by: "address" })
    assert.strictEqual(attempt(throttle, attacker, true, now + 59_999)._tag, "Refused")
    // after the cool-down the correct credential works, at once, and forgets the failures
    const after = attempt(throttle, attacker, true, now + 60_000)
    assert.strictEqual(after._tag === "Check" && after.delayMillis, 0)
    for (let i = 0; i < 5; i++) {
      const again = attempt(throttle, attacker, false, now + 60_001)
      assert.strictEqual(again._tag === "Check" && again.delayMillis, 0)
    }
  })

  it("a failure says how long to wait, and which key it locked out", () => {
    const throttle = new AuthThrottle.Throttle(settings)
    const waits: Array<number> = []
    const lockedOut: Array<ReadonlyArray<string>> = []
    for (let i = 0; i < 11; i++) {
      const result = attempt(throttle, { peer: "198.51.100.1", userName: "admin" }, false, 0)
      if (result._tag !== "Check" || result.settled === undefined) return assert.fail("admitted and failed")
      waits.push(result.settled.waitMillis)
      lockedOut.push(result.settled.lockedOut)
    }
    assert.deepStrictEqual(waits.slice(0, 5), [0, 0, 0, 0, 250])
    assert.deepStrictEqual(lockedOut.slice(0, 10).flat(), [])
    assert.deepStrictEqual(lockedOut[10], ["address", "user name"])
  })

  it("never slows a correct credential from another address", () => {
    const throttle = new AuthThrottle.Throttle(settings)
    for (let i = 0; i < 11; i++) attempt(throttle, { peer: "203.0.113.7", userName: "admin" }, false, 0)
    assert.strictEqual(throttle.admit({ peer: "203.0.113.7", userName: "admin" }, 1)._tag, "Refused")
    // the user name is locked out too, but only for addresses that failed themselves
    const owner = attempt(throttle, { peer: "192.0.2.10", userName: "admin" }, true, 1)
    assert.strictEqual(owner._tag === "Check" && owner.delayMillis, 0)
    const tokenUser = attempt(throttle, { peer: "192.0.2.11", userName: undefined }, true, 1)
    assert.strictEqual(tokenUser._tag === "Check" && tokenUser.delayMillis, 0)
  })

  it("counts failures per user name across addresses", () => {
    const throttle = new AuthThrottle.Throttle(settings)
    // one guess at "admin" from each of eleven addresses: none of them is slowed, but the name is locked out
    for (let i = 0; i < 11; i++) {
      const result = attempt(throttle, { peer: `203.0.113.${i}`, userName: "admin" }, false, 0)
      assert.strictEqual(result._tag === "Check" && result.delayMillis, 0)
    }
    // an address that failed is refused for the name, a correct guess included; for another name it goes on
    const again = throttle.admit({ peer: "203.0.113.3", userName: "admin" }, 10)
    assert.strictEqual(again._tag === "Refused" && again.by, "user name")
    const other = throttle.admit({ peer: "203.0.113.3", userName: "bob" }, 10)
    assert.strictEqual(other._tag === "Check" && other.delayMillis, 0)
    // after the cool-down the name is free again
    const later = throttle.admit({ peer: "203.0.113.4", userName: "admin" }, 60_000)
    assert.strictEqual(later._tag, "Check")
  })

  it("counts attempts in flight: parallel guesses cannot all slip through before the first ones fail", () => {
    const throttle = new AuthThrottle.Throttle(settings)
    const admitted = Array.from({ length: 50 }, () => throttle.admit(attacker, 0))
    assert.strictEqual(admitted.filter((a) => a._tag === "Check").length, 11)
    assert.deepStrictEqual(
      admitted.flatMap((a) => (a._tag === "Check" ? [a.delayMillis] : [])),
      [0, 0, 0, 0, 0, 250, 500, 1000, 2000, 4000, 5000]
    )
  })

  it("forgets failures after the window without attempts", () => {
    const throttle = new AuthThrottle.Throttle(settings)
    for (let i = 0; i < 7; i++) attempt(throttle, attacker, false, i)
    const soon = throttle.admit(attacker, 59_000)
    assert.strictEqual(soon._tag === "Check" && soon.delayMillis, 1000)
    throttle.settle((soon as { ticket: AuthThrottle.Ticket }).ticket, false, 59_000)
    const quiet = throttle.admit(attacker, 59_000 + 60_000)
    assert.strictEqual(quiet._tag === "Check" && quiet.delayMillis, 0)
  })

  it("keeps at most maxTrackedClients keys under a flood of addresses, the most recent ones", () => {
    const throttle = new AuthThrottle.Throttle(settings)
    for (let i = 0; i < 6; i++) attempt(throttle, attacker, false, 0)
    for (let i = 0; i < 50_000; i++) {
      attempt(throttle, { peer: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, userName: undefined }, false, 1)
      assert.isAtMost(throttle.size, settings.maxTrackedClients)
    }
    assert.strictEqual(throttle.size, settings.maxTrackedClients)
    // the latest addresses are still counted ...
    const latest = throttle.admit({ peer: "10.0.195.79", userName: undefined }, 2)
    assert.strictEqual(latest._tag === "Check" && latest.delayMillis, 0)
    assert.strictEqual(throttle.size, settings.maxTrackedClients)
    // ... and the least recently seen went first: the price of a bound (a flood that large could as well guess from
    // each of its addresses)
    const oldest = throttle.admit(attacker, 2)
    assert.strictEqual(oldest._tag === "Check" && oldest.delayMillis, 0)
  })

  it("keys addresses: IPv4 as it is, IPv4-mapped as IPv4, IPv6 per /64, none as unknown", () => {
    assert.strictEqual(AuthThrottle.clientKey("192.0.2.1"), "192.0.2.1")
    assert.strictEqual(AuthThrottle.clientKey("::ffff:192.0.2.1"), "192.0.2.1")
    assert.strictEqual(AuthThrottle.clientKey("2001:db8:0:1:aaaa::1"), "2001:db8:0:1::/64")
    assert.strictEqual(AuthThrottle.clientKey("2001:0db8:0000:0001:ffff:ffff:ffff:ffff"), "2001:db8:0:1::/64")
    assert.strictEqual(AuthThrottle.clientKey("2001:db8::1"), "2001:db8:0:0::/64")
    assert.strictEqual(AuthThrottle.clientKey("fe80::1%eth0"), "fe80:0:0:0::/64")
    assert.strictEqual(AuthThrottle.clientKey("::1"), "0:0:0:0::/64")
    assert.strictEqual(AuthThrottle.clientKey(undefined), "unknown")
    // two addresses of one /64 are one client
    const throttle = new AuthThrottle.Throttle(settings)
    for (let i = 0; i < 6; i++) attempt(throttle, { peer: `2001:db8:0:1::${i + 1}`, userName: undefined }, false, 0)
    const next = throttle.admit({ peer: "2001:db8:0:1:dead:beef:0:1", userName: undefined }, 0)
    assert.strictEqual(next._tag === "Check" && next.delayMillis, 500)
  })
})

describe("Auth with the throttle", () => {
  const auth = Auth.make(
    { token: Option.none(), username: Option.some("admin"), password: Option.some(Redacted.make("right")) },
    { ...settings, maxFailures: 2, backoffBaseMillis: 1000, backoffMaxMillis: 2000, lockoutMillis: 30_000 }
  )
  const guess = (password: string, peer = "203.0.113.7") =>
    auth.authorizeWrite({ username: "admin", password: Redacted.make(password) }, peer)

  it.effect("waits before it checks once failures pile up, and says how long to wait", () =>
    Effect.gen(function*() {
      for (let i = 0; i < 2; i++) yield* Effect.flip(guess("wrong"))
      // the third attempt waits 1 s before it is checked (the TestClock stands still until adjusted)
      const third = yield* Effect.forkChild(Effect.flip(guess("wrong")))
      yield* TestClock.adjust("999 millis")
      assert.isUndefined(third.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const error = yield* Fiber.join(third)
      assert.strictEqual(error.kind, "Unauthenticated")
      assert.match(error.message, /not accepted; .*wait 2 s before trying again/)
      // the fourth spends the back-off: locked out, and a correct password from there is refused unchecked
      const fourth = yield* Effect.forkChild(Effect.flip(guess("wrong")))
      yield* TestClock.adjust("2 seconds")
      assert.match((yield* Fiber.join(fourth)).message, /wait 30 s/)
      const refused = yield* Effect.flip(guess("right"))
      assert.match(refused.message, /^too many failed attempts for this address: refused unchecked, wait 30 s/)
      assert.notInclude(refused.message, "right")
      // another address is not slowed, and the right password is accepted there at once
      assert.strictEqual(yield* guess("right", "192.0.2.10"), "admin")
      // after the cool-down the right password works from the locked address too, and clears its failures
      yield* TestClock.adjust("30 seconds")
      assert.strictEqual(yield* guess("right"), "admin")
      assert.strictEqual((yield* Effect.flip(guess("wrong"))).message, "the credentials were not accepted")
    }))
})
