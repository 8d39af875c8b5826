#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Compares two runs of PHP's run-tests.php over the same tests: a baseline
(without bvapm.so) and a run with the extension loaded. Reads each run's
console log (one "RESULT description [path]" line per test), and prints one
TAP result line: "ok" unless a test that PASSes in the baseline does not
PASS with the extension (FAIL, BORK, LEAK, WARN, or a crash). For each such
regression it prints, as TAP comments, the result and the diff run-tests.php
left beside the test (and the signal, when the PHP process was killed by
one). Tests whose result changed in other ways (e.g. PASS -> SKIP) are listed
but do not fail.

  compare-phpt-runs.py TAP_NUMBER LABEL BASE_LOG BASE_DIR EXT_LOG EXT_DIR

Exit status 0; 1 on regressions; 2 if a log has no results or its result
count differs from the summary run-tests.php printed.
"""
import os
import re
import sys

RESULTS = ("PASS", "FAIL", "SKIP", "BORK", "XFAIL", "XLEAK", "LEAK", "WARN",
           "LEAK&FAIL")
# A result starts a line, or follows the "TEST n/N [k/j workers running]"
# prefix of a parallel run; the test's path, in brackets, ends its
# description, which may span lines.
RESULT = re.compile(r"(?:^|TEST \d+/\d+ \[[^\]\n]*\]\s+)(" +
                    "|".join(re.escape(r) for r in RESULTS) + r")\s", re.M)
PATH = re.compile(r"\[([^\[\]\n]+\.phpt)\]")
TOTAL = re.compile(r"^Number of tests\s*:\s*(\d+)", re.M)


def parse(log, root):
    """{path relative to root: result} from a run-tests.php console log."""
    with open(log, errors="replace") as f:
        text = f.read().replace("\r", "\n")
    end = text.find("TEST RESULT SUMMARY")
    text = text[:end] if end >= 0 else text
    out, prev = {}, 0
    for m in PATH.finditer(text):
        results = RESULT.findall(text, prev, m.start())
        prev = m.end()
        if results:
            path = m.group(1)
            path = os.path.relpath(path, root) if os.path.isabs(path) else path
            out[path] = results[-1]
    total = TOTAL.search(text) or TOTAL.search(open(log, errors="replace").read())
    return out, int(total.group(1)) if total else None


def detail(root, test, limit=40):
    """Signal and diff lines left by run-tests.php for a failed test."""
    base = os.path.join(root, test[:-len(".phpt")])
    lines = []
    try:
        with open(base + ".out", errors="replace") as f:
            sig = re.search(r"Termsig=(\d+)", f.read())
        if sig:
            lines.append(f"crashed: killed by signal {sig.group(1)}")
    except OSError:
        pass
    try:
        with open(base + ".diff", errors="replace") as f:
            diff = f.read().splitlines()
        lines += diff[:limit] + ([f"... {len(diff) - limit} more lines"]
                                 if len(diff) > limit else [])
    except OSError:
        lines.append("(no .diff file)")
    return lines


def main():
    num, label, base_log, base_dir, ext_log, ext_dir = sys.argv[1:7]
    base, base_total = parse(base_log, base_dir)
    ext, ext_total = parse(ext_log, ext_dir)
    for name, res, total in (("baseline", base, base_total), ("extension", ext, ext_total)):
        if not res or (total is not None and len(res) != total):
            print(f"not ok {num} - {label}: {name} log unreadable "
                  f"({len(res)} results parsed, summary says {total})")
            return 2
    regressions, changed = [], []
    for test, before in sorted(base.items()):
        after = ext.get(test, "MISSING")
        if before == after:
            continue
        if before == "PASS":
            regressions.append((test, after))
        else:
            changed.append((test, before, after))
    passed = sum(1 for r in base.values() if r == "PASS")
    verdict = "not ok" if regressions else "ok"
    print(f"{verdict} {num} - {label}: {len(regressions)} of {passed} tests that pass "
          f"without bvapm.so fail with it ({len(base)} tests run)")
    for test, after in regressions:
        print(f"# REGRESSION {after} {test}")
        for line in detail(ext_dir, test):
            print(f"#   {line}")
    for test, before, after in changed:
        print(f"# changed (not a failure): {before} -> {after} {test}")
    counts = {}
    for r in ext.values():
        counts[r] = counts.get(r, 0) + 1
    print("# with bvapm.so: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
