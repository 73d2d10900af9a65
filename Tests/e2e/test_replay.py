"""`ehlo replay FILE [HOST:PORT]`: a recorded session sent again, its replies compared.

Sessions are recorded with `--transcript` against the aiosmtpd MTA (mta.py), `ehlo serve` or a
scripted server, then replayed against the same server and against one configured differently
(mta.py with MTA_REFUSE, `ehlo serve --greeting-fail` or another `--domain`, a scripted server
with another enhanced code). Replays run in a new session without a controlling terminal, so a
question for a secret can never wait for a keyboard.
"""

import base64
import os
import re
import subprocess
import time

import pytest

from conftest import RUN_TIMEOUT, Run, start_mta, stop_process
from practice_fixtures import practice_server  # noqa: F401 (a fixture)
from proxy_server import proxy_server  # noqa: F401 (a fixture)

EXIT_USAGE = 64
EXIT_UNREADABLE = 66
EXIT_NO_SESSION = 2
EXIT_DIFFERED = 6

SUMMARY = re.compile(r"^\*  replay of (.+): (\d+) repl(?:y|ies) compared, (.+)$")
MATCHED = "every reply matched the recording"

MESSAGE = ["Subject: replay test", "", "first line", ".leading dot", "..two dots", "last line", "."]
SESSION = ["EHLO client.test", "MAIL FROM:<alice@client.test>", "RCPT TO:<bob@mta.test>",
           "RCPT TO:<carol@mta.test>", "DATA", *MESSAGE, "NOOP", "QUIT"]


def script(lines):
    return "\n".join(lines) + "\n"


@pytest.fixture
def run_replay(ehlo_bin, tmp_path):
    """run_replay(*args, env={}) -> Run: `ehlo replay --color never --timeout 10 ARGS`, no terminal."""

    def run(*args, env=None, timeout=RUN_TIMEOUT):
        environment = {key: value for key, value in os.environ.items() if not key.startswith("EHLO_SECRET_")}
        environment.update({"HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state"), "NO_COLOR": "1",
                            "TERM": "dumb"})
        environment.update(env or {})
        start = time.monotonic()
        completed = subprocess.run([ehlo_bin, "replay", "--color", "never", "--timeout", "10", *args],
                                   stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                                   env=environment, cwd=str(tmp_path), start_new_session=True)
        return Run(completed, time.monotonic() - start)

    return run


@pytest.fixture
def record(run_script):
    """record(port, lines, path, *options) -> Run: a script-mode session written to `path`."""

    def run(port, lines, path, *options):
        result = run_script(port, script(lines), "--transcript", str(path), *options)
        assert result.returncode == 0, result
        assert path.exists()
        return result

    return run


@pytest.fixture
def mta_refusing_bob(tmp_path, monkeypatch):
    """A second MTA like `mta`, but refusing bob@ too (550 5.1.1): yields (port, maildir)."""
    maildir = tmp_path / "maildir-refusing-bob"
    monkeypatch.setenv("MTA_REFUSE", "bob")
    process, port = start_mta(maildir)
    monkeypatch.delenv("MTA_REFUSE")
    try:
        yield port, maildir
    finally:
        stop_process(process)


def summary(run):
    matches = [SUMMARY.match(line) for line in run.lines]
    matches = [match for match in matches if match]
    assert len(matches) == 1, run
    return int(matches[0].group(2)), matches[0].group(3)


def diff_lines(run):
    """(recorded, now) pairs from the diff ehlo shows."""
    pairs = []
    for index, line in enumerate(run.lines):
        if line.startswith("!    recorded  S: "):
            now = run.lines[index + 1]
            assert now.startswith("!    now       S: "), run.lines[index:index + 2]
            pairs.append((line[len("!    recorded  S: "):], now[len("!    now       S: "):]))
    return pairs


def recorded_client_lines(path):
    return [line[3:] for line in path.read_text().splitlines() if line.startswith("C: ")]


# --------------------------------------------------------------------------------------------
# The same server: everything matches


