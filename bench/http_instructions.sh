#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Instructions the outbound-call capture adds per curl_exec, counted by
# callgrind (repeatable whatever else the machine does): php-cli runs N1
# then N2 curl_exec calls of one handle (a keep-alive connection) against a
# local peer (PHP's built-in server, outside callgrind, answering "ok") in
# one request; the difference divided by N2-N1 is the cost of one call.
# Configurations: off (extension not loaded), not_recording (loaded, the
# request not recorded: bvapm.cli_enabled=0, the same path as the kill
# switch), recorded (aggressive: the call timed and named, traceparent sent)
# and recorded_no_propagation (bvapm.trace_propagation=0). Prints a table and
# one SUMMARY line.
#   bench/http_instructions.sh BVAPM_SO FAKE_PRODUCER
# FAKE_PRODUCER: bvapm-fake-producer (testing/), which creates the ring.
set -u
so=$1 tool=$2
. "$(dirname "$0")/callgrind_per_op.sh"
shm=$(mktemp -d /dev/shm/bvapm-httpcg-XXXXXX) out=$(mktemp -d)
peer=""
trap '[ -n "$peer" ] && kill "$peer" 2>/dev/null; rm -rf "$shm" "$out"' EXIT
BVAPM_SHM_DIR=$shm "$tool" create bench $((16 << 20)) || exit 1
curl_so=$(php-config --extension-dir)/curl.so
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
echo '<?php echo "ok";' > "$out/peer.php"
php -n -S "127.0.0.1:$port" "$out/peer.php" > /dev/null 2>&1 &
peer=$!
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
cat > "$out/c.php" <<'PHP'
<?php
[, $url, $n] = $argv;
$ch = curl_init($url);
curl_setopt_array($ch, [CURLOPT_RETURNTRANSFER => true, CURLOPT_HTTPHEADER => ['Accept: text/plain', 'X-App: bench']]);
for ($i = 0; $i < $n; $i++) {
    if (curl_exec($ch) !== 'ok') { fwrite(STDERR, "bad answer\n"); exit(1); }
}
PHP
n1=100 n2=600
summary="SUMMARY bench=http-instructions"
printf '%-26s %22s %8s\n' config instructions/curl_exec added
for c in off not_recording recorded recorded_no_propagation; do
  a=()
  case $c in
    not_recording) a=(-d "extension=$so" -d bvapm.ring=bench -d bvapm.cli_enabled=0) ;;
    recorded) a=(-d "extension=$so" -d bvapm.ring=bench -d bvapm.cli_enabled=1 -d bvapm.mode=aggressive -d bvapm.overhead_budget_us=0) ;;
    recorded_no_propagation) a=(-d "extension=$so" -d bvapm.ring=bench -d bvapm.cli_enabled=1 -d bvapm.mode=aggressive
                                -d bvapm.overhead_budget_us=0 -d bvapm.trace_propagation=0) ;;
  esac
  per=$(BVAPM_SHM_DIR="$shm" per_op $n1 $n2 "$out" \
        php -n "${a[@]}" -d "extension=$curl_so" "$out/c.php" "http://127.0.0.1:$port/x?q=1") || exit 1
  [ "$c" = off ] && base=$per
  printf '%-26s %22d %8d\n' "$c" "$per" $((per - base))
  summary+=" ${c}=$per"
done
echo "$summary"
