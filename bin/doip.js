#!/usr/bin/env node
// The `doip` command's launcher. The command itself (dist/cli/main.js) needs Node 22.19 or newer; this file is plain
// JavaScript that any Node can start, so that `doip` works wherever npm put it, also on a machine whose `node` is older:
//
// - on Node 22.19 or newer it runs the command in this process;
// - on an older Node it runs it with the Node 24 that the package brings (its optional dependency `node`), passing
//   the arguments, the standard streams and the environment on, forwarding the signals it is sent (the child gets a
//   terminal's Ctrl-C directly as well: the command treats a repeated interrupt as one), and ending as the child
//   ended: with its exit code, or killed by the same signal.
import { spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { constants } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const minimum = [22, 19]
const cli = new URL("../dist/cli/main.js", import.meta.url)

const [major, minor] = process.versions.node.split(".").map(Number)
if (major > minimum[0] || (major === minimum[0] && minor >= minimum[1])) {
  await import(cli.href)
} else {
  const node = bundledNode()
  if (node === undefined) {
    fail(
      `doip needs Node.js ${minimum.join(".")} or newer; this is ${process.version}, and the Node that effect-doip ` +
        `brings for that case (its optional dependency "node") is not installed. Run doip with a newer node, or ` +
        `reinstall effect-doip without --omit=optional or --ignore-scripts.`
    )
  } else {
    run(node)
  }
}

function run(node) {
  const child = spawn(node, [fileURLToPath(cli), ...process.argv.slice(2)], { stdio: "inherit" })
  const signals = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR2"]
  const forward = (signal) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
  }
  for (const signal of signals) process.on(signal, forward)
  child.once("error", (error) => fail(`doip: could not start ${node}: ${error.message}`))
  child.once("exit", (code, signal) => {
    for (const s of signals) process.off(s, forward)
    if (signal !== null) {
      // die as the child died, so a shell or supervisor sees the same end; exit in case the signal does not kill us
      process.kill(process.pid, signal)
      setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 0)), 1000).unref()
    } else {
      process.exit(code ?? 1)
    }
  })
}

// the binary the `node` package's install script links to bin/node (bin/node.exe on Windows): its package.json says
function bundledNode() {
  try {
    const require = createRequire(import.meta.url)
    const manifest = require.resolve("node/package.json")
    const bin = JSON.parse(readFileSync(manifest, "utf8")).bin?.node ?? "bin/node"
    const path = join(dirname(manifest), bin)
    return existsSync(path) ? path : undefined
  } catch {
    return undefined
  }
}

function fail(message) {
  console.error(message)
  process.exit(1)
}
