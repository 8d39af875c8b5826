#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Long-running php-cli workers (testing/jobs/worker.php) record one profile
# per job, through bvapm-drainer into the SQLite store: exact job counts,
# each job's own SQL count and memory, failed jobs kept as errors, the
# start-up of each worker as its own record; a worker that keeps memory job
# after job is shown by bvapm-report (memory after each job, per worker; the
# steady-growth insight) and a flat one is not; a worker stuck in a job is
# shown by bvapm-shm top and, killed with SIGKILL, leaves an aborted record
# of the job. Prints TAP.
#   test_cli_jobs.sh BVAPM_SO BVAPM_DRAINER BVAPM_REPORT BVAPM_SHM
set -u
so=$1 drainer=$2 report=$3 shm=$4
. "$(dirname "$0")/../lib/common.sh"
scratch jobs 0777
worker=$TESTING/jobs/worker.php

drainer_start "$drainer" "$dir" jobs --set ring.size=16M --set drainer.aborted_scan_ms=200 ||
  { not_ok "drainer created the ring"; finish; }
# every job kept (sample_rate 1), light mode: no function profile
php_cli=(php -n -d "extension=$so" -d bvapm.cli_enabled=1 -d bvapm.ring=jobs -d bvapm.mode=light
         -d bvapm.sample_rate=1 -d bvapm.service=worker -d extension=pdo -d extension=pdo_sqlite)

"${php_cli[@]}" -d bvapm.job_peak_reset=1 "$worker" flat 300 50 > "$dir/flat.out" 2> "$dir/flat.err" & flat=$!
"${php_cli[@]}" "$worker" leak 120 > "$dir/leak.out" 2> "$dir/leak.err" & leak=$!
"${php_cli[@]}" "$worker" stuck 1 > "$dir/stuck.out" 2> "$dir/stuck.err" & stuck=$!
on_exit "kill -9 $flat $leak $stuck 2>/dev/null"
wait "$flat"; rc=$?
check "flat worker ran 300 jobs" "[ $rc -eq 0 ] && [ \$(wc -l < '$dir/flat.out') -eq 300 ]" "$(tail -c 300 "$dir/flat.err")"
wait "$leak"; rc=$?
check "leaking worker ran 120 jobs" "[ $rc -eq 0 ] && [ \$(wc -l < '$dir/leak.out') -eq 120 ]" "$(tail -c 300 "$dir/leak.err")"

# ---- the stuck worker: live in top, then killed mid-job --------------------------
inflight='[s for s in d["slots"] if s["state"] == "request" and s["method"] == "JOB" and s["uri"] == "stuck" and (s["checkpoint"] or {}).get("label") == "waiting"]'
if wait_until -i 0.1 15 json_holds "$inflight" "$shm" --ring jobs --json top --once; then
  ok "bvapm-shm top shows the job in flight (JOB stuck, checkpoint waiting)"
else
  not_ok "top never showed the job: $out"
fi
out=$("$shm" --ring jobs top --once)
echo "$out" | grep -q "JOB *stuck.*waiting" && ok "top text shows the job's row" || not_ok "top text: $out"
kill -9 "$stuck"; wait "$stuck" 2>/dev/null
aborted() { [ "$(store_count "$dir/store.db" "aborted WHERE method = 'JOB' AND uri = 'stuck'")" = 1 ]; }
wait_until -i 0.2 15 aborted && ok "the killed worker's job is an aborted record" || not_ok "no aborted record of the job"
drainer_stop_check "drainer exits 0 on SIGTERM"

# ---- the store ----------------------------------------------------------------------
$PY - "$dir" "$flat" "$leak" "$report" <<'PY'
import subprocess, sys
from tap import check, finish
from store_db import open_store
d, db = open_store()
flat, leak = int(sys.argv[2]), int(sys.argv[3])
def jobs(pid):
    return db.execute("SELECT * FROM requests WHERE pid = ? AND kind = 1 ORDER BY sequence", (pid,)).fetchall()
