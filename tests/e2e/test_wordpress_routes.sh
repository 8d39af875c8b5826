#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# WordPress endpoints named by the agent, with no code of the user's: Debian's
# WordPress (testing/wordpress.sh: a private MariaDB, a private host name,
# fixture content) behind nginx + php-fpm (opcache, JIT). Every page of the
# site's list is asked for twice, each time with its own traceparent: from a
# php-fpm without bvapm, then from one with bvapm.so in aggressive mode (every
# request kept) writing through bvapm-drainer into the SQLite store. The
# store's row of each request (found by its trace id) carries the route the
# agent must name it by (front-page, single:post, archive:category, rest:…,
# ajax:heartbeat, cron, …) and the status WordPress answered, which is the
# status expected of that page; with and without the agent, each page answers
# the same status, headers (but Date) and body, byte for byte, except:
#   ajax-heartbeat  its JSON carries server_time (the clock's second): the
#                   value is masked before comparing
#   login           wp-login.php's inline script carries a nonce, which
#                   changes when WordPress's 12-hour nonce tick turns between
#                   the two passes: its value is masked before comparing
# Root only (the site's configuration goes to /etc/wordpress); skipped (77)
# otherwise, or when Debian's wordpress package is not installed. Prints TAP.
#   test_wordpress_routes.sh BVAPM_SO BVAPM_DRAINER
set -u
so=$1 drainer=$2
. "$(dirname "$0")/../lib/common.sh"
skip() { echo "1..0 # SKIP $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "root only: the site's configuration is written to /etc/wordpress"
[ -f /usr/share/wordpress/wp-config.php ] || skip "Debian's wordpress package is not installed"
. "$TESTING/mariadb.sh"
. "$TESTING/wordpress.sh"
scratch e2e-wp 0777
on_exit wp_stop

port=$(free_port)
wp_setup "$dir/site" "$port" || bail "WordPress could not be set up"

# every page of the list, the Nth with trace id ...N: PASS/NAME.{code,headers,body}
fetch_pages() {
  local pass=$1 i=0 name rest
  mkdir -p "$dir/$pass"
  while read -r name rest; do
    i=$((i + 1))
    wp_page "$name" -o "$dir/$pass/$name.body" -D "$dir/$pass/$name.headers" -w '%{http_code}' \
      -H "traceparent: 00-$(printf 'b0a9%028x' "$i")-00f067aa0ba902b7-01" > "$dir/$pass/$name.code"
  done < "$WP_PAGES"
}

wp_serve "$dir/plain" "" e2ewp off || bail "php-fpm without bvapm and nginx did not start"
fetch_pages plain
stack_stop

drainer_start "$drainer" "$dir" e2ewp --set ring.size=4M || bail "the drainer did not create its ring"
# overhead_budget_us=0: the guard must not turn detail down on a loaded machine
wp_serve "$dir/agent" "$so" e2ewp aggressive bvapm.overhead_budget_us=0 || bail "php-fpm with bvapm and nginx did not start"
fetch_pages agent
# a record is written when the request ends, which may be after its answer
# (wp-cron.php answers first, then runs): wait for them before stopping
pages=$(wc -l < "$WP_PAGES")
stored() { [ "$(store_count "$dir/store.db" "requests WHERE trace_id LIKE 'b0a9%'" 2>/dev/null)" = "$pages" ]; }
wait_until 10 stored
stack_stop
drainer_stop_check "drainer exits 0 on SIGTERM"
# the PHP errors a pass logged, without their times
php_errors() { sed 's/^\[[^]]*\] //' "$dir/$1/php-errors.log" 2>/dev/null | sort -u; }
check "the same PHP errors logged with and without bvapm" '[ "$(php_errors agent)" = "$(php_errors plain)" ]' \
  "$(php_errors agent | head -n 5)"

python3 - "$dir" "$WP_PAGES" <<'PY'
import re
import sys
from tap import check, diag, finish
from store_db import open_store
d, db = open_store()
# what the agent names each page, and the status WordPress answers
expected = {
    "front-page": ("front-page", 200),
    "post": ("single:post", 200),
    "page": ("page", 200),
    "category": ("archive:category", 200),
    "tag": ("archive:post_tag", 200),
    "search": ("search", 200),
    "feed": ("feed", 200),
    "not-found": ("404", 404),
    "rest-posts": ("rest:/wp/v2/posts", 200),
    "rest-post": ("rest:/wp/v2/posts/{id}", 200),
    "login": ("login", 200),
    "ajax-heartbeat": ("ajax:heartbeat", 200),
    "admin": ("admin:index.php", 302),
    "cron": ("cron", 200),
}
# what each page holds without the agent (the fixture content, the feed, the
# login form, the redirect to the login page; wp-cron.php answers nothing)
content = {
    "front-page": b"Ring buffers in shared memory",
    "post": b"A lighthouse keeper counts every ship",
    "page": b"Every request is timed and counted",
    "category": b"Ring buffers in shared memory",
    "tag": b"Ring buffers in shared memory",
    "search": b"Ring buffers in shared memory",
    "feed": b"<rss version=\"2.0\"",
    "not-found": b"Page not found",
    "rest-posts": b'"slug":"ring-buffers"',
    "rest-post": b'"slug":"ring-buffers"',
    "login": b'name="log"',
    "ajax-heartbeat": b'"wp-auth-check":false',
    "admin": b"\r\nLocation: http://",
}
masks = {
    "ajax-heartbeat": [(rb'"server_time":\d+', b'"server_time":0')],
    "login": [(rb'"nonce":"[0-9a-f]+"', b'"nonce":""')],
}
pages = [line.split() for line in open(sys.argv[2])]
check(sorted(p[0] for p in pages) == sorted(expected), f"the site's list has every page ({[p[0] for p in pages]})")

def read(pass_, name, ext):
    try:
        return open(f"{d}/{pass_}/{name}.{ext}", "rb").read()
    except OSError:
        return b""

def headers(pass_, name):
    lines = read(pass_, name, "headers").decode("latin-1").split("\r\n")
    return sorted(h for h in lines if h and not h.lower().startswith("date:"))

for i, (name, method, path, *body) in enumerate(pages, 1):
    route, status = expected.get(name, ("?", 0))
    plain = int(read("plain", name, "code") or 0)
    agent = int(read("agent", name, "code") or 0)
    check(plain == status, f"{name}: {method} {path} answers {status} without the agent (got {plain})")
    check(agent == plain, f"{name}: the same status with the agent (got {agent})")
    b_plain, b_agent = read("plain", name, "body"), read("agent", name, "body")
    if name == "admin":
        check(content[name] in read("plain", name, "headers") and b"/wp-login.php?redirect_to=" in read("plain", name, "headers"),
              f"{name}: redirected to the login page")
    elif name in content:
        check(content[name] in b_plain, f"{name}: the page holds {content[name].decode()!r}")
    else:
        check(b_plain == b"", f"{name}: an empty answer ({len(b_plain)} bytes)")
    for pattern, repl in masks.get(name, []):
        b_plain, b_agent = re.sub(pattern, repl, b_plain), re.sub(pattern, repl, b_agent)
    check(b_plain == b_agent,
          f"{name}: the same body with and without the agent ({len(b_plain)} bytes"
          + (", values masked: " + ", ".join(m[1].decode() for m in masks[name]) if name in masks else "") + ")")
    if not check(headers("plain", name) == headers("agent", name), f"{name}: the same headers but Date"):
        diag(f"without: {headers('plain', name)}\nwith:    {headers('agent', name)}")
    row = db.execute("SELECT method, uri, route, status FROM requests WHERE trace_id = ?",
                     (f"b0a9{i:028x}",)).fetchone()
    got = tuple(row) if row else None
    want = (method, path.split("?")[0], route, agent)
    check(got == want, f"{name}: stored as route {route!r} (method, uri, route, status: {got})")
finish()
PY
