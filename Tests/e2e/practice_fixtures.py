"""Helpers for the practice server's end-to-end tests: start `ehlo serve`, talk SMTP to it.

Every server listens on 127.0.0.1 port 0 (the port is read from its first line), every socket
operation has a timeout, and every server is stopped with SIGTERM (then SIGKILL) when the test
ends, so a broken build fails a test instead of hanging the suite.
"""

import os
import queue
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
LOAD_SCRIPT = REPO / "scripts" / "practice_load.py"
START_TIMEOUT = 20


def ehlo_binary():
    path = Path(os.environ.get("EHLO_BIN", REPO / ".build" / "debug" / "ehlo"))
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"ehlo binary not found at {path}; build it (swift build) or set EHLO_BIN")
    return str(path)


class PracticeServer:
    """`ehlo serve` as a subprocess; its stdout lines are collected as they come."""

    def __init__(self, *args, listen="127.0.0.1:0", unix_socket=None, preexec_fn=None):
        where = ["--unix-socket", str(unix_socket)] if unix_socket else ["--listen", listen]
        self.args = [ehlo_binary(), "serve", *where, *args]
        self.lines = []
        self._queue = queue.Queue()
        self.process = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, preexec_fn=preexec_fn)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        first = self.wait_for_line(lambda line: line.startswith("listening on "), timeout=START_TIMEOUT)
        self.address = first.split("listening on ", 1)[1].strip()
        if unix_socket:
            self.path = Path(unix_socket)
            return
        host, _, port = self.address.rpartition(":")
        self.host = host.strip("[]")
        self.port = int(port)

    def _read(self):
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            self._queue.put(line)
        self._queue.put(None)

    def wait_for_line(self, predicate, timeout=10):
        """The first line (seen before or arriving within `timeout`) for which `predicate` holds."""
        for line in list(self.lines):
            if predicate(line):
                return line
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching server line within {timeout}s; output:\n" + self.output)
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError("the server exited; output:\n" + self.output)
            if predicate(line):
                return line

    @property
    def output(self):
        return "\n".join(self.lines)

    def stop(self, timeout=10):
        """SIGTERM, as Ctrl-C would; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._reader.join(timeout=5)
        return self.process.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


@pytest.fixture
def practice_server():
    """practice_server(*args) -> PracticeServer; stopped when the test ends."""
    servers = []

    def start(*args, **kwargs):
        server = PracticeServer(*args, **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


class Wire:
    """A raw SMTP client: send exact bytes, read whole replies."""

    def __init__(self, port, host="127.0.0.1", timeout=10, source=None):
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.buffer = b""

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def _line(self):
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the server; buffered: %r" % self.buffer)
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self):
        """(code, [lines]) of the next reply."""
        lines = [self._line()]
        while len(lines[-1]) > 3 and lines[-1][3] == "-":
            lines.append(self._line())
        return int(lines[0][:3]), lines

    def command(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def is_closed(self, timeout=5):
        """True when the server closed the connection (after what was already buffered)."""
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(65536) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def deliver(port, to="student@practice.test", subject="ok", source=None):
    """A well-behaved client (from `source`, an address to send from); returns the final reply's code."""
    wire = Wire(port, source=source)
    try:
        assert wire.reply()[0] == 220
        assert wire.command("EHLO good.test")[0] == 250
        assert wire.command("MAIL FROM:<good@client.test>")[0] == 250
        assert wire.command(f"RCPT TO:<{to}>")[0] == 250
        assert wire.command("DATA")[0] == 354
        code, _ = wire.command(f"Subject: {subject}\r\n\r\nhello\r\n.")
        wire.command("QUIT")
        return code
    finally:
        wire.close()


def maildir_messages(directory):
    new = Path(directory) / "new"
    return sorted(new.iterdir()) if new.is_dir() else []
