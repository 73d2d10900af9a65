"""The REPL in a real terminal (tmux) where one command does not get one reply: a /pipe group,
a command typed while a reply is late, LMTP's replies after the dot, BDAT refused at once."""

import shutil

import pytest

from practice_fixtures import practice_server  # noqa: F401 (a fixture)
from test_repl_tmux import Tmux, term  # noqa: F401 (a fixture)

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def enter(term, line, prompt):
    term.type(line)
    term.send("Enter")
    term.wait_last_line(prompt)


def start_after_ehlo(term, port, *options, explain="brief"):
    """ehlo in the terminal, connected to 127.0.0.1:port, after EHLO."""
    term.start("--no-history", "--explain", explain, *options, f"127.0.0.1:{port}")
    term.wait_last_line("ehlo 127.0.0.1 [greeted]>")
    enter(term, "EHLO client.test", "ehlo 127.0.0.1 [ehlo]>")


def test_a_pipe_group_is_sent_on_an_empty_line_and_each_reply_stands_under_its_command(term, practice_server):
    server = practice_server("-v")
    start_after_ehlo(term, server.port)
    enter(term, "/pipe", "ehlo 127.0.0.1 [ehlo pipe=0]>")
    enter(term, "MAIL FROM:<alice@client.test>", "ehlo 127.0.0.1 [ehlo pipe=1]>")
    enter(term, "RCPT TO:<student@practice.test>", "ehlo 127.0.0.1 [ehlo pipe=2]>")
    enter(term, "RCPT TO:<nobody@practice.test>", "ehlo 127.0.0.1 [ehlo pipe=3]>")
    # Nothing was sent yet: the server has read EHLO only.
    assert not any("MAIL FROM" in line for line in server.lines)
    term.send("Enter")
    screen = term.wait_last_line("ehlo 127.0.0.1 [mail rcpt=1]>")
    lines = [line.rstrip() for line in screen.splitlines()]
    nobody = lines.index("C: RCPT TO:<nobody@practice.test>")
    assert lines[nobody + 1] == "S: 550 5.1.1 <nobody@practice.test>: Mailbox unknown", lines
    # --explain brief: the cause its text gives away, then what it means for this command.
    assert lines[nobody + 2].startswith("#  cause: unknown user; "), lines
    assert lines[nobody + 3].startswith("#  after RCPT TO:<nobody@practice.test>: this recipient is refused"), lines
    assert lines.index("C: MAIL FROM:<alice@client.test>") < lines.index("C: RCPT TO:<student@practice.test>") < nobody
    assert "out of sequence" not in screen
    assert server.wait_for_line(lambda line: "C: RCPT TO:<nobody@practice.test>" in line)


def test_a_command_typed_while_a_reply_is_late_gets_no_false_warning(term, scripted_server):
    server = scripted_server([
        ("send", b"220 slow.test ESMTP\r\n"),
        ("expect", b"EHLO"), ("send", b"250-slow.test\r\n250 PIPELINING\r\n"),
        ("expect", b"MAIL"), ("sleep", 2.0), ("send", b"250 2.1.0 ok\r\n"),
        ("expect", b"RCPT"), ("send", b"250 2.1.5 ok\r\n"),
        ("drain", 5),
    ])
    start_after_ehlo(term, server.port)
    term.type("MAIL FROM:<a@client.test>")
    term.send("Enter")
    term.wait_for(lambda screen: "C: MAIL" not in screen and "[ehlo]> MAIL FROM" in screen, "MAIL typed")
    term.send("C-c")
    term.wait_text("stopped waiting for the reply to MAIL")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo awaiting=1]>")
    enter(term, "RCPT TO:<b@slow.test>", "ehlo 127.0.0.1 [mail rcpt=1]>")
    screen = term.screen()
    assert "out of sequence" not in screen, screen
    assert "#  after RCPT: this recipient is accepted" in screen, screen


