#!/usr/bin/env bash
# The seed's own relational design, side by side: PostgreSQL with the seed's schema and
# indexes (scripts/pg/schema.sql), the same 1,000-employee organization with 1,000,000
# usage records (scripts/pg/data.sql), and the seed's sample queries timed with EXPLAIN
# ANALYZE (scripts/pg/run.py). Installs PostgreSQL from Debian's packages if missing;
# the cluster lives in target/pg and is stopped at the end.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$PG_BIN" ]; then
  log "installing PostgreSQL (Debian package)"
  apt-get install -y --no-install-recommends postgresql >/dev/null
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
fi
DATA="$ROOT/target/pg"
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
rm -rf "$DATA" && mkdir -p "$DATA"
[ "$(id -u)" = 0 ] && chown postgres "$DATA"
as_postgres "$PG_BIN/initdb" -D "$DATA/db" -A trust -U postgres >/dev/null
PORT="$(free_port)"
as_postgres "$PG_BIN/pg_ctl" -D "$DATA/db" -o "-p $PORT -k $DATA -c shared_buffers=256MB" -l "$DATA/log" -w start >/dev/null
trap 'as_postgres "$PG_BIN/pg_ctl" -D "$DATA/db" -m fast stop >/dev/null' EXIT
PSQL=(-h "$DATA" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -q postgres)
log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'): schema and data"
psql "${PSQL[@]}" -f scripts/pg/schema.sql
start=$(date +%s)
psql "${PSQL[@]}" -f scripts/pg/data.sql >/dev/null
log "loaded in $(( $(date +%s) - start )) s: $(psql "${PSQL[@]}" -At -c 'SELECT count(*) FROM usage_records') usage records"
python3 scripts/pg/run.py "${PSQL[@]}"
