# SPDX-License-Identifier: Apache-2.0
"""tap.py — TAP output for the Python parts of the tests (the checks that
read a store, a ring's records or a tool's JSON). Shell tests that source
tests/lib/tap.sh have this folder on PYTHONPATH, so a script run with
`python3 - ... <<'PY'` starts with `from tap import check, finish`.

Lines flushed as they are printed (a test that hangs later still shows how
far it got), the plan printed last by finish(), whose exit status says
whether every check passed. The count starts where the shell part of the
test left it (TAP_COUNT, TAP_FAILED, exported by tap.sh): a Python part that
prints TAP comes last and finishes the test.

  check(ok, what, skip=None)  a test line; with skip, "ok N - what # SKIP
                              skip" whatever ok is; returns ok
  diag(text)                  every line a TAP comment
  finish()                    the plan; exits 1 if a check failed, else 0
"""
import os
import sys

_count = int(os.environ.get("TAP_COUNT", "0"))
_failed = int(os.environ.get("TAP_FAILED", "0"))


def check(ok, what, skip=None):
    global _count, _failed
    _count += 1
    if skip:
        print(f"ok {_count} - {what} # SKIP {skip}", flush=True)
        return ok
    if not ok:
        _failed += 1
    print(f"{'ok' if ok else 'not ok'} {_count} - {what}", flush=True)
    return ok


def diag(text):
    for line in str(text).splitlines() or [""]:
        print(f"# {line}", flush=True)


def finish():
    print(f"1..{_count}", flush=True)
    sys.exit(1 if _failed else 0)