def test_replay_against_the_server_in_the_header_matches(mta, record, run_replay, tmp_path):
    port, maildir = mta
    path = tmp_path / "session.txt"
    record(port, SESSION, path)
    assert (maildir / "1.eml").exists()

    run = run_replay("--check", str(path))
    assert run.returncode == 0, run
    compared, verdict = summary(run)
    assert verdict == MATCHED, run
    assert compared == 9, run  # greeting, EHLO, MAIL, 2 RCPT, DATA, end of data, NOOP, QUIT
    assert f"*  connected to 127.0.0.1 (127.0.0.1:{port})" in run.lines
    assert not diff_lines(run)
    # The same lines went out again, message lines dot-stuffed exactly once.
    assert [line[3:] for line in run.lines if line.startswith("C: ")] == recorded_client_lines(path)
    assert (maildir / "2.eml").read_bytes() == (maildir / "1.eml").read_bytes()
    assert b"\r\n.leading dot\r\n..two dots\r\n" in (maildir / "2.eml").read_bytes()


def test_replay_of_a_jsonl_transcript_to_a_named_server(mta, record, run_replay, tmp_path):
    port, maildir = mta
    path = tmp_path / "session.jsonl"
    record(port, SESSION, path)
    run = run_replay(str(path), f"127.0.0.1:{port}", "--check")
    assert run.returncode == 0, run
    assert summary(run) == (9, MATCHED), run
    assert (maildir / "2.eml").read_bytes() == (maildir / "1.eml").read_bytes()


@pytest.mark.parametrize("name, options", [
    ("relative.txt", ["--timestamps", "relative"]),
    ("absolute.txt", ["--timestamps", "absolute"]),
    ("bare.txt", ["--no-annotations"]),
    ("relative.jsonl", ["--timestamps", "relative", "--no-annotations"]),
])
def test_replay_reads_every_text_variant(mta, record, run_replay, tmp_path, name, options):
    port, _ = mta
    path = tmp_path / name
    record(port, SESSION, path, *options)
    run = run_replay("--check", str(path))
    assert run.returncode == 0, run
    assert summary(run) == (9, MATCHED), run


def test_replay_sends_client_bytes_exactly_as_recorded(scripted_server, record, run_replay, tmp_path):
    steps = [("send", b"220 ok\r\n"), ("read",), ("send", b"250 ok\r\n"),
             ("expect", b"QUIT"), ("send", b"221 bye\r\n"), ("close",)]
    first = scripted_server(steps)
    path = tmp_path / "bytes.txt"
    record(first.port, ["NOOP a\\b\tc\x1b[1m \u00e9 \\x41 \\e", "QUIT"], path)
    first.assert_ok()
    again = scripted_server(steps)
    run = run_replay("--check", str(path), f"127.0.0.1:{again.port}")
    again.assert_ok()
    assert run.returncode == 0, run
    assert again.received == first.received, (first.received, again.received)


# --------------------------------------------------------------------------------------------
# A server configured differently: the diff, and --check


def test_check_stops_at_the_first_different_reply(mta, mta_refusing_bob, record, run_replay, tmp_path):
    port, _ = mta
    other_port, other_maildir = mta_refusing_bob
    path = tmp_path / "session.txt"
    record(port, SESSION, path)

    run = run_replay("--check", str(path), f"127.0.0.1:{other_port}")
    assert run.returncode == EXIT_DIFFERED, run
    assert diff_lines(run) == [("250 2.1.5 OK", "550 5.1.1 <bob@mta.test>: Recipient address rejected: User unknown")]
    bob = run.lines.index("C: RCPT TO:<bob@mta.test>")
    assert any(line.startswith("!  differs from the recording") for line in run.lines[bob:]), run
    # It stopped there: nothing after bob was sent, no message went out.
    assert "C: RCPT TO:<carol@mta.test>" not in run.lines, run
    assert "C: DATA" not in run.lines
    assert not list(other_maildir.glob("*.eml"))
    compared, verdict = summary(run)
    assert verdict.startswith("1 reply differed from the recording"), run
    assert "the replay stopped early" in verdict, run


def test_without_check_the_replay_goes_on_and_shows_the_diff(mta, mta_refusing_bob, record, run_replay,
                                                               tmp_path):
    port, _ = mta
    other_port, other_maildir = mta_refusing_bob
    path = tmp_path / "session.jsonl"
    record(port, SESSION, path)

    run = run_replay(str(path), f"127.0.0.1:{other_port}")
    assert run.returncode == 0, run
    assert diff_lines(run) == [("250 2.1.5 OK", "550 5.1.1 <bob@mta.test>: Recipient address rejected: User unknown")]
    assert "C: RCPT TO:<carol@mta.test>" in run.lines and "C: NOOP" in run.lines, run
    assert summary(run) == (9, "1 reply differed from the recording"), run
    # carol was still accepted, so the message went to the other MTA.
    assert b"..two dots" in (other_maildir / "1.eml").read_bytes()


