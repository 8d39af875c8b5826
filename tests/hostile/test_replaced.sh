#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Hostile case 5 — the ring replaced under long-lived workers.
#
# An operator stops bvapm-drainer (SIGTERM), removes the ring file and starts
# the drainer again, which creates a new ring at the same path; php-fpm keeps
# running, its workers still mapping the old, unlinked ring. In between, 50
# requests are recorded into the old ring, which nobody will ever read.
# Proves that the workers move to the new ring within 3 s (requests stored
# again) without dying, that the requests after that are all stored, and
# that the records left in the old ring are counted in the new ring's stat
# (a loss reason named `retired`), not lost silently. Prints TAP.
#   test_replaced.sh BVAPM_SO BVAPM_DRAINER BVAPM_SHM ROGUE
. "$(dirname "$0")/lib.sh" "$@"
hostile_up "before"

drainer_down
load orphan 50
check "50 requests while no drainer runs: all 200 and identical ($load_line)" \
  "[ '$(field ok "$load_line")' = 50 ]"
old=$(header)
diag "old ring: $(echo "$old" | jget '{k: d[k] for k in ("head", "tail", "consumed_records")}')"
rm -f "$ringf"
drainer_up || bail "the restarted drainer did not create a new ring: $(tail -2 "$dir/drainer.log")"
new_ino=$(stat -c %i "$ringf")
diag "new ring created (inode $new_ino)"

if probe_recovery moved 6; then
  check "workers moved to the new ring within 3 s (${recovered_ms} ms, round $probe_rounds)" \
    "[ $recovered_ms -le 3000 ]"
  load_stored after 100 5; accounted=$?
  check "100 requests after the move: each stored within 5 s or dropped on a full ring, no other loss (stored $got, full $full, other $other; 10 more: $got_end stored)" \
    "[ $accounted = 0 ] && [ '$other' = 0 ]" "lost: $(stat_json | jget 'd["lost"]')"
else
  not_ok "workers moved to the new ring within 3 s (in 6 s no round of 10 requests stored whole with every worker in the new ring: $probe_rounds rounds; without a slot: ${unattached:-?})"
  not_ok "100 requests after the move: not run (workers never moved)"
fi
orphans=$(stored orphan)
lost=$(stat_json | jget 'd["lost"]')
retired=$(stat_json | jget 'd["lost"].get("retired", 0)')
check "the records left in the old ring are counted in the new ring (lost.retired = $retired; $orphans of 50 stored)" \
  "[ '$orphans' = 50 ] || [ '$retired' -gt 0 ] 2>/dev/null" "new ring's lost: $lost"
check_common
finish
