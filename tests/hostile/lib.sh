# SPDX-License-Identifier: Apache-2.0
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
. "$hostile_here/../lib/common.sh"
export STACK_WWW=$hostile_here/www
scratch hostile 0755
ring=hostile
ringf=$BVAPM_SHM_DIR/bvapm-$ring
store=$dir/store.db
expected=$dir/expected.body
php -n "$STACK_WWW/plain.php" > "$expected"
: > "$dir/responses"
: > "$dir/drainer.log"
LOAD_PID="" port="" fpm_workers=""
on_exit '[ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null && wait "$LOAD_PID" 2>/dev/null'

# finish and bail call this when a check failed: the logs' last lines
tap_on_failure() {
  diag "drainer log (last lines):"
  tail -n 6 "$dir/drainer.log" | cat -v | sed 's/^/#   /'
  diag "php-fpm and agent log (last lines about workers or bvapm):"
  grep -h "exited\|bvapm" "$dir"/stack/php-fpm.log "$dir"/stack/php-errors.log 2>/dev/null |
    tail -n 6 | cat -v | sed 's/^/#   /'
  diag "nginx log (last lines):"
  tail -n 3 "$dir"/stack/nginx-error.log 2>/dev/null | cat -v | sed 's/^/#   /'
}
bail() { echo "Bail out! $*"; tap_on_failure; exit 1; }

# ---- processes -----------------------------------------------------------------
workers() { ps -o pid= --ppid "$STACK_FPM" 2>/dev/null | sort -n | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'; }

# The test's drainer (testing/drainer.sh): a small 256 KiB ring, 64 KiB
# records, dead slots scanned every 200 ms; the log appended to
# $dir/drainer.log. drainer_up returns 1 if the drainer exits first or the
# ring does not appear; drainer_down stops it (5 s to exit) and checks that
# it exited with status 0.
hostile_drainer_args=(--set ring.size=256K --set ring.max_record=64K --set drainer.aborted_scan_ms=200)
drainer_up() { drainer_start "$drainer" "$dir" "$ring" "${hostile_drainer_args[@]}" "$@" 2>/dev/null; }
drainer_down() {
  drainer_stop 5
  check "the drainer stops on SIGTERM with status 0 (got $DRAINER_RC)" "[ '$DRAINER_RC' = 0 ]"
}
# fpm_up [-d settings...]: php-fpm (2 static workers, bvapm.so aggressive on
# the test's ring) and nginx; remembers the worker pids.
fpm_up() {
  port=$(free_port)
  stack_start "$dir/stack" "$port" "$so" "$ring" aggressive "$@" || return 1
  fpm_workers=$(workers)
  [ "$(echo "$fpm_workers" | wc -w)" = 2 ] || return 1
}
# hostile_up [LABEL]: drainer, then php-fpm; ends the test when either cannot
# start. With LABEL, then 20 requests (/app/warm/...) that must be stored
# within 10 s, checked as "LABEL: 20 requests stored".
hostile_up() {
  drainer_up || bail "bvapm-drainer did not create the ring: $(tail -2 "$dir/drainer.log")"
  fpm_up || bail "php-fpm + nginx did not start"
  [ -n "${1:-}" ] || return 0
  load warm 20
  wait_stored warm 20 10
  check "$1: 20 requests stored (got $got)" "[ '$got' = 20 ]"
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
  store_count "$store" "(SELECT DISTINCT uri FROM requests WHERE uri GLOB '/app/$1/*')" 2>/dev/null || echo 0
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
# request of a round is in the store within 2 s of being sent and every
# php-fpm worker holds a slot in the ring now at the path (one worker may
# serve a whole round while the other still waits for its next attach
# attempt); $recovered_ms is the time from the call to the start of that
# round, $unattached the workers without a slot at the last round.
probe_recovery() {
  local t0 k=0 until=$((SECONDS + $2)) r
  t0=$(date +%s%N)
  while [ $SECONDS -lt $until ]; do
    k=$((k + 1))
    r=$(date +%s%N)
    load "$1-r$k" 10
    if wait_stored "$1-r$k" 10 2 && unattached=$(unattached_workers) && [ -z "$unattached" ]; then
      recovered_ms=$(( (r - t0) / 1000000 ))
      probe_rounds=$k
      return 0
    fi
  done
  probe_rounds=$k
  return 1
}
# unattached_workers: the php-fpm workers (of those started) without a slot
# in the ring at the path, space-separated; fails when the ring is unreadable
unattached_workers() {
  local pids
  pids=$("$shm" --ring "$ring" --json top --once 2>/dev/null | jget '" ".join(str(s["pid"]) for s in d["slots"])') ||
    return 1
  case $pids in unreadable*) return 1 ;; esac
  local pid missing=""
  for pid in $fpm_workers; do
    case " $pids " in *" $pid "*) ;; *) missing="$missing $pid" ;; esac
  done
  echo "${missing# }"
}
# load_stored PREFIX COUNT SECONDS: COUNT requests (load), then waits up to
# SECONDS until each is stored or dropped because the ring was full. At full
# speed two workers fill the hostile suite's 256 KiB ring in tens of
# milliseconds whenever the store's commit stalls, and drop-on-full is the
# ring's policy; any other loss is not. Then 10 requests PREFIX-end, which
# must all be stored (the ring still flows). Sets $got (stored of COUNT),
# $full (new drops on a full ring), $got_end (stored of the 10), $other
# (every other loss and invalid record counted meanwhile) and $waited,
# and leaves $load_line the main load's; returns 0 when got + full = COUNT
# and got_end = 10.
load_stored() {
  local full0 damage0 now start=$SECONDS end=$((SECONDS + $3))
  full0=$(lost_full) damage0=$(damage)
  load "$1" "$2"
  while :; do
    got=$(stored "$1") now=$(lost_full)
    if is_count "$full0" && is_count "$now"; then full=$((now - full0)); else full=unreadable; fi
    [ "$full" = unreadable ] || [ $((got + full)) -lt "$2" ] || break
    [ $SECONDS -ge $end ] && break
    sleep 0.2
  done
  waited=$((SECONDS - start))
  # drops on a full ring would also hide a drainer that stopped reading: 10
  # more requests, into a ring drained by now, must all be stored
  local main_line=$load_line
  load "$1-end" 10
  wait_stored "$1-end" 10 5
  got_end=$got load_line=$main_line
  got=$(stored "$1")
  now=$(damage)
  if [ "$full" != unreadable ] && is_count "$damage0" && is_count "$now"; then
    other=$((now - damage0 - full))
  else
    other=unreadable
  fi
  [ "$full" != unreadable ] && [ $((got + full)) = "$2" ] && [ "$got_end" = 10 ]
}
lost_full() { stat_json | jget 'd["lost"]["full"]'; }
is_count() { case $1 in '' | *[!0-9]*) return 1 ;; esac; }
stat_json() { "$shm" --ring "$ring" --json stat 2>/dev/null; }
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
