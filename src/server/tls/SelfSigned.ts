/**
 * A self-signed certificate for the server, so that TLS works out of the box.
 *
 * Its subject is `UID=<serviceId>, CN=<serviceId>`: CNRI's DOIP clients (and Cordra) trust a server whose
 * certificate names the service id they asked for, the way a browser checks a host name. Its subject alternative
 * names are `localhost`, the machine's host name and the loopback addresses, for clients that check the host. The
 * key is EC P-256: instant to make, and every TLS 1.2 and 1.3 client accepts it.
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"
import * as net from "node:net"
import * as Der from "./Der.ts"

/**
 * A certificate and its private key, PEM-encoded.
 *
 * @category models
 * @since 0.1.0
 */
export interface Pem {
  readonly cert: string
  readonly key: string
}

/**
 * Makes a new key and a certificate for it, signed by itself.
 *
 * @category constructors
 * @since 0.1.0
 */
export const generate = (options: {
  readonly serviceId: string
  /** DNS names and IP addresses the certificate is for */
  readonly hosts: ReadonlyArray<string>
  readonly now: Date
  readonly validDays: number
}): Pem => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" })
  const name = Der.sequence(
    Der.set(Der.sequence(Der.oid(OID.commonName), Der.utf8String(options.serviceId))),
    Der.set(Der.sequence(Der.oid(OID.userId), Der.utf8String(options.serviceId)))
  )
  // a little before now, so that a client whose clock is behind ours does not reject it as not yet valid
  const notBefore = new Date(options.now.getTime() - 60 * 60 * 1000)
  const notAfter = new Date(options.now.getTime() + options.validDays * 24 * 60 * 60 * 1000)
  const serial = crypto.randomBytes(16)
  serial[0]! &= 0x7f // a positive serial of at most 20 bytes (RFC 5280, 4.1.2.2)
  const tbs = Der.sequence(
    Der.explicit(0, Der.smallInteger(2)), // X.509 v3
    Der.unsignedInteger(serial),
    Der.sequence(Der.oid(OID.ecdsaWithSha256)),
    name,
    Der.sequence(Der.time(notBefore), Der.time(notAfter)),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    Der.explicit(3, Der.sequence(
      extension(OID.basicConstraints, true, Der.sequence(Der.boolean(true))),
      // digitalSignature (bit 0) and keyCertSign (bit 5): it signs handshakes, and itself
      extension(OID.keyUsage, true, Der.bitString(Uint8Array.of(0b1000_0100), 2)),
      extension(OID.extendedKeyUsage, false, Der.sequence(Der.oid(OID.serverAuth))),
      extension(OID.subjectAltName, false, Der.sequence(...options.hosts.map(generalName)))
    ))
  )
  const signature = crypto.sign("sha256", tbs, privateKey) // DER ECDSA-Sig-Value, as X.509 carries it
  const certificate = Der.sequence(tbs, Der.sequence(Der.oid(OID.ecdsaWithSha256)), Der.bitString(signature))
  return {
    cert: pem("CERTIFICATE", certificate),
    key: privateKey.export({ type: "pkcs8", format: "pem" }) as string
  }
}

/**
 * Whether `cert` is one `generate` would make for `serviceId` today: names the service id and is valid for at
 * least another `marginDays`.
 *
 * @category predicates
 * @since 0.1.0
 */
export const isCurrent = (cert: crypto.X509Certificate, serviceId: string, now: Date, marginDays: number): boolean =>
  cert.subject.split("\n").includes(`UID=${serviceId}`) &&
  new Date(cert.validTo).getTime() - now.getTime() > marginDays * 24 * 60 * 60 * 1000

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

const OID = {
  commonName: "2.5.4.3",
  userId: "0.9.2342.19200300.100.1.1",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extendedKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  subjectAltName: "2.5.29.17"
} as const

const extension = (id: string, critical: boolean, value: Der.Der) =>
  Der.sequence(Der.oid(id), ...(critical ? [Der.boolean(true)] : []), Der.octetString(value))

/** an IP address as `iPAddress [7]`, anything else as `dNSName [2]` */
const generalName = (host: string): Der.Der => {
  if (net.isIPv4(host)) return Der.implicit(7, Uint8Array.from(host.split(".").map(Number)))
  if (net.isIPv6(host)) return Der.implicit(7, ipv6Bytes(host))
  return Der.implicit(2, new TextEncoder().encode(host))
}

const ipv6Bytes = (address: string): Uint8Array => {
  const [head, tail] = address.includes("::") ? address.split("::") : [address, undefined]
  const groups = (part: string | undefined) => (part === undefined || part === "" ? [] : part.split(":"))
  const before = groups(head)
  const after = groups(tail)
  const all = [...before, ...Array(8 - before.length - after.length).fill("0"), ...after]
  return Uint8Array.from(all.flatMap((group) => {
    const value = parseInt(group, 16)
    return [value >> 8, value & 0xff]
  }))
}

const pem = (label: string, der: Uint8Array) =>
  `-----BEGIN ${label}-----\n${Buffer.from(der).toString("base64").match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`
