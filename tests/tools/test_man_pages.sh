#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The man pages (man/) render without a warning and keep up with the code:
# every page formats cleanly with man-db and groff (warnings on), its NAME
# line parses, its .TH names the page and the project's version; every
# option the built binary's --help prints (the global help and each
# command's) and every long option of the sources' option tables has an
# entry of its own (.TP), every command of --help its entry under COMMANDS,
# EXIT STATUS the exit codes of --help, ENVIRONMENT the variables it names;
# bvapm-drainer(8) lists every key of drainer/bvapm-drainer.ini under its
# section with its default, every key of drainer/config.c's table and every
# metric of drainer/metrics.c.
# Prints TAP.
#
#   test_man_pages.sh VERSION SOURCE_ROOT BVAPM_DRAINER BVAPM_SHM BVAPM_REPORT
set -u
version=$1 src=$2 drainer=$3 shm=$4 report=$5
. "$(dirname "$0")/../lib/common.sh"

# A machine without man-db or groff skips what needs them (and says so).
have() { command -v "$1" >/dev/null; }
skip() { ok "$1 # SKIP $2 not installed"; }

pages=(bvapm-drainer.8 bvapm-shm.1 bvapm-report.1)
for page in "${pages[@]}"; do
  f=$src/man/$page
  if [ ! -f "$f" ]; then not_ok "$page exists"; continue; fi
  what="$page: man --warnings renders it without a warning"
  if have man; then
    err=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null); rc=$?
    check "$what" "[ $rc = 0 ] && [ -z \"\$err\" ]" "$err"
  else
    skip "$what" man
  fi
  for dev in ps utf8; do
    what="$page: groff -man -T$dev -ww -z without a warning"
    if have groff; then
      err=$(groff -man -T"$dev" -ww -z "$f" 2>&1); rc=$?
      check "$what" "[ $rc = 0 ] && [ -z \"\$err\" ]" "$err"
    else
      skip "$what" groff
    fi
  done
  what="$page: lexgrog reads its NAME line"
  if have lexgrog; then
    out=$(lexgrog "$f" 2>&1); rc=$?
    check "$what" "[ $rc = 0 ] && printf '%s' \"\$out\" | grep -q ' - '" "$out"
  else
    skip "$what" lexgrog
  fi
done

# The rest compares texts, in Python: the pages' sources, the binaries'
# help, the configuration file and the sources.
"$PY" - "$version" "$src" "$drainer" "$shm" "$report" <<'PY'
import glob, os, re, subprocess, sys
from tap import check, diag, finish

version, src, drainer, shm, report = sys.argv[1:6]


def run(argv):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr


def sections(roff):
    """{".SH name": [source lines]} of a page."""
    out, cur = {}, None
    for line in roff.splitlines():
        m = re.match(r'^\.SH\s+"?([^"]*)"?\s*$', line)
        if m:
            cur = m.group(1)
            out[cur] = []
        elif cur is not None:
            out[cur].append(line)
    return out


def long_opts(text):
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", text))


def short_opts(text):
    return set(re.findall(r"(?<![\w-])-[a-zA-Z0-9](?![\w-])", text))


def has_word(text, word):
    return re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", text) is not None


def commands(help_text):
    """The command names of a help text's "commands:" list."""
    names, inside = [], False
    for line in help_text.splitlines():
        if line.strip() == "commands:":
            inside = True
        elif inside and not line.strip():
            break
        elif inside:
            m = re.match(r"^  (\w+)(\s|$)", line)
            if m:
                names.append(m.group(1))
    return names


def exit_codes(help_text):
    m = re.search(r"(?is)\bexit(?: codes)?:(.*?)(?:\n\s*\n|\Z)", help_text)
    return set(re.findall(r"(?:^|,)\s*(\d+)\s", m.group(1))) if m else set()


def source_long_opts(files):
    """Long options of the `struct option` tables in these sources."""
    out = set()
    for f in files:
        text = open(f).read()
        out |= {"--" + n for n in re.findall(
            r'\{\s*"([a-z][a-z0-9-]*)"\s*,\s*(?:no|required|optional)_argument', text)}
    return out


