#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bvapm request benchmark: nginx + php-fpm (opcache, JIT) + wrk on 127.0.0.1,
# hello-world script, with the extension
#   off         not loaded
#   unsampled   loaded, light mode, sample rate 0 (the common case in production)
#   light       loaded, light mode, 1% sampled
#   aggressive  loaded, every request recorded with full detail
# Configurations run interleaved, ROUNDS times each; prints per-round figures,
# the median requests/s and mean latency per configuration, the ratio to
# "off", and the time each adds per request (from the mean latency, and from
# throughput: 1/rps_config - 1/rps_off, per connection). One SUMMARY line.
#   bench/request_bench.sh BVAPM_SO FAKE_PRODUCER [SECONDS] [ROUNDS] [SCRIPT]
# FAKE_PRODUCER: bvapm-fake-producer (testing/), the stand-in consumer; SCRIPT
# a page of testing/www.
set -u
so=$1 tool=$2 secs=${3:-5} rounds=${4:-5} script=${5:-plain.php}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../testing/stack.sh"
. "$here/wrk.sh"
dir=$(mktemp -d); shm=$(mktemp -d /dev/shm/bvapm-bench-XXXXXX)
chmod 0777 "$dir" "$shm"
export BVAPM_SHM_DIR=$shm
trap 'stack_stop; kill $drainer 2>/dev/null; rm -rf "$dir" "$shm"' EXIT
"$tool" create bench $((64 << 20)) || exit 1
"$tool" drain bench 100000 > /dev/null &
drainer=$!
conns=4
configs=(off unsampled light aggressive)
declare -A rps lat
for ((r = 1; r <= rounds; r++)); do
  for c in "${configs[@]}"; do
    port=$(free_port)
    case $c in
      off) stack_start "$dir" "$port" "" bench light ;;
      unsampled) stack_start "$dir" "$port" "$so" bench light bvapm.sample_rate=0 ;;
      light) stack_start "$dir" "$port" "$so" bench light bvapm.sample_rate=0.01 ;;
      aggressive) stack_start "$dir" "$port" "$so" bench aggressive ;;
    esac || exit 1
    wrk -t1 -c$conns -d1s "http://127.0.0.1:$port/$script" > /dev/null  # warm-up (opcache, JIT)
    wrk_measure "http://127.0.0.1:$port/$script" "$secs" "$conns"
    stack_stop
    rate=$WRK_RPS mean_us=$WRK_MEAN_US
    rps[$c]+="$rate "; lat[$c]+="$mean_us "
    printf 'round %d %-10s %10s req/s  mean latency %8.1f us\n' "$r" "$c" "$rate" "$mean_us"
  done
done
python3 - "$conns" "$script" "${configs[@]}" <<PY
import statistics, sys
conns, script, configs = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
rps = {$(for c in "${configs[@]}"; do printf '"%s": [%s], ' "$c" "$(echo ${rps[$c]} | tr ' ' ',')"; done)}
lat = {$(for c in "${configs[@]}"; do printf '"%s": [%s], ' "$c" "$(echo ${lat[$c]} | tr ' ' ',')"; done)}
med = {c: statistics.median(rps[c]) for c in configs}
mlat = {c: statistics.median(lat[c]) for c in configs}
print(f"\n{'config':<11} {'median req/s':>13} {'ratio':>7} {'mean lat us':>12} {'added us (latency)':>19} {'added us (throughput)':>22}")
parts = []
for c in configs:
    added_lat = mlat[c] - mlat["off"]
    added_tp = (1 / med[c] - 1 / med["off"]) * 1e6 * conns
    print(f"{c:<11} {med[c]:>13.0f} {med[c]/med['off']:>7.3f} {mlat[c]:>12.1f} {added_lat:>19.1f} {added_tp:>22.1f}")
    parts.append(f"{c}_rps={med[c]:.0f} {c}_ratio={med[c]/med['off']:.3f} {c}_added_us={added_tp:.1f}")
print("SUMMARY bench=request script=" + script + " " + " ".join(parts))
PY
