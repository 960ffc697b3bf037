/**
 * Which certificate and mode `serve` takes from the settings (src/server/tls/Tls.ts), and the certificate it makes
 * itself (src/server/tls/SelfSigned.ts): subject `UID=<serviceId>, CN=<serviceId>` as CNRI's clients require, kept in
 * the data directory so that its fingerprint survives a restart.
 */
import { NodeServices } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as SelfSigned from "../../src/server/tls/SelfSigned.ts"
import * as Tls from "../../src/server/tls/Tls.ts"

const fixture = (name: string) => new URL(`../fixtures/tls/${name}`, import.meta.url).pathname

const settingsIn = (dataDir: string, tls: Partial<{ mode: Tls.TlsMode; cert: string; key: string }> = {}, serviceId = "21.T11148/service") => ({
  dataDir,
  serviceId,
  host: "0.0.0.0",
  tls: { mode: Option.fromNullishOr(tls.mode), cert: Option.fromNullishOr(tls.cert), key: Option.fromNullishOr(tls.key) }
})

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "doip-tls-"))

const resolve = (settings: ReturnType<typeof settingsIn>) => Tls.resolve(settings).pipe(Effect.provide(NodeServices.layer))

describe("SelfSigned.generate", () => {
  it("names the service id as UID and CN, covers localhost, and is signed by its own key", () => {
    const now = new Date("2026-12-06T00:00:00Z")
    const pem = SelfSigned.generate({ serviceId: "21.T11148/abc", hosts: ["localhost", "127.0.0.1", "::1"], now, validDays: 10 })
    const cert = new crypto.X509Certificate(pem.cert)
    assert.deepStrictEqual(cert.subject.split("\n").sort(), ["CN=21.T11148/abc", "UID=21.T11148/abc"])
    assert.strictEqual(cert.issuer, cert.subject)
    assert.strictEqual(cert.subjectAltName, "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1")
    assert.isTrue(cert.verify(cert.publicKey))
    assert.isTrue(cert.checkPrivateKey(crypto.createPrivateKey(pem.key)))
    assert.isTrue(cert.checkHost("localhost") !== undefined)
    assert.strictEqual(new Date(cert.validTo).getTime(), now.getTime() + 10 * 86_400_000)
    assert.isTrue(SelfSigned.isCurrent(cert, "21.T11148/abc", now, 5))
    assert.isFalse(SelfSigned.isCurrent(cert, "21.T11148/abc", now, 11), "expires within the margin")
    assert.isFalse(SelfSigned.isCurrent(cert, "21.T11148/other", now, 5), "another service id")
  })
})

describe("Tls.resolve", () => {
  it.effect("no certificate configured: auto, with a self-signed one made once and kept in the data dir", () =>
    Effect.gen(function*() {
      const dataDir = tempDir()
      const first = yield* resolve(settingsIn(dataDir))
      assert.strictEqual(first.setup.mode, "auto")
      const kept = path.join(dataDir, "tls", "server.crt")
      assert.isTrue(fs.existsSync(kept))
      assert.strictEqual(fs.statSync(path.join(dataDir, "tls", "server.key")).mode & 0o077, 0, "the key is the owner's only")
      const fingerprint = new crypto.X509Certificate(fs.readFileSync(kept)).fingerprint256
      assert.include(first.log, fingerprint)
      const again = yield* resolve(settingsIn(dataDir))
      assert.include(again.log, fingerprint, "the same certificate after a restart")
      const renamed = yield* resolve(settingsIn(dataDir, {}, "21.T11148/renamed"))
      assert.notInclude(renamed.log, fingerprint, "a new one for a new service id")
      fs.rmSync(dataDir, { recursive: true })
    }))

  it.effect("a kept key that is not the kept certificate's (files of two runs) is made anew, not served", () =>
    Effect.gen(function*() {
      const dataDir = tempDir()
      yield* resolve(settingsIn(dataDir))
      const other = SelfSigned.generate({ serviceId: "21.T11148/service", hosts: ["localhost"], now: new Date(), validDays: 10 })
      fs.writeFileSync(path.join(dataDir, "tls", "server.key"), other.key)
      const again = yield* resolve(settingsIn(dataDir))
      assert.strictEqual(again.setup.mode, "auto")
      const cert = new crypto.X509Certificate(fs.readFileSync(path.join(dataDir, "tls", "server.crt")))
      assert.isTrue(cert.checkPrivateKey(crypto.createPrivateKey(fs.readFileSync(path.join(dataDir, "tls", "server.key")))))
      assert.deepStrictEqual(fs.readdirSync(path.join(dataDir, "tls")).sort(), ["server.crt", "server.key"], "nothing left aside")
      fs.rmSync(dataDir, { recursive: true })
    }))

  it.effect("a configured certificate: required by default, and used as it is", () =>
    Effect.gen(function*() {
      const dataDir = tempDir()
      const configured = settingsIn(dataDir, { cert: fixture("server.crt"), key: fixture("server.key") })
      const { setup, log } = yield* resolve(configured)
      assert.strictEqual(setup.mode, "required")
      assert.strictEqual(setup.mode !== "off" && Buffer.from(setup.files.cert).toString(), fs.readFileSync(fixture("server.crt"), "utf8"))
      assert.include(log, "server.crt")
      assert.isFalse(fs.existsSync(path.join(dataDir, "tls")), "nothing made")
      const auto = yield* resolve(settingsIn(dataDir, { mode: "auto", cert: fixture("server.crt"), key: fixture("server.key") }))
      assert.strictEqual(auto.setup.mode, "auto")
      fs.rmSync(dataDir, { recursive: true })
    }))

  it.effect("off needs no certificate and makes none; required without one makes one", () =>
    Effect.gen(function*() {
      const dataDir = tempDir()
      const off = yield* resolve(settingsIn(dataDir, { mode: "off" }))
      assert.strictEqual(off.setup.mode, "off")
      assert.isFalse(fs.existsSync(path.join(dataDir, "tls")))
      const required = yield* resolve(settingsIn(dataDir, { mode: "required" }))
      assert.strictEqual(required.setup.mode, "required")
      assert.isTrue(fs.existsSync(path.join(dataDir, "tls", "server.crt")))
      fs.rmSync(dataDir, { recursive: true })
    }))

  it.effect("a configured file that is missing is an error that names it", () =>
    Effect.gen(function*() {
      const dataDir = tempDir()
      const error = yield* Effect.flip(resolve(settingsIn(dataDir, { cert: path.join(dataDir, "nope.crt"), key: fixture("server.key") })))
      assert.include(String(error), "nope.crt is missing")
      fs.rmSync(dataDir, { recursive: true })
    }))
})
