"""`--transcript FILE`, `/record`: what ehlo writes while a session runs, and how it copes.

Every test records a real session (the aiosmtpd MTA of mta.py, `ehlo serve`, or a scripted
server on 127.0.0.1) and then reads the file back: its format (text or JSON Lines), the exact
wire lines in it, that it survives SIGTERM and SIGKILL, that it never overwrites a file, that a
transcript that cannot be written does not stop the session, and that secrets stay out of it.
"""

import base64
import calendar
import json
import os
import re
import select
import shutil
import signal
import subprocess
import time

import pytest

from conftest import RUN_TIMEOUT
from practice_fixtures import practice_server  # noqa: F401 (a fixture)

RFC3339_MS = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"
PLAIN_PREFIXES = ("C: ", "S: ", "#  ", "*  ", "!  ")
EXIT_TRANSCRIPT_FAILED = 73

# A message whose lines need dot-stuffing on the wire.
MESSAGE = ["Subject: transcript test", "", "first line", ".leading dot", "..two dots", "last line", "."]


# --------------------------------------------------------------------------------------------
# Helpers


def ehlo_version(ehlo_bin):
    return subprocess.run([ehlo_bin, "--version"], capture_output=True, timeout=RUN_TIMEOUT,
                          check=True).stdout.decode().strip()


def script(*lines):
    return "\n".join(lines) + "\n"


def unescape(text):
    """The bytes behind ehlo's visible form: \\\\ \\t \\n \\r \\e \\0 \\xHH (VisibleText.unescape)."""
    data = text.encode("utf-8")
    simple = {ord("\\"): 0x5C, ord("t"): 0x09, ord("n"): 0x0A, ord("r"): 0x0D, ord("e"): 0x1B, ord("0"): 0x00}
    out = bytearray()
    index = 0
    while index < len(data):
        byte = data[index]
        if byte != 0x5C or index + 1 >= len(data):
            out.append(byte)
            index += 1
            continue
        escape = data[index + 1]
        if escape in simple:
            out.append(simple[escape])
            index += 2
        elif escape == ord("x") and index + 3 < len(data):
            out.append(int(data[index + 2:index + 4], 16))
            index += 4
        else:
            out += data[index:index + 2]
            index += 2
    return bytes(out)


def read_jsonl(path):
    """Every line of a JSON Lines file, parsed; fails the test on the first line that does not parse."""
    events = []
    raw = path.read_bytes()
    assert raw.endswith(b"\n"), f"{path} does not end with a newline: {raw[-200:]!r}"
    for number, line in enumerate(raw.decode("utf-8").splitlines(), 1):
        try:
            event = json.loads(line)
        except json.JSONDecodeError as error:
            pytest.fail(f"{path} line {number} is not JSON ({error}): {line!r}")
        assert isinstance(event, dict), (number, line)
        events.append(event)
    return events


def check_with_jq(path):
    """When jq is installed, it must read every line too."""
    jq = shutil.which("jq")
    if jq is None:
        return
    lines = path.read_text().splitlines()
    run = subprocess.run([jq, "-c", "."], stdin=open(path, "rb"), capture_output=True, timeout=RUN_TIMEOUT)
    assert run.returncode == 0, run.stderr.decode()
    assert len(run.stdout.decode().splitlines()) == len(lines)


def text_lines(path):
    """The lines of a text transcript; it must end with a newline and hold only plain-form lines."""
    raw = path.read_bytes()
    assert raw.endswith(b"\n"), f"{path} does not end with a newline: {raw[-200:]!r}"
    lines = raw.decode("utf-8").split("\n")[:-1]
    for line in lines:
        assert line.startswith(PLAIN_PREFIXES), f"not a plain-form line in {path}: {line!r}"
    return lines


def text_lines_any(path):
    """The lines of a text transcript that may carry timestamps; it must end with a newline."""
    raw = path.read_bytes()
    assert raw.endswith(b"\n"), raw[-200:]
    return raw.decode("utf-8").split("\n")[:-1]


def header_pattern(version, port, secrets="secrets redacted"):
    return re.compile(
        rf"^\*  ehlo {re.escape(version)} transcript of 127\.0\.0\.1:{port}, started ({RFC3339_MS}), "
        + re.escape(secrets) + "$")


def assert_in_order(haystack, needles):
    position = -1
    for needle in needles:
        assert needle in haystack[position + 1:], f"{needle!r} missing (in order) from {haystack}"
        position = haystack.index(needle, position + 1)


def assert_no_raw_control_bytes(path):
    raw = path.read_bytes()
    bad = [byte for byte in raw if (byte < 0x20 and byte != 0x0A) or byte == 0x7F]
    assert not bad, f"raw control bytes {bad} in {path}"


# --------------------------------------------------------------------------------------------
# Text format


