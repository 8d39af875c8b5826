#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Instructions bvapm.so adds per request, counted by callgrind: repeatable
# to the instruction whatever else the machine is doing (unlike time on a
# shared 2-core box). php-cgi -T runs the request lifecycle N times in one
# process; running N1 and N2 requests and dividing the difference by N2-N1
# removes start-up and shutdown. php-cgi runs with an empty environment, as
# its getenv() scans the environment where php-fpm looks FastCGI params up in
# a hash. Configs: off (no extension); noprofile (loaded, bvapm.profile=0,
# unsampled); unsampled, light (the observer registered, request not
# profiled); aggressive (profiled). bench/profile_calls.php (1 973 calls per
# request) shows the per-call costs. Prints a table and one SUMMARY line.
#   bench/agent_instructions.sh BVAPM_SO FAKE_PRODUCER [SCRIPT]
# FAKE_PRODUCER: bvapm-fake-producer (testing/), which creates the ring.
set -u
so=$1 tool=$2 script=${3:-$(cd "$(dirname "$0")/../testing/www" && pwd)/plain.php}
shm=$(mktemp -d /dev/shm/bvapm-cg-XXXXXX) out=$(mktemp -d)
trap 'rm -rf "$shm" "$out"' EXIT
BVAPM_SHM_DIR=$shm "$tool" create bench $((64 << 20)) || exit 1
cgi=$(command -v php-cgi8.2 || command -v php-cgi) vg=$(command -v valgrind)
n1=200 n2=1200
summary="SUMMARY bench=agent-instructions"
printf '%-11s %22s %12s\n' config instructions/request added
for c in off noprofile unsampled light aggressive; do
  a=()
  case $c in
    noprofile) a=(-d "extension=$so" -d bvapm.ring=bench -d bvapm.sample_rate=0 -d bvapm.profile=0) ;;
    unsampled) a=(-d "extension=$so" -d bvapm.ring=bench -d bvapm.sample_rate=0) ;;
    light) a=(-d "extension=$so" -d bvapm.ring=bench -d bvapm.sample_rate=0.01) ;;
    aggressive) a=(-d "extension=$so" -d bvapm.ring=bench -d bvapm.mode=aggressive) ;;
  esac
  # callgrind runs ~50x slower: the overhead guard would see every request
  # over budget and measure requests with detail reduced
  [ "$c" != off ] && a+=(-d bvapm.overhead_budget_us=0)
  counts=()
  for n in $n1 $n2; do
    env -i BVAPM_SHM_DIR="$shm" "$vg" --tool=callgrind --callgrind-out-file="$out/cg" \
      "$cgi" -n "${a[@]}" -T $n "$script" > /dev/null 2> "$out/err" || { cat "$out/err"; exit 1; }
    counts+=("$(awk '/^summary/ {print $2}' "$out/cg")")
  done
  per=$(( (counts[1] - counts[0]) / (n2 - n1) ))
  [ "$c" = off ] && base=$per
  printf '%-11s %22d %12d\n' "$c" "$per" $((per - base))
  summary+=" ${c}_instructions=$per ${c}_added=$((per - base))"
done
echo "$summary"
