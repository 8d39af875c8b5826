#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Hostile case 3 — the ring file truncated while php-fpm serves.
#
# An operator (or a hostile neighbour) runs `truncate -s SIZE` on the live
# ring while two clients keep php-fpm busy: SIZE 135168 keeps the header and
# the slot table and cuts the data area off, SIZE 0 cuts everything. Every
# process that maps the file would die of SIGBUS at its next access. Proves
# that none does: every response is 200 and unchanged, the workers and the
# drainer live on, and within 10 s requests are stored again (the drainer
# retires the truncated ring and creates a new one; every worker moves to
# it), after which each of 100 requests is stored or dropped on a full ring
# (the suite's ring is small) and nothing else is lost; what went missing is
# counted in the new ring. Prints TAP.
#   test_truncate.sh BVAPM_SO BVAPM_DRAINER BVAPM_SHM ROGUE SIZE
. "$(dirname "$0")/lib.sh" "$@"
size=${targs[0]}
hostile_up "before the attack"

load_bg during
sleep 0.5
truncate -s "$size" "$ringf" || bail "truncate failed"
diag "truncated $ringf to $size bytes while requests ran"
sleep 2 # the clients keep going for two seconds on the truncated ring
load_stop
check "while and after the ring was truncated: all responses 200 and identical ($load_line)" \
  "[ '$(field bad "$load_line")' = 0 ]"
sent=$(load_sent)
during=$(stored during)
diag "during: $sent requests sent, $during stored"
check "bvapm-drainer survived the truncation" "alive '$DRAINER_PID'" \
  "drainer log: $(tail -n 2 "$dir/drainer.log" | cat -v)"

if probe_recovery probe 10; then
  ok "requests are stored again after the truncation (round $probe_rounds, ${recovered_ms} ms after the load stopped)"
  load_stored after 100 5; accounted=$?
  check "100 requests after recovery: each stored within 5 s or dropped on a full ring, no other loss (stored $got, full $full, other $other; 10 more: $got_end stored)" \
    "[ $accounted = 0 ] && [ '$other' = 0 ]" "lost: $(stat_json | jget 'd["lost"]')"
else
  not_ok "requests are stored again within 10 s of the truncation ($probe_rounds rounds of 10; probe stored: $(stored 'probe-r*'); workers without a slot in the new ring: ${unattached:-?})"
  not_ok "100 requests after recovery: not run (never recovered)"
fi
fsize=$(stat -c %s "$ringf" 2>/dev/null || echo missing)
check "a whole ring is at $ringf again (file size $fsize, was cut to $size)" \
  "[ '$fsize' != missing ] && [ '$fsize' -gt 135168 ]"
new_damage=$(damage)
check "what went missing during the attack ($((sent - during)) of $sent) is counted in the ring's stat (invalid + lost: $new_damage)" \
  "[ $((sent - during)) -eq 0 ] || [ '$new_damage' -gt 0 ] 2>/dev/null" \
  "stat: $(stat_json | jget 'd["lost"]' 2>&1 | head -c 300)"
check_common
finish
