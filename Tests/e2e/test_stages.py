"""Stopping after a stage (--quit-after, as swaks users do), and leaving politely: every way a
session ends says QUIT to a server that can still take it (RFC 5321 §4.1.1.10)."""

import pytest

from practice_fixtures import practice_server  # noqa: F401 (a fixture)
from test_repl_tmux import term  # noqa: F401 (a fixture)

EXIT_AUTH = 5
EXIT_USAGE = 64


def sent(run):
    return [line[3:] for line in run.lines if line.startswith("C: ")]


@pytest.mark.parametrize("stage, commands", [
    ("greeting", ["QUIT"]),
    ("ehlo", ["EHLO practice-client.test", "QUIT"]),
    ("tls", ["EHLO practice-client.test", "STARTTLS", "EHLO practice-client.test", "QUIT"]),
])
def test_quit_after_a_stage_the_console_reaches_by_itself(run_ehlo, stage, commands):
    run = run_ehlo("--practice", "--no-history", "--color", "never", "--explain", "off", "--helo",
                   "practice-client.test", "--quit-after", stage)
    assert run.returncode == 0, run
    assert sent(run) == commands, run
    assert "S: 221 2.0.0 practice.test closing connection" in run.lines, run


def test_quit_after_connect_says_nothing(practice_server, run_script):
    server = practice_server("-v")
    run = run_script(server.port, "", "--quit-after", "connect")
    assert run.returncode == 0, run
    assert sent(run) == [] and not any(line.startswith("S: ") for line in run.lines), run
    assert "*  connection closed: --quit-after connect" in run.lines, run


def test_quit_after_auth_authenticates_then_quits(run_ehlo):
    run = run_ehlo("--practice", "--no-history", "--color", "never", "--explain", "off", "--starttls", "--user",
                   "student", "--quit-after", "auth", env={"EHLO_PASSWORD": "practice"})
    assert run.returncode == 0, run
    assert sent(run)[-2:] == ["AUTH PLAIN <redacted>", "QUIT"], run
    assert "*  authenticated as student with PLAIN" in run.lines, run


def test_quit_after_auth_needs_a_user(run_ehlo):
    run = run_ehlo("--practice", "--quit-after", "auth")
    assert run.returncode == EXIT_USAGE, run
    assert "--quit-after auth needs --user NAME" in run.stderr, run


def test_quit_after_rcpt_stops_the_script_there(practice_server, run_script):
    server = practice_server("-v")
    run = run_script(server.port, "EHLO client.test\nMAIL FROM:<a@client.test>\nRCPT TO:<student@practice.test>\n"
                     "RCPT TO:<teacher@practice.test>\nDATA\n", "--quit-after", "rcpt")
    assert run.returncode == 0, run
    assert sent(run) == ["EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<student@practice.test>",
                         "QUIT"], run


def test_a_failed_login_in_a_script_says_quit_before_exit_5(run_ehlo):
    run = run_ehlo("--practice", "--no-history", "--color", "never", "--explain", "off", "--starttls", "--user",
                   "student", env={"EHLO_PASSWORD": "wrong"})
    assert run.returncode == EXIT_AUTH, run
    assert sent(run)[-1] == "QUIT" and run.lines_starting("S: 535"), run
    assert "S: 221 2.0.0 practice.test closing connection" in run.lines, run


def test_a_failed_auth_command_in_a_script_says_quit_too(run_ehlo):
    run = run_ehlo("--practice", "--no-history", "--color", "never", "--explain", "off", "--starttls",
                   input="/auth plain student\nNOOP\n", env={"EHLO_PASSWORD": "wrong"})
    assert run.returncode == EXIT_AUTH, run
    assert sent(run)[-1] == "QUIT" and "NOOP" not in sent(run), run


def test_a_wrong_password_at_a_terminal_leaves_the_prompt_to_try_again(term):
    term.start("--no-history", "--explain", "off", "--practice", "--starttls", "--user", "student")
    term.wait_last_line("password for student (not echoed):")
    term.type("wrong")
    term.send("Enter")
    term.wait_text("/auth MECH student tries again")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo tls]>")
    term.type("/auth plain student")
    term.send("Enter")
    term.wait_last_line("password for student (not echoed):")
    term.type("practice")
    term.send("Enter")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo tls auth]>")
    term.send("C-d")
    assert term.wait_exit() == 0
