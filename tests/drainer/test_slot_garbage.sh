#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A rogue process writes random bytes over the ring's slot table while two
# producers are attached and serving requests (some slots it dresses up as a
# dead worker's pid "in a request", the rest stays random). The drainer must
# turn none of it into an aborted request, reap every garbage slot (none
# stays dead), count and log them in printable lines only, keep storing the
# producers' records, and still record a worker that really dies in a
# request. bvapm-shm top, run while the drainer is stopped, shows the garbage
# as invalid slots in printable text.
set -u
source "$(dirname "$0")/lib.sh" "$@"
ring=slotgarbage
write_config $ring "[drainer]" "aborted_scan_ms = 100"
start_drainer
file="$BVAPM_SHM_DIR/bvapm-$ring"

# Random bytes over every slot; free slots at even indexes get a dead pid as
# owner, state "in a request" and an even sequence number. Prints the slot
# count and how many slots were in use just before.
scribble() { # seed
  python3 - "$file" "$1" <<'PY'
import mmap, os, random, struct, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 0)
count = struct.unpack_from('<I', m, 24)[0]
off = struct.unpack_from('<Q', m, 48)[0]
rnd = random.Random(int(sys.argv[2]))
def dead_pid():
    while True:
        p = rnd.randrange(2, 4194304)
        if not os.path.exists('/proc/%d' % p):
            return p
used = 0
for i in range(count):
    base = off + i * 512
    owner = struct.unpack_from('<Q', m, base)[0]
    used += owner != 0
    m[base:base + 512] = rnd.randbytes(512)
    if owner == 0 and i % 2 == 0:
        struct.pack_into('<QII', m, base, dead_pid(), rnd.randrange(1 << 31) * 2, 1)
m.close()
print(count, used)
PY
}
# "agents A attached, R in a request, D dead" of bvapm-shm stat: 1 A, 2 R, 3 D
agents() {
  "$shm" --ring $ring stat |
    sed -n "s/^agents *\([0-9]*\) attached, \([0-9]*\) in a request, \([0-9]*\) dead.*/\\$1/p"
}
wait_no_slots() { # timeout s: no slot in use any more
  local i
  for i in $(seq 1 $(($1 * 10))); do
    [ "$(agents 1)" = 0 ] && return 0
    sleep 0.1
  done
  return 1
}
printable_only() { ! LC_ALL=C grep -q '[^ -~]' "$1"; }

for p in 1 2; do
  "$producer" load --ring $ring --records 6000 --rate 2000 --in-requests --lost "$dir/lost.$p" \
    > "$dir/gen.$p" &
  gens+=($!)
done
# two producers and the drainer's own handle (for aborted records) in slots
for i in $(seq 100); do [ "$(agents 1)" = 3 ] && break; sleep 0.02; done
read -r count used < <(scribble 11)
check "three live slots (two producers, the drainer) when the table was scribbled ($used)" "[ '$used' = 3 ]"
wait "${gens[@]}"
wait_no_slots 5; check "every slot of the scribbled table reaped (none stays dead)" "[ $? = 0 ]"
check "bvapm-shm stat: no dead slot" "[ '$(agents 3)' = 0 ]"
aborted=$(store_count "$dir/store.db" aborted)
check "no aborted request made of garbage ($aborted rows)" "[ '$aborted' = 0 ]"
check "drainer still running" "kill -0 $DRAINER_PID"
printable_only "$dir/drainer.log"
check "the drainer's log holds printable characters only" "[ $? = 0 ]"
total=$(sed -n 's/.*invalid slots\{0,1\} reaped without a record (\([0-9]*\) since start).*/\1/p' \
  "$dir/drainer.log" | tail -1)
check "every garbage slot counted as invalid (${total:-none} of $count)" "[ '${total:-0}' = '$count' ]"
lines=$(grep -c "reaped without a record" "$dir/drainer.log")
check "invalid slots are logged per scan, rate-limited ($lines lines)" "[ $lines -ge 1 ] && [ $lines -le 10 ]"
wait_drained $ring 20; check "ring drained" "[ $? = 0 ]"
for p in 1 2; do check_producer "$(cat "$dir/gen.$p")" "$dir/lost.$p"; done

# a worker that really dies inside a request is still an aborted request
die_in_request
check "a worker killed in a request still becomes one aborted-request row ($rows)" "[ '$rows' = 1 ]"
check "and only that one" "[ '$(store_count "$dir/store.db" aborted)' = 1 ]"
wait_no_slots 5; check "its slot reaped" "[ $? = 0 ]"

# bvapm-shm top over a garbage table (the drainer stopped, so nothing reaps it)
kill -STOP "$DRAINER_PID"
read -r count used < <(scribble 12)
"$shm" --ring $ring top --once > "$dir/top.txt" 2>&1
"$shm" --ring $ring --json top --once > "$dir/top.json" 2>&1
printable_only "$dir/top.txt"
check "bvapm-shm top prints printable characters only" "[ $? = 0 ]"
check "bvapm-shm top shows the garbage as $count invalid slots" \
  "grep -q ' 0 workers, 0 in a request, 0 dead, $count invalid' '$dir/top.txt' && [ \$(grep -c ' invalid  ' '$dir/top.txt') = $count ]"
check "bvapm-shm top --json counts them" \
  "[ \"\$(jget 'd[\"invalid\"]' < '$dir/top.json')\" = $count ] && [ \"\$(jget 'd[\"dead\"]' < '$dir/top.json')\" = 0 ]"
printable_only "$dir/top.json"
check "bvapm-shm top --json is printable ASCII" "[ $? = 0 ]"
kill -CONT "$DRAINER_PID"
wait_no_slots 5; check "reaped once the drainer runs again" "[ $? = 0 ]"
check "still no aborted request made of garbage" "[ '$(store_count "$dir/store.db" aborted)' = 1 ]"
printable_only "$dir/drainer.log"
check "the drainer's log is still printable" "[ $? = 0 ]"
drainer_stop_check "SIGTERM exits 0"
finish
