#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Instructions per profiled call, counted by callgrind (repeatable whatever
# the load): bench/profile_loop.php runs N calls of a one-line user function,
# and the same loop with the work inline; the difference per iteration is
# one call. Configs: off (no extension), registered (bvapm.profile=1, request
# not profiled: the engine's per-call observer check), aggressive (every
# call profiled), aggressive with the clock forced to clock_gettime
# (bvapm.profile_clock=clock_gettime). For aggressive, the added instructions are
# split by where they run: inside bvapm.so, in the clock (vDSO/libc's
# clock_gettime) and the rest (the engine calling the handlers). Prints a
# table and one SUMMARY line.
#   bench/profile_call_instructions.sh BVAPM_SO FAKE_PRODUCER
set -u
so=$(realpath "$1") tool=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/callgrind_per_op.sh"
shm=$(mktemp -d /dev/shm/bvapm-cg-XXXXXX) out=$(mktemp -d)
trap 'rm -rf "$shm" "$out"' EXIT
BVAPM_SHM_DIR=$shm "$tool" create bench $((64 << 20)) || exit 1
cgi=$(command -v php-cgi8.2 || command -v php-cgi)
n1=2000 n2=12000
# objects FILE: "bvapm clock" instructions of a callgrind output: inside
# bvapm.so, and in clock_gettime (libc's wrapper; under valgrind the vDSO
# is not used, so what a real clock read costs is not in these counts)
objects() {
  "$here/callgrind_objects.py" "$1" | awk -F'\t' '
    $1 ~ /bvapm\.so$/ { b += $3 }
    $2 ~ /clock_gettime/ { c += $3 }
    END { print b + 0, c + 0 }'
}
# run CONFIG MODE N: total bvapm clock
run() {
  local c=$1 mode=$2 n=$3 a=()
  case $c in
    registered) a=(-d "extension=$so" -d bvapm.ring=bench -d bvapm.sample_rate=0 -d bvapm.profile=1) ;;
    aggressive) a=(-d "extension=$so" -d bvapm.ring=bench -d bvapm.mode=aggressive) ;;
    aggressive-fallback) a=(-d "extension=$so" -d bvapm.ring=bench -d bvapm.mode=aggressive)
                         a+=(-d bvapm.profile_clock=clock_gettime) ;;
  esac
  [ "$c" != off ] && a+=(-d bvapm.overhead_budget_us=0)
  env -i BVAPM_SHM_DIR="$shm" valgrind --tool=callgrind --callgrind-out-file="$out/cg" \
    "$cgi" -n -q "${a[@]}" "$here/profile_loop.php" "$mode" "$n" > /dev/null 2> "$out/err" ||
    { cat "$out/err" >&2; return 1; }
  echo "$(awk '/^summary/ {print $2}' "$out/cg") $(objects "$out/cg")"
}
printf '%-20s %12s %10s %10s %10s %10s\n' config per-call added bvapm.so clock engine
summary="SUMMARY bench=profile-call-instructions"
for c in off registered aggressive aggressive-fallback; do
  read -r t1 b1 k1 <<< "$(run "$c" call $n1)" && read -r t2 b2 k2 <<< "$(run "$c" call $n2)" &&
    read -r u1 _ _ <<< "$(run "$c" inline $n1)" && read -r u2 _ _ <<< "$(run "$c" inline $n2)" || exit 1
  d=$((n2 - n1))
  per=$(( ((t2 - t1) - (u2 - u1)) / d ))
  [ "$c" = off ] && base=$per
  ours=$(( (b2 - b1) / d )) clk=$(( (k2 - k1) / d ))
  added=$((per - base))
  printf '%-20s %12d %10d %10d %10d %10d\n' "$c" "$per" "$added" "$ours" "$clk" $((added - ours - clk))
  summary+=" ${c}_per_call=$per ${c}_added=$added ${c}_bvapm=$ours ${c}_clock=$clk"
done
echo "$summary"
