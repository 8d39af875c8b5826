#!/usr/bin/env bash
# Runs the extension's .phpt tests with PHP's own run-tests.php against the
# built bvapm.so, with ring files in a private directory under /dev/shm.
#   run-phpt.sh BVAPM_SO RING_TOOL PHPT_DIR
set -u
so=$1 tool=$2 dir=$3
run_tests=$(php-config --extension-dir)/build/run-tests.php
[ -f "$run_tests" ] || run_tests=$(dirname "$(php-config --extension-dir)")/$(basename "$(php-config --extension-dir)")/build/run-tests.php
[ -f "$run_tests" ] || run_tests=/usr/lib/php/$(php-config --phpapi)/build/run-tests.php
shm=$(mktemp -d /dev/shm/bvapm-phpt-XXXXXX)
work=$(mktemp -d)
trap 'rm -rf "$shm" "$work"' EXIT
chmod 0777 "$shm"
cp "$dir"/*.phpt "$dir"/*.inc "$work"/
export BVAPM_SHM_DIR=$shm BVAPM_TEST_RING_TOOL=$tool BVAPM_TEST_EXTENSION=$so
export TEST_PHP_EXECUTABLE=$(command -v php) NO_INTERACTION=1 REPORT_EXIT_STATUS=1
out=$(php -n -d variables_order=EGPCS "$run_tests" -q --no-color --show-diff -p "$TEST_PHP_EXECUTABLE" \
      -d "extension=$so" "$work" 2>&1)
rc=$?
echo "$out"
if echo "$out" | grep -qE '^(FAIL|BORK|LEAK)'; then exit 1; fi
echo "$out" | grep -qE 'Tests passed *: *[1-9]' || exit 1
exit $rc
