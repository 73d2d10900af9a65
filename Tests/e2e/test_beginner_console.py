"""The console for a beginner: the welcome line, plain-word explanations wrapped at 80 columns
(in tmux, as on a projector), lab mailboxes on Tab, "did you mean", leaving while offline, and
/mailbox, which shows a delivered message as the practice server stored it."""

import shutil

import pytest

from test_repl_tmux import Tmux, term  # noqa: F401 (a fixture)

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


@pytest.fixture
def narrow(tmp_path, ehlo_bin):
    """A tmux window 80 columns wide."""
    session = Tmux(tmp_path, ehlo_bin)
    session.columns = 80
    try:
        yield session
    finally:
        session.kill()


def rows(term):
    """The pane's rows as the terminal shows them (not joined: ehlo's own wrapping is under test)."""
    result = term.tmux("capture-pane", "-p", "-t", term.target).stdout
    return [row.rstrip() for row in result.splitlines()]


def start_practice(term, tmp_path, *options):
    term.start("--history", str(tmp_path / "history"), "--practice", *options)
    term.wait_text("Welcome to ehlo's practice server")
    term.wait_last_line("ehlo 127.0.0.1 [greeted]>")


def open_transaction(term):
    for line, prompt in [("EHLO client.test", "[ehlo]"), ("MAIL FROM:<me@example.test>", "[mail]")]:
        term.type(line)
        term.send("Enter")
        term.wait_last_line(f"ehlo 127.0.0.1 {prompt}>")


def test_practice_welcome_names_the_first_step_and_wraps_between_words(narrow, tmp_path):
    start_practice(narrow, tmp_path)
    screen = rows(narrow)
    assert all(len(row) <= 80 for row in screen), screen
    start = next(i for i, row in enumerate(screen) if row.startswith("Welcome to ehlo's practice server"))
    end = next(i for i in range(start, len(screen)) if "quit to leave." in screen[i])
    assert end > start, "the welcome line fits in 80 columns; nothing was wrapped"
    # Continuations are indented; joined again at the breaks, no word was cut in two.
    assert all(row.startswith("  ") and not row.startswith("   ") for row in screen[start + 1:end + 1])
    welcome = " ".join(row.strip() for row in screen[start:end + 1])
    assert "Type EHLO " in welcome and "to begin (Tab completes); /help for help, /help lab for" in welcome
    assert "addresses that make each reply happen, quit to leave." in welcome


def test_replies_are_explained_in_plain_words_and_wrapped_at_80_columns(narrow, tmp_path):
    transcript = tmp_path / "session.txt"
    start_practice(narrow, tmp_path, "--transcript", str(transcript))
    open_transaction(narrow)
    narrow.type("RCPT TO:<greylist@practice.test>")
    narrow.send("Enter")
    narrow.wait_text("cause: greylisting")
    narrow.wait_last_line("ehlo 127.0.0.1 [mail]>")
    screen = rows(narrow)
    assert all(len(row) <= 80 for row in screen), screen
    assert "#  250 means: Done: the server accepted the command." in screen
    assert any(row.startswith("#  2.1.0 Sender accepted:") for row in screen)
    assert not any("Undefined" in row or "Other address status" in row for row in screen)
    cause = next(i for i, row in enumerate(screen) if row.startswith("#  cause: greylisting"))
    # A wrapped annotation continues on "#    " rows, never on a row of its own.
    assert screen[cause + 1].startswith("#    ") and not screen[cause + 1].startswith("#     ")
    narrow.send("C-d")
    assert narrow.wait_exit() == 0
    # The transcript keeps every line whole: only the screen wraps.
    recorded = transcript.read_text().splitlines()
    assert any(line.startswith("#  cause: greylisting") and line.endswith("retries by itself.") for line in recorded)
    assert "S: 450 4.7.1 <greylist@practice.test>: Greylisted, try again in 5 seconds" in recorded
    assert not any(line.startswith("#    ") for line in recorded)


def test_tab_after_rcpt_offers_the_lab_mailboxes(narrow, tmp_path):
    start_practice(narrow, tmp_path)
    open_transaction(narrow)
    narrow.type("RCPT TO:<bu")
    narrow.send("Tab")
    narrow.wait_last_line("ehlo 127.0.0.1 [mail]> RCPT TO:<busy@practice.test>")
    narrow.send("Enter")
    narrow.wait_text("S: 450 4.2.0 <busy@practice.test>: Mailbox busy, try again later")


