#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the extension's .phpt tests with PHP's own run-tests.php against the
# built bvapm.so, with ring files in a private directory under /dev/shm.
#   run-phpt.sh BVAPM_SO FAKE_PRODUCER PHPT_DIR   (bvapm-fake-producer, testing/)
# The PHP binary is $TEST_PHP_EXECUTABLE when set (phpize's `make test` sets it
# and RUN_TESTS from its php-config), `php` otherwise.
set -u
so=$1 tool=$2 dir=$3
. "$(dirname "$0")/php-run-tests.sh"
shm=$(mktemp -d /dev/shm/bvapm-phpt-XXXXXX)
work=$(mktemp -d)
trap 'rm -rf "$shm" "$work"' EXIT
chmod 0777 "$shm"
cp "$dir"/*.phpt "$dir"/*.inc "$work"/
export BVAPM_SHM_DIR=$shm BVAPM_TEST_RING_TOOL=$tool BVAPM_TEST_EXTENSION=$so
export TEST_PHP_EXECUTABLE=${TEST_PHP_EXECUTABLE:-$(command -v php)} NO_INTERACTION=1 REPORT_EXIT_STATUS=1
# The tests' own PHP reads no php.ini either (run-tests.php -n): a bvapm.ini the
# system has (php8.2-bvapm installed) would load the extension twice. It gets
# the one shared extension the tests call themselves (the children they start
# name theirs, bvapm_modules()).
ext=(-d "extension=$so")
"$TEST_PHP_EXECUTABLE" -n -m | grep -qx posix || ext+=(-d extension=posix)
out=$("$TEST_PHP_EXECUTABLE" -n -d variables_order=EGPCS "$RUN_TESTS" -q --no-color --show-diff -p "$TEST_PHP_EXECUTABLE" \
      -n "${ext[@]}" "$work" 2>&1)
rc=$?
echo "$out"
if echo "$out" | grep -qE '^(FAIL|BORK|LEAK)'; then exit 1; fi
echo "$out" | grep -qE 'Tests passed *: *[1-9]' || exit 1
exit $rc
