"""Clients that misbehave: the practice server answers them per the RFCs and keeps serving others."""

import signal
import socket
import time

from practice_fixtures import Wire, deliver, maildir_messages, practice_server  # noqa: F401 (a fixture)


def test_bare_line_feed_command_gets_500(practice_server):
    server = practice_server()
    wire = Wire(server.port)
    wire.reply()
    wire.send(b"EHLO lf.test\n")
    code, lines = wire.reply()
    assert code == 500 and "bare LF" in lines[0]
    assert wire.command("EHLO crlf.test")[0] == 250


def test_bare_line_feed_dot_does_not_end_the_message(practice_server, tmp_path):
    server = practice_server("--maildir", str(tmp_path / "Maildir"))
    wire = Wire(server.port)
    wire.reply()
    wire.command("EHLO smuggler.test")
    wire.command("MAIL FROM:<a@client.test>")
    wire.command("RCPT TO:<student@practice.test>")
    assert wire.command("DATA")[0] == 354
    wire.send(b"Subject: one\r\n\r\nbody\n.\nMAIL FROM:<evil@client.test>\r\n.\r\n")
    assert wire.reply()[0] == 250
    assert len(maildir_messages(tmp_path / "Maildir")) == 1
    assert "MAIL FROM:<evil@client.test>" in maildir_messages(tmp_path / "Maildir")[0].read_text()


def test_overlong_lines(practice_server):
    server = practice_server()
    wire = Wire(server.port)
    wire.reply()
    code, lines = wire.command("NOOP " + "x" * 100_000)
    assert code == 500 and "512" in lines[0]
    assert wire.command("EHLO after.test")[0] == 250
    wire.command("MAIL FROM:<a@client.test>")
    wire.command("RCPT TO:<student@practice.test>")
    wire.command("DATA")
    code, lines = wire.command("y" * 5000 + "\r\n.")
    assert code == 500 and "1000" in lines[0]


def test_garbage_gets_500s_then_421(practice_server):
    server = practice_server()
    wire = Wire(server.port)
    wire.reply()
    wire.send(b"\x00\xff\x1b[31m binary \x07\r\n" * 3 + b"HELLO THERE\r\n" * 30)
    codes = []
    while True:
        try:
            codes.append(wire.reply()[0])
        except ConnectionError:
            break
    assert codes[:20] == [500] * 20
    assert codes[-1] == 421
    assert wire.is_closed()
    assert deliver(server.port) == 250


def test_pipelining_abuse(practice_server, tmp_path):
    """Everything in one write, including commands after DATA before the 354 and a flood of NOOPs."""
    server = practice_server("--maildir", str(tmp_path / "Maildir"))
    wire = Wire(server.port)
    wire.reply()
    batch = (b"EHLO flood.test\r\n" + b"NOOP\r\n" * 2000 + b"MAIL FROM:<a@client.test>\r\n"
             b"RCPT TO:<student@practice.test>\r\nDATA\r\nSubject: piped\r\n\r\nbody\r\n.\r\nQUIT\r\n")
    wire.send(batch)
    codes = []
    while True:
        try:
            codes.append(wire.reply()[0])
        except ConnectionError:
            break
    assert codes == [250] * 2001 + [250, 250, 354, 250, 221]
    assert len(maildir_messages(tmp_path / "Maildir")) == 1


def test_client_that_does_not_read_its_replies_does_not_stop_the_server(practice_server):
    server = practice_server()
    wire = Wire(server.port)
    wire.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    wire.sock.settimeout(2)
    sent = 0
    try:
        for _ in range(200):
            wire.sock.sendall(b"HELP LAB\r\n" * 100)
            sent += 1
    except (socket.timeout, BlockingIOError, ConnectionError):
        pass
    assert deliver(server.port) == 250
    wire.close()


def test_silent_client_times_out_with_421(practice_server):
    server = practice_server("--timeout", "1")
    wire = Wire(server.port)
    wire.reply()
    started = time.monotonic()
    code, lines = wire.reply()
    assert code == 421 and lines[0].startswith("421 4.4.2")
    assert 0.5 < time.monotonic() - started < 5
    assert wire.is_closed()
    server.wait_for_line(lambda line: "idle timeout" in line)


def test_disconnect_mid_data_stores_nothing_and_others_go_on(practice_server, tmp_path):
    server = practice_server("--maildir", str(tmp_path / "Maildir"))
    wire = Wire(server.port)
    wire.reply()
    wire.command("EHLO leaver.test")
    wire.command("MAIL FROM:<a@client.test>")
    wire.command("RCPT TO:<student@practice.test>")
    wire.command("DATA")
    wire.send(b"Subject: half\r\n\r\nthe first half of a message\r\n")
    wire.close()
    server.wait_for_line(lambda line: "nothing stored" in line)
    assert maildir_messages(tmp_path / "Maildir") == []
    assert not list((tmp_path / "Maildir" / "tmp").iterdir())
    assert deliver(server.port, subject="after") == 250
    assert len(maildir_messages(tmp_path / "Maildir")) == 1


def test_starttls_discards_pipelined_plaintext(practice_server):
    server = practice_server()
    wire = Wire(server.port)
    wire.reply()
    wire.command("EHLO c.test")
    wire.send(b"STARTTLS\r\nMAIL FROM:<injected@client.test>\r\n")
    assert wire.reply()[0] == 220
    server.wait_for_line(lambda line: "discarded 34 octets" in line)
    wire.close()


def test_sigterm_sends_421_to_open_sessions(practice_server):
    server = practice_server()
    wire = Wire(server.port)
    wire.reply()
    wire.command("EHLO c.test")
    wire.command("MAIL FROM:<a@client.test>")
    server.process.send_signal(signal.SIGTERM)
    code, lines = wire.reply()
    assert code == 421 and lines[0].startswith("421 4.3.2")
    assert server.process.wait(timeout=10) == 0
    assert "stopped" in server.output


def test_shutdown_after(practice_server):
    server = practice_server("--shutdown-after", "2")
    wire = Wire(server.port)
    wire.reply()
    assert wire.command("EHLO c.test")[0] == 250
    assert wire.command("NOOP")[0] == 250
    assert wire.command("NOOP")[0] == 421
    assert wire.is_closed()


def test_ipv6_listen(practice_server):
    try:
        socket.socket(socket.AF_INET6).bind(("::1", 0))
    except OSError:
        import pytest
        pytest.skip("no IPv6 loopback here")
    server = practice_server(listen="[::1]:0")
    assert server.address.startswith("[::1]:")
    wire = Wire(server.port, host="::1")
    assert wire.reply()[0] == 220
    wire.close()
