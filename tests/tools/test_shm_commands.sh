#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Integration test of bvapm-shm's peek, top, stat --watch and enable --mode on
# real rings in /dev/shm, with real processes (bvapm-fake-producer) writing
# real FlatBuffers records, holding live slots and draining:
#   peek   reads without consuming (the ring file is byte for byte unchanged,
#          the drainer later gets every record), -n and --kind are honoured,
#          the JSON decodes; beside a running drainer it exits 0 with only
#          whole, decodable records and takes nothing from the drainer
#   top    shows a worker inside a request (URI, checkpoint, SQL), longest
#          running first, and a worker killed mid-request as dead
#   stat --watch  rates match a known write rate
#   enable --mode / disable  recorded in the header with who and when
#   errors every command: missing ring, permissions, incompatible ABI, usage
# Prints TAP.
set -u
shm=$1 producer=$2
. "$(dirname "$0")/../lib/common.sh"
scratch_shm shmcmd
pids=()
on_exit 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null'
py() { "$PY" -c "$1" "${@:2}"; }

# ---- peek on a ring nobody drains ------------------------------------------
"$producer" create p >/dev/null || exit 1
"$producer" write p request 30 >/dev/null
"$producer" write p fatal 5 >/dev/null
"$producer" write p aborted 3 >/dev/null
"$producer" write p stats 2 >/dev/null
before=$("$shm" --ring p --json stat)
sum_before=$(md5sum < "$dir/bvapm-p")
expect "peek -n 3 --kind request --json" 0 "$shm" --ring p peek -n 3 --kind request --json
echo "$out" > "$dir/peek.json"
check "-n 3 --kind request: the 3 newest requests, oldest first" \
  "py 'import json,sys; d=json.load(open(sys.argv[1])); assert [r[\"record\"][\"body\"][\"uri\"] for r in d[\"records\"]] == [\"/item/28\", \"/item/29\", \"/item/30\"], d' $dir/peek.json"
check "records decode (RequestProfile, status 200); 40 read, 30 matched, 3 shown" \
  "py 'import json,sys; d=json.load(open(sys.argv[1])); assert all(r[\"kind\"] == \"request\" and r[\"record\"][\"body_type\"] == \"RequestProfile\" and r[\"record\"][\"body\"][\"status\"] == 200 for r in d[\"records\"]); assert (d[\"read\"], d[\"matched\"], d[\"shown\"], d[\"undecodable\"]) == (40, 30, 3, 0), d' $dir/peek.json"
after=$("$shm" --ring p --json stat)
check "head, tail and consumed count unchanged by peek" \
  "[ \"$(echo "$before" | py 'import json,sys; d=json.load(sys.stdin); print(d["head"], d["tail"], d["consumed_records"])')\" = \"$(echo "$after" | py 'import json,sys; d=json.load(sys.stdin); print(d["head"], d["tail"], d["consumed_records"])')\" ]"
