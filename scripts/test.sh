#!/usr/bin/env bash
# The test command of the README: installs what the tests need (the Python venv
# with the official Alibaba Cloud SDK; Debian's chromium and chromedriver for the
# browser test), then runs every test of the workspace.
# PostgreSQL tests run when NUMGATE_TEST_DATABASE_URL is set (.ci/run sets it).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export NUMGATE_VENV="${NUMGATE_VENV:-$repo/.venv}"
scripts/python-venv.sh
scripts/browser-deps.sh
cargo build --locked --workspace --bins
cargo test --locked --workspace "$@"
# The server's integration suite once more, on PostgreSQL.
if [ -n "${NUMGATE_TEST_DATABASE_URL:-}" ]; then
    NUMGATE_TEST_BACKEND=postgres cargo test --locked -p numgate-server --test it "$@"
else
    echo "PostgreSQL server suite skipped: NUMGATE_TEST_DATABASE_URL is not set" >&2
fi
