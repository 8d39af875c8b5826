#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Hostile case 1 — one garbage word at the tail.
#
# A rogue process writes one word that is neither FREE nor a plausible record
# header at data[tail & (capacity-1)] of a live, drained ring: the very word
# the next producer must claim. Proves that the ring does not wedge: all 300
# requests that follow are in the store within 10 s, the damage is counted
# (invalid records or losses in `bvapm-shm stat`), it is reported (`bvapm-shm
# check` while the garbage sits there, or a line in the drainer's log), every
# response is unchanged and no process dies. Prints TAP.
#   test_garbage_tail.sh BVAPM_SO BVAPM_DRAINER BVAPM_SHM ROGUE
. "$(dirname "$0")/lib.sh" "$@"
hostile_up "before the attack"
# drained: head == tail, so the garbage sits exactly where the next record goes
for _ in $(seq 50); do [ "$(stat_json | jget 'd["used_bytes"]')" = 0 ] && break; sleep 0.1; done
before=$(damage)
log_lines=$(wc -l < "$dir/drainer.log")

out=$("$rogue" garbage-tail "$ringf") || bail "rogue garbage-tail failed: $out"
diag "$out"
pos=$(echo "$out" | sed -n 's/.*tail position \([0-9]*\).*/\1/p')
"$shm" --ring "$ring" check > "$dir/check.out" 2>&1; check_rc=$?
diag "bvapm-shm check right after (exit $check_rc): $(head -c 200 "$dir/check.out")"

load_stored after 300 10; accounted=$?
check "300 requests after the garbage: all 200 and identical ($load_line)" \
  "[ '$(field ok "$load_line")' = 300 ]"
check "each of 300 requests after the garbage is stored within 10 s or dropped on a full ring (stored $got, full $full, in ${waited}s; 10 more: $got_end stored)" \
  "[ $accounted = 0 ]" \
  "ring: $(stat_json | jget '{k: d[k] for k in ("head", "tail", "used_bytes", "invalid_records", "lost")}')"
# the drainer reports repairs at its once-a-second check: give it a few
for _ in $(seq 50); do
  logged=$(tail -n +$((log_lines + 1)) "$dir/drainer.log" | grep -aiE "garbage|invalid|corrupt|resync|skipped|position $pos" | head -1)
  [ -n "$logged" ] && break
  sleep 0.1
done
check "the garbage is reported (bvapm-shm check exit status non-zero, or a drainer log line)" \
  "[ '$check_rc' != 0 ] || [ -n \"\$logged\" ]" \
  "check said: $(head -c 200 "$dir/check.out"); no new drainer log line about it"
[ -n "$logged" ] && diag "drainer: $logged"
after=$(damage)
check "the damage is counted in bvapm-shm stat (invalid + lost: before $before, after $after)" \
  "[ '$after' -gt '$before' ] 2>/dev/null"
check_common
finish
