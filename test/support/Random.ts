/**
 * A small seeded PRNG (mulberry32) so property tests can derive random chunkings and random bytes from one seed
 * that the property runner generates and shrinks.
 */
export const prng = (seed: number) => {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1))
  const bytes = (n: number) => {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = int(0, 255)
    return out
  }
  /** splits `data` into chunks of random sizes between 1 and `max` bytes */
  const chunk = (data: Uint8Array, max: number): Array<Uint8Array> => {
    const out: Array<Uint8Array> = []
    for (let offset = 0; offset < data.length;) {
      const size = int(1, max)
      out.push(data.slice(offset, offset + size))
      offset += size
    }
    return out
  }
  return { next, int, bytes, chunk }
}

export const concatBytes = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let offset = 0
  for (const c of chunks) {
    out.set(c, offset)
    offset += c.length
  }
  return out
}
