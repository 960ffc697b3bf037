/**
 * Slows password guessing down: failed authentications are counted per client address and per user name, and once
 * a key has failed `maxFailures` times, every further attempt for it waits an exponential back-off before it is
 * checked (`backoffBaseMillis`, doubling, up to `backoffMaxMillis`); once the back-off reached its cap and failed
 * again, the key is refused outright, unchecked, for `lockoutSeconds`. A key's failures are forgotten after
 * `failureWindowSeconds` without an attempt, when its lock-out ends, and, for an address, on a correct credential.
 *
 * This module is the bookkeeping alone: synchronous, with the time passed in, so it is tested with plain numbers.
 * `Auth` runs it around its check and does the waiting (`Effect.sleep`).
 *
 * **Details**
 *
 * - An attempt is counted when it is admitted, before it is checked, and taken back when it succeeds. Attempts sent
 *   in parallel (many connections from one address) therefore each see the ones before them: they cannot all pass
 *   the threshold at once while the first ones are still being checked. An attempt whose client gave up waiting
 *   counts as failed.
 * - The wait happens before the check and is the same for a right and a wrong credential, so the time an answer
 *   takes does not tell whether the guess was right.
 * - A user name's failures count from every address, but they only hold back an address that failed itself: a
 *   correct credential from a clean address is never slowed or refused, so guessing at a user name cannot lock its
 *   owner out. Each attacking address still gets one guess per user name before the name's lock applies to it.
 * - IPv6 clients are counted per /64 (one subscriber's network; a host picks addresses in it at will), IPv4-mapped
 *   IPv6 addresses as their IPv4 address.
 * - At most `maxTrackedClients` keys (addresses and user names together) are kept; the least recently seen one is
 *   forgotten first. User names are kept as digests, so a long name costs no more than a short one.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { isIPv4, isIPv6 } from "node:net"

/**
 * @category models
 * @since 0.1.0
 */
export interface Settings {
  /** failures tolerated before attempts are delayed */
  readonly maxFailures: number
  /** failures are forgotten after this long without an attempt */
  readonly failureWindowMillis: number
  readonly backoffBaseMillis: number
  readonly backoffMaxMillis: number
  /** how long a key is refused once its back-off is spent */
  readonly lockoutMillis: number
  /** addresses and user names tracked at most */
  readonly maxTrackedClients: number
}

/**
 * Who is trying: the client's address as the socket gives it (`undefined` when there is no socket), and the user
 * name, when one was sent.
 *
 * @category models
 * @since 0.1.0
 */
export interface Attempt {
  readonly peer: string | undefined
  readonly userName: string | undefined
}

/**
 * What to do with an attempt: check it after `delayMillis` (and report the outcome with `settle`), or refuse it
 * unchecked for `retryAfterMillis` more.
 *
 * @category models
 * @since 0.1.0
 */
export type Admission =
  | { readonly _tag: "Check"; readonly delayMillis: number; readonly ticket: Ticket }
  | { readonly _tag: "Refused"; readonly retryAfterMillis: number; readonly by: "address" | "user name" }

/**
 * An admitted attempt's keys, for `settle`.
 *
 * @category models
 * @since 0.1.0
 */
export interface Ticket {
  readonly address: string
  readonly user: string | undefined
  readonly attempt: Attempt
}

/**
 * A failed attempt's consequences: how long the client should wait before the next (0: not at all), and the keys
 * that this failure locked out (to be logged, once each).
 *
 * @category models
 * @since 0.1.0
 */
export interface Failure {
  readonly waitMillis: number
  readonly lockedOut: ReadonlyArray<"address" | "user name">
}

/**
 * The key an address is counted under: IPv4 as it is, IPv4-mapped IPv6 as its IPv4 address (a dual-stack listener
 * reports IPv4 clients so; as a /64 they would all be one), other IPv6 by its /64 prefix, no address as `unknown`.
 *
 * @category keys
 * @since 0.1.0
 */
export const clientKey = (peer: string | undefined): string => {
  if (peer === undefined || peer === "") return "unknown"
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(peer)
  if (mapped !== null) return mapped[1]!
  if (isIPv4(peer)) return peer
  const zone = peer.indexOf("%")
  const address = zone >= 0 ? peer.slice(0, zone) : peer
  return isIPv6(address) ? `${prefix64(address)}::/64` : peer
}

/**
 * The back-off delays in order, the last one at the cap: after the last of them fails, the key is locked out.
 *
 * @category constructors
 * @since 0.1.0
 */
export const delays = (settings: Pick<Settings, "backoffBaseMillis" | "backoffMaxMillis">): ReadonlyArray<number> => {
  const { backoffBaseMillis: base, backoffMaxMillis: max } = settings
  if (max <= 0) return []
  if (base <= 0 || base >= max) return [max]
  const out: Array<number> = []
  for (let delay = base; delay < max; delay *= 2) out.push(delay)
  out.push(max)
  return out
}

/**
 * The throttle's state and its steps: `admit` before a check, `settle` after it (or `release` when there was none).
 *
 * @category models
 * @since 0.1.0
 */
export class Throttle {
  private readonly settings: Settings
  private readonly backoff: ReadonlyArray<number>
  /** attempts after which a failure locks the key */
  private readonly lockAt: number
  /** by key, least recently seen first (a Map keeps insertion order; a touched entry is inserted again) */
  private readonly entries = new Map<string, Entry>()

  constructor(settings: Settings) {
    this.settings = settings
    this.backoff = delays(settings)
    this.lockAt = Math.max(1, settings.maxFailures) + this.backoff.length
  }

  /** keys tracked now */
  get size(): number {
    return this.entries.size
  }

