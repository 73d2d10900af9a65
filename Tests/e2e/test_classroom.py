"""The classroom side of `ehlo serve`: greylisting with a delay, a certificate a class can
trust (--pin, --cafile) on 127.0.0.1 and ::1, the warnings for open addresses, and the class
view (--dashboard) in real browsers (headless Chromium and Firefox, each test of the page once in
each) while swaks and ehlo run sessions.

Screenshots are kept under $EHLO_ARTEFACTS (default: the test's tmp_path) and their paths printed.
"""

import base64
import hashlib
import json
import os
import re
import socket
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from chromium import REBOUND_NAME, chromium  # noqa: F401  (fixture)
from firefox import browser, firefox  # noqa: F401  (fixtures)
from practice_fixtures import PracticeServer, Wire, practice_server  # noqa: F401

SWAKS_TIMEOUT = 30
PIN_LINE = re.compile(r"^STARTTLS certificate: --pin (sha256:(?:[0-9A-F]{2}:){31}[0-9A-F]{2}) \((.*)\)$")
PEM_LINE = re.compile(r"^STARTTLS certificate in PEM: (\S+) \(for ehlo --cafile\)$")


def artefact(tmp_path, name):
    folder = Path(os.environ.get("EHLO_ARTEFACTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    print(f"screenshot: {path}")
    return path


def greeted(port, host="127.0.0.1", sender="teacher@example.test"):
    wire = Wire(port, host=host)
    assert wire.reply()[0] == 220
    assert wire.command("EHLO laptop.test")[0] == 250
    assert wire.command(f"MAIL FROM:<{sender}>")[0] == 250
    return wire


# --- Greylisting: fail, wait, pass


def test_greylist_refuses_a_retry_before_the_delay_and_passes_one_after(practice_server):
    server = practice_server("--greylist-delay", "2")
    server.wait_for_line(lambda line: line == "greylist@: a retry passes 2 s after the first attempt; forgotten "
                         "when the connection ends")
    wire = greeted(server.port)
    assert wire.command("RCPT TO:<greylist@practice.test>") == (
        450, ["450 4.7.1 <greylist@practice.test>: Greylisted, try again in 2 seconds"])
    code, lines = wire.command("RCPT TO:<greylist@practice.test>")
    assert code == 450 and "retried too soon" in lines[0], lines
    time.sleep(2.2)
    assert wire.command("RCPT TO:<greylist@practice.test>")[0] == 250
    wire.close()


def test_a_new_connection_is_greylisted_afresh_unless_reset_is_never(practice_server):
    forgetting = practice_server("--greylist-delay", "1")
    remembering = practice_server("--greylist-delay", "1", "--greylist-reset", "never")
    for server in (forgetting, remembering):
        wire = greeted(server.port)
        assert wire.command("RCPT TO:<greylist@practice.test>")[0] == 450
        wire.close()
    time.sleep(1.2)
    codes = []
    for server in (forgetting, remembering):
        wire = greeted(server.port)
        codes.append(wire.command("RCPT TO:<greylist@practice.test>")[0])
        wire.close()
    assert codes == [450, 250]
    # The triplet includes the sender (RFC 6647 §2.1): another sender waits again.
    wire = greeted(remembering.port, sender="other@example.test")
    assert wire.command("RCPT TO:<greylist@practice.test>")[0] == 450
    wire.close()


DEMO = """EHLO laptop.test
MAIL FROM:<teacher@example.test>
RCPT TO:<greylist@practice.test>
/expect 450
RCPT TO:<greylist@practice.test>
/expect 250
QUIT
"""


def record_demo(run_ehlo, server, transcript):
    run = run_ehlo("--color", "never", "--no-history", "--transcript", str(transcript), "--transcript-format",
                   "jsonl", f"127.0.0.1:{server.port}", input=DEMO)
    assert run.returncode == 0, run
    codes = [json.loads(line)["code"] for line in transcript.read_text().splitlines()
             if json.loads(line).get("type") == "reply"]
    assert codes == [220, 250, 250, 450, 250, 221], codes
    return codes


def replayed_codes(run_ehlo, server, transcript):
    run = run_ehlo("replay", "--check", "--color", "never", str(transcript), f"127.0.0.1:{server.port}")
    return run, [int(line[3:6]) for line in run.lines if re.match(r"^S: \d{3}[ -]", line)
                 and not line.startswith("S: 250-")]


def test_a_replayed_greylisting_demo_gets_the_same_codes_twice(practice_server, run_ehlo, tmp_path):
    server = practice_server("--greylist-delay", "0")
    transcript = tmp_path / "greylisting.jsonl"
    recorded = record_demo(run_ehlo, server, transcript)
    for _ in range(2):
        run, codes = replayed_codes(run_ehlo, server, transcript)
        assert run.returncode == 0, run
        assert codes == recorded, run


def test_a_server_that_never_forgets_replays_the_demo_differently(practice_server, run_ehlo, tmp_path):
    # What the per-connection reset is for: remembered, the replay's first RCPT already passes.
    server = practice_server("--greylist-delay", "0", "--greylist-reset", "never")
    transcript = tmp_path / "greylisting.jsonl"
    record_demo(run_ehlo, server, transcript)
    run, codes = replayed_codes(run_ehlo, server, transcript)
    assert run.returncode == 6, run
    assert codes[:4] == [220, 250, 250, 250], run


# --- The certificate: --pin and --cafile on 127.0.0.1 and ::1, no --insecure


def started(server):
    pin_line = server.wait_for_line(lambda line: line.startswith("STARTTLS certificate: "))
    pem_line = server.wait_for_line(lambda line: line.startswith("STARTTLS certificate in PEM: "))
    pin, pem = PIN_LINE.match(pin_line), PEM_LINE.match(pem_line)
    assert pin and pem, server.output
    return pin.group(1), pin.group(2), Path(pem.group(1))


@pytest.fixture(scope="module")
def ipv6_available():
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")


@pytest.mark.parametrize("family", ["127.0.0.1", "::1"])
@pytest.mark.parametrize("trust", ["pin", "cafile"])
def test_a_class_trusts_serve_by_pin_or_cafile(practice_server, run_ehlo, tmp_path, family, trust, request):
    if family == "::1":
        request.getfixturevalue("ipv6_available")
    listen = f"[{family}]:0" if ":" in family else f"{family}:0"
    exported = tmp_path / "class.pem"
    server = practice_server("--export-cert", str(exported), listen=listen)
    pin, origin, pem = started(server)
    assert origin == f"generated at start for practice.test, localhost, 127.0.0.1, ::1", server.output
    assert pem == exported and exported.read_text().startswith("-----BEGIN CERTIFICATE-----")
    option = ["--pin", pin] if trust == "pin" else ["--cafile", str(exported)]
    target = f"[{family}]:{server.port}" if ":" in family else f"{family}:{server.port}"
    run = run_ehlo("--color", "never", "--no-history", "--starttls", *option, target, input="QUIT\n")
    assert run.returncode == 0, run
    established = run.lines_starting("*  TLS established: ")
    assert len(established) == 1, run
    assert "verified" in established[0] and "not verified" not in established[0], run
    assert "--insecure" not in run.stdout, run


def test_the_printed_pem_is_the_pinned_certificate_and_is_removed_at_stop(tmp_path):
    server = PracticeServer()
    try:
        pin, _, pem = started(server)
        assert pem.name == f"ehlo-serve-{server.process.pid}.pem"
        der = ssl.PEM_cert_to_DER_cert(pem.read_text())
        digest = hashlib.sha256(der).hexdigest().upper()
        assert pin == "sha256:" + ":".join(digest[i:i + 2] for i in range(0, 64, 2))
    finally:
        server.stop()
    assert not pem.exists()


def test_the_certificate_names_ip_addresses_as_ip_addresses(tmp_path):
    from cryptography import x509
    server = PracticeServer("--export-cert", str(tmp_path / "c.pem"))
    try:
        started(server)
        certificate = x509.load_pem_x509_certificate((tmp_path / "c.pem").read_bytes())
    finally:
        server.stop()
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["practice.test", "localhost"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]


def test_listening_on_every_address_warns_that_it_is_open_to_the_network():
    open_server = PracticeServer(listen="0.0.0.0:0")
    loopback = PracticeServer()
    try:
        open_server.wait_for_line(lambda line: "is open to the network" in line)
        _, origin, _ = started(open_server)
        assert "127.0.0.1" in origin, open_server.output
        started(loopback)
        time.sleep(0.3)
        assert not any("open to the network" in line for line in loopback.lines), loopback.output
    finally:
        open_server.stop()
        loopback.stop()


def test_the_dashboard_refuses_a_public_address_unless_told(run_ehlo):
    refused = run_ehlo("serve", "--listen", "127.0.0.1:0", "--dashboard", "0.0.0.0:0")
    assert refused.returncode == 64, refused
    assert "--dashboard 0.0.0.0:0 is not a loopback address" in refused.stderr, refused


def test_a_public_dashboard_is_served_with_a_loud_warning():
    server = PracticeServer("--dashboard", "0.0.0.0:0", "--dashboard-public")
    try:
        server.wait_for_line(lambda line: line.startswith("ehlo serve: WARNING: the class view on 0.0.0.0:0 shows "
                                                          "every session and message to anyone who can reach it"))
        url = re.match(r"^class view: (http://\S+/) ",
                       server.wait_for_line(lambda line: line.startswith("class view: "))).group(1)
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=10) as response:
            assert json.loads(response.read())["sessions"] == 0
    finally:
        server.stop()


# --- The class view in a real browser


class Dashboard:
    def __init__(self, *args):
        self.server = PracticeServer("--dashboard", "127.0.0.1:0", "--greylist-delay", "0", *args)
        line = self.server.wait_for_line(lambda line: line.startswith("class view: "))
        self.url = re.match(r"^class view: (http://\S+/) ", line).group(1)

    def get(self, path):
        with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=10) as response:
            return response.status, response.headers, response.read()

    def json(self, path):
        return json.loads(self.get(path)[2])

    def stop(self):
        self.server.stop()


