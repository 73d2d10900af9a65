"""Fixtures for ehlo's end-to-end tests: the built binary, a real MTA, a scripted hostile server.

Everything listens on 127.0.0.1 only, and everything is bounded in time: every subprocess call
has a timeout and every socket operation in the scripted server has one, so a broken build fails
a test instead of hanging the suite.
"""

import os
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path

import pytest

from local_server_fixtures import start_script, stop

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
MTA_SCRIPT = HERE / "mta.py"

# Generous for a debug build, small enough that a hang is noticed.
RUN_TIMEOUT = 30


# --------------------------------------------------------------------------------------------
# The binary


@pytest.fixture(scope="session")
def ehlo_bin():
    path = Path(os.environ.get("EHLO_BIN", REPO / ".build" / "debug" / "ehlo"))
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"ehlo binary not found at {path}; build it (swift build) or set EHLO_BIN")
    return str(path)


class Run:
    """The outcome of one ehlo run: exit status, raw output bytes and decoded text."""

    def __init__(self, completed, elapsed):
        self.returncode = completed.returncode
        self.stdout_bytes = completed.stdout
        self.stderr_bytes = completed.stderr
        self.stdout = completed.stdout.decode("utf-8", "replace")
        self.stderr = completed.stderr.decode("utf-8", "replace")
        self.elapsed = elapsed

    @property
    def lines(self):
        return self.stdout.splitlines()

    @property
    def output(self):
        """stdout and stderr together, for messages that may go to either."""
        return self.stdout + self.stderr

    def lines_starting(self, prefix):
        return [line for line in self.lines if line.startswith(prefix)]

    def __repr__(self):
        return (f"<Run rc={self.returncode} {self.elapsed:.1f}s>\n--- stdout ---\n{self.stdout}"
                f"--- stderr ---\n{self.stderr}")


@pytest.fixture
def run_ehlo(ehlo_bin, tmp_path):
    """run_ehlo(*args, input="...", timeout=30, pass_fds=()) -> Run. Script mode: stdin is a pipe;
    pass_fds are descriptors the child inherits (a pipe named /dev/fd/N, as a shell's <(...)).

    HOME points at a temporary directory and --no-history is added for the console, so no test
    touches the real user's files; XDG_CONFIG_HOME is tmp_path/config, so no real config file's
    profiles are read (a test writes tmp_path/config/ehlo/config.toml for its own).
    """

    def run(*args, input="", timeout=RUN_TIMEOUT, env=None, pass_fds=()):
        environment = dict(os.environ)
        environment.update({"HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state"),
                            "XDG_CONFIG_HOME": str(tmp_path / "config"), "NO_COLOR": "1", "TERM": "dumb"})
        if env:
            environment.update(env)
        data = input.encode() if isinstance(input, str) else input
        start = time.monotonic()
        completed = subprocess.run([ehlo_bin, *args], input=data, capture_output=True,
                                   timeout=timeout, env=environment, cwd=str(tmp_path), pass_fds=pass_fds)
        return Run(completed, time.monotonic() - start)

    return run


@pytest.fixture
def run_script(run_ehlo):
    """run_script(port, text, *options) -> Run: the console in script mode against 127.0.0.1:port."""

    def run(port, text, *options, timeout=RUN_TIMEOUT):
        return run_ehlo("--color", "never", "--no-history", *options, f"127.0.0.1:{port}",
                        input=text, timeout=timeout)

    return run


# --------------------------------------------------------------------------------------------
# The real MTA (aiosmtpd)


