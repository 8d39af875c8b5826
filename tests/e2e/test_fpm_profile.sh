#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End to end for the function profile, uncaught exceptions and out of
# memory, as a user runs it: bvapm-drainer + nginx + php-fpm (opcache, JIT)
# with bvapm.so in light mode (nothing sampled), pages forced with the
# X-Bvapm-Profile header. In the SQLite store: the OOM page's fatals row has
# out_of_memory=1, its peak near memory_limit, its checkpoints up to the last
# one taken and its stack; the CPU page's known hot function is first in
# functions by exclusive_ns and its call paths are there, also when the
# worker served unprofiled requests first; the uncaught exception's stack is
# stored; a page leaving with exit() keeps its status and closed frames.
# Prints TAP.
#   test_fpm_profile.sh BVAPM_SO BVAPM_DRAINER
set -u
so=$1 drainer=$2
. "$(dirname "$0")/../lib/common.sh"
scratch e2e 0777

drainer_start "$drainer" "$dir" e2eprof --set ring.size=4M ||
  { not_ok "drainer created the ring"; finish; }

port=$(free_port)
# overhead_budget_us=0: the guard must not turn detail down on a loaded machine
stack_start "$dir/stack" "$port" "$so" e2eprof light bvapm.sample_rate=0 bvapm.profile=1 \
  bvapm.overhead_budget_us=0 || { not_ok "stack start"; finish; }
url=http://127.0.0.1:$port
# unprofiled first (both workers, most likely): the observer's per-request
# answer must not stick to hot_loop for the profiled requests that follow
for _ in 1 2 3 4; do curl -s -o /dev/null "$url/cpu.php"; done
for _ in 1 2 3; do curl -s -o "$dir/cpu.out" -H 'X-Bvapm-Profile: 1' "$url/cpu.php"; done
curl -s -o /dev/null -w '%{http_code}\n' -H 'X-Bvapm-Profile: 1' "$url/oom.php" > "$dir/oom.code"
curl -s -o /dev/null -w '%{http_code}\n' "$url/oom.php" >> "$dir/oom.code"
curl -s -o /dev/null "$url/exception.php"
curl -s -o "$dir/exit.out" -w '%{http_code}\n' -H 'X-Bvapm-Profile: 1' "$url/exit.php" > "$dir/exit.code"
stack_stop
drainer_stop_check "drainer exits 0 on SIGTERM"

python3 - "$dir" <<'PY'
from tap import check, finish
from store_db import open_store
d, db = open_store()
limit = 32 << 20
codes = open(f"{d}/oom.code").read().split()
check(codes == ["500", "500"], f"OOM page answers 500 with and without the force header ({codes})")

fatals = db.execute("SELECT * FROM fatals WHERE uri = '/oom.php' ORDER BY id").fetchall()
check(len(fatals) == 2, f"one fatals row per OOM request, profiled or not (got {len(fatals)})")
for f, profiled in zip(fatals, (True, False)):
    tag = "forced" if profiled else "unsampled"
    check(f["out_of_memory"] == 1 and f["type"] == "E_ERROR" and "Allowed memory size of 33554432" in f["message"],
          f"{tag}: out_of_memory=1, E_ERROR, the engine's message")
    # the engine lets the error's own handling allocate past the limit: near it, not under it
    check(f["mem_limit_bytes"] == limit and 0.9 * limit <= f["mem_peak_bytes"] <= 1.05 * limit,
          f"{tag}: peak {f['mem_peak_bytes']} near memory_limit {limit}")
    cps = db.execute("SELECT label, mem_bytes FROM checkpoints WHERE fatal_id = ? ORDER BY idx", (f["id"],)).fetchall()
    labels = [c["label"] for c in cps]
    want = ["start"] + [f"rows-{k * 2000}" for k in range(1, len(labels))]
    check(len(labels) > 5 and labels == want, f"{tag}: checkpoints start, rows-2000 ... in order ({labels[:3]}...{labels[-1:]})")
    check(len(cps) > 5 and cps[-1]["mem_bytes"] >= limit - (3 << 20),
          f"{tag}: its last checkpoint {labels[-1:]} was taken within 3 MiB of the limit")
    stack = (f["stack"] or "").splitlines()
    check(len(stack) >= 3 and stack[0].startswith("{main} ") and stack[1].startswith("load ")
          and stack[2].startswith("grow ") and f["stack_depth"] == len(stack),
          f"{tag}: stack outermost first: {stack}")
    allocators = [r[0] for r in db.execute("SELECT name FROM functions WHERE fatal_id = ?", (f["id"],))]
    if profiled:
        check({"grow", "load", "main"} <= set(allocators), f"forced: top allocators include grow/load/main ({allocators})")
    else:
        check(allocators == [], "unsampled: no profile, so no top allocators")
    req = db.execute("SELECT * FROM requests WHERE trace_id = ?", (f["trace_id"],)).fetchone()
    # keep reason: Forced (4) wins over Error (3)
    check(req is not None and req["status"] == 500 and req["keep_reason"] == (4 if profiled else 3) and
          abs(req["mem_peak_bytes"] - f["mem_peak_bytes"]) <= 0.01 * limit,
          f"{tag}: the request record follows (status 500, kept, same peak)")

