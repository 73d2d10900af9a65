"""Lessons: every built-in lesson played to completion against `ehlo --practice`, a wrong move per
lesson that must not tick its goal, a teacher's lesson file, and a malformed one."""

import os
import queue
import re
import subprocess
import threading
import time

from practice_fixtures import ehlo_binary
from test_repl_tmux import term  # noqa: F401 (a fixture)

RUN_TIMEOUT = 60
# More than the practice server's greylisting delay (ehlo serve --greylist-delay, 5 s by default).
GREYLIST_WAIT = 6
TICK = re.compile(r"^✔ goal (\d+) of (\d+): ")


def run_ehlo(*args, script="", home=None, environment=None):
    env = dict(os.environ, NO_COLOR="1", TERM="dumb", **(environment or {}))
    if home:
        env.update(HOME=str(home), XDG_STATE_HOME=str(home / "state"))
    completed = subprocess.run([ehlo_binary(), "--no-history", *args], input=script.encode(), capture_output=True,
                               timeout=RUN_TIMEOUT, env=env)
    return completed.returncode, completed.stdout.decode("utf-8", "replace"), completed.stderr.decode()


def ticks(out):
    """The goal numbers ticked, in order, and the lesson's goal count."""
    found = [TICK.match(line) for line in out.splitlines()]
    found = [match for match in found if match]
    return [int(match.group(1)) for match in found], {int(match.group(2)) for match in found}


def play(number, script, home):
    status, out, err = run_ehlo("--practice", "--explain", "off", "--lesson", str(number), script=script, home=home)
    assert status == 0, out + err
    return out


def assert_complete(out, goals):
    reached, counts = ticks(out)
    assert sorted(reached) == list(range(1, goals + 1)), out
    assert counts == {goals}, out
    assert re.search(rf"— complete: all {goals} goals reached", out), out


def line_after(out, first, then):
    """The index of `then` is after the index of `first` in the output's lines."""
    lines = out.splitlines()
    return lines.index(first) < lines.index(then)


def session(*lines):
    """A script: EHLO, the lines, QUIT."""
    return "".join(line + "\n" for line in ["EHLO me.test", *lines, "QUIT"])


def transaction(*lines, recipient="student@practice.test"):
    """A script: EHLO, MAIL and RCPT, the lines, QUIT."""
    return session("MAIL FROM:<you@example.test>", f"RCPT TO:<{recipient}>", *lines)


MESSAGE = ("DATA", "hello", ".")


APPENDIX_D = """\
EHLO bar.com
MAIL FROM:<Smith@bar.com>
RCPT TO:<student@practice.test>
RCPT TO:<Green@practice.test>
RCPT TO:<teacher@practice.test>
DATA
Blah blah blah...
...etc. etc. etc.
.
QUIT
"""


def test_lesson_1_appendix_d_is_played_to_the_end(tmp_path):
    out = play(1, APPENDIX_D, tmp_path)
    assert "Next: /lesson 2, The four reply classes." in out
    assert out.splitlines()[0] == "Lesson 1: A whole mail transaction (RFC 5321 §3.3 and Appendix D.1)"
    assert "Goals:" in out and "  4. Add a recipient who does not exist, like Green, and read the 550" in out
    assert_complete(out, 6)
    # Each ✔ comes right after the reply that earned it.
    assert line_after(out, "S: 550 5.1.1 <Green@practice.test>: Mailbox unknown",
                      "✔ goal 4 of 6: Add a recipient who does not exist, like Green, and read the 550")


def test_lesson_1_with_one_recipient_leaves_the_message_goal_open(tmp_path):
    script = APPENDIX_D.replace("RCPT TO:<teacher@practice.test>\n", "")
    out = play(1, script, tmp_path)
    reached, _ = ticks(out)
    assert reached == [1, 2, 3, 4, 6], out
    assert "— ended: 5 of 6 goals reached, no hints used." in out
    assert ("  skipped: goal 5, Send the message to two accepted recipients and get 250 after the final period"
            in out)


def test_lesson_2_reply_classes(tmp_path):
    script = transaction("RCPT TO:<unknown@practice.test>", "RCPT TO:<student@practice.test>", *MESSAGE,
                         recipient="busy@practice.test")
    out = play(2, script, tmp_path)
    assert_complete(out, 4)
    reached, _ = ticks(out)
    assert reached == [1, 3, 4, 2]


def test_lesson_2_a_5xx_to_mail_is_not_the_rcpt_goal(tmp_path):
    # 501 (no angle brackets) is a 5xx, but to MAIL; the goal asks for one at RCPT.
    out = play(2, "EHLO me.test\nMAIL FROM:you@example.test\nQUIT\n", tmp_path)
    assert "S: 501" in out
    reached, _ = ticks(out)
    assert reached == [1], out
    assert "  skipped: goal 4, Get a 5xx at RCPT, a permanent failure: do not send that again unchanged" in out


