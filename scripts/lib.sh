# Shared by the scripts and .ci/run: pinned project-local virtualenvs (the AWS emulator
# (moto) and cfn-lint in .venv), the agent tools from npm, and starting and stopping the
# emulator.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
# Pinned so every machine emulates the same AWS behaviour.
MOTO_VERSION="5.2.5"
CFN_LINT_VERSION="1.58.0"
# The agent tools whose own listing commands check what `agentctl sync` writes.
CLIENTS_DIR="$ROOT/.clients"
CLIENT_PACKAGES=("@anthropic-ai/claude-code@2.1.197" "@google/gemini-cli@0.61.0" "@openai/codex@0.169.0")

# Each line says how long the script has run (bash's SECONDS), so a slow step shows.
log() { printf '\033[1m==> [%dm%02ds] %s\033[0m\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }

# A virtualenv at DIR with the pinned PACKAGES, installed once per package set (a stamp
# file named after them marks it done).
ensure_pip_venv() {
  local dir="$1" stamp
  shift
  stamp="$dir/.installed-$(echo "$*" | sha256sum | cut -c1-16)"
  [ -f "$stamp" ] && return 0
  log "installing $* into $dir"
  command -v python3 >/dev/null || { echo "python3 is required" >&2; exit 1; }
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check "$@"
  touch "$stamp"
}

ensure_venv() { ensure_pip_venv "$VENV" "moto[server]==$MOTO_VERSION" "cfn-lint==$CFN_LINT_VERSION"; }

# The API fuzzer (scripts/fuzz.sh) in .venv-fuzz.
SCHEMATHESIS_VERSION="4.32.5"
FUZZ_VENV="$ROOT/.venv-fuzz"
ensure_fuzzer() { ensure_pip_venv "$FUZZ_VENV" "schemathesis==$SCHEMATHESIS_VERSION"; }

# The CLI's other targets (scripts/cross-check.sh): zig as their C compiler and linker
# (aws-lc-sys compiles C), from PyPI into .venv-zig. One macOS target: the CLI's code
# differs by operating system, not by processor, and each target compiles aws-lc's C.
ZIGLANG_VERSION="0.17.1"
CARGO_ZIGBUILD_VERSION="0.24.1"
CLI_TARGETS=(aarch64-apple-darwin x86_64-pc-windows-gnu)
ensure_zig() {
  ensure_pip_venv "$ROOT/.venv-zig" "ziglang==$ZIGLANG_VERSION" "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION"
  local installed
  installed="$(rustup target list --installed)"
  for target in "${CLI_TARGETS[@]}"; do
    grep -qx "$target" <<<"$installed" || rustup target add "$target" >&2
  done
}

# The SCIM conformance checker (scim2-tester, its httpx2 extra and scim2-client) in
# .venv-scim; exports AGENTCTL_SCIM_PYTHON for the test that runs it.
SCIM_TESTER_VERSION="0.5.2"
SCIM_CLIENT_VERSION="0.13.2"
ensure_scim_tester() {
  ensure_pip_venv "$ROOT/.venv-scim" "scim2-tester[httpx2]==$SCIM_TESTER_VERSION" "scim2-client==$SCIM_CLIENT_VERSION"
  export AGENTCTL_SCIM_PYTHON="$ROOT/.venv-scim/bin/python"
}

# Installs the npm-distributed agent tools into .clients (once per version set) and
# exports AGENTCTL_CLIENTS_BIN. Without npm or the registry the tests that need them
# skip and say why.
ensure_clients() {
  local stamp
  stamp="$CLIENTS_DIR/.installed-$(echo "${CLIENT_PACKAGES[*]}" | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    if ! command -v npm >/dev/null; then
      log "npm not found: the real-client tests will be skipped"
      return 0
    fi
    log "installing ${CLIENT_PACKAGES[*]} into $CLIENTS_DIR"
    mkdir -p "$CLIENTS_DIR"
    if ! npm install --prefix "$CLIENTS_DIR" --no-audit --no-fund --loglevel=error "${CLIENT_PACKAGES[@]}" >&2; then
      log "npm install failed: the real-client tests will be skipped"
      return 0
    fi
    touch "$stamp"
  fi
  export AGENTCTL_CLIENTS_BIN="$CLIENTS_DIR/node_modules/.bin"
}

# The local identity provider (npm oidc-provider, run by scripts/local_idp.mjs) for the
# dev stack and the tests, installed into .idp once per version.
IDP_DIR="$ROOT/.idp"
IDP_PACKAGE="oidc-provider@9.13.3"
ensure_idp() {
  local stamp="$IDP_DIR/.installed-$(echo "$IDP_PACKAGE" | sha256sum | cut -c1-16)"
  [ -f "$stamp" ] && return 0
  ensure_node
  log "installing $IDP_PACKAGE into $IDP_DIR"
  mkdir -p "$IDP_DIR"
  npm install --prefix "$IDP_DIR" --no-audit --no-fund --loglevel=error "$IDP_PACKAGE" >&2
  touch "$stamp"
}

# Starts the local identity provider on $IDP_PORT (default 8081) with one client, the
# dev server's, that may send people back to REDIRECT_URI; exports what the dev server
# needs to use it (LOCAL_IDP_*). Sets IDP_PID.
start_idp() {
  local redirect_uri="$1" port="${IDP_PORT:-8081}" clients="$ROOT/.local/idp-clients.json"
  mkdir -p "$ROOT/.local"
  export LOCAL_IDP_CLIENT_ID="agentctl-local"
  LOCAL_IDP_CLIENT_SECRET="$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
  export LOCAL_IDP_CLIENT_SECRET
  printf '[{"client_id":"%s","client_secret":"%s","redirect_uris":["%s"]}]\n' \
    "$LOCAL_IDP_CLIENT_ID" "$LOCAL_IDP_CLIENT_SECRET" "$redirect_uri" >"$clients"
  node "$ROOT/scripts/local_idp.mjs" --port "$port" --clients "$clients" >"$ROOT/.local/idp.log" 2>&1 &
  IDP_PID=$!
  for _ in $(seq 1 100); do
    if grep -q '^LOCAL_IDP ' "$ROOT/.local/idp.log" 2>/dev/null; then
      export LOCAL_IDP_ISSUER="$(grep '^LOCAL_IDP ' "$ROOT/.local/idp.log" | cut -d' ' -f2)"
      log "identity provider at $LOCAL_IDP_ISSUER"
      return 0
    fi
    kill -0 "$IDP_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "the local identity provider did not start; see $ROOT/.local/idp.log" >&2
  cat "$ROOT/.local/idp.log" >&2
  exit 1
}

stop_idp() {
  if [ -n "${IDP_PID:-}" ]; then
    kill "$IDP_PID" 2>/dev/null || true
    wait "$IDP_PID" 2>/dev/null || true
  fi
}

# Debian packages for commands no registry has in another form.
apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "installing $* (apt-get)"
  $sudo apt-get install -y -qq "$@" >&2 || { $sudo apt-get update -qq && $sudo apt-get install -y -qq "$@" >&2; }
}

