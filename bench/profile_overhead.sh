#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What profiling every request costs: nginx + php-fpm (2 workers, opcache,
# tracing JIT) + wrk on 127.0.0.1, two pages of bench/www —
#   cpu.php  recursion and ~300 000 small function/method calls (~10 ms)
#   sql.php  PDO SQLite in memory, ~200 statements, most of them prepared
# — under these conditions:
#   none              no profiler loaded
#   bvapm-light       bvapm.so, light mode, 1% of requests recorded
#   bvapm-aggressive  bvapm.so, every request recorded with full detail,
#                     into the ring of a real bvapm-drainer (SQLite store)
#                     running beside it, as in production
#   bvapm-aggressive-discard  the same, but into a ring emptied by a stand-in
#                     consumer that discards the records (bvapm-fake-producer
#                     drain): the agent's cost without the drainer's work
#   tideways          tideways_xhprof (php8.2-tideways) profiling every
#                     request: www/tideways_prepend.php (auto_prepend_file)
#                     enables it with FLAGS_CPU|FLAGS_MEMORY, and at shutdown
#                     disables it, serializes the profile and appends it to
#                     a file per worker
#   tideways-wall     the same with flags 0 (wall time only, its cheapest)
# Conditions and pages are interleaved, ROUNDS times, the order of the
# conditions rotating each round; every run starts a fresh stack and warms it
# up for a second. Prints each run, then per page the median requests/s,
# latency p50/p99, and the overhead against "none": the time added per
# request, from throughput, rps(none) / rps(condition) - 1, computed within
# each round and the median taken over rounds (the machine's load drifts
# between rounds more than between neighbouring runs); a run with failed
# requests is left out. One SUMMARY line; the same text and a JSON file go to
# bench/results/ (or $BENCH_RESULTS).
#   bench/profile_overhead.sh BVAPM_SO BVAPM_DRAINER [SECONDS] [ROUNDS] [CONDITIONS]
# e.g. bench/profile_overhead.sh build/release/agent/bvapm.so \
#        build/release/drainer/bvapm-drainer 5 5
set -u
so=$(realpath "$1") drainer_bin=$(realpath "$2") secs=${3:-5} rounds=${4:-5}
read -r -a conds <<< "${5:-none bvapm-light bvapm-aggressive bvapm-aggressive-discard tideways tideways-wall}"
# the stand-in consumer, from the same build as the drainer unless given
ring_tool=${BVAPM_FAKE_PRODUCER:-$(dirname "$drainer_bin")/../testing/bvapm-fake-producer}
pages=(cpu.php sql.php)
conns=4
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../testing/stack.sh"
. "$here/../testing/drainer.sh"
. "$here/wrk.sh"
export STACK_WWW=$here/www STACK_READY=sql.php
results=${BENCH_RESULTS:-$here/results}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
dir=$(mktemp -d); shm=$(mktemp -d /dev/shm/bvapm-profbench-XXXXXX)
chmod 0777 "$dir" "$shm"
mkdir -p "$dir/profiles" "$results"
export BVAPM_SHM_DIR=$shm BENCH_PROFILE_DIR=$dir/profiles
drainer="" discard=""
# waits for our own processes by pid only: a bare `wait` would also wait for
# the tee below, which ends only when this script does
cleanup() {
  stack_stop
  local p
  for p in $drainer $discard; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$dir" "$shm"
}
trap cleanup EXIT
exec > >(tee "$results/profile_overhead-$stamp.txt") 2>&1

drainer_start "$drainer_bin" "$dir" bench --set ring.size=64M || exit 1
drainer=$DRAINER_PID
if [[ " ${conds[*]} " == *" bvapm-aggressive-discard "* ]]; then
  "$ring_tool" create discard $((64 << 20)) || { echo "no stand-in consumer ($ring_tool)"; exit 1; }
  "$ring_tool" drain discard 1000000 > /dev/null &
  discard=$!
fi

echo "profile_overhead: $(date -u) host $(hostname) $(nproc) CPUs, PHP $(php -r 'echo PHP_VERSION;')," \
  "tideways_xhprof $(dpkg-query -W -f '${Version}' php8.2-tideways 2>/dev/null)"
