#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Self cost (Ir) of a callgrind output file by object and by function,
# read from the file itself (callgrind_annotate leaves the object off some
# functions it prints): "OBJECT<TAB>FUNCTION<TAB>IR" per line, largest first.
#   callgrind_objects.py CALLGRIND_OUT
import collections
import re
import sys

names = {"ob": {}, "fn": {}}
cost = collections.Counter()
ob = fn = "?"
skip = False  # the line after calls= is a call's inclusive cost
name_re = re.compile(r"^\((\d+)\)(?: (.*))?$")


def name(kind, v):
    m = name_re.match(v)
    if m is None:
        return v
    if m.group(2) is not None:
        names[kind][m.group(1)] = m.group(2)
    return names[kind].get(m.group(1), v)


with open(sys.argv[1]) as f:
    for line in f:
        line = line.rstrip("\n")
        if line.startswith("ob="):
            ob = name("ob", line[3:])
        elif line.startswith("fn="):
            fn = name("fn", line[3:])
        elif line.startswith(("cob=",)):
            name("ob", line[4:])
        elif line.startswith("cfn="):
            name("fn", line[4:])
        elif line.startswith("calls="):
            skip = True
        elif line and (line[0].isdigit() or line[0] in "+-*"):
            if skip:
                skip = False
                continue
            parts = line.split()
            if len(parts) >= 2:
                cost[(ob, fn)] += int(parts[1])
for (o, f), c in cost.most_common():
    print(f"{o}\t{f}\t{c}")
