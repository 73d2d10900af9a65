"""Smoke tests of the Postfix and smtp-sink fixtures (postfix_fixtures.py), with swaks and a raw
socket only (not ehlo): they prove the fixtures work and pin what Postfix 3.7 logs."""

import re
import subprocess

import pytest

from postfix_fixtures import maildir_user
from practice_fixtures import Wire

SWAKS_TIMEOUT = 30


def swaks(port, *args):
    completed = subprocess.run(["swaks", "--server", f"127.0.0.1:{port}", "--timeout", "10", *args],
                               capture_output=True, text=True, timeout=SWAKS_TIMEOUT,
                               stdin=subprocess.DEVNULL)
    return completed


def ehlo(wire, name="client.test"):
    assert wire.reply()[0] == 220
    code, lines = wire.command(f"EHLO {name}")
    assert code == 250
    return [line[4:] for line in lines[1:]]


def test_swaks_message_lands_in_the_maildir(postfix):
    result = swaks(postfix.port, "--from", "sender@other.test", "--to", "alice@example.test",
                   "--header", "Subject: smoke via swaks", "--body", "hello from swaks")
    assert result.returncode == 0, result.stdout + result.stderr
    [message] = postfix.delivered(1)
    assert maildir_user(message) == "alice"
    data = message.read_bytes()
    assert b"Subject: smoke via swaks" in data
    assert b"hello from swaks" in data
    assert b"Return-Path: <sender@other.test>" in data
    postfix.wait_for_log(r"postfix/virtual\[\d+\]: \w+: to=<alice@example\.test>.*status=sent")
    postfix.wait_for_disconnect()
    commands = postfix.commands()
    assert commands[0].startswith("EHLO ")
    assert commands[1:] == ["MAIL FROM:<sender@other.test>", "RCPT TO:<alice@example.test>",
                            "DATA", "QUIT"]
    [session] = postfix.sessions()
    assert session[0] == "connect from unknown[127.0.0.1]"
    assert "disconnect from unknown[127.0.0.1] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5" in session


def test_each_test_sees_only_its_own_log_and_mail(postfix):
    # The swaks session of the test above is not in this test's view.
    assert not [line for line in postfix.log() if "smoke via swaks" in line or "sender@other.test" in line]
    assert postfix.delivered(0) == []


