#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# ring_cache_lines.sh — cache lines one 512 B ring write touches, counted by
# cachegrind (bench/ring_cache_lines.c says how): misses per write inside the
# write path, split into the ring's shared lines (tail and claim word: the
# ck_pr atomics; the data lines: memcpy's stores; the slot counter) and the
# producer's private ones (handle, stack; the source record: memcpy's loads).
#   bench/ring_cache_lines.sh BUILD_DIR [N]
set -eu
build=$1; n=${2:-2000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
valgrind --tool=cachegrind --cache-sim=yes --D1=32768,8,64 --LL=262144,8,64 \
  --cachegrind-out-file="$out/cg" "$build/bench/bvapm-bench-ring-lines" "$n" > /dev/null 2> "$out/err" ||
  { cat "$out/err" >&2; exit 1; }
cg_annotate --threshold=0 --auto=no "$out/cg" 2>/dev/null | awk -v n="$n" '
  function num(s) { gsub(/,/, "", s); return s + 0 }
  /file:function/ { on = 1; next }
  !on || NF < 9 { next }
  {
    fn = $NF; sub(/.*:/, "", fn); file = $NF
    # columns: Ir I1mr ILmr Dr D1mr DLmr Dw D1mw DLmw (each may carry a "(x%)")
    split("", v); k = 0
    for (i = 1; i < NF; i++) if ($i !~ /^\(/ && $i !~ /%\)$/) v[++k] = num($i)
    rd = v[5]; wr = v[8]
    if (fn ~ /^__mem(cpy|move|set)/) { shared += wr; private += rd; next }
    if (fn !~ /^(bvapm_ring_write|bvapm_ring_reserve|bvapm_ring_commit|finish|bvapm_ring_slot_count_write|drop|usable)$/) next
    if (file ~ /ck_pr\.h/ || fn == "bvapm_ring_slot_count_write") shared += rd + wr
    else private += rd + wr
  }
  END { printf "ring-lines: %.1f shared lines and %.1f private lines missed per 512 B write (%d writes, caches emptied before each)\n", shared / n, private / n, n }'
