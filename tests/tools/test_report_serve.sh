#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bvapm-report serve: the web pages of a generated store with planted
# culprits, over HTTP and in a real browser (Debian's chromium, headless).
#   - every page answers 200 with the security headers; a page of a
#     culprit shows it (the DOM after the page's script ran);
#   - in chromium each page loads with no console message and every
#     resource it asks for answers 200; screenshots are saved in ARTIFACTS;
#     with scripts off the pages as served hold the tables;
#   - text from the store is escaped (a planted <img onerror> never becomes
#     markup);
#   - bad parameters get a 400 page that says what is wrong; unknown paths
#     and traversal attempts (plain, encoded, doubled) a 404 that holds
#     nothing of the file; bad request heads, other methods, a foreign Host
#     header and a client that sends nothing are refused without stopping
#     the server;
#   - --listen beyond loopback needs --allow-remote and warns;
#   - beside a running drainer writing the store, pages keep answering 200
#     and show the new requests; the live page shows a worker held in a
#     request in the drainer's ring.
# Usage: test_report_serve.sh REPORT STORE_GEN DRAINER PRODUCER ARTIFACTS
set -u
report=$1 gen=$2 drainer=$3 producer=$4 artifacts=$5
. "$(dirname "$0")/../lib/common.sh"
scratch report-serve
mkdir -p "$artifacts"
rm -f "$artifacts"/*.png

"$gen" --requests 4000 --plant --plant-jobs --plant-calls "$dir/store.db" > /dev/null ||
  bail "bvapm-store-gen failed"
# A hostile URI, as a process writing the ring could have sent it.
sqlite3 "$dir/store.db" "UPDATE requests SET uri = '/x<img src=/nope onerror=alert(1)>', route = NULL
  WHERE id = (SELECT max(id) FROM requests WHERE uri = '/login')" || bail "cannot plant the hostile URI"

# serve_start DB [ARGS...]: a server on a free port; sets $srv_pid $base $srv_log
serve_start() {
  local db=$1; shift
  srv_log=$dir/serve-$RANDOM.log
  "$report" --db "$db" serve --listen 127.0.0.1:0 "$@" 2> "$srv_log" &
  srv_pid=$!
  on_exit "kill $srv_pid 2> /dev/null"
  wait_until 10 grep -q 'on http://' "$srv_log" || bail "serve did not start: $(cat "$srv_log")"
  base=$(sed -n 's|.* on \(http://[^/]*\)/ .*|\1|p' "$srv_log")
}
serve_start "$dir/store.db"
ok "serve started at $base"

get() { # path: body in $dir/body, headers in $dir/headers, status printed
  curl -s --path-as-is --max-time 20 -D "$dir/headers" -o "$dir/body" -w '%{http_code}' "$base$1"
}

# ---- every page over HTTP ------------------------------------------------------
big_id=$(sqlite3 "$dir/store.db" "SELECT request_id FROM checkpoints WHERE label = 'render' ORDER BY mem_bytes DESC LIMIT 1")
call_id=$(sqlite3 "$dir/store.db" "SELECT request_id FROM external WHERE target LIKE '%payments%' LIMIT 1")
trace=$(sqlite3 "$dir/store.db" "SELECT trace_id FROM requests WHERE id = $call_id")
slowest_uri=$("$report" --db "$dir/store.db" --json requests | jget 'd["requests"][0]["uri"]')
# path|text the page must show (the planted culprit)
pages=(
  "/|planted/export.php"
  "/endpoints|/srv/app/public/planted/report.php"
  "/endpoint?endpoint=/srv/app/public/planted/report.php|load-rows"
  "/request?id=$big_id|915.0 MiB"
  "/request?id=$call_id|payments.example.com"
  "/trace?trace=$trace|POST /v1/charge"
  "/errors|Allowed memory size of 134217728 bytes exhausted"
  "/memory|900.0 MiB"
  "/sql|SELECT * FROM permissions WHERE role_id = ?"
  "/external|https://payments.example.com:443"
  "/functions|App\\Planted::hotLoop"
  "/requests|$slowest_uri"
  "/?kind=job|job:import"
)
for entry in "${pages[@]}"; do
  path=${entry%%|*} want=${entry#*|}
  st=$(get "$path")
  check "GET $path: 200 ($st)" "[ '$st' = 200 ]" "$(head -c 600 "$dir/body")"
  check "$path shows '$want'" "grep -qF -- '$(printf '%s' "$want" | sed "s/'/'\\\\''/g")' '$dir/body'"
done
check "pages carry a Content-Security-Policy allowing no script but the server's" \
  "grep -qi \"^Content-Security-Policy: default-src 'none'; script-src 'self'\" '$dir/headers'"
check "pages are not cached and not framed" \
  "grep -qi '^Cache-Control: no-store' '$dir/headers' && grep -qi '^X-Frame-Options: DENY' '$dir/headers'"

# The endpoints table sorts by a heading's link (no script needed).
get "/endpoints?sort=p99_ns&dir=desc" > /dev/null
first=$(grep -o '<tbody>.*' "$dir/body" | head -1; sed -n '/<tbody>/,/<\/tr>/p' "$dir/body" | grep -o 'endpoint=[^"&]*' | head -1)
top_p99=$("$report" --db "$dir/store.db" --json --limit 1000 summary | jget 'sorted(d["endpoints"], key=lambda e: -e["p99_ns"])[0]["endpoint"]')
check "sort=p99_ns&dir=desc puts the slowest p99 first ($top_p99)" \
  "sed -n '/<tbody>/,/<\/tr>/p' '$dir/body' | grep -qF 'endpoint=$top_p99\"'" "$first"
get "/endpoints?sort=requests&dir=asc" > /dev/null
least=$("$report" --db "$dir/store.db" --json --limit 1000 summary | jget 'min(e["requests"] for e in d["endpoints"])')
check "sort=requests&dir=asc puts the fewest requests ($least) first" \
  "sed -n '/<tbody>/,/<\/tr>/p' '$dir/body' | grep -o 'data-v=\"[0-9]*\"' | head -1 | grep -qx 'data-v=\"$least\"'"

# A page's numbers are the text command's.
get "/api/summary" > /dev/null
api_n=$(jget 'd["requests"]' < "$dir/body")
cli_n=$("$report" --db "$dir/store.db" --json summary | jget 'd["requests"]')
check "/api/summary is the summary command's document ($api_n requests)" "[ '$api_n' = '$cli_n' ]"
get "/" > /dev/null
check "the overview shows the request count and the charts" \
  "grep -q '<dd>$cli_n</dd>' '$dir/body' && grep -q 'Requests per second' '$dir/body' && grep -q 'Latency p50 / p95 / p99' '$dir/body'"

# The filter form as a browser submits it: empty fields are no filter.
st=$(get "/?since=&until=&endpoint=&pattern=&kind=")
check "the overview's form submitted empty: 200 ($st), every request" \
  "[ '$st' = 200 ] && grep -q '<dd>$cli_n</dd>' '$dir/body'"
st=$(get "/request?since=&until=&endpoint=&pattern=&kind=&id=$big_id")
check "a request page's form keeps its id ($st)" \
  "[ '$st' = 200 ] && grep -q 'name=\"id\" value=\"$big_id\"' '$dir/body'"
since_iso=$(date -u -d @$(( $(sqlite3 "$dir/store.db" 'SELECT max(start_unix_ns) FROM requests') / 1000000000 - 3600 )) +%Y-%m-%dT%H:%M:%SZ)
get "/api/summary?since=$since_iso" > /dev/null
api_h=$(jget 'd["requests"]' < "$dir/body")
cli_h=$("$report" --db "$dir/store.db" --json --since "$since_iso" summary | jget 'd["requests"]')
check "since=$since_iso selects what --since does ($api_h)" "[ '$api_h' = '$cli_h' ] && [ '$api_h' -gt 0 ] && [ '$api_h' -lt '$cli_n' ]"
get "/api/summary?until=$since_iso" > /dev/null
api_u=$(jget 'd["requests"]' < "$dir/body")
check "until=$since_iso selects the rest ($api_u + $api_h = $cli_n)" "[ $((api_u + api_h)) = '$cli_n' ]"

# Text from the store is escaped.
get "/endpoints" > /dev/null
check "a planted <img onerror> in a URI is escaped, never markup" \
  "grep -qF '/x&lt;img src=/nope onerror=alert(1)&gt;' '$dir/body' && ! grep -qF '<img src=/nope' '$dir/body'"

# ---- bad parameters: 400 pages that say why ----------------------------------
bad=(
  "/?since=yesterday|--since yesterday: expected"
  "/?until=soon|--until soon: expected"
  "/?limit=0|--limit 0: expected 1 to 100000"
  "/?kind=cron|--kind cron: expected request, job or all"
  "/?foo=1|unknown parameter"
  "/?since=1h&since=2h|given twice"
  "/request|needs the parameter id"
  "/request?id=abc|--request abc: expected a request id"
  "/trace?trace=xyz|expected a trace id"
  "/endpoints?dir=up|dir: expected asc or desc"
  "/?pattern=%zz|malformed percent escape"
  "/?pattern=a%00b|malformed percent escape"
  "/api/summary?since=never|--since never"
)
for entry in "${bad[@]}"; do
  path=${entry%%|*} want=${entry#*|}
  st=$(get "$path")
  check "GET $path: 400 ($st) saying '$want'" "[ '$st' = 400 ] && grep -qF -- '$want' '$dir/body'" \
    "$(sed -n '/<main>/,/<\/main>/p' "$dir/body" | head -5)"
done
st=$(get "/request?id=99999999")
check "a request id not in the store: 404 ($st)" "[ '$st' = 404 ] && grep -q 'no request with this id' '$dir/body'"

# ---- paths: only the pages, never a file ------------------------------------------
for path in /nope /static/../../../../etc/passwd /%2e%2e/%2e%2e/etc/passwd \
    /static/%2e%2e%2f%2e%2e%2fetc%2fpasswd /static/..%2f..%2f..%2fetc%2fpasswd //etc/passwd \
    /static/bvapm.css/../../../etc/passwd /api/../etc/passwd /api/summary/x /static/ \
    "/..%5c..%5cetc%5cpasswd" /etc/passwd; do
  st=$(get "$path")
  check "GET $path: 404 ($st), nothing of /etc/passwd" "[ '$st' = 404 ] && ! grep -q 'root:' '$dir/body'"
done

# ---- the protocol: refused without stopping the server ---------------------------
port=${base##*:}
raw() { # bytes to send (printf format); prints the status line's code
  "$PY" - "$port" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15)
s.sendall(sys.argv[2].encode("latin-1").decode("unicode_escape").encode("latin-1"))
data = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
except socket.timeout:
    pass
print(data.split(b" ")[1].decode() if data.startswith(b"HTTP/1.1 ") else "none")
PY
}
h="Host: 127.0.0.1:$port"
check "POST: 405" "[ \"\$(raw 'POST / HTTP/1.1\r\n$h\r\nContent-Length: 0\r\n\r\n')\" = 405 ]"
check "a garbage request line: 400" "[ \"\$(raw 'GARBAGE\r\n\r\n')\" = 400 ]"
check "HTTP/2.0 in the request line: 505" "[ \"\$(raw 'GET / HTTP/2.0\r\n$h\r\n\r\n')\" = 505 ]"
check "a control byte in the target: 400" "[ \"\$(raw 'GET /\x01 HTTP/1.1\r\n$h\r\n\r\n')\" = 400 ]"
check "a head of 9 KiB: 431" "[ \"\$(raw \"GET / HTTP/1.1\r\n$h\r\nX: \$(head -c 9000 /dev/zero | tr '\\0' a)\r\n\r\n\")\" = 431 ]"
check "a foreign Host header (DNS rebinding): 421" "[ \"\$(raw 'GET / HTTP/1.1\r\nHost: evil.example:$port\r\n\r\n')\" = 421 ]"
check "no Host header: 421" "[ \"\$(raw 'GET / HTTP/1.0\r\n\r\n')\" = 421 ]"
check "Host localhost with the port: 200" "[ \"\$(raw 'GET /static/bvapm.css HTTP/1.1\r\nHost: localhost:$port\r\n\r\n')\" = 200 ]"
check "HEAD: 200" "[ \"\$(raw 'HEAD / HTTP/1.1\r\n$h\r\n\r\n')\" = 200 ]"
# A client that connects and sends nothing holds the server 5 s at most.
"$PY" -c "import socket,time; s=socket.create_connection(('127.0.0.1',$port)); s.sendall(b'GET / HT'); time.sleep(8)" &
idle=$!
sleep 0.3
t0=$(date +%s%N)
st=$(get "/static/bvapm.css")
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill $idle 2> /dev/null; wait $idle 2> /dev/null
check "a page asked while a client stalls in its head is answered ($st) within 7 s ($ms ms)" \
  "[ '$st' = 200 ] && [ $ms -lt 7000 ]"
check "the server logged the stalled client's 408" "grep -q ' - 408 ' '$srv_log'"
check "the server is still running" "kill -0 $srv_pid"

# ---- where it listens ----------------------------------------------------------------
expect "--listen 0.0.0.0 without --allow-remote" 2 "$report" --db "$dir/store.db" serve --listen 0.0.0.0:0
check "... says the pages have no authentication" "echo \"\$out\" | grep -q 'no authentication'"
expect "--listen nonsense" 2 "$report" --db "$dir/store.db" serve --listen 'here:port'
expect "--listen belongs to serve" 2 "$report" --db "$dir/store.db" --listen 127.0.0.1:0 summary
"$report" --db "$dir/store.db" serve --listen 0.0.0.0:0 --allow-remote 2> "$dir/remote.log" &
rpid=$!
wait_until 10 grep -q 'on http://' "$dir/remote.log"
check "--allow-remote serves beyond loopback with a WARNING" \
  "grep -q 'WARNING: serving on 0.0.0.0:0, beyond this machine, with no authentication' '$dir/remote.log'"
kill -TERM $rpid; wait $rpid; rrc=$?
check "SIGTERM stops it with exit 0 ($rrc)" "[ $rrc = 0 ]"
expect "a store that does not exist: serve starts, pages say why" 0 true
serve_start "$dir/missing.db"
st=$(get "/")
check "no store: 503 ($st) naming the path" "[ '$st' = 503 ] && grep -q 'missing.db' '$dir/body'"
kill $srv_pid; wait $srv_pid 2> /dev/null
serve_start "$dir/store.db"

# ---- in the browser ------------------------------------------------------------------
browser() { # url, extra chromium flags...: the DOM on stdout, its log in $dir/chromium.log
  local url=$1; shift
  timeout 60 chromium --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
    --user-data-dir="$dir/chromium" --enable-logging=stderr --v=0 "$@" "$url" 2> "$dir/chromium.log"
}
n=0
for entry in "${pages[@]}" "/live|Live requests"; do
  path=${entry%%|*} want=${entry#*|}
  n=$((n + 1))
  shot=$(printf '%02d' $n)-$(echo "${path%%\?*}" | tr -c 'a-z\n' _ | sed 's/^_*$/overview/;s/^_//').png
  lines_before=$(wc -l < "$srv_log")
  dom=$(browser "$base$path" --virtual-time-budget=3000 --dump-dom)
  console=$(grep 'CONSOLE' "$dir/chromium.log")
  check "chromium: $path loads with no console message" "[ -z \"\$console\" ]" "$console"
  check "chromium: $path shows '$want' in its DOM" "printf '%s' \"\$dom\" | grep -qF -- '$(printf '%s' "$want" | sed "s/'/'\\\\''/g")'"
  failed=$(tail -n +$((lines_before + 1)) "$srv_log" | grep -v ' 200 ' || true)
  check "chromium: everything $path asked for answered 200" "[ -z \"\$failed\" ]" "$failed"
  browser "$base$path" --window-size=1280,1600 --screenshot="$artifacts/$shot" > /dev/null
  check "screenshot $shot saved" "[ -s '$artifacts/$shot' ]"
done
# Scripts off: the page as served is what such a browser shows (the script
# only sorts in place and refreshes the live page), and it renders.
st=$(get "/endpoint?endpoint=/srv/app/public/planted/report.php")
check "without scripts the endpoint page has its tables and charts as served" \
  "[ '$st' = 200 ] && grep -q '<table class=\"data' '$dir/body' && grep -q 'load-rows' '$dir/body' && grep -q '<svg class=\"chart\"' '$dir/body'"
get /live > /dev/null
check "without scripts the live page reloads itself (<noscript> refresh)" \
  "grep -q '<noscript><meta http-equiv=\"refresh\" content=\"2\"></noscript>' '$dir/body'"
dom=$(browser "$base/endpoints" --dump-dom)
check "chromium: the hostile URI is text in the DOM, not an element" \
  "printf '%s' \"\$dom\" | grep -qF '/x&lt;img src=/nope onerror=alert(1)&gt;' && ! printf '%s' \"\$dom\" | grep -qF '<img src=\"/nope\"'"
kill $srv_pid; wait $srv_pid 2> /dev/null

# ---- beside a running drainer -----------------------------------------------------------
ring=serve
mkdir -p "$dir/live"
drainer_start "$drainer" "$dir/live" "$ring" ||
  bail "drainer failed to start: $(tail -3 "$dir/live/drainer.log")"
# the ring file appears before the drainer has sized it: wait until it attaches
wait_until 10 "$producer" stat "$ring" > /dev/null 2>&1 || bail "the drainer's ring never became attachable"
"$producer" load --ring "$ring" --records 200 --rate 1000 > /dev/null
"$producer" hold "$ring" 300 GET /held/report.php held-checkpoint 'SELECT SLEEP(?)' > "$dir/hold.out" 2>&1 &
hold_pid=$!
on_exit "kill $hold_pid 2> /dev/null"
wait_until 10 sh -c "[ \"\$(sqlite3 -readonly '$dir/live/store.db' 'SELECT count(*) FROM requests' 2> /dev/null)\" -ge 200 ]"
serve_start "$dir/live/store.db" --ring "$ring"
"$producer" load --ring "$ring" --records 3000 --rate 1000 > "$dir/load.out" &
load_pid=$!
codes="" counts=""
while kill -0 $load_pid 2> /dev/null; do
  for path in / /endpoints /requests /errors; do codes+=" $(get "$path")"; done
  get /api/summary > /dev/null
  counts+=" $(jget 'd["requests"]' < "$dir/body")"
done
wait $load_pid
check "pages answered 200 all the while the drainer wrote the store:$codes" \
  "! echo '$codes' | grep -qv '^\( 200\)*$'"
first=$(echo $counts | awk '{print $1}') last=$(echo $counts | awk '{print $NF}')
check "and showed the new requests as they came ($first → $last)" "[ '$first' -lt '$last' ]"
st=$(get /live)
check "the live page shows the worker held in a request ($st)" \
  "[ '$st' = 200 ] && grep -q '/held/report.php' '$dir/body' && grep -q 'held-checkpoint' '$dir/body'"
dom=$(browser "$base/live" --virtual-time-budget=5000 --dump-dom)
check "chromium: the live page refreshed itself in place (its script ran)" \
  "printf '%s' \"\$dom\" | grep -q 'updated ' && printf '%s' \"\$dom\" | grep -q '/held/report.php'" \
  "$(grep CONSOLE "$dir/chromium.log")"
kill $hold_pid 2> /dev/null
finish
