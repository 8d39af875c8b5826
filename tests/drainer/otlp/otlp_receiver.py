#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A scriptable OTLP/HTTP receiver for the OTLP sink's and the drainer's tests.

Listens on 127.0.0.1 (a free port, printed as "PORT <n>" on stdout, and
written to --port-file when given). POST /v1/traces is answered according to
the current mode, set with GET /_control/mode?m=<mode>[&retry_after=S]
[&rejected=N][&hang=S]; modes stay until changed:

  200      accept: every span is recorded, answer 200 {}
  503      answer 503 (with Retry-After when retry_after is given), record nothing
  429      answer 429 with Retry-After: retry_after (default 1), record nothing
  400      answer 400 with a google.rpc.Status body, record nothing
  partial  record every span, answer 200 with partialSuccess.rejectedSpans = rejected
  hang     read the request, sleep `hang` seconds (default 5), close without answering
  close    read the request, close the connection without answering

GET /_control/stats answers JSON: requests (POSTs by mode), records (the
bvapm.record.id attribute of every recorded top-level span, with how many
times it arrived), spans, gzip_bodies, bodies, connections, errors (malformed
requests), test_header (bodies sent with "X-Bvapm-Test: integration"). GET /_control/quit stops the server.
With --dump FILE, every recorded span is also appended to FILE as one JSON
line: its service.name, traceId, spanId, parentSpanId, kind and name.
"""
import argparse
import gzip
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

LOCK = threading.Lock()
STATE = {"mode": "200", "retry_after": None, "rejected": 1, "hang": 5.0}
DUMP = None  # --dump FILE, opened for appending
STATS = {"requests": {}, "records": {}, "spans": 0, "gzip_bodies": 0, "bodies": 0,
         "connections": 0, "errors": [], "test_header": 0}


def is_hex(s, n):
    return isinstance(s, str) and len(s) == n and all(c in "0123456789abcdef" for c in s)


def record_spans(doc):
    """Counts spans and record ids; returns an error string or None."""
    spans = 0
    ids = []
    dumped = []
    for rs in doc.get("resourceSpans", []):
        attrs = {a["key"]: a.get("value", {}) for a in rs.get("resource", {}).get("attributes", [])}
        if "service.name" not in attrs:
            return "resource without service.name"
        service = attrs["service.name"].get("stringValue")
        for ss in rs.get("scopeSpans", []):
            for span in ss.get("spans", []):
                if not is_hex(span.get("traceId"), 32) or not is_hex(span.get("spanId"), 16):
                    return "bad traceId/spanId"
                if not str(span.get("startTimeUnixNano", "")).isdigit():
                    return "startTimeUnixNano is not a decimal string"
                spans += 1
                dumped.append({"service": service, "traceId": span["traceId"], "spanId": span["spanId"],
                               "parentSpanId": span.get("parentSpanId", ""), "kind": span.get("kind"),
                               "name": span.get("name")})
                for a in span.get("attributes", []):
                    if a["key"] == "bvapm.record.id":
                        ids.append(a["value"]["stringValue"])
    with LOCK:
        STATS["spans"] += spans
        for i in ids:
            STATS["records"][i] = STATS["records"].get(i, 0) + 1
        if DUMP is not None:
            for d in dumped:
                DUMP.write(json.dumps(d) + "\n")
            DUMP.flush()
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        with LOCK:
            STATS["connections"] += 1

    def log_message(self, fmt, *args):  # quiet: the test prints TAP on stdout
        pass

    def reply(self, code, body=b"", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlparse(self.path)
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if url.path == "/_control/mode":
            with LOCK:
                STATE["mode"] = q.get("m", "200")
                STATE["retry_after"] = q.get("retry_after")
                STATE["rejected"] = int(q.get("rejected", "1"))
                STATE["hang"] = float(q.get("hang", "5"))
            self.reply(200, b"{}")
        elif url.path == "/_control/stats":
            with LOCK:
                body = json.dumps(STATS).encode()
            self.reply(200, body)
        elif url.path == "/_control/quit":
            self.reply(200, b"{}")
            threading.Thread(target=self.server.shutdown, daemon=True).start()
        else:
            self.reply(404, b'{"code":5,"message":"not found"}')

    def read_body(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        with LOCK:
            STATS["bodies"] += 1
            if self.headers.get("X-Bvapm-Test") == "integration":
                STATS["test_header"] += 1
        if self.headers.get("Content-Encoding", "") == "gzip":
            with LOCK:
                STATS["gzip_bodies"] += 1
            body = gzip.decompress(body)
        return body

    def do_POST(self):
        with LOCK:
            mode = STATE["mode"]
            retry_after = STATE["retry_after"]
            rejected = STATE["rejected"]
            hang = STATE["hang"]
            STATS["requests"][mode] = STATS["requests"].get(mode, 0) + 1
        if urlparse(self.path).path != "/v1/traces":
            self.reply(404, b'{"code":5,"message":"not found"}')
            return
        try:
            raw = self.read_body()
            doc = json.loads(raw)
        except Exception as e:  # noqa: BLE001 - any decoding failure is the client's bug
            with LOCK:
                STATS["errors"].append("undecodable body: %s" % e)
            self.reply(400, b'{"code":3,"message":"undecodable body"}')
            return
        if self.headers.get("Content-Type") != "application/json":
            with LOCK:
                STATS["errors"].append("Content-Type %s" % self.headers.get("Content-Type"))

        if mode in ("200", "partial"):
            err = record_spans(doc)
            if err:
                with LOCK:
                    STATS["errors"].append(err)
                self.reply(400, json.dumps({"code": 3, "message": err}).encode())
            elif mode == "200":
                self.reply(200, b"{}")
            else:
                body = {"partialSuccess": {"rejectedSpans": str(rejected),
                                           "errorMessage": "spans too old"}}
                self.reply(200, json.dumps(body).encode())
        elif mode == "503":
            headers = [("Retry-After", retry_after)] if retry_after else []
            self.reply(503, b'{"code":14,"message":"unavailable"}', headers)
        elif mode == "429":
            self.reply(429, b'{"code":8,"message":"slow down"}',
                       [("Retry-After", retry_after or "1")])
        elif mode == "400":
            self.reply(400, b'{"code":3,"message":"invalid spans"}')
        elif mode == "hang":
            time.sleep(hang)
            self.close_connection = True
        else:  # close
            self.close_connection = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port-file")
    ap.add_argument("--dump")
    args = ap.parse_args()
    global DUMP
    if args.dump:
        DUMP = open(args.dump, "a")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file, "w") as f:
            f.write("%d\n" % port)
    print("PORT %d" % port, flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
