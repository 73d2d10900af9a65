"""The session model against servers ehlo did not write: Postfix (smtpd, smtp-sink), aiosmtpd in
LMTP mode, aiosmtpd logging every recv(), and swaks as a client of the practice server.

Each server's own log is the witness: Postfix's `smtpd -v` lines show every command it read (a
message line read as a command would show up there), the logging server shows what each recv()
returned (so a group written in one write is seen whole).
"""

import subprocess

from postfix_fixtures import maildir_user
from practice_fixtures import practice_server  # noqa: F401 (a fixture)


def script(*lines):
    return "\n".join(lines) + "\n"


def annotations(run, prefix="#  after "):
    return [line for line in run.lines if line.startswith(prefix)]


MESSAGE = ["Subject: ehlo and a real MTA", "", "hello", ".leading dot", "RSET", "MAIL FROM:<evil@other.test>", "."]


# --------------------------------------------------------------------------------------------
# LMTP: aiosmtpd, and Postfix's smtp-sink -L


def lmtp_session(*recipients):
    return script("LHLO client.test", "MAIL FROM:<alice@client.test>",
                  *(f"RCPT TO:<{recipient}>" for recipient in recipients), "DATA", *MESSAGE, "NOOP", "QUIT")


def test_lmtp_against_aiosmtpd_names_each_recipients_reply(lmtp_server, run_ehlo):
    server = lmtp_server(slow_delay=1.5)
    run = run_ehlo("--lmtp", "--no-history", "--color", "never", server.address,
                   input=lmtp_session("ok@lmtp.test", "nobody@lmtp.test", "slow@lmtp.test", "full@lmtp.test",
                                      "gone@lmtp.test"))
    assert run.returncode == 0, run
    decided = [(reply["rcpt"], reply["reply"][:3]) for reply in server.replies()]
    assert decided == [("ok@lmtp.test", "250"), ("slow@lmtp.test", "250"), ("full@lmtp.test", "452"),
                       ("gone@lmtp.test", "550")], decided
    shown = annotations(run, "#  after end of data: for <")
    assert [line.split(">", 1)[0][len("#  after end of data: for <"):] for line in shown] == [
        "ok@lmtp.test", "slow@lmtp.test", "full@lmtp.test", "gone@lmtp.test"], run
    assert "(3 of 4): not delivered to this recipient, for now" in shown[2]
    assert "(4 of 4): the message is refused for this recipient" in shown[3]
    # The slow reply came late; NOOP still got its own reply, not a recipient's.
    assert any(line.startswith("#  after NOOP: the server is alive") for line in run.lines), run
    assert not any("unsolicited" in line or "not a reply the RFC lists" in line for line in run.lines), run
    assert server.messages("ok") and b"..leading dot" not in server.messages("ok")[0]


def test_lmtp_against_aiosmtpd_on_a_unix_socket(lmtp_server, run_ehlo):
    server = lmtp_server(unix=True)
    run = run_ehlo("--lmtp", "--no-history", "--color", "never", str(server.path),
                   input=lmtp_session("ok@lmtp.test", "full@lmtp.test"))
    assert run.returncode == 0, run
    assert [reply["reply"][:3] for reply in server.replies()] == ["250", "452"]
    assert len(annotations(run, "#  after end of data: for <")) == 2, run


def test_lmtp_against_smtp_sink(smtp_sink, run_ehlo):
    sink = smtp_sink(lmtp=True)
    run = run_ehlo("--lmtp", "--no-history", "--color", "never", f"127.0.0.1:{sink.port}",
                   input=lmtp_session("a@example.test", "b@example.test", "c@example.test"))
    assert run.returncode == 0, run
    assert run.lines.count("S: 250 2.2.0 Ok") == 3, run
    assert len(annotations(run, "#  after end of data: for <")) == 3, run
    assert any(line.startswith("#  after NOOP") for line in run.lines), run


