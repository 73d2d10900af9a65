"""`ehlo serve --unix-socket PATH`: the practice server on a UNIX-domain socket, as LMTP servers
usually listen (Dovecot's /var/run/dovecot/lmtp), spoken to with Python's AF_UNIX sockets."""

import os
import shutil
import socket
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from practice_fixtures import PracticeServer, Wire, ehlo_binary, maildir_messages


class UnixSocketServer(PracticeServer):
    """`ehlo serve --unix-socket PATH ARGS…`; the output is read as `PracticeServer` reads it."""

    def __init__(self, path, *args):
        super().__init__(*args, unix_socket=path)


class UnixWire(Wire):
    def __init__(self, path, timeout=10):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self.buffer = b""


@pytest.fixture
def short_dir():
    """A directory with a short path: a socket path holds at most 107 octets (unix(7))."""
    directory = Path(tempfile.mkdtemp(prefix="ehlo-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def unix_server():
    servers = []

    def start(path, *args):
        server = UnixSocketServer(path, *args)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def test_lmtp_over_a_unix_socket_replies_once_per_accepted_recipient(unix_server, short_dir):
    path = short_dir / "lmtp"
    maildir = short_dir / "Maildir"
    server = unix_server(path, "--lmtp", "--maildir", str(maildir))
    assert server.address == f"unix:{path}"
    assert stat.S_ISSOCK(os.stat(path).st_mode)

    wire = UnixWire(path)
    code, greeting = wire.reply()
    assert code == 220 and "LMTP" in greeting[0]
    code, lines = wire.command("LHLO unix.test")
    assert code == 250
    assert lines[0] == f"250-practice.test greets unix.test unix:{path}"
    assert "250-PRDR" not in lines  # LMTP replies per recipient anyway
    assert wire.command("MAIL FROM:<alice@client.test>")[0] == 250
    assert wire.command("RCPT TO:<student@practice.test>")[0] == 250
    assert wire.command("RCPT TO:<busy@practice.test>")[0] == 450  # refused: no reply after the message
    assert wire.command("RCPT TO:<reject@practice.test>")[0] == 250
    assert wire.command("DATA")[0] == 354
    # The body, the final dot and QUIT in one write: QUIT's 221 must come right after the two replies.
    wire.send(b"Subject: over a UNIX socket\r\n\r\nhello\r\n.\r\nQUIT\r\n")
    first, second, third = wire.reply(), wire.reply(), wire.reply()
    assert first[1][0].startswith("250 2.1.5 <student@practice.test> delivered as "), first
    assert second == (554, ["554 5.7.1 <reject@practice.test>: Message content rejected"])
    assert third[0] == 221
    assert wire.is_closed()
    wire.close()

    messages = maildir_messages(maildir)
    assert len(messages) == 1
    stored = messages[0].read_text()
    assert "Delivered-To: student@practice.test\n" in stored
    assert "reject@practice.test" not in stored
    # No TCP, so no TCP-info (RFC 5321 §4.4) after the client's name.
    assert "Received: from unix.test\n\tby practice.test (ehlo practice server) with LMTP id " in stored
    server.wait_for_line(lambda line: line.startswith(f"#1 unix:{path} connected"))

    assert server.stop() == 0
    assert not path.exists()  # the socket file goes with the server


def test_smtp_over_a_unix_socket_with_prdr(unix_server, short_dir):
    path = short_dir / "smtp"
    server = unix_server(path)
    wire = UnixWire(path)
    assert wire.reply()[0] == 220
    code, lines = wire.command("EHLO unix.test")
    assert code == 250 and "250-PRDR" in lines
    assert wire.command("MAIL FROM:<alice@client.test> PRDR")[0] == 250
    assert wire.command("RCPT TO:<teacher@practice.test>")[0] == 250
    assert wire.command("DATA")[0] == 354
    wire.send(b"Subject: x\r\n\r\nhi\r\n.\r\n")
    assert [wire.reply()[0] for _ in range(3)] == [353, 250, 250]
    wire.close()
    server.wait_for_line(lambda line: "stored: from <alice@client.test>, 1 recipient(s)" in line)


def test_a_stale_socket_file_is_replaced_but_a_regular_file_is_not(unix_server, short_dir):
    stale = short_dir / "stale"
    leftover = socket.socket(socket.AF_UNIX)
    leftover.bind(str(stale))
    leftover.close()  # the file stays, as after a crash
    server = unix_server(stale, "--lmtp")
    wire = UnixWire(stale)
    assert wire.reply()[0] == 220
    wire.close()
    server.stop()

    regular = short_dir / "regular"
    regular.write_text("not a socket")
    completed = subprocess.run([ehlo_binary(), "serve", "--unix-socket", str(regular)], capture_output=True,
                               timeout=30, stdin=subprocess.DEVNULL)
    assert completed.returncode == 2, completed
    assert f"cannot listen on unix:{regular}" in completed.stderr.decode()
    assert regular.read_text() == "not a socket"


def test_listen_and_unix_socket_do_not_go_together(short_dir):
    completed = subprocess.run(
        [ehlo_binary(), "serve", "--listen", "127.0.0.1:0", "--unix-socket", str(short_dir / "s")],
        capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    assert completed.returncode == 64
    assert "--listen and --unix-socket" in completed.stderr.decode()
