"""The console in script mode against the practice server, and `ehlo --practice`, and `serve --list-lab`."""

import os
import subprocess

from practice_fixtures import REPO, ehlo_binary, maildir_messages, practice_server  # noqa: F401 (a fixture)

RUN_TIMEOUT = 30


def run_ehlo(*args, script="", home=None):
    environment = dict(os.environ, NO_COLOR="1", TERM="dumb")
    if home:
        environment.update(HOME=str(home), XDG_STATE_HOME=str(home / "state"))
    completed = subprocess.run([ehlo_binary(), *args], input=script.encode(), capture_output=True,
                               timeout=RUN_TIMEOUT, env=environment)
    return completed.returncode, completed.stdout.decode("utf-8", "replace"), completed.stderr.decode()


APPENDIX_D = """\
EHLO bar.com
/expect 250
MAIL FROM:<Smith@bar.com>
/expect 250
RCPT TO:<student@practice.test>
/expect 250
RCPT TO:<Green@practice.test>
/expect 550
RCPT TO:<teacher@practice.test>
/expect 250
DATA
/expect 354
Blah blah blah...
...etc. etc. etc.
.
/expect 250
QUIT
/expect 221
"""


def test_appendix_d_scenario_in_script_mode(practice_server, tmp_path):
    server = practice_server("--maildir", str(tmp_path / "Maildir"))
    status, out, err = run_ehlo("--no-history", f"127.0.0.1:{server.port}", script=APPENDIX_D, home=tmp_path)
    assert status == 0, out + err
    server_lines = [line for line in out.splitlines() if line.startswith("S: ")]
    assert server_lines[0].startswith("S: 220 practice.test ESMTP")
    assert "S: 550 5.1.1 <Green@practice.test>: Mailbox unknown" in server_lines
    assert any(line.startswith("S: 250 2.0.0 Ok: queued as") for line in server_lines)
    assert "5.1.1 Recipient mailbox does not exist" in out  # the console explains the server's code
    stored = maildir_messages(tmp_path / "Maildir")
    assert len(stored) == 1
    text = stored[0].read_text()
    assert "Delivered-To: student@practice.test\nDelivered-To: teacher@practice.test\n" in text
    assert text.endswith("Blah blah blah...\n...etc. etc. etc.\n")


def test_practice_flag_runs_the_console_against_an_in_process_server(tmp_path):
    script = "EHLO me.test\n/expect 250\nVRFY class\n/expect 252\nEXPN class\n/expect 250\nQUIT\n"
    status, out, err = run_ehlo("--no-history", "--practice", "--explain", "off", script=script, home=tmp_path)
    assert status == 0, out + err
    assert "S: 220 practice.test ESMTP ehlo practice server ready" in out
    assert "S: 250-2.1.5 Sam Student <student@practice.test>" in out


def test_list_lab_names_every_mailbox_and_code():
    status, out, err = run_ehlo("serve", "--list-lab")
    assert status == 0, err
    for mailbox in ["student", "teacher", "busy", "greylist", "broken", "full", "quota", "forward", "moved",
                    "unknown", "badname", "reject", "class"]:
        assert f"{mailbox}@practice.test" in out
    for code in [211, 214, 220, 221, 250, 251, 252, 354, 421, 450, 451, 452, 455, 500, 501, 502, 503, 504, 550,
                 551, 552, 553, 554, 555]:
        assert f"  {code} " in out, code


def test_serve_rejects_a_bad_listen_address():
    status, _, err = run_ehlo("serve", "--listen", "127.0.0.1")
    assert status != 0
    assert "ADDR:PORT" in err


def test_bdat_chunks_typed_in_the_console_arrive_whole(practice_server, tmp_path):
    """RFC 3030: BDAT <size> is followed by exactly <size> octets, not dot-stuffed, and only then answered."""
    server = practice_server("--maildir", str(tmp_path / "Maildir"))
    script = ("EHLO me.test\nMAIL FROM:<a@example.test>\nRCPT TO:<student@practice.test>\n"
              "BDAT 16\nSubject: chunk\n/expect 250\n"
              "BDAT 19 LAST\n.not stuffed\nend\n/expect 250\nQUIT\n")
    status, out, err = run_ehlo("--no-history", "--explain", "off", f"127.0.0.1:{server.port}", script=script,
                                home=tmp_path)
    assert status == 0, out + err
    assert "C: .not stuffed" in out  # BDAT data goes as typed: no dot-stuffing
    assert "S: 250 2.0.0 16 octets received" in out
    stored = maildir_messages(tmp_path / "Maildir")
    assert len(stored) == 1
    assert stored[0].read_text().endswith("Subject: chunk\n.not stuffed\nend\n")


def test_a_bdat_line_longer_than_the_chunk_is_cut_with_a_warning(practice_server, tmp_path):
    server = practice_server()
    script = ("EHLO me.test\nMAIL FROM:<a@example.test>\nRCPT TO:<student@practice.test>\n"
              "BDAT 4 LAST\nabcdefgh\n/expect 250\nQUIT\n")
    status, out, err = run_ehlo("--no-history", "--explain", "off", f"127.0.0.1:{server.port}", script=script,
                                home=tmp_path)
    assert status == 0, out + err
    assert "!  BDAT counts octets: only 4 of this line's 10 (with CRLF) fit in the chunk" in out
    assert "C: abcd" in out
