#!/usr/bin/env bash
# Cold start: the time from starting `trellis serve` to its first successful
# GET /, with an empty precompiled-component cache (cold) and with the cache
# that the previous start wrote (warm). Also checks that the cache misses
# after the component changes.
#
#   benches/cold_start.sh [RUNS]     (default 5 of each)
#
# Environment: PORT=3103, SKIP_BUILD=1 to use the trellis binary already
# built in target/release, TRELLIS_BIN=PATH to use another trellis binary
# (the test suite's smoke run passes its debug build).
#
# The app is a copy of examples/counter in a temporary directory whose
# trellis.toml names the two components built in
# $TRELLIS_TARGET_DIR/wasm32-wasip2/release, so the script never touches
# examples/counter/.trellis. The time is measured with `date +%s%N` around a
# curl loop that retries every 10 ms, so it is accurate to about 15 ms.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

runs=${1:-5}
port=${PORT:-3103}
guests="${TRELLIS_TARGET_DIR:-$repo/target/guests}/wasm32-wasip2/release"
work=$(mktemp -d)
server_pid=

cleanup() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

trellis_bin=${TRELLIS_BIN:-target/release/trellis}
if [[ -z ${SKIP_BUILD:-} && -z ${TRELLIS_BIN:-} ]]; then
    cargo build --quiet --release -p trellis-cli
fi
for name in counter lucky; do
    [[ -f $guests/$name.wasm ]] || {
        echo "cold_start.sh: error: $guests/$name.wasm not found; run trellis build examples/counter first" >&2
        exit 1
    }
done

app="$work/app"
mkdir -p "$app"
cp "$guests/counter.wasm" "$guests/lucky.wasm" "$app/"
cat >"$app/trellis.toml" <<'EOF'
title = "Counter"

[[routes]]
path = "/"
component = "counter.wasm"

[[routes]]
path = "/lucky"
component = "lucky.wasm"
EOF
export TRELLIS_SERVER_KEY
TRELLIS_SERVER_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

# Starts the server, prints the milliseconds until GET / returned 200, stops
# the server. The server's log goes to $work/serve.log.
time_to_first_get() {
    local started ended
    started=$(date +%s%N)
    "$trellis_bin" serve "$app" --no-build --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 3000); do
        if curl -fs -o /dev/null "http://127.0.0.1:$port/"; then
            ended=$(date +%s%N)
            kill "$server_pid"
            wait "$server_pid" 2>/dev/null || true
            server_pid=
            echo $(((ended - started) / 1000000))
            return 0
        fi
        if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
        sleep 0.01
    done
    echo "cold_start.sh: error: the server did not respond to GET / within 30 s; its log:" >&2
    cat "$work/serve.log" >&2
    exit 1
}

compiled_count() {
    grep -c 'compiled component' "$work/serve.log" || true
}

median() {
    tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

cold=() warm=()
for _ in $(seq "$runs"); do
    rm -rf "$app/.trellis/cache"
    cold+=("$(time_to_first_get)")
    cold_compiles=$(compiled_count)
    warm+=("$(time_to_first_get)")
    warm_compiles=$(compiled_count)
done
echo "cold (empty cache): ${cold[*]} ms; median $(echo "${cold[*]}" | median) ms; components compiled in the last run: $cold_compiles"
echo "warm (cache hit):   ${warm[*]} ms; median $(echo "${warm[*]}" | median) ms; components compiled in the last run: $warm_compiles"

# A changed component must miss the cache. Appending a custom section (id 0,
# 9 bytes: name length 8, name "trellis!") changes the bytes but not what
# the component does.
printf '\x00\x09\x08trellis!' >>"$app/counter.wasm"
changed=$(time_to_first_get)
echo "after appending a custom section to counter.wasm: $changed ms; components compiled: $(compiled_count) (expected 1)"
again=$(time_to_first_get)
echo "next start: $again ms; components compiled: $(compiled_count) (expected 0)"
echo "cache files: $(find "$app/.trellis/cache" -name '*.cwasm' | wc -l)"
