#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bvapm-report on a large store: builds an N-request store with
# bvapm-store-gen (default 1 000 000 requests, planted culprits; about 16
# child rows per request: checkpoints, SQL, functions, counters, call paths
# for 1 in 10), then times every command, unfiltered and filtered, and
# prints one table (wall seconds, peak RSS) plus one greppable summary line.
# timeline and requests run beside summary: one pass each over the same
# selection, so they should take no longer.
# Each command runs twice; the table shows both wall times (the store was
# just written or read, so the page cache is warm, as on the machine where
# the drainer writes it) and the second run's peak RSS.
# Usage: report_bench.sh BVAPM_REPORT BVAPM_STORE_GEN [REQUESTS] [STORE]
#   STORE: reuse this store file when it exists (generation takes minutes).
set -u
report=$1 gen=$2 n=${3:-1000000} store=${4:-}
tmp=$(mktemp -d /tmp/bvapm-report-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
if [ -z "$store" ]; then store=$tmp/store.db; fi
if [ ! -s "$store" ]; then
  t0=$(date +%s.%N)
  "$gen" --requests "$n" --plant --lose 5 "$store" || exit 1
  echo "store: $n requests generated in $(echo "$(date +%s.%N) - $t0" | bc | cut -c1-6) s"
fi
rows=$(sqlite3 -readonly "$store" "SELECT (SELECT count(*) FROM requests) || ' requests, ' ||
  (SELECT count(*) FROM checkpoints) || ' checkpoints, ' || (SELECT count(*) FROM sql) || ' sql, ' ||
  (SELECT count(*) FROM functions) || ' functions, ' || (SELECT count(*) FROM call_paths) || ' call paths'")
echo "store: $store, $(du -h "$store" | cut -f1), $rows"

cases=(
  "summary"
  "memory"
  "sql"
  "functions"
  "errors"
  "flame --endpoint /planted/latency.php -o $tmp/f.svg"
  "flame -o $tmp/all.svg"
  "summary --endpoint /api/orders"
  "summary --since 1d"
  "summary --recent 1000"
  "summary --pattern hotLoop"
  "memory --endpoint /api/orders"
  "sql --endpoint /api/orders"
  "functions --since 1d"
  "summary --json"
  "timeline"
  "timeline --endpoint /api/orders"
  "timeline --since 1d --bucket 1m"
  "requests"
  "requests --sort time --limit 100"
  "requests --endpoint /api/orders"
  "summary --request 500000"
  "timeline --json"
  "requests --json"
)
printf '%-44s %9s %9s %9s\n' "command" "1st s" "2nd s" "RSS MiB"
worst=0 worst_cmd=""
for c in "${cases[@]}"; do
  # shellcheck disable=SC2086
  for run in 1 2; do
    /usr/bin/time -f '%e %M' -o "$tmp/time.$run" "$report" --db "$store" $c > /dev/null 2> "$tmp/err" ||
      { echo "FAILED: $c: $(cat "$tmp/err")"; exit 1; }
  done
  read -r first _ < "$tmp/time.1"
  read -r second rss < "$tmp/time.2"
  printf '%-44s %9s %9s %9.1f\n' "${c//$tmp\//}" "$first" "$second" "$(echo "$rss / 1024" | bc -l)"
  for t in $first $second; do
    if [ "$(echo "$t > $worst" | bc)" = 1 ]; then worst=$t worst_cmd=$c; fi
  done
done
echo "report-bench requests=$(sqlite3 -readonly "$store" 'SELECT count(*) FROM requests') commands=${#cases[@]} slowest_s=$worst slowest=\"${worst_cmd//$tmp\//}\""
