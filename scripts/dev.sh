#!/usr/bin/env bash
# README command 1: the whole system on this machine. Installs the AWS emulator into
# .venv and the local identity provider into .idp if needed, starts them, builds and
# starts the dev server (which creates the table, key and queues, seeds the demo
# organization and points it at the identity provider), and prints how to use it.
# Ctrl-C stops everything it started.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_venv
ensure_idp
log "building the dev server"
cargo build --quiet -p devserver
PORT="${PORT:-8080}"
start_moto
start_idp "http://127.0.0.1:$PORT/v1/oauth/callback"
trap 'stop_idp; stop_moto' EXIT
trap 'exit 130' INT TERM
PORT="$PORT" "$ROOT/target/debug/devserver"