@pytest.fixture
def dashboard():
    boards = []

    def start(*args):
        board = Dashboard(*args)
        boards.append(board)
        return board

    yield start
    for board in boards:
        board.stop()


def swaks(port, *args, to="student@practice.test"):
    command = ["swaks", "--server", "127.0.0.1", "--port", str(port), "--from", "alice@example.test",
               "--to", to, "--helo", "swaks.test", "--timeout", "10", *args]
    return subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, timeout=SWAKS_TIMEOUT)


def test_the_page_with_no_sessions(dashboard, browser, tmp_path):
    board = dashboard()
    page = browser.open(board.url)
    page.wait_for("document.body.dataset.live === 'yes'")
    assert page.evaluate("document.querySelectorAll('section.session').length") == 0
    assert "No session yet" in page.evaluate("document.getElementById('no-sessions').textContent")
    assert page.evaluate("document.getElementById('status').textContent") == "live"
    assert board.json("/api/sessions") == [] and board.json("/api/messages") == []
    page.screenshot(artefact(tmp_path, f"dashboard-empty-{browser.name}.png"))


STUDENT_SCRIPT = """EHLO student-laptop.test
STARTTLS
EHLO student-laptop.test
AUTH PLAIN AHN0dWRlbnQAcHJhY3RpY2U=
MAIL FROM:<sam@example.test>
RCPT TO:<greylist@practice.test>
RCPT TO:<teacher@practice.test>
DATA
Subject: from the console

.a line that starts with a dot
.
QUIT
"""
SECRET = "AHN0dWRlbnQAcHJhY3RpY2U="


