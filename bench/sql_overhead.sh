#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What SQL capture adds to each statement: one php-cli process runs N
# PDO-SQLite statements (in-memory database, one-row table) in two loops —
# PDO::query with an inlined literal (normalized every time) and a prepared
# statement executed N times (looked up by its object) — and prints the
# nanoseconds per statement. Configurations, interleaved ROUNDS times:
# off (extension not loaded), capture off (loaded, bvapm.sql_capture=0),
# capture on (aggressive: every request recorded). Prints medians and one
# SUMMARY line, with the agent's own time per statement from the records.
#   bench/sql_overhead.sh BVAPM_SO FAKE_PRODUCER [STATEMENTS] [ROUNDS]
# FAKE_PRODUCER: bvapm-fake-producer (testing/): creates the ring, dumps it.
set -u
so=$1 tool=$2 n=${3:-100000} rounds=${4:-5}
shm=$(mktemp -d /dev/shm/bvapm-sqlbench-XXXXXX)
export BVAPM_SHM_DIR=$shm
script=$(mktemp --suffix=.php)
trap 'rm -rf "$shm" "$script"' EXIT
"$tool" create bench $((16 << 20)) || exit 1
cat > "$script" <<'PHP'
<?php
$n = (int)$argv[1];
$db = new PDO('sqlite::memory:');
$db->exec("CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT)");
$db->exec("INSERT INTO authors VALUES (7, 'ann')");
$t = hrtime(true);
for ($i = 0; $i < $n; $i++) { $db->query("SELECT name FROM authors WHERE id = " . ($i % 8))->fetchColumn(); }
$q = (hrtime(true) - $t) / $n;
$st = $db->prepare("SELECT name FROM authors WHERE id = ?");
$t = hrtime(true);
for ($i = 0; $i < $n; $i++) { $st->execute([$i % 8]); $st->fetchColumn(); }
printf("%.0f %.0f\n", $q, (hrtime(true) - $t) / $n);
PHP
run() { # config
  local ext=()
  case $1 in
    off) ;;
    capture_off) ext=(-d "extension=$so" -d bvapm.cli_enabled=1 -d bvapm.ring=bench -d bvapm.mode=aggressive -d bvapm.sql_capture=0) ;;
    capture_on) ext=(-d "extension=$so" -d bvapm.cli_enabled=1 -d bvapm.ring=bench -d bvapm.mode=aggressive -d bvapm.overhead_budget_us=0) ;;
  esac
  php -n "${ext[@]}" -d extension=pdo -d extension=pdo_sqlite "$script" "$n" 2> "$shm/$1.log"
}
declare -A q p
agent=""
for r in $(seq "$rounds"); do
  for c in off capture_off capture_on; do
    read -r a b < <(run $c)
    q[$c]+="$a " p[$c]+="$b "
    echo "round $r $c: query ${a} ns, prepared execute ${b} ns"
  done
  # the agent's own time (record field agent_ns) with capture on minus off,
  # per statement: normalization, table, live slot (ring attach cancels out)
  a=$("$tool" dump bench | python3 -c "import json,sys; a=[json.loads(l)['body']['agent_ns'] for l in sys.stdin]; print(round((a[1]-a[0])/(2*$n)) if len(a)==2 else -1)")
  agent+="$a "
  echo "round $r: agent time per statement ${a} ns"
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for c in off capture_off capture_on; do
  eval "mq_$c=$(echo "${q[$c]}" | median) mp_$c=$(echo "${p[$c]}" | median)"
done
echo "SUMMARY statements=$n rounds=$rounds query_ns: off=$mq_off capture_off=$mq_capture_off capture_on=$mq_capture_on" \
     "(+$((mq_capture_on - mq_off))) prepared_ns: off=$mp_off capture_off=$mp_capture_off capture_on=$mp_capture_on" \
     "(+$((mp_capture_on - mp_off))) agent_ns_per_statement=$(echo "$agent" | median)"
