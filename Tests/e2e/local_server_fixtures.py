"""Fixtures for two scripted-but-real servers run as subprocesses, like mta.py:

lmtp_server (lmtp.py, aiosmtpd's LMTP class with one reply per recipient after the dot):

    def test_lmtp(lmtp_server):
        server = lmtp_server()                   # TCP on 127.0.0.1; lmtp_server(unix=True): a socket
        target = server.address                  # "127.0.0.1:PORT" or the socket's path
        ...                                      # RCPT ok@, full@, gone@, slow@ ... (see lmtp.py)
        assert [r["reply"][:3] for r in server.replies()] == ["250", "452", "550"]
        server.messages("ok")                    # bytes of each message delivered to ok@...

    server.port (None for a socket), server.path (None for TCP), server.folder,
    server.transactions() (one dict per DATA: from, to, size), server.replies() (one dict per
    reply after DATA: rcpt, reply, time), server.messages(local_part). The slow delay is
    lmtp_server(slow_delay=1.5).

command_log_server (command_log_mta.py: logs every command line, refuses DATA by default):

    def test_refused(command_log_server):
        server = command_log_server()            # DATA -> 554 5.5.1 Error: no valid recipients
        server = command_log_server(data_reply="450 4.3.2 Try later")
        ...                                      # run the client against server.port
        server.wait_for_command("QUIT")          # bounded; the log is written before each reply
        assert server.commands() == ["EHLO x", "MAIL FROM:<a@b>", "RCPT TO:<c@d>", "DATA", "QUIT"]

    server.reads() is the list of byte strings each recv() returned (see command_log_mta.py);
    command_log_server(accept_data=True) takes messages (server.messages()), and
    pipelining=False leaves PIPELINING out of its EHLO reply.

Everything listens on 127.0.0.1 (or a socket in a fresh temporary directory), every wait is
bounded, and every server is stopped (SIGTERM, then SIGKILL) when the test ends.
"""

import ast
import json
import mailbox
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
LMTP_SCRIPT = HERE / "lmtp.py"
COMMAND_LOG_SCRIPT = HERE / "command_log_mta.py"
START_TIMEOUT = 15


def start_script(args, log_path, env=None, timeout=START_TIMEOUT):
    """Starts a server script; returns (process, first stdout line) once it says it listens."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, *map(str, args)], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=log, env=env)
    deadline = time.monotonic() + timeout
    line = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            line = process.stdout.readline()
            break
        if process.poll() is not None:
            break
    if not line.startswith((b"PORT ", b"UNIX ")):
        stop(process)
        raise RuntimeError(f"{args[0]} did not start: {line!r} "
                           f"{Path(log_path).read_text(errors='replace')}")
    return process, line.decode().split(None, 1)[1].strip()


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    if process.stdout:
        process.stdout.close()


def _jsonl(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class LmtpServer:
    def __init__(self, unix=False, slow_delay=1.5):
        # A short path of its own: a UNIX socket path must fit in 108 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="ehlo-lmtp-"))
        self.folder = self.root / "maildir"
        args = [LMTP_SCRIPT, self.folder]
        if unix:
            args += ["--unix", self.root / "lmtp.sock"]
        env = dict(os.environ, LMTP_SLOW_DELAY=str(slow_delay))
        self.process, where = start_script(args, self.root / "lmtp.log", env=env)
        self.port = None if unix else int(where)
        self.path = where if unix else None
        self.address = where if unix else f"127.0.0.1:{self.port}"

    def transactions(self):
        return _jsonl(self.folder / "transactions.jsonl")

    def replies(self):
        return _jsonl(self.folder / "replies.jsonl")

    def messages(self, local_part):
        box = self.folder / local_part.lower()
        if not (box / "new").is_dir():
            return []
        return [message.as_bytes() for _key, message in sorted(mailbox.Maildir(box, create=False).items())]

    def stop(self):
        stop(self.process)
        shutil.rmtree(self.root, ignore_errors=True)


class CommandLogServer:
    def __init__(self, folder, data_reply=None, accept_data=False, pipelining=True):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        args = [COMMAND_LOG_SCRIPT, self.folder]
        if data_reply is not None:
            args += ["--data-reply", data_reply]
        if accept_data:
            args.append("--accept-data")
        if not pipelining:
            args.append("--no-pipelining")
        self.process, port = start_script(args, self.folder.parent / (self.folder.name + ".log"))
        self.port = int(port)

    def commands(self):
        """Every command line received so far, in order (str, without CRLF)."""
        path = self.folder / "commands.log"
        data = path.read_bytes() if path.exists() else b""
        return [line.decode("utf-8", "replace") for line in data.split(b"\n")[:-1]]

    def reads(self):
        """The bytes of each recv(), in order."""
        path = self.folder / "reads.log"
        lines = path.read_text().splitlines() if path.exists() else []
        return [ast.literal_eval(line) for line in lines]

    def wait_for_command(self, prefix, timeout=5.0):
        """Waits (bounded) until a command starting with `prefix` (case-insensitive) arrived."""
        deadline = time.monotonic() + timeout
        while True:
            if any(line.upper().startswith(prefix.upper()) for line in self.commands()):
                return self.commands()
            if time.monotonic() > deadline:
                raise AssertionError(f"no {prefix!r} within {timeout}s; got {self.commands()}")
            time.sleep(0.05)

    def messages(self):
        return [path.read_bytes() for path in
                sorted(self.folder.glob("*.eml"), key=lambda p: int(p.stem))]

    def stop(self):
        stop(self.process)


@pytest.fixture
def lmtp_server():
    """lmtp_server(unix=False, slow_delay=1.5) -> a started LmtpServer; stopped after the test."""
    servers = []

    def start(**options):
        server = LmtpServer(**options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def command_log_server(tmp_path):
    """command_log_server(data_reply=None, accept_data=False, pipelining=True) -> a started
    CommandLogServer (its files under tmp_path); stopped after the test."""
    servers = []

    def start(**options):
        server = CommandLogServer(tmp_path / f"command-log{len(servers)}", **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
