#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bvapm-report against a real SQLite store of 20 000 background requests plus
# the culprits bvapm-store-gen --plant puts in the last hour (exact figures:
# testing/store_gen.c). Checks every command's --json figures (latency
# percentiles, memory average and deviation, the largest checkpoint pair,
# the N+1 statement and its counter, the hottest function, the flame graph,
# the OOM and its last checkpoint, aborted requests, loss), the filters
# (--since, --recent, --endpoint, --pattern, --kind), the exit codes (no
# store, not a store, schema too new, permission, usage), reading while
# another connection holds the write lock, and that the store is never
# modified. A second store with the job workers of --plant-jobs: jobs
# shown as job:NAME, --kind, the memory after each job per worker (the
# leaking worker's growth and verdict, the flat one and the short one
# without), the summary's leak insight for the leaking worker only, and the
# same from a schema-2 store (jobs stored without their kind). A third store
# with the calls of --plant-calls: trace (one request's timeline, checkpoints
# interleaved, the calls not listed; a trace across two services, the
# downstream request naming the call it answered), external (the slow
# dependency's exact figures, the Redis GET loop flagged repeated, the
# background never), --pattern over outbound calls, and both on a store
# before schema 4.
# Prints TAP.
#   test_report_store.sh BVAPM_REPORT BVAPM_STORE_GEN
set -u
report=$1 gen=$2
. "$(dirname "$0")/../lib/common.sh"
scratch report-store
"$gen" --requests 20000 --plant --lose 5 "$dir/store.db" || { not_ok "store generated"; finish; }
"$gen" --requests 200 --no-call-paths --schema 1 "$dir/old.db" || { not_ok "old store generated"; finish; }
"$gen" --requests 0 "$dir/interleaved.db" || { not_ok "empty store generated"; finish; }
"$gen" --requests 2000 --plant-jobs "$dir/jobs.db" || { not_ok "jobs store generated"; finish; }
"$gen" --requests 200 --plant-jobs --schema 2 "$dir/jobs-v2.db" || { not_ok "schema-2 jobs store generated"; finish; }
"$gen" --requests 2000 --plant-calls "$dir/calls.db" || { not_ok "calls store generated"; finish; }
"$gen" --requests 200 --plant-calls --schema 3 "$dir/calls-v3.db" || { not_ok "schema-3 calls store generated"; finish; }

python3 - "$report" "$dir" <<'PY'
import hashlib, json, os, shutil, sqlite3, subprocess, sys, time, xml.etree.ElementTree as ET
from tap import check, diag, finish
report, d = sys.argv[1], sys.argv[2]
db = f"{d}/store.db"
MIB = 1024 * 1024

