"""/save-script FILE: a session written down as a script that runs again with ehlo -x FILE."""

from practice_fixtures import maildir_messages, practice_server  # noqa: F401 (a fixture)

PASSWORD = "practice"


def test_a_saved_session_runs_again_and_delivers_the_same_message(practice_server, run_script, run_ehlo, tmp_path):
    server = practice_server("--maildir", str(tmp_path / "md"), "--allow-plain-auth")
    saved = tmp_path / "session.ehlo"
    session = ["EHLO client.test", "MAIL FROM:<alice@client.test>", "RCPT TO:<nobody@practice.test>",
               "RCPT TO:<student@practice.test>", "DATA", "Subject: saved", "", ".leading dot", "last", ".",
               "AUTH PLAIN AGFsaWNlAFN1cDNy", f"/save-script {saved}", "QUIT"]
    run = run_script(server.port, "\n".join(session) + "\n")
    assert run.returncode == 0, run
    text = saved.read_text()
    lines = text.splitlines()
    assert lines[0].startswith("# ehlo ") and f"ehlo -x FILE 127.0.0.1:{server.port}" in lines[1], text
    assert lines[2:20] == [
        "EHLO client.test", "/expect 250", "MAIL FROM:<alice@client.test>", "/expect 250",
        "RCPT TO:<nobody@practice.test>", "/expect 550", "RCPT TO:<student@practice.test>", "/expect 250",
        "DATA", "/expect 354", "Subject: saved", "", ".leading dot", "last", ".", "/expect 250",
        "# AUTH PLAIN was typed here with its secrets; /auth plain USER sends it again",
        "# … and the exchange ended with 535"], text
    # No secret goes in: the AUTH line is a comment, its blob nowhere.
    assert "AGFsaWNlAFN1cDNy" not in text

    again = run_ehlo("--no-history", "--color", "never", "-x", str(saved), f"127.0.0.1:{server.port}")
    assert again.returncode == 0, again
    first, second = maildir_messages(tmp_path / "md")
    body = lambda path: path.read_bytes().split(b"\n\n", 1)[1]  # noqa: E731 (after the Received: headers)
    assert body(first) == body(second) and b".leading dot" in body(second)


def test_the_steps_ehlo_took_itself_are_saved_as_their_commands(run_ehlo, tmp_path):
    saved = tmp_path / "tls.ehlo"
    run = run_ehlo("--practice", "--no-history", "--color", "never", "--starttls", "--user", "student",
                   input=f"NOOP\n/save-script {saved}\n", env={"EHLO_PASSWORD": PASSWORD})
    assert run.returncode == 0, run
    lines = saved.read_text().splitlines()[2:]
    assert lines[:2] == [lines[0], "/expect 250"] and lines[0].startswith("EHLO "), lines
    assert lines[2:8] == ["STARTTLS", "/expect 220", lines[4], "/expect 250", "/auth plain student", "/expect 235"]
    assert lines[8:] == ["NOOP", "/expect 250"], lines
    assert PASSWORD not in saved.read_text()


def test_save_script_never_overwrites(practice_server, run_script, tmp_path):
    server = practice_server()
    saved = tmp_path / "exists.ehlo"
    saved.write_text("keep me\n")
    run = run_script(server.port, f"EHLO client.test\n/save-script {saved}\nQUIT\n")
    assert any("cannot write" in line and "never overwrites" in line for line in run.lines), run
    assert saved.read_text() == "keep me\n"