echo "bvapm.so: $so (tree $(git -C "$here/.." describe --always --dirty 2>/dev/null))"
echo "wrk -t2 -c$conns -d${secs}s, $rounds rounds, conditions: ${conds[*]}"

# start CONDITION PORT: the stack for one condition.
start() {
  local pdo=(extension=pdo.so extension=pdo_sqlite.so)
  local tw=(extension=tideways_xhprof.so "auto_prepend_file=$here/www/tideways_prepend.php")
  case $1 in
    none) stack_start "$dir/stack" "$2" "" bench light "${pdo[@]}" ;;
    bvapm-light) stack_start "$dir/stack" "$2" "" bench light "${pdo[@]}" "extension=$so" \
                   bvapm.sample_rate=0.01 ;;
    bvapm-aggressive) stack_start "$dir/stack" "$2" "" bench aggressive "${pdo[@]}" "extension=$so" ;;
    bvapm-aggressive-discard) stack_start "$dir/stack" "$2" "" discard aggressive "${pdo[@]}" \
                                "extension=$so" ;;
    tideways) stack_start "$dir/stack" "$2" "" bench light "${pdo[@]}" "${tw[@]}" ;;
    tideways-wall) BENCH_TIDEWAYS_FLAGS=0 stack_start "$dir/stack" "$2" "" bench light \
                     "${pdo[@]}" "${tw[@]}" ;;
    *) echo "unknown condition $1"; return 1 ;;
  esac
}

# CPU time (user + system, clock ticks) the drainer has used so far: its
# share of the 2 cores during a run is part of what recording costs.
tck=$(getconf CLK_TCK)
drainer_ticks() { awk '{print $14 + $15}' "/proc/$drainer/stat"; }

runs=$dir/runs.tsv
for ((r = 1; r <= rounds; r++)); do
  # rotate the order each round, so no condition always runs first
  order=("${conds[@]:$(((r - 1) % ${#conds[@]}))}" "${conds[@]:0:$(((r - 1) % ${#conds[@]}))}")
  for page in "${pages[@]}"; do
    for c in "${order[@]}"; do
      port=$(free_port)
      start "$c" "$port" || exit 1
      url=http://127.0.0.1:$port/$page
      for _ in $(seq 100); do # php-fpm may still be starting: wait for a right answer
        body=$(curl -s "$url")
        [[ $body =~ ^[0-9]+$ ]] && break
        sleep 0.1
      done
      [[ $body =~ ^[0-9]+$ ]] || { echo "$c $page: unexpected response: $body"; cat "$dir"/stack/*.log; exit 1; }
      wrk -t1 -c$conns -d1s "$url" > /dev/null # warm-up (opcache, JIT)
      t0=$(drainer_ticks)
      wrk_measure "$url" "$secs" "$conns" || { echo "wrk failed"; exit 1; }
      busy=$(( ($(drainer_ticks) - t0) * 100 / (tck * secs) ))
      stack_stop
      if [ "$WRK_ERRORS" -gt 0 ]; then # a run with failed requests measures nothing: say why
        echo "$c $page: $WRK_ERRORS failed requests; the stack's logs:"
        tail -n 5 "$dir"/stack/*.log
      fi
      printf 'round %d %-8s %-24s %9.1f req/s  p50 %9.1f us  p99 %9.1f us  errors %s  drainer CPU %d%%\n' \
        "$r" "$page" "$c" "$WRK_RPS" "$WRK_P50_US" "$WRK_P99_US" "$WRK_ERRORS" "$busy"
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$page" "$c" "$WRK_RPS" "$WRK_P50_US" \
        "$WRK_P99_US" "$WRK_ERRORS" >> "$runs"
    done
  done
done

kill -TERM "$drainer"; wait "$drainer"; drainer=""
stored=$(sqlite3 "$dir/store.db" 'SELECT COUNT(*) FROM requests' 2>&1) ||
  { echo "the store cannot be read ($stored); the drainer's log:"; tail -n 5 "$dir/drainer.log"; }
profiles=$(cat "$dir"/profiles/*.ser 2>/dev/null | wc -l)
echo "records stored by bvapm-drainer: ${stored:-?}; tideways profiles kept: $profiles"
python3 "$here/profile_report.py" "$runs" "$results/profile_overhead-$stamp.json" "${conds[@]}"
