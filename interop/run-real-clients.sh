#!/usr/bin/env bash
# Runs the real DOIP clients against a server this script starts, through the recording proxy, and reports pass/fail
# per call. Skips a client cleanly when its runtime or its library is missing.
#
#   interop/run-real-clients.sh [--save]      # --save: copy the transcripts to test/interop/transcripts/
#
# Clients (none of them is a dependency of the project; point the script at them):
#   doipy + doip-sdk (GWDG, Python >= 3.10): importable as installed packages (`pip install doipy`), or from a folder
#       holding the `doipy` and `doip_sdk` packages: DOIPY_PATH=/path (default /tmp/interop-clients/py when present).
#       Needs pydantic and loguru.
#   CNRI DOIP Java client (net.dona.doip, the reference SDK behind Cordra, JDK >= 11): CNRI_DOIP_CP=<classpath> with
#       the SDK (doip-sdk jar, or classes) and its dependencies (gson, guava, slf4j-api, handle-client, cnriutil,
#       bouncycastle); default /tmp/interop-clients/cnri-src/{classes,classpath.txt} when present.
#
# Both clients speak DOIP over TLS only, so the proxy terminates TLS and the server runs plaintext; the transcripts
# hold the DOIP bytes. CNRI's client checks that the server certificate's UID (else CN) equals the service id it was
# given, so the proxy's certificate is made here with UID=<service id>.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
NODE=$ROOT/node_modules/.bin/node
BASE_PORT=${INTEROP_PORT:-47600}
SERVICE_ID=effect-doip/service
TOKEN=interop-token-123
USERNAME=alice
PASSWORD=alice-secret
WORK=$(mktemp -d /tmp/doip-interop.XXXXXX)
SAVE=0
[ "${1:-}" = "--save" ] && SAVE=1
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done; }
trap cleanup EXIT

echo "interop: work folder $WORK"
DOIP_TOKEN=$TOKEN DOIP_USERNAME=$USERNAME DOIP_PASSWORD=$PASSWORD \
  "$NODE" src/cli/main.ts serve --host 127.0.0.1 --port "$BASE_PORT" --http-port 0 --data-dir "$WORK/data" --tls off \
  >"$WORK/server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do grep -q "DOIP v2.0 listener" "$WORK/server.log" && break; sleep 0.2; done
grep -q "DOIP v2.0 listener" "$WORK/server.log" || { echo "interop: the server did not start"; cat "$WORK/server.log"; exit 1; }
DOIP2=$((BASE_PORT + 1))

openssl req -x509 -newkey rsa:2048 -nodes -days 30 -keyout "$WORK/svc.key" -out "$WORK/svc.crt" \
  -subj "/UID=${SERVICE_ID//\//\\/}/CN=localhost" >/dev/null 2>&1 || { echo "interop: openssl is needed"; exit 1; }

proxy() { # name port
  "$NODE" interop/record-proxy.ts --listen "$2" --target "127.0.0.1:$DOIP2" --out "$WORK/$1.json" --client "$1" \
    --tls-cert "$WORK/svc.crt" --tls-key "$WORK/svc.key" --label-file "$WORK/$1.step" >"$WORK/$1.proxy.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 50); do grep -q "record-proxy:" "$WORK/$1.proxy.log" && break; sleep 0.2; done
}

RESULTS=()
report() { # name exit-code
  if [ "$2" = skip ]; then RESULTS+=("$1: skipped"); else
    RESULTS+=("$1: $(grep -c '^PASS' "$WORK/$1.out") passed, $(grep -c '^FAIL' "$WORK/$1.out") failed")
  fi
}

# the clients' port: through a recording proxy (PASS is empty), or straight at the server in TLS auto mode
# (not a $(...) function: the proxy must start in this shell, so that PIDS gets it and the exit stops it)
client_port() { # name proxy-port
  if [ -z "$PASS" ]; then proxy "$1" "$2"; port=$2; else port=$DIRECT_PORT; fi
}

