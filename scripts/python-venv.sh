#!/usr/bin/env bash
# Creates (idempotently) the Python venv with the official Alibaba Cloud SDK,
# used to capture golden vectors (crates/acs/tests/fixtures/capture.py) and for
# SDK compatibility tests. Usage: scripts/python-venv.sh; then
# "$NUMGATE_VENV/bin/python" ... (default venv: <repo>/.venv).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${NUMGATE_VENV:-$repo/.venv}"
requirements="$repo/scripts/requirements.txt"
stamp="$venv/.numgate-requirements"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi

# Reinstall only when requirements.txt changed since the last successful install.
if [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then
    exit 0
fi

"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
cp "$requirements" "$stamp"
echo "venv ready: $venv" >&2