def test_text_transcript_is_the_screen_after_a_header(mta, run_script, ehlo_bin, tmp_path):
    port, maildir = mta
    path = tmp_path / "session.txt"
    run = run_script(port, script("EHLO client.test", "MAIL FROM:<alice@client.test>",
                                  "RCPT TO:<bob@mta.test>", "RCPT TO:<nobody@mta.test>", "DATA",
                                  *MESSAGE, "QUIT"),
                     "--transcript", str(path))
    assert run.returncode == 0, run
    lines = text_lines(path)

    match = header_pattern(ehlo_version(ehlo_bin), port).match(lines[0])
    assert match, lines[0]
    started = calendar.timegm(time.strptime(match.group(1)[:19], "%Y-%m-%dT%H:%M:%S"))
    assert abs(started - time.time()) < 120, match.group(1)

    # The rest is exactly what the screen showed (script mode, no colour), in the same order.
    assert lines[1:] == run.lines, (lines, run)

    # Each kind of line is there: events, wire lines, annotations.
    assert lines[1].startswith("*  connected to 127.0.0.1")
    assert "S: 220 mta.test aiosmtpd test MTA" in lines
    assert "C: RCPT TO:<nobody@mta.test>" in lines
    refused = lines.index("S: 550 5.1.1 <nobody@mta.test>: Recipient address rejected: User unknown")
    assert lines[refused + 1].startswith("#  550 "), lines[refused:refused + 3]
    assert any(line.startswith("#  5.1.1 ") for line in lines[refused:refused + 4])
    assert lines[-1] == "*  connection closed"
    assert (maildir / "1.eml").exists()


def test_message_lines_are_recorded_dot_stuffed_as_sent(mta, run_script, tmp_path):
    port, maildir = mta
    path = tmp_path / "session.txt"
    run = run_script(port, script("EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<bob@mta.test>",
                                  "DATA", *MESSAGE, "QUIT"),
                     "--transcript", str(path))
    assert run.returncode == 0, run
    lines = text_lines(path)
    start = lines.index("C: DATA")
    sent = [line for line in lines[start + 1:] if line.startswith("C: ")]
    assert sent[:len(MESSAGE)] == ["C: Subject: transcript test", "C: ", "C: first line", "C: ..leading dot",
                                   "C: ...two dots", "C: last line", "C: ."], lines
    # ... which is what went over the wire: the MTA got the unstuffed message.
    body = (maildir / "1.eml").read_bytes()
    assert b"\r\n.leading dot\r\n..two dots\r\n" in body, body


def test_annotations_off_keeps_the_header_and_the_wire_lines(mta, run_script, tmp_path, ehlo_bin):
    port, _ = mta
    path = tmp_path / "bare.txt"
    run = run_script(port, script("EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<nobody@mta.test>",
                                  "AUTH PLAIN AGEAYg==", "QUIT"),
                     "--transcript", str(path), "--no-annotations")
    assert run.returncode == 0, run
    lines = text_lines(path)
    assert header_pattern(ehlo_version(ehlo_bin), port).match(lines[0]), lines[0]
    assert all(line.startswith(("C: ", "S: ")) for line in lines[1:]), lines
    # The screen still had annotations and a warning (AUTH not advertised); the file does not.
    assert any(line.startswith("#  ") for line in run.lines)
    assert any(line.startswith("!  ") for line in run.lines)
    assert "C: RCPT TO:<nobody@mta.test>" in lines
    assert "S: 221 Bye" in lines


def test_absolute_timestamps_prefix_every_line(mta, run_script, tmp_path, ehlo_bin):
    port, _ = mta
    path = tmp_path / "abs.txt"
    run = run_script(port, script("EHLO client.test", "NOOP", "QUIT"),
                     "--transcript", str(path), "--timestamps", "absolute")
    assert run.returncode == 0, run
    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    stamps = []
    for line in raw.decode().split("\n")[:-1]:
        match = re.match(rf"^({RFC3339_MS}) (.*)$", line)
        assert match, line
        assert match.group(2).startswith(PLAIN_PREFIXES), line
        stamps.append(match.group(1))
    assert stamps == sorted(stamps), stamps
    header = raw.decode().split("\n")[0].split(" ", 1)[1]
    assert header_pattern(ehlo_version(ehlo_bin), port).match(header), header


