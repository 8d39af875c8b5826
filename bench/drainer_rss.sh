#!/usr/bin/env bash
# Drainer memory under sustained load: a real bvapm-drainer (SQLite sink)
# with 2 producer processes writing SECONDS at RATE records/s each; prints
# the drainer's peak and final resident set size in MiB and what was stored.
# Usage: drainer_rss.sh DRAINER LOADGEN [SECONDS] [RATE]
set -u
drainer=$1 loadgen=$2 secs=${3:-10} rate=${4:-10000}
dir=$(mktemp -d /tmp/bvapm-bench-rss-XXXXXX)
export BVAPM_SHM_DIR=$(mktemp -d /dev/shm/bvapm-bench-rss-XXXXXX)
trap 'kill $dpid 2>/dev/null; rm -rf "$dir" "$BVAPM_SHM_DIR"' EXIT
"$drainer" --set ring.name=rss --set ring.prefault=false --set drainer.lock_file="$dir/lock" \
  --set spool.dir="$dir/spool" --set sqlite.path="$dir/store.db" --set metrics.enabled=false \
  -c /dev/null 2>"$dir/log" &
dpid=$!
sleep 0.5
for p in 1 2; do "$loadgen" --ring rss --records $((secs * rate)) --rate "$rate" > "$dir/gen.$p" & done
peak=0
for i in $(seq $((secs * 4))); do
  sleep 0.25
  rss=$(awk '/VmRSS/ { print $2 }' /proc/$dpid/status)
  [ "${rss:-0}" -gt "$peak" ] && peak=$rss
done
wait %2 %3 2>/dev/null
sleep 1
hwm=$(awk '/VmHWM/ { print $2 }' /proc/$dpid/status)
kill -TERM $dpid; wait $dpid
committed=$(cat "$dir"/gen.* | sed -n 's/.*committed=\([0-9]*\).*/\1/p' | paste -sd+ | bc)
stored=$(sqlite3 "$dir/store.db" "SELECT count(*) FROM requests")
echo "drainer-rss seconds=$secs rate_per_producer=$rate committed=$committed stored=$stored peak_rss_MiB=$(echo "scale=1; $peak/1024" | bc) hwm_MiB=$(echo "scale=1; $hwm/1024" | bc)"
