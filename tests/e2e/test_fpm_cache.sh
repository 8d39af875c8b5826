#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Cache capture end to end: bvapm-drainer (ring, SQLite store) + nginx +
# php-fpm (opcache, JIT; bvapm.so loaded before the clients) running a page
# with a known set of Redis and Memcached commands against private servers
# (Unix sockets in the scratch folder, stopped at exit), and a connection
# refused by each client. The page answers the same whether its request is
# recorded or not; the recorded request is stored; no key or value of the
# page is anywhere in the store. Per command: the exact counts and keys, the
# loop of GETs flagged N+1, the refused connections and the error reply
# counted as errors, each command a span with its error. Prints TAP.
#   test_fpm_cache.sh BVAPM_SO BVAPM_DRAINER
set -u
so=$1 drainer=$2
. "$(dirname "$0")/../lib/common.sh"
scratch e2e 0777

skip_all() { echo "1..0 # SKIP $1"; exit 0; }
for bin in redis-server memcached; do
  command -v $bin > /dev/null || skip_all "$bin not installed"
done
ext_dir=$(php-config --extension-dir)
for m in igbinary msgpack redis memcached; do
  [ -f "$ext_dir/$m.so" ] || skip_all "PHP module $m not installed"
done

redis_pid="" memcached_pid=""
stop_servers() { # SIGTERM, up to 5 s, then SIGKILL
  local p
  for p in $redis_pid $memcached_pid; do
    kill "$p" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  redis_pid="" memcached_pid=""
}
on_exit stop_servers
mkdir -p "$dir/cache"
chmod 0777 "$dir/cache"
redis-server --port 0 --unixsocket "$dir/cache/redis.sock" --unixsocketperm 777 --dir "$dir/cache" \
  --save '' --appendonly no --daemonize no --logfile "$dir/cache/redis.log" > /dev/null 2>&1 &
redis_pid=$!
as_user=()
[ "$(id -u)" -eq 0 ] && as_user=(-u root)
memcached -s "$dir/cache/memcached.sock" -a 0777 -m 16 -U 0 "${as_user[@]}" > "$dir/cache/memcached.log" 2>&1 &
memcached_pid=$!
for _ in $(seq 200); do [ -S "$dir/cache/redis.sock" ] && [ -S "$dir/cache/memcached.sock" ] && break; sleep 0.05; done
check "private redis-server and memcached listen" "[ -S '$dir/cache/redis.sock' ] && [ -S '$dir/cache/memcached.sock' ]"
export BVAPM_E2E_REDIS_SOCKET=$dir/cache/redis.sock BVAPM_E2E_MEMCACHED_SOCKET=$dir/cache/memcached.sock
export BVAPM_E2E_REFUSED_PORT=$(free_port)

drainer_start "$drainer" "$dir" e2ecache --set ring.size=4M ||
  { not_ok "drainer created the ring"; finish; }
port=$(free_port)
stack_start "$dir/stack" "$port" "$so" e2ecache light bvapm.sample_rate=0 bvapm.slow_threshold_ms=10000 \
  bvapm.overhead_budget_us=0 extension=igbinary extension=msgpack extension=redis extension=memcached \
  || { not_ok "stack start"; finish; }
url=http://127.0.0.1:$port
curl -s -o "$dir/forced.out" -H 'X-Bvapm-Profile: 1' "$url/cache.php"
curl -s -o "$dir/unsampled.out" "$url/cache.php"
stack_stop
stop_servers
drainer_stop_check "drainer exits 0 on SIGTERM"

python3 - "$dir" <<'PY'
import json
import os
from tap import check, diag, finish
from store_db import open_store
d, db = open_store()
out = {k: open(f"{d}/{k}.out").read() for k in ("forced", "unsampled")}
try:
    page = json.loads(out["forced"])
except ValueError:
    page = {"output": out["forced"][:300]}
check(page.get("hits") == 1 and page.get("m_get") == "S3CRET-session" and page.get("wrongtype") is False
      and page.get("refused") == "Connection refused" and page.get("m_refused", [None])[0] is False,
      f"the page ran its commands ({page})")
check(out["forced"] == out["unsampled"], "the page answers the same recorded and not recorded")
reqs = db.execute("SELECT * FROM requests WHERE uri = '/cache.php'").fetchall()
check(len(reqs) == 1 and reqs[0]["keep_reason"] == 4, f"the forced request stored, the unsampled one not ({len(reqs)})")

# every text the store holds: no key or value of the page
found = []
for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
    for row in db.execute(f"SELECT * FROM \"{table}\""):
        for v in tuple(row):
            if isinstance(v, (str, bytes)) and ("secret-" in str(v) or "S3CRET" in str(v)):
                found.append((table, str(v)[:60]))
check(found == [], f"no key or value stored ({found[:3]})")

# the request's calls in the store, per (target, command)
rows = {}
for row in db.execute("SELECT * FROM external WHERE request_id = ? AND kind = 3", (reqs[0]["id"] if reqs else -1,)):
    rows[(row["target"].replace(d + "/cache/", ""), row["name"])] = (row["count"], row["keys"], row["errors"], row["repeated"])
refused = "127.0.0.1:" + os.environ["BVAPM_E2E_REFUSED_PORT"]
want = {
    ("redis redis.sock", "CONNECT"): (1, 0, 0, 0),
    ("redis redis.sock", "SET"): (1, 1, 0, 0),
    ("redis redis.sock", "GET"): (21, 21, 1, 1),
    ("redis redis.sock", "MGET"): (1, 2, 0, 0),
    ("redis redis.sock", "HMSET"): (1, 1, 0, 0),
    ("redis redis.sock", "HGETALL"): (1, 1, 0, 0),
    (f"redis {refused}", "CONNECT"): (1, 0, 1, 0),
    ("memcached memcached.sock", "SET"): (1, 1, 0, 0),
    ("memcached memcached.sock", "GET"): (1, 1, 0, 0),
    ("memcached memcached.sock", "GETMULTI"): (1, 3, 0, 0),
    (f"memcached {refused}", "GET"): (1, 1, 1, 0),
}
check(rows == want, "per command: counts, keys, errors, the GET loop N+1" + ("" if rows == want else f" (got {rows})"))
spans = db.execute("SELECT name, error FROM spans WHERE request_id = ? AND kind = 3 ORDER BY idx",
                   (reqs[0]["id"] if reqs else -1,)).fetchall()
errors = sorted(f"{s['name']} {s['error']}" for s in spans if s["error"])
check(len(spans) == 31 and errors == ["CONNECT Connection refused", "GET CONNECTION FAILURE", "GET WRONGTYPE"],
      f"every command a span, the failed ones with their error ({len(spans)}, {errors})")
finish()
PY
