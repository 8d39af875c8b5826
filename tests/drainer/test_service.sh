#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The service around the pipeline: --check-config explains every error, a
# second drainer is refused naming the first one's pid, the Prometheus
# endpoint answers on loopback, SIGHUP reloads (and refuses a broken file),
# and a worker killed inside a request becomes an aborted-request row.
set -u
source "$(dirname "$0")/lib.sh" "$@"
ring=service
write_config $ring "[drainer]" "aborted_scan_ms = 100"
printf '[ring]\nsize = 3M\nbogus = 1\n[drainer]\nlog_level = loud\n' > "$dir/bad.ini"
out=$("$drainer" -c "$dir/bad.ini" --check-config 2>&1); rc=$?
check "--check-config on a bad file exits 1" "[ $rc = 1 ]"
echo "$out" | grep -q "unknown key \[ring\] bogus" && echo "$out" | grep -q "log_level = \"loud\"" \
  && echo "$out" | grep -q "power of two"
check "--check-config explains every error" "[ $? = 0 ]"
"$drainer" -c "$dir/d.ini" --check-config >/dev/null 2>&1
check "--check-config on a good file exits 0" "[ $? = 0 ]"
start_drainer
out=$("$drainer" -c "$dir/d.ini" 2>&1); rc=$?
check "a second drainer exits 2" "[ $rc = 2 ]"
echo "$out" | grep -q "another bvapm-drainer is running (pid $DRAINER_PID"
check "the refusal names the running drainer's pid" "[ $? = 0 ]"
# (the endpoint opens after the ring: poll it, a loaded machine may be slow)
sink_up_shown() { curl -s --max-time 2 "http://127.0.0.1:$port/metrics" | grep -q '^bvapm_drainer_sink_up{sink="sqlite"}'; }
wait_until -i 0.1 10 sink_up_shown
check "Prometheus endpoint on loopback" "[ $? = 0 ]"
die_in_request
check "a worker killed in a request becomes one aborted-request row ($rows)" "[ '$rows' = 1 ]"
check "aborted records counted" "[ '$(metric bvapm_drainer_aborted_records_total)' = 1 ]"
sed -i 's/^\[drainer\]$/[drainer]\nlog_level = debug/' "$dir/d.ini"
reloaded() { grep -q "reload: " "$dir/drainer.log" && [ "$(metric bvapm_drainer_reloads_total)" = 1 ]; }
kill -HUP "$DRAINER_PID"
wait_until -i 0.1 10 reloaded
check "SIGHUP reloads the configuration" "[ $? = 0 ]"
echo "bogus line" >> "$dir/d.ini"
kill -HUP "$DRAINER_PID"
wait_until -i 0.1 10 grep -q "configuration not applied" "$dir/drainer.log"
check "a broken file is refused on reload, the drainer keeps running" "[ $? = 0 ] && kill -0 $DRAINER_PID"
drainer_stop_check "SIGTERM exits 0"
finish
