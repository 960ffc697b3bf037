/**
 * The demo object a newcomer can fetch: on first start with an empty store, `serve` commits object `Q123` with a
 * small, real, one-page PDF as `fulltext.pdf`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { ComponentWriter } from "./ComponentWriter.ts"
import { Storage } from "./Storage.ts"

/**
 * @category constants
 * @since 0.1.0
 */
export const demoObjectId = "Q123"

/**
 * Seeds the demo object when storage holds no object at all; answers whether it did.
 *
 * @category constructors
 * @since 0.1.0
 */
export const seedIfEmpty = Effect.gen(function*() {
  const storage = yield* Storage
  const writer = yield* ComponentWriter
  const objects = yield* storage.objects()
  if (objects.length > 0) return false
  const pdf = demoPdf([
    "A demo digital object",
    "This PDF was stored by effect-doip on first start.",
    "Euler's identity: e^(i pi) + 1 = 0          (1)"
  ])
  yield* writer.write({
    objectId: demoObjectId,
    componentId: "fulltext.pdf",
    mediaType: "application/pdf",
    content: Stream.succeed(pdf),
    operation: "seed",
    message: `seed demo object ${demoObjectId}`
  })
  return true
})

/**
 * A valid one-page PDF 1.4 showing `lines` in Helvetica, with a correct cross-reference table.
 *
 * @category constructors
 * @since 0.1.0
 */
export const demoPdf = (lines: ReadonlyArray<string>): Uint8Array => {
  const escape = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`)
  const text = lines.map((line, i) => `BT /F1 ${i === 0 ? 18 : 12} Tf 72 ${720 - i * 28} Td (${escape(line)}) Tj ET`)
    .join("\n")
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${text.length} >>\nstream\n${text}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    "<< /Title (A demo digital object) /Producer (effect-doip) >>"
  ]
  let body = "%PDF-1.4\n"
  const offsets: Array<number> = []
  objects.forEach((object, i) => {
    offsets.push(body.length)
    body += `${i + 1} 0 obj\n${object}\nendobj\n`
  })
  const xref = body.length
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`
  for (const offset of offsets) body += `${String(offset).padStart(10, "0")} 00000 n \n`
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n${xref}\n%%EOF\n`
  return new TextEncoder().encode(body)
}