def test_a_message_the_server_no_longer_takes_is_skipped(mta, mta_refusing_bob, record, run_replay, tmp_path):
    port, _ = mta
    other_port, other_maildir = mta_refusing_bob
    path = tmp_path / "only-bob.txt"
    record(port, ["EHLO client.test", "MAIL FROM:<alice@client.test>", "RCPT TO:<bob@mta.test>", "DATA",
                  *MESSAGE, "NOOP", "QUIT"], path)
    run = run_replay(str(path), f"127.0.0.1:{other_port}")
    assert run.returncode == 0, run
    assert any(line.startswith("*  skipping the recorded message") for line in run.lines), run
    # The message lines were not sent as commands, and the session went on after them.
    assert not any(line.startswith("C: Subject:") or line == "C: ..leading dot" for line in run.lines), run
    assert "C: NOOP" in run.lines and "C: QUIT" in run.lines
    pairs = diff_lines(run)
    assert pairs[0][0] == "250 2.1.5 OK" and pairs[0][1].startswith("550 5.1.1"), pairs
    assert pairs[1][0].startswith("354"), pairs
    assert not list(other_maildir.glob("*.eml"))


# --------------------------------------------------------------------------------------------
# The practice server


PRACTICE_SESSION = ["EHLO client.test", "MAIL FROM:<alice@client.test>", "RCPT TO:<student@practice.test>",
                    "RCPT TO:<teacher@practice.test>", "DATA", *MESSAGE, "RSET", "QUIT"]


def test_replay_against_the_practice_server(practice_server, record, run_replay, tmp_path):
    server = practice_server()
    path = tmp_path / "practice.txt"
    record(server.port, PRACTICE_SESSION, path)
    run = run_replay("--check=enhanced", str(path))
    assert run.returncode == 0, run
    assert summary(run) == (9, MATCHED), run


def test_a_practice_server_that_refuses_the_greeting_differs(practice_server, record, run_replay, tmp_path):
    server = practice_server()
    path = tmp_path / "practice.jsonl"
    record(server.port, PRACTICE_SESSION, path)
    failing = practice_server("--greeting-fail")
    run = run_replay("--check", str(path), f"127.0.0.1:{failing.port}")
    assert run.returncode == EXIT_DIFFERED, run
    pairs = diff_lines(run)
    assert len(pairs) == 1 and pairs[0][0].startswith("220 ") and pairs[0][1].startswith("554 "), run
    assert "C: EHLO client.test" not in run.lines


def test_a_practice_server_for_another_domain_differs(practice_server, record, run_replay, tmp_path):
    server = practice_server()
    path = tmp_path / "practice.txt"
    record(server.port, PRACTICE_SESSION, path)
    other = practice_server("--domain", "other.test")
    run = run_replay("--check", str(path), f"127.0.0.1:{other.port}")
    assert run.returncode == EXIT_DIFFERED, run
    pairs = diff_lines(run)
    assert len(pairs) == 1, run
    assert pairs[0][0].startswith("250 2.1.5") and pairs[0][1].startswith("550 "), pairs
    assert "C: RCPT TO:<teacher@practice.test>" not in run.lines


# --------------------------------------------------------------------------------------------
# Redacted lines


USER, PASSWORD = "alice", "Sup3r-S3cret-pw"
PLAIN_RESPONSE = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
LOGIN_USER = base64.b64encode(USER.encode()).decode()
LOGIN_PASSWORD = base64.b64encode(PASSWORD.encode()).decode()


@pytest.fixture
def auth_server(practice_server):
    return practice_server("--allow-plain-auth", "--user", f"{USER}:{PASSWORD}")


