"""The load script at a small size: concurrent sessions, every message accepted and stored once."""

import subprocess
import sys

from practice_fixtures import LOAD_SCRIPT, ehlo_binary


def test_load_small():
    completed = subprocess.run(
        [sys.executable, str(LOAD_SCRIPT), "--sessions", "20", "--messages", "500", "--deadline", "120",
         "--ehlo", ehlo_binary()],
        capture_output=True, timeout=180)
    out = completed.stdout.decode()
    assert completed.returncode == 0, out + completed.stderr.decode()
    assert "accepted 500, errors 0" in out
    assert "maildir: 500 stored, 0 missing, 0 duplicated, 0 left in tmp/" in out