def test_relative_timestamps_carry_each_replys_latency(scripted_server, run_script, tmp_path):
    server = scripted_server([
        ("send", b"220 slow.test ESMTP\r\n"),
        ("expect", b"EHLO"), ("send", b"250-slow.test\r\n250 8BITMIME\r\n"),
        ("expect", b"MAIL"), ("sleep", 0.5), ("send", b"250 2.1.0 OK\r\n"),
        ("expect", b"QUIT"), ("send", b"221 2.0.0 bye\r\n"), ("close",),
    ])
    path = tmp_path / "rel.txt"
    run = run_script(server.port, script("EHLO client.test", "MAIL FROM:<a@client.test>", "QUIT"),
                     "--transcript", str(path), "--timestamps", "relative")
    assert run.returncode == 0, run
    server.assert_ok()
    pattern = re.compile(r"^\+(\d+\.\d{3})s (?:\((\d+\.\d{3})s\) )?(.*)$")
    parsed = []
    for line in text_lines_any(path):
        match = pattern.match(line)
        assert match, line
        assert match.group(3).startswith(PLAIN_PREFIXES), line
        parsed.append((float(match.group(1)), match.group(2), match.group(3)))
    assert parsed[0][0] == 0.0 and parsed[0][2].startswith("*  ehlo "), parsed[0]
    elapsed = [entry[0] for entry in parsed]
    assert elapsed == sorted(elapsed), elapsed
    # The first line of each reply has its latency; further lines of a multiline reply do not.
    by_text = {entry[2]: entry for entry in parsed}
    assert by_text["S: 250-slow.test"][1] is not None
    assert by_text["S: 250 8BITMIME"][1] is None
    assert by_text["S: 220 slow.test ESMTP"][1] is not None
    mail_latency = float(by_text["S: 250 2.1.0 OK"][1])
    assert 0.4 <= mail_latency < 5, parsed
    assert by_text["S: 250 2.1.0 OK"][0] - by_text["C: MAIL FROM:<a@client.test>"][0] >= 0.4
    # Client lines and annotations have no latency.
    assert by_text["C: MAIL FROM:<a@client.test>"][1] is None


# --------------------------------------------------------------------------------------------
# JSON Lines


def test_jsonl_has_one_object_per_event(mta, run_script, tmp_path, ehlo_bin):
    port, _ = mta
    path = tmp_path / "session.jsonl"
    run = run_script(port, script("EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<nobody@mta.test>",
                                  "RCPT TO:<bob@mta.test>", "DATA", *MESSAGE, "QUIT"),
                     "--transcript", str(path))
    assert run.returncode == 0, run
    events = read_jsonl(path)
    check_with_jq(path)

    for event in events:
        assert re.fullmatch(RFC3339_MS, event.get("time", "")), event
        assert event["type"] in {"header", "client", "reply", "annotation", "event", "warning"}, event
    times = [event["time"] for event in events]
    assert times == sorted(times)

    header = events[0]
    assert header["type"] == "header", header
    assert header["server"] == f"127.0.0.1:{port}"
    assert header["ehlo"] == ehlo_version(ehlo_bin)
    assert header["redacted"] is True
    assert [event for event in events if event["type"] == "header"] == [header]

    replies = [event for event in events if event["type"] == "reply"]
    for reply in replies:
        assert isinstance(reply["code"], int), reply
        assert isinstance(reply["lines"], list) and reply["lines"], reply
        assert reply["lines"][-1].startswith(str(reply["code"]) + " "), reply
        assert isinstance(reply["meaning"], str) and reply["meaning"], reply
        assert isinstance(reply.get("answers"), str) and reply["answers"], reply
        assert isinstance(reply.get("latencyMs"), int) and reply["latencyMs"] >= 0, reply

    # A multiline reply is one object.
    ehlo_reply = next(reply for reply in replies if reply["answers"] == "EHLO")
    assert ehlo_reply["lines"][0] == "250-mta.test" and ehlo_reply["lines"][-1] == "250 HELP"

    # The refused recipient: code, enhanced code, both meanings, the command it answers.
    refused = next(reply for reply in replies if reply["code"] == 550)
    assert refused["answers"] == "RCPT"
    assert refused["enhanced"] == "5.1.1"
    assert "mailbox" in refused["enhancedMeaning"].lower(), refused
    assert refused["lines"] == ["550 5.1.1 <nobody@mta.test>: Recipient address rejected: User unknown"]

    # Each client line is followed by the reply that answers it.
    order = [(event["type"], event.get("line") or event.get("answers")) for event in events
             if event["type"] in ("client", "reply")]
    assert ("client", "MAIL FROM:<a@client.test>") in order
    index = order.index(("client", "MAIL FROM:<a@client.test>"))
    assert order[index + 1] == ("reply", "MAIL"), order
    # Message lines are client events too, dot-stuffed.
    client_lines = [event["line"] for event in events if event["type"] == "client"]
    assert "..leading dot" in client_lines and "...two dots" in client_lines and "." in client_lines
    assert [reply["code"] for reply in replies] == [220, 250, 250, 550, 250, 354, 250, 221]

    jq = shutil.which("jq")
    if jq:
        codes = subprocess.run([jq, 'select(.type == "reply") | .code', str(path)], capture_output=True,
                               timeout=RUN_TIMEOUT)
        assert codes.stdout.decode().split() == ["220", "250", "250", "550", "250", "354", "250", "221"]