def test_auth_login_replays_with_secrets_from_the_environment(auth_server, record, run_replay, tmp_path):
    path = tmp_path / "login.txt"
    record(auth_server.port, ["EHLO client.test", "AUTH LOGIN", LOGIN_USER, LOGIN_PASSWORD, "QUIT"], path)
    # The user name (the answer to "Username:") is no secret; the password is.
    assert recorded_client_lines(path).count("<redacted>") == 1
    assert LOGIN_USER in recorded_client_lines(path)
    again = tmp_path / "login-again.txt"
    run = run_replay("--check", "--auth-from-env", "--transcript", str(again), str(path),
                     env={"EHLO_SECRET_1": LOGIN_PASSWORD})
    assert run.returncode == 0, run
    assert "S: 235 2.7.0 Authentication successful" in run.lines
    assert summary(run) == (6, MATCHED), run  # greeting, EHLO, 334, 334, 235, 221
    # Neither the screen nor the replay's own transcript shows the secrets.
    for secret in (LOGIN_PASSWORD, PASSWORD):
        assert secret not in run.output
        assert secret not in again.read_text()
    assert "C: <redacted>" in again.read_text()


def test_auth_plain_replays_with_a_secret_from_the_environment(auth_server, record, run_replay, tmp_path):
    path = tmp_path / "plain.jsonl"
    record(auth_server.port, ["EHLO client.test", f"AUTH PLAIN {PLAIN_RESPONSE}", "QUIT"], path)
    assert PLAIN_RESPONSE not in path.read_text()
    run = run_replay("--check", "--auth-from-env", str(path), env={"EHLO_SECRET_1": PLAIN_RESPONSE})
    assert run.returncode == 0, run
    assert "S: 235 2.7.0 Authentication successful" in run.lines
    assert "C: AUTH PLAIN <redacted>" in run.lines

    wrong = base64.b64encode(f"\0{USER}\0wrong".encode()).decode()
    run = run_replay("--check", "--auth-from-env", str(path), env={"EHLO_SECRET_1": wrong})
    assert run.returncode == EXIT_DIFFERED, run
    assert diff_lines(run)[0][1].startswith("535 "), run


def test_a_redacted_line_without_a_terminal_or_env_stops_clearly(auth_server, record, run_replay, tmp_path):
    path = tmp_path / "login.txt"
    record(auth_server.port, ["EHLO client.test", "AUTH LOGIN", LOGIN_USER, LOGIN_PASSWORD, "QUIT"], path)
    run = run_replay("--check", str(path), env={"EHLO_SECRET_1": LOGIN_USER})
    assert run.returncode not in (0, EXIT_DIFFERED), run
    assert run.elapsed < 10, run
    assert any("redacted" in line and "--auth-from-env" in line for line in run.output.splitlines()), run


def test_auth_from_env_names_the_missing_variable(auth_server, record, run_replay, tmp_path):
    path = tmp_path / "login.jsonl"
    record(auth_server.port, ["EHLO client.test", "AUTH LOGIN", LOGIN_USER, LOGIN_PASSWORD, "QUIT"], path)
    run = run_replay("--auth-from-env", str(path), env={})
    assert run.returncode != 0, run
    assert run.elapsed < 10, run
    assert "EHLO_SECRET_1" in run.output, run
    assert LOGIN_PASSWORD not in run.output


def test_stopping_at_a_redacted_answer_sends_no_answer_to_the_challenge(auth_server, record, run_replay, tmp_path):
    """When the replay stops at a redacted answer (no secret), nothing but a cancel (`*`, RFC 4954
    §4) may go to the server as that answer. Sending QUIT instead makes the server take "QUIT" as
    the user name: it asks for the password next, and the session ends without its 221."""
    path = tmp_path / "login.txt"
    record(auth_server.port, ["EHLO client.test", "AUTH LOGIN", LOGIN_USER, LOGIN_PASSWORD, "QUIT"], path)
    run = run_replay(str(path))
    assert run.returncode != 0, run
    auth = run.lines.index("C: AUTH LOGIN")
    after = [line for line in run.lines[auth:] if line.startswith(("C: ", "S: "))]
    # "Password:" is answered with the cancel, never with QUIT; then the session ends with 221.
    password = after.index("S: 334 UGFzc3dvcmQ6")
    assert after[password + 1] == "C: *", after
    assert after[password + 2].startswith("S: 501"), after
    assert after[-1].startswith("S: 221"), after


# --------------------------------------------------------------------------------------------
# --check=enhanced