fj, lj = jobs(flat), jobs(leak)
check(len(fj) == 300 and len(lj) == 120, f"every job stored, once: 300 and 120 (got {len(fj)}, {len(lj)})")
check(all(r["method"] == "JOB" and r["route"] == "import" and r["sapi"] == "cli" for r in fj), "job rows: JOB, route import, sapi cli")
starts = db.execute("SELECT pid, method, kind FROM requests WHERE kind = 0 AND pid IN (?, ?)", (flat, leak)).fetchall()
check(sorted((r[0], r[1]) for r in starts) == sorted([(flat, "CLI"), (leak, "CLI")]), f"each worker's start-up: one CLI request record ({[tuple(r) for r in starts]})")
seq = [r["sequence"] for r in fj]
check(seq == list(range(seq[0], seq[0] + 300)), "the flat worker's jobs have consecutive sequence numbers")
sql_ok = all(r["sql_total_count"] == (i % 5 + 1) + 1 for i, r in enumerate(fj))
check(sql_ok, "each job's own SQL: one insert + i % 5 + 1 lookups, none of the other jobs' or the start-up's")
failed = [i for i, r in enumerate(fj) if r["status"] != 0]
check(failed == list(range(49, 300, 50)) and all(fj[i]["keep_reason"] == 3 for i in failed),
      f"failed jobs: status 1, kept as errors ({failed})")
tags = db.execute("SELECT key, value FROM tags WHERE request_id = ? ORDER BY key", (fj[7]["id"],)).fetchall()
check([tuple(t) for t in tags] == [("message", "7"), ("queue", "default")], f"job tags ({[tuple(t) for t in tags]})")
out = [int(l.split()[1]) for l in open(f"{d}/leak.out")]
ends = [r["mem_end_bytes"] for r in lj]
growth = (ends[-1] - ends[0]) / (len(ends) - 1)
check(60 << 10 <= growth <= 72 << 10, f"the leaking worker's memory after each job grows ~64 KiB per job ({growth:.0f} B)")
check(all(abs(e - o) <= 64 << 10 for e, o in zip(ends, out)), "memory after each job as the worker saw it")
fe = [r["mem_end_bytes"] for r in fj]
check(max(fe[10:]) - min(fe[10:]) < 256 << 10, "the flat worker's memory after each job stays flat")
check(all(256 << 10 <= r["mem_peak_bytes"] - r["mem_start_bytes"] < 400 << 10 for r in fj),
      "bvapm.job_peak_reset=1: each job's peak is its own (its 256 KiB scratch buffer)")

# ---- bvapm-report: memory after each job, per worker; the leak insight ----------
import json
def report(*args):
    p = subprocess.run([sys.argv[4], "--db", f"{d}/store.db", "--json", *args], capture_output=True, text=True)
    return json.loads(p.stdout) if p.returncode == 0 else {"error": p.stderr}
mem = report("memory")
workers = {w.get("pid"): w for w in mem.get("job_workers", [])}
lw, fw = workers.get(leak, {}), workers.get(flat, {})
check(lw.get("jobs") == 120 and fw.get("jobs") == 300, f"memory: both workers listed with their job counts ({lw.get('jobs')}, {fw.get('jobs')})")
check("steady" in str(lw.get("verdict", "")), f"memory: the leaking worker's verdict is steady growth ({lw})")
check("steady" not in str(fw.get("verdict", "")), f"memory: the flat worker is not flagged ({fw.get('verdict')})")
summ = report("summary")
leaks = [i for i in summ.get("insights", []) if i.get("kind") == "job_memory_growth"]
check(len(leaks) == 1 and str(leak) in json.dumps(leaks[0]) and "export" in json.dumps(leaks[0]),
      f"summary: one leak insight, for the leaking worker's job export ({leaks})")
jobs_only = report("summary", "--kind", "job")
eps = sorted(e.get("endpoint", "") for e in jobs_only.get("endpoints", []))
check("job:export" in eps and "job:import" in eps and all(e.startswith("job:") for e in eps), f"--kind job: the job endpoints only ({eps})")
finish()
PY
