# SPDX-License-Identifier: Apache-2.0
# wrk.sh — sourced by the request benchmarks: one wrk measurement, its
# figures in microseconds.
#   wrk_measure URL SECONDS CONNECTIONS [WRK ARGS...]   (e.g. -H "Host: NAME")
# sets WRK_RPS (requests/s), WRK_MEAN_US, WRK_P50_US, WRK_P99_US (from wrk's
# --latency distribution) and WRK_ERRORS (non-2xx/3xx responses + socket
# errors). Returns 1 when wrk fails or reports no rate.

# wrk prints durations as e.g. 512.33us, 1.02ms, 1.50s, 2.00m: to microseconds.
wrk_to_us() {
  awk -v s="$1" 'BEGIN {
    if (s ~ /us$/) f = 1; else if (s ~ /ms$/) f = 1e3; else if (s ~ /m$/) f = 6e7; else f = 1e6
    sub(/[a-z]+$/, "", s); printf "%.1f", s * f }'
}

wrk_measure() {
  local url=$1 secs=$2 conns=$3 out
  shift 3
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" "$url") || return 1
  WRK_RPS=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  WRK_MEAN_US=$(wrk_to_us "$(echo "$out" | awk '$1 == "Latency" {print $2; exit}')")
  WRK_P50_US=$(wrk_to_us "$(echo "$out" | awk '$1 == "50%" {print $2}')")
  WRK_P99_US=$(wrk_to_us "$(echo "$out" | awk '$1 == "99%" {print $2}')")
  WRK_ERRORS=$(echo "$out" | awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(/,/, ""); n += $4 + $6 + $8 + $10} END {print n + 0}')
  [ -n "$WRK_RPS" ]
}
