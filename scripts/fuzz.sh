#!/usr/bin/env bash
# Property-based API fuzzing: schemathesis generates requests from the served OpenAPI
# document and checks every answer (no 5xx; status codes, content types and bodies as
# documented), once per role of the demo organization and once with the platform key.
# FUZZ_EXAMPLES bounds the examples per operation (default 50; CI runs 3), FUZZ_SEED
# makes a run reproducible, FUZZ_ROLES picks who runs (default all). The coverage phase
# (boundary and negative values of every parameter: input validation, which every role
# reaches the same way once permitted) runs for FUZZ_COVERAGE_ROLES only (default: the
# owner, who is permitted everywhere, and the platform key); every role runs the
# examples, fuzzing and stateful phases. The public routes (sign-in pages, OAuth, SCIM
# with its own token) answer every credential alike: the first role fuzzes them, the
# others skip them. The first role runs beside the others (two lanes, one per core).
# Installs schemathesis into .venv-fuzz; the dev server's log and each role's report
# are kept in target/fuzz/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

FUZZ_EXAMPLES="${FUZZ_EXAMPLES:-50}"
FUZZ_SEED="${FUZZ_SEED:-20261125}"
FUZZ_ROLES="${FUZZ_ROLES:-owner admin billing manager member platform}"
FUZZ_COVERAGE_ROLES="${FUZZ_COVERAGE_ROLES:-owner platform}"
ensure_fuzzer

ensure_venv
# Every target, with the features the test build unifies: a build of the dev server
# alone would compile its dependencies again with fewer features (two minutes in CI).
cargo build --quiet --workspace --all-targets
start_moto
WORK="$ROOT/target/fuzz"
rm -rf "$WORK" && mkdir -p "$WORK"
cleanup() {
  [ -n "${DEVSERVER_PID:-}" ] && kill "$DEVSERVER_PID" 2>/dev/null || true
  stop_moto
}
trap cleanup EXIT
PORT="$(free_port)"
URL="http://127.0.0.1:$PORT"
PLATFORM_KEY="acp_fuzz$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
PLATFORM_KEY="$PLATFORM_KEY" DEMO_SESSIONS_FILE="$WORK/sessions.json" PORT="$PORT" TABLE_NAME="agentctl-fuzz" \
  RUST_LOG=warn "$ROOT/target/debug/devserver" >"$WORK/devserver.log" 2>&1 &
DEVSERVER_PID=$!
for _ in $(seq 1 120); do
  curl -fs "$URL/v1/openapi.json" >/dev/null 2>&1 && break
  sleep 1
done
curl -fs "$URL/v1/openapi.json" >/dev/null || { cat "$WORK/devserver.log" >&2; exit 1; }

token() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/sessions.json" "$1"; }
# One role's run (its output kept in $WORK/schemathesis-<role>.log); extra arguments go
# to schemathesis.
fuzz_as() {
  local who="$1" credential phases
  shift
  if [ "$who" = platform ]; then credential="$PLATFORM_KEY"; else credential="$(token "$who")"; fi
  phases="examples,fuzzing,stateful"
  case " $FUZZ_COVERAGE_ROLES " in *" $who "*) phases="examples,coverage,fuzzing,stateful" ;; esac
  echo "==> schemathesis as $who ($FUZZ_EXAMPLES examples per operation; $phases)" >"$WORK/schemathesis-$who.log"
  # Logging out would end the run's own session.
  "$FUZZ_VENV/bin/schemathesis" run "$URL/v1/openapi.json" --url "$URL" \
    -H "Authorization: Bearer $credential" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --exclude-path /v1/sessions/current \
    --phases "$phases" --max-examples "$FUZZ_EXAMPLES" --seed "$FUZZ_SEED" --workers 1 --no-color \
    --suppress-health-check all --warnings off "$@" >>"$WORK/schemathesis-$who.log" 2>&1
}
# Two lanes keep both cores busy: the first role alone (it also fuzzes the public
# routes, which answer every credential alike), the others one after the other.
read -r -a roles <<<"$FUZZ_ROLES"
log "schemathesis as ${roles[*]} (two lanes)"
fuzz_as "${roles[0]}" &
first_lane=$!
(
  lane_failed=0
  for who in "${roles[@]:1}"; do
    fuzz_as "$who" --exclude-path-regex '^/(scim/v2|v1/oauth)/' || lane_failed=1
  done
  exit "$lane_failed"
) &
second_lane=$!
failed=0
wait "$first_lane" || failed=1
wait "$second_lane" || failed=1
for who in "${roles[@]}"; do
  cat "$WORK/schemathesis-$who.log"
done
if grep -q "request failed" "$WORK/devserver.log"; then
  log "the dev server logged internal errors:"
  grep "request failed" "$WORK/devserver.log" | sort | uniq -c | sort -rn | head -20 >&2
  failed=1
fi
exit "$failed"
