#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What bvapm.so adds to each request, measured without a network in the way:
# php-cgi -T N runs a script N times in one process, each time through the
# whole request lifecycle (RINIT, script, RSHUTDOWN), so the difference of
# the elapsed time per request between configurations is the agent's cost.
# Configurations (interleaved, ROUNDS times): off (not loaded), unsampled
# (light, sample rate 0: the common production case), light (1%),
# aggressive (every request recorded; a stand-in drainer empties the ring).
# Prints per-round figures, medians, the added microseconds per request, and
# one SUMMARY line.
#   bench/agent_overhead.sh BVAPM_SO FAKE_PRODUCER [REQUESTS] [ROUNDS] [SCRIPT]
# FAKE_PRODUCER: bvapm-fake-producer (testing/), the stand-in consumer.
set -u
so=$1 tool=$2 n=${3:-20000} rounds=${4:-7} script=${5:-}
here=$(cd "$(dirname "$0")" && pwd)
[ -n "$script" ] || script=$here/../testing/www/plain.php
shm=$(mktemp -d /dev/shm/bvapm-overhead-XXXXXX)
export BVAPM_SHM_DIR=$shm
trap 'kill $drainer 2>/dev/null; rm -rf "$shm"' EXIT
"$tool" create bench $((64 << 20)) || exit 1
"$tool" drain bench 100000 > /dev/null &
drainer=$!
cgi=$(command -v php-cgi8.2 || command -v php-cgi)
configs=(off unsampled light aggressive)
declare -A per
for ((r = 1; r <= rounds; r++)); do
  for c in "${configs[@]}"; do
    args=(-n -d zend_extension=opcache.so -d opcache.enable_cli=1 -d opcache.enable=1)
    case $c in
      unsampled) args+=(-d "extension=$so" -d bvapm.ring=bench -d bvapm.sample_rate=0) ;;
      light) args+=(-d "extension=$so" -d bvapm.ring=bench -d bvapm.sample_rate=0.01) ;;
      aggressive) args+=(-d "extension=$so" -d bvapm.ring=bench -d bvapm.mode=aggressive) ;;
    esac
    secs=$("$cgi" "${args[@]}" -T "$n" "$script" 2>&1 | awk '/Elapsed time/ {print $3}')
    us=$(python3 -c "print($secs / $n * 1e6)")
    per[$c]+="$us,"
    printf 'round %d %-10s %8.3f us per request\n' "$r" "$c" "$us"
  done
done
python3 - <<PY
import statistics
per = {$(for c in "${configs[@]}"; do printf '"%s": [%s], ' "$c" "${per[$c]}"; done)}
med = {c: statistics.median(v) for c, v in per.items()}
print(f"\n{'config':<11} {'median us/request':>18} {'added us':>9} {'ratio':>7}")
for c, m in med.items():
    print(f"{c:<11} {m:>18.3f} {m - med['off']:>9.3f} {m / med['off']:>7.3f}")
print("SUMMARY bench=agent-overhead requests=$n rounds=$rounds " +
      " ".join(f"{c}_us={m:.3f} {c}_added_us={m - med['off']:.3f}" for c, m in med.items()))
PY
