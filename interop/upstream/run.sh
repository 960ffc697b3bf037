#!/usr/bin/env bash
# Upstream's own tests and every documented command of its CLI, unchanged, against our server (issue 15, item 8).
#
#   UPSTREAM_PATH=/path/to/mardi_doip_server PYTHON=/path/to/venv/bin/python interop/upstream/run.sh
#
# UPSTREAM_PATH is a checkout of MaRDI4NFDI/mardi_doip_server; PYTHON a Python with its requirements.txt, pytest and
# pytest-asyncio (`python3 -m venv v && v/bin/pip install -r requirements.txt pytest pytest-asyncio`). Starts two
# of our servers (one accepting testuser/testpass, one other credentials, for the invalid-credentials test) on
# PORT (3567) and PORT + 10, stops them at the end. `ourserver_plugin.py` hands upstream's tests our port where they
# start upstream's server in-process; `test_wire_equivalents.py` sends over the wire what upstream's dispatch, compat
# and RO-Crate tests call as functions. The CLI runs' output stays in $CLI_RUNS (/tmp/cli-runs).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
: "${UPSTREAM_PATH:?set UPSTREAM_PATH to a checkout of MaRDI4NFDI/mardi_doip_server}"
: "${PYTHON:?set PYTHON to a Python with upstream requirements, pytest and pytest-asyncio}"
export UPSTREAM_PATH PYTHON
PORT=${PORT:-3567}
data="$(mktemp -d)"
node="$root/node_modules/node/bin/node"
serve() { # port, user, password
  DOIP_DATA_DIR="$data/$1" DOIP_USERNAME="$2" DOIP_PASSWORD="$3" DOIP_TOKEN=test-token DOIP_TLS_MODE=off \
    "$node" "$root/src/cli/main.ts" serve --port "$1" --http-port 0 --host 127.0.0.1 > "$data/$1.log" 2>&1 &
  echo $!
}
a=$(serve "$PORT" testuser testpass)
b=$(serve "$((PORT + 10))" other otherpass)
trap 'kill $a $b 2>/dev/null; rm -rf "$data"' EXIT
for port in "$PORT" "$((PORT + 10))"; do
  for _ in $(seq 1 50); do grep -q "DOIP v2.0 listener" "$data/$port.log" 2>/dev/null && break; sleep 0.2; done
done
(cd "$UPSTREAM_PATH" && OUR_DOIP_PORT="$PORT" OUR_DOIP_PORT_REJECT="$((PORT + 10))" PYTHONPATH="$here:$UPSTREAM_PATH" \
  "$PYTHON" -m pytest -q -p ourserver_plugin tests/integration "$here/test_wire_equivalents.py" --rootdir "$here") || true
PORT="$PORT" bash "$here/run-cli.sh"
