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
# before schema 4. --request on every command (that request alone, its
# fatal error matched by producer and start, no aborted request). A store
# whose planted hour starts at midnight UTC: timeline (buckets on exact
# bounds: counts, rates, errors, nearest-rank percentiles, fatal errors,
# empty buckets, the endpoints' series, the chosen width) and requests (the
# order of every --sort, each row's figures, both histograms' exact
# buckets); their usage errors.
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
# Planted hour starting at a midnight UTC: timeline buckets on known bounds.
"$gen" --requests 2000 --plant --end 1796259600 "$dir/fixed.db" || { not_ok "fixed-time store generated"; finish; }

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

# -- --request on every command -------------------------------------------------------
lat_ids = [x[0] for x in sqlite3.connect(db).execute(
    "SELECT id FROM requests WHERE uri = '/planted/latency.php' ORDER BY start_unix_ns").fetchall()]
r95 = str(lat_ids[94])  # the 95th: 95 ms
s1 = js("summary", "--request", r95)
e1 = (s1.get("endpoints") or [{}])[0]
check((s1.get("requests"), s1.get("filters", {}).get("request_id"), e1.get("endpoint"), e1.get("p50_ns"), e1.get("max_ns"),
       s1.get("fatals"), s1.get("loss", {}).get("aborted_requests")) ==
      (1, int(r95), "/srv/app/public/planted/latency.php", 95 * 10**6, 95 * 10**6, 0, 0),
      f"summary --request: that request alone, no fatal error, no aborted request ({s1.get('requests')}, {e1})")
f1 = (js("functions", "--request", r95).get("functions") or [{}])[0]
check((f1.get("function"), f1.get("exclusive_ns"), f1.get("requests")) == ("App\\Planted::hotLoop", 10**9, 1),
      f"functions --request: its hot function, 1 s, one request ({f1})")
big = sqlite3.connect(db).execute("SELECT id FROM requests WHERE mem_peak_bytes = ?", (915 * MIB,)).fetchone()[0]
p1 = (js("memory", "--request", str(big)).get("checkpoint_pairs") or [{}])[0]
check((p1.get("from"), p1.get("to"), p1.get("max_jump_bytes"), p1.get("count")) == ("load-rows", "render", 900 * MIB, 1),
      f"memory --request: its own 900 MiB jump only ({p1})")
perm = sqlite3.connect(db).execute("SELECT min(id) FROM requests WHERE uri = '/planted/permissions.php'").fetchone()[0]
n1 = (js("sql", "--request", str(perm)).get("n_plus_one") or [{}])[0]
check((n1.get("requests"), n1.get("max_per_request")) == (1, 250), f"sql --request: its N+1 statement, 250 runs ({n1})")
ee = js("errors", "--request", r95)
check((ee.get("fatal_count"), ee.get("aborted_count")) == (0, 0), "errors --request: no fatal error of another request, no aborted one")
# A fatal error the worker wrote during the request (same producer, same start; the agent's order).
shutil.copy(db, f"{d}/fatal.db")
fc = sqlite3.connect(f"{d}/fatal.db")
pid, ps, st, seq = fc.execute("SELECT pid, producer_start_unix_ns, start_unix_ns, sequence FROM requests WHERE id = ?", (int(r95),)).fetchone()
fc.execute("INSERT INTO fatals (pid, producer_start_unix_ns, sequence, type, message, out_of_memory, method, uri, route, "
           "start_unix_ns, wall_ns) VALUES (?, ?, ?, 'E_ERROR', 'Allowed memory size exhausted', 1, 'GET', "
           "'/planted/latency.php', '/srv/app/public/planted/latency.php', ?, 90000000)", (pid, ps, 10**9 + seq, st))
fc.commit(); fc.close()
ef = js("errors", "--request", r95, store=f"{d}/fatal.db")
check((ef.get("fatal_count"), (ef.get("fatals") or [{}])[0].get("message"), ef.get("aborted_count")) ==
      (1, "Allowed memory size exhausted", 0), f"errors --request: the request's own fatal error, matched by producer and start ({ef.get('fatal_count')})")
sf = js("summary", "--request", r95, store=f"{d}/fatal.db")
check((sf.get("fatals"), sf.get("out_of_memory")) == (1, 1), "summary --request: its fatal error counted")
check(js("errors", "--request", str(lat_ids[93]), store=f"{d}/fatal.db").get("fatal_count") == 0,
      "errors --request: another request of the same endpoint has none")
check([x["request_id"] for x in js("requests", "--request", r95).get("requests", [])] == [int(r95)],
      "requests --request: one row")
