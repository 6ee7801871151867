#!/usr/bin/env bash
# Checks (and lints) the CLI for the operating systems developers use besides Linux:
# macOS on Apple silicon and Intel, and Windows. aws-lc-sys compiles C for the target,
# so zig (PyPI) is the C compiler. Linking is not attempted: a macOS link needs Apple's
# frameworks, which no registry ships (see docs/CLI.md).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
ensure_zig
export PATH="$ROOT/.venv-zig/bin:$PATH"
# A target directory of its own, so this can run beside another cargo (CI runs it beside
# the tests) without waiting for its lock.
export CARGO_TARGET_DIR="${CROSS_TARGET_DIR:-$ROOT/target/cross}"
targets=()
for target in "${CLI_TARGETS[@]}"; do targets+=(--target "$target"); done
log "cargo clippy of the CLI for ${CLI_TARGETS[*]}"
cargo-zigbuild clippy -p agentctl-cli "${targets[@]}" -- -D warnings