def test_the_page_shows_sessions_live_with_lines_annotations_and_auth_redacted(dashboard, browser, run_ehlo,
                                                                              tmp_path):
    board = dashboard()
    page = browser.open(board.url)
    page.wait_for("document.body.dataset.live === 'yes'")
    # The page listens before any session starts: what appears below came over the event stream.
    deadline = time.monotonic() + 10
    while board.json("/api/status")["listeners"] < 1:
        assert time.monotonic() < deadline, "the page never subscribed to /api/events"
        time.sleep(0.1)
    assert page.evaluate("document.querySelectorAll('section.session').length") == 0

    sent = swaks(board.server.port, "--auth", "PLAIN", "--auth-user", "student", "--auth-password", "practice",
                 "--tls", "--header", "Subject: from swaks")
    assert sent.returncode == 0, sent.stdout.decode()
    run = run_ehlo("--color", "never", "--no-history", "--insecure", f"127.0.0.1:{board.server.port}",
                   input=STUDENT_SCRIPT)
    assert run.returncode == 0, run

    page.wait_for("document.querySelectorAll('section.session:not(.open)').length === 2", timeout=20)
    page.wait_for("document.querySelectorAll('#messages article.message').length === 2", timeout=20)
    assert page.evaluate("document.getElementById('no-sessions')") is None
    sessions = page.evaluate("""Array.from(document.querySelectorAll('section.session')).map(s => ({
        id: s.dataset.session,
        client: s.querySelectorAll('.step.from-client').length,
        lanes: Array.from(s.querySelectorAll('.lane')).map(l => l.dataset.lane),
        codes: Array.from(s.querySelectorAll('.step.from-server')).map(x => Number(x.dataset.code)),
        wire: Array.from(s.querySelectorAll('pre.wire')).map(p => p.textContent),
        events: Array.from(s.querySelectorAll('.step.event')).map(e => e.textContent),
        notes: Array.from(s.querySelectorAll('.note')).map(n => n.textContent)}))""")
    assert [s["id"] for s in sessions] == ["2", "1"], sessions  # newest first
    console_session, swaks_session = sessions
    for session in sessions:
        assert session["lanes"] == ["client", "server"]
        assert session["codes"][0] == 220 and session["codes"][-1] == 221
        assert session["client"] > 5
    assert console_session["codes"] == [220, 250, 220, 250, 235, 250, 450, 250, 354, 250, 221], console_session
    assert "AUTH PLAIN <redacted>" in console_session["wire"], console_session
    assert "..a line that starts with a dot" in "\n".join(console_session["wire"])
    # The annotations are SMTPCore's, the same words as the console's.
    assert any(note.startswith("450 ") for note in console_session["notes"]), console_session
    assert any(event.startswith("TLS established") for event in console_session["events"]), console_session
    assert any(line.startswith("EHLO swaks.test") for line in swaks_session["wire"]), swaks_session

    # Lesson goals, from what the server saw: the console's 450 from greylist@ ticks the greylisting
    # lesson's first goal, not its second (no retry); the dot-stuffing lesson is complete.
    greylisting = "section.session[data-session='2'] .lesson[data-lesson='5']"
    assert page.evaluate(f"!!document.querySelector(\"{greylisting} .goal.met[data-goal='refused']\")")
    assert page.evaluate(f"!document.querySelector(\"{greylisting} .goal.met[data-goal='retried']\")")
    assert page.evaluate("document.querySelectorAll(\"section.session[data-session='2'] .lesson[data-lesson='4'] "
                         ".goal.met\").length") == 3
    page.wait_for("document.querySelectorAll('#students tr.student').length === 1")
    students = board.json("/api/students")
    assert [student["address"] for student in students] == ["127.0.0.1"] and students[0]["sessions"] == [1, 2]

    html = page.html()
    assert SECRET not in html
    assert "AUTH PLAIN &lt;redacted&gt;" in html
    api = board.get("/api/sessions")[2].decode()
    assert SECRET not in api and "AUTH PLAIN <redacted>" in api
    swaks_auth = base64.b64encode(b"\0student\0practice").decode()
    assert swaks_auth not in html and swaks_auth not in api

    stored = page.evaluate("Array.from(document.querySelectorAll('pre.stored')).map(p => p.textContent)")
    assert any(text.startswith("Return-Path: <sam@example.test>\n") and "\n.a line that starts with a dot\n" in text
               for text in stored), stored
    messages = board.json("/api/messages")
    assert [m["sender"] for m in messages] == ["alice@example.test", "sam@example.test"]
    assert messages[1]["recipients"] == ["teacher@practice.test"]
    assert board.get(f"/api/messages/{messages[1]['id']}/raw")[2].decode() == messages[1]["text"]
    page.screenshot(artefact(tmp_path, f"dashboard-sessions-{browser.name}.png"))