t1 = js("timeline", "--request", r95)
check((t1.get("requests"), t1.get("bucket_count"), t1.get("buckets", [{}])[0].get("p99_ns")) == (1, 1, 95 * 10**6),
      f"timeline --request: one bucket of one request ({t1.get('requests')}, {t1.get('bucket_count')})")
co_id = sqlite3.connect(f"{d}/calls.db").execute("SELECT min(id) FROM requests WHERE uri = '/planted/checkout.php'").fetchone()[0]
x1 = (js("external", "--request", str(co_id), store=f"{d}/calls.db").get("by_endpoint") or [{}])[0]
check((x1.get("requests"), x1.get("calls"), x1.get("name")) == (1, 1, "POST /v1/charge"), f"external --request: its one call ({x1})")
check(js("summary", "--request", "99999999").get("requests") == 0, "--request of an unknown id: an empty selection")

# -- timeline ---------------------------------------------------------------------
fx = f"{d}/fixed.db"
SEC, MS = 10**9, 10**6
T0 = (1796259600 - 3600) * SEC  # midnight UTC: the first planted request
tl = js("timeline", "--endpoint", "/planted/latency.php", "--bucket", "1m", store=fx)
bk = tl.get("buckets", [])
check((tl.get("bucket_ns"), tl.get("bucket"), tl.get("bucket_count"), tl.get("requests"), len(bk),
       tl.get("first_bucket_unix_ns"), tl.get("last_bucket_unix_ns")) == (60 * SEC, "1m", 17, 100, 17, T0, T0 + 16 * 60 * SEC),
      f"timeline --bucket 1m: 100 requests 10 s apart from midnight in 17 buckets ({[tl.get(k) for k in ('bucket_ns', 'bucket_count', 'requests')]})")