run_clients() {

# --- doipy / doip-sdk -------------------------------------------------------------------------------------------------
PY_PATH=${DOIPY_PATH:-}
[ -z "$PY_PATH" ] && [ -d /tmp/interop-clients/py/doipy ] && PY_PATH=/tmp/interop-clients/py
if command -v python3 >/dev/null && PYTHONPATH=$PY_PATH python3 -c "import doip_sdk, doipy" 2>/dev/null; then
  client_port doipy $((BASE_PORT + 10))
  echo "== doipy / doip-sdk$PASS (python $(python3 -c 'import sys; print(sys.version.split()[0])'))"
  PYTHONPATH=$PY_PATH timeout 300 python3 interop/python/doipy_interop.py 127.0.0.1 "$port" \
    "$SERVICE_ID" "$TOKEN" "$USERNAME" "$PASSWORD" "$WORK/doipy.step" 2>&1 | tee "$WORK/doipy$PASS.out" | grep -E '^(PASS|FAIL|ALL|[0-9]+ FAILED)'
  report "doipy$PASS" run
else
  echo "== doipy / doip-sdk: skipped (no python3, or doipy/doip_sdk not importable; set DOIPY_PATH)"
  report "doipy$PASS" skip
fi

# --- CNRI DOIP Java client --------------------------------------------------------------------------------------------
CP=${CNRI_DOIP_CP:-}
if [ -z "$CP" ] && [ -f /tmp/interop-clients/cnri-src/classpath.txt ]; then
  CP=/tmp/interop-clients/cnri-src/classes:$(cat /tmp/interop-clients/cnri-src/classpath.txt)
fi
if command -v javac >/dev/null && [ -n "$CP" ]; then
  mkdir -p "$WORK/cnri-driver"
  if javac -nowarn -d "$WORK/cnri-driver" -cp "$CP" interop/cnri/CnriInterop.java 2>"$WORK/cnri.javac.log"; then
    client_port cnri $((BASE_PORT + 11))
    echo "== CNRI DOIP Java client$PASS ($(java -version 2>&1 | head -1))"
    timeout 300 java -cp "$WORK/cnri-driver:$CP" CnriInterop 127.0.0.1 "$port" "$SERVICE_ID" "$TOKEN" \
      "$USERNAME" "$PASSWORD" "$WORK/cnri.step" >"$WORK/cnri$PASS.out" 2>"$WORK/cnri$PASS.err"
    grep -E '^(PASS|FAIL|ALL|[0-9]+ FAILED)' "$WORK/cnri$PASS.out"
    report "cnri$PASS" run
  else
    echo "== CNRI DOIP Java client: skipped (the driver does not compile against CNRI_DOIP_CP; see $WORK/cnri.javac.log)"
    report "cnri$PASS" skip
  fi
else
  echo "== CNRI DOIP Java client: skipped (no javac, or no CNRI_DOIP_CP)"
  report "cnri$PASS" skip
fi
}

# pass 1: through the recording proxies (TLS ends at the proxy, the server runs plaintext)
PASS=""
run_clients

# pass 2: straight at a server on its defaults: TLS auto with the certificate it made itself (UID=<service id>),
# which is what a newcomer's server offers these clients
DIRECT_BASE=$((BASE_PORT + 20))
DOIP_TOKEN=$TOKEN DOIP_USERNAME=$USERNAME DOIP_PASSWORD=$PASSWORD DOIP_SERVICE_ID=$SERVICE_ID \
  "$NODE" src/cli/main.ts serve --host 127.0.0.1 --port "$DIRECT_BASE" --http-port 0 --data-dir "$WORK/data-direct" \
  >"$WORK/server-direct.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do grep -q "DOIP v2.0 listener" "$WORK/server-direct.log" && break; sleep 0.2; done
grep "TLS auto" "$WORK/server-direct.log" | sed 's/^.*INFO[^:]*: /interop: direct server: /'
DIRECT_PORT=$((DIRECT_BASE + 1))
PASS="-direct"
run_clients

echo
printf 'interop: %s\n' "${RESULTS[@]}"
echo "interop: transcripts in $WORK/*.json"
if [ "$SAVE" = 1 ]; then
  mkdir -p test/interop/transcripts
  for name in doipy cnri; do
    [ -f "$WORK/$name.json" ] && cp "$WORK/$name.json" "test/interop/transcripts/$name.json" && echo "interop: saved test/interop/transcripts/$name.json"
  done
fi