def run(*args, store=db):
    a = [report] + (["--db", store] if store else []) + list(args)
    t = time.monotonic()
    p = subprocess.run(a, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr, time.monotonic() - t

def js(*args, store=db):
    rc, out, err, _ = run(*args, "--json", store=store)
    if rc != 0:
        diag(f"{args}: exit {rc}: {err}")
        return {}
    return json.loads(out)

digest = hashlib.sha256(open(db, "rb").read()).hexdigest()

# -- summary --------------------------------------------------------------------
s = js("summary", "--limit", "100")
check(s.get("requests") == 20177, f"summary: 20 000 + 177 planted requests ({s.get('requests')})")
check(s.get("fatals") == 4 and s.get("out_of_memory") == 3, "summary: 4 fatal errors, 3 out of memory")
loss = s.get("loss", {})
check(loss.get("records_lost") == 5 and loss.get("producers") == 8,
      f"summary: exactly the 5 sequence gaps left by --lose 5 count as lost ({loss})")
check(loss.get("aborted_requests") == 3, "summary: 3 aborted requests")
check(any(x["name"] == "dropped" and x["total"] == 10 for x in loss.get("stats", [])), "summary: stats rows summed")
kinds = [(i["kind"], i["endpoint"]) for i in s.get("insights", [])]
check(kinds and kinds[0] == ("oom", "/srv/app/public/planted/export.php"),
      f"summary: first insight is the OOM endpoint ({kinds[:1]})")

lat = js("summary", "--endpoint", "/planted/latency.php")
e = (lat.get("endpoints") or [{}])[0]
check(lat.get("requests") == 100 and e.get("endpoint") == "/srv/app/public/planted/latency.php",
      "--endpoint by path suffix selects the 100 planted requests")
check((e.get("p50_ns"), e.get("p95_ns"), e.get("p99_ns"), e.get("max_ns")) == (50e6, 95e6, 99e6, 100e6),
      f"latency 1..100 ms: p50 50, p95 95, p99 99, max 100 ms ({e.get('p50_ns')}, {e.get('p95_ns')}, {e.get('p99_ns')})")
check(e.get("errors") == 10 and e.get("error_rate_percent") == 10.0, "every 10th request 500: error rate 10%")
check(e.get("mem_peak_avg_bytes") == 64 * MIB and e.get("mem_peak_stddev_bytes") == 0 and e.get("mem_peak_max_bytes") == 64 * MIB,
      "memory average 64 MiB, deviation 0, max 64 MiB")
ik = [i["kind"] for i in lat.get("insights", [])]
check("low_variance" in ik and "errors" in ik, f"insights: low variance ⇒ deterministic, and the error rate ({ik})")
rep = js("summary", "--endpoint", "planted/report.php")
ik = [i["kind"] for i in rep.get("insights", [])]
check("high_variance" in ik, f"insight: 100 MiB vs 900 MiB requests ⇒ high variance ({ik})")

check(js("summary", "--since", "2h").get("requests") == 177, "--since 2h: only the planted last hour")
check(js("summary", "--since", "30d").get("requests") == 20177, "--since 30d: everything")
t_end = js("summary", "--endpoint", "/planted/latency.php")["last_start_unix_ns"]
iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t_end // 10**9))
check(js("summary", "--endpoint", "/planted/latency.php", "--since", iso).get("requests") == 1,
      f"--since ISO 8601 ({iso}): the last planted latency request only")
check(js("summary", "--recent", "37").get("requests") == 37, "--recent 37: 37 requests")
r7 = js("summary", "--recent", "7", "--endpoint", "/planted/latency.php")
check(r7.get("requests") == 7 and r7["endpoints"][0]["max_ns"] == 100e6 and r7["endpoints"][0]["p50_ns"] == 97e6,
      "--recent 7 with --endpoint: the 7 latest of that endpoint (94..100 ms)")
check(js("summary", "--pattern", "PLANTED-session").get("requests") == 7, "--pattern matches a checkpoint label, case-insensitively")
check(js("summary", "--pattern", "permissions WHERE role").get("requests") == 20, "--pattern matches an SQL statement")
check(js("summary", "--pattern", "hotLoop").get("requests") == 100, "--pattern matches a function name")
check(js("summary", "--pattern", "permissions_cache").get("requests") == 7, "--pattern matches a tag value")
tg = js("summary", "--endpoint", "planted/session.php").get("tags", [{}])[0]
check((tg.get("key"), tg.get("requests"), tg.get("distinct_values"), tg.get("most_common_value")) ==
      ("largest_session_key", 7, 1, "permissions_cache"), f"summary: tags by endpoint ({tg})")
check(js("summary", "--pattern", "payment gateway").get("requests") == 108, "--pattern matches an error message")
check(js("summary", "--pattern", "%").get("requests") == 0, "--pattern: % is a literal character, not a wildcard")
check(js("summary", "--pattern", "' OR 1=1 --").get("requests") == 0, "--pattern: quotes stay text")
check(js("errors", "--pattern", "fetchAll").get("fatal_count") == 3, "--pattern matches fatal stacks")

# -- memory ---------------------------------------------------------------------
m = js("memory")
p = (m.get("checkpoint_pairs") or [{}])[0]
check((p.get("endpoint"), p.get("from"), p.get("to"), p.get("max_jump_bytes"), p.get("count")) ==
      ("/srv/app/public/planted/report.php", "load-rows", "render", 900 * MIB, 50),
      f"memory: largest pair is report.php load-rows → render, 900 MiB, 50 times ({p})")
check(p.get("avg_jump_bytes") == 116 * MIB, "memory: average jump (49 × 100 + 900) / 50 = 116 MiB")
j = (m.get("largest_jumps") or [{}])[0]
check(j.get("jump_bytes") == 900 * MIB and j.get("uri") == "/planted/report.php" and j.get("request_id") == p.get("max_request_id"),
      "memory: largest single jump names its request")
dist = {x["endpoint"]: x for x in js("memory", "--limit", "100").get("peak_by_endpoint", [])}
rp = dist.get("/srv/app/public/planted/report.php", {})
check((rp.get("p50_bytes"), rp.get("max_bytes")) == (115 * MIB, 915 * MIB), "memory: peak distribution p50 115 MiB, max 915 MiB")
check(sum(b["requests"] for b in m.get("peak_histogram", [])) == 20177, "memory: histogram covers every request")

# Checkpoints of two requests written interleaved (not the drainer's order):
# the previous checkpoint is found through the index, not the previous row.
iv = sqlite3.connect(f"{d}/interleaved.db")
for rid in (1, 2):
    iv.execute("INSERT INTO requests (id, pid, producer_start_unix_ns, sequence, uri, route, start_unix_ns, "
               "wall_ns, mem_peak_bytes) VALUES (?, 9, 1, ?, ?, NULL, 1, 1, 1)", (rid, rid, f"/r{rid}"))
for rid, idx, label, delta in [(1, 0, "a", 1), (2, 0, "a", 1), (1, 1, "b", 5), (2, 1, "c", 7)]:
    iv.execute("INSERT INTO checkpoints (request_id, idx, label, mem_delta_bytes) VALUES (?, ?, ?, ?)",
               (rid, idx, label, delta * MIB))
iv.commit(); iv.close()
pairs = {(x["endpoint"], x["from"], x["to"]): x["max_jump_bytes"] for x in js("memory", store=f"{d}/interleaved.db").get("checkpoint_pairs", [])}
check(pairs == {("/r1", "a", "b"): 5 * MIB, ("/r2", "a", "c"): 7 * MIB, ("/r1", "(start)", "a"): MIB, ("/r2", "(start)", "a"): MIB},
      f"memory: checkpoints written out of order still pair with their own request's previous one ({pairs})")

# -- sql ------------------------------------------------------------------------
q = js("sql")
np1 = (q.get("n_plus_one") or [{}])[0]
check((np1.get("endpoint"), np1.get("statement"), np1.get("requests"), np1.get("max_per_request"), np1.get("flagged")) ==
      ("/srv/app/public/planted/permissions.php", "SELECT * FROM permissions WHERE role_id = ?", 20, 250, True),
      f"sql: N+1 suspect is the permissions statement, 250 runs in each of 20 requests ({np1})")
check(len(q.get("n_plus_one", [])) == 1, "sql: background statements (<= 8 runs, unflagged) are not suspects")
c = (q.get("counters") or [{}])[0]
check((c.get("counter"), c.get("max_per_request"), c.get("requests")) == ("App\\Models\\Permission::retrieved", 8934, 20),
      "sql: counter App\\Models\\Permission::retrieved = 8934 per request")
q2 = js("sql", "--endpoint", "permissions.php")
t0 = (q2.get("top_by_time") or [{}])[0]
check((t0.get("statement"), t0.get("executions"), t0.get("total_ns"), t0.get("rows")) ==
      ("SELECT * FROM permissions WHERE role_id = ?", 5000, 200_000_000, 178680),
      "sql --endpoint: top statement 5000 runs, 200 ms total, 178 680 rows")

# -- functions and flame ----------------------------------------------------------
f = (js("functions").get("functions") or [{}])[0]
check((f.get("function"), f.get("exclusive_ns"), f.get("calls"), f.get("requests")) ==
      ("App\\Planted::hotLoop", 100 * 10**9, 100000, 100), f"functions: hotLoop first, 100 s exclusive ({f})")
svg = f"{d}/lat.svg"
rc, out, err, _ = run("flame", "--endpoint", "/planted/latency.php", "-o", svg)
ok = rc == 0 and os.path.exists(svg)
check(ok, f"flame --endpoint writes an SVG (exit {rc} {err.strip()})")
if ok:
    text = open(svg).read()
    try:
        root = ET.fromstring(text)
        titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    except ET.ParseError as ex:
        titles = [f"parse error {ex}"]
    check("App\\Planted::hotLoop (100.00 s, 98.91%)" in titles and "main (101.10 s, 100.00%)" in titles,
          f"flame: well-formed SVG, tooltips with time and share ({titles[:4]})")
    check(len(titles) == 4, "flame: one rectangle per frame (all, main, Kernel::handle, hotLoop)")
rid = js("memory", "--endpoint", "/planted/latency.php", "--limit", "1")["largest_jumps"][0]["request_id"]
rc, out, err, _ = run("flame", "--request", str(rid))
check(rc == 0 and out.startswith("<?xml") and "1 request(s), 1.01 s" in out, f"flame --request {rid}: SVG on stdout")
rc, out, err, _ = run("flame", "--request", "2")
check(rc == 1 and "no call paths for request 2" in err, "flame --request without call paths: exit 1, clear message")
rc, out, err, _ = run("flame", "--endpoint", "/", store=f"{d}/old.db")
check(rc == 1 and "this store has no call paths" in err and not out, "flame on a schema-1 store (no call_paths table): exit 1, clear message")
rc, out, _, _ = run("summary", "--pattern", "currency", store=f"{d}/old.db")
check(rc == 0 and "Requests:" in out, "a schema-1 store (no errors.stack, no call_paths) still reads, --pattern included")
fj = js("flame", "--endpoint", "/planted/latency.php")
check(fj.get("frames") == 3 and fj.get("svg", "").startswith("<?xml"), "flame --json: frames and the SVG in the document")

# -- errors ---------------------------------------------------------------------
er = js("errors")
o = (er.get("out_of_memory") or [{}])[0]
check((o.get("endpoint"), o.get("last_checkpoint"), o.get("count")) == ("/srv/app/public/planted/export.php", "rows-fetched", 3),
      f"errors: OOM on export.php, last checkpoint rows-fetched, 3 times ({o})")
fa = (er.get("fatals") or [{}])[0]
check(fa.get("out_of_memory") is True and [c["label"] for c in fa.get("checkpoints", [])] == ["request_start", "query-done", "rows-fetched"]
      and fa.get("mem_limit_bytes") == 128 * MIB and fa.get("stack", "").endswith("PDOStatement::fetchAll /srv/app/src/Export.php:57\n"),
      "errors: latest fatal with memory state, checkpoints and stack")
check(fa.get("grown_since_last_checkpoint_bytes") == 7 * MIB, "errors: 127 MiB in use, 120 MiB at rows-fetched: +7 MiB since the last checkpoint")
check(er.get("fatal_count") == 4 and er.get("aborted_count") == 3, "errors: 4 fatals, 3 aborted requests")
fr = {x["function"]: x["fatals"] for x in er.get("common_stack_frames", [])}
check(fr.get("PDOStatement::fetchAll") == 3 and fr.get("main") == 4, f"errors: most common stack frames ({fr})")
ee = js("errors", "--endpoint", "export.php")
ab = ee.get("aborted", [{}])
check(ee.get("fatal_count") == 3 and ee.get("aborted_count") == 2 and ab[0].get("last_checkpoint") == "rows-fetched"
      and ab[0].get("current_sql") == "SELECT * FROM orders", "errors --endpoint: its fatals and aborted requests with last checkpoint and SQL")
errs = {x["message"]: x for x in er.get("errors", [])}
check(errs.get("Payment gateway timeout", {}).get("requests") == 108, "errors: request errors grouped by message")

# -- text output names the culprits too -----------------------------------------------
rc, out, _, _ = run("memory")
check(rc == 0 and "load-rows → render" in out and "900.0 MiB" in out, "memory text: the pair and the jump")
rc, out, _, _ = run("errors")
check(rc == 0 and "OUT OF MEMORY" in out and "rows-fetched" in out, "errors text: OUT OF MEMORY and its last checkpoint")

# -- jobs of long-running workers (--plant-jobs) -------------------------------------
jdb = f"{d}/jobs.db"
KIB = 1024
jm = js("memory", store=jdb)
jw = jm.get("job_workers", [])
check([w["pid"] for w in jw] == [3003, 3001, 3002],
      f"memory: workers by growth per job: reindex (10 MiB), import (48 KiB), send-mail ({[w['pid'] for w in jw]})")
byp = {w["pid"]: w for w in jw}
lk = byp.get(3001, {})
check((lk.get("host"), lk.get("job"), lk.get("jobs"), lk.get("mem_after_first_bytes"),
       lk.get("mem_after_last_bytes"), lk.get("growth_per_job_bytes"), lk.get("fit_r2"), lk.get("verdict")) ==
      ("gen-worker-1", "import", 500, 40 * MIB + 4096, 40 * MIB + 499 * 48 * KIB - 4096, 48 * KIB, 1.0, "steady growth"),
      f"memory: the leaking worker, 500 jobs (most often import), 48 KiB per job, steady growth ({lk})")
fl = byp.get(3002, {})
check(fl.get("jobs") == 300 and fl.get("mem_after_first_bytes") == 10 * MIB and fl.get("verdict") == ""
      and fl.get("growth_per_job_bytes", 0) * 299 >= MIB and fl.get("fit_r2", 1) < 0.1,
      f"memory: the flat worker (up and down around a level after warming up: its line rises 2 MiB, "
      f"but a poor fit) has no verdict ({fl})")
sh = byp.get(3003, {})
check(sh.get("jobs") == 5 and sh.get("growth_per_job_bytes") == 10 * MIB and sh.get("verdict") == "",
      f"memory: 5 jobs growing 10 MiB each are too few for a verdict ({sh})")
check([w["pid"] for w in js("memory", "--limit", "1", store=jdb).get("job_workers", [])] == [3003],
      "memory --limit 1: one worker")
rc, out, _, _ = run("memory", store=jdb)
sec = out.split("Memory after each job, per worker", 1)[-1]
lines = [l for l in sec.splitlines() if "gen-worker-" in l]
check(rc == 0 and len(lines) == 3 and [("steady growth" in l) for l in lines] == [False, True, False]
      and "+48.0 KiB" in lines[1] and "import" in lines[1],
      f"memory text: the section, steady growth on the leaking worker's line only ({lines})")
rc, out, _, _ = run("memory", "--limit", "1", store=jdb)
check("... 2 more workers (--limit)" in out, "memory text: the workers left out are counted")
check(js("memory").get("job_workers") == [], "memory: a store without jobs has no workers")

sj = js("summary", "--limit", "100", store=jdb)
ins = [i for i in sj.get("insights", []) if i["kind"] == "job_memory_growth"]
check(len(ins) == 1 and ins[0]["endpoint"] == "job:import" and ins[0]["text"].startswith(
      "worker 3001 on gen-worker-1: memory after each job grows 48.0 KiB per job over 500 jobs (job import")
      and "a leak in a long-running worker" in ins[0]["text"],
      f"summary: the leak insight names the worker, its growth per job and its job ({ins})")
check(not any("3002" in i["text"] or "3003" in i["text"] for i in sj.get("insights", [])),
      "summary: neither the flat worker nor the short one is flagged")
check(sj.get("requests") == 2805 and sj.get("jobs") == 805, f"summary: 2000 requests + 805 jobs ({sj.get('requests')}, {sj.get('jobs')})")
eps = {e["endpoint"]: e for e in sj.get("endpoints", [])}
ji, jsm = eps.get("job:import", {}), eps.get("job:send-mail", {})
check((ji.get("kind"), ji.get("requests"), ji.get("fatals"), ji.get("out_of_memory")) == ("job", 490, 1, 1),
      f"summary: job:import, 490 jobs, its out-of-memory fatal error counted there ({ji})")
check((jsm.get("errors"), jsm.get("error_rate_percent")) == (6, 2.0),
      f"summary: a job failed when its status is not 0: 6 of 300 ({jsm})")
check(all(e["kind"] == ("job" if e["endpoint"].startswith("job:") else "request") for e in eps.values())
      and not any(e.startswith("job:") for e in eps if e.startswith("/")),
      "summary: every endpoint's kind, jobs and only jobs as job:NAME")
rc, out, _, _ = run("summary", store=jdb)
check(rc == 0 and "worker 3001 on gen-worker-1: memory after each job grows 48.0 KiB per job" in out
      and "Jobs: 805" in out, "summary text: the jobs count and the leak insight")

kj, kr = js("summary", "--kind", "job", store=jdb), js("summary", "--kind", "request", store=jdb)
check(kj.get("requests") == 805 and all(e["endpoint"].startswith("job:") for e in kj.get("endpoints", []))
      and kj.get("filters", {}).get("kind") == "job", f"--kind job: the 805 jobs only ({kj.get('requests')})")
check(kr.get("requests") == 2000 and kr.get("jobs") == 0 and kr.get("fatals") == 0
      and not any(e["endpoint"].startswith("job:") for e in kr.get("endpoints", [])),
      f"--kind request: the 2000 requests only, not the job's fatal error ({kr.get('requests')})")
check(js("summary", "--kind", "all", store=jdb).get("requests") == 2805, "--kind all: both")
ej = js("errors", "--kind", "job", store=jdb)
check(ej.get("fatal_count") == 1 and ej.get("aborted_count") == 1
      and (ej.get("out_of_memory") or [{}])[0].get("endpoint") == "job:import"
      and (ej.get("aborted") or [{}])[0].get("uri") == "send-mail",
      f"errors --kind job: the job's out of memory on job:import and the aborted send-mail job ({ej.get('fatal_count')}, {ej.get('aborted_count')})")
check(js("errors", "--kind", "request", store=jdb).get("aborted_count") == 1, "errors --kind request: the aborted web request only")
ek = js("memory", "--kind", "request", store=jdb)
check(ek.get("job_workers") == [], "memory --kind request: no workers")
ep = js("memory", "--endpoint", "job:import", store=jdb).get("job_workers", [])
check([(w["pid"], w["jobs"], w["verdict"]) for w in ep] == [(3001, 490, "steady growth")],
      f"memory --endpoint job:import: the leaking worker's import jobs ({ep})")
rc, _, err, _ = run("summary", "--kind", "cron", store=jdb)
check(rc == 2 and "--kind" in err, "bad --kind: exit 2")

old = js("memory", store=f"{d}/jobs-v2.db")
ow = {w["pid"]: w for w in old.get("job_workers", [])}
check(old.get("schema_version") == 2 and ow.get(3001, {}).get("verdict") == "steady growth"
      and ow.get(3001, {}).get("growth_per_job_bytes") == 48 * KIB and ow.get(3002, {}).get("verdict") == "",
      f"schema-2 store (jobs stored without their kind): jobs found by their method, the same verdicts ({list(ow)})")
check(js("summary", "--kind", "job", store=f"{d}/jobs-v2.db").get("requests") == 805,
      "schema-2 store: --kind job by method")

# -- timed and outbound calls (--plant-calls) ------------------------------------------
cdb = f"{d}/calls.db"
MS = 10**6
ex = js("external", "--endpoint", "checkout.php", store=cdb)
co = (ex.get("by_endpoint") or [{}])[0]
check((co.get("endpoint"), co.get("kind"), co.get("target"), co.get("name"), co.get("requests"),
       co.get("calls"), co.get("calls_per_request"), co.get("max_per_request")) ==
      ("/srv/app/public/planted/checkout.php", "http", "https://payments.example.com:443",
       "POST /v1/charge", 40, 40, 1.0, 1),
      f"external --endpoint: checkout's one call per request to the payments API ({co})")
check((co.get("total_ns"), co.get("p95_per_request_ns"), co.get("max_ns"), co.get("errors"),
       co.get("error_rate_percent"), co.get("repeated")) == (36 * 300 * MS + 4 * 1000 * MS, 1000 * MS,
      1000 * MS, 4, 10.0, False),
      f"external: 36 calls of 300 ms and 4 timeouts of 1 s: total 14.8 s, p95 1 s, 10% failed, not a loop ({co})")
ea = js("external", "--limit", "100", store=cdb)
tg = ea.get("targets") or [{}]
check((tg[0].get("target"), tg[0].get("kind"), tg[0].get("requests"), tg[0].get("calls"), tg[0].get("errors"),
       tg[0].get("avg_ns"), tg[0].get("max_ns")) == ("https://payments.example.com:443", "http", 40, 40, 4, 370 * MS, 1000 * MS),
      f"external: the slow dependency is the first target by total time ({tg[:1]})")
cart = [x for x in ea.get("by_endpoint", []) if x["endpoint"] == "/srv/app/public/planted/cart.php"]
c0 = cart[0] if cart else {}
check(len(cart) == 1 and (c0.get("kind"), c0.get("name"), c0.get("target"), c0.get("calls"), c0.get("calls_per_request"),
       c0.get("total_ns"), c0.get("max_ns"), c0.get("keys"), c0.get("repeated"), c0.get("repeated_requests")) ==
      ("cache", "GET", "redis 10.0.0.5:6379", 3600, 120.0, 30 * (119 * 200000 + 500000), 500000, 3600, True, 30),
      f"external: the Redis GET loop, 120 per request, flagged repeated in all 30 requests ({c0})")
check([x["endpoint"] for x in ea.get("by_endpoint", []) if x["repeated"]] == ["/srv/app/public/planted/cart.php"],
      "external: only the planted loop is flagged repeated (background calls at most 4 a request)")
check(ea.get("by_endpoint", [{}])[0].get("endpoint") == "/srv/app/public/planted/checkout.php",
      "external: calls by endpoint ordered by total time, the slow dependency first")
check(js("external", "--since", "30d", "--endpoint", "cart.php", store=cdb).get("by_endpoint", [{}])[0].get("requests") == 30
      and js("external", "--kind", "job", store=cdb).get("by_endpoint") == [],
      "external honours the filters (--since, --endpoint, --kind)")
rc, out, _, _ = run("external", store=cdb)
check(rc == 0 and "Outbound targets by total time" in out and "POST /v1/charge on https://payments.example.com:443" in out
      and any(l.rstrip().endswith("GET on redis 10.0.0.5:6379") and " yes " in l for l in out.splitlines()),
      "external text: the targets, the call on its target, the loop marked yes")
check(js("summary", "--pattern", "payments.example", store=cdb).get("requests") == 40,
      "--pattern matches an outbound call's target")
check(js("summary", "--pattern", "timed out after", store=cdb).get("requests") == 4,
      "--pattern matches why a timed call failed")

slow = "c0ffee00000000000000000000000009"   # the 10th checkout: its call timed out
tr = js("trace", "--trace", slow, store=cdb)
reqs = tr.get("requests", [])
check(tr.get("request_count") == 2 and [x.get("uri") for x in reqs] == ["/planted/checkout.php", "/v1/charge"],
      f"trace --trace: the checkout and the payments service's request, by start ({[x.get('uri') for x in reqs]})")
ck = reqs[0] if reqs else {}
tl = [(x["type"], x.get("name"), x["offset_ns"], x.get("duration_ns")) for x in ck.get("timeline", [])]
check(tl == [("sql", "SELECT * FROM carts WHERE id = ?", 10 * MS, 2 * MS),
             ("http", "POST /v1/charge", 50 * MS, 1000 * MS),
             ("checkpoint", "request_start", 275 * MS, None), ("checkpoint", "cart-loaded", 550 * MS, None),
             ("checkpoint", "payment-done", 825 * MS, None),
             ("sql", "UPDATE orders SET state = ? WHERE id = ?", 1060 * MS, 3 * MS)],
      f"trace: the timed calls by start, the checkpoints interleaved at their offsets ({tl})")
hc = next((x for x in ck.get("timeline", []) if x["type"] == "http"), {})
check((hc.get("target"), hc.get("error"), hc.get("span_id"), hc.get("status")) ==
      ("https://payments.example.com:443", "Operation timed out after 1000 milliseconds", "c200000000000009", 0),
      f"trace: the HTTP call's target, failure and span id ({hc})")
check((ck.get("span_total_count"), ck.get("spans_listed"), ck.get("calls_not_listed"), ck.get("wall_ns")) == (25, 3, 22, 1100 * MS),
      f"trace: 25 timed calls, 3 listed, 22 not ({ck.get('span_total_count')}, {ck.get('spans_listed')}, {ck.get('calls_not_listed')})")
dn = reqs[1] if len(reqs) > 1 else {}
check((dn.get("parent_span_id"), dn.get("called_by", {}).get("request_id"), dn.get("called_by", {}).get("name")) ==
      ("c200000000000009", ck.get("request_id"), "POST /v1/charge"),
      f"trace: the downstream request names the call it answered ({dn.get('called_by')})")
rc, out, _, _ = run("trace", "--request", str(ck.get("request_id")), store=cdb)
lines = out.splitlines()
http_line = next((l for l in lines if " http " in l), "")
sql_line = next((l for l in lines if " sql " in l), "")
check(rc == 0 and "ERROR Operation timed out after 1000 milliseconds" in http_line and http_line.count("=") >= 30
      and sql_line.count("=") <= 2 and sum(" checkpoint " in l and "*" in l for l in lines) == 3
      and "22 more timed call(s) not listed (25 in all" in out,
      f"trace text: the bars on the wall time (the 1 s call across it), the failure, the checkpoints, the calls not listed")
cart_id = int(sqlite3.connect(cdb).execute("SELECT min(id) FROM requests WHERE uri = '/planted/cart.php'").fetchone()[0])
ct = (js("trace", "--request", str(cart_id), store=cdb).get("requests") or [{}])[0]
tl = ct.get("timeline", [])
check((ct.get("spans_listed"), ct.get("calls_not_listed"), sum(x["type"] == "cache" for x in tl),
       max((x.get("duration_ns") or 0) for x in tl if x["type"] == "cache")) == (64, 57, 63, 500000),
      f"trace: the loop's 64 longest calls listed, 57 not ({ct.get('spans_listed')}, {ct.get('calls_not_listed')})")
rc, _, err, _ = run("trace", store=cdb)
check(rc == 2 and "--request" in err, "trace without --request or --trace: exit 2")
rc, _, err, _ = run("trace", "--trace", "xyz", store=cdb)
check(rc == 2 and "--trace" in err, "trace --trace with a bad id: exit 2")
rc, _, err, _ = run("trace", "--request", "99999999", store=cdb)
check(rc == 1 and "no request 99999999" in err, "trace of an unknown request: exit 1, clear message")
rc, _, err, _ = run("summary", "--trace", slow, store=cdb)
check(rc == 2, "--trace outside trace: exit 2")
o3 = (js("trace", "--request", "5", store=f"{d}/calls-v3.db").get("requests") or [{}])[0]
check(o3.get("request_id") == 5 and [x["type"] for x in o3.get("timeline", [])] == ["checkpoint"] * 4
      and "span_total_count" not in o3, f"trace on a schema-3 store: the checkpoints alone ({o3.get('timeline')})")
rc, out, _, _ = run("trace", "--request", "5", store=f"{d}/calls-v3.db")
check(rc == 0 and "timed calls not recorded" in out, "trace text on a schema-3 store says why there are no calls")
rc, _, err, _ = run("external", store=f"{d}/calls-v3.db")
check(rc == 1 and "no outbound calls" in err, "external on a schema-3 store: exit 1, clear message")
for cmd in ["external", "summary", "sql"]:
    rc, out, err, secs = run(cmd, "--json", store=cdb)
    check(rc == 0 and json.loads(out).get("command") == cmd and secs < 30, f"{cmd} --json on the calls store: {secs:.2f} s")

# -- exit codes, config, concurrency -------------------------------------------------
rc, _, err, _ = run("summary", store=f"{d}/nope.db")
check(rc == 3 and "no store" in err, "missing store: exit 3")
open(f"{d}/junk.db", "w").write("x" * 4096)
rc, _, err, _ = run("summary", store=f"{d}/junk.db")
check(rc == 3 and "not a bvapm store" in err, "not SQLite: exit 3")
shutil.copy(db, f"{d}/new.db")
c2 = sqlite3.connect(f"{d}/new.db"); c2.execute("PRAGMA user_version = 99"); c2.commit(); c2.close()
rc, _, err, _ = run("summary", store=f"{d}/new.db")
check(rc == 5 and "newer" in err, "schema newer than the tool: exit 5")
os.chmod(f"{d}/new.db", 0)
if os.geteuid() == 0:
    os.chmod(d, 0o755)
    rc, _, err, _ = (lambda p: (p.returncode, p.stdout, p.stderr, 0))(subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", report, "--db", f"{d}/new.db", "summary"],
        capture_output=True, text=True))
