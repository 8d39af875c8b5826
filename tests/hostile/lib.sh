# lib.sh — sourced by the hostile tests: one private stack per test (a
# bvapm-drainer with a small 256 KiB ring and its SQLite store, php-fpm with
# bvapm.so in aggressive mode so every request is recorded, nginx in front),
# the rogue tool, the HTTP load client, and the checks every case ends with:
#
#   every HTTP response was 200 and byte-identical to `php -n` of the page
#   php-fpm's workers are the ones that started (none died: same pids, alive,
#   no "exited on signal" in php-fpm's log)
#   bvapm-drainer is alive, and its log is printable text only
#
# Usage: . lib.sh BVAPM_SO BVAPM_DRAINER BVAPM_SHM ROGUE [test args...]
# Everything a test starts is stopped at exit; the ring directory is removed,
# the test directory too unless a check failed (its path is printed then).
set -u
so=$1 drainer=$2 shm=$3 rogue=$4
shift 4
targs=("$@") # the test's own arguments (positional parameters come back after `.`)
hostile_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$hostile_here/../e2e/stack.sh"
export STACK_WWW=$hostile_here/www
# the system interpreter when there is one: a version-manager shim in front of
# python3 costs ~0.1 s per call, and the checks make many
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
dir=$(mktemp -d /tmp/bvapm-hostile-XXXXXX)
BVAPM_SHM_DIR=$(mktemp -d /dev/shm/bvapm-hostile-XXXXXX)
export BVAPM_SHM_DIR
chmod 0755 "$dir" "$BVAPM_SHM_DIR"
ring=hostile
ringf=$BVAPM_SHM_DIR/bvapm-$ring
store=$dir/store.db
expected=$dir/expected.body
php -n "$STACK_WWW/plain.php" > "$expected"
: > "$dir/responses"
: > "$dir/drainer.log"
DRAINER_PID="" LOAD_PID="" port="" fpm_workers=""

