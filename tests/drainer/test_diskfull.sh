#!/usr/bin/env bash
# Disk full for the spool: the spool directory is a 256 KiB tmpfs and the
# store is locked, so every batch goes to the spool until the disk is full.
# The drainer logs a clear error, evicts the oldest segments (counted) and
# keeps draining; once the store is free again every committed record is
# either in the store or counted as evicted — exactly.
set -u
source "$(dirname "$0")/lib.sh" "$@"
ring=diskfull
write_config $ring "[sqlite]" "busy_timeout_ms = 20"
mkdir -p "$dir/spool"
if ! mount -t tmpfs -o size=256k tmpfs "$dir/spool" 2>/dev/null; then
  echo "ok 1 # SKIP cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN)"; echo "1..1"; exit 0
fi
start_drainer
sleep 0.3
lock_store
sleep 0.3
"$loadgen" --ring $ring --records 3000 --size 1024 --rate 3000 --lost "$dir/lost" > "$dir/gen"
sleep 0.5
check "drainer still running with the spool disk full" "kill -0 $dpid"
grep -q "disk full or file size limit" "$dir/drainer.log"
check "a clear error is logged (No space left on device, disk full)" "[ $? = 0 ]"
evicted=$(metric 'bvapm_drainer_spool_evicted_records_total{sink="sqlite"}')
errors=$(metric 'bvapm_drainer_spool_write_errors_total{sink="sqlite"}')
check "evicted records are counted ($evicted)" "[ '${evicted:-0}' -gt 0 ]"
check "failed writes are counted ($errors)" "[ '${errors:-0}' -gt 0 ]"
unlock_store
wait_drained $ring 30; check "the drainer keeps draining once the store is free" "[ $? = 0 ]"
evicted=$(metric 'bvapm_drainer_spool_evicted_records_total{sink="sqlite"}')
committed=$(sed -n 's/.*committed=\([0-9]*\).*/\1/p' "$dir/gen")
stored=$(sqlite3 "$dir/store.db" "SELECT count(*) FROM requests")
check "stored ($stored) + evicted ($evicted) = committed ($committed)" "[ $((stored + evicted)) = '$committed' ]"
kill -TERM "$dpid"; wait "$dpid"; rc=$?; dpid=
check "SIGTERM exits 0" "[ $rc = 0 ]"
finish