def enhanced_server(scripted_server, enhanced):
    return scripted_server([
        ("send", b"220 scripted.test ESMTP\r\n"),
        ("expect", b"EHLO"), ("send", b"250-scripted.test\r\n250 ENHANCEDSTATUSCODES\r\n"),
        ("expect", b"MAIL"), ("send", b"250 " + enhanced + b" OK\r\n"),
        ("expect", b"QUIT"), ("send", b"221 2.0.0 bye\r\n"), ("close",),
    ])


@pytest.mark.parametrize("check, status", [
    ([], 0),
    (["--check"], 0),
    (["--check=code"], 0),
    (["--check=enhanced"], EXIT_DIFFERED),
    (["--check", "enhanced"], EXIT_DIFFERED),
])
def test_check_enhanced_catches_an_enhanced_code_difference(scripted_server, record, run_replay, tmp_path,
                                                            check, status):
    first = enhanced_server(scripted_server, b"2.1.0")
    path = tmp_path / "enhanced.txt"
    record(first.port, ["EHLO client.test", "MAIL FROM:<a@client.test>", "QUIT"], path)
    first.assert_ok()

    again = enhanced_server(scripted_server, b"2.1.5")
    run = run_replay(*check, str(path), f"127.0.0.1:{again.port}")
    assert again.wait(10)
    assert run.returncode == status, run
    assert diff_lines(run) == [("250 2.1.0 OK", "250 2.1.5 OK")], run
    if status == EXIT_DIFFERED:
        assert "*  replay --check: stopping at the first difference" in run.lines
    assert again.received[-1].upper() == b"QUIT"


def test_check_enhanced_passes_when_both_codes_match(scripted_server, record, run_replay, tmp_path):
    first = enhanced_server(scripted_server, b"2.1.0")
    path = tmp_path / "same.jsonl"
    record(first.port, ["EHLO client.test", "MAIL FROM:<a@client.test>", "QUIT"], path)
    again = enhanced_server(scripted_server, b"2.1.0")
    run = run_replay("--check=enhanced", str(path), f"127.0.0.1:{again.port}")
    assert run.returncode == 0, run
    assert summary(run) == (4, MATCHED)


# --------------------------------------------------------------------------------------------
# Files that cannot be replayed


def test_replay_of_a_missing_file(run_replay, tmp_path):
    run = run_replay(str(tmp_path / "nothing.txt"), "127.0.0.1:25")
    assert run.returncode == EXIT_UNREADABLE, run
    assert "nothing.txt" in run.stderr