def test_lesson_3_command_order(tmp_path):
    # In a script the lines after a refused DATA are its message, skipped up to the lone period.
    script = session("DATA", ".", "RCPT TO:<student@practice.test>", "MAIL FROM:<you@example.test>",
                     "RCPT TO:<student@practice.test>", *MESSAGE)
    out = play(3, script, tmp_path)
    assert_complete(out, 3)


def test_lesson_3_a_503_to_mail_twice_is_not_data_too_early(tmp_path):
    script = session("MAIL FROM:<a@example.test>", "MAIL FROM:<a@example.test>")
    out = play(3, script, tmp_path)
    assert "S: 503" in out
    assert ticks(out)[0] == [], out


def test_lesson_4_dot_stuffing(tmp_path):
    script = transaction("DATA", ".hello", ".")
    out = play(4, script, tmp_path)
    assert_complete(out, 3)
    # The wire line is the stuffed one, and the ✔ follows it.
    assert line_after(out, "C: ..hello", "✔ goal 2 of 3: Type a message line that starts with a dot: it goes out with two")


def test_lesson_4_a_dot_inside_a_line_is_not_stuffing(tmp_path):
    script = transaction("DATA", "hello. there.", ".")
    out = play(4, script, tmp_path)
    assert ticks(out)[0] == [1], out
    assert "  skipped: goal 3, End the message and get 250: the server stored .hello with one dot" in out


def read_lines(stream, into):
    for line in stream:
        into.put(line.decode("utf-8", "replace"))
    into.put(None)


