#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# SQL capture end to end: bvapm-drainer (ring, SQLite store) + nginx +
# php-fpm (opcache, JIT; bvapm.so loaded before pdo) running a page with a
# known set of PDO-SQLite queries. The store's SQL rows must equal what the
# page ran: one row per normalized statement with the exact count, the N+1
# loop flagged, rows fetched, totals equal to the page's own count, no
# literal value stored. A request that was not sampled but turned out slow
# is kept with its SQL too. The same with mysqli against a private MariaDB
# server (empty data directory, Unix socket, no TCP; skipped when mariadbd
# is not installed), its N+1 loop hot enough for the tracing JIT. Prints TAP.
#   test_fpm_sql.sh BVAPM_SO BVAPM_DRAINER
set -u
so=$1 drainer=$2
. "$(dirname "$0")/../lib/common.sh"
scratch e2e 0777
mariadb_pid=""
stop_mariadb() { # SIGTERM, up to 10 s to shut down, then SIGKILL
  [ -n "$mariadb_pid" ] || return 0
  kill "$mariadb_pid" 2>/dev/null
  for _ in $(seq 200); do kill -0 "$mariadb_pid" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$mariadb_pid" 2>/dev/null
  wait "$mariadb_pid" 2>/dev/null
  mariadb_pid=""
}
on_exit stop_mariadb

# a private MariaDB for the mysqli page, started first (bounded wait)
mariadbd=$(command -v mariadbd || ls /usr/sbin/mariadbd 2>/dev/null)
if [ -n "$mariadbd" ]; then
  mkdir -p "$dir/mariadb/data"
  "$mariadbd" --no-defaults --datadir="$dir/mariadb/data" --socket="$dir/mariadb/sock" --skip-networking \
    --skip-grant-tables --pid-file="$dir/mariadb/pid" --log-error="$dir/mariadb/error.log" --skip-log-bin \
    --innodb-buffer-pool-size=16M --user="$(id -un)" > /dev/null 2>&1 &
  mariadb_pid=$!
  for _ in $(seq 600); do [ -S "$dir/mariadb/sock" ] && break; sleep 0.05; done
  export BVAPM_E2E_MARIADB_SOCKET=$dir/mariadb/sock
fi

drainer_start "$drainer" "$dir" e2esql --set ring.size=4M ||
  { not_ok "drainer created the ring"; finish; }

port=$(free_port)
stack_start "$dir/stack" "$port" "$so" e2esql light bvapm.sample_rate=0 bvapm.slow_threshold_ms=200 \
  bvapm.overhead_budget_us=0 extension=pdo extension=pdo_sqlite extension=mysqlnd extension=mysqli \
  || { not_ok "stack start"; finish; }
url=http://127.0.0.1:$port
curl -s -o "$dir/forced.out" -H 'X-Bvapm-Profile: 1' "$url/sql.php"
curl -s -o "$dir/slow.out" "$url/sql.php?slow=1"
curl -s -o "$dir/unsampled.out" "$url/sql.php"
[ -S "$dir/mariadb/sock" ] && curl -s -o "$dir/mysqli.out" -H 'X-Bvapm-Profile: 1' "$url/sql_mysqli.php"
stack_stop
stop_mariadb
drainer_stop_check "drainer exits 0 on SIGTERM"

python3 - "$dir" <<'PY'
import json
from tap import check, diag, finish
from store_db import open_store
d, db = open_store()
def page_output(k):
    text = open(f"{d}/{k}.out").read()
    try:
        return json.loads(text)
    except ValueError:
        return {"output": text[:300]}
