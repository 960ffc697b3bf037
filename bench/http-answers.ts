/**
 * What the HTTP benchmark's twins (http-server-bare.ts, http-server-effect.ts) answer: ours' answers, captured by
 * http-gateway.ts and handed over as one JSON file. Nothing here imports src/: the twins share no code with ours.
 */
import * as Fs from "node:fs"

/** an answer as ours gave it: status, the headers it chose (not the ones Node adds to every answer), the body */
export interface Captured {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** base64 */
  readonly body: string
}

export interface HttpAnswers {
  /** GETs answered whole from memory, by path */
  readonly get: Readonly<Record<string, Captured>>
  /** a GET answered with a file's bytes (ours' own blob file of the component), with ours' headers */
  readonly download: {
    readonly path: string
    readonly file: string
    readonly size: number
    readonly headers: Readonly<Record<string, string>>
  }
  /** a PUT whose body the twins write to a file in `dir` (fsync'd, as ours commits), then answer as ours did */
  readonly upload: { readonly path: string; readonly dir: string; readonly answer: Captured }
}

/** headers Node's HTTP server writes itself, and the body's framing: the twins leave them to Node too */
const nodeOwn = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding"])

/** the headers of an answer that ours chose, lower-cased */
export const chosenHeaders = (headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>) =>
  Object.fromEntries(
    Object.entries(headers)
      .filter(([name, value]) => !nodeOwn.has(name.toLowerCase()) && value !== undefined)
      .map(([name, value]) => [name.toLowerCase(), Array.isArray(value) ? value.join(", ") : String(value)])
  )

export const saveAnswers = (file: string, answers: HttpAnswers) => Fs.writeFileSync(file, JSON.stringify(answers))

export const loadAnswers = (file: string): HttpAnswers => JSON.parse(Fs.readFileSync(file, "utf8"))

/** the file a twin writes the `n`th upload to (each PUT a new file, so no write overlaps another's) */
export const uploadFile = (dir: string, n: number) => `${dir}/upload-${process.pid}-${n}.bin`
