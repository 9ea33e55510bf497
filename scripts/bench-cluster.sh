#!/usr/bin/env bash
# The scale-out benchmark of BENCHMARKS.md: CheckSmsVerifyCode on the embedded
# default, then on 1, 2 and 3 nodes sharing one PostgreSQL database, each with
# the no-op ceiling measured in the same invocation.
#
#   scripts/bench-cluster.sh [postgres://server/db-to-create-in] [bench options…]
#
# Needs a PostgreSQL server (default: the machine's, postgres@127.0.0.1:5432).
# Creates and drops a database numgate_bench_<pid>. Release build.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
server="${1:-postgres://postgres@127.0.0.1:5432/test}"
shift || true
# Enough prepared codes that no check of the measured window hits a used one.
opts=("--actions" "check=1" "--concurrency" "64" "--baseline" "$@")

cd "$repo"
cargo build --release --locked -p numgate-cli
bin="$repo/target/release/numgate"
db="numgate_bench_$$"
url="${server%/*}/$db"
psql "$server" -qc "CREATE DATABASE $db"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    psql "$server" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
}
trap cleanup EXIT

export NUMGATE_MASTER_KEY="$(head -c 32 /dev/urandom | base64)"
export NUMGATE_DATABASE_URL="$url"
"$bin" migrate
key="$("$bin" keys create --json)"
id="$(echo "$key" | python3 -c 'import json,sys; print(json.load(sys.stdin)["AccessKeyId"])')"
secret="$(echo "$key" | python3 -c 'import json,sys; print(json.load(sys.stdin)["AccessKeySecret"])')"

echo "== embedded SQLite (in-process)"
"$bin" bench --target self --codes 100000 "${opts[@]}"

urls=()
for n in 1 2 3; do
    port=$((18480 + n))
    RUST_LOG=warn "$bin" serve --listen "127.0.0.1:$port" --data-dir "/tmp/numgate-bench-node-$n" &
    pids+=($!)
    urls+=("http://127.0.0.1:$port")
    until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do sleep 0.2; done
    target="$(IFS=,; echo "${urls[*]}")"
    echo "== $n node(s) on PostgreSQL"
    "$bin" bench --target "$target" --key-id "$id" --key-secret "$secret" --codes 40000 "${opts[@]}"
done
