#!/usr/bin/env bash
# Installs what the browser test needs: Debian's chromium and chromedriver
# (packages chromium, chromium-driver). Idempotent; needs root to install.
set -euo pipefail
if command -v chromedriver >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "browser test: install chromium and chromium-driver (as root: scripts/browser-deps.sh)" >&2
    exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
echo "installed chromium and chromedriver" >&2
