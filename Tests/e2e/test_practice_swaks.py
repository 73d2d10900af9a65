"""swaks, a real SMTP client, against `ehlo serve`: plain, STARTTLS, AUTH, PIPELINING, lab codes."""

import shutil
import subprocess

import pytest

from practice_fixtures import maildir_messages, practice_server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks is not installed (apt-get install swaks)")

SWAKS_TIMEOUT = 30


def swaks(server, *args, to="student@practice.test"):
    command = ["swaks", "--server", "127.0.0.1", "--port", str(server.port), "--from", "alice@example.test",
               "--to", to, "--helo", "client.test", "--timeout", "10", *args]
    completed = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=SWAKS_TIMEOUT)
    return completed.returncode, completed.stdout.decode("utf-8", "replace")


def server_lines(transcript):
    """The reply lines swaks received (`<-` in clear, `<~` over TLS)."""
    return [line[4:] for line in transcript.splitlines() if line.startswith(("<-  ", "<~  ", "<** ", "<~* "))]


def test_plain_delivery_is_stored_in_the_maildir(practice_server, tmp_path):
    server = practice_server("--maildir", str(tmp_path / "Maildir"))
    status, transcript = swaks(server, "--header", "Subject: plain delivery")
    assert status == 0, transcript
    assert any(line.startswith("250 2.0.0 Ok: queued as") for line in server_lines(transcript))
    messages = maildir_messages(tmp_path / "Maildir")
    assert len(messages) == 1
    stored = messages[0].read_text()
    assert "Subject: plain delivery" in stored
    assert stored.startswith("Return-Path: <alice@example.test>\n")
    assert "with ESMTP id" in stored
    assert "\r\n" not in stored
    assert not list((tmp_path / "Maildir" / "tmp").iterdir())


def test_starttls(practice_server, tmp_path):
    server = practice_server("--maildir", str(tmp_path / "Maildir"))
    status, transcript = swaks(server, "--tls")
    assert status == 0, transcript
    assert "220 2.0.0 Ready to start TLS" in transcript
    assert "TLS started" in transcript
    assert "with ESMTPS id" in maildir_messages(tmp_path / "Maildir")[0].read_text()
    server.wait_for_line(lambda line: "TLS established" in line)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN", "CRAM-MD5"])
def test_auth_after_starttls(practice_server, mechanism):
    server = practice_server()
    status, transcript = swaks(server, "--tls", "--auth", mechanism, "--auth-user", "student",
                               "--auth-password", "practice")
    assert status == 0, transcript
    assert "235 2.7.0 Authentication successful" in transcript
    server.wait_for_line(lambda line: f"AUTH {mechanism} succeeded for student" in line)


def test_auth_with_a_wrong_password_gets_535(practice_server):
    server = practice_server()
    status, transcript = swaks(server, "--tls", "--auth", "PLAIN", "--auth-user", "student",
                               "--auth-password", "wrong")
    assert status != 0
    assert any(line.startswith("535 5.7.8") for line in server_lines(transcript)), transcript


def test_configured_user_and_plain_auth_without_tls(practice_server):
    server = practice_server("--user", "pat:secret", "--allow-plain-auth")
    status, transcript = swaks(server, "--auth", "LOGIN", "--auth-user", "pat", "--auth-password", "secret")
    assert status == 0, transcript
    assert "235 2.7.0" in transcript


def test_auth_is_not_offered_before_starttls(practice_server):
    server = practice_server()
    status, transcript = swaks(server, "--quit-after", "EHLO")
    assert status == 0, transcript
    assert "250-STARTTLS" in transcript
    assert "AUTH" not in transcript


def test_pipelining(practice_server, tmp_path):
    server = practice_server("--maildir", str(tmp_path / "Maildir"))
    status, transcript = swaks(server, "--pipeline")
    assert status == 0, transcript
    assert len(maildir_messages(tmp_path / "Maildir")) == 1


@pytest.mark.parametrize("mailbox,expected", [
    ("busy", "450 4.2.0"),
    ("greylist", "450 4.7.1"),
    ("broken", "451 4.3.0"),
    ("full", "452 4.2.2"),
    ("params", "455 4.3.3"),
    ("unknown", "550 5.1.1"),
    ("somebody-else", "550 5.1.1"),
    ("moved", "551 5.1.0"),
    ("badname", "553 5.1.0"),
    ("forward", "251 2.1.5"),
    ("teacher", "250 2.1.5"),
])
def test_lab_mailbox_reply_at_rcpt(practice_server, mailbox, expected):
    server = practice_server()
    _, transcript = swaks(server, "--quit-after", "RCPT", to=f"{mailbox}@practice.test")
    assert any(line.startswith(expected) for line in server_lines(transcript)), transcript


def test_reject_is_refused_after_the_final_dot(practice_server, tmp_path):
    server = practice_server("--maildir", str(tmp_path / "Maildir"))
    status, transcript = swaks(server, to="reject@practice.test")
    assert status != 0
    assert any(line.startswith("554 5.7.1") for line in server_lines(transcript)), transcript
    assert maildir_messages(tmp_path / "Maildir") == []


def test_quota_is_refused_with_552_only_over_its_quota(practice_server, tmp_path):
    server = practice_server("--maildir", str(tmp_path / "Maildir"))
    status, transcript = swaks(server, "--body", "short", to="quota@practice.test")
    assert status == 0, transcript
    status, transcript = swaks(server, "--body", "\n".join(["x" * 70] * 30), to="quota@practice.test")
    assert any(line.startswith("552 5.2.2") for line in server_lines(transcript)), transcript
    assert len(maildir_messages(tmp_path / "Maildir")) == 1


def test_greylist_accepts_the_second_attempt(practice_server):
    # As a real greylisting MTA: the retry comes in a new connection (swaks runs once per attempt).
    server = practice_server("--greylist-delay", "0", "--greylist-reset", "never")
    _, first = swaks(server, "--quit-after", "RCPT", to="greylist@practice.test")
    _, second = swaks(server, "--quit-after", "RCPT", to="greylist@practice.test")
    assert any(line.startswith("450 4.7.1") for line in server_lines(first)), first
    assert any(line.startswith("250 2.1.5") for line in server_lines(second)), second


def test_greeting_fail(practice_server):
    server = practice_server("--greeting-fail")
    status, transcript = swaks(server)
    assert status != 0
    assert server_lines(transcript)[0].startswith("554 ")


def test_lmtp(practice_server):
    server = practice_server("--lmtp")
    status, transcript = swaks(server, "--protocol", "LMTP", to="student@practice.test,teacher@practice.test")
    assert status == 0, transcript
    assert "LHLO client.test" in transcript
    delivered = [line for line in server_lines(transcript) if line.startswith("250 2.1.5 <")]
    assert [line.split()[2] for line in delivered][-2:] == ["<student@practice.test>", "<teacher@practice.test>"]
