#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Instructions the cache capture adds per Redis GET, counted by callgrind
# (repeatable whatever else the machine does): php-cli runs N1 then N2
# Redis::get() of one existing key in one request against a private
# redis-server on a Unix socket; the difference divided by N2-N1 is the cost
# of one GET (the client's own work included, the server's not).
# Configurations: off (extension not loaded), not_recording (loaded, the
# request not recorded: bvapm.cli_enabled=0, the same path as the kill
# switch), capture_off (recorded, bvapm.cache_capture=0), capture_on
# (aggressive: every GET timed, aggregated and a span candidate). The
# recorded ones run with bvapm.profile=0, so that the function profile's own
# per-call cost is not counted as the capture's. Prints a table and one
# SUMMARY line.
#   bench/cache_instructions.sh BVAPM_SO FAKE_PRODUCER
# FAKE_PRODUCER: bvapm-fake-producer (testing/), which creates the ring.
# Needs valgrind, redis-server and php8.2-redis (with php8.2-igbinary).
set -u
so=$1 tool=$2
. "$(dirname "$0")/callgrind_per_op.sh"
shm=$(mktemp -d /dev/shm/bvapm-cachecg-XXXXXX) out=$(mktemp -d)
redis_pid=""
cleanup() {
  [ -n "$redis_pid" ] && { kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; }
  rm -rf "$shm" "$out"
}
trap cleanup EXIT
BVAPM_SHM_DIR=$shm "$tool" create bench $((16 << 20)) || exit 1
redis-server --port 0 --unixsocket "$out/redis.sock" --dir "$out" --save '' --appendonly no \
  --daemonize no --logfile "$out/redis.log" > /dev/null 2>&1 &
redis_pid=$!
for _ in $(seq 200); do [ -S "$out/redis.sock" ] && break; sleep 0.05; done
[ -S "$out/redis.sock" ] || { echo "redis-server did not start" >&2; exit 1; }
cat > "$out/s.php" <<'PHP'
<?php
[, $sock, $n] = $argv;
$r = new Redis();
$r->connect($sock);
$r->set('k', 'value');
for ($i = 0; $i < $n; $i++) { $r->get('k'); }
PHP
n1=200 n2=1200
summary="SUMMARY bench=cache-instructions"
printf '%-14s %18s %8s\n' config instructions/GET added
for c in off not_recording capture_off capture_on; do
  a=()
  case $c in
    not_recording) a=(-d "extension=$so" -d bvapm.ring=bench -d bvapm.cli_enabled=0) ;;
    capture_off) a=(-d "extension=$so" -d bvapm.ring=bench -d bvapm.cli_enabled=1 -d bvapm.mode=aggressive
                    -d bvapm.overhead_budget_us=0 -d bvapm.profile=0 -d bvapm.cache_capture=0) ;;
    capture_on) a=(-d "extension=$so" -d bvapm.ring=bench -d bvapm.cli_enabled=1 -d bvapm.mode=aggressive
                   -d bvapm.overhead_budget_us=0 -d bvapm.profile=0) ;;
  esac
  per=$(BVAPM_SHM_DIR="$shm" per_op $n1 $n2 "$out" \
        php -n "${a[@]}" -d extension=igbinary -d extension=redis "$out/s.php" "$out/redis.sock") || exit 1
  [ "$c" = off ] && base=$per
  printf '%-14s %18d %8d\n' "$c" "$per" $((per - base))
  summary+=" get_${c}=$per"
done
echo "$summary"