tools = {
    "bvapm-drainer.8": (drainer, [os.path.join(src, "drainer/main.c")]),
    "bvapm-shm.1": (shm, sorted(glob.glob(os.path.join(src, "tools/shm/*.c")))),
    "bvapm-report.1": (report, [os.path.join(src, "tools/report/main.c")]),
}
for page, (binary, sources) in tools.items():
    name, section = page.rsplit(".", 1)
    roff = open(os.path.join(src, "man", page)).read()
    secs = sections(roff)

    th = re.search(r"^\.TH\s+(\S+)\s+(\S+)\s+(\S+)\s+\"([^\"]*)\"", roff, re.M)
    check(th is not None and th.group(1) == name.upper() and th.group(2) == section
          and th.group(4) == f"bvapm {version}",
          f"{page}: .TH names {name.upper()} {section} and bvapm {version}")
    missing = [s for s in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS",
                           "SEE ALSO") if s not in secs]
    check(not missing, f"{page}: has the usual sections")
    if missing:
        diag(f"missing: {missing}")

    rc, helps = run([binary, "--help"])
    check(rc == 0 and "usage:" in helps, f"{page}: {os.path.basename(binary)} --help works")
    cmds = commands(helps)
    for cmd in cmds:  # each command's own help (the same text today)
        rc, h = run([binary, cmd, "--help"])
        check(rc == 0 and "usage:" in h, f"{page}: {os.path.basename(binary)} {cmd} --help works")
        helps += "\n" + h

    # each option has an entry of its own: it is in the tag of a .TP
    tags = "\n".join(re.sub(r"\\f[BIRP]", "", t).replace("\\-", "-")
                     for t in re.findall(r"^\.TP\n(.*)$", roff, re.M))
    want = long_opts(helps) | source_long_opts(sources)
    gone = sorted(o for o in want if not has_word(tags, o))
    check(not gone, f"{page}: every long option ({len(want)}) of --help and the sources has its entry")
    if gone:
        diag(f"no entry: {' '.join(gone)}")
    gone = sorted(o for o in short_opts(helps) if not has_word(tags, o))
    check(not gone, f"{page}: every short option of --help has its entry")
    if gone:
        diag(f"no entry: {' '.join(gone)}")

    if cmds:
        listed = "\n".join(secs.get("COMMANDS", []))
        gone = [c for c in cmds
                if not re.search(r"^(?:\.SS|\.TP\n\.B)\s+" + c + r"\s*$", listed, re.M)]
        check(not gone, f"{page}: every command of --help ({' '.join(cmds)}) has its entry under COMMANDS")
        if gone:
            diag(f"no entry: {' '.join(gone)}")

    codes = exit_codes(helps)
    page_codes = set(re.findall(r"^\.TP\n\.B\s+(\d+)\s*$", "\n".join(secs.get("EXIT STATUS", [])), re.M))
    check(codes and codes == page_codes,
          f"{page}: EXIT STATUS lists the exit codes of --help ({' '.join(sorted(codes))})")
    if codes != page_codes:
        diag(f"--help: {sorted(codes)}, page: {sorted(page_codes)}")

    env = set(re.findall(r"\$([A-Z][A-Z0-9_]+)", helps))
    gone = sorted(v for v in env if not re.search(r"^\.B\s+" + v + r"\s*$",
                                                  "\n".join(secs.get("ENVIRONMENT", [])), re.M))
    check(not gone, f"{page}: every environment variable of --help is under ENVIRONMENT")
    if gone:
        diag(f"not under ENVIRONMENT: {' '.join(gone)}")

# bvapm-drainer(8) and the configuration: the default file's sections, keys
# and defaults; config.c's keys; metrics.c's metric names.
roff = open(os.path.join(src, "man", "bvapm-drainer.8")).read()
page_keys, cur = {}, None
for line in roff.splitlines():
    m = re.match(r"^\.SS\s+\[(\w+)\]\s*$", line)
    if m:
        cur = m.group(1)
        page_keys[cur] = {}
        continue
    if line.startswith((".SS", ".SH")):
        cur = None
    m = re.match(r"^\.B\s+(\w+) =(?: (.*\S))?\s*$", line)
    if cur and m:
        page_keys[cur][m.group(1)] = (m.group(2) or "").replace("\\-", "-")

ini_keys, cur = {}, None
for line in open(os.path.join(src, "drainer/bvapm-drainer.ini")):
    line = line.strip()
    m = re.match(r"^\[(\w+)\]$", line)
    if m:
        cur = m.group(1)
        ini_keys[cur] = {}
        continue
    m = re.match(r"^(\w+)\s*=\s*([^;]*?)\s*(;.*)?$", line)
    if cur and m:
        ini_keys[cur][m.group(1)] = m.group(2)

check(list(ini_keys) == list(page_keys),
      "bvapm-drainer.8: a subsection per section of bvapm-drainer.ini, in its order")
if list(ini_keys) != list(page_keys):
    diag(f"ini: {list(ini_keys)}, page: {list(page_keys)}")
wrong = []
for s, keys in ini_keys.items():
    for k, v in keys.items():
        got = page_keys.get(s, {}).get(k)
        if got != v:
            wrong.append(f"[{s}] {k} = {v!r} (page: {got!r})")
    wrong += [f"[{s}] {k}: in the page, not in the file" for k in page_keys.get(s, {}) if k not in keys]
check(not wrong, f"bvapm-drainer.8: every key of bvapm-drainer.ini "
      f"({sum(len(k) for k in ini_keys.values())}) with its default, under its section")
for w in wrong:
    diag(w)

config_c = open(os.path.join(src, "drainer/config.c")).read()
store_h = open(os.path.join(src, "store/store.h")).read()
macros = dict(re.findall(r'#define\s+(BVAPM_STORE_CONFIG_\w+)\s+"(\w+)"', store_h))
table = [(macros.get(a, a.strip('"')), macros.get(b, b.strip('"'))) for a, b in re.findall(
    r'\{\s*("\w+"|BVAPM_STORE_CONFIG_\w+)\s*,\s*("\w+"|BVAPM_STORE_CONFIG_\w+)\s*,\s*K_', config_c)]
gone = [f"[{s}] {k}" for s, k in table if k not in page_keys.get(s, {})]
check(table and not gone, f"bvapm-drainer.8: every key of drainer/config.c ({len(table)}) is in the page")
if gone:
    diag(f"not in the page: {' '.join(gone)}")

metrics_c = open(os.path.join(src, "drainer/metrics.c")).read()
metrics = sorted(set(re.findall(r'"(bvapm_[a-z_]+)"', metrics_c))
                 | set(re.findall(r"# TYPE (bvapm_[a-z_]+)", metrics_c)))
gone = [n for n in metrics if not re.search(r"^\.B\s+" + n + r"\s*$", roff, re.M)]
check(metrics and not gone, f"bvapm-drainer.8: every metric of drainer/metrics.c ({len(metrics)}) is listed")
if gone:
    diag(f"not listed: {' '.join(gone)}")

finish()
PY
