#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End to end, as a user runs it: bvapm-drainer (creating the ring, SQLite
# store) + nginx + php-fpm (opcache, JIT) with bvapm.so. Requests made with
# curl end up as rows in the real SQLite file with the right values: path,
# status, keep reason, checkpoints and the largest jump, tags, counters,
# errors, continued trace id, peak memory within 5% of what the script
# printed, wall time within the client's. Prints TAP.
#   test_fpm_store.sh BVAPM_SO BVAPM_DRAINER
set -u
so=$1 drainer=$2
. "$(dirname "$0")/../lib/common.sh"
scratch e2e 0777

drainer_start "$drainer" "$dir" e2e --set ring.size=4M --set drainer.aborted_scan_ms=200 ||
  { not_ok "drainer created the ring"; finish; }

port=$(free_port)
stack_start "$dir/stack" "$port" "$so" e2e light bvapm.sample_rate=0 bvapm.slow_threshold_ms=200 \
  bvapm.service=shop || { not_ok "stack start"; finish; }
url=http://127.0.0.1:$port
curl -s -o /dev/null "$url/plain.php"
curl -s -o "$dir/cp.out" -H 'X-Bvapm-Profile: 1' "$url/checkpoints.php"
curl -s -o "$dir/tags.out" -H 'X-Bvapm-Profile: 1' \
  -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' "$url/tags.php"
curl -s -o /dev/null --cookie 'bvapm_profile=1' "$url/app/orders/42?secret=x"
curl -s -o /dev/null -w '%{time_total}\n' "$url/slow.php" > "$dir/slow.time"
curl -s -o /dev/null -w '%{http_code}\n' "$url/exception.php" > "$dir/exc.code"
stack_stop
drainer_stop_check "drainer exits 0 on SIGTERM"

python3 - "$dir" <<'PY'
from tap import check, finish
from store_db import open_store
d, db = open_store()
rows = {r["uri"]: r for r in db.execute("SELECT * FROM requests")}
check(len(rows) == 5, f"5 requests stored of 6 (got {sorted(rows)})")
check("/plain.php" not in rows, "unsampled fast request: not stored")
cp = rows.get("/checkpoints.php")
size, peak = [int(x) for x in open(f"{d}/cp.out").read().split()]
check(cp is not None and cp["method"] == "GET" and cp["status"] == 200 and cp["service"] == "shop", "GET 200, service shop")
if cp is not None:
    labels = [r[0] for r in db.execute("SELECT label FROM checkpoints WHERE request_id = ? ORDER BY idx", (cp["id"],))]
    check(labels == ["start", "rows-loaded", "encoded"], f"checkpoints in order ({labels})")
    jump = db.execute("SELECT label FROM checkpoints WHERE request_id = ? AND largest_jump", (cp["id"],)).fetchall()
    check([j[0] for j in jump] == ["rows-loaded"], "largest jump is rows-loaded")
    check(abs(cp["mem_peak_bytes"] - peak) <= 0.05 * peak, f"peak memory {cp['mem_peak_bytes']} within 5% of the script's {peak}")
tg = rows.get("/tags.php")
check(tg is not None and tg["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736" and tg["parent_span_id"] == "00f067aa0ba902b7",
      "incoming traceparent continued")
if tg is not None:
    check([tuple(r) for r in db.execute("SELECT key, value FROM tags WHERE request_id = ?", (tg["id"],))] == [("route", "orders.index")], "tag stored")
    check([tuple(r) for r in db.execute("SELECT name, value FROM counters WHERE request_id = ?", (tg["id"],))] == [("models", 8934)], "counter stored")
check("/app/orders/42" in rows, "front-controller path stored, query string left out")
slow = rows.get("/slow.php")
client = float(open(f"{d}/slow.time").read()) * 1e9
check(slow is not None and 300e6 <= slow["wall_ns"] <= client, "slow request stored with wall time within the client's")
exc = rows.get("/exception.php")
check(open(f"{d}/exc.code").read().strip() == "500" and exc is not None and exc["status"] == 500, "exception: status 500 stored")
if exc is not None:
    msgs = [r[0] for r in db.execute("SELECT message FROM errors WHERE request_id = ?", (exc["id"],))]
    check(any("order 42 not found" in m for m in msgs), "error message stored")
dups = db.execute("SELECT COUNT(*) FROM (SELECT pid, producer_start_unix_ns, sequence, COUNT(*) c FROM requests GROUP BY 1,2,3 HAVING c > 1)").fetchone()[0]
check(dups == 0, "no duplicate (pid, producer start, sequence)")
finish()
PY
