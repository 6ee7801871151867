#!/usr/bin/env bash
# Regenerates the console's screenshots in docs/console/ (one per page) from the browser
# test's run (tests/tests/e2e/browser.rs), with its installs and emulators (scripts/test.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mkdir -p "$ROOT/docs/console"
AGENTCTL_CONSOLE_SCREENSHOTS="$ROOT/docs/console" bash "$ROOT/scripts/test.sh" -E 'test(/^browser::/)'
ls "$ROOT/docs/console"
