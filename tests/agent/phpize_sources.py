# SPDX-License-Identifier: Apache-2.0
# The phpize build (agent/config.m4) compiles exactly what meson links into
# bvapm.so: the agent's core and PHP files, the ring library and the record
# codec's build/verify/read. Fails naming every file one list has and the
# other lacks.   phpize_sources.py SOURCE_ROOT
import re
import sys
from pathlib import Path

root = Path(sys.argv[1])


def meson_files(path, start=None, end=None):
    text = (root / path).read_text()
    if start is not None:
        text = text[text.index(start):]
        text = text[:text.index(end)]
    return {str(Path(path).parent / name) for name in re.findall(r"'([\w/]+\.c)'", text)}


meson = (meson_files("agent/core/meson.build")
         | meson_files("agent/php/meson.build")
         | meson_files("ring/meson.build", "ring_sources", ")")
         | meson_files("record/meson.build", "record_core_lib", "pic"))

m4 = (root / "agent/config.m4").read_text()
phpize = set()
for var, base in (("bvapm_agent", "agent"), ("bvapm_ring", "ring"), ("bvapm_record", "record")):
    block = re.search(var + r'="([^"]*)"', m4)
    if block is None:
        print(f"not ok 1 - agent/config.m4 has no {var}=\"...\" list")
        print("1..1")
        sys.exit(1)
    phpize |= {f"{base}/{name}" for name in block.group(1).split()}

missing, extra = sorted(meson - phpize), sorted(phpize - meson)
ok = not missing and not extra and len(meson) > 30
print(("ok" if ok else "not ok") + f" 1 - config.m4 compiles meson's {len(meson)} bvapm.so sources")
for name in missing:
    print(f"# in meson, not in agent/config.m4: {name}")
for name in extra:
    print(f"# in agent/config.m4, not in meson: {name}")
print("1..1")
sys.exit(0 if ok else 1)