def test_lesson_5_greylisting(tmp_path):
    # The retry is typed only after the 450 came and a few seconds passed: a greylisting server
    # (this one with a delay, too) lets only a later retry through.
    first = session("MAIL FROM:<you@example.test>", "RCPT TO:<greylist@practice.test>").replace("QUIT\n", "")
    rest = "RCPT TO:<greylist@practice.test>\nDATA\nhello\n.\nQUIT\n"
    env = dict(os.environ, NO_COLOR="1", TERM="dumb", HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"))
    process = subprocess.Popen([ehlo_binary(), "--no-history", "--practice", "--explain", "off", "--lesson", "5"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    lines = queue.Queue()
    threading.Thread(target=read_lines, args=(process.stdout, lines), daemon=True).start()
    seen = []
    try:
        process.stdin.write(first.encode())
        process.stdin.flush()
        deadline = time.monotonic() + RUN_TIMEOUT
        while not any(line.startswith("S: 450 4.7.1") for line in seen):
            seen.append(lines.get(timeout=max(deadline - time.monotonic(), 0.1)))
            assert seen[-1] is not None, "".join(seen[:-1])
        time.sleep(GREYLIST_WAIT)
        process.stdin.write(rest.encode())
        process.stdin.close()
        assert process.wait(timeout=RUN_TIMEOUT) == 0
    finally:
        process.kill()
    while (line := lines.get(timeout=RUN_TIMEOUT)) is not None:
        seen.append(line)
    out = "".join(seen)
    assert_complete(out, 3)


def test_lesson_5_a_busy_450_is_not_greylisting(tmp_path):
    out = play(5, "EHLO me.test\nMAIL FROM:<you@example.test>\nRCPT TO:<busy@practice.test>\nQUIT\n", tmp_path)
    assert "S: 450 4.2.0" in out
    assert ticks(out)[0] == [], out


STARTTLS = """\
EHLO me.test
STARTTLS
MAIL FROM:<you@example.test>
EHLO me.test
QUIT
"""


def test_lesson_6_starttls_and_what_ehlo_forgets(tmp_path):
    out = play(6, STARTTLS, tmp_path)
    assert_complete(out, 4)
    assert "S: 503" in out


def test_lesson_6_mail_in_the_clear_is_not_the_forgotten_ehlo(tmp_path):
    # MAIL without a second EHLO, but in the clear, and EHLO twice in the clear.
    out = play(6, "EHLO me.test\nMAIL FROM:<you@example.test>\nEHLO me.test\nQUIT\n", tmp_path)
    assert ticks(out)[0] == [1], out


def test_lesson_7_auth_plain_typed_by_hand(tmp_path):
    script = session("STARTTLS", "EHLO me.test", "AUTH PLAIN AHN0dWRlbnQAd3Jvbmc=",
                     "AUTH PLAIN AHN0dWRlbnQAcHJhY3RpY2U=")
    out = play(7, script, tmp_path)
    assert "S: 535" in out and "S: 235" in out
    assert_complete(out, 3)
    # The secret is never shown.
    assert "AHN0dWRlbnQAcHJhY3RpY2U=" not in out


def test_lesson_7_auth_by_the_console_command_does_not_count(tmp_path):
    password = tmp_path / "password"
    password.write_text("practice\n")
    script = session("STARTTLS", "EHLO me.test", "/auth plain student")
    status, out, err = run_ehlo("--practice", "--explain", "off", "--lesson", "7", "--password-file", str(password),
                                script=script, home=tmp_path)
    assert status == 0, out + err
    assert "S: 235" in out
    assert ticks(out)[0] == [1], out
    assert "  skipped: goal 3, Authenticate with AUTH PLAIN typed by hand and get 235" in out


def test_lesson_8_pipelining(tmp_path):
    script = session("/pipe", "MAIL FROM:<you@example.test>", "RCPT TO:<student@practice.test>", *MESSAGE)
    out = play(8, script, tmp_path)
    assert_complete(out, 3)


def test_lesson_8_a_lock_step_transaction_is_not_pipelined(tmp_path):
    script = transaction(*MESSAGE)
    out = play(8, script, tmp_path)
    assert ticks(out)[0] == [1], out
    assert "  skipped: goal 2, Pipeline a transaction: MAIL, RCPT and DATA sent before their replies came" in out


def test_lesson_9_bdat(tmp_path):
    script = transaction("BDAT 7", "Hello", "BDAT 7 LAST", "World")
    out = play(9, script, tmp_path)
    assert_complete(out, 3)
    # The last lesson names no next one.
    assert "Next: /lesson" not in out


def test_lesson_9_one_chunk_is_not_two(tmp_path):
    script = transaction("BDAT 7 LAST", "Hello")
    out = play(9, script, tmp_path)
    assert ticks(out)[0] == [1, 2], out
    assert "— ended: 2 of 3 goals reached" in out


def test_lesson_alone_lists_the_built_in_lessons(tmp_path):
    status, out, err = run_ehlo("--practice", "--lesson", script="QUIT\n", home=tmp_path)
    assert status == 0, out + err
    lines = out.splitlines()
    assert lines[0].startswith("Lessons (ehlo --practice --lesson N")
    for number, title in [(1, "A whole mail transaction"), (5, "Greylisting"), (9, "BDAT")]:
        assert any(line.startswith(f"  {number}  {title}") for line in lines[1:10]), out


def test_an_unknown_lesson_number_is_a_usage_error(tmp_path):
    status, out, err = run_ehlo("--practice", "--lesson", "99", home=tmp_path)
    assert status == 64
    assert "there is no lesson 99: the built-in lessons are 1 to 9" in err


def test_console_commands_start_hint_and_end_a_lesson(tmp_path):
    script = """\
/lesson
/hint
/lesson 3
/hint
/hint
/hint
EHLO me.test
DATA
.
/lesson off
/lesson 4
QUIT
"""
    status, out, err = run_ehlo("--practice", "--explain", "off", script=script, home=tmp_path)
    assert status == 0, out + err
    assert "no lesson is running: /lesson lists them, /lesson N starts one" in out + err
    assert "Lesson 3: Commands in order, and the 503 (RFC 5321 §4.1.4 and §4.3.2)" in out
    assert ("Hint for goal 1 (Send DATA too early, before any recipient, and read the 503), 1 of 2: "
            "After EHLO, type DATA straight away.") in out
    assert "Hint for goal 1 (Send DATA too early, before any recipient, and read the 503), 2 of 2 (the last one)" in out
    assert "✔ goal 1 of 3: Send DATA too early, before any recipient, and read the 503" in out
    assert "Lesson 3: Commands in order, and the 503 — ended: 1 of 3 goals reached, 2 hints used." in out
    assert "(The goals count from now on, in this connection.)" in out
    # Lesson 4 started and ended with the session.
    assert "Lesson 4: Dot-stuffing — ended: 0 of 3 goals reached, no hints used." in out


TEACHER_LESSON = """\
# A teacher's lesson: VRFY and EXPN.
Title: Asking about addresses
Reference: RFC 5321 §3.5
Text: VRFY asks whether a mailbox exists; EXPN asks who is on a list.

Goal: verify
Say: Verify the student's mailbox with VRFY
Check: reply code=250 after=VRFY argument=student
Hint: VRFY student

Goal: list
Say: Expand the class list
Check: reply code=250 after=EXPN
Requires: verify
Hint: EXPN class
"""


def test_a_teachers_lesson_file(tmp_path):
    lesson = tmp_path / "vrfy.lesson"
    lesson.write_text(TEACHER_LESSON)
    out_status, out, err = run_ehlo("--practice", "--explain", "off", "--lesson", str(lesson),
                                    script="EHLO me.test\nEXPN class\nVRFY student\nEXPN class\nQUIT\n", home=tmp_path)
    assert out_status == 0, out + err
    assert out.splitlines()[0] == "Lesson: Asking about addresses (RFC 5321 §3.5)"
    # The first EXPN comes before its required goal: only the second counts.
    assert ticks(out)[0] == [1, 2], out
    lines = out.splitlines()
    tick = lines.index("✔ goal 2 of 2: Expand the class list")
    assert lines.index("✔ goal 1 of 2: Verify the student's mailbox with VRFY") < tick
    assert "Lesson: Asking about addresses — complete: all 2 goals reached, no hints used." in out


def test_a_malformed_lesson_file_names_its_line(tmp_path):
    lesson = tmp_path / "bad.lesson"
    lesson.write_text(TEACHER_LESSON.replace("Check: reply code=250 after=EXPN", "Check: replay code=250 after=EXPN"))
    status, out, err = run_ehlo("--practice", "--lesson", str(lesson), home=tmp_path)
    assert status == 64, out + err
    assert err.startswith(f"ehlo: {lesson}:13: unknown goal kind \"replay\"; the kinds are reply, command, dot-line,")
    # Nothing ran.
    assert "S: 220" not in out


def test_a_lesson_file_with_an_unknown_key_or_code(tmp_path):
    lesson = tmp_path / "bad.lesson"
    lesson.write_text(TEACHER_LESSON.replace("code=250 after=VRFY", "cod=250 after=VRFY"))
    status, _, err = run_ehlo("--practice", "--lesson", str(lesson), home=tmp_path)
    assert status == 64
    assert f"{lesson}:8: reply takes the keys code, enhanced, text, after, argument, before, tls, not \"cod\"" in err
    lesson.write_text(TEACHER_LESSON.replace("code=250 after=VRFY", "code=250 after=VRFYY"))
    status, _, err = run_ehlo("--practice", "--lesson", str(lesson), home=tmp_path)
    assert f"{lesson}:8: VRFYY is not an SMTP verb ehlo knows" in err


def test_a_missing_lesson_file(tmp_path):
    status, _, err = run_ehlo("--practice", "--lesson", str(tmp_path / "none.lesson"), home=tmp_path)
    assert status == 64
    assert f"cannot read the lesson file {tmp_path / 'none.lesson'}: No such file or directory" in err


def test_lesson_from_the_installed_binary_needs_no_repository(tmp_path):
    # The built-in lessons are compiled in: run the binary from a directory with no lessons/ folder.
    completed = subprocess.run([ehlo_binary(), "--no-history", "--practice", "--explain", "off", "--lesson", "4"],
                               input=b"QUIT\n", capture_output=True, timeout=RUN_TIMEOUT, cwd=tmp_path,
                               env=dict(os.environ, NO_COLOR="1", HOME=str(tmp_path)))
    assert completed.returncode == 0
    assert completed.stdout.decode().startswith("Lesson 4: Dot-stuffing (RFC 5321 §4.5.2)")


def test_a_lesson_at_a_terminal(term):
    """Typed at a real terminal: the ✔ lines come with the replies, /hint answers at once."""
    term.start("--no-history", "--practice", "--lesson", "4")
    term.wait_text("Lesson 4: Dot-stuffing (RFC 5321 §4.5.2)")
    term.wait_last_line("ehlo 127.0.0.1 [greeted]>")
    term.type("/hint")
    term.send("Enter")
    term.wait_text("Hint for goal 1 (Get DATA's 354: the server is ready for the message), 1 of 1: EHLO")
    for line in ["EHLO me.test", "MAIL FROM:<you@example.test>", "RCPT TO:<student@practice.test>", "DATA"]:
        term.type(line)
        term.send("Enter")
    term.wait_text("✔ goal 1 of 3: Get DATA's 354: the server is ready for the message")
    term.wait_last_line("data>")
    for line in [".hello", "."]:
        term.type(line)
        term.send("Enter")
    term.wait_text("✔ goal 3 of 3: End the message and get 250: the server stored .hello with one dot")
    screen = term.screen()
    assert "✔ goal 2 of 3: Type a message line that starts with a dot: it goes out with two" in screen
    assert "Lesson 4: Dot-stuffing — complete: all 3 goals reached, 1 hint used." in screen
    term.type("/quit")
    term.send("Enter")
    term.wait_exit()
