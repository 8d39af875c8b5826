#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Hostile case 2 — garbage ahead of the tail and across the wrap, under load.
#
# While two clients keep php-fpm busy (every request recorded), a rogue
# process turns free words ahead of the tail into garbage: every 8th word of
# the next 64 KiB, three times, so that some of them are where records will
# start; then every 8th word of the last and first 4 KiB of the data area and
# data[0] itself, the first record boundary of the next lap, twice. Proves
# that producers and the drainer get through it: the tail goes past each
# wrap, every response is unchanged, no process dies, the damage is counted,
# and 300 further requests are all in the store within 10 s. Prints TAP.
#   test_garbage_ahead.sh BVAPM_SO BVAPM_DRAINER BVAPM_SHM ROGUE
. "$(dirname "$0")/lib.sh" "$@"
hostile_up "before the attack"
before=$(damage)

tail_pos() { header | jget 'd["tail"]'; }
# wait_tail POS SECONDS: until the ring's tail is past POS
wait_tail() {
  local end=$((SECONDS + $2)) t
  while :; do
    t=$(tail_pos)
    [ "$t" -gt "$1" ] 2>/dev/null && return 0
    [ $SECONDS -ge $end ] && { diag "tail stuck at $t (waiting for > $1)"; return 1; }
    sleep 0.1
  done
}

load_bg during
sleep 0.3
for seed in 1 2 3; do
  diag "$("$rogue" garbage-ahead "$ringf" 65536 64 "$seed" 2>&1)"
  sleep 0.2
done
passed=0
for seed in 11 12; do
  out=$("$rogue" garbage-wrap "$ringf" 4096 "$seed" 2>&1)
  diag "$(echo "$out" | head -1)"
  wrap=$(echo "$out" | sed -n 's/^wrap \([0-9]*\)$/\1/p')
  [ -n "$wrap" ] || break
  wait_tail $((wrap + 8192)) 8 || break
  passed=$((passed + 1))
done
load_stop
check "under load while the rogue wrote: all responses 200 and identical ($load_line)" \
  "[ '$(field bad "$load_line")' = 0 ]"
check "the tail went past both wraps planted with garbage ($passed of 2)" "[ $passed = 2 ]"
sent=$(load_sent)
during=$(stored during)
diag "during the attack: $sent requests sent, $during stored"

load_stored after 300 10; accounted=$?
check "each of 300 requests after the attack is stored within 10 s or dropped on a full ring (stored $got, full $full, in ${waited}s; 10 more: $got_end stored)" \
  "[ $accounted = 0 ]" \
  "ring: $(stat_json | jget '{k: d[k] for k in ("head", "tail", "used_bytes", "invalid_records", "lost")}')"
after=$(damage)
check "the damage is counted in bvapm-shm stat (invalid + lost: before $before, after $after)" \
  "[ '$after' -gt '$before' ] 2>/dev/null"
check_common
finish