def test_a_mistyped_command_gets_did_you_mean_and_commands_lists_them(narrow, tmp_path):
    start_practice(narrow, tmp_path)
    narrow.type("/hlep")
    narrow.send("Enter")
    narrow.wait_text("did you mean /help?")
    narrow.type("/commands")
    narrow.send("Enter")
    narrow.wait_text("SMTP commands (sent to the server as typed")
    shown = narrow.tmux("capture-pane", "-p", "-J", "-S", "-500", "-t", narrow.target).stdout
    assert "/mailbox [N]" in shown and "RCPT TO:<forward-path>" in shown
    narrow.type("/help rpct")
    narrow.send("Enter")
    narrow.wait_text("did you mean /help rcpt?")
    narrow.type("EHOL client.test")
    narrow.send("Enter")
    narrow.wait_text("did you mean EHLO?")


def test_phases_have_user_facing_names_on_screen(narrow, tmp_path):
    start_practice(narrow, tmp_path)
    open_transaction(narrow)
    narrow.type("RCPT TO:<student@practice.test>")
    narrow.send("Enter")
    narrow.wait_last_line("ehlo 127.0.0.1 [mail rcpt=1]>")
    for command in ["/state", "/help rcpt", "/next"]:
        narrow.type(command)
        narrow.send("Enter")
    narrow.wait_text("Legal now (")
    shown = narrow.tmux("capture-pane", "-p", "-J", "-S", "-500", "-t", narrow.target).stdout
    assert "phase:       in a transaction with 1 accepted recipient" in shown
    assert "legal: after MAIL, before a recipient is accepted; with an accepted recipient" in shown
    for identifier in ["recipientsGiven", "mailTransaction", "helloed", "awaitingGreeting", "resetRequired"]:
        assert identifier not in shown


@pytest.mark.parametrize("word", ["quit", "exit", "EXIT"])
def test_offline_quit_and_exit_leave(term, tmp_path, word):
    term.start("--history", str(tmp_path / "history"))
    term.wait_last_line("ehlo>")
    screen = term.screen()
    assert "ehlo --practice" in screen and "/connect" in screen and "HOST[:PORT]" in screen
    term.type(word)
    term.send("Enter")
    assert term.wait_exit() == 0


def test_offline_ctrl_d_leaves(term, tmp_path):
    term.start("--history", str(tmp_path / "history"))
    term.wait_last_line("ehlo>")
    term.send("C-d")
    assert term.wait_exit() == 0


# --------------------------------------------------------------------------------------------
# /mailbox, in script mode

MESSAGE_SCRIPT = """EHLO client.test
MAIL FROM:<me@example.test>
RCPT TO:<student@practice.test>
DATA
Subject: dots

.a line that starts with a dot
..two dots
\x1b[31mred
.
/mailbox
/mailbox 1
/mailbox 2
QUIT
"""


def test_mailbox_shows_the_message_as_stored(run_ehlo):
    run = run_ehlo("--no-history", "--color", "never", "--practice", "--explain", "off", input=MESSAGE_SCRIPT)
    out = run.stdout
    # The wire carried the lines dot-stuffed (RFC 5321 §4.5.2) ...
    assert "C: ..a line that starts with a dot" in out and "C: ...two dots" in out
    # ... and the stored message has them as typed, after the trace headers the server added.
    assert "  1  from <me@example.test> to <student@practice.test>," in out and "Subject: dots" in out
    shown = out[out.index("Message 1, id "):]
    lines = shown.splitlines()
    assert lines[1] == "  Return-Path: <me@example.test>"
    assert any(line.startswith("  Received: from client.test (") for line in lines)
    assert any(line.startswith("          by practice.test (ehlo practice server) with ESMTP id ") for line in lines)
    assert "  .a line that starts with a dot" in lines and "  ..two dots" in lines
    # Escaped for the terminal: the ESC of the message never reaches it.
    assert "  \\e[31mred" in lines and "\x1b" not in out
    assert "usage: /mailbox N, N from 1 to 1" in out
    assert run.returncode == 64, run


def test_mailbox_needs_the_practice_server(run_ehlo, mta):
    port, _ = mta
    run = run_ehlo("--no-history", "--color", "never", f"127.0.0.1:{port}", input="/mailbox\nQUIT\n")
    assert "/mailbox reads the practice server that ehlo --practice starts" in run.stdout
    assert run.returncode == 64


def test_explain_takes_the_levels(run_ehlo):
    beginner = run_ehlo("explain", "--explain", "beginner", "550 5.7.1 Relay access denied")
    assert beginner.returncode == 0, beginner
    assert "  550 means: No, for good:" in beginner.stdout
    assert "cause: relaying denied" in beginner.stdout
    brief = run_ehlo("explain", "--explain", "brief", "2.1.5")
    assert brief.stdout.strip() == "2.1.5 Recipient accepted (RFC 3463 §3.2)"
    full = run_ehlo("explain", "250")
    assert "in plain words: Done: the server accepted the command." in full.stdout
