/**
 * Just enough DER (ASN.1's distinguished encoding) to write an X.509 certificate: tag, length, contents. Node signs
 * and exports keys in DER but has no way to build a certificate, and a self-signed one is a few dozen lines of this;
 * a certificate library would bring an ASN.1 framework for them.
 *
 * @since 0.1.0
 */

/**
 * One encoded value.
 *
 * @category models
 * @since 0.1.0
 */
export type Der = Uint8Array

/**
 * A value of any tag, its contents given whole.
 *
 * @category constructors
 * @since 0.1.0
 */
export const tagged = (tag: number, ...contents: ReadonlyArray<Der>): Der => {
  const body = Buffer.concat(contents)
  return Buffer.concat([Uint8Array.of(tag), lengthOf(body.length), body])
}

/** @category constructors @since 0.1.0 */
export const sequence = (...items: ReadonlyArray<Der>): Der => tagged(0x30, ...items)

/** @category constructors @since 0.1.0 */
export const set = (...items: ReadonlyArray<Der>): Der => tagged(0x31, ...items)

/**
 * A context-specific, constructed tag (`[n]` in the ASN.1 of X.509), wrapping its contents explicitly.
 *
 * @category constructors
 * @since 0.1.0
 */
export const explicit = (n: number, ...contents: ReadonlyArray<Der>): Der => tagged(0xa0 | n, ...contents)

/**
 * A context-specific, primitive tag (`[n] IMPLICIT` over a string type), as in a subject alternative name.
 *
 * @category constructors
 * @since 0.1.0
 */
export const implicit = (n: number, bytes: Uint8Array): Der => tagged(0x80 | n, bytes)

/** @category constructors @since 0.1.0 */
export const boolean = (value: boolean): Der => tagged(0x01, Uint8Array.of(value ? 0xff : 0x00))

/**
 * A non-negative integer given as big-endian bytes: a leading zero byte keeps it positive when its top bit is set.
 *
 * @category constructors
 * @since 0.1.0
 */
export const unsignedInteger = (bytes: Uint8Array): Der => {
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0 && (bytes[start + 1]! & 0x80) === 0) start++
  const trimmed = bytes.subarray(start)
  return tagged(0x02, (trimmed[0]! & 0x80) !== 0 ? Buffer.concat([Uint8Array.of(0), trimmed]) : trimmed)
}

/** @category constructors @since 0.1.0 */
export const smallInteger = (value: number): Der => unsignedInteger(Uint8Array.of(value))

/**
 * An object identifier from its dotted form.
 *
 * @category constructors
 * @since 0.1.0
 */
export const oid = (dotted: string): Der => {
  const arcs = dotted.split(".").map(Number)
  const out = [40 * arcs[0]! + arcs[1]!]
  for (const arc of arcs.slice(2)) {
    // base 128, most significant group first, every group but the last with its top bit set
    const groups = [arc & 0x7f]
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) groups.unshift((rest & 0x7f) | 0x80)
    out.push(...groups)
  }
  return tagged(0x06, Uint8Array.from(out))
}

/** @category constructors @since 0.1.0 */
export const utf8String = (text: string): Der => tagged(0x0c, new TextEncoder().encode(text))

/** @category constructors @since 0.1.0 */
export const octetString = (bytes: Uint8Array): Der => tagged(0x04, bytes)

/**
 * A bit string of whole bytes (no unused bits), as signatures and key usages are written.
 *
 * @category constructors
 * @since 0.1.0
 */
export const bitString = (bytes: Uint8Array, unusedBits = 0): Der => tagged(0x03, Uint8Array.of(unusedBits), bytes)

/**
 * A time as X.509 writes it: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280, 4.1.2.5).
 *
 * @category constructors
 * @since 0.1.0
 */
export const time = (date: Date): Der => {
  const iso = date.toISOString() // 2026-12-06T04:05:06.789Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "") + "Z" // 20261206040506Z
  return date.getUTCFullYear() < 2050
    ? tagged(0x17, new TextEncoder().encode(digits.slice(2)))
    : tagged(0x18, new TextEncoder().encode(digits))
}

// -----------------------------------------------------------------------------
// internal
// -----------------------------------------------------------------------------

/** short form below 128, else the count of length bytes (with the top bit set) and the length, big-endian */
const lengthOf = (length: number): Uint8Array => {
  if (length < 0x80) return Uint8Array.of(length)
  const bytes: Array<number> = []
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff)
  return Uint8Array.from([0x80 | bytes.length, ...bytes])
}
