#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A rogue process in the ring: one writes well-framed records whose payload
# is garbage (counted by the drainer's verifier, skipped); then random bytes
# are scribbled over the ring's data area (bad framing: the ring resyncs and
# counts). The drainer keeps running and stores every valid record written
# before and after.
set -u
source "$(dirname "$0")/lib.sh" "$@"
ring=garbage
write_config $ring
start_drainer
"$producer" load --ring $ring --records 5000 --rate 20000 --lost "$dir/lost1" > "$dir/gen1" &
g1=$!
"$producer" load --ring $ring --records 2000 --rate 20000 --garbage > "$dir/rogue"
wait $g1
wait_drained $ring 20; check "ring drained" "[ $? = 0 ]"
garbage=$(sed -n 's/.*committed=\([0-9]*\).*/\1/p' "$dir/rogue")
invalid=$(metric bvapm_drainer_records_invalid_total)
framing=$(ring_json $ring | jget 'd["invalid_records"]')
check "every garbage record counted: verifier $invalid + ring framing $framing = $garbage written" \
  "[ $((invalid + framing)) = '$garbage' ]"
grep -q "invalid record skipped" "$dir/drainer.log"
check "a sample of invalid records is logged" "[ $? = 0 ]"
logged=$(grep -c "invalid record skipped" "$dir/drainer.log")
check "the sample is rate-limited ($logged <= 10)" "[ $logged -le 10 ]"
check_producer "$(cat "$dir/gen1")" "$dir/lost1"
# scribble random bytes over the data area
python3 - "$BVAPM_SHM_DIR/bvapm-$ring" <<'PY'
import mmap, os, random, struct, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 0)
cap, off = struct.unpack_from('<QQ', m, 32)
rnd = random.Random(7)
for _ in range(200):
    p = off + rnd.randrange(0, cap - 64) // 8 * 8
    m[p:p + 64] = bytes(rnd.randrange(256) for _ in range(64))
m.close()
PY
"$producer" load --ring $ring --records 3000 --rate 20000 --lost "$dir/lost2" > "$dir/gen2"
sleep 1
check "drainer still running after the scribbling" "kill -0 $DRAINER_PID"
wait_drained $ring 20; check "ring drained after the scribbling" "[ $? = 0 ]"
check_producer "$(cat "$dir/gen2")" "$dir/lost2"
drainer_stop_check "SIGTERM exits 0"
finish
