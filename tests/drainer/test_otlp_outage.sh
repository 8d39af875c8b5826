#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The OTLP sink inside the real drainer, against the scripted receiver: while
# the receiver answers 503, then 429 with Retry-After, the OTLP sink's breaker
# opens, its batches go to its own spool (which stays within its bound), and
# the SQLite sink keeps storing everything meanwhile; the sink is tried once
# per backoff ([retry] min_ms 20 .. max_ms 200 from lib.sh: never more often,
# but it keeps probing) and not before a 429's Retry-After; once the receiver
# answers 200 the spool is replayed and every committed record arrives at the
# receiver exactly once.
set -u
source "$(dirname "$0")/lib.sh" "$@"
receiver=$(dirname "$0")/otlp/otlp_receiver.py
ring=otlp
python3 "$receiver" --port-file "$dir/oport" > "$dir/receiver.log" 2>&1 &
rpid=$!
on_exit 'kill $rpid 2>/dev/null'
wait_until -i 0.1 5 test -s "$dir/oport"
oport=$(cat "$dir/oport")
ctl() { curl -s --max-time 5 "http://127.0.0.1:$oport/_control/$1" > /dev/null; }
ostat() { curl -s --max-time 5 "http://127.0.0.1:$oport/_control/stats"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
ctl "mode?m=503"
t503=$(now_ms)

bound=$((4 << 20))
write_config $ring "[otlp]" "enabled = true" "endpoint = http://127.0.0.1:$oport" "timeout_ms = 2000" \
  "[spool]" "max_bytes = $bound"
start_drainer
"$producer" load --ring $ring --records 3000 --lost "$dir/lost" > "$dir/gen"
committed=$(sed -n 's/.*committed=\([0-9]*\).*/\1/p' "$dir/gen")
for i in $(seq 100); do
  stored=$(store_count "$dir/store.db" requests 2>/dev/null || echo 0)
  [ "$stored" = "$committed" ] && break; sleep 0.1
done
check "SQLite stores all $committed records while OTLP is down ($stored)" "[ '$stored' = '$committed' ]"
sleep 0.5
got=$(ostat | jget 'd["records"].__len__()')
check "the receiver took nothing while answering 503 ($got)" "[ '$got' = 0 ]"
up=$(metric 'bvapm_drainer_sink_up{sink="otlp"}')
check "the OTLP sink is reported down ($up)" "[ '$up' = 0 ]"
spool_bytes=$(du -sb "$dir/spool/otlp" | cut -f1)
check "the OTLP spool holds the backlog within its bound ($spool_bytes <= $bound)" \
  "[ $spool_bytes -gt 0 ] && [ $spool_bytes -le $bound ]"
ctl "mode?m=429&retry_after=1"
t429=$(now_ms)
n503=$(ostat | jget 'd["requests"].get("503", 0)')
ms=$((t429 - t503))
check "503 for $ms ms: tried at most once per min_ms, and again within max_ms + 1 s ($n503)" \
  "[ $n503 -le $((ms / 20 + 1)) ] && [ $n503 -ge $((ms / 1200)) ] && [ $n503 -ge 2 ]"
sleep 1.5
got=$(ostat | jget 'd["records"].__len__()')
check "429 with Retry-After: still nothing accepted ($got)" "[ '$got' = 0 ]"
n429=$(ostat | jget 'd["requests"].get("429", 0)')
ms=$(( $(now_ms) - t429 ))
check "Retry-After: 1 honoured: at most one request a second ($n429 in $ms ms)" \
  "[ $n429 -ge 1 ] && [ $n429 -le $((ms / 1000 + 1)) ]"
ctl "mode?m=200"
for i in $(seq 300); do
  got=$(ostat | jget 'd["records"].__len__()')
  [ "$got" = "$committed" ] && break; sleep 0.1
done
stats=$(ostat)
check "after recovery every committed record arrived ($got of $committed)" "[ '$got' = '$committed' ]"
maxdup=$(echo "$stats" | jget 'd["records"] and max(d["records"].values())')
check "each exactly once (most times one arrived: $maxdup)" "[ '$maxdup' = 1 ]"
check "the receiver saw 503 and 429 answers" \
  "[ \"\$(echo '$stats' | jget 'd[\"requests\"].get(\"503\", 0) > 0 and d[\"requests\"].get(\"429\", 0) > 0')\" = True ]"
wait_drained $ring 20; check "ring and spools drained" "[ $? = 0 ]"
drainer_stop_check "SIGTERM exits 0"
finish
