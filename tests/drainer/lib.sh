# SPDX-License-Identifier: Apache-2.0
# Shared helpers of the drainer integration tests (sourced). Each test gets a
# private directory with its own ring directory (BVAPM_SHM_DIR), spool, store,
# lock file and metrics port; prints TAP; fails when any check fails.
# Usage: source lib.sh DRAINER PRODUCER SHM [REPORT]
#   PRODUCER: bvapm-fake-producer (testing/fake_producer.c)
drainer=$1 producer=$2 shm=$3
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
scratch drainer-test
port=$(free_port)
write_config() { # ring name, extra ini lines...
  local ring=$1; shift
  cat > "$dir/d.ini" <<INI
[ring]
name = $ring
size = 8M
max_record = 64K
prefault = false
[drainer]
lock_file = $dir/drainer.lock
buffer_records = 400
batch_records = 100
[spool]
dir = $dir/spool
[retry]
min_ms = 20
max_ms = 200
[sqlite]
path = $dir/store.db
[metrics]
listen = 127.0.0.1:$port
INI
  for line in "$@"; do echo "$line" >> "$dir/d.ini"; done
}
# start_drainer [ARGS...]: the drainer with the test's configuration (and its
# metrics endpoint); the test ends at once if it cannot start.
start_drainer() {
  drainer_start "$drainer" "$dir" "$ring" -c "$dir/d.ini" --set metrics.enabled=true "$@" ||
    { not_ok "drainer failed to start: $(tail -3 "$dir/drainer.log")"; finish; }
}
metric() { # name with labels, e.g. 'bvapm_drainer_records_invalid_total'
  curl -s --max-time 2 "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
ring_json() { "$shm" --ring "$1" --json stat; }
wait_drained() { # ring name, timeout s: ring empty and spool empty
  local i
  for i in $(seq 1 $(($2 * 10))); do
    alive "$DRAINER_PID" || { echo "# drainer is not running"; return 1; }
    used=$(ring_json "$1" 2>/dev/null | jget 'd["used_bytes"]')
    segs=$(find "$dir/spool" -name '*.seg' 2>/dev/null | wc -l)
    [ "$used" = 0 ] && [ "$segs" = 0 ] && return 0
    sleep 0.1
  done
  return 1
}
# die_in_request: a producer killed inside a request (GET /dying, checkpoint
# before-crash, an SQL statement); waits (5 s) for the drainer to store it as
# one aborted-request row. $rows: how many rows it found.
die_in_request() {
  local wpid
  "$producer" load --ring "$ring" --die-in-request > "$dir/dying"
  wpid=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$dir/dying")
  wait_until -i 0.1 5 one_aborted_row "$wpid"
}
one_aborted_row() {
  rows=$(store_count "$dir/store.db" "aborted WHERE worker_pid=$1 AND uri='/dying' AND
    last_checkpoint='before-crash' AND current_sql LIKE 'SELECT%'" 2>/dev/null)
  [ "$rows" = 1 ]
}
# Checks that every record a producer committed is in the store exactly once
# and none it lost is. Args: the line `$producer load` printed, lost file.
check_producer() {
  local line=$1 lostf=$2 pid start committed records stored bad maxseq
  pid=$(echo "$line" | sed -n 's/.*pid=\([0-9]*\).*/\1/p')
  start=$(echo "$line" | sed -n 's/.*start=\([0-9]*\).*/\1/p')
  committed=$(echo "$line" | sed -n 's/.*committed=\([0-9]*\).*/\1/p')
  records=$(echo "$line" | sed -n 's/.*records=\([0-9]*\).*/\1/p')
  stored=$(store_count "$dir/store.db" "requests WHERE pid=$pid AND producer_start_unix_ns=$start")
  maxseq=$(sqlite3 "$dir/store.db" "SELECT coalesce(max(sequence),0) FROM requests WHERE pid=$pid AND producer_start_unix_ns=$start")
  bad=0
  if [ -s "$lostf" ]; then
    bad=$( { echo "CREATE TEMP TABLE l(s INTEGER PRIMARY KEY); BEGIN;"
             sed 's/.*/INSERT INTO l VALUES(&);/' "$lostf"
             echo "COMMIT; SELECT count(*) FROM requests r JOIN l ON r.sequence = l.s WHERE r.pid=$pid AND r.producer_start_unix_ns=$start;"
           } | sqlite3 "$dir/store.db")
  fi
  check "producer $pid: $committed committed, $stored stored (exactly once), none of the lost ones" \
    "[ '$stored' = '$committed' ] && [ '$bad' = 0 ] && [ '$maxseq' -le '$records' ]"
}
# test_diskfull mounts a tmpfs on the spool: unmounted once the drainer is gone
on_exit 'drainer_stop; mountpoint -q "$dir/spool" 2>/dev/null && umount "$dir/spool"'
# Holds the store's write lock from another process until unlock_store.
lock_store() {
  rm -f "$dir/lockfifo"
  mkfifo "$dir/lockfifo"
  sqlite3 "$dir/store.db" < "$dir/lockfifo" > /dev/null 2>&1 &
  locker=$!
  exec 9>"$dir/lockfifo"
  # wait for a busy drainer transaction instead of failing the BEGIN
  printf '.timeout 5000\nBEGIN EXCLUSIVE;\n' >&9
  local i
  for i in $(seq 100); do # held once another writer is refused
    sqlite3 "$dir/store.db" "BEGIN IMMEDIATE; ROLLBACK;" >/dev/null 2>&1 || return 0
    sleep 0.05
  done
  echo "# lock_store: the store could not be locked"
}
unlock_store() {
  exec 9>&-
  wait "$locker" 2>/dev/null
}
