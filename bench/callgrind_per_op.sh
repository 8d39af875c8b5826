# SPDX-License-Identifier: Apache-2.0
# callgrind_per_op.sh — sourced by the per-operation instruction benchmarks
# (bench/sql_instructions.sh, cache_instructions.sh, http_instructions.sh):
# the instructions one operation costs, counted by callgrind (repeatable
# whatever else the machine does). The command runs N1 then N2 operations in
# one process (N is its last argument); the difference divided by N2-N1
# removes start-up and shutdown.
#   per_op N1 N2 OUT_DIR COMMAND [ARGS...]   prints the instructions per
#                                            operation; on failure, COMMAND's
#                                            stderr, and returns 1
# BVAPM_SHM_DIR is passed through (the ring the agent writes into).
per_op() {
  local n1=$1 n2=$2 out=$3 n c1 c2; shift 3
  for n in "$n1" "$n2"; do
    valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$@" "$n" > /dev/null 2> "$out/err" ||
      { cat "$out/err" >&2; return 1; }
    c2=$(awk '/^summary/ {print $2}' "$out/cg")
    [ "$n" = "$n1" ] && c1=$c2
  done
  echo $(( (c2 - c1) / (n2 - n1) ))
}