@pytest.mark.parametrize("name, options, expected", [
    ("by-name.jsonl", [], "jsonl"),
    ("by-option.txt", ["--transcript-format", "jsonl"], "jsonl"),
    ("forced-text.jsonl", ["--transcript-format", "text"], "text"),
    ("plain.log", [], "text"),
])
def test_format_follows_the_option_or_the_name(mta, run_script, tmp_path, name, options, expected):
    port, _ = mta
    path = tmp_path / name
    run = run_script(port, script("EHLO client.test", "QUIT"), "--transcript", str(path), *options)
    assert run.returncode == 0, run
    if expected == "jsonl":
        events = read_jsonl(path)
        assert events[0]["type"] == "header"
        assert {"client", "reply"} <= {event["type"] for event in events}
    else:
        lines = text_lines(path)
        assert lines[0].startswith("*  ehlo ") and "C: EHLO client.test" in lines


def test_jsonl_without_annotations_keeps_header_client_and_reply(mta, run_script, tmp_path):
    port, _ = mta
    path = tmp_path / "bare.jsonl"
    run = run_script(port, script("EHLO client.test", "AUTH PLAIN AGEAYg==", "QUIT"),
                     "--transcript", str(path), "--no-annotations")
    assert run.returncode == 0, run
    events = read_jsonl(path)
    assert {event["type"] for event in events} == {"header", "client", "reply"}, events


# --------------------------------------------------------------------------------------------
# /record in a script


def test_record_and_record_off_in_a_script(mta, run_script, tmp_path, ehlo_bin):
    port, _ = mta
    first = tmp_path / "part.txt"
    second = tmp_path / "rest.jsonl"
    run = run_script(port, script(
        "EHLO client.test",
        f"/record {first}",
        "MAIL FROM:<a@client.test>",
        "/record off",
        "RCPT TO:<bob@mta.test>",
        f"/record {second}",
        "RCPT TO:<nobody@mta.test>",
        "QUIT",
    ))
    assert run.returncode == 0, run

    lines = text_lines(first)
    assert header_pattern(ehlo_version(ehlo_bin), port).match(lines[0]), lines[0]
    assert "C: EHLO client.test" not in lines
    assert_in_order(lines, ["C: MAIL FROM:<a@client.test>", "S: 250 OK"])
    assert lines[-1] == f"*  transcript {first} ends here", lines
    assert not any("bob@" in line or "nobody@" in line for line in lines)

    events = read_jsonl(second)
    assert events[0]["type"] == "header" and events[0]["server"] == f"127.0.0.1:{port}"
    client = [event["line"] for event in events if event["type"] == "client"]
    assert client == ["RCPT TO:<nobody@mta.test>", "QUIT"], events
    assert [event["code"] for event in events if event["type"] == "reply"] == [550, 221]


def test_record_to_another_file_says_where_it_continues(mta, run_script, tmp_path):
    port, _ = mta
    first = tmp_path / "one.txt"
    second = tmp_path / "two.txt"
    run = run_script(port, script("EHLO client.test", f"/record {second}", "NOOP", "QUIT"),
                     "--transcript", str(first))
    assert run.returncode == 0, run
    one = text_lines(first)
    assert "C: EHLO client.test" in one and "C: NOOP" not in one
    assert one[-1] == f"*  transcript continues in {second}", one
    two = text_lines(second)
    assert two[0].startswith("*  ehlo ") and "C: NOOP" in two and "C: EHLO client.test" not in two


# --------------------------------------------------------------------------------------------
# Exact wire lines: escapes that can be undone


# A greeting and an EHLO reply with everything a terminal must not get raw: bytes that are not
# UTF-8, ESC sequences, a backslash, a tab, DEL, a C1 control, a bidi override, NUL before a digit,
# and a CR in the middle of a line.
HOSTILE_GREETING = (b"220 weird\xff\xfe host \x1b[31mred\x1b[0m back\\slash tab\there del\x7f"
                    b" c1\xc2\x85 bidi\xe2\x80\xae nul\x001 cr\rmid \xc3\xa9t\xc3\xa9")
HOSTILE_EHLO = [b"250-weird.test \xed\xa0\x80 surrogate \xc0\xaf overlong", b"250 \\x41 not an escape \x07"]


