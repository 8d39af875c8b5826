#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bvapm on a real application, beside its peers in one run: Debian's
# WordPress (testing/wordpress.sh: a private MariaDB, the package's site with
# its fixture content, WordPress's cron off) behind nginx + php-fpm (opcache,
# tracing JIT), its front page loaded by wrk -c4, under these conditions:
#   none                  no extension
#   bvapm-unsampled       bvapm.so, light mode, sample rate 0
#   bvapm-light           light mode, 1% recorded (the default)
#   bvapm-light-sampling  light mode, 1%, and the sampling profile at 100 Hz
#   bvapm-aggressive      every request recorded with the function profile
#   bvapm-aggressive-fold the same, cheap built-ins folded (bvapm.profile_fold_ns=1000)
#   bvapm-aggressive-noprofile  every request recorded, bvapm.profile=0
#   bvapm-targeted        targeted mode, no request forced
#   tideways-loaded       tideways_xhprof loaded, not enabled
#   tideways-wall         tideways_xhprof profiling every request, wall time only
#   tideways              the same with CPU and memory (bench/www/tideways_prepend.php)
#   excimer               Excimer sampling every request every 10 ms (bench/www/excimer_prepend.php)
#   xdebug-profile        Xdebug's profiler writing a cachegrind file per request
# Records go into a ring emptied by a stand-in consumer (bvapm-fake-producer
# drain): the agent's cost, not the drainer's. Conditions run interleaved,
# ROUNDS times, their order rotating each round; each run starts php-fpm
# afresh and warms it up for 2 s. bench/profile_report.py prints the medians,
# the ratios to "none" (req/s, p50, p99; per round, then the median) and one
# SUMMARY line; the text, the JSON and a plot of the req/s ratios
# (app_bench-STAMP.png) go to bench/results/ (or $BENCH_RESULTS). Then
# callgrind counts the instructions of a warm front-page request (php-cgi -T,
# the same site: a process serving 5 requests minus one serving 1, so that
# WordPress's compilation in a process's first request is left out), in all
# and inside bvapm.so, without the extension and with bvapm unsampled,
# unsampled with sampling, unsampled with the observer registered
# (bvapm.profile=1), aggressive and aggressive with folding
# (BENCH_CALLGRIND=0 skips it; ROUNDS 0 runs it alone).
#   bench/app_bench.sh BVAPM_SO FAKE_PRODUCER [SECONDS] [ROUNDS] [CONDITIONS]
# Needs root (testing/wordpress.sh writes /etc/wordpress/config-HOST.php) and
# the packages of scripts/install-deps.
set -u
so=$(realpath "$1") tool=$(realpath "$2") secs=${3:-5} rounds=${4:-3}
read -r -a conds <<< "${5:-none bvapm-unsampled bvapm-light bvapm-light-sampling bvapm-aggressive bvapm-aggressive-fold bvapm-aggressive-noprofile bvapm-targeted tideways-loaded tideways-wall tideways excimer xdebug-profile}"
[ "$(id -u)" -eq 0 ] || { echo "app_bench: needs root (WordPress's configuration goes to /etc/wordpress)"; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../testing/stack.sh"
. "$here/../testing/mariadb.sh"
. "$here/../testing/wordpress.sh"
. "$here/wrk.sh"
results=${BENCH_RESULTS:-$here/results}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
dir=$(mktemp -d); shm=$(mktemp -d /dev/shm/bvapm-appbench-XXXXXX)
chmod 0755 "$dir"; chmod 0777 "$shm"
mkdir -p "$dir/profiles" "$results"; chmod 0777 "$dir/profiles"
export BVAPM_SHM_DIR=$shm BENCH_PROFILE_DIR=$dir/profiles
discard=""
cleanup() {
  wp_stop
  [ -n "$discard" ] && kill "$discard" 2>/dev/null && wait "$discard" 2>/dev/null
  rm -rf "$dir" "$shm"
}
trap cleanup EXIT
exec > >(tee "$results/app_bench-$stamp.txt") 2>&1

echo "app_bench: $(date -u) host $(hostname) $(nproc) CPUs, PHP $(php -r 'echo PHP_VERSION;')," \
  "WordPress $(dpkg-query -W -f '${Version}' wordpress 2>/dev/null)," \
  "tideways_xhprof $(dpkg-query -W -f '${Version}' php8.2-tideways 2>/dev/null)," \
  "excimer $(dpkg-query -W -f '${Version}' php-excimer 2>/dev/null)," \
  "xdebug $(dpkg-query -W -f '${Version}' php8.2-xdebug 2>/dev/null)"
echo "bvapm.so: $so (tree $(git -C "$here/.." describe --always --dirty 2>/dev/null))"
echo "wrk -t2 -c4 -d${secs}s on the front page, $rounds rounds, conditions: ${conds[*]}"

"$tool" create bench $((64 << 20)) || exit 1
"$tool" drain bench 1000000 > /dev/null &
discard=$!
wp_setup "$dir/site" "$(free_port)" || exit 1

# serve CONDITION: php-fpm and nginx for one condition
serve() {
  local b=(bvapm.overhead_budget_us=0) # the guard would turn detail down under this load
  local tw=(extension=tideways_xhprof.so "auto_prepend_file=$here/www/tideways_prepend.php")
  case $1 in
    none) wp_serve "$dir/stack" "" bench light ;;
    bvapm-unsampled) wp_serve "$dir/stack" "$so" bench light bvapm.sample_rate=0 "${b[@]}" ;;
    bvapm-light) wp_serve "$dir/stack" "$so" bench light bvapm.sample_rate=0.01 "${b[@]}" ;;
    bvapm-light-sampling) wp_serve "$dir/stack" "$so" bench light bvapm.sample_rate=0.01 \
                            bvapm.sampling_hz=100 "${b[@]}" ;;
    bvapm-aggressive) wp_serve "$dir/stack" "$so" bench aggressive "${b[@]}" ;;
    bvapm-aggressive-fold) wp_serve "$dir/stack" "$so" bench aggressive bvapm.profile_fold_ns=1000 "${b[@]}" ;;
    bvapm-aggressive-noprofile) wp_serve "$dir/stack" "$so" bench aggressive bvapm.profile=0 "${b[@]}" ;;
    bvapm-targeted) wp_serve "$dir/stack" "$so" bench targeted "${b[@]}" ;;
    tideways-loaded) wp_serve "$dir/stack" "" bench light extension=tideways_xhprof.so ;;
    tideways-wall) BENCH_TIDEWAYS_FLAGS=0 wp_serve "$dir/stack" "" bench light "${tw[@]}" ;;
    tideways) wp_serve "$dir/stack" "" bench light "${tw[@]}" ;;
    excimer) wp_serve "$dir/stack" "" bench light extension=excimer.so \
               "auto_prepend_file=$here/www/excimer_prepend.php" ;;
    xdebug-profile) wp_serve "$dir/stack" "" bench light zend_extension=xdebug.so xdebug.mode=profile \
                      xdebug.start_with_request=yes "xdebug.output_dir=$dir/profiles" ;;
    *) echo "unknown condition $1"; return 1 ;;
  esac
}