  /** what to do with an attempt at time `now` (ms); an admitted attempt is counted as failed until settled */
  admit(attempt: Attempt, now: number): Admission {
    const address = `address ${clientKey(attempt.peer)}`
    const user = attempt.userName === undefined ? undefined : `user ${digest(attempt.userName)}`
    const byAddress = this.live(address, now)
    const refusal = refused(byAddress, now, this.settings.lockoutMillis, this.lockAt, "address")
    if (refusal !== undefined) return refusal
    // a user name's failures hold back only an address that failed itself
    const byUser = user === undefined ? undefined : this.live(user, now)
    const heldByUser = byAddress !== undefined ? byUser : undefined
    const userRefusal = refused(heldByUser, now, this.settings.lockoutMillis, this.lockAt, "user name")
    if (userRefusal !== undefined) return userRefusal
    const delayMillis = Math.max(this.delayAfter(byAddress?.attempts ?? 0), this.delayAfter(heldByUser?.attempts ?? 0))
    this.count(address, byAddress, now)
    if (user !== undefined) this.count(user, byUser, now)
    return { _tag: "Check", delayMillis, ticket: { address, user, attempt } }
  }

  /**
   * The outcome of an admitted attempt's check, at time `now`. A success forgets the address's failures and takes
   * the attempt back from the user name's; a failure that spends a key's back-off locks the key out.
   */
  settle(ticket: Ticket, succeeded: true, now: number): undefined
  settle(ticket: Ticket, succeeded: false, now: number): Failure
  settle(ticket: Ticket, succeeded: boolean, now: number): Failure | undefined {
    const byAddress = this.entries.get(ticket.address)
    const byUser = ticket.user === undefined ? undefined : this.entries.get(ticket.user)
    if (succeeded) {
      this.entries.delete(ticket.address)
      if (byUser !== undefined && byUser.attempts > 0) byUser.attempts--
      return undefined
    }
    const lockedOut: Array<"address" | "user name"> = []
    let waitMillis = 0
    for (const [entry, by] of [[byAddress, "address"], [byUser, "user name"]] as const) {
      if (entry === undefined) continue // forgotten meanwhile (pushed out by newer keys)
      if (entry.lockedUntil === 0 && entry.attempts >= this.lockAt) {
        entry.lockedUntil = now + this.settings.lockoutMillis
        lockedOut.push(by)
      }
      waitMillis = Math.max(
        waitMillis,
        entry.lockedUntil > now ? entry.lockedUntil - now : this.delayAfter(entry.attempts)
      )
    }
    return { waitMillis, lockedOut }
  }

  /**
   * Takes an admitted attempt back on both keys, as if it had never come: for a check that could not be made (the
   * service that checks credentials is down). Counting it would lock out writers for an outage that is not theirs.
   */
  release(ticket: Ticket): void {
    for (const key of [ticket.address, ticket.user]) {
      const entry = key === undefined ? undefined : this.entries.get(key)
      if (entry !== undefined && entry.attempts > 0) entry.attempts--
    }
  }

  /** the wait before the next attempt of a key with `attempts` counted */
  private delayAfter(attempts: number): number {
    const step = attempts - this.settings.maxFailures
    return step < 0 ? 0 : this.backoff[Math.min(step, this.backoff.length - 1)] ?? 0
  }

  /** the key's entry, unless its failures are forgotten by now (its lock-out ended, or its window passed) */
  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key)
    if (entry === undefined) return undefined
    const lockEnded = entry.lockedUntil !== 0 && entry.lockedUntil <= now
    const quiet = entry.lockedUntil === 0 && now - entry.lastAttempt >= this.settings.failureWindowMillis
    if (lockEnded || quiet) {
      this.entries.delete(key)
      return undefined
    }
    return entry
  }

  /** one more attempt for the key, which becomes the most recently seen; the least recently seen beyond the bound go */
  private count(key: string, entry: Entry | undefined, now: number): void {
    const counted = entry ?? { attempts: 0, lastAttempt: now, lockedUntil: 0 }
    counted.attempts++
    counted.lastAttempt = now
    this.entries.delete(key)
    this.entries.set(key, counted)
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.settings.maxTrackedClients) break
      this.entries.delete(oldest)
    }
  }
}

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

interface Entry {
  /** attempts counted as failed (admitted ones included until they succeed) */
  attempts: number
  lastAttempt: number
  /** when the lock-out ends (ms), 0 when the key is not locked out */
  lockedUntil: number
}

/**
 * Refused when locked out, or when attempts admitted already (in flight in parallel) will lock the key if they fail:
 * then the lock-out is not known to start yet, and the client is told to wait a whole one.
 */
const refused = (
  entry: Entry | undefined,
  now: number,
  lockoutMillis: number,
  lockAt: number,
  by: "address" | "user name"
): Admission | undefined => {
  if (entry === undefined) return undefined
  if (entry.lockedUntil > now) return { _tag: "Refused", retryAfterMillis: entry.lockedUntil - now, by }
  if (entry.attempts >= lockAt) return { _tag: "Refused", retryAfterMillis: lockoutMillis, by }
  return undefined
}

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest("base64")

/** the first four groups of an IPv6 address, without leading zeros */
const prefix64 = (address: string): string => {
  const [head = "", tail] = address.split("::")
  // an IPv4 tail (`::1.2.3.4`) is two groups; it lies in the last 64 bits, so only its length matters here
  const groups = (part: string) => (part === "" ? [] : part.split(":").flatMap((g) => (g.includes(".") ? ["0", "0"] : [g])))
  const left = groups(head)
  const right = tail === undefined ? [] : groups(tail)
  const all = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
  return all.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(":")
}
