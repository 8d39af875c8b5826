# SPDX-License-Identifier: Apache-2.0
# common.sh — what every shell test sources first: TAP (tap.sh), the shared
# stack and drainer starters (testing/stack.sh, testing/drainer.sh), a
# private working directory and ring directory removed at exit, and small
# readers of JSON and of the store.
#
#   scratch NAME [MODE]   $dir (under /tmp) for the test's files and
#                         $BVAPM_SHM_DIR (under /dev/shm: rings on tmpfs, as in
#                         production), exported, both of mode MODE when given;
#                         at exit the stack and the drainer are stopped, the
#                         ring directory removed, and $dir too unless the test
#                         failed (exit status non-zero: its path is printed)
#   scratch_shm NAME      one directory under /dev/shm, both $dir and
#                         $BVAPM_SHM_DIR (the test's files beside its rings),
#                         removed at exit
#   on_exit COMMAND       COMMAND (eval'd) at exit, before the above; the last
#                         registered runs first
#   jget EXPR             evaluates the Python expression EXPR over the JSON
#                         document `d` read from stdin; prints "unreadable ..."
#                         (or the tool's own error) when it cannot
#   json_holds COND COMMAND...
#                         COMMAND prints a JSON document (left in $out) on
#                         which the Python condition COND over `d` holds; with
#                         wait_until, polls a tool until it shows something
#   drainer_stop_check DESCRIPTION
#                         drainer_stop, then a check that the drainer exited 0
#                         on SIGTERM
#   store_count DB FROM   SELECT count(*) FROM <FROM> in the SQLite store DB,
#                         read-only, waiting up to 3 s for a writer's lock
TESTS_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTING=$(cd "$TESTS_LIB/../../testing" && pwd)
. "$TESTS_LIB/tap.sh"
. "$TESTING/stack.sh"
. "$TESTING/drainer.sh"
# the system interpreter when there is one: a version-manager shim in front of
# python3 costs ~0.1 s per call, and some tests make many
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

_exit_handlers=() _scratch_dir="" _scratch_shm=""
on_exit() { _exit_handlers+=("$1"); }
_at_exit() {
  local rc=$? i
  for ((i = ${#_exit_handlers[@]} - 1; i >= 0; i--)); do eval "${_exit_handlers[i]}"; done
  stack_stop
  drainer_stop
  # only what scratch made, whatever the test did to $dir or $BVAPM_SHM_DIR
  if [ -n "$_scratch_dir" ]; then
    if [ "$rc" -eq 0 ]; then rm -rf "$_scratch_dir"; else echo "# files of the failed test kept in $_scratch_dir"; fi
  fi
  [ -n "$_scratch_shm" ] && rm -rf "$_scratch_shm"
  exit "$rc"
}
trap _at_exit EXIT

scratch() {
  dir=$(mktemp -d "/tmp/bvapm-$1-XXXXXX")
  BVAPM_SHM_DIR=$(mktemp -d "/dev/shm/bvapm-$1-XXXXXX")
  export BVAPM_SHM_DIR
  _scratch_dir=$dir _scratch_shm=$BVAPM_SHM_DIR
  [ -n "${2:-}" ] && chmod "$2" "$dir" "$BVAPM_SHM_DIR"
  return 0
}

scratch_shm() {
  dir=$(mktemp -d "/dev/shm/bvapm-$1-XXXXXX")
  export BVAPM_SHM_DIR=$dir
  _scratch_shm=$dir
}

jget() {
  "$PY" -c 'import json,sys
try: d=json.load(sys.stdin)
except Exception: print("unreadable (no JSON)"); sys.exit(0)
try: print(eval(sys.argv[1]))
except Exception as e: print("unreadable:", d.get("error") if isinstance(d, dict) and "error" in d else f"no {e}")' "$1"
}

json_holds() {
  local cond=$1; shift
  out=$("$@" 2>/dev/null)
  printf '%s' "$out" | "$PY" -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($cond) else 1)" 2>/dev/null
}

drainer_stop_check() { drainer_stop; check "$1" "[ '$DRAINER_RC' = 0 ]"; }

store_count() { sqlite3 -readonly -cmd '.timeout 3000' "$1" "SELECT count(*) FROM $2"; }