# fpm_cpu_ms: CPU time (user + system, ms) php-fpm's workers have used so far;
# per request it is steadier than req/s on a shared machine (it leaves out
# time spent waiting for a CPU another process had)
tck=$(getconf CLK_TCK)
fpm_cpu_ms() {
  local master pid t=0 u
  master=$(cat "$dir/stack/php-fpm.pid" 2>/dev/null) || { echo 0; return; }
  for pid in $(pgrep -P "$master"); do
    u=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}') && t=$((t + ${u:-0}))
  done
  echo $((t * 1000 / tck))
}

url=http://127.0.0.1:$WP_PORT/
runs=$dir/runs.tsv cpu_runs=$dir/cpu.tsv
for ((r = 1; r <= rounds; r++)); do
  order=("${conds[@]:$(((r - 1) % ${#conds[@]}))}" "${conds[@]:0:$(((r - 1) % ${#conds[@]}))}")
  for c in "${order[@]}"; do
    serve "$c" || exit 1
    code=$(wp_curl / -o /dev/null -w '%{http_code}')
    [ "$code" = 200 ] || { echo "$c: the front page answered $code"; tail -n 5 "$dir"/stack/*.log; exit 1; }
    wrk -t1 -c4 -d2s -H "Host: $WP_HOSTPORT" "$url" > /dev/null # warm-up (opcache, JIT)
    cpu0=$(fpm_cpu_ms)
    wrk_measure "$url" "$secs" 4 -H "Host: $WP_HOSTPORT" || { echo "wrk failed"; exit 1; }
    cpu_ms=$(awk -v c=$(($(fpm_cpu_ms) - cpu0)) -v r="$WRK_RPS" -v s="$secs" 'BEGIN {printf "%.2f", c / (r * s)}')
    stack_stop
    rm -f "$dir"/profiles/cachegrind.out.* # xdebug's files: up to a MiB per request
    [ "$WRK_ERRORS" -gt 0 ] && { echo "$c: $WRK_ERRORS failed requests"; tail -n 5 "$dir"/stack/*.log; }
    printf 'round %d %-28s %8.1f req/s  p50 %9.1f us  p99 %9.1f us  errors %s  php-fpm CPU %s ms/request\n' \
      "$r" "$c" "$WRK_RPS" "$WRK_P50_US" "$WRK_P99_US" "$WRK_ERRORS" "$cpu_ms"
    printf '%s\t%s\t%s\n' "$r" "$c" "$cpu_ms" >> "$cpu_runs"
    printf '%s\tfront-page\t%s\t%s\t%s\t%s\t%s\n' "$r" "$c" "$WRK_RPS" "$WRK_P50_US" "$WRK_P99_US" \
      "$WRK_ERRORS" >> "$runs"
  done
done
if ((rounds > 0)); then # ROUNDS 0: the instruction counts alone
python3 "$here/profile_report.py" --name app "$runs" "$results/app_bench-$stamp.json" "${conds[@]}"
# php-fpm's CPU per request: median of the rounds, and the median of each
# round's ratio to "none" in the same round
python3 - "$cpu_runs" "${conds[@]}" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
cpu = {}
for rnd, cond, ms in rows:
    cpu.setdefault(cond, {})[rnd] = float(ms)
print("\nphp-fpm CPU per request (user + system; steadier than req/s on a shared machine)")
print(f"{'condition':28} {'ms/request':>10} {'ratio':>7}")
summary = "SUMMARY bench=app-cpu"
for cond in sys.argv[2:]:
    if cond not in cpu:
        continue
    med = statistics.median(cpu[cond].values())
    line = f"{cond:28} {med:10.2f}"
    if "none" in cpu:
        ratios = [cpu[cond][r] / cpu["none"][r] for r in cpu[cond] if r in cpu["none"] and cpu["none"][r] > 0]
        if ratios:
            ratio = statistics.median(ratios)
            line += f" {ratio:7.3f}"
            summary += f" {cond}.cpu_ratio={ratio:.3f}"
    summary += f" {cond}.cpu_ms={med:.2f}"
    print(line)
print(summary)
PY

# the plot: req/s ratio to "none" per condition
python3 - "$results/app_bench-$stamp.json" > "$dir/ratios.dat" <<'PY'
import json, sys
for cond, v in json.load(open(sys.argv[1]))["front-page"].items():
    print(f'"{cond}" {v["rps_ratio"]:.3f}')
PY
gnuplot <<GP 2>/dev/null && echo "plot: $results/app_bench-$stamp.png"
set terminal pngcairo size 1000,480 noenhanced
set output "$results/app_bench-$stamp.png"
set title "WordPress front page, req/s relative to no extension (median of $rounds rounds, wrk -c4, $(nproc) CPUs)"
set style fill solid 0.6
set boxwidth 0.7
set yrange [0:1.4]
set grid ytics
set xtics rotate by -35
plot "$dir/ratios.dat" using 0:2:xtic(1) with boxes notitle, "" using 0:2:(sprintf("%.2f", \$2)) with labels offset 0,0.7 notitle
GP
fi

# ---- instructions per request (callgrind, php-cgi -T on the same site) -----------
# A warm request's instructions: one php-cgi process serving 1 request, and
# one serving 1 + N (N = 4), the difference divided by N — the first request
# of a process compiles WordPress (over a billion instructions), which an
# average over all of them would count as if every request paid it. Counted
# in all and inside bvapm.so itself (callgrind's self cost by object); the
# ratio is none's total to the condition's (a throughput ratio at equal
# instructions per cycle). The engine's work for the agent — the observer's
# per-call check once it is registered, its calls of the profile's handlers,
# the interrupt checks the sampling profile asks for — is in the total, not
# in bvapm.so. WordPress's own work per request moves by a few hundred
# thousand instructions between processes (its caches, time-dependent
# paths). opcache without the JIT by default; BENCH_CALLGRIND_JIT=1 counts
# with the tracing JIT php-fpm runs above (valgrind then checks every write
# for new code, --smc-check=all, and the JIT compiles what the uncounted
# first request and the first of each count make hot; ≈ 75 min on 2 cores
# against a few without it). The samples are
# wall-time ticks and a request under callgrind takes seconds: the sampling
# row is an upper bound.
[ "${BENCH_CALLGRIND:-1}" = 0 ] && exit 0
cgi=$(command -v php-cgi8.2 || command -v php-cgi)
warm=4
jit=(-d opcache.jit=off) vg_jit=()
if [ "${BENCH_CALLGRIND_JIT:-0}" = 1 ]; then
  jit=(-d opcache.jit=tracing -d opcache.jit_buffer_size=16M) vg_jit=(--smc-check=all)
fi
cgi_run() { # cgi_run [WRAPPER...] -- N -d settings...: php-cgi -T N on the front page
  local w=()
  while [ "$1" != -- ]; do w+=("$1"); shift; done
  shift
  local n=$1; shift
  env -i PATH=/usr/bin:/bin BVAPM_SHM_DIR="$shm" REQUEST_METHOD=GET REQUEST_URI=/ SCRIPT_NAME=/index.php \
    SCRIPT_FILENAME=$WP_ROOT/index.php HTTP_HOST="$WP_HOSTPORT" SERVER_NAME="$WP_HOST" \
    SERVER_PORT="$WP_PORT" REDIRECT_STATUS=200 \
    "${w[@]}" "$cgi" -n -T "$n" -d zend_extension=opcache.so -d opcache.enable=1 "${jit[@]}" \
      "${WP_PHP_MODULES[@]/#/-d}" "$@" "$WP_ROOT/index.php" > /dev/null 2> "$dir/cg.err"
}
count() { # count N -d settings...: "total bvapm.so" instructions of a process serving N requests
  local n=$1; shift
  # a request first, not counted: work WordPress does once a while has
  # passed (options and transients it writes back) falls there
  cgi_run -- 1 "$@"
  cgi_run valgrind --tool=callgrind "${vg_jit[@]}" --callgrind-out-file="$dir/cg.out" -- "$n" "$@"
  local total agent
  total=$(awk '/^summary:|^totals:/ {print $2; exit}' "$dir/cg.out")
  agent=$("$here/callgrind_objects.py" "$dir/cg.out" | awk -F'\t' '$1 ~ /bvapm\.so$/ {n += $3} END {print n + 0}')
  echo "$total $agent"
}
printf '\nwarm request (php-cgi -T 1+%d minus -T 1, per request; %s)\n%-30s %14s %16s %9s\n' "$warm" \
  "$([ ${#vg_jit[@]} -gt 0 ] && echo "tracing JIT" || echo "no JIT")" condition \
  "total" "in bvapm.so" "ratio"
summary="SUMMARY bench=app-instructions jit=$([ ${#vg_jit[@]} -gt 0 ] && echo tracing || echo off)"
none_total=""
for c in none bvapm-unsampled bvapm-unsampled-sampling bvapm-observer-registered bvapm-aggressive \
         bvapm-aggressive-fold; do
  a=()
  ring=(-d "extension=$so" -d bvapm.ring=bench -d bvapm.overhead_budget_us=0)
  case $c in
    bvapm-unsampled) a=("${ring[@]}" -d bvapm.sample_rate=0) ;;
    bvapm-unsampled-sampling) a=("${ring[@]}" -d bvapm.sample_rate=0 -d bvapm.sampling_hz=100) ;;
    # the engine's cost of a registered observer that observes nothing
    bvapm-observer-registered) a=("${ring[@]}" -d bvapm.sample_rate=0 -d bvapm.profile=1) ;;
    bvapm-aggressive) a=("${ring[@]}" -d bvapm.mode=aggressive) ;;
    # under callgrind a call runs tens of times slower: the threshold scaled
    # (50 us for 1 us) so that the same built-ins fold
    bvapm-aggressive-fold) a=("${ring[@]}" -d bvapm.mode=aggressive -d bvapm.profile_fold_ns=50000) ;;
  esac
  read -r t1 s1 <<< "$(count 1 "${a[@]}")"
  read -r tn sn <<< "$(count $((1 + warm)) "${a[@]}")"
  [ -n "$t1" ] && [ -n "$tn" ] || { echo "callgrind failed: $(tail -n 3 "$dir/cg.err")"; exit 1; }
  total=$(((tn - t1) / warm)) agent=$(((sn - s1) / warm))
  [ -z "$none_total" ] && none_total=$total
  ratio=$(echo "$none_total / $total" | bc -l)
  printf '%-30s %14d %16d %9.3f  (bvapm.so %.4f%% of the total; first request %d)\n' "$c" "$total" "$agent" \
    "$ratio" "$(echo "$agent * 100 / $total" | bc -l)" "$t1"
  summary+=" ${c}_total=$total ${c}_agent=$agent $(printf '%s_ratio=%.3f' "$c" "$ratio")"
done
echo "$summary"
