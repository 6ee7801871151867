#!/usr/bin/env bash
# README command 1: the whole system on this machine. Installs the AWS emulator into
# .venv if needed, starts it, builds and starts the dev server (which creates the
# table, key and queues and seeds the demo organization), and prints how to use it.
# Ctrl-C stops everything it started.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_venv
log "building the dev server"
cargo build --quiet -p devserver
start_moto
trap stop_moto EXIT
trap 'exit 130' INT TERM
PORT="${PORT:-8080}" "$ROOT/target/debug/devserver"