check "the ring file is byte for byte unchanged by peek" "[ \"$sum_before\" = \"$(md5sum < "$dir/bvapm-p")\" ]"
expect "peek (text, all kinds)" 0 "$shm" --ring p peek -n 100
check "text: 40 records shown" "[ \"$(echo "$out" | grep -c '^--- position')\" = 40 ]"
for k in fatal:5 aborted:3 stats:2; do
  kind=${k%:*} want=${k#*:}
  got=$("$shm" --ring p peek --json --kind "$kind" -n 100 | py 'import json,sys; d=json.load(sys.stdin); print(len(d["records"]), set(r["kind"] for r in d["records"]))')
  check "--kind $kind: $want records of that kind only ($got)" "[ \"$got\" = \"$want {'$kind'}\" ]"
done
"$shm" --ring p peek --json --kind fatal -n 1 > "$dir/fatal.json"
check "a fatal record renders its out-of-memory fields" \
  "py 'import json,sys; b=json.load(open(sys.argv[1]))[\"records\"][0][\"record\"][\"body\"]; assert b[\"out_of_memory\"] and \"exhausted\" in b[\"message\"], b' $dir/fatal.json"
out=$("$producer" consume p 0.5)
check "the drainer still gets all 40 records after peek ($out)" "[ \"$out\" = 'consumed 40 invalid 0' ]"
expect "peek on an emptied ring" 0 "$shm" --ring p peek
echo "$out" | grep -q "0 shown of 0 matching" && ok "nothing pending: nothing shown" || not_ok "empty: $out"

# ---- peek beside a running drainer -----------------------------------------
"$producer" create live >/dev/null
"$producer" consume live 8 > "$dir/consume.out" & pids+=($!); consumer=$!
wait_until 10 sh -c "'$shm' --ring live stat | grep -q 'drainer    pid'" || not_ok "drainer did not attach"
"$producer" write live request 4000 2000 > "$dir/write.out" & pids+=($!); wpid=$!
expect "peek --wait 1 --json beside a drainer" 0 "$shm" --ring live peek --wait 1 -n 50 --json
echo "$out" > "$dir/live.json"
check "live: only whole, decodable records" \
  "py 'import json,sys; d=json.load(open(sys.argv[1])); assert d[\"undecodable\"] == 0 and d[\"invalid_records\"] == 0; assert all(r[\"record\"][\"body\"][\"uri\"].startswith(\"/item/\") for r in d[\"records\"]); print(\"# live peek: shown\", d[\"shown\"], \"missed\", d[\"missed\"], \"overtaken bytes\", d[\"overtaken_bytes\"])' $dir/live.json"
expect "peek --follow --wait 1 --json beside a drainer" 0 "$shm" --ring live peek --follow --wait 1 --json
echo "$out" > "$dir/follow.jsonl"
check "follow: JSON lines of whole records, then a summary" \
  "py 'import json,sys; ls=[json.loads(l) for l in open(sys.argv[1])]; assert \"summary\" in ls[-1]; assert all(r[\"record\"][\"body\"][\"uri\"].startswith(\"/item/\") for r in ls[:-1]); print(\"# follow: lines\", len(ls) - 1)' $dir/follow.jsonl"
wait $wpid; wait $consumer; crc=$?
written=$(awk '{print $2}' "$dir/write.out")
check "the drainer consumed every record written ($written), none taken by peek: $(cat "$dir/consume.out")" \
  "[ $crc -eq 0 ] && [ \"$(cat "$dir/consume.out")\" = \"consumed $written invalid 0\" ]"

# ---- top --------------------------------------------------------------------
"$producer" create top >/dev/null
"$producer" hold top 60 POST '/checkout?step=2' cart-loaded 'SELECT * FROM carts WHERE id = ?' > "$dir/hold1" & pids+=($!); h1=$!
wait_until 10 grep -q holding "$dir/hold1" || not_ok "first worker did not start"
# a second request started later: it must be listed after the first
wait_until 10 json_holds 'd["slots"] and d["slots"][0]["running_ms"] > 50' "$shm" --ring top --json top --once
"$producer" hold top 60 GET /search q-built '' > "$dir/hold2" & pids+=($!); h2=$!
wait_until 10 grep -q holding "$dir/hold2" || not_ok "second worker did not start"
expect "top --once --json" 0 "$shm" --ring top top --once --json
echo "$out" > "$dir/top.json"
check "top --json: both workers in a request, longest running first, with URI, checkpoint (label, memory) and SQL" \
  "py 'import json,sys; d=json.load(open(sys.argv[1])); s=d[\"slots\"]; a=s[0]; assert d[\"in_request\"] == 2 and a[\"pid\"] == $h1 and a[\"state\"] == \"request\" and a[\"method\"] == \"POST\" and a[\"uri\"] == \"/checkout?step=2\", a; assert a[\"checkpoint\"][\"label\"] == \"cart-loaded\" and a[\"checkpoint\"][\"memory_bytes\"] == 12345678 and a[\"sql\"][\"statement\"].startswith(\"SELECT * FROM carts\") and a[\"running_ms\"] >= s[1][\"running_ms\"] >= 0, a; assert s[1][\"pid\"] == $h2 and s[1][\"sql\"] is None' $dir/top.json"
expect "top --once (text)" 0 "$shm" --ring top top --once
check "top text: the worker's row" "echo \"\$out\" | grep -q \"^$h1 *request .*POST *\\/checkout?step=2 *cart-loaded\""
check "top text: current SQL" "echo \"\$out\" | grep -q 'SELECT \\* FROM carts'"
expect "top --count 2 -d 0.2 --json" 0 "$shm" --ring top top --count 2 -d 0.2 --json
check "two refreshes, one JSON document per line" "[ \"$(echo "$out" | wc -l)\" = 2 ] && echo \"\$out\" | python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]'"
# on a terminal: screen cleared and redrawn, q quits, Ctrl-C restores the terminal
python3 - "$shm" "$h1" <<'PY' && ok "top on a terminal: redraws, q quits, Ctrl-C restores the terminal" || not_ok "top on a terminal"
import os, pty, select, signal, sys, termios, time
shm, pid1 = sys.argv[1], sys.argv[2]
def start():
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(shm, [shm, "--ring", "top", "top", "-d", "0.1"])
    return pid, fd
def read_until(fd, want, seconds):
    out, end = b"", time.time() + seconds
    while time.time() < end and out.count(want) < 3:  # the clear, then two whole frames
        if select.select([fd], [], [], 0.1)[0]:
            out += os.read(fd, 65536)
    return out
def wait_exit(pid, seconds):
    end = time.time() + seconds
    while time.time() < end:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    return None
pid, fd = start()
out = read_until(fd, b"\x1b[H", 10)
assert out.startswith(b"\x1b[H\x1b[2J") and out.count(b"\x1b[H") >= 3, out[:200]
assert pid1.encode() + b" " in out and b"/checkout?step=2" in out, out[-400:]
assert not termios.tcgetattr(fd)[3] & termios.ICANON   # keys without Enter
os.write(fd, b"q")
assert wait_exit(pid, 5) == 0
pid, fd = start()
read_until(fd, b"\x1b[H", 10)
os.kill(pid, signal.SIGINT)
assert wait_exit(pid, 5) == 0
assert termios.tcgetattr(fd)[3] & termios.ICANON     # restored
PY
kill -9 "$h1"; wait "$h1" 2>/dev/null
out=$("$shm" --ring top --json top --once)
check "a worker killed inside a request shows as dead-req" \
  "echo \"\$out\" | py 'import json,sys; s=[x for x in json.load(sys.stdin)[\"slots\"] if x[\"pid\"] == $h1]; assert s and s[0][\"state\"] == \"dead-req\" and not s[0][\"alive\"], s'"
kill "$h2" 2>/dev/null

# ---- stat --watch -------------------------------------------------------------
"$producer" create w >/dev/null
"$producer" consume w 10 >/dev/null & pids+=($!)
"$producer" write w request 5000 1000 > /dev/null & pids+=($!)
wait_until 10 json_holds 'd["slots"]["used"] >= 1 and d["tail"] > 0' "$shm" --ring w --json stat
expect "stat --watch --count 2 --json" 0 "$shm" --ring w stat --watch -i 1 --count 2 --json
echo "$out" > "$dir/watch.jsonl"
check "stat --watch: 1000 records/s written and drained (within 30% over both intervals, 60% each), bytes/s consistent, no loss" \
  "py 'import json,sys
ls = [json.loads(l) for l in open(sys.argv[1])]
secs = sum(d[\"interval_s\"] for d in ls)
for d in ls:
    w, b, dr = d[\"written_records_per_s\"], d[\"written_bytes_per_s\"], d[\"drained_records_per_s\"]
    print(\"# written %.0f/s, %.0f B/s, drained %.0f/s over %.2f s\" % (w, b, dr, d[\"interval_s\"]))
    assert 400 <= w <= 1600 and 400 <= dr <= 1600, d
    assert 100 <= b / w <= 1000 and d[\"lost_per_s\"][\"total\"] == 0, d
for key in (\"written_records_per_s\", \"drained_records_per_s\"):
    mean = sum(d[key] * d[\"interval_s\"] for d in ls) / secs
    assert 700 <= mean <= 1300, (key, mean)' $dir/watch.jsonl"
check "--count 2: two lines" "[ \"$(wc -l < "$dir/watch.jsonl")\" = 2 ]"
expect "stat --watch --count 1 (text)" 0 "$shm" --ring w stat --watch -i 0.5 --count 1
check "text: a header and one line" "echo \"\$out\" | head -1 | grep -q 'WRITTEN/s' && [ \"$(echo "$out" | wc -l)\" = 2 ]"

# ---- enable --mode, disable: who and when ------------------------------------------
expect "enable --mode targeted" 0 "$shm" --ring p enable --mode targeted
ctl() { "$shm" --ring p --json stat | py 'import json,sys; c=json.load(sys.stdin)["control"]; print(c["disabled"], c["mode_override_name"], c["changed_by_uid"], c["changed_by_user"], c["changed_by_pid"] > 0, c["changed_at"][:10])'; }
today=$(date -u +%F) me="$(id -u) $(id -un)"
check "mode override and who/when in stat --json ($(ctl))" "[ \"$(ctl)\" = \"False targeted $me True $today\" ]"
check "stat text shows the override and who/when" "\"$shm\" --ring p stat | grep -q \"mode override targeted\" && \"$shm\" --ring p stat | grep -q \"changed $today.* by $(id -un) (uid $(id -u)), pid\""
expect "disable" 0 "$shm" --ring p disable
check "disable keeps the override" "[ \"$(ctl)\" = \"True targeted $me True $today\" ]"
expect "enable --json" 0 "$shm" --ring p enable --json
check "enable --json: enabled, override kept" "echo \"\$out\" | py 'import json,sys; c=json.load(sys.stdin); assert not c[\"disabled\"] and c[\"mode_override_name\"] == \"targeted\"'"
expect "enable --mode none" 0 "$shm" --ring p enable --mode none
check "--mode none clears the override" "[ \"$(ctl)\" = \"False none $me True $today\" ]"

# ---- errors, each command ------------------------------------------------------------
cp "$dir/bvapm-p" "$dir/bvapm-v2"
printf '\x02\x00\x00\x00' | dd of="$dir/bvapm-v2" bs=1 seek=8 conv=notrunc status=none
cp "$dir/bvapm-p" "$dir/bvapm-perm"; chmod 0600 "$dir/bvapm-perm"
cp "$dir/bvapm-p" "$dir/bvapm-ro"; chmod 0644 "$dir/bvapm-ro"
chmod 0755 "$dir"
as_other=()
if [ "$(id -u)" -eq 0 ]; then as_other=(setpriv --reuid=65534 --regid=65534 --clear-groups); fi
for cmd in "stat" "stat --watch --count 1 -i 0.1" "peek" "top --once" "check" "disable" "enable --mode light"; do
  # shellcheck disable=SC2086
  expect "$cmd: missing ring" 3 "$shm" --ring nosuch $cmd
  expect "$cmd: missing ring, --json" 3 "$shm" --ring nosuch --json $cmd
  out=$("$shm" --ring nosuch --json $cmd 2>/dev/null)
  check "$cmd: JSON error names the cause" "echo \"\$out\" | py 'import json,sys; d=json.load(sys.stdin); assert d[\"exit_code\"] == 3 and \"no ring at\" in d[\"error\"]'"
  expect "$cmd: incompatible ABI" 5 "$shm" --ring v2 $cmd
  echo "$out" | grep -q "ABI 2\.[0-9]" && ok "$cmd: ABI message" || not_ok "$cmd: ABI message: $out"
  if [ ${#as_other[@]} -gt 0 ]; then
    expect "$cmd: permission denied" 4 "${as_other[@]}" "$shm" --ring perm $cmd
    echo "$out" | grep -q "permission denied" && ok "$cmd: permission message" || not_ok "$cmd: message: $out"
  fi
done
if [ ${#as_other[@]} -gt 0 ]; then
  for cmd in disable enable; do
    expect "$cmd on a ring readable but not writable" 4 "${as_other[@]}" "$shm" --ring ro $cmd
    echo "$out" | grep -q "no write permission" && ok "$cmd: write permission message" || not_ok "$cmd: $out"
  done
  expect "peek on a ring readable but not writable" 0 "${as_other[@]}" "$shm" --ring ro peek
else
  echo "# not root: permission cases skipped"
fi
expect "peek -n 0" 2 "$shm" --ring p peek -n 0
expect "peek --kind bogus" 2 "$shm" --ring p peek --kind bogus
expect "peek --kind bogus --json" 2 "$shm" --ring p peek --kind bogus --json
out=$("$shm" --ring p peek --kind bogus --json 2>/dev/null)
check "usage error as JSON" "echo \"\$out\" | py 'import json,sys; assert json.load(sys.stdin)[\"exit_code\"] == 2'"
expect "peek --wait -1" 2 "$shm" --ring p peek --wait -1
expect "top -d x" 2 "$shm" --ring p top -d x
expect "top extra argument" 2 "$shm" --ring p top --once extra
expect "stat -i without --watch" 2 "$shm" --ring p stat -i 1
expect "stat --watch --count 0" 2 "$shm" --ring p stat --watch --count 0
expect "enable --mode turbo" 2 "$shm" --ring p enable --mode turbo
expect "disable extra argument" 2 "$shm" --ring p disable now
expect "unknown option" 2 "$shm" --ring p check --frobnicate

# positions beyond one lap: peek refuses with the corrupt-ring code
cp "$dir/bvapm-p" "$dir/bvapm-pos"
py 'import struct,sys
f=open(sys.argv[1], "r+b"); f.seek(32); cap=struct.unpack("<Q", f.read(8))[0]
f.seek(320); head=struct.unpack("<Q", f.read(8))[0]
f.seek(256); f.write(struct.pack("<Q", head + 3 * cap))' "$dir/bvapm-pos"
expect "peek: positions corrupt" 5 "$shm" --ring pos peek
echo "$out" | grep -q "positions are corrupt" && ok "corrupt positions message" || not_ok "message: $out"

finish
