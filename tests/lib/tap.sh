# SPDX-License-Identifier: Apache-2.0
# tap.sh — TAP output for the shell tests (sourced; through common.sh).
# One counter for the whole test, numbered lines, the plan printed last by
# finish, whose exit status says whether every check passed. Python parts of
# a test print through tests/lib/tap.py (on PYTHONPATH once this is sourced):
# the counters are exported, so a Python part that comes last goes on with
# the shell's numbering and finishes the test (plan and exit status).
#
#   ok DESCRIPTION / not_ok DESCRIPTION   one test line
#   check DESCRIPTION CONDITION [DIAG]    CONDITION is evaluated (eval); on
#                                         failure the condition and DIAG
#                                         follow as comments
#   expect DESCRIPTION STATUS COMMAND...  COMMAND must exit with STATUS; its
#                                         output (stdout and stderr) is left
#                                         in $out
#   diag TEXT...                          every line a TAP comment, control
#                                         bytes shown with cat -v
#   bail REASON                           "Bail out!" and exit 1
#   finish                                the plan; exit 1 if a check failed
#                                         (after calling tap_on_failure when
#                                         the test defines it), else 0
#   wait_until [-i INTERVAL] SECONDS COMMAND...
#                                         runs COMMAND (in this shell) every
#                                         INTERVAL seconds (0.05) until it
#                                         succeeds (0) or SECONDS have passed
#                                         (1)
export TAP_COUNT=0 TAP_FAILED=0
export PYTHONPATH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)${PYTHONPATH:+:$PYTHONPATH}"

ok() { TAP_COUNT=$((TAP_COUNT + 1)); echo "ok $TAP_COUNT - $1"; }
not_ok() { TAP_COUNT=$((TAP_COUNT + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_COUNT - $1"; }
diag() { printf '%s\n' "$*" | cat -v | sed 's/^/# /'; }

check() {
  if eval "$2"; then
    ok "$1"
  else
    not_ok "$1"
    diag "condition: $2"
    [ -n "${3:-}" ] && diag "$3"
  fi
  return 0
}

expect() {
  local what=$1 want=$2 got; shift 2
  out=$("$@" 2>&1); got=$?
  if [ "$got" -eq "$want" ]; then ok "$what (exit $got)"; else not_ok "$what: exit $got, wanted $want: $out"; fi
}

bail() { echo "Bail out! $*"; exit 1; }

finish() {
  echo "1..$TAP_COUNT"
  if [ "$TAP_FAILED" -ne 0 ]; then
    diag "$TAP_FAILED check(s) failed"
    declare -F tap_on_failure > /dev/null && tap_on_failure
    exit 1
  fi
  exit 0
}

wait_until() {
  local interval=0.05 end
  if [ "$1" = -i ]; then interval=$2; shift 2; fi
  end=$((SECONDS + $1)); shift
  until "$@"; do
    [ $SECONDS -ge $end ] && return 1
    sleep "$interval"
  done
}
