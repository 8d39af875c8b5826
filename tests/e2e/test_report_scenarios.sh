#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The memory profiling guide's four diagnosis scenarios, reproduced end to
# end: bvapm-drainer (ring, SQLite store) + nginx + php-fpm (opcache, JIT)
# with bvapm.so in aggressive mode (overhead guard off, as while debugging,
# so a loaded machine does not reduce the detail) run
# testing/www/scenarios/*.php beside ordinary pages, and bvapm-report,
# reading the drainer's store, names each culprit:
#   1. session.php — oversized session: the jump before-session →
#      session-started, found by --pattern session;
#   2. permissions.php — 8,934 Permission models: the counter, and the
#      repeated statement (SELECT … FROM permissions WHERE role_id = ?) as
#      the N+1 suspect;
#   3. spike.php — memory spike in one phase: providers-registered →
#      response-built is the largest checkpoint pair;
#   4. export.php — unpaginated result set: out of memory, last checkpoint
#      orders-queried;
# and, from the function profile, PDOStatement::fetchAll among the top
# functions of permissions.php and in its flame graph.
# Checks that need SQL capture, out-of-memory capture or the function
# profile in the agent are skipped (TAP "# SKIP") when the store shows the
# capture is missing (no sql rows although permissions.php ran queries; no
# fatals row although export.php died; no call paths), and only those.
# Prints TAP.
#   test_report_scenarios.sh BVAPM_SO BVAPM_DRAINER BVAPM_REPORT
set -u
so=$1 drainer=$2 report=$3
. "$(dirname "$0")/../lib/common.sh"
scratch e2e 0777

export BVAPM_SCENARIO_DB=$dir/scenarios.db
php -n -d extension=pdo -d extension=pdo_sqlite "$TESTING/scenarios_db.php" "$BVAPM_SCENARIO_DB" >/dev/null ||
  { not_ok "scenario database built"; finish; }
chmod 0666 "$BVAPM_SCENARIO_DB"
mkdir -m 0777 "$dir/sessions"

drainer_start "$drainer" "$dir" scen --set ring.size=8M ||
  { not_ok "drainer created the ring"; finish; }

port=$(free_port)
stack_start "$dir/stack" "$port" "$so" scen aggressive extension=pdo extension=pdo_sqlite \
  session.save_path="$dir/sessions" bvapm.service=scenarios bvapm.overhead_budget_us=0 ||
  { not_ok "stack start"; finish; }
url=http://127.0.0.1:$port
get() { curl -s -o /dev/null -w '%{http_code}\n' "$@" >> "$dir/codes"; }
for _ in $(seq 5); do get "$url/plain.php"; get "$url/checkpoints.php"; done
get -c "$dir/jar" "$url/scenarios/session.php"          # creates the large session
for _ in $(seq 4); do get -b "$dir/jar" "$url/scenarios/session.php"; done
for _ in $(seq 3); do get "$url/scenarios/permissions.php"; done
for _ in $(seq 3); do get "$url/scenarios/spike.php"; done
for _ in $(seq 2); do get "$url/scenarios/export.php"; done
stack_stop
drainer_stop_check "drainer exits 0 on SIGTERM"

python3 - "$report" "$dir" <<'PY'
import json, sqlite3, subprocess, sys
from tap import check, diag, finish
report, d = sys.argv[1], sys.argv[2]
store = f"{d}/store.db"

