#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A full spool never throws away what the ring can still hold. The store is
# locked, so every batch goes to the spool until the spool is full (its
# [spool] max_bytes, or its disk: a 256 KiB tmpfs). Then the drainer stops
# taking records out of the ring; they wait there, and once the store is free
# every committed record is stored and nothing was evicted. Only when the ring
# itself is nearly full ([spool] evict_pct) does the spool evict its oldest
# segments; every evicted record is counted (metric, log, and a statistics
# row in the store that survives a SIGKILL of the drainer), so stored +
# evicted = committed, and bvapm-report summary shows the figure as loss.
set -u
source "$(dirname "$0")/lib.sh" "$@"
report=$4
mkdir -p "$dir/spool"
limits="size disk"
if ! mount -t tmpfs -o size=256k tmpfs "$dir/spool" 2>/dev/null; then
  echo "# cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN): [spool] max_bytes cases only"
  limits=size
fi
stored() { store_count "$dir/store.db" requests; }
committed() { sed -n 's/.*committed=\([0-9]*\).*/\1/p' "$dir/gen"; }
evicted_metric() { metric 'bvapm_drainer_spool_evicted_records_total{sink="sqlite"}'; }
# Runs one case: the store locked while the load generator writes N records.
locked_load() { # records, seconds the store stays locked after the load
  sleep 0.3
  lock_store
  "$producer" load --ring $ring --records "$1" --size 1024 --rate 3000 --lost "$dir/lost" > "$dir/gen"
  sleep "$2"
}

# 1. The ring (8 MiB) holds everything the full spool cannot take.
for limit in $limits; do
  ring=hold-$limit
  write_config $ring "[sqlite]" "busy_timeout_ms = 20"
  [ $limit = size ] && sed -i 's/^\[spool\]$/[spool]\nmax_bytes = 400K/' "$dir/d.ini"
  : > "$dir/drainer.log"
  start_drainer
  locked_load 3000 1
  fill=$(ring_json $ring | jget 'd["used_bytes"]')
  check "spool full ($limit): records wait in the ring ($fill bytes)" "[ '${fill:-0}' -gt 1000000 ]"
  grep -q "spool full: records wait in the ring" "$dir/drainer.log"
  check "spool full ($limit): the log says the records wait in the ring" "[ $? = 0 ]"
  if [ $limit = disk ]; then
    errors=$(metric 'bvapm_drainer_spool_write_errors_total{sink="sqlite"}')
    grep -q "disk full or file size limit" "$dir/drainer.log"
    check "disk full: a clear error is logged, failed writes counted ($errors)" \
      "[ $? = 0 ] && [ '${errors:-0}' -gt 0 ]"
  fi
  unlock_store
  wait_drained $ring 30; check "spool full ($limit): drained once the store is free" "[ $? = 0 ]"
  evicted=$(evicted_metric)
  check "spool full ($limit): nothing evicted ($evicted)" "[ '$evicted' = 0 ]"
  check "spool full ($limit): every committed record is stored ($(stored) of $(committed))" \
    "[ '$(stored)' = '$(committed)' ] && [ '$(committed)' -gt 2900 ]"
  drainer_stop_check "spool full ($limit): SIGTERM exits 0"
  rm -f "$dir/store.db" "$dir/store.db-wal" "$dir/store.db-shm"
done

# 2. Ring (256 KiB) and spool both too small: the spool evicts, counted; the
#    drainer is SIGKILLed before the store is free: the count survives.
ring=evict
write_config $ring "[ring]" "size = 256K" "[sqlite]" "busy_timeout_ms = 20"
[ "$limits" = size ] && sed -i 's/^\[spool\]$/[spool]\nmax_bytes = 256K/' "$dir/d.ini"
: > "$dir/drainer.log"
start_drainer
locked_load 3000 0.5
grep -q "evicted [0-9]* records .*the ring is [0-9]*% full" "$dir/drainer.log"
check "eviction is logged with the ring fill" "[ $? = 0 ]"
prev=-1
for i in $(seq 40); do # evictions stop once the ring is below evict_pct
  evicted=$(evicted_metric); [ "$evicted" = "$prev" ] && break; prev=$evicted; sleep 0.25
done
total=$(metric bvapm_drainer_records_evicted_total)
check "evicted records are counted ($evicted, total $total)" "[ '${evicted:-0}' -gt 0 ] && [ '$total' = '$evicted' ]"
kill -KILL "$DRAINER_PID"; wait "$DRAINER_PID" 2>/dev/null; DRAINER_PID=
start_drainer
unlock_store
wait_drained $ring 30; check "drained after the SIGKILL and restart" "[ $? = 0 ]"
sleep 0.3
after=$(evicted_metric)
in_store=$(sqlite3 "$dir/store.db" "SELECT coalesce(sum(value), 0) FROM stats WHERE source = 'drainer' AND name = 'records_evicted'")
check "the store counts every eviction, across the SIGKILL ($in_store = $evicted + $after)" \
  "[ '$in_store' = $((evicted + after)) ]"
check "stored ($(stored)) + evicted ($in_store) = committed ($(committed))" \
  "[ $(( $(stored) + in_store )) = '$(committed)' ]"
json=$("$report" --db "$dir/store.db" --json summary)
check "bvapm-report summary --json: loss.records_evicted = $in_store" \
  "[ '$(echo "$json" | jget 'd["loss"]["records_evicted"]')' = '$in_store' ]"
"$report" --db "$dir/store.db" summary | grep -q "evicted by the drainer $in_store"
check "bvapm-report summary shows the evicted records as loss" "[ $? = 0 ]"
drainer_stop_check "SIGTERM exits 0"
finish
