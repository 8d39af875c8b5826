#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Robustness of `bvapm-shm peek` against rings whose data area (and, in some
# cases, positions) hold garbage, as a hostile or broken process could leave
# them: random bytes over part or all of the data area, plausible control
# words at random places, and tails up to two laps ahead. For each, peek must
# exit with 0 (clean), 1 (records skipped as invalid or undecodable) or 5
# (positions corrupt) — never crash — and its JSON must parse. Registered in
# the unit suite so the ASan+UBSan build runs it with the sanitized binary
# (a sanitizer report exits 86 and fails the case). Prints TAP.
#   test_shm_peek_garbage.sh BVAPM_SHM BVAPM_FAKE_PRODUCER
set -u
shm=$1 producer=$2
. "$(dirname "$0")/../lib/common.sh"
scratch_shm shmgarbage
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=86"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:exitcode=86"

"$producer" create clean 65536 >/dev/null || bail "cannot create the ring"
for k in request fatal aborted stats; do "$producer" write clean $k 30 >/dev/null; done

seeds=24
# every damaged copy made by one python run (interpreter start-up is slow on
# a loaded machine)
python3 - "$dir" "$seeds" <<'PY'
import random, shutil, struct, sys
d, seeds = sys.argv[1], int(sys.argv[2])
for seed in range(1, seeds + 1):
  path = f"{d}/bvapm-g{seed}"
  shutil.copyfile(f"{d}/bvapm-clean", path)
  rnd = random.Random(seed)
  with open(path, "r+b") as f:
      f.seek(32); cap = struct.unpack("<Q", f.read(8))[0]
      data = struct.unpack("<Q", f.read(8))[0]
      f.seek(320); head = struct.unpack("<Q", f.read(8))[0]
      f.seek(256); tail = struct.unpack("<Q", f.read(8))[0]
      lap = tail // cap
      case = seed % 4
      if case == 0:    # the whole data area
          f.seek(data); f.write(rnd.randbytes(cap))
      elif case == 1:  # stretches inside the records
          for _ in range(rnd.randint(1, 8)):
              at = rnd.randrange(0, max(8, tail - head))
              f.seek(data + (head + at) % cap); f.write(rnd.randbytes(rnd.randint(1, 600)))
      elif case == 2:  # plausible control words: right lap, any state and length
          for _ in range(rnd.randint(1, 40)):
              at = rnd.randrange(0, cap // 8) * 8
              cw = (rnd.randrange(4) << 62) | ((rnd.randrange(1, 4096) & 0x3fffff) << 40) \
                   | ((rnd.randrange(1, 1 << 22)) << 18) | ((lap + rnd.randrange(2)) & 0x3ffff)
              f.seek(data + at); f.write(struct.pack("<Q", cw))
              if rnd.random() < 0.5:  # and a word1 with any type and length
                  f.write(struct.pack("<Q", rnd.getrandbits(64)))
      else:            # garbage plus positions up to two laps ahead
          f.seek(data); f.write(rnd.randbytes(cap))
          f.seek(256); f.write(struct.pack("<Q", head + rnd.randrange(0, 2 * cap // 8) * 8))
PY

declare -A seen
runs=0
for seed in $(seq 1 $seeds); do
  for args in "-n 1000 --json" "--kind request -n 5" "--kind fatal --json"; do
    # shellcheck disable=SC2086
    "$shm" --ring "g$seed" peek $args >"$dir/out" 2>"$dir/err"; rc=$?
    runs=$((runs + 1))
    [[ "$args" == *--json* ]] && [ $rc -ne 5 ] && cp "$dir/out" "$dir/json.$runs"
    if { [ $rc -eq 0 ] || [ $rc -eq 1 ] || [ $rc -eq 5 ]; } &&
       ! grep -q "Sanitizer\|runtime error" "$dir/err"; then
      ok "seed $seed, peek $args: exit $rc"
      seen[$rc]=1
    else
      not_ok "seed $seed, peek $args: exit $rc: $(head -c 2000 "$dir/err")"
    fi
  done
done
if bad=$("$PY" - "$dir" <<'PY'
import glob, json, sys
bad = []
for path in glob.glob(sys.argv[1] + "/json.*"):
    try:
        json.load(open(path))
    except ValueError as e:
        bad.append(f"{path}: {e}")
print("; ".join(bad))
sys.exit(1 if bad else 0)
PY
); then
  ok "every --json output parses"
else
  not_ok "JSON that does not parse: $bad"
fi
if [ -n "${seen[1]:-}" ] && [ -n "${seen[5]:-}" ]; then
  ok "garbage was both skipped (exit 1) and refused (exit 5)"
else
  not_ok "exit codes seen: ${!seen[*]}"
fi
finish
