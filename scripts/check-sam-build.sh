#!/usr/bin/env bash
# Proves that `sam build` produces every function's bootstrap, offline: installs the AWS
# SAM CLI and cargo-lambda (with zig) into .venv-sam, the aarch64 Rust std if missing,
# runs `sam build` on template.yaml, and checks that each function's bootstrap is an
# arm64 Linux executable. Takes several minutes (release builds).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

SAM_VENV="${SAM_VENV:-$ROOT/.venv-sam}"
SAM_CLI_VERSION="1.170.0"
CARGO_LAMBDA_VERSION="1.9.2"
ensure_pip_venv "$SAM_VENV" "aws-sam-cli==$SAM_CLI_VERSION" "cargo-lambda==$CARGO_LAMBDA_VERSION"
export PATH="$SAM_VENV/bin:$PATH"
rustup target list --installed | grep -q '^aarch64-unknown-linux-gnu$' || rustup target add aarch64-unknown-linux-gnu

# One shared, absolute target dir: otherwise every function rebuilds every dependency.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target/sam}"
export SAM_CLI_TELEMETRY=0
log "sam build (release, arm64)"
sam build --template-file template.yaml --beta-features --build-dir "$ROOT/.aws-sam/build"

status=0
for function in $(python3 - <<'PY'
import re
text = open("template.yaml").read()
print(" ".join(re.findall(r"^  (\w+):\n    Type: AWS::Serverless::Function", text, re.M)))
PY
); do
  bootstrap="$ROOT/.aws-sam/build/$function/bootstrap"
  if [ ! -x "$bootstrap" ]; then
    echo "MISSING  $function: no executable bootstrap" >&2
    status=1
    continue
  fi
  # ELF e_machine at offset 18: 0xB7 0x00 is AArch64.
  machine=$(od -An -tx1 -j18 -N2 "$bootstrap" | tr -d ' \n')
  size=$(stat -c %s "$bootstrap")
  if [ "$machine" = "b700" ]; then
    printf 'OK       %-24s arm64 bootstrap, %s bytes\n' "$function" "$size"
  else
    echo "WRONG    $function: bootstrap is not arm64 (e_machine $machine)" >&2
    status=1
  fi
done
exit $status