want = []
for k in range(17):
    walls = list(range(6 * k + 1, min(6 * k + 6, 100) + 1))  # ms
    n = len(walls)
    rank = lambda p: walls[max(1, -(-p * n // 100)) - 1] * MS
    want.append({"start_unix_ns": T0 + k * 60 * SEC, "requests": n, "requests_per_s": round(n / 60, 2),
                 "errors": sum(w % 10 == 0 for w in walls), "error_rate_percent": round(100 * sum(w % 10 == 0 for w in walls) / n, 2),
                 "fatals": 0, "out_of_memory": 0, "p50_ns": rank(50), "p95_ns": rank(95), "p99_ns": rank(99),
                 "mem_peak_max_bytes": 64 * MIB})
check(bk == want, f"timeline: every bucket's requests, rate, errors, nearest-rank p50/p95/p99, peak ({bk[:2]} vs {want[:2]})")
check((bk[0]["p50_ns"], bk[0]["p95_ns"], bk[16]["requests"], bk[16]["p50_ns"]) == (3 * MS, 6 * MS, 4, 98 * MS),
      "timeline: 1..6 ms → p50 3 ms, p95 6 ms; the last bucket 97..100 ms, p50 98 ms")
ep = (tl.get("endpoints") or [{}])[0]
check((ep.get("endpoint"), ep.get("requests_total"), ep.get("requests"), ep.get("p95_ns")) ==
      ("/srv/app/public/planted/latency.php", 100, [b["requests"] for b in want], [b["p95_ns"] for b in want]),
      f"timeline: the endpoint's requests and p95 per bucket ({ep.get('requests')})")
t5 = js("timeline", "--endpoint", "/planted/latency.php", "--bucket", "5s", store=fx).get("buckets", [])
check(len(t5) == 199 and [b["requests"] for b in t5[:3]] == [1, 0, 1] and t5[1] == dict(want[0], start_unix_ns=T0 + 5 * SEC,
      requests=0, requests_per_s=0, errors=0, error_rate_percent=0, p50_ns=0, p95_ns=0, p99_ns=0, mem_peak_max_bytes=0),
      f"timeline --bucket 5s: the empty buckets between are listed with 0s ({len(t5)})")
check(js("timeline", "--endpoint", "/planted/latency.php", store=fx).get("bucket_ns") == 30 * SEC,
      "timeline: 990 s between first and last request → 30 s buckets (the smallest width under 60 buckets)")
ta = js("timeline", "--limit", "3", store=fx)
sf = js("summary", store=fx)
ab = ta.get("buckets", [])
check((ta.get("bucket_ns"), ta.get("requests"), sum(b["requests"] for b in ab), sum(b["errors"] for b in ab),
       sum(b["fatals"] for b in ab), sum(b["out_of_memory"] for b in ab), max(b["mem_peak_max_bytes"] for b in ab)) ==
      (6 * 3600 * SEC, sf.get("requests"), sf.get("requests"), sf.get("errors"), 3, 3, 915 * MIB),
      f"timeline over 7 days: 6 h buckets, the same requests, errors, fatal errors and OOMs as summary ({ta.get('bucket_count')})")
te = ta.get("endpoints", [])
check(len(te) == 3 and [e["endpoint"] for e in te] == [e["endpoint"] for e in sf.get("endpoints", [])[:3]]
      and all(sum(e["requests"]) == e["requests_total"] and len(e["requests"]) == len(ab) == len(e["p95_ns"]) for e in te),
      "timeline --limit 3: the 3 endpoints with the most requests, each series one value a bucket")
tx = js("timeline", "--endpoint", "export.php", "--bucket", "1m", store=fx)
check((tx.get("requests"), tx.get("fatals"), [(b["fatals"], b["out_of_memory"], b["requests"]) for b in tx.get("buckets", [])]) ==
      (0, 3, [(3, 3, 0)]), f"timeline: fatal errors by their request's start, with no request stored ({tx.get('buckets')})")
check(js("timeline", "--endpoint", "nothing-here.php", store=fx).get("buckets") == [], "timeline of an empty selection: no buckets")
rc, out, _, _ = run("timeline", "--endpoint", "/planted/latency.php", "--bucket", "1m", store=fx)
day0 = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(T0 // SEC))
row0 = next((l for l in out.splitlines() if l.startswith("  " + day0)), "")
check(rc == 0 and "17 buckets of 1m" in out and row0.split()[2:6] == ["6", "0.1", "0", "0.0%"]
      and "3.0 ms" in row0 and row0.endswith("#" * 20),
      f"timeline text: one row per bucket with its bar ({row0})")
check("  p95 ▁▁▂▂▃▃▄▄▅▅▆▆▇▇███" in out and "▇" in out, "timeline text: the endpoint's p95 as a sparkline")
for bad in ["0s", "5x", "1.5m", "m"]:
    rc, _, err, _ = run("timeline", "--bucket", bad, store=fx)
    check(rc == 2 and f"--bucket {bad}" in err, f"timeline --bucket {bad}: exit 2, clear message")
rc, _, err, _ = run("timeline", "--bucket", "1s", store=fx)
check(rc == 2 and "buckets over the selection" in err, f"timeline --bucket 1s over 7 days: too many buckets, exit 2 ({err.strip()})")

# -- requests ---------------------------------------------------------------------
rq = js("requests", "--endpoint", "/planted/latency.php", "--limit", "3", store=fx)
rows = rq.get("requests", [])
lat_fx = [x[0] for x in sqlite3.connect(fx).execute("SELECT id FROM requests WHERE uri = '/planted/latency.php' ORDER BY start_unix_ns")]
check((rq.get("request_count"), rq.get("sort"), [(x["request_id"], x["wall_ns"], x["status"], x["start_unix_ns"]) for x in rows]) ==
      (100, "wall", [(lat_fx[99], 100 * MS, 500, T0 + 990 * SEC), (lat_fx[98], 99 * MS, 200, T0 + 980 * SEC),
                     (lat_fx[97], 98 * MS, 200, T0 + 970 * SEC)]),
      f"requests: the slowest first, 100, 99, 98 ms ({[(x['wall_ns'], x['status']) for x in rows]})")
x0 = rows[0] if rows else {}
cpu, tid = sqlite3.connect(fx).execute("SELECT (cpu_user_us + cpu_sys_us) * 1000, trace_id FROM requests WHERE id = ?", (lat_fx[99],)).fetchone()
check((x0.get("endpoint"), x0.get("uri"), x0.get("kind"), x0.get("method"), x0.get("cpu_ns"), x0.get("mem_peak_bytes"),
       x0.get("sql_count"), x0.get("error_count"), x0.get("trace_id")) ==
      ("/srv/app/public/planted/latency.php", "/planted/latency.php", "request", "GET", cpu, 64 * MIB, 0, 0, tid),
      f"requests: a row's figures ({x0})")
check(rq.get("wall_histogram") == [{"lo": 1 * MS, "hi": 2 * MS, "count": 1}, {"lo": 2 * MS, "hi": 5 * MS, "count": 3},
      {"lo": 5 * MS, "hi": 10 * MS, "count": 5}, {"lo": 10 * MS, "hi": 20 * MS, "count": 10},
      {"lo": 20 * MS, "hi": 50 * MS, "count": 30}, {"lo": 50 * MS, "hi": 100 * MS, "count": 50},
      {"lo": 100 * MS, "hi": 200 * MS, "count": 1}], f"requests: wall histogram of 1..100 ms in 1-2-5 steps ({rq.get('wall_histogram')})")
check(rq.get("mem_peak_histogram") == [{"lo": 64 * MIB, "hi": 128 * MIB, "count": 100}], "requests: peak histogram, 64 MiB in [64, 128) MiB")
tm = js("requests", "--endpoint", "/planted/latency.php", "--sort", "time", "--limit", "2", store=fx).get("requests", [])
check([x["start_unix_ns"] for x in tm] == [T0 + 990 * SEC, T0 + 980 * SEC], "requests --sort time: the newest first")
con = sqlite3.connect(fx)
def top(sql):
    return [x[0] for x in con.execute(f"SELECT id FROM requests ORDER BY {sql} DESC, id DESC LIMIT 5")]
for key, sql in [("wall", "wall_ns"), ("cpu", "cpu_user_us + cpu_sys_us"), ("peak", "mem_peak_bytes"),
                 ("sql", "sql_total_count"), ("time", "start_unix_ns")]:
    got = [x["request_id"] for x in js("requests", "--sort", key, "--limit", "5", store=fx).get("requests", [])]
    check(got == top(sql), f"requests --sort {key}: the 5 first by {sql}, ties the later first ({got} vs {top(sql)})")
pk = (js("requests", "--sort", "peak", "--limit", "1", store=fx).get("requests") or [{}])[0]
check((pk.get("endpoint"), pk.get("mem_peak_bytes")) == ("/srv/app/public/planted/report.php", 915 * MIB), "requests --sort peak: the 915 MiB report")
sq = (js("requests", "--sort", "sql", "--limit", "1", store=fx).get("requests") or [{}])[0]
check((sq.get("endpoint"), sq.get("sql_count")) == ("/srv/app/public/planted/permissions.php", 251), f"requests --sort sql: 251 statements ({sq.get('sql_count')})")
pe = js("requests", "--pattern", "payment gateway", "--limit", "1000", store=fx)
errs_db = dict(con.execute("SELECT request_id, sum(count) FROM errors GROUP BY request_id").fetchall())
check(pe.get("request_count") > 0 and all(x["error_count"] == errs_db.get(x["request_id"], 0) and x["error_count"] >= 1
      for x in pe.get("requests", [])), "requests: each request's error count")
al = js("requests", "--limit", "1", store=fx)
n_fx = con.execute("SELECT count(*) FROM requests").fetchone()[0]
check(al.get("request_count") == n_fx and sum(b["count"] for b in al.get("wall_histogram", [])) == n_fx
      and sum(b["count"] for b in al.get("mem_peak_histogram", [])) == n_fx
      and al["mem_peak_histogram"][-1] == {"lo": 512 * MIB, "hi": 1024 * MIB, "count": 1},
      "requests: both histograms count every selected request; the 915 MiB one alone in [512 MiB, 1 GiB)")
rc, out, _, _ = run("requests", "--endpoint", "/planted/latency.php", "--limit", "2", store=fx)
check(rc == 0 and "... 98 more requests (--limit)" in out and "Wall time histogram" in out
      and any(l.strip().startswith("50.0 ms .. 100.0 ms") and l.endswith("#" * 40) for l in out.splitlines()),
      "requests text: the rows, the count left out, the histogram with bars")
rc, _, err, _ = run("requests", "--sort", "fast", store=fx)
check(rc == 2 and "--sort fast" in err, "requests --sort fast: exit 2, clear message")
con.close()

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
rc, _, err, _ = run("summary", "--bucket", "5m")
check(rc == 2 and "--bucket belongs to timeline" in err, "--bucket outside timeline: exit 2")
rc, _, err, _ = run("summary", "--sort", "wall")
check(rc == 2 and "--sort belongs to requests" in err, "--sort outside requests: exit 2")
rc, _, err, _ = run("summary", "-o", f"{d}/x.svg")
check(rc == 2 and "-o belongs to flame" in err, "-o outside flame: exit 2")
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

for cmd in ["summary", "memory", "sql", "functions", "errors", "timeline", "requests"]:
    rc, out, err, secs = run(cmd, "--json")
    try:
        doc = json.loads(out); ok = doc.get("command") == cmd
    except ValueError:
        ok = False
    check(rc == 0 and ok and secs < 30, f"{cmd} --json: one JSON document, {secs:.2f} s on 20 177 requests")
check(hashlib.sha256(open(db, "rb").read()).hexdigest() == digest, "the store file is unchanged (opened read-only)")
finish()
PY
