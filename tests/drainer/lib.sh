# Shared helpers of the drainer integration tests (sourced). Each test gets a
# private directory with its own ring directory (BVAPM_SHM_DIR), spool, store,
# lock file and metrics port; prints TAP; fails when any check fails.
# Usage: source lib.sh DRAINER LOADGEN SHM [REPORT]
drainer=$1 loadgen=$2 shm=$3
dir=$(mktemp -d /tmp/bvapm-drainer-test-XXXXXX)
# rings on tmpfs, as in production (a disk-backed ring file is far slower)
export BVAPM_SHM_DIR=$(mktemp -d /dev/shm/bvapm-drainer-test-XXXXXX)
n=0 failed=0
ok() { n=$((n+1)); echo "ok $n - $1"; }
not_ok() { n=$((n+1)); failed=$((failed+1)); echo "not ok $n - $1"; }
check() { # description, condition (evaluated)
  if eval "$2"; then ok "$1"; else not_ok "$1 [$2]"; fi
}
finish() {
  echo "1..$n"
  [ "$failed" -eq 0 ] || { echo "# logs in $dir"; exit 1; }
  exit 0
}
port=$((20000 + RANDOM % 20000))
write_config() { # ring name, extra ini lines...
  local ring=$1; shift
  cat > "$dir/d.ini" <<INI
[ring]
name = $ring
size = 8M
max_record = 64K
prefault = false
[drainer]
lock_file = $dir/lock
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
start_drainer() { # extra args...; fails the test at once if it cannot start
  # fd 9 is lock_store's pipe: a drainer holding it would keep the store locked
  "$drainer" -c "$dir/d.ini" "$@" 2>>"$dir/drainer.log" 9>&- &
  dpid=$!
  local i
  for i in $(seq 50); do
    [ -e "$BVAPM_SHM_DIR/bvapm-$ring" ] && break
    kill -0 "$dpid" 2>/dev/null || break
    sleep 0.05
  done
  if ! kill -0 "$dpid" 2>/dev/null; then
    not_ok "drainer failed to start: $(tail -3 "$dir/drainer.log")"; dpid=; finish
  fi
}
metric() { # name with labels, e.g. 'bvapm_drainer_records_invalid_total'
  curl -s --max-time 2 "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
ring_json() { "$shm" --ring "$1" --json stat; }
json_get() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1"; }
wait_drained() { # ring name, timeout s: ring empty and spool empty
  local i
  for i in $(seq 1 $(($2 * 10))); do
    kill -0 "$dpid" 2>/dev/null || { echo "# drainer is not running"; return 1; }
    used=$(ring_json "$1" 2>/dev/null | json_get '["used_bytes"]' 2>/dev/null)
    segs=$(find "$dir/spool" -name '*.seg' 2>/dev/null | wc -l)
    [ "$used" = 0 ] && [ "$segs" = 0 ] && return 0
    sleep 0.1
  done
  return 1
}
# Checks that every record a producer committed is in the store exactly once
# and none it lost is. Args: loadgen output line, lost file.
check_producer() {
  local line=$1 lostf=$2 pid start committed records stored bad maxseq
  pid=$(echo "$line" | sed -n 's/.*pid=\([0-9]*\).*/\1/p')
  start=$(echo "$line" | sed -n 's/.*start=\([0-9]*\).*/\1/p')
  committed=$(echo "$line" | sed -n 's/.*committed=\([0-9]*\).*/\1/p')
  records=$(echo "$line" | sed -n 's/.*records=\([0-9]*\).*/\1/p')
  stored=$(sqlite3 "$dir/store.db" "SELECT count(*) FROM requests WHERE pid=$pid AND producer_start_unix_ns=$start")
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
cleanup() {
  [ -n "${dpid:-}" ] && kill -9 "$dpid" 2>/dev/null
  mountpoint -q "$dir/spool" 2>/dev/null && umount "$dir/spool"
  rm -rf "$BVAPM_SHM_DIR"
  [ "$failed" -eq 0 ] && rm -rf "$dir"
}
trap cleanup EXIT
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
