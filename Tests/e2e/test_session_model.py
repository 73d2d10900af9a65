"""The session model end to end: one command, several replies (LMTP, PRDR); several commands, one
write (pipelining); chunks (CHUNKING); and a refused DATA in a script, whose message must never
reach the server as commands.

The servers are ehlo's practice server (ehlo serve, with -v so its log shows every command it
read) and scripted servers that send exactly what real servers send. The real MTAs written by
others (Postfix, aiosmtpd) are in test_real_mtas.py.
"""

import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from practice_fixtures import maildir_messages, practice_server  # noqa: F401 (a fixture)
from test_practice_unix_socket import UnixSocketServer

EXIT_USAGE = 64


def script(*lines):
    return "\n".join(lines) + "\n"


def commands_read(server):
    """The command lines the practice server logged (-v) as read, in order, up to its QUIT.

    The client may see 221 and exit before the server's log line for QUIT is read, so wait for it.
    """
    server.wait_for_line(lambda line: line.endswith(" C: QUIT"))
    return [line.split(" C: ", 1)[1] for line in server.lines if " C: " in line]


def annotations(run):
    return [line for line in run.lines if line.startswith("#  after ")]


@pytest.fixture
def socket_folder():
    # A UNIX socket path must be short (108 octets), so not under pytest's tmp_path.
    folder = Path(tempfile.mkdtemp(prefix="ehlo-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


LMTP_SESSION = [
    "LHLO client.test", "MAIL FROM:<alice@client.test>", "RCPT TO:<student@practice.test>",
    "RCPT TO:<busy@practice.test>", "RCPT TO:<reject@practice.test>", "RCPT TO:<teacher@practice.test>",
    "DATA", "Subject: LMTP", "", "hello", ".", "NOOP", "QUIT",
]


def assert_lmtp_replies(run):
    """One reply per accepted recipient, in RCPT order, each named; NOOP gets its own reply."""
    assert run.returncode == 0, run
    context = annotations(run)
    per_recipient = [line for line in context if line.startswith("#  after end of data: for <")]
    assert [line.split(">", 1)[0] for line in per_recipient] == [
        "#  after end of data: for <student@practice.test",
        "#  after end of data: for <reject@practice.test",
        "#  after end of data: for <teacher@practice.test",
    ], run
    assert "(1 of 3): the message is delivered to this recipient" in per_recipient[0]
    assert "(2 of 3): the message is refused for this recipient" in per_recipient[1]
    noop = [line for line in context if line.startswith("#  after NOOP")]
    assert noop == [noop[0]] and "the server is alive" in noop[0], run
    assert not any("unsolicited" in line for line in run.lines), run


def test_lmtp_over_tcp_gives_each_recipient_its_reply(practice_server, run_ehlo, tmp_path):
    server = practice_server("--lmtp", "--maildir", str(tmp_path / "md"))
    transcript = tmp_path / "lmtp.jsonl"
    run = run_ehlo("--lmtp", "--no-history", "--color", "never", "--transcript", str(transcript),
                   f"127.0.0.1:{server.port}", input=script(*LMTP_SESSION))
    assert_lmtp_replies(run)
    assert len(maildir_messages(tmp_path / "md")) == 1
    replies = [json.loads(line) for line in transcript.read_text().splitlines()]
    after_dot = [(reply["answers"], reply["recipient"], reply["code"]) for reply in replies if "recipient" in reply]
    assert after_dot == [("end of data", "student@practice.test", 250), ("end of data", "reject@practice.test", 554),
                         ("end of data", "teacher@practice.test", 250)], after_dot


def test_lmtp_over_a_unix_socket(socket_folder, run_ehlo, tmp_path):
    path = socket_folder / "lmtp"
    server = UnixSocketServer(path, "--lmtp", "--maildir", str(tmp_path / "md"))
    try:
        run = run_ehlo("--lmtp", "--no-history", "--color", "never", str(path), input=script(*LMTP_SESSION))
        assert_lmtp_replies(run)
        assert f"*  connected to lmtp ({path})" in run.lines, run
        run = run_ehlo("--no-history", "--color", "never", f"unix:{path}", input=script("/state", "QUIT"))
        assert f"server:      {path}" in run.lines, run
    finally:
        server.stop()


def test_strict_lmtp_sends_lhlo(practice_server, run_ehlo):
    server = practice_server("--lmtp")
    run = run_ehlo("--lmtp", "--strict", "--no-history", "--color", "never", f"127.0.0.1:{server.port}",
                   input=script("LHLO client.test", "QUIT"))
    assert run.returncode == 0, run
    assert "C: LHLO client.test" in run.lines and "not sent (--strict)" not in run.output, run
    assert "S: 250-practice.test greets client.test [127.0.0.1]" in run.lines, run


def test_a_late_second_lmtp_reply_does_not_shift_the_next(scripted_server, run_script):
    """RFC 2033 §4.2: the second recipient's reply comes 1.5 s late; NOOP's is still NOOP's."""
    server = scripted_server([
        ("send", b"220 lmtp.test LMTP ready\r\n"),
        ("expect", b"LHLO"), ("send", b"250-lmtp.test\r\n250 PIPELINING\r\n"),
        ("expect", b"MAIL"), ("send", b"250 2.1.0 ok\r\n"),
        ("expect", b"RCPT"), ("send", b"250 2.1.5 ok\r\n"),
        ("expect", b"RCPT"), ("send", b"250 2.1.5 ok\r\n"),
        ("expect", b"DATA"), ("send", b"354 go\r\n"),
        ("expect", b"hi"), ("expect", b"."),
        ("send", b"250 2.0.0 <bob@lmtp.test> delivered\r\n"),
        ("sleep", 1.5),
        ("send", b"452 4.2.2 <carol@lmtp.test> mailbox full\r\n"),
        ("expect", b"NOOP"), ("send", b"250 2.0.0 ok\r\n"),
        ("expect", b"QUIT"), ("send", b"221 2.0.0 bye\r\n"), ("close",),
    ])
    run = run_script(server.port, script("LHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<bob@lmtp.test>",
                                         "RCPT TO:<carol@lmtp.test>", "DATA", "hi", ".", "NOOP", "QUIT"), "--lmtp")
    server.assert_ok()
    assert run.returncode == 0, run
    late = run.lines.index("S: 452 4.2.2 <carol@lmtp.test> mailbox full")
    assert any(line.startswith("#  after end of data: for <carol@lmtp.test> (2 of 2): not delivered")
               for line in run.lines[late:late + 5]), run
    noop = run.lines.index("S: 250 2.0.0 ok")
    assert run.lines.index("C: NOOP") > late
    assert any(line.startswith("#  after NOOP: the server is alive") for line in run.lines[noop:noop + 5]), run


def test_prdr_against_the_practice_server(practice_server, run_script, tmp_path):
    server = practice_server("--maildir", str(tmp_path / "md"))
    run = run_script(server.port, script(
        "EHLO client.test", "MAIL FROM:<alice@client.test> PRDR", "RCPT TO:<student@practice.test>",
        "RCPT TO:<reject@practice.test>", "DATA", "Subject: PRDR", "", "hi", ".", "/expect 250", "QUIT"))
    assert run.returncode == 0, run
    assert "S: 353 PRDR content analysis beginning" in run.lines, run
    context = annotations(run)
    assert any("for <student@practice.test> (1 of 2): this recipient would accept the message" in line
               for line in context), run
    assert any("for <reject@practice.test> (2 of 2): this recipient refuses the message" in line for line in context)
    assert any(line.startswith("#  after end of data: the message is accepted for the recipients") for line in context)
    assert len(maildir_messages(tmp_path / "md")) == 1


# --------------------------------------------------------------------------------------------
# Pipelining


GREETING_AND_EHLO = [
    ("send", b"220 pipe.test ESMTP\r\n"),
    ("expect", b"EHLO"), ("send", b"250-pipe.test\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n"),
]


def test_pipeline_sends_a_group_in_one_write_and_pairs_the_replies(scripted_server, run_script):
    server = scripted_server(GREETING_AND_EHLO + [
        ("expect", b"MAIL"), ("expect", b"RCPT"), ("expect", b"RCPT"), ("expect", b"DATA"),
        ("send", b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 <carol@pipe.test>: no such user\r\n354 go ahead\r\n"),
        ("expect", b"Subject"), ("expect", b""), ("expect", b"body"), ("expect", b"."), ("expect", b"QUIT"),
        ("send", b"250 2.0.0 queued\r\n221 2.0.0 bye\r\n"), ("close",),
    ])
    run = run_script(server.port, script("EHLO client.test", "MAIL FROM:<alice@client.test>",
                                         "RCPT TO:<bob@pipe.test>", "RCPT TO:<carol@pipe.test>", "DATA",
                                         "Subject: x", "", "body", ".", "QUIT"), "--pipeline")
    server.assert_ok()
    assert run.returncode == 0, run
    group = b"MAIL FROM:<alice@client.test>\r\nRCPT TO:<bob@pipe.test>\r\nRCPT TO:<carol@pipe.test>\r\nDATA\r\n"
    assert group in server.chunks, server.chunks
    # RFC 2920 §3.1: the message may open the next group: the dot and QUIT go together.
    assert any(chunk.endswith(b".\r\nQUIT\r\n") for chunk in server.chunks), server.chunks
    assert not any("out of sequence" in line for line in run.lines), run
    context = annotations(run)
    assert any(line.startswith("#  after RCPT TO:<carol@pipe.test>: this recipient is refused") for line in context)
    assert any(line.startswith("#  after RCPT TO:<bob@pipe.test>: this recipient is accepted") for line in context)


def test_expect_inside_a_pipelined_group_is_an_error(scripted_server, run_script):
    server = scripted_server(GREETING_AND_EHLO + [("drain", 3)])
    run = run_script(server.port, script("EHLO client.test", "MAIL FROM:<a@client.test>", "/expect 250",
                                         "RCPT TO:<b@pipe.test>"), "--pipeline")
    assert run.returncode == EXIT_USAGE, run
    assert any("/expect inside a pipelined group" in line and "RFC 2920 §3.1" in line for line in run.lines), run


def test_pipelining_a_server_that_did_not_offer_it_is_warned(scripted_server, run_script):
    server = scripted_server([
        ("send", b"220 old.test ESMTP\r\n"),
        ("expect", b"EHLO"), ("send", b"250 old.test\r\n"),
        ("expect", b"MAIL"), ("expect", b"RCPT"), ("expect", b"NOOP"),
        ("send", b"250 ok\r\n250 ok\r\n250 ok\r\n"), ("expect", b"QUIT"), ("send", b"221 bye\r\n"), ("close",),
    ])
    run = run_script(server.port, script("EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<b@old.test>",
                                         "NOOP", "QUIT"), "--pipeline")
    server.assert_ok()
    assert run.returncode == 0, run
    assert sum("did not advertise PIPELINING" in line for line in run.lines) == 1, run


# --------------------------------------------------------------------------------------------
# A refused DATA in a script


def test_a_refused_data_never_sends_the_message_as_commands(practice_server, run_script):
    """All RCPTs refused, DATA gets 554 (RFC 2920 §3.1); the message lines include commands."""
    server = practice_server("-v")
    run = run_script(server.port, script(
        "EHLO client.test", "MAIL FROM:<alice@client.test>", "RCPT TO:<nobody@practice.test>", "DATA",
        "Subject: x", "RSET", "MAIL FROM:<evil@client.test>", ".", "NOOP", "QUIT"))
    assert run.returncode == 0, run
    assert any(line.startswith("!  skipped 3 message lines and the final . of this script: DATA was answered 554")
               for line in run.lines), run
    read = commands_read(server)
    assert read == ["EHLO client.test", "MAIL FROM:<alice@client.test>", "RCPT TO:<nobody@practice.test>",
                    "DATA", "NOOP", "QUIT"], read
    assert "C: RSET" not in run.lines and "C: Subject: x" not in run.lines


def test_a_script_that_expects_data_to_be_refused_goes_on(practice_server, run_script):
    """Teaching "DATA too early": /expect right after DATA says no message follows."""
    server = practice_server("-v")
    run = run_script(server.port, script(
        "EHLO client.test", "MAIL FROM:<alice@client.test>", "DATA", "/expect 503", "RCPT TO:<student@practice.test>",
        "DATA", "Subject: x", "", "hi", ".", "/expect 250", "QUIT"))
    assert run.returncode == 0, run
    assert commands_read(server) == ["EHLO client.test", "MAIL FROM:<alice@client.test>", "DATA",
                                     "RCPT TO:<student@practice.test>", "DATA", "QUIT"], server.output


def test_a_refused_data_with_pipelining_skips_the_message_too(practice_server, run_script):
    server = practice_server("-v")
    run = run_script(server.port, script(
        "EHLO client.test", "MAIL FROM:<alice@client.test>", "RCPT TO:<nobody@practice.test>", "DATA",
        "QUIT", ".", "NOOP", "QUIT"), "--pipeline")
    assert run.returncode == 0, run
    assert commands_read(server) == ["EHLO client.test", "MAIL FROM:<alice@client.test>",
                                     "RCPT TO:<nobody@practice.test>", "DATA", "NOOP", "QUIT"], server.output


# --------------------------------------------------------------------------------------------
# CHUNKING


def test_bdat_chunks_against_the_practice_server(practice_server, run_script, tmp_path):
    server = practice_server("--maildir", str(tmp_path / "md"))
    run = run_script(server.port, script(
        "EHLO client.test", "MAIL FROM:<alice@client.test>", "RCPT TO:<student@practice.test>",
        "BDAT 12", "Subject: x", "/state", "BDAT 7 LAST", "hello", "QUIT"))
    assert run.returncode == 0, run
    assert "phase:       in a transaction, 1 BDAT chunk accepted" in run.lines, run
    assert any("next: BDAT <octets> [LAST] | RSET | QUIT" in line for line in run.lines), run
    assert any(line.startswith("#  after BDAT: the last chunk and the message are accepted") for line in run.lines)
    stored = maildir_messages(tmp_path / "md")
    assert len(stored) == 1 and stored[0].read_bytes().endswith(b"Subject: x\nhello\n")


def test_bdat_to_a_server_without_chunking_never_sends_the_chunk_as_commands(scripted_server, run_script):
    """A server that does not know BDAT answers 500 at once; the chunk's lines must not follow."""
    server = scripted_server([
        ("send", b"220 old.test ESMTP\r\n"),
        ("expect", b"EHLO"), ("send", b"250-old.test\r\n250 8BITMIME\r\n"),
        ("expect", b"MAIL"), ("send", b"250 ok\r\n"),
        ("expect", b"RCPT"), ("send", b"250 ok\r\n"),
        ("expect", b"BDAT"), ("send", b'500 Error: command "BDAT" not recognized\r\n'),
        ("expect", b"RSET"), ("send", b"250 ok\r\n"),
        ("expect", b"QUIT"), ("send", b"221 bye\r\n"), ("close",),
    ])
    run = run_script(server.port, script("EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<b@old.test>",
                                         "BDAT 30", "MAIL FROM:<evil@x>", "QUIT now", "RSET", "QUIT"))
    server.assert_ok()
    assert run.returncode == 0, run
    assert [line for line in server.received if line.startswith((b"MAIL", b"QUIT"))] == [
        b"MAIL FROM:<a@client.test>", b"QUIT"], server.received
    assert any("answered BDAT before its 30 remaining octets" in line for line in run.lines), run
    assert any(line.startswith("!  skipped 2 lines of the BDAT chunk") for line in run.lines), run


def test_a_refused_chunk_asks_for_rset(scripted_server, run_script):
    server = scripted_server(GREETING_AND_EHLO[:1] + [
        ("expect", b"EHLO"), ("send", b"250-mx.test\r\n250 CHUNKING\r\n"),
        ("expect", b"MAIL"), ("send", b"250 ok\r\n"), ("expect", b"RCPT"), ("send", b"250 ok\r\n"),
        ("expect", b"BDAT"), ("expect", b"abc"), ("send", b"552 5.3.4 Message too big\r\n"),
        ("expect", b"DATA"), ("send", b"503 5.5.1 Error: DATA after BDAT\r\n"),
        ("expect", b"QUIT"), ("send", b"221 bye\r\n"), ("close",),
    ])
    run = run_script(server.port, script("EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<b@mx.test>",
                                         "BDAT 5", "abc", "DATA", ".", "QUIT"))
    server.assert_ok()
    refused = run.lines.index("S: 552 5.3.4 Message too big")
    assert any("the transaction has failed, RSET is due (RFC 3030 §2); next: RSET | QUIT" in line
               for line in run.lines[refused:refused + 5]), run
    assert any("RFC 3030 §2 wants RSET before anything else" in line for line in run.lines), run


# --------------------------------------------------------------------------------------------
# Replies whose meaning depends on where they come


def test_530_to_auth_means_starttls_first(scripted_server, run_script):
    server = scripted_server([
        ("send", b"220 mx.test ESMTP\r\n"),
        ("expect", b"EHLO"), ("send", b"250-mx.test\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n"),
        ("expect", b"AUTH"), ("send", b"530 5.7.0 Must issue a STARTTLS command first\r\n"),
        ("expect", b"MAIL"), ("send", b"530-5.7.0 Authentication Required. Learn more at\r\n"
                                      b"530 5.7.0  https://support.google.com/mail/?p=WantAuthError x - gsmtp\r\n"),
        ("expect", b"QUIT"), ("send", b"221 bye\r\n"), ("close",),
    ])
    run = run_script(server.port, script("EHLO client.test", "AUTH PLAIN AGEAYg==", "MAIL FROM:<a@client.test>",
                                         "QUIT"))
    server.assert_ok()
    context = annotations(run)
    assert any(line.startswith("#  after AUTH: the server wants TLS first") for line in context), run
    assert any(line.startswith("#  after MAIL: the server wants authentication first (RFC 4954 §6)")
               for line in context), run


def test_auth_before_tls_on_a_server_that_offers_it_only_after_tls(practice_server, run_script):
    """The practice server lists AUTH only after STARTTLS (RFC 4954 §4): say so, not "no mechanism"."""
    server = practice_server()
    run = run_script(server.port, script("EHLO client.test", "/auth plain student", "QUIT"))
    assert any("no AUTH offered before TLS" in line for line in run.lines), run
    assert any("offers AUTH only after TLS, so /starttls first" in line for line in run.lines), run
    assert not any("no AUTH mechanism" in line for line in run.lines), run


def test_lmtp_bdat_last_without_recipients_gets_no_reply(practice_server, run_ehlo):
    """RFC 2033 §4.3: zero replies; ehlo does not wait for one, and NOOP gets its own."""
    server = practice_server("--lmtp")
    run = run_ehlo("--lmtp", "--no-history", "--color", "never", "--timeout", "20", f"127.0.0.1:{server.port}",
                   input=script("LHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<nobody@practice.test>",
                                "BDAT 4 LAST", "hi", "NOOP", "QUIT"))
    assert run.returncode == 0, run
    assert run.elapsed < 10, run
    assert any("BDAT LAST gets no reply at all in LMTP (RFC 2033 §4.3)" in line for line in run.lines), run
    assert any(line.startswith("#  after NOOP: the server is alive") for line in run.lines), run


# --------------------------------------------------------------------------------------------
# Timing and the ends of scripts


def test_a_command_after_221_before_the_close_is_not_sent(scripted_server, run_script):
    """The server says 221 and closes only 2 s later: the next line meets a closed session, not a crash."""
    server = scripted_server([
        ("send", b"220 slow.test ESMTP\r\n"),
        ("expect", b"QUIT"), ("send", b"221 2.0.0 bye\r\n"), ("sleep", 2.0), ("close",),
    ])
    run = run_script(server.port, script("QUIT", "NOOP", "MAIL FROM:<a@client.test>"))
    assert run.returncode == 0, run
    assert run.lines.count("!  not sent: the server ended the session; /connect to start again") == 2, run
    assert server.received == [b"QUIT"]


def test_a_command_after_221_and_the_close_is_not_sent_and_the_script_has_not_failed(scripted_server, ehlo_bin):
    """The same script, the close right after the 221: the script ended as it asked, whichever comes first."""
    server = scripted_server([
        ("send", b"220 quick.test ESMTP\r\n"), ("expect", b"QUIT"), ("send", b"221 2.0.0 bye\r\n"), ("close",),
    ])
    process = subprocess.Popen([ehlo_bin, "--color", "never", "--no-history", f"127.0.0.1:{server.port}"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdin.write(b"QUIT\n")
    process.stdin.flush()
    time.sleep(1.0)  # the close is in before the next line
    out, _ = process.communicate(b"NOOP\n", timeout=20)
    lines = out.decode().splitlines()
    assert process.returncode == 0, out
    assert lines.index("*  connection closed") < lines.index("!  not connected; /connect HOST[:PORT] first"), out
    assert server.received == [b"QUIT"]


def test_expect_right_after_354_checks_it_and_stays_out_of_the_message(practice_server, run_script, tmp_path):
    server = practice_server("--maildir", str(tmp_path / "md"))
    run = run_script(server.port, script(
        "EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<student@practice.test>", "DATA", "/expect 354",
        "Subject: checked", "", "hi", ".", "/expect 250", "QUIT"))
    assert run.returncode == 0, run
    assert "*  expect 354: ok (354)" in run.lines, run
    [message] = maildir_messages(tmp_path / "md")
    assert b"/expect" not in message.read_bytes()
    assert message.read_bytes().endswith(b"Subject: checked\n\nhi\n")


def test_a_refused_message_without_its_dot_fails_the_script(practice_server, run_script):
    server = practice_server()
    run = run_script(server.port, script(
        "EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<nobody@practice.test>", "DATA", "Subject: x",
        "RSET", "QUIT"))
    assert run.returncode == 3, run
    assert any(line.startswith("!  the script ended inside a skipped message (3 lines, no lone .)")
               for line in run.lines), run
