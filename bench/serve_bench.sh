#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bvapm-report serve on a large store: each page timed beside the text
# commands it is made of, in one run, on the same store (default 1 000 000
# requests from bvapm-store-gen with planted culprits, as report_bench.sh).
# A page runs its commands on one connection with the selection built once;
# the text side runs each command as its own process, as a person would.
# Each is run 3 times; the table shows medians and the ratio page / text
# (below 1: the page is faster than typing its commands).
# Usage: serve_bench.sh BVAPM_REPORT BVAPM_STORE_GEN [REQUESTS] [STORE]
#   STORE: reuse this store file when it exists (generation takes minutes).
set -u
report=$1 gen=$2 n=${3:-1000000} store=${4:-}
tmp=$(mktemp -d /tmp/bvapm-serve-bench-XXXXXX)
srv=""
trap '[ -n "$srv" ] && kill "$srv" 2> /dev/null; rm -rf "$tmp"' EXIT
if [ -z "$store" ]; then store=$tmp/store.db; fi
if [ ! -s "$store" ]; then
  "$gen" --requests "$n" --plant --plant-calls --lose 5 "$store" > /dev/null || exit 1
fi
echo "store: $store, $(du -h "$store" | cut -f1), $(sqlite3 -readonly "$store" 'SELECT count(*) FROM requests') requests"
"$report" --db "$store" serve --listen 127.0.0.1:0 2> "$tmp/serve.log" &
srv=$!
for _ in $(seq 100); do grep -q 'on http://' "$tmp/serve.log" && break; sleep 0.1; done
base=$(sed -n 's|.* on \(http://[^/]*\)/ .*|\1|p' "$tmp/serve.log")
id=$(sqlite3 -readonly "$store" "SELECT request_id FROM checkpoints WHERE label = 'render' ORDER BY mem_bytes DESC LIMIT 1")

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
now() { date +%s.%N; }
time_page() { # path: median seconds of 3 fetches
  local i t0
  for i in 1 2 3; do
    t0=$(now)
    curl -s -o /dev/null --max-time 600 "$base$1"
    echo "$(now) - $t0" | bc
  done | median
}
time_text() { # "cmd args;cmd args": median of 3 runs of all of them in turn
  local i t0 c
  for i in 1 2 3; do
    t0=$(now)
    IFS=';' read -ra cmds <<< "$1"
    for c in "${cmds[@]}"; do
      # shellcheck disable=SC2086
      "$report" --db "$store" $c > /dev/null 2>&1
    done
    echo "$(now) - $t0" | bc
  done | median
}
# page | the text commands it shows
cases=(
  "/|summary;timeline"
  "/endpoints|summary --limit 1000;timeline --limit 1000"
  "/endpoint?endpoint=/api/orders|summary --endpoint /api/orders;timeline --endpoint /api/orders;requests --endpoint /api/orders;memory --endpoint /api/orders;sql --endpoint /api/orders;external --endpoint /api/orders;errors --endpoint /api/orders;flame --endpoint /api/orders"
  "/request?id=$id|trace --request $id;requests --request $id;external --request $id;errors --request $id;sql --request $id;functions --request $id;flame --request $id"
  "/errors|errors"
  "/memory|memory"
  "/sql|sql"
  "/external|external"
  "/functions|functions"
  "/requests|requests"
  "/?since=1d|summary --since 1d;timeline --since 1d"
  "/?pattern=hotLoop|summary --pattern hotLoop;timeline --pattern hotLoop"
)
printf '%-34s %9s %9s %7s %s\n' page "page s" "text s" ratio "text commands"
worst=0 worst_page=""
for entry in "${cases[@]}"; do
  page=${entry%%|*} text=${entry#*|}
  p=$(time_page "$page")
  t=$(time_text "$text")
  r=$(echo "scale=2; $p / $t" | bc)
  printf '%-34s %9.3f %9.3f %7s %s\n' "$page" "$p" "$t" "$r" "$(echo "$text" | tr ';' ',' | cut -c1-60)"
  if [ "$(echo "$r > $worst" | bc)" = 1 ]; then worst=$r worst_page=$page; fi
done
echo "serve-bench requests=$(sqlite3 -readonly "$store" 'SELECT count(*) FROM requests') pages=${#cases[@]} worst_ratio=$worst worst_page=\"$worst_page\""
