#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The phpize build as a user runs it, in a copy of the tree: phpize &&
# ./configure && make && make test in agent/; bvapm.so loads and every .phpt
# passes against it; `phpize --clean` leaves git nothing to report.
#   test_phpize_build.sh SOURCE_ROOT
set -u
root=$1
source "$root/tests/lib/common.sh"
scratch phpize 0755  # a test runs php as nobody: the module must be readable
unset BVAPM_SHM_DIR  # make test makes its own ring directory
src=$dir/bvapm
mkdir "$src"
git -C "$root" ls-files -z -co --exclude-standard | tar -C "$root" --null -cf - -T - | tar -C "$src" -xf -
git -C "$src" init -q && git -C "$src" add -A && git -C "$src" -c user.name=t -c user.email=t@t commit -qm tree

cd "$src/agent"
(phpize8.2 && ./configure --with-php-config=php-config8.2 && make -j2) > "$dir/build.log" 2>&1
check "phpize && ./configure && make builds modules/bvapm.so" "[ $? = 0 ] && [ -f modules/bvapm.so ]" \
  "$(tail -20 "$dir/build.log")"
ri=$(php -n -d "extension=$PWD/modules/bvapm.so" --ri bvapm 2>&1)
check "php --ri bvapm with the phpize-built module" "echo \"\$ri\" | grep -q 'bvapm support => enabled'" "$ri"
NO_INTERACTION=1 make test > "$dir/test.log" 2>&1; rc=$?
phpts=$(ls "$root"/tests/agent/phpt/*.phpt | wc -l)
check "make test exits 0" "[ $rc = 0 ]" "$(grep -E '^(FAIL|BORK|LEAK)' "$dir/test.log")"
# A .phpt may skip itself for what the machine lacks (an invariant TSC under
# kvm-clock, say); every other one must pass.
passed=$(sed -nE 's/^Tests passed +: +([0-9]+) .*/\1/p' "$dir/test.log")
skipped=$(sed -nE 's/^Tests skipped +: +([0-9]+) .*/\1/p' "$dir/test.log")
check "make test passes every .phpt that does not skip itself ($phpts = ${passed:-?} passed + ${skipped:-0} skipped)" \
  "[ -n '$passed' ] && [ \$(( $passed + ${skipped:-0} )) = $phpts ] && ! grep -qE '^(FAIL|BORK|LEAK)' '$dir/test.log'" \
  "$(grep -E '^TEST.*SKIP' "$dir/test.log" | sed -E 's/^TEST [0-9/]+ \[[^]]*\]//')"
git -C "$src" status --porcelain > "$dir/status"
check "git status shows nothing after the build (.gitignore)" "[ ! -s '$dir/status' ]" "$(head -20 "$dir/status")"
make clean >/dev/null 2>&1; phpize8.2 --clean >/dev/null 2>&1
check "phpize --clean: nothing left that git does not know" \
  "[ -z \"\$(git -C '$src' status --porcelain --ignored)\" ]" \
  "$(git -C "$src" status --porcelain --ignored | head -20)"
finish
