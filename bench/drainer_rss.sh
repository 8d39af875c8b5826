#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Drainer memory under sustained load: a real bvapm-drainer (SQLite sink)
# with 2 producer processes writing SECONDS at RATE records/s each; prints
# the drainer's peak and final resident set size in MiB and what was stored.
# Usage: drainer_rss.sh DRAINER FAKE_PRODUCER [SECONDS] [RATE]
set -u
drainer=$1 producer=$2 secs=${3:-10} rate=${4:-10000}
. "$(dirname "$0")/../testing/drainer.sh"
dir=$(mktemp -d /tmp/bvapm-bench-rss-XXXXXX)
export BVAPM_SHM_DIR=$(mktemp -d /dev/shm/bvapm-bench-rss-XXXXXX)
trap 'drainer_stop; rm -rf "$dir" "$BVAPM_SHM_DIR"' EXIT
drainer_start "$drainer" "$dir" rss --set ring.prefault=false -c /dev/null || exit 1
dpid=$DRAINER_PID
for p in 1 2; do "$producer" load --ring rss --records $((secs * rate)) --rate "$rate" > "$dir/gen.$p" & done
peak=0
for i in $(seq $((secs * 4))); do
  sleep 0.25
  rss=$(awk '/VmRSS/ { print $2 }' /proc/$dpid/status)
  [ "${rss:-0}" -gt "$peak" ] && peak=$rss
done
wait %2 %3 2>/dev/null
sleep 1
hwm=$(awk '/VmHWM/ { print $2 }' /proc/$dpid/status)
drainer_stop
committed=$(cat "$dir"/gen.* | sed -n 's/.*committed=\([0-9]*\).*/\1/p' | paste -sd+ | bc)
stored=$(sqlite3 "$dir/store.db" "SELECT count(*) FROM requests")
echo "drainer-rss seconds=$secs rate_per_producer=$rate committed=$committed stored=$stored peak_rss_MiB=$(echo "scale=1; $peak/1024" | bc) hwm_MiB=$(echo "scale=1; $hwm/1024" | bc)"
