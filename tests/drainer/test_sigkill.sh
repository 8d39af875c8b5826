#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Load from three producer processes while the drainer is killed with SIGKILL
# again and again and restarted: every record the producers committed ends up
# in the store exactly once (checked by sequence numbers), none they lost
# does, and the ring's loss counters equal the producers' losses exactly.
set -u
source "$(dirname "$0")/lib.sh" "$@"
ring=sigkill
write_config $ring
start_drainer
pids=()
for p in 1 2 3; do
  "$producer" load --ring $ring --records 20000 --rate 5000 --size 512 --lost "$dir/lost.$p" \
    > "$dir/gen.$p" &
  pids+=($!)
done
kills=0
while kill -0 "${pids[0]}" 2>/dev/null || kill -0 "${pids[1]}" 2>/dev/null || kill -0 "${pids[2]}" 2>/dev/null; do
  sleep 0.$((2 + RANDOM % 3))
  kill -9 "$DRAINER_PID" 2>/dev/null; wait "$DRAINER_PID" 2>/dev/null
  kills=$((kills+1))
  start_drainer
done
wait "${pids[@]}"
check "drainer killed with SIGKILL $kills times during the load" "[ $kills -ge 4 ]"
wait_drained $ring 60; check "ring and spool drained after the last restart" "[ $? = 0 ]"
drainer_stop_check "SIGTERM exits 0"
lost_total=0
for p in 1 2 3; do
  check_producer "$(cat "$dir/gen.$p")" "$dir/lost.$p"
  l=$(sed -n 's/.*lost=\([0-9]*\).*/\1/p' "$dir/gen.$p"); lost_total=$((lost_total + l))
done
ring_lost=$(ring_json $ring | jget 'd["lost"]["total"]')
check "ring loss counters ($ring_lost) equal the producers' losses ($lost_total)" "[ '$ring_lost' = '$lost_total' ]"
dups=$(sqlite3 "$dir/store.db" "SELECT count(*) - count(DISTINCT pid || '/' || producer_start_unix_ns || '/' || sequence) FROM requests")
check "no duplicate rows" "[ '$dups' = 0 ]"
echo "# kills=$kills lost=$lost_total stored=$(store_count "$dir/store.db" requests)"
finish
