#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Outbound HTTP calls end to end: bvapm-drainer (ring, SQLite store) + nginx
# + php-fpm (opcache, JIT) with two pools, service A and service B, each
# behind its own nginx server, and a third nginx server as a plain HTTP peer
# that logs the traceparent and tracestate it receives. One request to A
# (with a traceparent and tracestate of its own) makes curl and http://
# stream calls to the peer, a curl call to B, a multi run, a call to a
# refused port and one that times out against a slow page of B. Checked
# against the store:
#   - the peer received traceparent with A's trace id and, per call, the
#     span id of A's span for that call (never A's own span id), and the
#     incoming tracestate;
#   - refused and timed-out calls are spans with their error, status 0;
#   - B's records (the call and the slow page) are in A's trace, their
#     parent span being the span id A sent;
#   - calls aggregated per target and name.
# Prints TAP.
#   test_fpm_http.sh BVAPM_SO BVAPM_DRAINER
set -u
so=$1 drainer=$2
. "$(dirname "$0")/../lib/common.sh"
scratch e2ehttp 0777

curl_so=$(php-config --extension-dir)/curl.so
[ -f "$curl_so" ] || { ok "outbound HTTP calls # SKIP php8.2-curl not installed"; finish; }

# an OTLP receiver beside the store: the trace as a collector sees it
python3 "$TESTS_LIB/../drainer/otlp/otlp_receiver.py" --port-file "$dir/oport" --dump "$dir/otlp.jsonl" \
  > "$dir/receiver.log" 2>&1 &
receiver=$!
on_exit "kill $receiver 2>/dev/null"
wait_until -i 0.1 5 test -s "$dir/oport"
drainer_start "$drainer" "$dir" e2ehttp --set ring.size=4M --set otlp.enabled=true \
  --set "otlp.endpoint=http://127.0.0.1:$(cat "$dir/oport")" ||
  { not_ok "drainer created the ring"; finish; }

pa=$(free_port) pb=$(free_port) pp=$(free_port) refused=$(free_port)
mkdir -p "$dir/a" "$dir/b" "$dir/tmp"
printf '{"peer": %s, "b": %s, "refused": %s}\n' "$pp" "$pb" "$refused" > "$dir/a/ports.json"
cat > "$dir/a/call.php" <<'PHP'
<?php
$p = json_decode(file_get_contents(__DIR__ . '/ports.json'), true);
function get(string $url, int $timeout_ms = 3000, array $headers = []): array {
    $c = curl_init($url);
    curl_setopt_array($c, [CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT_MS => $timeout_ms, CURLOPT_HTTPHEADER => $headers]);
    $body = curl_exec($c);
    return ['body' => $body, 'errno' => curl_errno($c), 'status' => curl_getinfo($c, CURLINFO_RESPONSE_CODE)];
}
$out = ['trace' => bvapm_trace_id()];
$out['peer'] = get("http://127.0.0.1:$p[peer]/peer/curl?token=secret", 3000, ['X-App: a']);
$out['stream'] = file_get_contents("http://127.0.0.1:$p[peer]/peer/stream?token=secret");
$out['b'] = json_decode(get("http://127.0.0.1:$p[b]/b.php")['body'], true);
$out['refused'] = get("http://127.0.0.1:$p[refused]/nothing");
$out['timeout'] = get("http://127.0.0.1:$p[b]/slow.php", 300);
$mh = curl_multi_init();
foreach (['one', 'two'] as $n) {
    $h = curl_init("http://127.0.0.1:$p[peer]/peer/multi-$n");
    curl_setopt($h, CURLOPT_RETURNTRANSFER, true);
    curl_multi_add_handle($mh, $h);
}
do {
    curl_multi_exec($mh, $running);
    if ($running) curl_multi_select($mh, 0.1);
    while ($info = curl_multi_info_read($mh)) { curl_multi_remove_handle($mh, $info['handle']); }
} while ($running);
header('Content-Type: application/json');
echo json_encode($out), "\n";
PHP
cat > "$dir/b/b.php" <<'PHP'
<?php
echo json_encode(['trace' => bvapm_trace_id(), 'traceparent' => $_SERVER['HTTP_TRACEPARENT'] ?? null]), "\n";
PHP
cat > "$dir/b/slow.php" <<'PHP'
<?php
usleep(1500000);
echo "late\n";
PHP

