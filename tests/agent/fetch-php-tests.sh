#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fetches PHP's own engine tests (Zend/tests and tests/lang) from Debian's
# php8.2 source package with `apt-get source --download-only` (deb-src entries
# are added by scripts/add-deb-src), extracts only those two folders into a
# cache, and prints the extracted root (the folder holding Zend/ and tests/).
# Nothing is committed to the repository: the tests come from Debian at test
# time and are kept in the cache for the next run.
#
# Tries the installed php8.2 source version first, then the other php8.2
# source versions apt knows, newest first (a security update's source is not
# always on the mirror); the chosen version is written to VERSION in the
# printed folder.
#   fetch-php-tests.sh          cache: $BVAPM_PHP_TESTS_CACHE, else
#                               ${XDG_CACHE_HOME:-~/.cache}/bvapm/php-tests
# Exit status: 0 and the folder on stdout; 1 (reason on stderr) if no source
# could be fetched.
set -euo pipefail
cache=${BVAPM_PHP_TESTS_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/bvapm/php-tests}
mkdir -p "$cache"
exec 9> "$cache/.lock"
flock 9 # one fetch at a time (parallel build dirs share the cache)

installed=$(dpkg-query -W -f '${source:Version}' php8.2-cli 2>/dev/null || true)
versions=$( { [ -n "$installed" ] && echo "$installed"
              apt-cache showsrc php8.2 2>/dev/null | awk '/^Version:/ {print $2}' |
                sort -rV; } | awk '!seen[$0]++')
if [ -z "$versions" ]; then
  echo "fetch-php-tests: apt knows no php8.2 source (no deb-src entry? run scripts/install-deps)" >&2
  exit 1
fi

for v in $versions; do
  dir=$cache/$v
  if [ -f "$dir/.complete" ]; then
    echo "$dir"
    exit 0
  fi
done

tmp=$(mktemp -d "$cache/.fetch-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for v in $versions; do
  if ! (cd "$tmp" && apt-get source -qq --download-only "php8.2=$v" > apt.log 2>&1); then
    echo "fetch-php-tests: php8.2 $v source not available, trying an older one" >&2
    rm -f "$tmp"/php8.2_*
    continue
  fi
  orig=$(ls "$tmp"/php8.2_*.orig.tar.* | grep -v '\.asc$' | head -n1)
  mkdir -p "$tmp/x"
  tar -xf "$orig" -C "$tmp/x" --strip-components=1 --wildcards '*/Zend/tests/*' '*/tests/lang/*'
  echo "$v" > "$tmp/x/VERSION"
  touch "$tmp/x/.complete"
  rm -rf "${cache:?}/$v"
  mv "$tmp/x" "$cache/$v"
  [ "$v" = "$installed" ] ||
    echo "fetch-php-tests: using the tests of php8.2 $v (installed: $installed)" >&2
  echo "$cache/$v"
  exit 0
done
echo "fetch-php-tests: no php8.2 source could be downloaded (see apt-get source)" >&2
exit 1
