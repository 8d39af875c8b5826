#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End to end through real nginx + php-fpm with bvapm.so: bvapm-shm sees what
# the workers do.
#   top    shows the php-fpm worker inside a request (method, URI, running
#          time, last checkpoint with its memory) while the request runs
#   peek   decodes the agent's own record of that request without consuming it
#   enable --mode  the agents follow the override: targeted keeps only forced
#          requests, none goes back to the INI mode (aggressive here)
# Prints TAP.
#   test_fpm_shm.sh BVAPM_SO BVAPM_SHM BVAPM_FAKE_PRODUCER
set -u
so=$1 shm=$2 producer=$3
. "$(dirname "$0")/../lib/common.sh"
scratch e2e 0777
curl_pid=""
on_exit '[ -n "$curl_pid" ] && kill "$curl_pid" 2>/dev/null && wait "$curl_pid" 2>/dev/null'
# poll SECONDS PYTHON-CONDITION COMMAND...: runs COMMAND (JSON on stdout) until
# the condition on its document `d` holds; leaves the last output in $out
poll() { local secs=$1; shift; wait_until -i 0.1 "$secs" json_holds "$@"; }

"$producer" create e2e 4194304 >/dev/null || { not_ok "ring"; finish; }
chmod 0660 "$BVAPM_SHM_DIR/bvapm-e2e" # never o+w: agents refuse a ring every user may write
port=$(free_port)
stack_start "$dir" "$port" "$so" e2e aggressive || { not_ok "stack start"; finish; }
url=http://127.0.0.1:$port

# ---- top while a request runs -------------------------------------------------
curl -s -o "$dir/inflight.out" "$url/inflight.php?ms=4000" & curl_pid=$!
inflight='[s for s in d["slots"] if s["state"] == "request" and (s["uri"] or "").startswith("/inflight.php") and (s["checkpoint"] or {}).get("label") == "data-built"]'
if poll 15 "$inflight" "$shm" --ring e2e --json top --once; then
  ok "top --json shows the worker inside /inflight.php at checkpoint data-built"
else
  not_ok "top never showed the request: $out"
fi
echo "$out" > "$dir/top.json"
python3 - "$dir/top.json" <<'PY' && ok "worker row: php-fpm pid, GET, running, checkpoint memory >= 2 MiB" || not_ok "worker row: $(cat "$dir/top.json")"
import json, sys
d = json.load(open(sys.argv[1]))
s = [s for s in d["slots"] if s["state"] == "request" and s["uri"].startswith("/inflight.php")][0]
comm = open(f"/proc/{s['pid']}/comm").read().strip()
assert comm.startswith("php-fpm"), comm
assert s["method"] == "GET" and s["alive"] and not s["torn"], s
assert s["running_ms"] > 0 and s["checkpoint"]["memory_bytes"] >= 2 << 20, s
PY
out=$("$shm" --ring e2e top --once)
echo "$out" | grep -q "request .*GET *\/inflight.php.*data-built" && ok "top text shows the row" || not_ok "top text: $out"
wait "$curl_pid"; curl_pid=""

# ---- peek: the agent's record of it ----------------------------------------------
record='[r for r in d["records"] if r["record"]["body"]["uri"] == "/inflight.php"]'
if poll 10 "$record" "$shm" --ring e2e --json peek --kind request -n 100; then
  ok "peek shows the agent's record of /inflight.php"
else
  not_ok "peek: $out"
fi
echo "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)
r = [r for r in d["records"] if r["record"]["body"]["uri"] == "/inflight.php"][0]["record"]
b = r["body"]
assert [c["label"] for c in b["checkpoints"]] == ["inflight-start", "data-built"], b
assert b["wall_ns"] >= 4e9 and b["status"] == 200 and r["body_type"] == "RequestProfile", b
assert d["undecodable"] == 0
' && ok "record: checkpoints, wall >= 4 s, status 200" || not_ok "record contents: $out"
consumed=$("$shm" --ring e2e --json stat | jget 'd["consumed_records"]')
[ "$consumed" = 0 ] && ok "nothing consumed by peek" || not_ok "consumed $consumed"

# ---- the mode override, end to end --------------------------------------------------
count_plain='sum(1 for r in d["records"] if r["record"]["body"]["uri"] == "/plain.php" and r["record"]["body"]["keep_reason"] != "Forced")'
forced_plain='sum(1 for r in d["records"] if r["record"]["body"]["uri"] == "/plain.php" and r["record"]["body"]["keep_reason"] == "Forced")'
count() { "$shm" --ring e2e --json peek --kind request -n 1000 2>/dev/null |
  python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
base=$(count "$count_plain") # the stack's start-up probes were recorded too
curl -s -o /dev/null "$url/plain.php"
poll 10 "$count_plain == $base + 1" "$shm" --ring e2e --json peek --kind request -n 1000 &&
  ok "aggressive (INI): a plain request is recorded" || not_ok "aggressive: $out"
"$shm" --ring e2e enable --mode targeted >/dev/null
curl -s -o /dev/null "$url/plain.php"
curl -s -o /dev/null -H 'X-Bvapm-Profile: 1' "$url/plain.php"
if poll 10 "$forced_plain == 1" "$shm" --ring e2e --json peek --kind request -n 1000; then
  echo "$out" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($count_plain) == $base + 1 else 1)" &&
    ok "enable --mode targeted: only the forced request is recorded" ||
    not_ok "targeted recorded an unforced request: $out"
else
  not_ok "targeted: the forced request was not recorded: $out"
fi
"$shm" --ring e2e enable --mode none >/dev/null
curl -s -o /dev/null "$url/plain.php"
poll 10 "$count_plain == $base + 2" "$shm" --ring e2e --json peek --kind request -n 1000 &&
  ok "enable --mode none: back to aggressive" || not_ok "mode none: $out"

finish