# ---- TAP ---------------------------------------------------------------------
n=0 failed=0
ok() { n=$((n+1)); echo "ok $n - $1"; }
not_ok() { n=$((n+1)); failed=$((failed+1)); echo "not ok $n - $1"; }
diag() { printf '%s\n' "$*" | cat -v | sed 's/^/# /'; } # every line a TAP comment
check() { # description, shell condition (evaluated), [diagnostic]
  if eval "$2"; then ok "$1"; else not_ok "$1"; [ -n "${3:-}" ] && diag "$3"; fi
  return 0
}
bail() { echo "Bail out! $*"; tail -5 "$dir/drainer.log" "$dir"/stack/*.log 2>/dev/null | sed 's/^/# /'; exit 1; }
finish() {
  echo "1..$n"
  if [ "$failed" -ne 0 ]; then
    diag "$failed check(s) failed; logs in $dir"
    diag "drainer log (last lines):"
    tail -n 6 "$dir/drainer.log" | cat -v | sed 's/^/#   /'
    diag "php-fpm and agent log (last lines about workers or bvapm):"
    grep -h "exited\|bvapm" "$dir"/stack/php-fpm.log "$dir"/stack/php-errors.log 2>/dev/null |
      tail -n 6 | cat -v | sed 's/^/#   /'
    exit 1
  fi
  exit 0
}
cleanup() {
  [ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null
  stack_stop
  if [ -n "$DRAINER_PID" ]; then
    kill -TERM "$DRAINER_PID" 2>/dev/null
    for _ in $(seq 50); do alive "$DRAINER_PID" || break; sleep 0.1; done
    kill -KILL "$DRAINER_PID" 2>/dev/null
  fi
  wait 2>/dev/null
  rm -rf "$BVAPM_SHM_DIR"
  [ "$failed" -eq 0 ] && rm -rf "$dir"
}
trap cleanup EXIT

# ---- processes -----------------------------------------------------------------
# alive PID: the process exists and is not a zombie (kill -0 succeeds on a
# zombie, and a dead drainer stays one until this shell reaps it).
alive() {
  local s
  s=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}
workers() { ps -o pid= --ppid "$STACK_FPM" 2>/dev/null | sort -n | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'; }

# drainer_up [--set k=v ...]: starts bvapm-drainer on the test's ring (256 KiB,
# 64 KiB records, dead slots scanned every 200 ms), appending to
# $dir/drainer.log. Returns once the ring file exists, or 1 if the drainer
# exits first or the ring does not appear within 5 s. Sets DRAINER_PID.
drainer_spawn() { # the same, without waiting
  "$drainer" --set ring.name="$ring" --set ring.size=256K --set ring.max_record=64K \
    --set spool.dir="$dir/spool" --set sqlite.path="$store" \
    --set drainer.lock_file="$dir/drainer.lock" --set drainer.aborted_scan_ms=200 \
    --set metrics.enabled=false "$@" 2>> "$dir/drainer.log" &
  DRAINER_PID=$!
}
drainer_up() {
  drainer_spawn "$@"
  for _ in $(seq 100); do
    [ -e "$ringf" ] && alive "$DRAINER_PID" && return 0
    alive "$DRAINER_PID" || return 1
    sleep 0.05
  done
  return 1
}
# drainer_down: SIGTERM, bounded wait (5 s); sets drainer_rc.
drainer_down() {
  drainer_rc=none
  kill -TERM "$DRAINER_PID" 2>/dev/null
  for _ in $(seq 100); do alive "$DRAINER_PID" || break; sleep 0.05; done
  if alive "$DRAINER_PID"; then
    kill -KILL "$DRAINER_PID"; drainer_rc=killed
  fi
  wait "$DRAINER_PID" 2>/dev/null; local rc=$?
  [ "$drainer_rc" = killed ] || drainer_rc=$rc
  DRAINER_PID=""
}
# fpm_up [-d settings...]: php-fpm (2 static workers, bvapm.so aggressive on
# the test's ring) and nginx; remembers the worker pids.
fpm_up() {
  port=$(free_port)
  stack_start "$dir/stack" "$port" "$so" "$ring" aggressive "$@" || return 1
  fpm_workers=$(workers)
  [ "$(echo "$fpm_workers" | wc -w)" = 2 ] || return 1
}
# hostile_up: drainer, then php-fpm; ends the test when either cannot start.
hostile_up() {
  drainer_up || bail "bvapm-drainer did not create the ring: $(tail -2 "$dir/drainer.log")"
  fpm_up || bail "php-fpm + nginx did not start"
}

# ---- requests ------------------------------------------------------------------
# load PREFIX COUNT: COUNT requests /app/PREFIX/<i>, waited for; the summary
# line is in $load_line and appended to $dir/responses.
load() {
  load_line=$("$PY" "$hostile_here/load.py" "$port" "$1" "$expected" --count "$2")
  echo "$1: $load_line" >> "$dir/responses"
}
# load_bg PREFIX: requests until load_stop (at most 20 s).
load_bg() {
  load_prefix=$1
  rm -f "$dir/stop"
  "$PY" "$hostile_here/load.py" "$port" "$1" "$expected" --until "$dir/stop" --max-seconds 20 \
    --summary "$dir/bg.summary" > /dev/null &
  LOAD_PID=$!
}
load_stop() {
  touch "$dir/stop"
  wait "$LOAD_PID" 2>/dev/null
  LOAD_PID=""
  load_line=$(cat "$dir/bg.summary" 2>/dev/null || echo "sent=0 ok=0 bad=1 first_bad=\"no summary\"")
  echo "$load_prefix: $load_line" >> "$dir/responses"
}
field() { echo "$2" | sed -n "s/.*\b$1=\([0-9]*\).*/\1/p"; } # field NAME LINE
# load_sent: requests sent by the last load / load_bg
load_sent() { field sent "$load_line"; }

# ---- the store and the ring -------------------------------------------------------
# stored PREFIX: distinct request URIs under /app/PREFIX/ in the store
stored() {
  [ -f "$store" ] || { echo 0; return; }
  sqlite3 -readonly -cmd '.timeout 3000' "$store" \
    "SELECT count(DISTINCT uri) FROM requests WHERE uri GLOB '/app/$1/*'" 2>/dev/null || echo 0
}
# wait_stored PREFIX COUNT SECONDS: polls until COUNT are stored; $got holds
# the last count and $waited the seconds it took.
wait_stored() {
  local start=$SECONDS end=$((SECONDS + $3))
  while :; do
    got=$(stored "$1")
    [ "${got:-0}" -ge "$2" ] && { waited=$((SECONDS - start)); return 0; }
    [ $SECONDS -ge $end ] && { waited=$3; return 1; }
    sleep 0.2
  done
}
# probe_recovery PREFIX SECONDS: rounds of 10 requests (PREFIX-r<k>) until every
# request of a round is in the store within 2 s of being sent; $recovered_ms
# is the time from the call to the start of that round.
probe_recovery() {
  local t0 k=0 until=$((SECONDS + $2)) r
  t0=$(date +%s%N)
  while [ $SECONDS -lt $until ]; do
    k=$((k + 1))
    r=$(date +%s%N)
    load "$1-r$k" 10
    if wait_stored "$1-r$k" 10 2; then
      recovered_ms=$(( (r - t0) / 1000000 ))
      probe_rounds=$k
      return 0
    fi
  done
  probe_rounds=$k
  return 1
}
stat_json() { "$shm" --ring "$ring" --json stat 2>/dev/null; }
# jget EXPR: evaluates a Python expression over the JSON document `d` on stdin
# (prints "unreadable ..." or the tool's own error instead when it cannot)
jget() { "$PY" -c 'import json,sys
try: d=json.load(sys.stdin)
except Exception: print("unreadable (no JSON)"); sys.exit(0)
try: print(eval(sys.argv[1]))
except Exception as e: print("unreadable:", d.get("error") if isinstance(d, dict) and "error" in d else f"no {e}")' "$1"; }
# damage: invalid records + every loss counter, from bvapm-shm stat --json
damage() { stat_json | jget 'd["invalid_records"] + d["lost"]["total"]'; }
header() { "$rogue" header "${1:-$ringf}" 2>/dev/null; }

# printable FILE: only printable ASCII, tab and newline
printable() { [ "$(LC_ALL=C tr -d '\11\12\40-\176' < "$1" | wc -c)" = 0 ]; }

# ---- the checks every case ends with ----------------------------------------------
# (drainer_gone_ok=yes: the drainer was meant to refuse and exit; not checked)
check_common() {
  local bad total cur pid dead=""
  total=$(sed -n 's/.* sent=\([0-9]*\).*/\1/p' "$dir/responses" | awk '{s+=$1} END {print s+0}')
  bad=$(sed -n 's/.* bad=\([0-9]*\).*/\1/p' "$dir/responses" | awk '{s+=$1} END {print s+0}')
  check "every response ($total) was 200 and byte-identical to the page's output" \
    "[ '${bad:-1}' = 0 ] && [ '${total:-0}' -gt 0 ]" \
    "$(grep -v ' bad=0 ' "$dir/responses" | head -3 | cat -v)"
  cur=$(workers)
  for pid in $fpm_workers; do alive "$pid" || dead="$dead $pid"; done
  check "php-fpm workers unchanged and alive (started: $fpm_workers)" \
    "[ '$cur' = '$fpm_workers' ] && [ -z '$dead' ]" "now: ${cur:-none}; dead:${dead:- none}"
  local sig
  sig=$(grep -c "exited on signal" "$dir/stack/php-fpm.log" 2>/dev/null)
  check "php-fpm log: no worker exited on a signal" "[ '${sig:-0}' = 0 ]" \
    "$(grep "exited on signal" "$dir/stack/php-fpm.log" 2>/dev/null | head -3)"
  [ "${drainer_gone_ok:-}" = yes ] || check "bvapm-drainer alive" "[ -n '$DRAINER_PID' ] && alive '$DRAINER_PID'" \
    "drainer log: $(tail -n 2 "$dir/drainer.log" | cat -v)"
  check "bvapm-drainer's log is printable text only" "printable '$dir/drainer.log'" \
    "$(LC_ALL=C grep -an '[^[:print:]	]' "$dir/drainer.log" | head -2)"
}
