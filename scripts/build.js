// The package's build, run by `npm ci` / `npm install` (the `prepare` script) and before `npm pack`: `src/` compiled
// by tsc (tsconfig.build.json) into `dist/` as JavaScript, declarations and source maps, relative `./X.ts` imports
// rewritten to `./X.js`; then the files the compiled code reads beside itself at run time, which tsc does not copy:
// the web page (`dist/server/http/web/`, found by WebPage.ts from its own `import.meta.url`).
//
// Plain JavaScript, so that whichever `node` runs npm can run it. `dist/` is removed first: a module renamed or
// deleted in `src/` must not live on in the package.
import { spawnSync } from "node:child_process"
import { cpSync, rmSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const dist = join(root, "dist")

/** files read at run time relative to a module, as [from src/, to dist/] */
const assets = [["src/server/http/web", "dist/server/http/web"]]

const started = performance.now()
rmSync(dist, { recursive: true, force: true })

const require = createRequire(import.meta.url)
const tscPackage = require.resolve("typescript/package.json")
const tsc = join(dirname(tscPackage), require(tscPackage).bin.tsc)
const compiled = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" })
if (compiled.status !== 0) {
  console.error(`build: tsc failed (${compiled.signal ?? `exit ${compiled.status}`}${compiled.error ? `, ${compiled.error.message}` : ""})`)
  process.exit(1)
}

for (const [from, to] of assets) {
  cpSync(join(root, from), join(root, to), { recursive: true })
}
console.error(`build: dist/ in ${((performance.now() - started) / 1000).toFixed(1)} s`)