def start_mta(folder, timeout=15):
    """Starts mta.py on a free loopback port; returns (process, port)."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    # stderr goes to a file: a pipe nobody reads could fill up and stall the server.
    process, port = start_script([MTA_SCRIPT, folder], folder.parent / (folder.name + ".log"), timeout=timeout)
    return process, int(port)


stop_process = stop


@pytest.fixture
def mta(tmp_path):
    """A real SMTP server: yields (port, maildir). Messages arrive as maildir/N.eml + N.json."""
    maildir = tmp_path / "maildir"
    process, port = start_mta(maildir)
    try:
        yield port, maildir
    finally:
        stop_process(process)


def wait_for_file(path, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Path(path).exists():
            return True
        time.sleep(0.05)
    return False


# --------------------------------------------------------------------------------------------
# A scripted (hostile) server


class ScriptedServer:
    """A one-connection TCP server on 127.0.0.1 that plays a list of steps in a thread.

    Steps:
      ("send", b"...")          write raw bytes; ("send", b"...", b"...") writes both in one write
                                (the second part: bytes the client must never show, e.g. plaintext
                                injected after STARTTLS's 220)
      ("expect", b"PREFIX")     read one line (up to LF) and check that it starts with PREFIX
                                (case-insensitive); every line read is kept in `received`
      ("read",)                 read one line, whatever it is
      ("sleep", seconds)        wait
      ("close",)                close the connection
      ("drain", seconds)        keep reading lines for up to that long (or until EOF)
      ("drip", b"...", seconds) write the bytes one at a time, waiting that long after each
      ("until", b"LINE")        read lines up to and including one equal to LINE (a message's final dot)
      ("answer", b"REPLY", n)   answer each of the next n lines read with REPLY (an endless 334
                                loop, bounded so the test ends); stops early at EOF
      ("rst",)                  close with SO_LINGER 0: the client gets a TCP RST, not a FIN
      ("inject", b"...")        as send, for bytes the client must never show as a reply
                                (plaintext after STARTTLS's 220, garbage instead of TLS)
      ("repeat", b"...", n)     write the bytes n times over (a flood of a hundred megabytes)

    A failed expectation, a timeout or EOF stops the play; `errors` says what happened, so the
    test can assert on it (`server.assert_ok()`). `chunks` keeps what each recv() returned, so a
    test can see which lines arrived in one write.
    """

    def __init__(self, steps, io_timeout=10.0):
        self.steps = list(steps)
        self.io_timeout = io_timeout
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(1)
        self.listener.settimeout(io_timeout)
        self.port = self.listener.getsockname()[1]
        self.received = []
        self.chunks = []
        self.errors = []
        self.finished = threading.Event()
        self.stopping = threading.Event()
        self.connection = None
        self._buffer = b""
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _readline(self):
        while b"\n" not in self._buffer:
            chunk = self.connection.recv(65536)
            if not chunk:
                raise EOFError("client closed the connection")
            self.chunks.append(chunk)
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        line = line.rstrip(b"\r")
        self.received.append(line)
        return line

    def _run(self):
        try:
            self.connection, _ = self.listener.accept()
            self.connection.settimeout(self.io_timeout)
            for step in self.steps:
                if not self._play(step):
                    break
        except Exception as error:  # noqa: BLE001 - reported to the test
            self.errors.append(f"{type(error).__name__}: {error}")
        finally:
            self.finished.set()

    def _play(self, step):
        """Plays one step; returns False when the play must stop there."""
        kind = step[0]
        if kind == "send":
            self.connection.sendall(b"".join(step[1:]))
        elif kind == "expect":
            line = self._readline()
            if not line.upper().startswith(step[1].upper()):
                self.errors.append(f"expected {step[1]!r}, got {line!r}")
                return False
        elif kind == "read":
            self._readline()
        elif kind == "sleep":
            if self.stopping.wait(step[1]):
                return False
        elif kind == "drain":
            deadline = time.monotonic() + step[1]
            self.connection.settimeout(0.2)
            while time.monotonic() < deadline:
                try:
                    self._readline()
                except socket.timeout:
                    continue
                except (EOFError, OSError):
                    break
            self.connection.settimeout(self.io_timeout)
        elif kind == "close":
            self.connection.close()
            self.connection = None
            return False
        elif kind == "inject":
            self.connection.sendall(step[1])
        elif kind == "repeat":
            # ("repeat", chunk, count): the chunk count times, a megabyte or so a write, so that a
            # flood of any size is never held whole, here or in the table that describes it.
            chunk, left = step[1], step[2]
            batch = max(1, (1 << 20) // len(chunk))
            while left > 0:
                self.connection.sendall(chunk * min(batch, left))
                left -= batch
        elif kind == "drip":
            for index in range(len(step[1])):
                self.connection.sendall(step[1][index:index + 1])
                if self.stopping.wait(step[2]):
                    return False
        elif kind == "until":
            while self._readline() != step[1]:
                pass
        elif kind == "answer":
            for _ in range(step[2]):
                try:
                    self._readline()
                except EOFError:
                    break
                self.connection.sendall(step[1])
        elif kind == "rst":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.connection = None
            return False
        else:
            raise ValueError(f"unknown step {step!r}")
        return True

    def wait(self, timeout=10.0):
        return self.finished.wait(timeout)

    def assert_ok(self):
        assert not self.errors, f"scripted server: {self.errors}; received {self.received}"

    def stop(self):
        self.stopping.set()
        for sock in (self.connection, self.listener):
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass
        self.thread.join(timeout=5)


def scripted_servers(server_class):
    """A fixture body: yields make(steps, io_timeout) -> a started `server_class`; stops them all after."""
    servers = []

    def make(steps, io_timeout=10.0):
        server = server_class(steps, io_timeout=io_timeout)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def scripted_server():
    """scripted_server([steps]) -> ScriptedServer (listening already); all are stopped at the end."""
    yield from scripted_servers(ScriptedServer)


@pytest.fixture
def closed_port():
    """A loopback port with nothing listening on it."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


# --------------------------------------------------------------------------------------------
# Real third-party servers: a private Postfix, smtp-sink, an aiosmtpd LMTP server and a
# command-logging server that refuses DATA (each module's docstring says how to use them).

from local_server_fixtures import command_log_server, lmtp_server  # noqa: E402,F401
from postfix_fixtures import (  # noqa: E402,F401
    postfix, postfix_instance, postfix_no_chunking, postfix_no_pipelining, postfix_refuse_data,
    smtp_sink)