def test_the_event_stream_and_api_for_ci(dashboard):
    board = dashboard()
    request = urllib.request.urlopen(board.url + "api/events", timeout=10)
    assert request.headers["Content-Type"].startswith("text/event-stream")
    assert swaks(board.server.port).returncode == 0
    events = []
    deadline = time.monotonic() + 10
    while not any(line.startswith("event: message") for line in events):
        assert time.monotonic() < deadline, events
        events.append(request.readline().decode().rstrip("\n"))
    request.close()
    assert "event: session" in events and 'data: {"id":1}' in events
    session = board.json("/api/sessions/1")
    assert session["helo"] == "swaks.test" and session["open"] is False
    assert session["replies"][-1] == 221
    steps = [step for step in session["steps"] if step["lane"] == "server"]
    assert all("code" in step and step["notes"] for step in steps), steps
    status, headers, _ = board.get("/")
    assert status == 200 and "script-src 'nonce-" in headers["Content-Security-Policy"]
    try:
        urllib.request.urlopen(urllib.request.Request(board.url + "api/sessions", method="DELETE"), timeout=10)
        raise AssertionError("DELETE was accepted")
    except urllib.error.HTTPError as error:
        assert error.code == 405


def raw_http(port, request):
    """What the class view answers to `request` (bytes, as sent) on a socket of its own."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.decode(), body.decode()


@pytest.mark.parametrize("host, status", [
    ("{ip}:{port}", 200), ("localhost:{port}", 200), ("LOCALHOST:{port}", 200),
    # DNS rebinding: a page of evil.example whose name now resolves to 127.0.0.1.
    ("evil.example:{port}", 421), ("127.0.0.1.evil.example:{port}", 421), ("{ip}:1", 421), ("{ip}", 421),
    (None, 400),
])
def test_only_requests_that_name_the_class_view_are_answered(dashboard, host, status):
    board = dashboard()
    assert swaks(board.server.port).returncode == 0
    port = int(board.url.rstrip("/").rsplit(":", 1)[1])
    header = "" if host is None else "Host: " + host.format(ip="127.0.0.1", port=port) + "\r\n"
    head, body = raw_http(port, f"GET /api/messages HTTP/1.1\r\n{header}Connection: close\r\n\r\n".encode())
    assert head.startswith(f"HTTP/1.1 {status} "), head
    if status == 200:
        assert json.loads(body)[0]["sender"] == "alice@example.test"
    else:
        assert "alice@example.test" not in body and "swaks.test" not in body, body
    if status == 421:
        assert "421 Misdirected Request" in body and "DNS rebinding" in body, body


def test_an_http10_request_without_host_is_answered(dashboard):
    board = dashboard()
    port = int(board.url.rstrip("/").rsplit(":", 1)[1])
    head, body = raw_http(port, b"GET /api/status HTTP/1.0\r\n\r\n")
    assert head.startswith("HTTP/1.0 200 "), head
    assert json.loads(body)["sessions"] == 0


def test_a_page_under_another_name_cannot_read_the_class_view(dashboard, browser):
    """The browser resolves another site's name to loopback (as a DNS rebinding attack makes it):
    the page it loads under that name gets 421, not the class; under its own name it is live."""
    board = dashboard()
    assert swaks(board.server.port).returncode == 0
    port = int(board.url.rstrip("/").rsplit(":", 1)[1])
    foreign = browser.open(f"http://{REBOUND_NAME}:{port}/")
    foreign.wait_for("document.body && document.body.innerText.length > 0")
    text = foreign.evaluate("document.body.innerText")
    assert "421 Misdirected Request" in text and "swaks.test" not in text, text
    own = browser.open(f"http://localhost:{port}/")
    own.wait_for("document.body.dataset.live === 'yes'")
    assert own.evaluate("document.querySelectorAll('section.session').length") == 1


def test_a_client_sending_thousands_of_commands_is_shown_first_and_last(dashboard):
    board = dashboard()
    wire = Wire(board.server.port)
    assert wire.reply()[0] == 220
    wire.send(b"EHLO flood.test\r\n" + b"NOOP\r\n" * 3000 + b"QUIT\r\n")
    codes = [wire.reply()[0] for _ in range(3002)]
    wire.close()
    assert codes[-1] == 221 and codes[:-1] == [250] * 3001
    deadline = time.monotonic() + 10
    while board.json("/api/sessions/1")["open"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    session = board.json("/api/sessions/1")
    assert 100 < len(session["steps"]) <= 301, len(session["steps"])
    assert session["stepsNotShown"] > 5000, session.get("stepsNotShown")
    marker = [step for step in session["steps"] if step["lines"][0].endswith("are)")]
    assert marker and marker[0]["lines"][0].startswith(f"… {session['stepsNotShown']} steps not shown"), marker
    assert session["replies"][-1] == 221
    status, _, page = board.get("/")
    assert status == 200 and f"{session['stepsNotShown']} steps not shown".encode() in page


# --- ehlo render: a handout in the browser


HOSTILE_GREETING = b"220 <script>document.title='owned';window.owned=1</script><img src=x onerror=\"window.owned=2\"> ESMTP\r\n"


def test_render_html_has_both_lanes_every_reply_and_runs_no_server_script(scripted_server, run_ehlo, chromium,
                                                                          tmp_path):
    server = scripted_server([
        ("send", HOSTILE_GREETING),
        ("expect", b"EHLO "),
        ("send", b"250-mx.test\r\n250 PIPELINING\r\n"),
        ("expect", b"MAIL "),
        ("send", b"250 2.1.0 ok\r\n"),
        ("expect", b"RCPT "),
        ("send", b"550 5.1.1 <nobody@mx.test>: <b>no such user</b>\r\n"),
        ("expect", b"QUIT"),
        ("send", b"221 2.0.0 bye\r\n"),
    ])
    transcript = tmp_path / "hostile.jsonl"
    run = run_ehlo("--color", "never", "--no-history", "--transcript", str(transcript), "--transcript-format", "jsonl",
                   f"127.0.0.1:{server.port}", input="EHLO c.test\nMAIL FROM:<a@b.test>\nRCPT TO:<nobody@mx.test>\nQUIT\n")
    assert transcript.exists(), run
    out = tmp_path / "handout.html"
    markdown = tmp_path / "handout.md"
    rendered = run_ehlo("render", str(transcript), "--html", str(out), "--markdown", str(markdown))
    assert rendered.returncode == 0, rendered
    page = chromium.open(out.as_uri())
    assert page.evaluate("window.owned") is None
    assert page.evaluate("document.title") == "SMTP session: hostile.jsonl"
    assert page.evaluate("document.querySelectorAll('script, img').length") == 0
    assert page.evaluate("Array.from(document.querySelectorAll('.lane')).map(l => l.dataset.lane)") == [
        "client", "server"]
    codes = page.evaluate("Array.from(document.querySelectorAll('.step.from-server')).map(s => Number(s.dataset.code))")
    assert codes == [220, 250, 250, 550, 221]
    wire = page.evaluate("Array.from(document.querySelectorAll('.step.from-server pre.wire')).map(p => p.textContent)")
    assert wire[0].startswith("220 <script>document.title='owned'")
    assert "550 5.1.1 <nobody@mx.test>: <b>no such user</b>" in wire
    notes = page.evaluate("Array.from(document.querySelectorAll('.step.from-server .note')).map(p => p.textContent)")
    assert any(note.startswith("550 ") for note in notes), notes
    assert page.evaluate("document.getElementById('lab')") is None  # not the practice server
    page.screenshot(artefact(tmp_path, "handout.png"))
    text = markdown.read_text()
    assert "S: 550 5.1.1 <nobody@mx.test>: <b>no such user</b>" in text and text.startswith("# SMTP session")


def test_render_of_a_practice_session_has_the_lab_table_and_a_print_stylesheet(practice_server, run_ehlo,
                                                                               chromium, tmp_path):
    server = practice_server()
    transcript = tmp_path / "practice.txt"
    run_ehlo("--color", "never", "--no-history", "--transcript", str(transcript), f"127.0.0.1:{server.port}",
             input="EHLO c.test\nMAIL FROM:<a@b.test>\nRCPT TO:<busy@practice.test>\nQUIT\n")
    out = tmp_path / "practice.html"
    assert run_ehlo("render", str(transcript), "--html", str(out)).returncode == 0
    page = chromium.open(out.as_uri())
    assert page.evaluate("document.querySelectorAll('#lab tr').length") > 20
    codes = page.evaluate("Array.from(document.querySelectorAll('.step.from-server')).map(s => Number(s.dataset.code))")
    assert codes == [220, 250, 250, 450, 221]
    page.call("Emulation.setEmulatedMedia", {"media": "print"})
    assert page.evaluate("getComputedStyle(document.querySelector('.step')).breakInside") == "avoid"
    page.screenshot(artefact(tmp_path, "handout-print.png"))


def test_render_refuses_what_it_cannot_read(run_ehlo, tmp_path):
    missing = run_ehlo("render", str(tmp_path / "none.jsonl"), "--html", str(tmp_path / "x.html"))
    assert missing.returncode == 66 and "cannot read the transcript" in missing.stderr
    nothing = run_ehlo("render", str(tmp_path / "none.jsonl"))
    assert nothing.returncode == 64
