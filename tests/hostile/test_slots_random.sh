#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Hostile case 6 — random bytes over the live slot table.
#
# While two clients keep php-fpm busy, a rogue process overwrites the whole
# slot table (the live per-worker slots, the workers' own included) with
# random bytes, twice: owners that are not pids, torn sequence counters,
# strings with newlines, terminal escapes and invalid UTF-8 and no NUL, and
# every fourth slot marked "in a request". No worker dies. Proves that the
# drainer is not fooled: no fake aborted request reaches the store, its log
# stays printable text (no forged lines, no escapes), the garbage slots are
# reaped within 5 s (`bvapm-shm stat` slots.dead back to 0), every request
# is still stored (or counted lost) and every response unchanged. Prints TAP.
#   test_slots_random.sh BVAPM_SO BVAPM_DRAINER BVAPM_SHM ROGUE
. "$(dirname "$0")/lib.sh" "$@"
hostile_up "before the attack"

lost_before=$(stat_json | jget 'd["lost"]["total"]')
load_bg during
sleep 0.3
diag "$("$rogue" slots-random "$ringf" 42 2>&1)"
sleep 0.5
diag "$("$rogue" slots-random "$ringf" 43 2>&1)"
sleep 1 # requests keep running over the scribbled table
load_stop
check "while the slot table was scribbled on: all responses 200 and identical ($load_line)" \
  "[ '$(field bad "$load_line")' = 0 ]"
sent=$(load_sent)

dead=unknown end=$((SECONDS + 5))
while :; do
  dead=$(stat_json | jget 'd["slots"]["dead"]')
  [ "$dead" = 0 ] && break
  [ $SECONDS -ge $end ] && break
  sleep 0.2
done
check "garbage slots reaped within 5 s (bvapm-shm stat slots.dead = $dead)" "[ '$dead' = 0 ]" \
  "slots: $(stat_json | jget 'd["slots"]')"
aborted=$(store_count "$store" aborted 2>&1)
check "no fake aborted request in the store (got $aborted rows)" "[ '$aborted' = 0 ]" \
  "$(sqlite3 -readonly "$store" "SELECT pid, quote(method), quote(uri) FROM aborted LIMIT 2" 2>&1 | cut -c1-160)"
wait_stored during "$sent" 10
lost=$(( $(stat_json | jget 'd["lost"]["total"]') - lost_before ))
check "every request sent during the attack is stored or counted lost ($got of $sent stored, $lost lost)" \
  "[ $((got + lost)) -ge '$sent' ]"
"$shm" --ring "$ring" top --once > "$dir/top.out" 2>&1
printable "$dir/top.out" || diag "note: bvapm-shm top --once prints control bytes from the garbage slots: $(LC_ALL=C grep -c '[^[:print:]	]' "$dir/top.out") line(s)"
check_common
finish
