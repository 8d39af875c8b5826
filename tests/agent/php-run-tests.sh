# SPDX-License-Identifier: Apache-2.0
# php-run-tests.sh — sourced by the scripts that run .phpt files: sets
# RUN_TESTS to PHP's own run-tests.php (shipped by php8.2-dev under the
# extension API folder, e.g. /usr/lib/php/20220829/build/run-tests.php),
# unless the caller set it (phpize's `make test`: the copy phpize made).
if [ -z "${RUN_TESTS:-}" ]; then
  RUN_TESTS=$(php-config --extension-dir)/build/run-tests.php
  [ -f "$RUN_TESTS" ] || RUN_TESTS=/usr/lib/php/$(php-config --phpapi)/build/run-tests.php
fi