cpu = db.execute("SELECT * FROM requests WHERE uri = '/cpu.php' ORDER BY id").fetchall()
check(len(cpu) == 3, f"3 forced CPU requests stored, the 4 unforced not ({len(cpu)})")
expected = open(f"{d}/cpu.out").read().strip()
for r in cpu:
    fns = db.execute("SELECT name, calls, inclusive_ns, exclusive_ns FROM functions WHERE request_id = ? "
                     "ORDER BY exclusive_ns DESC", (r["id"],)).fetchall()
    names = [f["name"] for f in fns]
    byname = {f["name"]: f for f in fns}
    check(names[:1] == ["hot_loop"] and byname["hot_loop"]["calls"] == 20 and byname["light_work"]["calls"] == 20,
          f"request {r['id']}: hot_loop first by exclusive time, 20 calls ({names[:4]})")
    check(byname["run"]["inclusive_ns"] >= byname["hot_loop"]["inclusive_ns"] and
          byname["hot_loop"]["exclusive_ns"] >= 0.5 * r["wall_ns"] - 2e6,
          f"request {r['id']}: hot_loop holds most of the wall time")
    paths = {p["path"]: p for p in db.execute("SELECT * FROM call_paths WHERE request_id = ?", (r["id"],))}
    check("main;run;hot_loop" in paths and paths["main;run;hot_loop"]["calls"] == 20 and
          "main;run;light_work" in paths and "main" in paths,
          f"request {r['id']}: call paths stored ({sorted(paths)[:5]})")
exc = db.execute("SELECT e.* FROM errors e JOIN requests r ON r.id = e.request_id WHERE r.uri = '/exception.php'").fetchone()
stack = (exc["stack"] if exc else "") or ""
check(exc is not None and exc["type"] == "RuntimeException" and exc["message"] == "order 42 not found"
      and stack.splitlines()[:1] and stack.splitlines()[0].startswith("{main} ") and "load_order " in stack,
      f"uncaught exception: class, message and stack stored ({stack!r})")
ex = db.execute("SELECT * FROM requests WHERE uri = '/exit.php'").fetchone()
check(open(f"{d}/exit.code").read().strip() == "503" and open(f"{d}/exit.out").read() == "maintenance\n"
      and ex is not None and ex["status"] == 503,
      "exit() two frames deep: the client gets 503 and the page's output, the record status 503")
if ex is not None:
    fns = {r[0]: r[1] for r in db.execute("SELECT name, calls FROM functions WHERE request_id = ?", (ex["id"],))}
    check(fns.get("leave") == 1 and fns.get("handle") == 1 and "main" in fns,
          f"exit(): the frames it left open are closed and counted ({fns})")
finish()
PY