def test_ehlo_keywords_of_the_listeners(postfix, postfix_no_pipelining, postfix_no_chunking):
    for view, present, absent in ((postfix, {"PIPELINING", "CHUNKING"}, set()),
                                  (postfix_no_pipelining, {"CHUNKING"}, {"PIPELINING"}),
                                  (postfix_no_chunking, {"PIPELINING"}, {"CHUNKING"})):
        wire = Wire(view.port)
        keywords = {line.split()[0] for line in ehlo(wire)}
        wire.command("QUIT")
        wire.close()
        assert present <= keywords, (view.name, keywords)
        assert not absent & keywords, (view.name, keywords)
        assert {"8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "SIZE"} <= keywords


def test_raw_bdat_last_is_accepted_and_delivered(postfix):
    wire = Wire(postfix.port)
    ehlo(wire)
    assert wire.command("MAIL FROM:<raw@other.test>")[0] == 250
    assert wire.command("RCPT TO:<bob@example.test>")[0] == 250
    body = b"Subject: bdat smoke\r\n\r\nchunked body\r\n"
    wire.send(b"BDAT %d LAST\r\n" % len(body) + body)
    code, lines = wire.reply()
    assert code == 250 and "queued as" in lines[0], lines
    assert wire.command("QUIT")[0] == 221
    wire.close()
    [message] = postfix.delivered(1)
    assert maildir_user(message) == "bob"
    assert b"chunked body" in message.read_bytes()
    postfix.wait_for_disconnect()
    assert f"BDAT {len(body)} LAST" in postfix.commands()
    # The chunk's bytes are not logged as commands.
    assert "chunked body" not in postfix.commands()


def test_unknown_user_and_relay_are_refused(postfix):
    wire = Wire(postfix.port)
    ehlo(wire)
    assert wire.command("MAIL FROM:<x@other.test>")[0] == 250
    code, lines = wire.command("RCPT TO:<zed@example.test>")
    assert code == 550 and lines[0].startswith("550 5.1.1 <zed@example.test>: Recipient address rejected")
    code, lines = wire.command("RCPT TO:<x@elsewhere.test>")
    assert lines == ["554 5.7.1 <x@elsewhere.test>: Relay access denied"]
    wire.command("QUIT")
    wire.close()
    relay_defer = postfix.listener("relay_defer")
    wire = Wire(relay_defer.port)
    ehlo(wire)
    assert wire.command("MAIL FROM:<x@other.test>")[0] == 250
    assert wire.command("RCPT TO:<x@elsewhere.test>")[1] == [
        "454 4.7.1 <x@elsewhere.test>: Relay access denied"]
    wire.command("QUIT")
    wire.close()


def _transaction(wire, mail_rcpt_data):
    """Reads the three replies of a MAIL/RCPT/DATA group already sent, then sends a message."""
    assert [wire.reply()[0] for _ in mail_rcpt_data] == [250, 250, 354]
    wire.send(b"Subject: pipelining smoke\r\n\r\nbody\r\n.\r\n")
    assert wire.reply()[0] == 250
    assert wire.command("QUIT")[0] == 221
    wire.close()


GROUP = [b"MAIL FROM:<p@other.test>\r\n", b"RCPT TO:<carol@example.test>\r\n", b"DATA\r\n"]


def test_one_by_one_gives_no_pipelining_line(postfix_no_pipelining):
    wire = Wire(postfix_no_pipelining.port)
    ehlo(wire)
    for line in GROUP[:2]:
        assert wire.command(line.decode().strip())[0] == 250
    assert wire.command("DATA")[0] == 354
    wire.send(b"Subject: one by one\r\n\r\nbody\r\n.\r\n")
    assert wire.reply()[0] == 250
    wire.command("QUIT")
    wire.close()
    postfix_no_pipelining.wait_for_disconnect()
    assert postfix_no_pipelining.pipelining_violations() == []
    postfix_no_pipelining.delivered(1)


def test_esmtp_mail_rcpt_data_in_one_write_gives_no_pipelining_line(postfix_no_pipelining):
    # Postfix 3.7 checks for early input, in an EHLO session, only before EHLO, HELO, DATA,
    # NOOP and VRFY; DATA ends this group, so nothing was waiting: no line, even though
    # PIPELINING was not advertised.
    wire = Wire(postfix_no_pipelining.port)
    assert "PIPELINING" not in ehlo(wire)
    wire.send(b"".join(GROUP))
    _transaction(wire, GROUP)
    postfix_no_pipelining.wait_for_disconnect()
    assert postfix_no_pipelining.pipelining_violations() == []
    postfix_no_pipelining.delivered(1)


@pytest.mark.parametrize("listener", ["no_pipelining", "default"])
def test_group_after_noop_in_one_write_is_logged(postfix, listener):
    view = postfix.listener(listener)
    wire = Wire(view.port)
    ehlo(wire)
    wire.send(b"NOOP\r\n" + b"".join(GROUP))
    assert wire.reply()[0] == 250
    _transaction(wire, GROUP)
    view.wait_for_disconnect()
    assert view.pipelining_violations() == [
        "improper command pipelining after NOOP from unknown[127.0.0.1]: "
        "MAIL FROM:<p@other.test>\\r\\nRCPT TO:<carol@example.test>\\r\\nDATA\\r\\n"]
    # The raw line, as a test would grep it:
    line = view.wait_for_log(r"improper command pipelining after NOOP")
    assert re.search(r"postfix(/%s)?/smtpd\[\d+\]: improper" % listener, line)


def test_ehlo_and_mail_in_one_write_is_logged(postfix_no_pipelining):
    wire = Wire(postfix_no_pipelining.port)
    assert wire.reply()[0] == 220
    wire.send(b"EHLO client.test\r\n" + b"".join(GROUP))
    assert wire.reply()[0] == 250
    _transaction(wire, GROUP)
    postfix_no_pipelining.wait_for_disconnect()
    [line] = postfix_no_pipelining.pipelining_violations()
    assert line.startswith("improper command pipelining after EHLO from unknown[127.0.0.1]: MAIL FROM:")


def test_helo_session_logs_pipelining_after_mail(postfix_no_pipelining):
    # In a HELO (plain SMTP) session every command is checked.
    wire = Wire(postfix_no_pipelining.port)
    assert wire.reply()[0] == 220
    assert wire.command("HELO client.test")[0] == 250
    wire.send(b"".join(GROUP))
    _transaction(wire, GROUP)
    postfix_no_pipelining.wait_for_disconnect()
    [line] = postfix_no_pipelining.pipelining_violations()
    assert line == ("improper command pipelining after MAIL from unknown[127.0.0.1]: "
                    "RCPT TO:<carol@example.test>\\r\\nDATA\\r\\n")


def test_forbid_pipelining_listener_refuses_early_input(postfix):
    view = postfix.listener("forbid_pipelining")
    wire = Wire(view.port)
    assert "PIPELINING" not in ehlo(wire)
    wire.send(b"NOOP\r\n" + b"".join(GROUP))
    assert wire.reply()[1] == ["554 5.5.0 Error: SMTP protocol synchronization"]
    assert wire.is_closed()
    wire.close()
    view.wait_for_disconnect()
    [line] = view.pipelining_violations()
    assert line.startswith("improper command pipelining after NOOP from unknown[127.0.0.1]: MAIL FROM:")


def test_message_sent_with_data_in_one_write_is_logged(postfix):
    wire = Wire(postfix.port)
    ehlo(wire)
    assert wire.command("MAIL FROM:<p@other.test>")[0] == 250
    assert wire.command("RCPT TO:<dave@example.test>")[0] == 250
    wire.send(b"DATA\r\nSubject: early\r\n\r\nbody\r\n.\r\n")
    assert wire.reply()[0] == 354
    assert wire.reply()[0] == 250
    wire.command("QUIT")
    wire.close()
    postfix.wait_for_disconnect()
    [line] = postfix.pipelining_violations()
    assert line.startswith("improper command pipelining after DATA from unknown[127.0.0.1]: Subject: early")


def test_refuse_data_listener_refuses_data_and_logs_each_command(postfix_refuse_data):
    view = postfix_refuse_data
    wire = Wire(view.port)
    ehlo(wire)
    assert wire.command("MAIL FROM:<r@other.test>")[0] == 250
    assert wire.command("RCPT TO:<erin@example.test>")[0] == 250
    assert wire.command("DATA")[1] == ["554 5.7.1 <DATA>: Data command rejected: Access denied"]
    assert wire.command("QUIT")[0] == 221
    wire.close()
    view.wait_for_disconnect()
    assert view.commands() == ["EHLO client.test", "MAIL FROM:<r@other.test>",
                               "RCPT TO:<erin@example.test>", "DATA", "QUIT"]
    assert "554 5.7.1 <DATA>: Data command rejected: Access denied" in view.replies()
    assert view.delivered(0) == []


def test_a_message_line_sent_as_a_command_shows_in_the_log(postfix_refuse_data):
    # What a test looks for when it checks that no message line arrived as a command.
    view = postfix_refuse_data
    wire = Wire(view.port)
    ehlo(wire)
    wire.command("MAIL FROM:<r@other.test>")
    wire.command("RCPT TO:<erin@example.test>")
    assert wire.command("DATA")[0] == 554
    assert wire.command("this is a body line")[1] == ["500 5.5.2 Error: command not recognized"]
    code, lines = wire.command("Subject: a header line")
    assert lines == ["221 2.7.0 Error: I can break rules, too. Goodbye."]
    wire.close()
    view.wait_for_disconnect()
    assert view.commands()[-2:] == ["this is a body line", "Subject: a header line"]
    assert "warning: non-SMTP command from unknown[127.0.0.1]: Subject: a header line" in view.smtpd_log()


def test_defer_data_listener(postfix):
    view = postfix.listener("defer_data")
    wire = Wire(view.port)
    ehlo(wire)
    wire.command("MAIL FROM:<r@other.test>")
    wire.command("RCPT TO:<erin@example.test>")
    assert wire.command("DATA")[1] == ["450 4.3.2 <DATA>: Data command rejected: Try again later"]
    wire.command("QUIT")
    wire.close()


# --------------------------------------------------------------------------------------------
# smtp-sink


def test_smtp_sink_takes_a_message_from_swaks(smtp_sink):
    sink = smtp_sink()
    result = swaks(sink.port, "--from", "a@other.test", "--to", "b@example.test,c@example.test",
                   "--header", "Subject: sink smoke", "--pipeline")
    assert result.returncode == 0, result.stdout + result.stderr
    [dump] = sink.messages(1)
    text = dump.read_text()
    assert "X-Mail-Args: <a@other.test>" in text
    assert "X-Rcpt-Args: <b@example.test>" in text and "X-Rcpt-Args: <c@example.test>" in text
    assert "Subject: sink smoke" in text
    assert sink.commands()[1:] == ["MAIL FROM:<a@other.test>", "RCPT TO:<b@example.test>",
                                   "RCPT TO:<c@example.test>", "DATA", ".", "QUIT"]
    assert sink.commands()[0].startswith("EHLO ")


def test_smtp_sink_without_pipelining_and_in_lmtp_mode(smtp_sink):
    plain = smtp_sink(pipelining=False)
    wire = Wire(plain.port)
    keywords = ehlo(wire)
    wire.close()
    assert "PIPELINING" not in keywords and "8BITMIME" in keywords
    lmtp = smtp_sink(lmtp=True)
    wire = Wire(lmtp.port)
    assert wire.reply()[0] == 220
    assert wire.command("LHLO client.test")[0] == 250
    wire.command("MAIL FROM:<a@other.test>")
    wire.command("RCPT TO:<b@example.test>")
    wire.command("RCPT TO:<c@example.test>")
    assert wire.command("DATA")[0] == 354
    wire.send(b"Subject: lmtp\r\n\r\nx\r\n.\r\n")
    assert [wire.reply()[0], wire.reply()[0]] == [250, 250]  # one reply per recipient
    wire.close()
    assert len(lmtp.messages(1)) == 1


def test_smtp_sink_has_no_chunking(smtp_sink):
    with pytest.raises(ValueError):
        smtp_sink(chunking=True)
    sink = smtp_sink()
    wire = Wire(sink.port)
    assert "CHUNKING" not in ehlo(wire)
    assert wire.command("BDAT 3 LAST")[1] == ["500 5.5.1 Error: unknown command"]
    wire.close()


def test_proxy_listener_takes_the_client_from_a_v1_header(postfix):
    view = postfix.listener("proxy")
    wire = Wire(view.port)
    wire.send(f"PROXY TCP4 192.0.2.7 127.0.0.1 4242 {view.port}\r\n")
    assert ehlo(wire)
    wire.command("QUIT")
    wire.close()
    view.wait_for_disconnect()
    [session] = view.sessions()
    assert session[0] == "connect from unknown[192.0.2.7]", session