def test_replay_of_a_transcript_without_client_lines(run_replay, tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("*  ehlo 0.1.0 transcript of 127.0.0.1:2525, started 2026-11-29T10:00:00.000Z, secrets redacted\n"
                    "S: 220 hello\n")
    run = run_replay(str(path))
    assert run.returncode == EXIT_UNREADABLE, run
    assert "no C: lines" in run.stderr


def test_replay_needs_a_server_when_the_header_names_none(run_replay, tmp_path):
    path = tmp_path / "headless.txt"
    path.write_text("S: 220 hello\nC: QUIT\nS: 221 bye\n")
    run = run_replay(str(path))
    assert run.returncode == EXIT_USAGE, run
    assert "names no server" in run.stderr


def test_replay_to_a_server_that_is_not_there(run_replay, tmp_path, closed_port):
    path = tmp_path / "gone.txt"
    path.write_text(f"*  ehlo 0.1.0 transcript of 127.0.0.1:{closed_port}, started 2026-11-29T10:00:00.000Z, "
                    "secrets redacted\nS: 220 hello\nC: QUIT\nS: 221 bye\n")
    run = run_replay("--check", str(path))
    assert run.returncode == EXIT_NO_SESSION, run
    assert run.elapsed < 10


def test_replay_of_a_broken_jsonl_file(run_replay, tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"type": "header", "server": "127.0.0.1:2525"}\n{"type": "client", "line": "QUIT"\n')
    run = run_replay(str(path))
    assert run.returncode == EXIT_UNREADABLE, run
    assert "line 2" in run.stderr, run


def test_a_transcript_of_several_sessions_replays_each_on_its_own_connection(mta, mta_refusing_bob, record,
                                                                            run_replay, tmp_path):
    """--append adds sessions to one file; replay connects again at each header."""
    port, maildir = mta
    path = tmp_path / "week.txt"
    record(port, SESSION, path)
    record(port, ["EHLO client.test", "VRFY bob", "QUIT"], path, "--append")
    assert path.read_text().count(" transcript of ") == 2

    run = run_replay("--check", str(path))
    assert run.returncode == 0, run
    assert run.lines.count("*  the recording starts another session (transcript line %d)" % (
        [number for number, line in enumerate(path.read_text().splitlines(), 1) if " transcript of " in line][1])), run
    assert run.lines.count("C: VRFY bob") == 1, run
    compared, verdict = summary(run)
    assert verdict == MATCHED, run

    other_port, _ = mta_refusing_bob
    run = run_replay("--check", str(path), f"127.0.0.1:{other_port}")
    assert run.returncode == EXIT_DIFFERED, run


# --------------------------------------------------------------------------------------------
# Several replies to one command, several commands in one write


def test_a_pipelined_recording_is_replayed_in_the_same_groups(command_log_server, record, run_replay, tmp_path):
    first = command_log_server(accept_data=True)
    path = tmp_path / "pipelined.txt"
    record(first.port, ["EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<b@x.test>", "RCPT TO:<c@x.test>",
                        "DATA", *MESSAGE, "QUIT"], path, "--pipeline")
    again = command_log_server(accept_data=True)
    run = run_replay("--check", str(path), f"127.0.0.1:{again.port}")
    assert run.returncode == 0, run
    assert summary(run) == (8, MATCHED), run  # greeting, EHLO, MAIL, RCPT, RCPT, DATA, end of data, QUIT
    again.wait_for_command("QUIT")
    assert b"MAIL FROM:<a@client.test>\r\nRCPT TO:<b@x.test>\r\nRCPT TO:<c@x.test>\r\nDATA\r\n" in again.reads()
    # The message went exactly as recorded: dot-stuffed once, not twice.
    assert again.messages()[0] == first.messages()[0]


def test_an_lmtp_recording_compares_each_recipients_reply(practice_server, record, run_replay, tmp_path):
    server = practice_server("--lmtp")
    path = tmp_path / "lmtp.jsonl"
    session = ["LHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<student@practice.test>",
               "RCPT TO:<reject@practice.test>", "DATA", *MESSAGE, "QUIT"]
    record(server.port, session, path, "--lmtp")
    run = run_replay("--check", str(path))
    assert run.returncode == 0, run
    assert summary(run) == (9, MATCHED), run  # greeting, LHLO, MAIL, 2 RCPT, DATA, 2 after the dot, QUIT
    assert sum(line.startswith("#  after end of data: for <") for line in run.lines) == 2, run


def test_a_recording_through_connect_names_and_replays_each_server(mta, mta_refusing_bob, run_script, run_replay,
                                                                    tmp_path):
    """Every connection gets its own header; replay reaches each server as the session did."""
    port, _ = mta
    other_port, _ = mta_refusing_bob
    path = tmp_path / "two.txt"
    run = run_script(port, script(["EHLO client.test", "QUIT", f"/connect 127.0.0.1:{other_port}", "EHLO client.test",
                                   "RCPT TO:<bob@mta.test>", "QUIT"]), "--transcript", str(path))
    assert run.returncode == 0, run
    headers = [line for line in path.read_text().splitlines() if " transcript of " in line]
    assert [line.split(" transcript of ")[1].split(",")[0] for line in headers] == [
        f"127.0.0.1:{port}", f"127.0.0.1:{other_port}"], headers
    run = run_replay("--check", str(path))
    assert run.returncode == 0, run
    assert summary(run)[1] == MATCHED, run
    assert run.lines.count(f"*  connected to 127.0.0.1 (127.0.0.1:{other_port})") == 1, run


def test_a_recording_begun_before_any_connection_names_the_server_it_reached(mta, run_ehlo, run_replay, tmp_path):
    port, _ = mta
    path = tmp_path / "late.txt"
    run = run_ehlo("--no-history", "--color", "never", input=f"/record {path}\n/connect 127.0.0.1:{port}\n"
                   "EHLO client.test\nQUIT\n")
    assert run.returncode == 0, run
    assert "transcript of no server yet" in path.read_text()
    run = run_replay("--check", str(path))
    assert run.returncode == 0, run
    assert summary(run)[1] == MATCHED, run


def test_a_sent_file_with_lone_dot_lines_replays_byte_for_byte(mta, run_script, run_replay, tmp_path):
    """A /send body whose lines are "." and ".." is recorded dot-stuffed and replayed as recorded:
    the message arrives whole, exactly as the first time."""
    port, maildir = mta
    body = tmp_path / "body.txt"
    body.write_bytes(b"Subject: dots\r\n\r\nbefore\r\n.\r\n..\r\n.three\r\nafter\r\n")
    path = tmp_path / "send.txt"
    run = run_script(port, script(["EHLO client.test", "MAIL FROM:<alice@client.test>", "RCPT TO:<bob@mta.test>",
                                   f"/send {body}", "QUIT"]), "--transcript", str(path))
    assert run.returncode == 0, run
    recorded = recorded_client_lines(path)
    assert recorded[recorded.index("before") + 1:recorded.index("after")] == ["..", "...", "..three"], recorded
    run = run_replay("--check", str(path))
    assert run.returncode == 0, run
    assert summary(run)[1] == MATCHED, run
    first, second = (maildir / "1.eml").read_bytes(), (maildir / "2.eml").read_bytes()
    assert first == second and b"\r\nbefore\r\n.\r\n..\r\n.three\r\nafter\r\n" in second


def test_check_fails_when_a_recorded_line_could_not_be_replayed(mta, mta_refusing_bob, record, run_replay, tmp_path):
    """The message is skipped when DATA is refused this time: its reply never comes, and --check fails."""
    port, _ = mta
    other_port, _ = mta_refusing_bob
    path = tmp_path / "only-bob.txt"
    record(port, ["EHLO client.test", "MAIL FROM:<alice@client.test>", "RCPT TO:<bob@mta.test>", "DATA", *MESSAGE,
                  "QUIT"], path)
    run = run_replay("--check=code", str(path), f"127.0.0.1:{other_port}")
    assert run.returncode == EXIT_DIFFERED, run
    assert "*  replay --check: stopping at the first difference" in run.lines, run


# --------------------------------------------------------------------------------------------
# Reaching the server as the recording did: the PROXY header, per connection


def test_a_server_behind_a_load_balancer_gets_the_recorded_proxy_header_again(proxy_server, run_ehlo, run_replay,
                                                                              tmp_path):
    """The header names --proxy and --proxy-from; replay sends the same header to a new server."""
    first = proxy_server("v2", claimed=("192.0.2.7", 4242))
    path = tmp_path / "proxied.txt"
    run = run_ehlo("--no-history", "--color", "never", "--proxy", "v2", "--proxy-from", "192.0.2.7:4242",
                   "--transcript", str(path), first.address, input=script(["EHLO client.test", "NOOP", "QUIT"]))
    first.wait()
    first.assert_ok()
    assert run.returncode == 0, run
    assert f"transcript of {first.address}, PROXY v2 from 192.0.2.7:4242, started" in path.read_text()
    second = proxy_server("v2", claimed=("192.0.2.7", 4242))
    run = run_replay("--check", str(path), second.address)
    second.wait()
    second.assert_ok()
    assert run.returncode == 0, run
    assert summary(run) == (4, MATCHED), run
    assert second.commands == [b"EHLO client.test", b"NOOP", b"QUIT"]


def test_each_recorded_connection_is_reached_with_its_own_options(mta, proxy_server, run_script, run_replay,
                                                                  tmp_path):
    """Only the second connection went through /connect --proxy v1: replay sends the header there
    alone (the MTA of the first would take it for a bad command)."""
    port, _ = mta
    proxied = proxy_server("v1")
    path = tmp_path / "two.txt"
    run = run_script(port, script(["EHLO client.test", "QUIT", f"/connect {proxied.address} --proxy v1",
                                   "EHLO client.test", "QUIT"]), "--transcript", str(path))
    proxied.wait()
    proxied.assert_ok()
    assert run.returncode == 0, run
    headers = [line.split(" transcript of ")[1] for line in path.read_text().splitlines() if " transcript of " in line]
    assert headers[0].startswith(f"127.0.0.1:{port}, started"), headers
    assert headers[1].startswith(f"{proxied.address}, PROXY v1, started"), headers
    proxied.stop()
    again = proxy_server("v1", port=proxied.port)
    run = run_replay("--check", str(path))
    again.wait()
    again.assert_ok()
    assert run.returncode == 0, run
    assert summary(run) == (6, MATCHED), run
    assert again.commands == [b"EHLO client.test", b"QUIT"]