def test_swaks_speaks_lmtp_to_the_practice_server(practice_server, tmp_path):
    server = practice_server("--lmtp", "--maildir", str(tmp_path / "md"))
    completed = subprocess.run(
        ["swaks", "--protocol", "LMTP", "--server", f"127.0.0.1:{server.port}", "--from", "a@client.test",
         "--to", "student@practice.test,busy@practice.test,reject@practice.test", "--timeout", "10"],
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    lines = completed.stdout.splitlines()
    after_dot = lines[next(index for index, line in enumerate(lines) if line.endswith(" ."))+1:]
    replies = [line[4:7] for line in after_dot if line.startswith("<") and line[4:7].isdigit()]
    # busy@ was refused at RCPT; student@ and reject@ each get their reply (RFC 2033 §4.2), then QUIT's.
    assert replies[:2] == ["250", "554"], completed.stdout
    assert replies[2] == "221", completed.stdout


# --------------------------------------------------------------------------------------------
# Pipelining


PIPELINED = ["EHLO client.test", "MAIL FROM:<sender@other.test>", "RCPT TO:<alice@example.test>",
             "RCPT TO:<zed@example.test>", "RCPT TO:<bob@example.test>", "DATA", *MESSAGE, "QUIT"]


def test_pipelined_session_against_postfix(postfix, run_script):
    run = run_script(postfix.port, script(*PIPELINED), "--pipeline")
    assert run.returncode == 0, run
    context = annotations(run)
    assert any(line.startswith("#  after RCPT TO:<zed@example.test>: this recipient is refused") for line in context)
    assert any(line.startswith("#  after RCPT TO:<bob@example.test>: this recipient is accepted") for line in context)
    delivered = postfix.delivered(2)
    assert sorted(maildir_user(path) for path in delivered) == ["alice", "bob"]
    log = postfix.wait_for_disconnect()
    assert postfix.pipelining_violations() == [], log
    # The message's lines were content, never commands: only the envelope shows in the log.
    assert postfix.commands() == ["EHLO client.test", "MAIL FROM:<sender@other.test>", "RCPT TO:<alice@example.test>",
                                  "RCPT TO:<zed@example.test>", "RCPT TO:<bob@example.test>", "DATA", "QUIT"]


def test_groups_end_where_rfc_2920_says_so_postfix_would_hang_up_otherwise(postfix_instance, run_script):
    """smtpd_forbid_unauth_pipelining: Postfix replies 554 and hangs up when input waits after
    EHLO, DATA, NOOP or VRFY. ehlo ends its groups there, so the session goes through."""
    strict = postfix_instance.view("forbid_pipelining")
    run = run_script(strict.port, script(*PIPELINED[:6], *MESSAGE, "NOOP", "VRFY alice", "QUIT"), "--pipeline")
    assert run.returncode == 0, run
    assert not any("synchronization" in line for line in run.lines), run
    assert any("did not advertise PIPELINING" in line for line in run.lines), run
    strict.wait_for_disconnect()
    assert not any("synchronization" in line for line in strict.replies())
    assert len(strict.delivered(2)) == 2


def test_a_group_arrives_in_one_write(command_log_server, run_script):
    server = command_log_server(accept_data=True)
    run = run_script(server.port, script("EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<b@x.test>",
                                         "RCPT TO:<c@x.test>", "DATA", "Subject: one write", "", "hi", ".",
                                         "RSET", "QUIT"), "--pipeline")
    assert run.returncode == 0, run
    server.wait_for_command("QUIT")
    reads = server.reads()
    assert b"MAIL FROM:<a@client.test>\r\nRCPT TO:<b@x.test>\r\nRCPT TO:<c@x.test>\r\nDATA\r\n" in reads, reads
    assert any(read.endswith(b".\r\nRSET\r\nQUIT\r\n") for read in reads), reads


# --------------------------------------------------------------------------------------------
# A refused DATA in a script


def test_postfix_refusing_data_never_sees_the_message_as_commands(postfix_refuse_data, run_script):
    run = run_script(postfix_refuse_data.port, script(*PIPELINED[:3], "DATA", *MESSAGE, "NOOP", "QUIT"))
    assert run.returncode == 0, run
    assert "S: 554 5.7.1 <DATA>: Data command rejected: Access denied" in run.lines, run
    assert any(line.startswith("!  skipped 6 message lines and the final . of this script") for line in run.lines)
    postfix_refuse_data.wait_for_disconnect()
    assert postfix_refuse_data.commands() == ["EHLO client.test", "MAIL FROM:<sender@other.test>",
                                              "RCPT TO:<alice@example.test>", "DATA", "NOOP", "QUIT"]
    assert postfix_refuse_data.delivered(0) == []


def test_a_deferred_data_skips_the_message_too(command_log_server, run_script):
    server = command_log_server(data_reply="450 4.3.2 Try again later")
    run = run_script(server.port, script("EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<b@x.test>",
                                         "DATA", *MESSAGE, "QUIT"))
    assert run.returncode == 0, run
    server.wait_for_command("QUIT")
    assert server.commands() == ["EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<b@x.test>", "DATA",
                                 "QUIT"]


# --------------------------------------------------------------------------------------------
# CHUNKING (Postfix 3.4 and later)


def test_bdat_chunks_against_postfix(postfix, run_script):
    run = run_script(postfix.port, script(
        "EHLO client.test", "MAIL FROM:<sender@other.test>", "RCPT TO:<carol@example.test>",
        "BDAT 31", "Subject: chunked", "first chunk", "/state", "BDAT 8 LAST", "second", "QUIT"))
    assert run.returncode == 0, run
    assert "phase:       in a transaction, 1 BDAT chunk accepted" in run.lines, run
    assert any(line.startswith("S: 250 2.0.0 Ok: 31 bytes") for line in run.lines), run
    assert any(line.startswith("#  after BDAT: the last chunk and the message are accepted") for line in run.lines)
    [message] = postfix.delivered(1)
    # Postfix adds the headers a message without them lacks; the chunks' octets are all there.
    assert b"Subject: chunked\n" in message.read_bytes() and message.read_bytes().endswith(b"first chunk\nsecond\n")


def test_data_after_bdat_against_postfix_asks_for_rset(postfix, run_script):
    run = run_script(postfix.port, script(
        "EHLO client.test", "MAIL FROM:<sender@other.test>", "RCPT TO:<carol@example.test>",
        "BDAT 5", "abc", "DATA", "/expect 503", "RSET", "QUIT"))
    assert run.returncode == 0, run
    assert "C: RSET" in run.lines, run
    assert any("DATA cannot follow BDAT in one transaction (RFC 3030 §2)" in line for line in run.lines), run
    data = run.lines.index("S: 503 5.5.1 Error: DATA after BDAT")
    assert any("RSET is due" in line for line in run.lines[data:data + 4]), run


def test_bdat_to_postfix_without_chunking(postfix_no_chunking, run_script):
    """Postfix answers BDAT at once with 521 and hangs up: the chunk never goes out as commands."""
    run = run_script(postfix_no_chunking.port, script(
        "EHLO client.test", "MAIL FROM:<sender@other.test>", "RCPT TO:<carol@example.test>",
        "BDAT 14", "RSET", "NOOP now", "QUIT"))
    assert any("BDAT needs the CHUNKING extension" in line for line in run.lines), run
    assert "S: 521 5.5.1 Error: command not implemented" in run.lines, run
    assert any("answered BDAT before its 14 remaining octets" in line for line in run.lines), run
    postfix_no_chunking.wait_for_disconnect()
    assert postfix_no_chunking.commands()[-1] == "BDAT 14"


# --------------------------------------------------------------------------------------------
# Relay refusals as Postfix sends them


def test_postfix_relay_refusals_are_known_replies(postfix_instance, run_script):
    for listener, reply in (("default", "554 5.7.1"), ("relay_defer", "454 4.7.1")):
        view = postfix_instance.view(listener)
        run = run_script(view.port, script("EHLO client.test", "MAIL FROM:<a@other.test>",
                                           "RCPT TO:<x@elsewhere.test>", "QUIT"))
        assert any(line.startswith(f"S: {reply} <x@elsewhere.test>: Relay access denied") for line in run.lines), run
        assert not any("not a reply the RFC lists" in line for line in run.lines), run
        assert any("refused" in line and "policy" in line for line in annotations(run)), run
