"""Smoke tests of lmtp_server and command_log_server (local_server_fixtures.py), with a raw
socket only (not ehlo)."""

import socket
import time

import pytest

from practice_fixtures import Wire


class UnixWire(Wire):
    """Wire over a UNIX-domain socket."""

    def __init__(self, path, timeout=10):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buffer = b""


def connect(server):
    return UnixWire(server.path) if server.path else Wire(server.port)


MESSAGE = b"Subject: lmtp smoke\r\n\r\nper-recipient replies\r\n.\r\n"


@pytest.mark.parametrize("unix", [False, True], ids=["tcp", "unix"])
def test_lmtp_three_recipients_get_three_replies_in_rcpt_order(lmtp_server, unix):
    server = lmtp_server(unix=unix)
    wire = connect(server)
    code, lines = wire.reply()
    assert code == 220
    assert wire.command("EHLO client.test")[0] == 500  # LMTP has LHLO only
    code, lines = wire.command("LHLO client.test")
    assert code == 250
    assert {"PIPELINING", "ENHANCEDSTATUSCODES"} <= {line[4:] for line in lines}
    assert wire.command("MAIL FROM:<a@other.test>")[0] == 250
    for rcpt in ("ok@example.test", "full@example.test", "gone@example.test"):
        assert wire.command(f"RCPT TO:<{rcpt}>")[0] == 250
    assert wire.command("RCPT TO:<nobody@example.test>")[0] == 550  # no reply after DATA
    assert wire.command("DATA")[0] == 354
    wire.send(MESSAGE)
    replies = [wire.reply()[1] for _ in range(3)]
    assert [lines[0][:9] for lines in replies] == ["250 2.1.5", "452 4.2.2", "550 5.1.1"]
    assert "<ok@example.test>" in replies[0][0] and "<full@example.test>" in replies[1][0]
    assert "<gone@example.test>" in replies[2][0]
    # Exactly three: nothing more arrives, and the next reply is NOOP's.
    assert wire.buffer == b""
    wire.sock.settimeout(0.3)
    with pytest.raises(socket.timeout):
        wire.sock.recv(1)
    wire.sock.settimeout(10)
    assert wire.command("NOOP")[1] == ["250 OK"]
    assert wire.command("QUIT")[0] == 221
    wire.close()
    assert [reply["rcpt"] for reply in server.replies()] == [
        "ok@example.test", "full@example.test", "gone@example.test"]
    [message] = server.messages("ok")
    assert b"per-recipient replies" in message
    assert server.messages("full") == [] and server.messages("gone") == []
    assert server.transactions()[0]["to"] == ["ok@example.test", "full@example.test", "gone@example.test"]


def test_lmtp_slow_recipient_reply_comes_late_and_in_place(lmtp_server):
    server = lmtp_server(slow_delay=1.0)
    wire = connect(server)
    wire.reply()
    wire.command("LHLO client.test")
    wire.command("MAIL FROM:<a@other.test>")
    for rcpt in ("first@example.test", "slow@example.test", "third@example.test"):
        assert wire.command(f"RCPT TO:<{rcpt}>")[0] == 250
    wire.command("DATA")
    wire.send(MESSAGE)
    started = time.monotonic()
    first = wire.reply()[1][0]
    after_first = time.monotonic() - started
    second = wire.reply()[1][0]
    after_second = time.monotonic() - started
    third = wire.reply()[1][0]
    wire.close()
    assert "<first@example.test>" in first and after_first < 0.9
    assert "<slow@example.test>" in second and after_second >= 0.9
    assert "<third@example.test>" in third


def test_command_log_server_refuses_data_and_logs_every_line(command_log_server):
    server = command_log_server()
    wire = Wire(server.port)
    assert wire.reply()[0] == 220
    code, lines = wire.command("EHLO client.test")
    assert "250-PIPELINING" in lines
    assert wire.command("MAIL FROM:<a@other.test>")[1] == ["250 2.1.0 Ok"]
    assert wire.command("RCPT TO:<b@example.test>")[1] == ["250 2.1.5 Ok"]
    assert wire.command("RCPT TO:<nobody@example.test>")[0] == 550
    assert wire.command("DATA")[1] == ["554 5.5.1 Error: no valid recipients"]
    # A message line sent anyway is a command here, and is logged as one.
    assert wire.command("Subject: should not be here")[0] == 502
    assert wire.command("QUIT")[0] == 221
    wire.close()
    server.wait_for_command("QUIT")
    assert server.commands() == ["EHLO client.test", "MAIL FROM:<a@other.test>",
                                 "RCPT TO:<b@example.test>", "RCPT TO:<nobody@example.test>",
                                 "DATA", "Subject: should not be here", "QUIT"]
    # One command per write here, so one recv per command.
    assert server.reads()[:2] == [b"EHLO client.test\r\n", b"MAIL FROM:<a@other.test>\r\n"]


def test_command_log_server_configurable_reply_and_reads(command_log_server):
    server = command_log_server(data_reply="450 4.3.2 Try again later", pipelining=False)
    wire = Wire(server.port)
    wire.reply()
    code, lines = wire.command("EHLO client.test")
    assert "250-PIPELINING" not in lines
    group = b"MAIL FROM:<a@other.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n"
    wire.send(group)
    assert [wire.reply()[1][0] for _ in range(3)] == [
        "250 2.1.0 Ok", "250 2.1.5 Ok", "450 4.3.2 Try again later"]
    wire.command("QUIT")
    wire.close()
    server.wait_for_command("QUIT")
    assert group in server.reads()  # the one write arrived as one recv
    assert server.commands()[1:4] == ["MAIL FROM:<a@other.test>", "RCPT TO:<b@example.test>", "DATA"]


def test_command_log_server_can_accept_data(command_log_server):
    server = command_log_server(accept_data=True)
    wire = Wire(server.port)
    wire.reply()
    wire.command("EHLO client.test")
    wire.command("MAIL FROM:<a@other.test>")
    wire.command("RCPT TO:<b@example.test>")
    assert wire.command("DATA")[0] == 354
    wire.send(b"Subject: kept\r\n\r\n..dot line\r\n.\r\n")
    assert wire.reply()[1] == ["250 2.0.0 Ok: queued as 1"]
    wire.command("QUIT")
    wire.close()
    assert server.messages() == [b"Subject: kept\r\n\r\n.dot line\r\n"]
    assert "Subject: kept" not in server.commands()