as_root=""
[ "$(id -u)" -eq 0 ] && as_root="-R"
cat > "$dir/php-fpm.conf" <<CONF
[global]
error_log = $dir/php-fpm.log
pid = $dir/php-fpm.pid
daemonize = no
[a]
listen = $dir/a.sock
listen.mode = 0666
pm = static
pm.max_children = 2
catch_workers_output = yes
clear_env = no
php_admin_value[bvapm.service] = a
php_admin_value[error_log] = $dir/php-errors-a.log
php_admin_flag[log_errors] = on
[b]
listen = $dir/b.sock
listen.mode = 0666
pm = static
pm.max_children = 2
catch_workers_output = yes
clear_env = no
php_admin_value[bvapm.service] = b
php_admin_value[error_log] = $dir/php-errors-b.log
php_admin_flag[log_errors] = on
CONF
php-fpm8.2 -n $as_root -y "$dir/php-fpm.conf" -p "$dir" -d "extension=$so" -d "extension=$curl_so" \
  -d bvapm.ring=e2ehttp -d bvapm.mode=aggressive -d bvapm.overhead_budget_us=0 \
  -d zend_extension=opcache.so -d opcache.enable=1 -d opcache.jit=tracing -d opcache.jit_buffer_size=16M \
  -d memory_limit=128M -d display_errors=0 &
STACK_FPM=$!

fastcgi() { # the location block handing PHP pages to pool $1
  printf 'location ~ \\.php$ { include /etc/nginx/fastcgi_params; fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name; fastcgi_pass unix:%s; }' "$dir/$1.sock"
}
cat > "$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
error_log $dir/nginx-error.log;
pid $dir/nginx.pid;
$( [ "$(id -u)" -eq 0 ] && echo "user root root;" )
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $dir/tmp; fastcgi_temp_path $dir/tmp; proxy_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp; scgi_temp_path $dir/tmp;
  log_format trace '\$uri \$http_traceparent \$http_tracestate \$http_x_app';
  server { listen 127.0.0.1:$pa; root $dir/a; $(fastcgi a) }
  server { listen 127.0.0.1:$pb; root $dir/b; $(fastcgi b) }
  server {
    listen 127.0.0.1:$pp;
    access_log $dir/peer.log trace;
    location /peer/ { default_type text/plain; return 200 "peer\n"; }
  }
}
CONF
nginx -p "$dir" -c "$dir/nginx.conf" &
STACK_NGINX=$!
up=""
for _ in $(seq 200); do
  kill -0 "$STACK_NGINX" 2>/dev/null && kill -0 "$STACK_FPM" 2>/dev/null || break
  [ -S "$dir/a.sock" ] && [ -S "$dir/b.sock" ] &&
    curl -sf -o /dev/null "http://127.0.0.1:$pb/b.php" && up=1 && break
  sleep 0.05