# Node.js and npm: Debian's packages where the machine has none.
ensure_node() {
  command -v node >/dev/null && command -v npm >/dev/null && return 0
  apt_install nodejs npm
}

# faketime (libfaketime) for the clock lanes (scripts/clock-lanes.sh).
ensure_faketime() {
  command -v faketime >/dev/null || apt_install faketime
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Dummy credentials and a region: without them the SDK goes looking for instance
# metadata and fails (see the handbook's pitfalls).
export_aws_env() {
  export AWS_ENDPOINT_URL="$1"
  export AWS_REGION="${AWS_REGION:-us-east-1}"
  export AWS_DEFAULT_REGION="$AWS_REGION"
  export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}"
  export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}"
}

# Starts moto on a free port (or $MOTO_PORT), waits until it answers, exports the AWS
# environment (its log: MOTO_LOG, .local/moto.log). Sets MOTO_PID. `start_moto N` starts N emulators (the test suite: each
# is one Python process, one core at most) and lists them all in
# AGENTCTL_TEST_ENDPOINTS; the first is AWS_ENDPOINT_URL.
MOTO_PIDS=()
start_moto() {
  ensure_venv
  local instances="${1:-1}" endpoints=() n
  mkdir -p "$ROOT/.local"
  for n in $(seq 1 "$instances"); do
    local port logfile="${MOTO_LOG:-$ROOT/.local/moto.log}"
    port="$(free_port)"
    [ "$n" -eq 1 ] && port="${MOTO_PORT:-$port}"
    [ "$n" -gt 1 ] && logfile="${logfile%.log}-$n.log"
    "$VENV/bin/python" "$ROOT/scripts/moto_server.py" 127.0.0.1 "$port" >"$logfile" 2>&1 &
    MOTO_PIDS+=($!)
    local url="http://127.0.0.1:$port" up=""
    for _ in $(seq 1 100); do
      if curl -fs "$url/moto-api/" >/dev/null 2>&1; then up=1 && break; fi
      kill -0 "${MOTO_PIDS[-1]}" 2>/dev/null || break
      sleep 0.1
    done
    if [ -z "$up" ]; then
      echo "moto did not start; see $logfile" >&2
      cat "$logfile" >&2
      exit 1
    fi
    endpoints+=("$url")
    log "AWS emulator (moto) at $url"
  done
  MOTO_PID="${MOTO_PIDS[0]}"
  export_aws_env "${endpoints[0]}"
  AGENTCTL_TEST_ENDPOINTS="$(IFS=,; echo "${endpoints[*]}")"
  export AGENTCTL_TEST_ENDPOINTS
}

stop_moto() {
  local pid
  for pid in "${MOTO_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

# The console's browser tests: Debian's Chromium (no browser download), Playwright for
# Python pointed at it (.venv-browser), and axe-core from npm (.browser); exports
# AGENTCTL_BROWSER_PYTHON, AGENTCTL_CHROMIUM and AGENTCTL_AXE_JS for tests/tests/e2e/browser.rs.
PLAYWRIGHT_VERSION="1.65.3"
AXE_PACKAGE="axe-core@4.14.1"
ensure_browser() {
  command -v chromium >/dev/null || apt_install chromium
  ensure_pip_venv "$ROOT/.venv-browser" "playwright==$PLAYWRIGHT_VERSION"
  local dir="$ROOT/.browser" stamp
  stamp="$dir/.installed-$(echo "$AXE_PACKAGE" | sha256sum | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    ensure_node
    log "installing $AXE_PACKAGE into $dir"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$AXE_PACKAGE" >&2
    touch "$stamp"
  fi
  export AGENTCTL_BROWSER_PYTHON="$ROOT/.venv-browser/bin/python"
  export AGENTCTL_CHROMIUM="$(command -v chromium)"
  export AGENTCTL_AXE_JS="$dir/node_modules/axe-core/axe.min.js"
}
