#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Integration test of bvapm-shm on real rings in /dev/shm: stat and check on a
# live ring (text and --json), the kill switch, and a clear message with its
# documented exit code for a missing ring, wrong permissions, an incompatible
# ABI version and a corrupt header. Prints TAP.
set -u
shm=$1 demo=$2
. "$(dirname "$0")/../lib/common.sh"
scratch_shm shmtest

# a live ring: producers writing while we look. The producers may start late
# on a loaded machine, so wait (bounded) until both are attached.
"$demo" --ring live --producers 2 --rate 5000 --seconds 5 --keep >/dev/null &
demo_pid=$!
out=""
for _ in $(seq 1 100); do
  out=$("$shm" --ring live stat 2>&1) &&
    echo "$out" | grep -q "agents     2 attached" &&
    echo "$out" | grep -q "drainer    pid $demo_pid, alive" && break
  sleep 0.05
done
expect "stat on a live ring" 0 "$shm" --ring live stat
echo "$out" | grep -q "drainer    pid $demo_pid, alive" && ok "stat shows the drainer alive" || not_ok "drainer liveness: $out"
echo "$out" | grep -q "agents     2 attached" && ok "stat shows 2 attached agents" || not_ok "agents: $out"
json=$("$shm" --ring live --json stat)
[ "$(echo "$json" | jget 'd["capacity_bytes"]')" = 16777216 ] && ok "stat --json capacity" || not_ok "json capacity: $json"
[ "$(echo "$json" | jget 'd["drainer"]["alive"]')" = True ] && ok "stat --json drainer alive" || not_ok "json drainer: $json"
[ "$(echo "$json" | jget 'd["lost"]["total"]')" = 0 ] && ok "stat --json no loss" || not_ok "json lost: $json"
expect "check on a live ring" 0 "$shm" --ring live check
json=$("$shm" --ring live --json check)
[ "$(echo "$json" | jget 'd["healthy"]')" = True ] && ok "check --json healthy" || not_ok "check json: $json"
wait $demo_pid; demo_rc=$?
[ "$demo_rc" -eq 0 ] && ok "demo delivered every record intact" || not_ok "demo exit $demo_rc"

# kill switch
expect "disable" 0 "$shm" --ring live disable
echo "$("$shm" --ring live stat)" | grep -q "DISABLED" && ok "stat shows the kill switch" || not_ok "kill switch not shown"
[ "$("$shm" --ring live --json stat | jget 'd["control"]["disabled"]')" = True ] && ok "json kill switch" || not_ok "json kill switch"
expect "enable" 0 "$shm" --ring live enable

# drainer gone: shown as not running
out=$("$shm" --ring live stat)
echo "$out" | grep -q "NOT RUNNING\|none attached" && ok "stat shows no drainer after exit" || not_ok "no drainer: $out"

# errors, each with its exit code and a message naming the cause
expect "missing ring" 3 "$shm" --ring nosuch stat
echo "$out" | grep -q "no ring at $dir/bvapm-nosuch" && ok "missing ring message" || not_ok "message: $out"
expect "missing ring --json" 3 "$shm" --ring nosuch --json stat
echo "$out" | grep -q '"exit_code":3' && ok "missing ring json error" || not_ok "json error: $out"
expect "bad ring name" 2 "$shm" --ring ../x stat
expect "unknown command" 2 "$shm" frobnicate

cp "$dir/bvapm-live" "$dir/bvapm-perm"; chmod 0600 "$dir/bvapm-perm"; chmod 0755 "$dir"
if [ "$(id -u)" -eq 0 ]; then
  expect "wrong permissions" 4 setpriv --reuid=65534 --regid=65534 --clear-groups "$shm" --ring perm stat
else
  chmod 0000 "$dir/bvapm-perm"; expect "wrong permissions" 4 "$shm" --ring perm stat
fi
echo "$out" | grep -q "permission denied" && ok "permission message" || not_ok "message: $out"

cp "$dir/bvapm-live" "$dir/bvapm-v2"
printf '\x02\x00\x00\x00' | dd of="$dir/bvapm-v2" bs=1 seek=8 conv=notrunc status=none
expect "incompatible ABI" 5 "$shm" --ring v2 stat
echo "$out" | grep -q "ABI 2\.[0-9]" && ok "ABI message" || not_ok "message: $out"

cp "$dir/bvapm-live" "$dir/bvapm-trunc"; truncate -s 8192 "$dir/bvapm-trunc"
expect "truncated ring" 5 "$shm" --ring trunc stat
echo "$out" | grep -q "truncated" && ok "truncation message" || not_ok "message: $out"

head -c 65536 /dev/urandom > "$dir/bvapm-garbage"
expect "garbage file" 5 "$shm" --ring garbage check

finish
