#!/usr/bin/env bash
# HTTP prerender benchmark: `trellis serve examples/counter` against the same
# counter page rendered by Leptos SSR (benches/leptos-counter), both built in
# release and driven by wrk on 127.0.0.1.
#
#   benches/http.sh [ROUNDS]     (default 3)
#
# Environment:
#   DURATION=20s        length of each wrk run
#   CONNECTIONS=64      wrk connections (-c); wrk uses 2 threads (-t2)
#   TRELLIS_PORT=3101   LEPTOS_PORT=3102
#   SKIP_BUILD=1        use the binaries already built
#   TRELLIS_BIN=PATH    the trellis binary (default target/release/trellis)
#   LEPTOS=0            measure Trellis only (the test suite's smoke run)
#
# Each round runs wrk three times, one server at a time: Trellis without a
# cookie (every request creates a user session and gets a Set-Cookie),
# Trellis with the fixed cookie of a first GET, and Leptos. The table lists
# every run, then the median of each configuration and its ratio to Leptos.
# Guests are not rebuilt: examples/counter must have been built once
# (`scripts/dev build` or `trellis build examples/counter`).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

rounds=${1:-3}
duration=${DURATION:-20s}
connections=${CONNECTIONS:-64}
trellis_port=${TRELLIS_PORT:-3101}
leptos_port=${LEPTOS_PORT:-3102}
export TRELLIS_TARGET_DIR="${TRELLIS_TARGET_DIR:-$repo/target/guests}"
leptos_target="$repo/target/leptos"
trellis_bin=${TRELLIS_BIN:-target/release/trellis}
with_leptos=${LEPTOS:-1}
work=$(mktemp -d)
pids=()

stop_servers() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap stop_servers EXIT

command -v wrk >/dev/null || {
    echo "http.sh: error: wrk not found; install it with apt-get install wrk" >&2
    exit 1
}

if [[ -z ${SKIP_BUILD:-} ]]; then
    echo "http.sh: building trellis-cli in release"
    cargo build --quiet --release -p trellis-cli
    if [[ $with_leptos == 1 ]]; then
        echo "http.sh: building benches/leptos-counter in release (target dir $leptos_target)"
        CARGO_TARGET_DIR="$leptos_target" cargo build --quiet --release \
            --manifest-path benches/leptos-counter/Cargo.toml
    fi
fi

# Waits until GET / on `port` returns 200, for at most 30 s.
wait_ready() {
    local port=$1 name=$2
    for _ in $(seq 300); do
        if curl -fs -o /dev/null "http://127.0.0.1:$port/"; then return 0; fi
        sleep 0.1
    done
    echo "http.sh: error: $name did not respond on 127.0.0.1:$port within 30 s; log: $work/$name.log" >&2
    cat "$work/$name.log" >&2
    exit 1
}

# Trellis logs at `warn` so that logging costs the same as Leptos's (none).
RUST_LOG=warn "$trellis_bin" serve examples/counter --no-build \
    --listen "127.0.0.1:$trellis_port" >"$work/trellis.log" 2>&1 &
pids+=($!)
if [[ $with_leptos == 1 ]]; then
    "$leptos_target/release/leptos-counter" "127.0.0.1:$leptos_port" >"$work/leptos.log" 2>&1 &
    pids+=($!)
fi
wait_ready "$trellis_port" trellis
if [[ $with_leptos == 1 ]]; then
    wait_ready "$leptos_port" leptos
fi

cookie=$(curl -fs -D - -o /dev/null "http://127.0.0.1:$trellis_port/" |
    sed -n 's/^[Ss]et-[Cc]ookie: \(trellis_session=[^;]*\).*/\1/p' | tr -d '\r')
[[ -n $cookie ]] || {
    echo "http.sh: error: GET / on Trellis set no trellis_session cookie" >&2
    exit 1
}
trellis_bytes=$(curl -fs "http://127.0.0.1:$trellis_port/" | wc -c)
cookie_bytes=$(curl -fs -H "Cookie: $cookie" "http://127.0.0.1:$trellis_port/" | wc -c)
echo "http.sh: page sizes: trellis $trellis_bytes B (with cookie $cookie_bytes B)"
if [[ $with_leptos == 1 ]]; then
    echo "http.sh: page size: leptos $(curl -fs "http://127.0.0.1:$leptos_port/" | wc -c) B"
fi
echo "http.sh: wrk -t2 -c$connections -d$duration --latency, $rounds rounds; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"

# Converts a wrk latency such as 812.00us, 1.23ms or 1.01s to milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) printf "%.3f", v / 1000;
        else if (v ~ /ms$/) printf "%.3f", v + 0;
        else if (v ~ /m$/) printf "%.3f", v * 60000;
        else if (v ~ /s$/) printf "%.3f", v * 1000;
        else printf "nan";
    }'
}

# Runs wrk once and appends "config round req/s p50 p99 non2xx" to results.
run_wrk() {
    local config=$1 round=$2 port=$3
    shift 3
    local out="$work/wrk-$config-$round.txt"
    wrk -t2 -c"$connections" -d"$duration" --latency "$@" "http://127.0.0.1:$port/" >"$out"
    local rps p50 p99 errors
    rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
    p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
    p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
    errors=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
    echo "$config $round $rps $p50 $p99 ${errors:-0}" >>"$work/results"
    printf '  %-16s round %d: %10s req/s  p50 %8s ms  p99 %8s ms\n' "$config" "$round" "$rps" "$p50" "$p99"
}

for round in $(seq "$rounds"); do
    run_wrk trellis-no-cookie "$round" "$trellis_port"
    run_wrk trellis-cookie "$round" "$trellis_port" -H "Cookie: $cookie"
    if [[ $with_leptos == 1 ]]; then
        run_wrk leptos "$round" "$leptos_port"
    fi
done
if [[ $with_leptos != 1 ]]; then
    # Without Leptos there is no ratio to print; the per-run lines above are
    # the result.
    exit 0
fi

echo
echo "| server | req/s (median) | p50 ms | p99 ms | req/s vs Leptos | p99 vs Leptos | non-2xx |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
# Prints the median of the numbers on standard input, one a line.
median() {
    sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Prints column `column` of the runs of `config`.
column_of() {
    awk -v config="$1" -v column="$2" '$1 == config { print $column }' "$work/results"
}

base_rps=$(column_of leptos 3 | median)
base_p99=$(column_of leptos 5 | median)
for config in trellis-no-cookie trellis-cookie leptos; do
    rps=$(column_of "$config" 3 | median)
    p50=$(column_of "$config" 4 | median)
    p99=$(column_of "$config" 5 | median)
    errors=$(column_of "$config" 6 | awk '{ sum += $1 } END { print sum + 0 }')
    awk -v c="$config" -v rps="$rps" -v p50="$p50" -v p99="$p99" -v errors="$errors" \
        -v base_rps="$base_rps" -v base_p99="$base_p99" 'BEGIN {
            printf "| %s | %.0f | %.2f | %.2f | %.2f | %.2f | %d |\n", c, rps, p50, p99, rps / base_rps, p99 / base_p99, errors
        }'
done
