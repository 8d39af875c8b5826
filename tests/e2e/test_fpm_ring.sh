#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End to end through real nginx + php-fpm (opcache and JIT on) with bvapm.so:
# requests made with curl leave the expected records in a real ring in
# /dev/shm — method, URI, status, keep reason, checkpoints, tags, counters,
# trace id, peak memory (within 5% of what the script printed), wall time
# (within the client's). Prints TAP.
#   test_fpm_ring.sh BVAPM_SO FAKE_PRODUCER (bvapm-fake-producer, testing/)
set -u
so=$1 tool=$2
. "$(dirname "$0")/../lib/common.sh"
scratch e2e 0777
"$tool" create e2e $((1 << 20)) || bail "cannot create the ring"
port=$(free_port)
stack_start "$dir" "$port" "$so" e2e light bvapm.sample_rate=0 bvapm.slow_threshold_ms=200 \
  bvapm.service=shop || { not_ok "stack start"; finish; }
url=http://127.0.0.1:$port

curl -s -o "$dir/plain.out" "$url/plain.php"
curl -s -o "$dir/cp.out" -H 'X-Bvapm-Profile: 1' "$url/checkpoints.php"
curl -s -o "$dir/tags.out" -H 'X-Bvapm-Profile: 1' \
  -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' "$url/tags.php"
curl -s -o "$dir/cookie.out" --cookie 'bvapm_profile=1' "$url/app/orders/42?secret=x"
curl -s -o "$dir/seed.out" -H 'X-Force-Memory-Profile: 1' "$url/app/seed-header"
curl -s -o /dev/null -w '%{time_total}\n' "$url/slow.php" > "$dir/slow.time"
curl -s -o /dev/null -w '%{http_code}\n' "$url/exception.php" > "$dir/exc.code"
stack_stop
"$tool" dump e2e > "$dir/records.jsonl"
[ -n "${BVAPM_E2E_DEBUG:-}" ] && cat "$dir/records.jsonl" >&2

python3 - "$dir" <<'PY'
import json, sys
from tap import check, finish
d = sys.argv[1]
recs = [json.loads(l) for l in open(f"{d}/records.jsonl")]
by_uri = {r["body"]["uri"]: r for r in recs}
check(len(recs) == 6, f"6 records kept of 7 requests (got {len(recs)}: {sorted(by_uri)})")
check("/plain.php" not in by_uri, "unsampled fast request in light mode: no record")
cp = by_uri.get("/checkpoints.php", {}).get("body", {})
size, peak = [int(x) for x in open(f"{d}/cp.out").read().split()]
check(cp.get("keep_reason") == "Forced" and cp.get("method") == "GET" and cp.get("status") == 200,
      "forced by X-Bvapm-Profile: GET 200 Forced")
check([c["label"] for c in cp.get("checkpoints", [])] == ["start", "rows-loaded", "encoded"], "checkpoint labels in order")
check(abs(cp.get("mem_peak_bytes", 0) - peak) <= 0.05 * peak, f"peak memory {cp.get('mem_peak_bytes')} within 5% of the script's {peak}")
jumps = [c for c in cp.get("checkpoints", []) if c.get("largest_jump")]
check(len(jumps) == 1 and jumps[0]["label"] == "rows-loaded", "largest jump is rows-loaded")
tags = by_uri.get("/tags.php", {})
check(tags.get("trace_id") == "4bf92f3577b34da6a3ce929d0e0e4736" and tags.get("parent_span_id") == "00f067aa0ba902b7",
      "incoming traceparent continued")
check(open(f"{d}/tags.out").read().strip() == "4bf92f3577b34da6a3ce929d0e0e4736", "bvapm_trace_id() returns it to PHP")
tb = tags.get("body", {})
check(tb.get("tags") == [{"key": "route", "value": "orders.index"}] and tb.get("counters") == [{"name": "models", "value": 8934}],
      "tags and counters")
check(by_uri.get("/app/orders/42", {}).get("body", {}).get("keep_reason") == "Forced", "forced by cookie; front-controller path recorded, query string left out")
check(by_uri.get("/app/seed-header", {}).get("body", {}).get("keep_reason") == "Forced", "forced by X-Force-Memory-Profile")
slow = by_uri.get("/slow.php", {}).get("body", {})
client = float(open(f"{d}/slow.time").read()) * 1e9
check(slow.get("keep_reason") == "Slow" and 300e6 <= slow.get("wall_ns", 0) <= client,
      f"slow request kept; wall {slow.get('wall_ns')} ns between 300 ms and the client's {client:.0f} ns")
exc = by_uri.get("/exception.php", {}).get("body", {})
check(open(f"{d}/exc.code").read().strip() == "500" and exc.get("status") == 500 and exc.get("keep_reason") == "Error",
      "uncaught exception: 500 kept as Error")
check(any("order 42 not found" in e.get("message", "") for e in exc.get("errors", [])), "the error message is in the record")
pids = {r["pid"] for r in recs}
seqs = sorted((r["pid"], r["sequence"]) for r in recs)
ok = all(s[1] == i + 1 for p in pids for i, s in enumerate([x for x in seqs if x[0] == p]))
check(ok, f"per-worker sequences start at 1 without gaps ({len(pids)} workers)")
check(all(r.get("service") == "shop" and r.get("host") for r in recs), "service and host in every envelope")
finish()
PY