@pytest.mark.parametrize("name", ["hostile.txt", "hostile.jsonl"])
def test_server_bytes_are_escaped_reversibly(scripted_server, run_script, tmp_path, name):
    server = scripted_server([
        ("send", HOSTILE_GREETING + b"\r\n"),
        ("expect", b"EHLO"), ("send", b"".join(line + b"\r\n" for line in HOSTILE_EHLO)),
        ("expect", b"QUIT"), ("send", b"221 bye\r\n"), ("close",),
    ])
    path = tmp_path / name
    run = run_script(server.port, script("EHLO client.test", "QUIT"), "--transcript", str(path))
    server.assert_ok()
    assert run.returncode == 0, run
    assert_no_raw_control_bytes(path)
    if name.endswith(".jsonl"):
        replies = [event for event in read_jsonl(path) if event["type"] == "reply"]
        recorded = [line for reply in replies for line in reply["lines"]]
    else:
        recorded = [line[3:] for line in text_lines(path) if line.startswith("S: ")]
    assert [unescape(line) for line in recorded] == [HOSTILE_GREETING, *HOSTILE_EHLO, b"221 bye"], recorded
    # Spot checks of the visible form.
    assert "\\xff\\xfe" in recorded[0] and "\\e[31m" in recorded[0] and "back\\\\slash" in recorded[0]
    assert "nul\\01 " in recorded[0], recorded[0]


def test_client_control_characters_are_recorded_as_sent(scripted_server, run_script, tmp_path):
    server = scripted_server([
        ("send", b"220 ok\r\n"),
        ("read",), ("send", b"250 ok\r\n"),
        ("expect", b"QUIT"), ("send", b"221 bye\r\n"), ("close",),
    ])
    path = tmp_path / "client.txt"
    line = "NOOP a\\b\tc\x1b[1m \u00e9 \\x41"
    run = run_script(server.port, script(line, "QUIT"), "--transcript", str(path))
    server.assert_ok()
    assert run.returncode == 0, run
    assert_no_raw_control_bytes(path)
    sent = [entry[3:] for entry in text_lines(path) if entry.startswith("C: ")]
    assert sent[0] == "NOOP a\\\\b\\tc\\e[1m \u00e9 \\\\x41", sent
    assert unescape(sent[0]) == server.received[0], (sent, server.received)


def test_control_characters_in_an_unknown_verb_stay_escaped_everywhere(mta, run_script, tmp_path):
    """The C: line is escaped; the annotation that names the command must be too (a text
    transcript holds no raw ESC or BEL, and `ehlo replay` prints these annotations on a terminal)."""
    port, _ = mta
    path = tmp_path / "verb.txt"
    run = run_script(port, script("EHLO client.test", "X\x1b]0;owned\x07Y arg", "QUIT"), "--transcript", str(path))
    assert run.returncode == 0, run
    assert "C: X\\e]0;owned\\x07Y arg" in text_lines_any(path)
    assert_no_raw_control_bytes(path)
    # The screen gets no raw ESC either.
    assert b"\x1b" not in run.stdout_bytes, run


# --------------------------------------------------------------------------------------------
# Durability: SIGTERM and SIGKILL in the middle of a session