page = {k: page_output(k) for k in ("forced", "slow", "unsampled")}
check(all(p.get("ran") == 610 and p.get("names") == 300 for p in page.values()), f"the page ran its 610 queries each time ({page})")
reasons = {2: "slow", 4: "forced"}  # record.h BVAPM_REC_KEEP_*
reqs = {reasons.get(r["keep_reason"], r["keep_reason"]): r for r in db.execute("SELECT * FROM requests WHERE uri = '/sql.php'")}
check(sorted(reqs) == ["forced", "slow"], f"forced and slow requests stored, the unsampled fast one not ({sorted(reqs)})")
# what the page ran, per normalized statement: count, rows
expected = {
    "CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT)": (1, 0),
    "CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id INT, title TEXT)": (1, 0),
    "INSERT INTO authors (id, name) VALUES (?, ?)": (5, 5),
    "INSERT INTO posts (author_id, title) VALUES (?, ?)": (300, 300),
    "SELECT id, author_id FROM posts ORDER BY id": (1, 300),
    "SELECT name FROM authors WHERE id = ?": (300, 300),
    "SELECT count(*) FROM posts WHERE author_id IN (?)": (1, 1),
    "SELECT * FROM no_such_table": (1, 0),
}
for reason in ("forced", "slow"):
    r = reqs.get(reason)
    if r is None:
        check(False, f"{reason} request stored"); continue
    check(r["sql_total_count"] == page[reason].get("ran"), f"{reason}: requests.sql_total_count {r['sql_total_count']} == queries the page ran")
    diag(f"{reason}: wall {r['wall_ns'] / 1e6:.1f} ms, SQL {r['sql_total_ns'] / 1e6:.1f} ms, agent {r['agent_ns'] / 1e3:.0f} us")
    rows = {s["statement"]: s for s in db.execute("SELECT * FROM sql WHERE request_id = ?", (r["id"],))}
    got = {k: (s["count"], s["rows"]) for k, s in rows.items()}
    check(got == expected, f"{reason}: one row per statement with exact counts and rows" + ("" if got == expected else f" (got {got})"))
    check(sum(s["count"] for s in rows.values()) == r["sql_total_count"], f"{reason}: per-statement counts add up to the total")
    flagged = sorted(k for k, s in rows.items() if s["n_plus_one"])
    check(flagged == ["INSERT INTO posts (author_id, title) VALUES (?, ?)", "SELECT name FROM authors WHERE id = ?"],
          f"{reason}: statements run >= 10 times flagged N+1 ({flagged})")
    check(all(0 < s["max_ns"] <= s["total_ns"] for s in rows.values()) and r["sql_total_ns"] >= sum(s["total_ns"] for s in rows.values())
          and r["sql_total_ns"] < r["wall_ns"], f"{reason}: times consistent (max <= total, sum <= request total < wall)")
import os
if os.path.exists(f"{d}/mysqli.out"):
    out = page_output("mysqli")
    r = db.execute("SELECT * FROM requests WHERE uri = '/sql_mysqli.php'").fetchone()
    check(out.get("ran") == 253 and out.get("found") == 200 and r is not None and r["sql_total_count"] == 253,
          f"mysqli: requests.sql_total_count == the 253 statements the page ran ({out}, {r and r['sql_total_count']})")
    got = {s["statement"]: (s["count"], s["rows"], s["n_plus_one"]) for s in db.execute("SELECT * FROM sql WHERE request_id = ?", (r["id"] if r else -1,))}
    want = {
        "CREATE DATABASE IF NOT EXISTS shop": (1, 1, 0),
        "CREATE TABLE IF NOT EXISTS customers (id INT PRIMARY KEY, email VARCHAR(?))": (1, 0, 0),
        "DELETE FROM customers": (1, 0, 0),
        "INSERT INTO customers VALUES (?, ?)": (50, 50, 1),
        "SELECT email FROM customers WHERE id = ?": (200, 200, 1),
    }
    check(got == want, "mysqli: per-statement counts, rows and N+1 flags" + ("" if got == want else f" (got {got})"))
else:
    check(False, "mysqli: statements stored", skip="mariadbd not installed")
secret = db.execute("SELECT COUNT(*) FROM sql WHERE statement LIKE '%secret%' OR statement LIKE '%post %'").fetchone()[0]
check(secret == 0, "no literal value stored")
finish()
PY