done
[ -n "$up" ] || { cat "$dir"/*.log >&2; not_ok "stack start"; finish; }
: > "$dir/peer.log"

curl -s -o "$dir/a.out" -H 'X-Bvapm-Profile: 1' \
  -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' \
  -H 'tracestate: congo=t61rcWkgMzE' "http://127.0.0.1:$pa/call.php"
sleep 1.5 # B's slow page finishes after A gave up on it
stack_stop
# the drainer sends what it has before it exits; give it the spans of A and B
wait_until -i 0.2 10 grep -q '"service": "b"' "$dir/otlp.jsonl"
drainer_stop_check "drainer exits 0 on SIGTERM"

python3 - "$dir" "$pp" "$pb" "$refused" <<'PY'
import json, sys
from tap import check, diag, finish
from store_db import open_store
d, db = open_store()
peer, b_port, refused = (f"http://127.0.0.1:{p}" for p in sys.argv[2:5])
TRACE, PARENT = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
try:
    out = json.load(open(f"{d}/a.out"))
except ValueError:
    out = {}
    diag("A answered: " + open(f"{d}/a.out").read()[:400])
check(out.get("trace") == TRACE and out.get("peer", {}).get("body") == "peer\n" and out.get("stream") == "peer\n",
      "A continued the incoming trace and its calls got the peer's answers")
reqs = {(r["service"], r["uri"]): r for r in db.execute("SELECT * FROM requests")}
a = reqs.get(("a", "/call.php"))
check(a is not None and a["trace_id"] == TRACE and a["parent_span_id"] == PARENT, "A's request stored in the incoming trace")
spans = [dict(s) for s in db.execute("SELECT * FROM spans WHERE request_id = ? AND kind = 2 ORDER BY idx", (a["id"] if a else -1,))]
by_name = {}
for s in spans:
    by_name.setdefault((s["target"], s["name"]), []).append(s)
want = [(peer, "GET /peer/curl"), (peer, "GET /peer/stream"), (f"http://127.0.0.1:{sys.argv[3]}", "GET /b.php"),
        (refused, "GET /nothing"), (f"http://127.0.0.1:{sys.argv[3]}", "GET /slow.php"),
        (peer, "GET /peer/multi-one"), (peer, "GET /peer/multi-two")]
check([(s["target"], s["name"]) for s in spans] == want, "A's HTTP spans in order, named without the query string" +
      ("" if [(s["target"], s["name"]) for s in spans] == want else f" (got {[(s['target'], s['name']) for s in spans]})"))
ok = lambda t, n: by_name.get((t, n), [{}])[0]
check(all(ok(t, n).get("status") == 200 and not ok(t, n).get("error") for t, n in want if n not in ("GET /nothing", "GET /slow.php")),
      "the calls that got an answer: status 200, no error")
r, t = ok(refused, "GET /nothing"), ok(f"http://127.0.0.1:{sys.argv[3]}", "GET /slow.php")
check(r.get("status") == 0 and "Couldn't connect" in (r.get("error") or ""), f"refused connection recorded as an error ({r.get('error')})")
check(t.get("status") == 0 and "timed out" in (t.get("error") or "") and 250e6 <= t.get("duration_ns", 0) < 1000e6,
      f"timeout recorded as an error, with its duration ({t.get('error')}, {t.get('duration_ns', 0) / 1e6:.0f} ms)")
# what the peer received
log = [l.split(" ") for l in open(f"{d}/peer.log").read().splitlines()]
got = {l[0]: l for l in log}
for uri, name in (("/peer/curl", "GET /peer/curl"), ("/peer/stream", "GET /peer/stream"),
                  ("/peer/multi-one", "GET /peer/multi-one"), ("/peer/multi-two", "GET /peer/multi-two")):
    line = got.get(uri, [uri, "-", "-", "-"])
    sid = ok(peer, name).get("span_id")
    check(line[1] == f"00-{TRACE}-{sid}-01" and sid not in (None, PARENT, a and a["span_id"]),
          f"the peer received traceparent for {uri}: A's trace, the span id of A's span for the call ({line[1]})")
check(all(l[2] == "congo=t61rcWkgMzE" for l in log) and len(log) == 4, "the peer received the incoming tracestate with each call")
check(got.get("/peer/curl", ["", "", "", ""])[3] == "a", "the application's own header was sent too")
# service B, called by A
bq, slow = reqs.get(("b", "/b.php")), reqs.get(("b", "/slow.php"))
sent_b = ok(f"http://127.0.0.1:{sys.argv[3]}", "GET /b.php").get("span_id")
check(bq is not None and bq["trace_id"] == TRACE and out.get("b", {}).get("trace") == TRACE,
      "B's request is in A's trace")
check(bq is not None and sent_b is not None and bq["parent_span_id"] == sent_b and
      out.get("b", {}).get("traceparent") == f"00-{TRACE}-{sent_b}-01",
      f"B's parent span is the span id A sent ({bq and bq['parent_span_id']} == {sent_b})")
check(slow is not None and slow["trace_id"] == TRACE and slow["parent_span_id"] == t.get("span_id"),
      "B's slow page, which A gave up on, is A's timed-out span's child")
ext = {(e["target"], e["name"]): e for e in db.execute("SELECT * FROM external WHERE request_id = ? AND kind = 2", (a["id"] if a else -1,))}
check(len(ext) == 7 and ext.get((refused, "GET /nothing"), {"errors": 0})["errors"] == 1 and
      all(e["count"] == 1 for e in ext.values()), f"calls aggregated per target and name ({len(ext)} entries)")
# the same trace through OTLP: B's server span is the child of A's client span for the call
otlp = [json.loads(l) for l in open(f"{d}/otlp.jsonl")] if __import__("os").path.exists(f"{d}/otlp.jsonl") else []
a_client = [s for s in otlp if s["service"] == "a" and s["kind"] == 3 and s["spanId"] == sent_b]
b_server = [s for s in otlp if s["service"] == "b" and s["kind"] == 2 and s["parentSpanId"] == sent_b]
check(len(a_client) == 1 and len(b_server) == 1 and a_client[0]["traceId"] == TRACE == b_server[0]["traceId"],
      f"OTLP: one trace — B's server span is the child of A's client span {sent_b} ({len(otlp)} spans received)")
finish()
PY
