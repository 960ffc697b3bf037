#!/bin/bash
# Every documented command of upstream's CLI against our server; each run's rc, stdout, stderr kept in /tmp/cli-runs.
mkdir -p "${CLI_RUNS:-/tmp/cli-runs}" && cd "${CLI_RUNS:-/tmp/cli-runs}"
PORT=${PORT:-3567}
G="--host 127.0.0.1 --port $PORT --no-tls --no-banner"
CRED="--username testuser --password testpass"
n=0
run() { # name, args...
  n=$((n+1)); local name=$(printf "%02d-%s" $n "$1"); shift
  PYTHONPATH="$UPSTREAM_PATH" timeout 120 "$PYTHON" -m client_cli.main "$@" > $name.out 2> $name.err
  echo "$?" > $name.rc
  printf "%-28s rc=%s  %s\n" "$name" "$(cat $name.rc)" "$(head -c 300 $name.out | tr '\n' ' ')$(head -c 200 $name.err | tr '\n' ' ')"
}
printf '{"type": "WORKFLOW", "fields": {"name": "My workflow", "problem_statement": "..."}}' > item.json
run hello $G --action hello
run list_ops $G --action list_ops
run demo $G --action demo
run demo-obj $G --action demo --object-id Q123
run retrieve-meta $G --action retrieve --object-id Q123
run retrieve-file $G --action retrieve --object-id Q123 --component fulltext.pdf --output pdf.pdf
run retrieve-stdout $G --action retrieve --object-id Q123 --component fulltext.pdf
run retrieve-rocrate $G --action retrieve --object-id Q123 --component rocrate --output q123.zip
run update-component $G --action update --object-id Q123 --component paper --input pdf.pdf --media-type application/pdf $CRED
DOIP_USERNAME=testuser DOIP_PASSWORD=testpass run update-env $G --action update --object-id Q123 --component fulltext.pdf --input pdf.pdf --media-type application/pdf
run update-no-cred $G --action update --object-id Q123 --component paper --input pdf.pdf
run update-props-claim $G --action update --object-id Q123 $CRED --properties '{"claims": {"P16": "Q482723"}}'
run update-props-override $G --action update --object-id Q123 $CRED --properties '{"claims": {"P16": ["Q111", "Q482723"]}, "do_override": true}'
run update-props-label $G --action update --object-id Q123 $CRED --properties '{"label": "New title"}'
run invoke $G --action invoke --object-id Q123 --workflow equation_extraction
run invoke-params $G --action invoke --object-id Q123 --workflow equation_extraction --params '{"max_equations": 50}'
run purge $G --action purge --object-id Q123
run create-raw $G --action create --json '{"label": "My dataset"}' $CRED
run create-claims $G --action create --json '{"label": "My item", "description": "A test", "claims": {"P31": "Q57162"}}' $CRED
run create-workflow $G --action create --json '{"type": "WORKFLOW", "fields": {"name": "Reproduce table 1 from ...", "problem_statement": "Solve incompressible Navier-Stokes"}}' $CRED
run create-file $G --action create --json @item.json $CRED
run search-doi $G --action search --query "10.1103/PHYSREVA.88.052328"
run search-person $G --action search --query "Conrad" --type person
run search-workflow $G --action search --type workflow --limit 20
run search-dataset $G --action search --query "quantum entanglement" --type dataset
run search-qid $G --action search --type Q6534216 --limit 10
run search-demo $G --action search --query "demo"
