# SPDX-License-Identifier: Apache-2.0
"""store_db.py — the SQLite store an end-to-end test's drainer wrote.

The test scripts run their checks as `python3 - "$dir"`; open_store() takes
that scratch directory from argv[1] and opens $dir/store.db with rows
readable by column name:

  d, db = open_store()
"""
import sqlite3
import sys


def open_store():
    d = sys.argv[1]
    db = sqlite3.connect(f"{d}/store.db")
    db.row_factory = sqlite3.Row
    return d, db
