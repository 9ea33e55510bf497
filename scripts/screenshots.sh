#!/usr/bin/env bash
# Takes the README's screenshots of the console (docs/screenshots/*.png) in
# headless Chromium, from a server with a little demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/browser-deps.sh
# The Chinese pages need a CJK font (the tests do not: they read text, not pixels).
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then
    if [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null
    else
        echo "screenshots: install a CJK font (as root: apt-get install fonts-wqy-microhei)" >&2
    fi
fi
NUMGATE_SCREENSHOTS="$PWD/docs/screenshots" \
    cargo test -p numgate-server --test it console_screenshots -- --nocapture
ls -l docs/screenshots