else:
    rc, _, err, _ = run("summary", store=f"{d}/new.db")
check(rc == 4 and "permission denied" in err, f"unreadable store: exit 4 ({rc} {err.strip()})")
rc, _, _, _ = run("nonsense")
check(rc == 2, "unknown command: exit 2")
rc, _, err, _ = run("summary", "--since", "yesterday")
check(rc == 2 and "--since" in err, "bad --since: exit 2")
rc, _, _, _ = run("summary", "--request", "3")
check(rc == 2, "--request outside flame: exit 2")
open(f"{d}/drainer.ini", "w").write(f"[sqlite]\npath = {db} ; comment\n")
rc, out, _, _ = run("-c", f"{d}/drainer.ini", "summary", store=None)
check(rc == 0 and "Requests: 20177" in out, "-c drainer.ini: the store path from [sqlite] path")
rc, out, _, _ = run("-c", f"{d}/none.ini", "summary", store=None)
check(rc == 2, "-c with a missing file: exit 2")

w = sqlite3.connect(db, timeout=10, isolation_level=None)
w.execute("BEGIN IMMEDIATE")
w.execute("INSERT INTO stats (pid, producer_start_unix_ns, sequence, name, value) VALUES (1, 1, 1, 'x', 1)")
rc, out, err, secs = run("summary", "--json")
check(rc == 0 and json.loads(out)["requests"] == 20177, f"reads while a writer holds the write lock ({secs:.2f} s)")
w.execute("ROLLBACK"); w.close()

for cmd in ["summary", "memory", "sql", "functions", "errors"]:
    rc, out, err, secs = run(cmd, "--json")
    try:
        doc = json.loads(out); ok = doc.get("command") == cmd
    except ValueError:
        ok = False
    check(rc == 0 and ok and secs < 30, f"{cmd} --json: one JSON document, {secs:.2f} s on 20 177 requests")
check(hashlib.sha256(open(db, "rb").read()).hexdigest() == digest, "the store file is unchanged (opened read-only)")
finish()
PY
