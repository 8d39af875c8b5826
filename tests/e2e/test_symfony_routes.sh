#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Symfony endpoints named by the agent, with no code of the user's: the
# HttpKernel application of testing/www-symfony (Debian's Symfony components,
# a classic front controller) behind nginx + php-fpm (opcache, JIT). Each
# page is asked for twice, each time with its own traceparent: from a
# php-fpm without bvapm, then from one with bvapm.so in aggressive mode
# (every request kept) writing through bvapm-drainer into the SQLite store.
# The store's row of each request (found by its trace id) carries the
# _route of its main request (home, blog_show, api_item; the blog post's
# sub-request for api_item does not rename it), or, for a path no route
# matches (answered 404 by the error listener's sub-request), the default:
# the front controller's path. With and without the agent, each page
# answers the same status, headers (but Date) and body, byte for byte.
# Skipped (77) when Debian's php-symfony-http-kernel is not installed.
# Prints TAP.
#   test_symfony_routes.sh BVAPM_SO BVAPM_DRAINER
set -u
so=$1 drainer=$2
. "$(dirname "$0")/../lib/common.sh"
[ -f /usr/share/php/Symfony/Component/HttpKernel/autoload.php ] ||
  { echo "1..0 # SKIP Debian's php-symfony-http-kernel is not installed"; exit 77; }
scratch e2e-sf 0777
export STACK_WWW=$TESTING/www-symfony/public STACK_FRONT=/index.php STACK_READY=index.php

# name, path, the route the agent names it by ("-": the front controller's
# path), its status, what its body holds
cat > "$dir/pages" <<PAGES
home / home 200 <h1>Home</h1>
blog-show /blog/ring-buffers blog_show 200 <aside>{"id":7,"name":"item 7"}</aside>
api-item /api/items/42 api_item 200 {"id":42,"name":"item 42"}
api-item-not-numeric /api/items/abc - 404 <h1>404 Not Found</h1>
unknown /no/such/page - 404 <h1>404 Not Found</h1>
PAGES

# every page, the Nth with trace id ...N: PASS/NAME.{code,headers,body}
fetch_pages() {
  local pass=$1 i=0 name path rest
  mkdir -p "$dir/$pass"
  while read -r name path rest; do
    i=$((i + 1))
    curl -s --max-time 20 -o "$dir/$pass/$name.body" -D "$dir/$pass/$name.headers" -w '%{http_code}' \
      -H "traceparent: 00-$(printf '5f0e%028x' "$i")-00f067aa0ba902b7-01" "http://127.0.0.1:$port$path" \
      > "$dir/$pass/$name.code"
  done < "$dir/pages"
}

port=$(free_port)
stack_start "$dir/plain" "$port" "" e2esf off || bail "php-fpm without bvapm and nginx did not start"
fetch_pages plain
stack_stop

drainer_start "$drainer" "$dir" e2esf --set ring.size=4M || bail "the drainer did not create its ring"
# overhead_budget_us=0: the guard must not turn detail down on a loaded machine
stack_start "$dir/agent" "$port" "$so" e2esf aggressive bvapm.overhead_budget_us=0 || bail "php-fpm with bvapm and nginx did not start"
fetch_pages agent
# a record is written when the request ends, which may be after its answer
# (Response::send() finishes the FastCGI request): wait for them
pages=$(wc -l < "$dir/pages")
stored() { [ "$(store_count "$dir/store.db" "requests WHERE trace_id LIKE '5f0e%'" 2>/dev/null)" = "$pages" ]; }
wait_until 10 stored
stack_stop
drainer_stop_check "drainer exits 0 on SIGTERM"

python3 - "$dir" "$STACK_WWW/index.php" <<'PY'
import sys
from tap import check, diag, finish
from store_db import open_store
d, db = open_store()
script = sys.argv[2]

def read(pass_, name, ext):
    try:
        return open(f"{d}/{pass_}/{name}.{ext}", "rb").read()
    except OSError:
        return b""

def headers(pass_, name):
    lines = read(pass_, name, "headers").decode("latin-1").split("\r\n")
    return sorted(h for h in lines if h and not h.lower().startswith("date:"))

for i, line in enumerate(open(f"{d}/pages"), 1):
    name, path, route, status, holds = line.rstrip("\n").split(" ", 4)
    route = script if route == "-" else route
    plain = int(read("plain", name, "code") or 0)
    agent = int(read("agent", name, "code") or 0)
    check(plain == int(status), f"{name}: GET {path} answers {status} without the agent (got {plain})")
    check(agent == plain, f"{name}: the same status with the agent (got {agent})")
    b_plain, b_agent = read("plain", name, "body"), read("agent", name, "body")
    check(holds.encode() in b_plain, f"{name}: the page holds {holds!r}")
    check(b_plain == b_agent, f"{name}: the same body with and without the agent ({len(b_plain)} bytes)")
    if not check(headers("plain", name) == headers("agent", name), f"{name}: the same headers but Date"):
        diag(f"without: {headers('plain', name)}\nwith:    {headers('agent', name)}")
    row = db.execute("SELECT method, uri, route, status FROM requests WHERE trace_id = ?",
                     (f"5f0e{i:028x}",)).fetchone()
    got = tuple(row) if row else None
    check(got == ("GET", path, route, agent), f"{name}: stored as route {route!r} (method, uri, route, status: {got})")
finish()
PY
