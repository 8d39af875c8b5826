# SPDX-License-Identifier: Apache-2.0
# mariadb.sh — sourced by testing/wordpress.sh (and whoever needs a MySQL
# server for PHP pages): a private MariaDB server with nothing shared with
# the machine's own. An empty data directory under DIR, a Unix socket
# (DIR/sock), no TCP, no grant tables (any user may connect), no binary log,
# a small buffer pool and redo log (8 MiB, not the 96 MiB file written up
# front by default); it reads no option file. Started in the background by
# the caller's shell and stopped by its pid, so nothing outlives the caller.
#
#   mariadb_start DIR   start it and wait (bounded, 30 s) until the socket
#                       accepts a connection; sets MARIADB_PID and
#                       MARIADB_SOCKET; returns 1 with the server's log on
#                       stderr if it exits first or does not answer in time
#   mariadb_stop        SIGTERM, up to 10 s to shut down, then SIGKILL
# Needs: mariadbd (Debian package mariadb-server, installed by
# scripts/install-deps).
MARIADB_PID="" MARIADB_SOCKET=""

mariadb_start() {
  local dir=$1 bin
  bin=$(command -v mariadbd || ls /usr/sbin/mariadbd 2>/dev/null) || { echo "mariadbd not installed" >&2; return 1; }
  mkdir -p "$dir/data"
  MARIADB_SOCKET=$dir/sock
  "$bin" --no-defaults --datadir="$dir/data" --socket="$MARIADB_SOCKET" --skip-networking \
    --skip-grant-tables --pid-file="$dir/pid" --log-error="$dir/error.log" --skip-log-bin \
    --innodb-buffer-pool-size=16M --innodb-log-file-size=8M --user="$(id -un)" > /dev/null 2>&1 &
  MARIADB_PID=$!
  # the socket file appears before the server accepts connections: connect
  for _ in $(seq 600); do
    _mariadb_alive || break
    [ -S "$MARIADB_SOCKET" ] && python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' \
      "$MARIADB_SOCKET" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "mariadbd did not start; its log:" >&2
  tail -n 20 "$dir/error.log" >&2 2>/dev/null
  mariadb_stop
  return 1
}

# kill -0 succeeds on a zombie: read the process state instead
_mariadb_alive() {
  local s
  s=$(sed 's/.*) \(.\).*/\1/' "/proc/$MARIADB_PID/stat" 2>/dev/null) || return 1
  [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}

mariadb_stop() {
  [ -n "$MARIADB_PID" ] || return 0
  kill "$MARIADB_PID" 2>/dev/null
  for _ in $(seq 200); do _mariadb_alive || break; sleep 0.05; done
  kill -9 "$MARIADB_PID" 2>/dev/null
  wait "$MARIADB_PID" 2>/dev/null
  MARIADB_PID=""
}