def rep(*args):
    p = subprocess.run([report, "--db", store, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr

def js(*args):
    rc, out, err = rep(*args, "--json")
    if rc != 0:
        diag(f"bvapm-report {' '.join(args)}: exit {rc}: {err.strip()}")
        return {}
    return json.loads(out)

db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
uris = {u: c for u, c in db.execute("SELECT uri, count(*) FROM requests GROUP BY uri")}
check(uris.get("/scenarios/session.php") == 5 and uris.get("/scenarios/spike.php") == 3
      and uris.get("/scenarios/permissions.php") == 3, f"scenario requests stored ({uris})")
sql_rows = db.execute("SELECT count(*) FROM sql s JOIN requests r ON r.id = s.request_id "
                      "WHERE r.uri = '/scenarios/permissions.php'").fetchone()[0]
has_fatals = db.execute("SELECT count(*) FROM fatals WHERE uri = '/scenarios/export.php'").fetchone()[0] > 0
no_sql = None if sql_rows else "no SQL capture in this agent (sql table empty after PDO queries)"
no_oom = None if has_fatals else "no out-of-memory capture in this agent (no fatals row for export.php)"
has_paths = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'call_paths'").fetchone()[0] and \
    db.execute("SELECT count(*) FROM call_paths").fetchone()[0] > 0
no_profile = None if has_paths else "no function profile / call paths in this agent"

# 1. Oversized session: the jump when the session starts, found by --pattern session.
s = js("summary", "--pattern", "session")
eps = [e["endpoint"] for e in s.get("endpoints", [])]
check(len(eps) == 1 and eps[0].endswith("/scenarios/session.php"),
      f"session: --pattern session finds the session endpoint only ({eps})")
m = js("memory", "--endpoint", "scenarios/session.php")
p = (m.get("checkpoint_pairs") or [{}])[0]
check((p.get("from"), p.get("to")) == ("before-session", "session-started") and p.get("max_jump_bytes", 0) > 10 << 20,
      f"session: largest jump before-session → session-started, > 10 MiB ({p})")
tg = {x["key"]: x for x in js("summary", "--endpoint", "scenarios/session.php").get("tags", [])}
check(tg.get("session_size_mb", {}).get("max_numeric", 0) > 2, f"session: the session_size_mb tag shows megabytes ({tg.get('session_size_mb')})")
c = {x["counter"]: x for x in js("sql", "--endpoint", "scenarios/session.php").get("counters", [])}
check(c.get("session_bytes", {}).get("max_per_request", 0) > 2 << 20, "session: session_bytes counter shows a session of megabytes")

# 2. Thousands of models from one repeated query.
q = js("sql", "--endpoint", "scenarios/permissions.php")
c = {x["counter"]: x for x in q.get("counters", [])}
check(c.get("App\\Models\\Permission::retrieved", {}).get("max_per_request") == 8934,
      "permissions: 8,934 App\\Models\\Permission::retrieved per request")
np1 = (q.get("n_plus_one") or [{}])[0]
check(np1.get("endpoint", "").endswith("/scenarios/permissions.php")
      and "permissions where role_id" in np1.get("statement", "").lower() and np1.get("max_per_request") == 60,
      f"permissions: N+1 suspect is the per-role statement, 60 runs per request ({np1})", skip=no_sql)
top = (q.get("top_by_count") or [{}])[0]
check("permissions where role_id" in top.get("statement", "").lower() and top.get("executions") == 180,
      f"permissions: the statement leads by executions, 3 requests × 60 ({top.get('statement')}, {top.get('executions')})", skip=no_sql)
rc, out, _ = rep("sql")
check(rc == 0 and "App\\Models\\Permission::retrieved" in out and (no_sql or "permissions WHERE role_id" in out.replace("permissions where", "permissions WHERE")),
      "sql text output names the counter and the statement")

fn = [x["function"] for x in js("functions", "--endpoint", "scenarios/permissions.php", "--limit", "3").get("functions", [])]
check("PDOStatement::fetchAll" in fn, f"permissions: PDOStatement::fetchAll among the top functions ({fn})", skip=no_profile)
rc, out, err = rep("flame", "--endpoint", "scenarios/permissions.php", "-o", f"{d}/perm.svg")
svg = open(f"{d}/perm.svg").read() if rc == 0 else ""
check(rc == 0 and "<title>PDOStatement::fetchAll (" in svg and "<title>Permission::__construct (" in svg and svg.rstrip().endswith("</svg>"),
      f"permissions: flame graph of the endpoint shows fetchAll and the model constructor (exit {rc} {err.strip()})", skip=no_profile)

# 3. A spike in one phase.
m = js("memory", "--endpoint", "scenarios/spike.php")
p = (m.get("checkpoint_pairs") or [{}])[0]
check((p.get("from"), p.get("to"), p.get("count")) == ("providers-registered", "response-built", 3)
      and p.get("max_jump_bytes", 0) > 30 << 20, f"spike: largest pair providers-registered → response-built, > 30 MiB ({p})")
j = (m.get("largest_jumps") or [{}])[0]
check(j.get("uri") == "/scenarios/spike.php" and j.get("to") == "response-built", "spike: largest single jump names the request")
allm = js("memory")
p = (allm.get("checkpoint_pairs") or [{}])[0]
check(p.get("endpoint", "").endswith("/scenarios/spike.php") or p.get("endpoint", "").endswith("/scenarios/session.php"),
      f"memory over all endpoints: a scenario leads ({p.get('endpoint')})")

# 4. The unpaginated export runs out of memory.
e = js("errors", "--endpoint", "scenarios/export.php")
o = (e.get("out_of_memory") or [{}])[0]
check(o.get("endpoint", "").endswith("/scenarios/export.php") and o.get("last_checkpoint") == "orders-queried"
      and o.get("count") == 2, f"export: out of memory twice, last checkpoint orders-queried ({o})", skip=no_oom)
f = (e.get("fatals") or [{}])[0]
check(f.get("out_of_memory") is True and f.get("mem_limit_bytes") == 32 << 20 and "loadAll" in f.get("stack", ""),
      "export: the fatal's memory state (limit 32 MiB) and stack (loadAll)", skip=no_oom)
check(f.get("grown_since_last_checkpoint_bytes", 0) > 20 << 20,
      f"export: more than 20 MiB allocated after orders-queried ({f.get('grown_since_last_checkpoint_bytes')})", skip=no_oom)
rc, out, _ = rep("errors")
check(rc == 0 and ("OUT OF MEMORY" in out and "orders-queried" in out or no_oom), "errors text output: OUT OF MEMORY and the last checkpoint", skip=no_oom)
s = js("summary", "--limit", "50")
kinds = [(i["kind"], i["endpoint"]) for i in s.get("insights", [])]
check(any(k == "oom" and ep.endswith("/scenarios/export.php") for k, ep in kinds),
      f"summary: the OOM insight names export.php ({kinds[:3]})", skip=no_oom)
check(s.get("loss", {}).get("records_lost") == 0, f"summary: no record lost ({s.get('loss')})")
finish()
PY