def test_lmtp_replies_after_the_dot_in_the_repl(term, practice_server):
    server = practice_server("--lmtp")
    term.start("--no-history", "--lmtp", "--explain", "brief", f"127.0.0.1:{server.port}")
    term.wait_last_line("ehlo 127.0.0.1 [greeted lmtp]>")
    assert "next: LHLO <domain> | QUIT" in term.screen()
    enter(term, "LHLO client.test", "ehlo 127.0.0.1 [lhlo lmtp]>")
    enter(term, "MAIL FROM:<a@client.test>", "ehlo 127.0.0.1 [mail lmtp]>")
    enter(term, "RCPT TO:<student@practice.test>", "ehlo 127.0.0.1 [mail rcpt=1 lmtp]>")
    enter(term, "RCPT TO:<reject@practice.test>", "ehlo 127.0.0.1 [mail rcpt=2 lmtp]>")
    enter(term, "DATA", "data>")
    enter(term, "hello", "data>")
    enter(term, ".", "ehlo 127.0.0.1 [lhlo lmtp]>")
    screen = term.screen()
    assert "after end of data: for <student@practice.test> (1 of 2): the message is delivered" in screen, screen
    assert "after end of data: for <reject@practice.test> (2 of 2): the message is refused" in screen, screen


def test_bdat_refused_at_once_leaves_chunk_mode(term, scripted_server):
    server = scripted_server([
        ("send", b"220 old.test ESMTP\r\n"),
        ("expect", b"EHLO"), ("send", b"250-old.test\r\n250 8BITMIME\r\n"),
        ("expect", b"MAIL"), ("send", b"250 ok\r\n"), ("expect", b"RCPT"), ("send", b"250 ok\r\n"),
        ("expect", b"BDAT"), ("send", b'500 Error: command "BDAT" not recognized\r\n'),
        ("expect", b"RSET"), ("send", b"250 ok\r\n"), ("drain", 5),
    ])
    start_after_ehlo(term, server.port)
    enter(term, "MAIL FROM:<a@client.test>", "ehlo 127.0.0.1 [mail]>")
    enter(term, "RCPT TO:<b@old.test>", "ehlo 127.0.0.1 [mail rcpt=1]>")
    enter(term, "BDAT 40", "ehlo 127.0.0.1 [mail rcpt=1]>")
    screen = term.screen()
    assert "chunk mode ends: the 40 octets left of it are not sent" in screen, screen
    enter(term, "RSET", "ehlo 127.0.0.1 [ehlo]>")
    server.assert_ok()


def test_ctrl_d_in_a_pipe_group_sends_the_group_before_quit(term, practice_server):
    server = practice_server("-v")
    start_after_ehlo(term, server.port, explain="off")
    enter(term, "/pipe", "ehlo 127.0.0.1 [ehlo pipe=0]>")
    enter(term, "MAIL FROM:<alice@client.test>", "ehlo 127.0.0.1 [ehlo pipe=1]>")
    enter(term, "RCPT TO:<student@practice.test>", "ehlo 127.0.0.1 [ehlo pipe=2]>")
    term.send("C-d")
    assert term.wait_exit() == 0
    lines = [line.rstrip() for line in term.screen().splitlines()]
    assert "*  the pipelined group is sent first" in lines, lines
    assert lines.count("C: QUIT") == 1, lines
    assert lines.index("C: RCPT TO:<student@practice.test>") < lines.index("C: QUIT"), lines


def test_ctrl_c_gives_up_a_chunk_nothing_of_which_was_sent(term, practice_server):
    server = practice_server("-v")
    start_after_ehlo(term, server.port, explain="off")
    enter(term, "MAIL FROM:<alice@client.test>", "ehlo 127.0.0.1 [mail]>")
    enter(term, "RCPT TO:<student@practice.test>", "ehlo 127.0.0.1 [mail rcpt=1]>")
    enter(term, "BDAT 99999999999999", "bdat 0/99999999999999>")
    enter(term, "RSET", "bdat 6/99999999999999>")
    term.send("C-c")
    term.wait_text("BDAT 99999999999999 is dropped: neither it nor the 6 octets typed were sent")
    term.wait_last_line("ehlo 127.0.0.1 [mail rcpt=1]>")
    enter(term, "NOOP", "ehlo 127.0.0.1 [mail rcpt=1]>")
    assert not any("BDAT" in line for line in server.lines), server.output
