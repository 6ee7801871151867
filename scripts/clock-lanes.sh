#!/usr/bin/env bash
# The time-sensitive suites under a clock that crosses the end of a month and of a year
# while they run (Debian's faketime, from apt-get: it has no other form). Each test
# suite runs directly (cargo nextest hangs under faketime) from two seconds before
# midnight of the last day of a month (this one; November's in December), then of the
# year; the emulator and the AWS SDK keep the real time (`FAKETIME_DONT_FAKE_MONOTONIC=1`
# keeps timers working). Every suite runs longer than two seconds, so each crosses.
# A test that reads "this month" once and writes or reads again later fails here.
# CLOCK_LANES picks the instants (`date -d` text), CLOCK_SUITES the suites (modules of
# the end-to-end test binary).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

CLOCK_SUITES="${CLOCK_SUITES:-usage organizations requests sync sessions telemetry activity}"
year_end="$(date -u +%Y)-12-31"
month_end="$(date -u -d "$(date -u +%Y-%m-01) +1 month -1 day" +%Y-%m-%d)"
[ "$month_end" = "$year_end" ] && month_end="$(date -u +%Y)-11-30"
if [ -z "${CLOCK_LANES:-}" ]; then
  CLOCK_LANES=("$month_end 23:59:58" "$year_end 23:59:58")
else
  IFS=',' read -r -a CLOCK_LANES <<<"$CLOCK_LANES"
fi

ensure_faketime
ensure_idp
ensure_clients
# The end-to-end suite's binary as cargo built it (the artifact nextest runs: the whole
# workspace is asked for, so that features unify as in the build and nothing compiles
# again); each suite is one of its modules, run on its own from the lane's instant.
suite_binary="$(
  cargo test --quiet --workspace --tests --no-run --message-format=json 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("reason") == "compiler-artifact" and message.get("executable") and message["target"]["name"] == "e2e":
        print(message["executable"])
'
)"
[ -x "$suite_binary" ] || { echo "no end-to-end test binary" >&2; exit 1; }
read -r -a suites <<<"$CLOCK_SUITES"

# The lanes run side by side, each with its own emulator (the suites mostly wait on
# it); each lane's output is kept in target/clock-lanes/.
WORK="$ROOT/target/clock-lanes"
rm -rf "$WORK" && mkdir -p "$WORK"
run_lane() {
  local start="$1" name failed=0
  MOTO_LOG="$WORK/moto-${start//[^0-9]/}.log" start_moto
  trap stop_moto EXIT
  for name in "${suites[@]}"; do
    echo "==> clock from $start UTC: $name"
    # The exactly-once throughput test (1,200 deliveries; dates as the other usage tests)
    # is left to the main run: it alone would double a lane's time.
    if ! TZ=UTC FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f "@$start" "$suite_binary" "$name::" --test-threads 2 -q \
      --skip events_delivered_three_times_with_poison_count_exactly_once; then
      echo "FAILED: $name from $start"
      failed=1
    fi
  done
  return "$failed"
}
lanes=()
for lane in "${CLOCK_LANES[@]}"; do
  start="$(date -u -d "$lane" '+%Y-%m-%d %H:%M:%S')"
  out="$WORK/${start//[ :]/-}.log"
  ( run_lane "$start" ) >"$out" 2>&1 &
  lanes+=("$!|$start|$out")
done
failed=0
for lane in "${lanes[@]}"; do
  IFS="|" read -r pid start out <<<"$lane"
  if wait "$pid"; then
    log "clock lane from $start UTC: green ($(grep -c '^==> clock' "$out") suites)"
  else
    failed=1
    log "clock lane from $start UTC: failed"
    grep -E '^FAILED|panicked|^test .* FAILED' "$out" >&2 || tail -n 40 "$out" >&2
  fi
done
[ "$failed" -eq 0 ] || { echo "failed under a moved clock; the lanes' output is in $WORK" >&2; exit 1; }
log "clock lanes: ${#suites[@]} suites green from ${CLOCK_LANES[*]}"
