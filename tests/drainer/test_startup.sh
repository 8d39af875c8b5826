#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Start-up: the configuration check refuses what the drainer could not honour
# (a metrics address beyond loopback without [metrics] allow_remote, a port
# outside 1..65535, a [ring] group that does not exist), and a start that
# fails after the ring was opened removes the ring file only when this start
# created it (a ring that existed before, possibly holding records, stays);
# a ring whose creation a SIGKILL cut off is replaced by the next start.
set -u
source "$(dirname "$0")/lib.sh" "$@"
ring=startup
write_config $ring
ring_file="$BVAPM_SHM_DIR/bvapm-$ring"

refused() { # description, expected message, --set arguments...
  local what=$1 msg=$2 out rc; shift 2
  out=$("$drainer" -c "$dir/d.ini" "$@" --check-config 2>&1); rc=$?
  echo "$out" | grep -qF "$msg"
  check "--check-config refuses $what" "[ $rc = 1 ] && [ $? = 0 ]"
  "$drainer" -c "$dir/d.ini" "$@" 2>>"$dir/refused.log"; rc=$?
  check "start-up refuses $what, no ring file" "[ $rc = 1 ] && [ ! -e '$ring_file' ]"
}
refused "metrics on all interfaces" "is not a loopback address" --set metrics.listen=0.0.0.0:$port
refused "port 99999" "port must be a number from 1 to 65535" --set metrics.listen=127.0.0.1:99999
refused "an unknown ring group" "[ring] group \"bvapm-no-such-group\" does not exist" \
  --set ring.group=bvapm-no-such-group
"$drainer" -c "$dir/d.ini" --set metrics.listen=0.0.0.0:$port --set metrics.allow_remote=true \
  --check-config >/dev/null 2>&1
check "--check-config accepts a remote address with allow_remote" "[ $? = 0 ]"

# Metrics port taken: the start fails and the ring it created is removed.
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); print("ready", flush=True); time.sleep(60)' \
  "$port" > "$dir/squatter" 2>&1 &
squatter=$!
for i in $(seq 50); do grep -q ready "$dir/squatter" && break; sleep 0.05; done
timeout 20 "$drainer" -c "$dir/d.ini" 2>"$dir/taken.log"; rc=$?
grep -q "cannot listen on 127.0.0.1:$port: Address already in use" "$dir/taken.log"
check "metrics port taken: exit 1 with a clear message" "[ $rc = 1 ] && [ $? = 0 ]"
grep -q "created ring $ring" "$dir/taken.log" && grep -q "removed ring $ring" "$dir/taken.log"
check "the ring this failed start created is removed" "[ $? = 0 ] && [ ! -e '$ring_file' ]"

# The ring exists (a drainer ran and stopped): a failed start leaves it.
start_drainer --set metrics.listen=127.0.0.1:$((port + 1))
"$producer" load --ring $ring --records 1 > "$dir/gen"
drainer_stop
check "a stopped drainer leaves its ring" "[ -e '$ring_file' ]"
timeout 20 "$drainer" -c "$dir/d.ini" --set metrics.listen=127.0.0.1:$port 2>"$dir/taken2.log"
rc=$?
grep -q "attached to existing ring $ring" "$dir/taken2.log" && ! grep -q "removed ring" "$dir/taken2.log"
check "a failed start never removes a ring it attached to" "[ $rc = 1 ] && [ $? = 0 ] && [ -e '$ring_file' ]"
kill "$squatter"; wait "$squatter" 2>/dev/null

# The spool cannot be used: the start fails after creating the ring, which is removed.
rm -f "$ring_file"
touch "$dir/notadir"
timeout 20 "$drainer" -c "$dir/d.ini" --set spool.dir="$dir/notadir/spool" 2>"$dir/spool.log"; rc=$?
grep -q "cannot create spool directory" "$dir/spool.log"
check "spool unusable: exit 1, the ring it created is removed" "[ $rc = 1 ] && [ $? = 0 ] && [ ! -e '$ring_file' ]"

# The store cannot be opened: refused before any ring is created.
rm -f "$ring_file"
timeout 20 "$drainer" -c "$dir/d.ini" --set sqlite.path="$dir/notadir/store.db" 2>"$dir/store.log"
rc=$?
grep -q "cannot open the store" "$dir/store.log"
check "store unusable: exit 1, no ring file" "[ $rc = 1 ] && [ $? = 0 ] && [ ! -e '$ring_file' ]"

# The drainer SIGKILLed while it creates the ring (a 1 GiB ring takes a while
# to mark FREE): the half-created file stays, unready; the next drainer sees
# its creator is gone, removes it and creates the ring anew, and records flow.
rm -f "$ring_file"
: > "$dir/drainer.log"
drainer_spawn "$drainer" "$dir" "$ring" -c "$dir/d.ini" --set ring.size=1G
# (killed once the file has its size: while the header and FREE markers go in)
for i in $(seq 1000); do
  [ "$(stat -c %s "$ring_file" 2>/dev/null || echo 0)" -gt 1073741824 ] && break; sleep 0.005
done
kill -KILL "$DRAINER_PID"; wait "$DRAINER_PID" 2>/dev/null; DRAINER_PID=
"$shm" --ring $ring stat > "$dir/half.out" 2>&1
grep -q "left half-created: its creator (pid [0-9]*) died before marking it ready" "$dir/half.out"
check "a drainer killed while creating the ring leaves it unready, its creator named as gone" "[ $? = 0 ]" \
  "$(cat "$dir/half.out")"
start_drainer # (returns at once: the old file is there)
replaced() {
  grep -q "ring $ring was truncated or corrupt (.*left half-created.*): removed, creating a new one" \
    "$dir/drainer.log" && grep -q "created ring $ring (8388608 bytes)" "$dir/drainer.log"
}
wait_until -i 0.1 20 replaced
check "the next drainer removes the half-created ring and creates it anew" "[ $? = 0 ]" \
  "$(tail -n 5 "$dir/drainer.log")"
before=$(store_count "$dir/store.db" requests 2>/dev/null || echo 0)
"$producer" load --ring $ring --records 50 > "$dir/gen"
stored50() { [ "$(store_count "$dir/store.db" requests 2>/dev/null)" = $((before + 50)) ]; }
wait_until -i 0.1 20 stored50
check "records flow into the store through the new ring" "[ $? = 0 ]" \
  "stored $(store_count "$dir/store.db" requests 2>/dev/null), $before before; $(cat "$dir/gen")"
drainer_stop

# allow_remote: the endpoint serves beyond loopback and the drainer warns.
write_config $ring "[metrics]" "allow_remote = true"
sed -i "s/^listen = 127.0.0.1:$port$/listen = 0.0.0.0:$port/" "$dir/d.ini"
: > "$dir/drainer.log"
start_drainer
for i in $(seq 50); do curl -s --max-time 1 "http://127.0.0.1:$port/metrics" >/dev/null && break; sleep 0.05; done
grep -q "allow_remote: the metrics endpoint listens on 0.0.0.0:$port, beyond loopback" "$dir/drainer.log"
check "a remote metrics address is logged as a warning" "[ $? = 0 ]"
drainer_stop_check "SIGTERM exits 0"
finish
