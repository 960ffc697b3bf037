/**
 * `node bench/embed-macros.ts SOURCE.tex[.gz] TRUTH.json`: writes the macros that SOURCE defines (see `latex-macros.ts`)
 * into TRUTH as `macros`, so that `npm run eval:equations` expands them without the source at hand (the corpus's
 * sources are Debian's files, not the project's). Keys sorted: a rebuild writes the same bytes.
 *
 * @since 0.1.0
 */
import * as Fs from "node:fs"
import * as Zlib from "node:zlib"
import { macrosOf } from "./latex-macros.ts"

const [source, truthPath] = process.argv.slice(2)
if (source === undefined || truthPath === undefined) {
  console.error("usage: node bench/embed-macros.ts SOURCE.tex[.gz] TRUTH.json")
  process.exit(2)
}
const bytes = Fs.readFileSync(source)
const text = (source.endsWith(".gz") ? Zlib.gunzipSync(bytes) : bytes).toString("latin1")
const macros = Object.fromEntries([...macrosOf(text)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
const truth = JSON.parse(Fs.readFileSync(truthPath, "utf8")) as Record<string, unknown>
const written = { ...truth, macros }
// the truth files are written by truth.py with json.dump's default separators
Fs.writeFileSync(truthPath, `${JSON.stringify(written, null, 2)}\n`)
