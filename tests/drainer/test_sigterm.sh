#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SIGTERM with records in memory: the store is locked by another process so
# the SQLite sink is stuck in its busy wait with batches in memory; SIGTERM
# must write all of them to the spool and exit 0 within the bound, leaving
# the ring released up to them; the next start replays the spool (oldest
# first) and every committed record is in the store exactly once.
set -u
source "$(dirname "$0")/lib.sh" "$@"
ring=sigterm
write_config $ring "[sqlite]" "busy_timeout_ms = 1500"
sed -i 's/^shutdown_timeout_ms.*//; s/^\[drainer\]/[drainer]\nshutdown_timeout_ms = 5000/' "$dir/d.ini"
start_drainer
for i in $(seq 50); do [ -f "$dir/store.db" ] && sqlite3 "$dir/store.db" "SELECT 1 FROM requests LIMIT 1" >/dev/null 2>&1 && break; sleep 0.1; done
# hold the write lock of the store
lock_store
sleep 0.3
"$producer" load --ring $ring --records 300 --lost "$dir/lost" > "$dir/gen"
# the reader fills its memory and stops there while the sink waits for the
# lock: wait until the count is above 0 and the same twice 0.2 s apart
prev=-1
for i in $(seq 50); do
  inflight=$(metric bvapm_drainer_inflight_records)
  [ "${inflight:-0}" -gt 0 ] 2>/dev/null && [ "$inflight" = "$prev" ] && break
  prev=$inflight; sleep 0.2
done
check "records are held in memory while the store is locked ($inflight)" "[ '${inflight:-0}' -gt 0 ]"
t0=$(date +%s%N)
drainer_stop; rc=$DRAINER_RC
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "SIGTERM exits 0" "[ $rc = 0 ]"
check "SIGTERM exits within the bound (${ms} ms <= 5000)" "[ $ms -le 5000 ]"
grep -q "stopping: $inflight records in memory go to the spool" "$dir/drainer.log"
check "the log names the records flushed" "[ $? = 0 ]"
segs=$(find "$dir/spool" -name '*.seg' | wc -l)
check "the spool holds segments after the stop ($segs)" "[ $segs -gt 0 ]"
check "no temporary file left in the spool" "[ -z \"\$(find '$dir/spool' -name '.tmp-*')\" ]"
spooled=$(python3 - "$dir/spool/sqlite" <<'PY'
import glob, struct, sys
n = 0
for f in glob.glob(sys.argv[1] + '/*.seg'):
    n += struct.unpack('<I', open(f, 'rb').read(16)[12:16])[0]
print(n)
PY
)
check "the spool holds at least the records that were in memory ($spooled >= $inflight)" "[ $spooled -ge $inflight ]"
unlock_store
before=$(store_count "$dir/store.db" requests)
start_drainer
wait_drained $ring 30; check "ring and spool drained after the restart" "[ $? = 0 ]"
grep -q "replayed [0-9]* records from the spool at start" "$dir/drainer.log"
check "the spool was replayed at start" "[ $? = 0 ]"
drainer_stop
check_producer "$(cat "$dir/gen")" "$dir/lost"
echo "# in memory at SIGTERM: $inflight, spooled: $spooled, stored before restart: $before"
finish
