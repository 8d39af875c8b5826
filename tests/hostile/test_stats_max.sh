#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Hostile case 7 — a loss counter set to its maximum.
#
# With the drainer stopped, requests fill the ring until records are dropped
# (lost.full > 0); then a rogue process sets lost_full to 2^64-1, and more
# requests are dropped on top of it. Proves that `bvapm-shm stat --json`
# reports the loss total saturated at 18446744073709551615, not wrapped
# around to a small number (which would hide the loss), before and after the
# drainer is back; and that nothing else suffers: responses unchanged, no
# worker dies, requests are stored again once the drainer runs. Prints TAP.
#   test_stats_max.sh BVAPM_SO BVAPM_DRAINER BVAPM_SHM ROGUE
. "$(dirname "$0")/lib.sh" "$@"
max=18446744073709551615
hostile_up "before"
drainer_down
full=0
for k in $(seq 12); do
  load "fill-$k" 50
  full=$(stat_json | jget 'd["lost"]["full"]')
  [ "$full" -gt 0 ] 2>/dev/null && break
done
check "with no drainer the ring fills and drops: lost.full = $full after $k rounds of 50" \
  "[ '$full' -gt 0 ] 2>/dev/null"

diag "$("$rogue" stats-max "$ringf" 2>&1)"
load over 20
lost=$(stat_json | jget 'd["lost"]')
total=$(stat_json | jget 'd["lost"]["total"]')
check "lost.total is saturated at 2^64-1 with more drops on top (got $total)" "[ '$total' = $max ]" \
  "lost: $lost"

drainer_up || bail "the drainer did not start again: $(tail -2 "$dir/drainer.log")"
load after 50
wait_stored after 50 10
check "with the drainer back, 50 requests stored within 10 s (got $got)" "[ '$got' = 50 ]"
total=$(stat_json | jget 'd["lost"]["total"]')
check "lost.total still saturated with the drainer back (got $total)" "[ '$total' = $max ]"
check_common
finish
