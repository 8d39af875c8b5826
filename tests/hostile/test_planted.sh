#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Hostile case 4 — a ring planted by another user.
#
# Before bvapm-drainer starts, user nobody creates /dev/shm/bvapm-<name>
# (here in a private sticky directory, as /dev/shm is) as a ring that passes
# every geometry check, mode 0666: whoever uses it hands their records, and
# their safety, to nobody. Proves that both sides refuse it:
#   the drainer does not start on it (exit status non-zero, or it keeps
#   running without being the planted ring's consumer) and says why in one
#   printable line naming the owner and the mode;
#   php-fpm workers do not write into it (its tail and slot table stay as
#   planted) and requests are still served 200 and unchanged;
# and that when nobody then truncates it to 0 bytes no worker dies.
# Prints TAP.
#   test_planted.sh BVAPM_SO BVAPM_DRAINER BVAPM_SHM ROGUE
. "$(dirname "$0")/lib.sh" "$@"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
chmod 1777 "$BVAPM_SHM_DIR"
out=$(as_nobody "$rogue" plant "$ringf" 262144 256 2>&1) || bail "cannot plant a ring as nobody: $out"
diag "$out"
check "planted ring: owner nobody, mode 0666 ($(stat -c '%U %a' "$ringf"))" \
  "[ '$(stat -c '%U %a' "$ringf")' = 'nobody 666' ]"
# fd 7 keeps the planted file whatever happens to its name
exec 7< "$ringf"
planted=/dev/fd/7
tail0=$(header "$planted" | jget 'd["tail"]')

# ---- the drainer -----------------------------------------------------------------
drainer_spawn "$drainer" "$dir" "$ring" "${hostile_drainer_args[@]}"
said="" exited=no end=$((SECONDS + 3))
while [ $SECONDS -lt $end ]; do
  said=$(LC_ALL=C grep -aiE "nobody|uid 65534|owner 65534|owned by 65534" "$dir/drainer.log" |
         grep -aE "0666|[^0-7]666|rw-rw-rw-" | head -1)
  alive "$DRAINER_PID" || { exited=yes; break; }
  [ -n "$said" ] && break
  sleep 0.05
done
if [ $exited = yes ]; then
  wait "$DRAINER_PID"; rc=$?
  DRAINER_PID="" drainer_gone_ok=yes
  check "the drainer refuses the planted ring: exits with a non-zero status (got $rc)" "[ $rc != 0 ]"
else
  sleep 0.3 # a drainer that attached has registered by now
  consumer=$(header "$planted" | jget 'd["consumer_pid"]')
  check "the drainer refuses the planted ring: still running, but not its consumer (consumer pid $consumer, drainer $DRAINER_PID)" \
    "[ '$consumer' != '$DRAINER_PID' ]"
fi
said=$(LC_ALL=C grep -aiE "nobody|uid 65534|owner 65534|owned by 65534" "$dir/drainer.log" |
       grep -aE "0666|[^0-7]666|rw-rw-rw-" | head -1)
check "the drainer says why in one printable line naming the owner (nobody) and the mode (0666)" \
  "[ -n \"\$said\" ] && printf '%s\n' \"\$said\" > '$dir/said' && printable '$dir/said'" \
  "drainer log: $(tail -n 3 "$dir/drainer.log")"
[ -n "$said" ] && diag "drainer: $said"

# ---- the workers -----------------------------------------------------------------
fpm_up || bail "php-fpm + nginx did not start"
load before-truncate 50
check "50 requests beside the planted ring: all 200 and identical ($load_line)" \
  "[ '$(field ok "$load_line")' = 50 ]"
h=$(header "$planted")
check "no worker wrote into the planted ring: tail still $tail0 (now $(echo "$h" | jget 'd["tail"]'))" \
  "[ '$(echo "$h" | jget 'd["tail"]')' = '$tail0' ]"
check "no worker claimed a slot in the planted ring (owners: $(echo "$h" | jget 'd["owners"]'))" \
  "[ '$(echo "$h" | jget 'd["slots_owned"]')' = 0 ]"

# ---- nobody truncates it -----------------------------------------------------------
as_nobody truncate -s 0 "$planted" || bail "nobody could not truncate the planted ring"
diag "nobody truncated the planted ring to $(stat -L -c %s "$planted") bytes"
load after-truncate 50
check "50 requests after nobody truncated it: all 200 and identical ($load_line)" \
  "[ '$(field ok "$load_line")' = 50 ]"
check_common
finish