class LiveConsole:
    """ehlo in script mode with a stdin pipe that stays open, so the test decides when it stops."""

    def __init__(self, ehlo_bin, tmp_path, port, *options):
        environment = dict(os.environ, HOME=str(tmp_path), NO_COLOR="1", TERM="dumb",
                           XDG_STATE_HOME=str(tmp_path / "state"))
        self.process = subprocess.Popen(
            [ehlo_bin, "--color", "never", "--no-history", *options, f"127.0.0.1:{port}"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=environment,
            cwd=str(tmp_path), start_new_session=True)
        self.output = b""

    def send(self, line):
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

    def wait_for(self, text, timeout=10):
        """Reads the console's output until `text` is on a line of its own."""
        deadline = time.monotonic() + timeout
        while text not in self.output.decode("utf-8", "replace").split("\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{text!r} not shown within {timeout}s:\n{self.output.decode(errors='replace')}")
            ready, _, _ = select.select([self.process.stdout], [], [], min(remaining, 0.2))
            if ready:
                chunk = os.read(self.process.stdout.fileno(), 65536)
                if not chunk:
                    shown = self.output.decode(errors="replace")
                    raise AssertionError(f"ehlo exited before showing {text!r}:\n{shown}")
                self.output += chunk

    def kill(self, signal_number):
        self.process.send_signal(signal_number)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
            raise AssertionError(f"ehlo ignored signal {signal_number}")
        return self.process.returncode

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


@pytest.fixture
def live_console(ehlo_bin, tmp_path):
    consoles = []

    def start(port, *options):
        console = LiveConsole(ehlo_bin, tmp_path, port, *options)
        consoles.append(console)
        return console

    yield start
    for console in consoles:
        console.close()


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
@pytest.mark.parametrize("name", ["killed.txt", "killed.jsonl"])
def test_a_killed_session_leaves_a_complete_transcript(mta, live_console, tmp_path, signal_number, name):
    port, _ = mta
    path = tmp_path / name
    console = live_console(port, "--transcript", str(path))
    console.send("EHLO client.test")
    console.send("MAIL FROM:<a@client.test>")
    console.wait_for("S: 250 OK")
    # The next command shown proves that everything before it has been handled (and recorded).
    console.send("RCPT TO:<bob@mta.test>")
    console.wait_for("S: 250 2.1.5 OK")
    assert console.kill(signal_number) == -signal_number

    if name.endswith(".jsonl"):
        events = read_jsonl(path)
        check_with_jq(path)
        assert events[0]["type"] == "header"
        client = [event["line"] for event in events if event["type"] == "client"]
        assert client[:3] == ["EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<bob@mta.test>"], events
        answered = [event["answers"] for event in events if event["type"] == "reply"]
        assert answered[:3] == ["greeting", "EHLO", "MAIL"], events
    else:
        lines = text_lines(path)
        assert lines[0].startswith("*  ehlo ")
        assert_in_order(lines, ["S: 220 mta.test aiosmtpd test MTA", "C: EHLO client.test", "S: 250 HELP",
                                "C: MAIL FROM:<a@client.test>", "S: 250 OK", "C: RCPT TO:<bob@mta.test>"])
        # Everything the screen showed up to the RCPT line is in the file, in the same order.
        shown = console.output.decode().split("\n")
        upto = shown[:shown.index("C: RCPT TO:<bob@mta.test>") + 1]
        assert lines[1:len(upto) + 1] == upto, (lines, upto)


@pytest.mark.parametrize("name", ["waiting.txt", "waiting.jsonl"])
def test_sigkill_while_waiting_for_a_reply_keeps_the_command(scripted_server, live_console, tmp_path, name):
    server = scripted_server([
        ("send", b"220 slow.test ESMTP\r\n"),
        ("expect", b"EHLO"), ("send", b"250 slow.test\r\n"),
        ("expect", b"MAIL"), ("sleep", 20),
    ])
    path = tmp_path / name
    console = live_console(server.port, "--transcript", str(path))
    console.send("EHLO client.test")
    console.send("MAIL FROM:<a@client.test>")
    console.wait_for("C: MAIL FROM:<a@client.test>")
    assert console.kill(signal.SIGKILL) == -signal.SIGKILL
    if name.endswith(".jsonl"):
        events = read_jsonl(path)
        assert (events[-1]["type"], events[-1]["line"]) == ("client", "MAIL FROM:<a@client.test>"), events
    else:
        lines = text_lines(path)
        assert lines[-1] == "C: MAIL FROM:<a@client.test>", lines


# --------------------------------------------------------------------------------------------
# Never overwrite; failures reported, the session goes on


def test_an_existing_transcript_is_never_overwritten(mta, run_script, tmp_path):
    port, maildir = mta
    path = tmp_path / "old.txt"
    path.write_bytes(b"last month's session\n")
    run = run_script(port, script("EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<bob@mta.test>",
                                  "DATA", "Subject: x", "", "body", ".", "QUIT"),
                     "--transcript", str(path))
    assert run.returncode == EXIT_TRANSCRIPT_FAILED, run
    assert "never overwrites" in run.output, run
    assert path.read_bytes() == b"last month's session\n"
    # The session itself went on.
    assert "S: 221 Bye" in run.lines, run
    assert (maildir / "1.eml").exists()


def test_record_refuses_an_existing_file_too(mta, run_script, tmp_path):
    port, _ = mta
    path = tmp_path / "old.jsonl"
    path.write_bytes(b'{"keep": true}\n')
    run = run_script(port, script("EHLO client.test", f"/record {path}", "NOOP", "QUIT"))
    assert run.returncode == EXIT_TRANSCRIPT_FAILED, run
    assert "never overwrites" in run.output, run
    assert path.read_bytes() == b'{"keep": true}\n'
    assert "S: 221 Bye" in run.lines


@pytest.mark.parametrize("name", ["log.txt", "log.jsonl"])
def test_append_adds_to_an_existing_transcript(mta, run_script, tmp_path, name):
    port, _ = mta
    path = tmp_path / name
    first = run_script(port, script("EHLO first.test", "QUIT"), "--transcript", str(path))
    assert first.returncode == 0, first
    before = path.read_bytes()
    second = run_script(port, script("EHLO second.test", "QUIT"), "--transcript", str(path), "--append")
    assert second.returncode == 0, second
    after = path.read_bytes()
    assert after.startswith(before) and len(after) > len(before)
    if name.endswith(".jsonl"):
        events = read_jsonl(path)
        assert [event["type"] for event in events].count("header") == 2
        assert [event["line"] for event in events if event["type"] == "client"] == [
            "EHLO first.test", "QUIT", "EHLO second.test", "QUIT"]
    else:
        lines = text_lines(path)
        assert sum(line.startswith("*  ehlo ") for line in lines) == 2
        assert_in_order(lines, ["C: EHLO first.test", "C: EHLO second.test"])
        assert after[len(before):].startswith(b"*  ehlo ")


@pytest.mark.parametrize("where", ["missing-directory", "a-directory"])
def test_an_unwritable_transcript_is_reported_at_once_and_the_session_goes_on(mta, run_script, tmp_path, where):
    port, maildir = mta
    if where == "missing-directory":
        path = tmp_path / "no" / "such" / "dir" / "t.txt"
    else:
        path = tmp_path / "adir"
        path.mkdir()
    run = run_script(port, script("EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<bob@mta.test>",
                                  "DATA", "Subject: x", "", "body", ".", "QUIT"),
                     "--transcript", str(path))
    assert run.returncode == EXIT_TRANSCRIPT_FAILED, run
    warnings = [line for line in run.lines if line.startswith("!  ") and str(path) in line]
    assert warnings, run
    # At once: before the connection is even made.
    connected = next(index for index, line in enumerate(run.lines) if line.startswith("*  connected to"))
    assert run.lines.index(warnings[0]) < connected, run
    assert "session goes on" in warnings[0]
    assert "S: 221 Bye" in run.lines
    assert (maildir / "1.eml").exists()
    if where == "missing-directory":
        assert not (tmp_path / "no").exists()


def test_record_to_an_unwritable_path_in_a_script(mta, run_script, tmp_path):
    port, _ = mta
    path = tmp_path / "missing" / "t.txt"
    run = run_script(port, script("EHLO client.test", f"/record {path}", "NOOP", "QUIT"))
    assert run.returncode == EXIT_TRANSCRIPT_FAILED, run
    assert any(line.startswith("!  ") and str(path) in line for line in run.lines), run
    assert "C: NOOP" in run.lines and "S: 221 Bye" in run.lines


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_a_full_disk_is_reported_once_and_the_session_goes_on(mta, run_script):
    port, maildir = mta
    run = run_script(port, script("EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<bob@mta.test>",
                                  "DATA", "Subject: x", "", "body", ".", "NOOP", "QUIT"),
                     "--transcript", "/dev/full", "--append")
    assert run.returncode == EXIT_TRANSCRIPT_FAILED, run
    failures = [line for line in run.output.splitlines() if "/dev/full" in line]
    assert len(failures) == 1, run
    assert "cannot write" in failures[0], failures
    assert "S: 221 Bye" in run.lines
    assert (maildir / "1.eml").exists()


# --------------------------------------------------------------------------------------------
# Secrets


USER, PASSWORD = "alice", "Sup3r-S3cret-pw"
PLAIN_RESPONSE = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
LOGIN_USER = base64.b64encode(USER.encode()).decode()
LOGIN_PASSWORD = base64.b64encode(PASSWORD.encode()).decode()


def assert_no_secret(path, *secrets):
    raw = path.read_bytes()
    for secret in secrets:
        assert secret.encode() not in raw, f"{secret!r} is in {path}:\n{raw.decode(errors='replace')}"


@pytest.mark.parametrize("name", ["auth.txt", "auth.jsonl"])
def test_auth_plain_is_redacted_against_the_mta(mta, run_script, tmp_path, name):
    port, _ = mta
    path = tmp_path / name
    run = run_script(port, script("EHLO client.test", f"AUTH PLAIN {PLAIN_RESPONSE}", "QUIT"),
                     "--transcript", str(path))
    assert run.returncode == 0, run
    assert_no_secret(path, PLAIN_RESPONSE, PASSWORD)
    if name.endswith(".jsonl"):
        events = read_jsonl(path)
        assert "AUTH PLAIN <redacted>" in [event.get("line") for event in events if event["type"] == "client"]
        assert any(event["type"] == "reply" and event["answers"] == "AUTH" for event in events)
    else:
        lines = text_lines(path)
        assert "C: AUTH PLAIN <redacted>" in lines
        index = lines.index("C: AUTH PLAIN <redacted>")
        assert any(line.startswith("S: 5") for line in lines[index + 1:index + 3]), lines


@pytest.mark.parametrize("name", ["clear.txt", "clear.jsonl"])
def test_no_redact_records_secrets_and_says_so(mta, run_script, tmp_path, ehlo_bin, name):
    port, _ = mta
    path = tmp_path / name
    run = run_script(port, script("EHLO client.test", f"AUTH PLAIN {PLAIN_RESPONSE}", "QUIT"),
                     "--transcript", str(path), "--no-redact")
    assert run.returncode == 0, run
    assert PLAIN_RESPONSE.encode() in path.read_bytes()
    assert "<redacted>" not in path.read_text()
    if name.endswith(".jsonl"):
        events = read_jsonl(path)
        assert events[0]["redacted"] is False
        assert f"AUTH PLAIN {PLAIN_RESPONSE}" in [event.get("line") for event in events]
    else:
        lines = text_lines(path)
        assert header_pattern(ehlo_version(ehlo_bin), port, "SECRETS NOT REDACTED (--no-redact)").match(lines[0]), \
            lines[0]
        assert f"C: AUTH PLAIN {PLAIN_RESPONSE}" in lines


@pytest.mark.parametrize("name", ["plain.txt", "plain.jsonl"])
def test_auth_plain_success_against_the_practice_server_is_redacted(practice_server, run_script, tmp_path, name):
    server = practice_server("--allow-plain-auth", "--user", f"{USER}:{PASSWORD}")
    path = tmp_path / name
    run = run_script(server.port, script("EHLO client.test", f"AUTH PLAIN {PLAIN_RESPONSE}", "QUIT"),
                     "--transcript", str(path))
    assert run.returncode == 0, run
    assert_no_secret(path, PLAIN_RESPONSE, PASSWORD)
    if name.endswith(".jsonl"):
        events = read_jsonl(path)
        assert "AUTH PLAIN <redacted>" in [event.get("line") for event in events]
        assert 235 in [event.get("code") for event in events]
    else:
        lines = text_lines(path)
        assert_in_order(lines, ["C: AUTH PLAIN <redacted>", "S: 235 2.7.0 Authentication successful"])


@pytest.mark.parametrize("name", ["login.txt", "login.jsonl"])
def test_answers_to_334_challenges_are_redacted(practice_server, run_script, tmp_path, name):
    server = practice_server("--allow-plain-auth", "--user", f"{USER}:{PASSWORD}")
    path = tmp_path / name
    run = run_script(server.port, script("EHLO client.test", "AUTH LOGIN", LOGIN_USER, LOGIN_PASSWORD, "QUIT"),
                     "--transcript", str(path))
    assert run.returncode == 0, run
    # The answer to "Username:" is no secret (draft-murchison-sasl-login §2.1); the password is.
    assert_no_secret(path, LOGIN_PASSWORD, PASSWORD)
    if name.endswith(".jsonl"):
        events = read_jsonl(path)
        wire = [(event["type"], event.get("line") or event.get("code")) for event in events
                if event["type"] in ("client", "reply")]
        start = wire.index(("client", "AUTH LOGIN"))
        assert wire[start:start + 6] == [("client", "AUTH LOGIN"), ("reply", 334), ("client", LOGIN_USER),
                                         ("reply", 334), ("client", "<redacted>"), ("reply", 235)], wire
    else:
        lines = [line for line in text_lines(path) if line.startswith(("C: ", "S: "))]
        start = lines.index("C: AUTH LOGIN")
        assert lines[start:start + 6] == ["C: AUTH LOGIN", "S: 334 VXNlcm5hbWU6", f"C: {LOGIN_USER}",
                                          "S: 334 UGFzc3dvcmQ6", "C: <redacted>",
                                          "S: 235 2.7.0 Authentication successful"], lines


def test_auth_login_with_an_initial_response_shows_the_user_and_succeeds(practice_server, run_script, tmp_path):
    """AUTH LOGIN <base64 user> (RFC 4954 §4 initial response), then the password after 334: the
    user name is shown (draft-murchison-sasl-login §2.1), the password redacted."""
    server = practice_server("--allow-plain-auth", "--user", f"{USER}:{PASSWORD}")
    path = tmp_path / "login-ir.txt"
    run = run_script(server.port, script("EHLO client.test", f"AUTH LOGIN {LOGIN_USER}", LOGIN_PASSWORD, "QUIT"),
                     "--transcript", str(path))
    assert_no_secret(path, LOGIN_PASSWORD, PASSWORD)
    lines = [line for line in text_lines(path) if line.startswith(("C: ", "S: "))]
    start = lines.index(f"C: AUTH LOGIN {LOGIN_USER}")
    assert lines[start:start + 4] == [f"C: AUTH LOGIN {LOGIN_USER}", "S: 334 UGFzc3dvcmQ6", "C: <redacted>",
                                      "S: 235 2.7.0 Authentication successful"], lines
    assert run.returncode == 0, run


def test_auth_typed_with_a_tab_is_still_redacted(scripted_server, run_script, tmp_path):
    """`AUTH<TAB>PLAIN <base64>`: servers that split commands on any white space (Postfix does)
    take this as AUTH, so the initial response is a secret all the same."""
    server = scripted_server([
        ("send", b"220 tabs.test ESMTP\r\n"),
        ("expect", b"EHLO"), ("send", b"250-tabs.test\r\n250 AUTH PLAIN\r\n"),
        ("read",), ("send", b"235 2.7.0 Authentication successful\r\n"),
        ("expect", b"QUIT"), ("send", b"221 bye\r\n"), ("close",),
    ])
    path = tmp_path / "tab.txt"
    run = run_script(server.port, script("EHLO client.test", f"AUTH\tPLAIN {PLAIN_RESPONSE}", "QUIT"),
                     "--transcript", str(path))
    server.assert_ok()
    assert run.returncode == 0, run
    assert server.received[1] == f"AUTH\tPLAIN {PLAIN_RESPONSE}".encode()
    assert_no_secret(path, PLAIN_RESPONSE, PASSWORD)
