# SPDX-License-Identifier: Apache-2.0
# What systemd's notify socket does for a Type=notify unit, for the package
# test that starts bvapm-drainer by hand: binds a Unix datagram socket at
# argv[1] and appends every message the service sends (READY=1, WATCHDOG=1,
# STATUS=..., STOPPING=1), one line per assignment, to the file argv[2].
import os
import socket
import sys

path, log = sys.argv[1], sys.argv[2]
if os.path.exists(path):
    os.unlink(path)
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(path)
os.chmod(path, 0o777)  # the service runs as its own user
with open(log, "a", buffering=1) as out:
    while True:
        msg = sock.recv(4096).decode("utf-8", "replace")
        for line in msg.splitlines():
            out.write(line + "\n")
