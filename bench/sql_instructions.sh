#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Instructions SQL capture adds per statement, counted by callgrind (repeatable
# whatever else the machine does): php-cli runs N1 then N2 PDO-SQLite
# statements of one kind in one request; the difference divided by N2-N1 is
# the cost of one statement. Kinds: `query` (PDO::query with an inlined
# literal, eight distinct texts: after the first eight the statement cache
# answers), `query_new` (a new text every time: normalized every time) and
# `execute` (a prepared statement's execute() + fetchColumn()). Configurations: off (extension not loaded),
# not_recording (loaded, the request not recorded: bvapm.cli_enabled=0, the
# same path as the kill switch), capture_on (aggressive). Prints a table and
# one SUMMARY line.
#   bench/sql_instructions.sh BVAPM_SO FAKE_PRODUCER
# FAKE_PRODUCER: bvapm-fake-producer (testing/), which creates the ring.
set -u
so=$1 tool=$2
. "$(dirname "$0")/callgrind_per_op.sh"
shm=$(mktemp -d /dev/shm/bvapm-sqlcg-XXXXXX) out=$(mktemp -d)
trap 'rm -rf "$shm" "$out"' EXIT
BVAPM_SHM_DIR=$shm "$tool" create bench $((16 << 20)) || exit 1
cat > "$out/s.php" <<'PHP'
<?php
[, $kind, $n] = $argv;
$db = new PDO('sqlite::memory:');
$db->exec("CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT)");
$db->exec("INSERT INTO authors VALUES (7, 'ann')");
$st = $db->prepare("SELECT name FROM authors WHERE id = ?");
for ($i = 0; $i < $n; $i++) {
    if ($kind === 'query') { $db->query("SELECT name FROM authors WHERE id = " . ($i % 8))->fetchColumn(); }
    elseif ($kind === 'query_new') { $db->query("SELECT name FROM authors WHERE id = " . $i)->fetchColumn(); }
    else { $st->execute([$i % 8]); $st->fetchColumn(); }
}
PHP
n1=200 n2=1200
summary="SUMMARY bench=sql-instructions"
printf '%-10s %-14s %18s %8s\n' kind config instructions/stmt added
for kind in query query_new execute; do
  for c in off not_recording capture_on; do
    a=()
    case $c in
      not_recording) a=(-d "extension=$so" -d bvapm.ring=bench -d bvapm.cli_enabled=0) ;;
      capture_on) a=(-d "extension=$so" -d bvapm.ring=bench -d bvapm.cli_enabled=1 -d bvapm.mode=aggressive -d bvapm.overhead_budget_us=0) ;;
    esac
    per=$(BVAPM_SHM_DIR="$shm" per_op $n1 $n2 "$out" \
          php -n "${a[@]}" -d extension=pdo -d extension=pdo_sqlite "$out/s.php" "$kind") || exit 1
    [ "$c" = off ] && base=$per
    printf '%-10s %-14s %18d %8d\n' "$kind" "$c" "$per" $((per - base))
    summary+=" ${kind}_${c}=$per"
  done
done
echo "$summary"
