#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""HTTP client of the hostile suite: requests GET /app/<prefix>/<i> from
nginx on keep-alive connections and checks every response against the
expected body byte for byte (status 200 and the same bytes, or it is bad).

  load.py PORT PREFIX EXPECTED_FILE [--count N] [--until FILE] [--max-seconds S]
          [--concurrency C] [--summary FILE]

--count N    send exactly N requests (i = 0 .. N-1)
--until FILE keep sending until FILE exists (bounded by --max-seconds and,
             when given, --count)
Prints one summary line (also written to --summary) and exits 1 when any
response was bad:
  sent=N ok=N bad=N first_bad="<i> <status> <what>"
"""
import argparse
import http.client
import itertools
import os
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("prefix")
    ap.add_argument("expected")
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--until")
    ap.add_argument("--max-seconds", type=float, default=30.0)
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--summary")
    a = ap.parse_args()
    expected = open(a.expected, "rb").read()
    deadline = time.monotonic() + a.max_seconds
    counter = itertools.count()
    lock = threading.Lock()
    st = {"sent": 0, "ok": 0, "bad": 0, "first_bad": ""}

    def next_index():
        with lock:
            i = next(counter)
        if a.count and i >= a.count:
            return None
        if a.until is not None:
            if os.path.exists(a.until) or time.monotonic() > deadline:
                return None
        elif not a.count:
            return None
        return i

    def record(i, status, what):
        with lock:
            st["sent"] += 1
            if what is None:
                st["ok"] += 1
            else:
                st["bad"] += 1
                if not st["first_bad"]:
                    st["first_bad"] = f"{i} {status} {what}"

    def worker():
        conn = None
        while (i := next_index()) is not None:
            path = f"/app/{a.prefix}/{i}"
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", a.port, timeout=10)
                conn.request("GET", path)
                resp = conn.getresponse()
                body = resp.read()
                if resp.status != 200:
                    record(i, resp.status, f"status {resp.status}: {body[:80]!r}")
                elif body != expected:
                    record(i, 200, f"body differs ({len(body)} bytes, expected {len(expected)}): {body[:60]!r}")
                else:
                    record(i, 200, None)
                if resp.getheader("connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                record(i, 0, f"{type(e).__name__}: {e}")
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(a.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    line = f'sent={st["sent"]} ok={st["ok"]} bad={st["bad"]} first_bad="{st["first_bad"]}"'
    print(line)
    if a.summary:
        with open(a.summary, "w") as f:
            f.write(line + "\n")
    sys.exit(1 if st["bad"] else 0)


if __name__ == "__main__":
    main()
