#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Engine tests: runs PHP's own tests (Zend/tests, tests/lang of the installed
# PHP, fetched from Debian's php8.2 source package by fetch-php-tests.sh) with
# run-tests.php twice per pair — without bvapm.so, then with it loaded in
# aggressive mode recording every test's PHP process into a real ring that a
# stand-in drainer (bvapm-fake-producer drain) consumes — and compares each test's
# result. Pairs: "plain" (no opcache) and "opcache" (opcache + tracing JIT,
# as php-fpm runs in production). Prints TAP, per pair:
#   - no test that passes without the extension fails with it (FAIL, BORK,
#     LEAK, crash), with each regression's diff;
#   - the extension recorded: records consumed from the ring >= tests passed,
#     and no record lost.
#
#   run-zend-tests.sh BVAPM_SO RING_TOOL [--full] [--no-opcache] [-j N]
#     default      the subset listed in zend-tests.subset (about 2 050 tests)
#     --full       all of Zend/tests and tests/lang (about 4 350 tests)
#     --no-opcache only the "plain" pair
# PHP's error log (error_log) is a file in every run, with and without the
# extension, as php-fpm has one: the extension's own log lines (one per
# process and kind of problem, e.g. the overhead guard tripping on a loaded
# machine) go there and are counted and shown, not compared; a script's
# output, warnings and errors included, is compared.
# Environment: BVAPM_ZEND_TESTS_KEEP=1 keeps the work folder (logs, diffs).
set -u
here=$(cd "$(dirname "$0")" && pwd)
so=$1 tool=$2; shift 2
full=0 pairs=(plain opcache) jobs=2
while [ $# -gt 0 ]; do
  case $1 in
    --full) full=1 ;;
    --no-opcache) pairs=(plain) ;;
    -j) jobs=$2; shift ;;
    *) echo "usage: run-zend-tests.sh BVAPM_SO RING_TOOL [--full] [--no-opcache] [-j N]" >&2
       exit 2 ;;
  esac
  shift
done
. "$here/php-run-tests.sh"

if ! src=$("$here/fetch-php-tests.sh"); then
  echo "1..0 # SKIP PHP's tests could not be fetched from Debian's php8.2 source package"
  exit 0
fi
echo "1..$((2 * ${#pairs[@]}))"
echo "# PHP tests of php8.2 $(cat "$src/VERSION") from $src; PHP $(php -r 'echo PHP_VERSION;')"

work=$(mktemp -d)
shm=$(mktemp -d /dev/shm/bvapm-zend-XXXXXX)
chmod 0777 "$shm"
drainer=""
cleanup() {
  [ -n "$drainer" ] && kill "$drainer" 2>/dev/null
  rm -rf "$shm"
  if [ "${BVAPM_ZEND_TESTS_KEEP:-0}" = 1 ]; then echo "# kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
export BVAPM_SHM_DIR=$shm

# The test list, relative to the PHP source root.
(
  cd "$src" || exit 1
  if [ $full = 1 ]; then
    find Zend/tests tests/lang -name '*.phpt'
  else
    grep -v '^[[:space:]]*\(#\|$\)' "$here/zend-tests.subset" | while read -r pat; do
      case $pat in
        */) find "$pat" -name '*.phpt' ;;
        *) compgen -G "$pat" || true ;;
      esac
    done
  fi
) | sort -u > "$work/list"
echo "# $(wc -l < "$work/list") tests ($([ $full = 1 ] && echo full || echo subset)), run-tests.php -j$jobs"

opcache=(-d zend_extension=opcache.so -d opcache.enable_cli=1 -d opcache.jit=tracing
         -d opcache.jit_buffer_size=16M -d opcache.protect_memory=1)
bvapm=(-d "extension=$so" -d bvapm.cli_enabled=1 -d bvapm.mode=aggressive -d bvapm.ring=zend)

# run NAME [php -d settings...]: one run-tests.php run over a private copy of
# the tests (run-tests.php writes its .out/.diff files beside each test).
run() {
  local name=$1; shift
  local dir=$work/$name
  mkdir -p "$dir"
  cp -r "$src/Zend" "$src/tests" "$dir/"
  sed "s#^#$dir/#" "$work/list" > "$dir.list"
  TEST_PHP_EXECUTABLE=$(command -v php) NO_INTERACTION=1 \
    php -n -d variables_order=EGPCS "$RUN_TESTS" -q --no-color -j"$jobs" -n \
      -p "$(command -v php)" -d "error_log=$dir.php-errors.log" "$@" -r "$dir.list" \
      > "$dir.log" 2>&1
  echo "# $name: $(grep -E '^(Tests (passed|failed|skipped)|Time taken)' "$dir.log" | tr -s ' ' | paste -sd';')"
}

num=0 failed=0
for pair in "${pairs[@]}"; do
  extra=()
  [ "$pair" = opcache ] && extra=("${opcache[@]}")
  run "$pair" "${extra[@]}"

  "$tool" create zend $((16 << 20)) || exit 1
  "$tool" drain zend 100000 > "$work/$pair.records" &
  drainer=$!
  run "$pair+bvapm" "${extra[@]}" "${bvapm[@]}"
  stats=$("$tool" stat zend 2>/dev/null)
  kill -TERM "$drainer"; wait "$drainer"; drainer=""

  num=$((num + 1))
  python3 "$here/compare-phpt-runs.py" "$num" "$pair" "$work/$pair.log" "$work/$pair" \
    "$work/$pair+bvapm.log" "$work/$pair+bvapm" || failed=1

  logged=$(grep -c 'bvapm:' "$work/$pair+bvapm.php-errors.log" 2>/dev/null)
  if [ "${logged:-0}" -gt 0 ]; then
    echo "# bvapm.so logged ${logged} lines to PHP's error log; by kind:"
    grep -o 'bvapm: .*' "$work/$pair+bvapm.php-errors.log" |
      sed -E 's/pid [0-9]+/pid N/; s/[0-9]+ us passed/T us passed/' | sort | uniq -c | sed 's/^/#   /'
  fi

  num=$((num + 1))
  records=$(cat "$work/$pair.records")
  passed=$(grep -cE '(^|[[:space:]])PASS[[:space:]]' "$work/$pair+bvapm.log")
  lost=$(echo "$stats" | awk '/^lost_total/ {print $2}')
  if [ "${records:-0}" -ge "$passed" ] && [ "$passed" -gt 0 ] && [ "${lost:-x}" = 0 ]; then
    echo "ok $num - $pair: bvapm.so recorded $records records into the ring ($passed tests passed, 0 lost)"
  else
    echo "not ok $num - $pair: bvapm.so recorded ${records:-?} records for $passed passed tests, lost ${lost:-?}"
    echo "$stats" | sed 's/^/# /'
    failed=1
  fi
done
exit $failed
