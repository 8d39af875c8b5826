# SPDX-License-Identifier: Apache-2.0
# drainer.sh — sourced by the drainer, end-to-end and hostile tests and the
# benchmarks: one way to start a private bvapm-drainer and to stop it.
#
# A private drainer keeps everything under one directory DIR: its spool
# (DIR/spool), its SQLite store (DIR/store.db), its lock file
# (DIR/drainer.lock) and its log (stderr appended to DIR/drainer.log); its
# ring is $BVAPM_SHM_DIR/bvapm-RING; it opens no metrics endpoint unless told
# to. Further arguments are the drainer's own and come after these, so a
# configuration file (-c FILE) fills in the rest and a later --set wins.
#
#   drainer_spawn DRAINER DIR RING [ARGS...]  start it; sets DRAINER_PID
#   drainer_start DRAINER DIR RING [ARGS...]  start it and wait (bounded) until
#                                             the ring is ready (the file exists
#                                             early: its creator's pid goes in
#                                             first); returns 1, with the log's
#                                             tail on stderr, if the drainer
#                                             exits first or the ring is not
#                                             ready in 10 s
#   ring_ready FILE                           the ring's header says ready
#   drainer_stop [SECONDS]                    SIGTERM, up to SECONDS (10) to
#                                             exit, then SIGKILL; sets
#                                             DRAINER_RC (its exit status, or
#                                             "killed") and clears DRAINER_PID
#   alive PID                                 the process exists and is not a
#                                             zombie
DRAINER_PID="" DRAINER_RC=""

# kill -0 succeeds on a zombie, and a drainer that died stays one until the
# shell that started it reaps it: read the process state instead.
alive() {
  local s
  s=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}

# the header's `ready` word (offset 56, pinned by ring/ring_layout.h) is 1
ring_ready() {
  [ "$(od -An -t u4 -j 56 -N 4 "$1" 2>/dev/null | tr -d ' ')" = 1 ]
}

drainer_spawn() {
  local drainer=$1 dir=$2 ring=$3; shift 3
  # fd 9 stays with the caller: a pipe held there (a test holding the store's
  # lock) must not be kept open by the drainer
  "$drainer" --set ring.name="$ring" --set spool.dir="$dir/spool" --set sqlite.path="$dir/store.db" \
    --set drainer.lock_file="$dir/drainer.lock" --set metrics.enabled=false "$@" \
    2>> "$dir/drainer.log" 9>&- &
  DRAINER_PID=$!
}

drainer_start() {
  local dir=$2 ring=$3 end
  drainer_spawn "$@"
  end=$((SECONDS + 10))
  while alive "$DRAINER_PID" && [ $SECONDS -lt $end ]; do
    ring_ready "$BVAPM_SHM_DIR/bvapm-$ring" && return 0
    sleep 0.05
  done
  echo "bvapm-drainer did not create the ring $ring (not ready in 10 s); its log:" >&2
  tail -n 5 "$dir/drainer.log" >&2
  return 1
}

drainer_stop() {
  local end=$((SECONDS + ${1:-10}))
  DRAINER_RC=""
  [ -n "$DRAINER_PID" ] || return 0
  kill -TERM "$DRAINER_PID" 2>/dev/null
  while alive "$DRAINER_PID" && [ $SECONDS -lt $end ]; do sleep 0.05; done
  if alive "$DRAINER_PID"; then
    kill -KILL "$DRAINER_PID" 2>/dev/null
    DRAINER_RC=killed
  fi
  wait "$DRAINER_PID" 2>/dev/null
  local rc=$?
  [ "$DRAINER_RC" = killed ] || DRAINER_RC=$rc
  DRAINER_PID=""
}
