"""Hostile clients against `ehlo serve`: one harness, one misbehaviour per case.

Every case starts a server on a fresh Maildir and lets its client misbehave while a well-behaved
client delivers a message (from another loopback address, so that per-client limits do not meet
it), and another after. Then, whatever the misbehaviour was: the server is still running, both
good messages are in new/ exactly once, new/ holds nothing else the case did not expect, tmp/ is
empty, and for the large cases the server's peak memory (VmHWM) stayed bounded.
"""

import base64
import os
import resource
import signal
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from practice_fixtures import Wire, deliver, maildir_messages, practice_server  # noqa: F401 (a fixture)

# 1,000 connections at once need more descriptors than the usual 1024, here and in the server
# (which inherits the limit).
_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if _hard == resource.RLIM_INFINITY or _hard > 8192:
    _wanted = 8192
else:
    _wanted = _hard
if _soft < _wanted:
    resource.setrlimit(resource.RLIMIT_NOFILE, (_wanted, _hard))

MB = 1024 * 1024
WRONG_PLAIN = base64.b64encode(b"\0student\0wrong").decode()
GOOD_SOURCE = "127.0.0.2"


def peak_rss(pid):
    """VmHWM of a process, in octets."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/%d/status" % pid)


class Hostile(Wire):
    """A raw client with the moves a hostile one makes."""

    def greeted(self, hello="EHLO hostile.test"):
        assert self.reply()[0] == 220
        if hello:
            assert self.command(hello)[0] == 250
        return self

    def transaction(self, data=True):
        assert self.command("MAIL FROM:<h@client.test>")[0] == 250
        assert self.command("RCPT TO:<student@practice.test>")[0] == 250
        if data:
            assert self.command("DATA")[0] == 354
        return self

    def send_quietly(self, data):
        """Sends, ignoring the server having gone (it may close on us)."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def replies_until_closed(self, timeout=20):
        """Every reply until the server closes the connection, as (code, first line)."""
        self.sock.settimeout(timeout)
        replies = []
        while True:
            try:
                code, lines = self.reply()
            except (ConnectionError, OSError):
                return replies
            replies.append((code, lines[0]))

    def trickle(self, data, interval, limit):
        """One byte every `interval` seconds until the server closes; returns (seconds, what it sent back)."""
        started = time.monotonic()
        received = b""
        self.sock.settimeout(interval)
        for byte in data:
            if time.monotonic() - started > limit:
                raise AssertionError(f"still open after {limit}s of trickling; got {received!r}")
            if not self.send_quietly(bytes([byte])):
                break
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
        else:
            raise AssertionError("the trickle ran out before the server closed")
        return time.monotonic() - started, self.buffer.decode() + received.decode("utf-8", "replace")

    def closed_within(self, seconds):
        started = time.monotonic()
        self.sock.settimeout(seconds)
        try:
            while self.sock.recv(65536):
                pass
        except ConnectionResetError:
            pass
        except socket.timeout:
            raise AssertionError(f"not closed within {seconds}s")
        return time.monotonic() - started


def stored_with(env, octets):
    """How many messages in new/ hold these octets."""
    return sum(octets in path.read_bytes() for path in maildir_messages(env.maildir))


def wait_until_served(port, seconds=10):
    """A session from 127.0.0.1 is greeted with 220 again: closed sessions gave their places back."""
    deadline = time.monotonic() + seconds
    while True:
        wire = Wire(port)
        try:
            if wire.reply()[0] == 220:
                return
        finally:
            wire.close()
        assert time.monotonic() < deadline, "the places of closed sessions were not given back"
        time.sleep(0.1)


def client_hello():
    """The first flight of a real TLS client, as bytes."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="practice.test")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def tls_session(port):
    """A session after STARTTLS and the handshake, as a file-like TLS socket."""
    wire = Hostile(port).greeted()
    assert wire.command("STARTTLS")[0] == 220
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    tls = context.wrap_socket(wire.sock, server_hostname="practice.test")
    wire.sock = tls
    wire.buffer = b""
    return wire


@dataclass
class Env:
    server: object
    maildir: Path
    tmp_path: Path

    @property
    def port(self):
        return self.server.port

    def hostile(self, **kwargs):
        return Hostile(self.port, **kwargs)


@dataclass
class Case:
    id: str
    act: object
    args: tuple = ()
    stored: int = 0  # messages the hostile client itself gets stored
    during: bool = True  # a good delivery runs while the hostile client is at work
    rss_mb: int = 0  # bound on the growth of the server's peak memory, when the case is large
    preexec: object = None
    maildir: object = None  # where the Maildir goes (a small file system), given tmp_path
    timeout: float = 60
    marks: list = field(default_factory=list)


CASES = []


def case(id, *args, **kwargs):
    def register(act):
        CASES.append(Case(id, act, args, **kwargs))
        return act
    return register


# ----- slowloris: a byte now and then does not keep a session open past --timeout (Postfix's
# smtpd_per_record_deadline: the clock runs from the last complete line, not the last byte)

@case("slowloris-command", "--timeout", "2")
def _(env):
    wire = env.hostile().greeted()
    seconds, text = wire.trickle(b"NOOP" * 100, interval=0.4, limit=8)
    assert "421 4.4.2" in text and 1.5 < seconds < 5


@case("slowloris-data", "--timeout", "2")
def _(env):
    wire = env.hostile().greeted().transaction()
    seconds, text = wire.trickle(b"Subject: slow" * 100, interval=0.4, limit=8)
    assert "421 4.4.2" in text and 1.5 < seconds < 5
    env.server.wait_for_line(lambda line: "nothing stored" in line)


@case("slowloris-bdat", "--timeout", "2")
def _(env):
    wire = env.hostile().greeted().transaction(data=False)
    wire.send(b"BDAT 100000 LAST\r\n")
    seconds, text = wire.trickle(b"x" * 1000, interval=0.4, limit=8)
    assert "421 4.4.2" in text and 1.5 < seconds < 5


@case("slowloris-auth", "--timeout", "2", "--allow-plain-auth")
def _(env):
    wire = env.hostile().greeted()
    assert wire.command("AUTH PLAIN")[0] == 334
    seconds, text = wire.trickle(b"AGFiYw" * 100, interval=0.4, limit=8)
    assert "421 4.4.2" in text and 1.5 < seconds < 5


@case("slowloris-tls-handshake", "--timeout", "2")
def _(env):
    wire = env.hostile().greeted()
    assert wire.command("STARTTLS")[0] == 220
    # No plaintext 421 can come in the middle of a handshake (RFC 3207 §4): just the close.
    seconds, _ = wire.trickle(client_hello() * 4, interval=0.4, limit=8)
    assert 1.5 < seconds < 5


@case("silent-after-greeting", "--timeout", "1")
def _(env):
    wire = env.hostile()
    assert wire.reply()[0] == 220
    code, lines = wire.reply()
    assert code == 421 and lines[0].startswith("421 4.4.2")
    assert wire.is_closed()


# ----- connection limits (RFC 5321 §3.1: 421 instead of the greeting)

@case("flood-1000-connections", "--max-connections", "100", "--max-connections-per-client", "0", during=False, rss_mb=80, timeout=120)
def _(env):
    sockets = []
    try:
        for _ in range(1000):
            sockets.append(socket.create_connection(("127.0.0.1", env.port), timeout=20))
        greetings = []
        for sock in sockets:
            wire = Wire.__new__(Wire)
            wire.sock, wire.buffer = sock, b""
            greetings.append((wire, wire.reply()))
        served = [wire for wire, (code, _) in greetings if code == 220]
        refused = [lines[0] for _, (code, lines) in greetings if code == 421]
        assert len(served) == 100 and len(refused) == 900
        assert all("4.7.0 practice.test Too many connections (100 open)" in line for line in refused)
        for wire in served:
            assert wire.command("NOOP")[0] == 250
    finally:
        for sock in sockets:
            sock.close()
    wait_until_served(env.port)


@case("flood-1000-connections-with-the-defaults", during=False, rss_mb=80, timeout=120)
def _(env):
    """`ehlo serve` as it starts, no limit given: 50 sessions an address, 200 in all. One address
    opens 100, then 18 others 50 each; none of them is 127.0.0.1, which is served after."""
    sockets = []
    try:
        sources = ["127.0.0.2"] * 100 + [f"127.0.0.{10 + index // 50}" for index in range(900)]
        for source in sources:
            sockets.append(socket.create_connection(("127.0.0.1", env.port), timeout=20,
                                                    source_address=(source, 0)))
        replies = []
        for sock in sockets:
            wire = Wire.__new__(Wire)
            wire.sock, wire.buffer = sock, b""
            replies.append(wire.reply())
        served = [code for code, _ in replies if code == 220]
        per_address = [lines[0] for code, lines in replies if code == 421 and "from 127.0.0.2" in lines[0]]
        in_all = [lines[0] for code, lines in replies if code == 421 and "(200 open)" in lines[0]]
        assert (len(served), len(per_address), len(in_all)) == (200, 50, 750), replies[:3]
    finally:
        for sock in sockets:
            sock.close()
    wait_until_served(env.port)


@case("too-many-from-one-address", "--max-connections-per-client", "5")
def _(env):
    five = [env.hostile().greeted(hello=None) for _ in range(5)]
    sixth = env.hostile()
    code, lines = sixth.reply()
    assert code == 421 and lines[0].startswith("421 4.7.0 practice.test Too many connections from 127.0.0.1")
    assert sixth.is_closed()
    # Another address is not held back by this one's sessions.
    other = Hostile(env.port, source="127.0.0.3")
    assert other.reply()[0] == 220
    # A session that ends frees its place.
    five.pop().command("QUIT")
    wait_until_served(env.port)
    for wire in five + [other]:
        wire.close()
    wait_until_served(env.port)


# ----- clients that never read: the server stops reading too, and its memory stays bounded

def never_read(env, line):
    wire = env.hostile()
    wire.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    wire.sock.setblocking(False)
    burst = line * 4096
    sent, stalled_since = 0, None
    while sent < 64 * MB:
        try:
            sent += wire.sock.send(burst)
            stalled_since = None
        except BlockingIOError:
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > 2:
                break
            time.sleep(0.05)
    # The server stopped reading: what it took is far less than what was offered.
    assert sent < 16 * MB, f"the server read {sent} octets without its replies being read"
    return wire


@case("never-reads-help", rss_mb=60)
def _(env):
    never_read(env, b"HELP LAB\r\n").close()


@case("never-reads-ehlo", rss_mb=60)
def _(env):
    never_read(env, b"EHLO flood.test\r\n").close()


# ----- size (RFC 1870 §6: 552) and room on the disk (RFC 5321 §4.2.3: 452, RFC 3463: 4.3.1)

@case("data-past-size", "--max-size", "100000", rss_mb=40)
def _(env):
    wire = env.hostile().greeted().transaction()
    line = b"x" * 998 + b"\r\n"
    for _ in range(20):
        wire.send(line * 1024)
    code, lines = wire.command(".")
    assert code == 552 and lines[0].startswith("552 5.3.4")
    assert wire.command("NOOP")[0] == 250


@case("mail-size-parameter-past-size", "--max-size", "100000")
def _(env):
    wire = env.hostile().greeted()
    code, lines = wire.command("MAIL FROM:<h@client.test> SIZE=100001")
    assert code == 552 and lines[0].startswith("552 5.3.4")


@case("bdat-past-size", "--max-size", "100000", rss_mb=40)
def _(env):
    wire = env.hostile().greeted().transaction(data=False)
    wire.send(b"BDAT %d LAST\r\n" % (20 * MB))
    for _ in range(20):
        wire.send(b"y" * MB)
    code, lines = wire.reply()
    assert code == 552 and lines[0].startswith("552 5.3.4")
    assert wire.command("NOOP")[0] == 250


@case("bdat-chunks-past-size", "--max-size", "100000")
def _(env):
    wire = env.hostile().greeted().transaction(data=False)
    codes = []
    for _ in range(3):
        wire.send(b"BDAT 60000\r\n" + b"z" * 60000)
        codes.append(wire.reply()[0])
    assert codes == [250, 552, 503]
    assert wire.command("NOOP")[0] == 250


def no_room(env):
    wire = env.hostile().greeted().transaction()
    line = b"w" * 998 + b"\r\n"
    wire.send(line * 1024)
    code, lines = wire.command(".")
    assert code == 452 and lines[0].startswith("452 4.3.1"), lines
    assert wire.command("NOOP")[0] == 250
    env.server.wait_for_line(lambda text: "message not stored" in text)


def small_file_size_limit():
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


@case("file-size-limit", preexec=small_file_size_limit)
def _(env):
    no_room(env)


def small_file_system(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
                            capture_output=True)
    if result.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + result.stderr.decode().strip())
    return mount / "Maildir"


@case("disk-full", maildir=small_file_system)
def _(env):
    no_room(env)


# ----- a million RCPTs: 452 after 100 (RFC 5321 §4.5.3.1.8), errors past 1,000 more, then 421

@case("million-recipients", rss_mb=60, timeout=120)
def _(env):
    wire = env.hostile().greeted()
    assert wire.command("MAIL FROM:<h@client.test>")[0] == 250
    flood = b"RCPT TO:<student@practice.test>\r\n" * 10_000

    def send():
        for _ in range(100):
            if not wire.send_quietly(flood):
                return

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    replies = wire.replies_until_closed(timeout=30)
    codes = [code for code, _ in replies]
    assert codes[:100] == [250] * 100
    assert codes[100:-1] == [452] * 1020
    assert replies[100][1].startswith("452 4.5.3")
    assert replies[-1][1].startswith("421 4.7.0")
    sender.join(timeout=30)


# ----- AUTH brute force: a pause that doubles (on the event loop), then 421

@case("auth-brute-force", "--allow-plain-auth", "--auth-failure-delay", "0.2", timeout=30)
def _(env):
    wire = env.hostile().greeted()
    for attempt in range(4):
        started = time.monotonic()
        code, lines = wire.command("AUTH PLAIN " + WRONG_PLAIN)
        waited = time.monotonic() - started
        assert code == 535 and lines[0].startswith("535 5.7.8")
        assert waited >= 0.2 * 2 ** attempt * 0.9
    # While this session waits 3.2 s, others are served at once: the pause blocks nothing else.
    timings = []

    def timed_delivery(number):
        started = time.monotonic()
        assert deliver(env.port, subject=f"meanwhile-{number}", source=GOOD_SOURCE) == 250
        timings.append(time.monotonic() - started)

    wire.send("AUTH PLAIN " + WRONG_PLAIN + "\r\n")
    others = [threading.Thread(target=timed_delivery, args=(n,)) for n in range(4)]
    for thread in others:
        thread.start()
    for thread in others:
        thread.join(timeout=10)
    assert len(timings) == 4 and max(timings) < 1.0, timings
    code, lines = wire.reply()
    assert code == 421 and lines[0] == "421 4.7.0 practice.test Too many authentication failures, closing connection"
    assert wire.is_closed()


@case("auth-guesses-pipelined", "--allow-plain-auth", "--auth-failure-delay", "0.05")
def _(env):
    wire = env.hostile().greeted()
    started = time.monotonic()
    wire.send(("AUTH PLAIN " + WRONG_PLAIN + "\r\n") * 8)
    replies = wire.replies_until_closed()
    assert [code for code, _ in replies] == [535] * 4 + [421]
    # 50 + 100 + 200 + 400 + 800 ms: the guesses after the pause were not read early.
    assert time.monotonic() - started >= 1.4
    for number in range(4):
        assert deliver(env.port, subject=f"meanwhile-{number}") == 250


@case("auth-login-guesses", "--allow-plain-auth", "--auth-failure-delay", "0", "--max-auth-failures", "2")
def _(env):
    wire = env.hostile().greeted()
    for expected in (535, 421):
        assert wire.command("AUTH LOGIN")[0] == 334
        assert wire.command(base64.b64encode(b"student").decode())[0] == 334
        assert wire.command(base64.b64encode(b"guess").decode())[0] == expected
    assert wire.is_closed()


@case("overlong-auth-line", "--allow-plain-auth")
def _(env):
    wire = env.hostile().greeted()
    assert wire.command("AUTH PLAIN")[0] == 334
    code, lines = wire.command("A" * 20000)
    assert code == 500 and lines[0].startswith("500 5.5.6")
    assert wire.command("NOOP")[0] == 250


# ----- BDAT sizes that are no numbers an Int holds (RFC 3030 §2: 501)

def bad_bdat(size):
    def act(env):
        wire = env.hostile().greeted().transaction(data=False)
        code, lines = wire.command(f"BDAT {size} LAST")
        assert code == 501 and lines[0].startswith("501 5.5.4")
        assert wire.command("NOOP")[0] == 250
    return act


case("bdat-size-2^63")(bad_bdat(2 ** 63))
case("bdat-size-2^64")(bad_bdat(2 ** 64))
case("bdat-size-negative")(bad_bdat(-1))
case("bdat-size-not-a-number")(bad_bdat("0x10"))


# ----- bytes that are not SMTP

@case("binary-garbage", rss_mb=40)
def _(env):
    wire = env.hostile().greeted()
    wire.send_quietly(os.urandom(MB))
    replies = wire.replies_until_closed()
    assert replies and all(code == 500 for code, _ in replies[:-1])
    assert replies[-1][1].startswith("421 4.7.0")


@case("tls-garbage-after-starttls")
def _(env):
    wire = env.hostile().greeted()
    assert wire.command("STARTTLS")[0] == 220
    wire.send_quietly(b"\x16\x03\x01\xff\xff" + os.urandom(4096))
    wire.closed_within(5)


@case("client-hello-on-the-plaintext-port")
def _(env):
    wire = env.hostile()
    assert wire.reply()[0] == 220
    # Its random octets may hold a LF or two: each piece is a line of its own, and each gets 500.
    wire.send(client_hello() + b"\r\nEHLO after.test\r\n")
    codes = []
    while not codes or codes[-1] != 250:
        codes.append(wire.reply()[0])
    assert codes[0] == 500 and set(codes[:-1]) == {500}


@case("garbage-inside-tls")
def _(env):
    wire = tls_session(env.port)
    assert wire.command("EHLO tls.test")[0] == 250
    wire.send(b"\x00\x01\x02 not smtp \xff\r\n" * 30)
    replies = wire.replies_until_closed()
    assert [code for code, _ in replies] == [500] * 20 + [421]


@case("truncated-client-hello", "--timeout", "2")
def _(env):
    wire = env.hostile().greeted()
    assert wire.command("STARTTLS")[0] == 220
    wire.send(client_hello()[:20])
    assert 1.5 < wire.closed_within(5) < 5


# ----- pipelining out of turn

@case("commands-after-data-before-354", stored=1)
def _(env):
    wire = env.hostile().greeted()
    wire.send(b"MAIL FROM:<h@client.test>\r\nRCPT TO:<student@practice.test>\r\nDATA\r\n"
              b"MAIL FROM:<second@client.test>\r\nRCPT TO:<postmaster@practice.test>\r\n.\r\n")
    assert [wire.reply()[0] for _ in range(4)] == [250, 250, 354, 250]
    assert stored_with(env, b"MAIL FROM:<second@client.test>") == 1


@case("two-messages-in-one-write", stored=2)
def _(env):
    wire = env.hostile().greeted()
    one = (b"MAIL FROM:<h@client.test>\r\nRCPT TO:<student@practice.test>\r\nDATA\r\n"
           b"Subject: piped\r\n\r\nbody\r\n.\r\n")
    wire.send(one * 2 + b"QUIT\r\n")
    assert [code for code, _ in wire.replies_until_closed()] == [250, 250, 354, 250] * 2 + [221]


@case("commands-before-the-greeting")
def _(env):
    # Postfix's postscreen holds its greeting back to catch this ("PREGREET"); a practice server
    # greets at once, so a client cannot be early, only impatient: it is answered in order.
    wire = env.hostile()
    wire.send(b"EHLO early.test\r\nNOOP\r\nQUIT\r\n")
    assert [code for code, _ in wire.replies_until_closed()] == [220, 250, 250, 221]


@case("quit-then-more")
def _(env):
    wire = env.hostile().greeted()
    wire.send(b"QUIT\r\nMAIL FROM:<late@client.test>\r\nRCPT TO:<student@practice.test>\r\n")
    assert [code for code, _ in wire.replies_until_closed()] == [221]


@case("hundred-messages-in-one-write", stored=100)
def _(env):
    wire = env.hostile().greeted()
    batch = b"".join(b"MAIL FROM:<h@client.test>\r\nRCPT TO:<student@practice.test>\r\nDATA\r\n"
                     b"Subject: batch %d\r\n\r\nbody\r\n.\r\n" % n for n in range(100))
    wire.send(batch + b"QUIT\r\n")
    assert [code for code, _ in wire.replies_until_closed()] == [250, 250, 354, 250] * 100 + [221]
    subjects = sorted(p.read_bytes().split(b"Subject: batch ")[1].split(b"\n")[0]
                      for p in maildir_messages(env.maildir) if b"Subject: batch" in p.read_bytes())
    assert subjects == sorted(b"%d" % n for n in range(100))


# ----- NUL, bare CR, overlong lines (RFC 5321 §4.1.1, §2.3.8, §4.5.3.1)

@case("nul-in-a-command")
def _(env):
    wire = env.hostile()
    assert wire.reply()[0] == 220
    code, lines = wire.command("EHLO a\x00b.test")
    assert code == 500 and "control characters" in lines[0]
    assert wire.command("EHLO ab.test")[0] == 250


@case("nul-in-a-message", stored=1)
def _(env):
    wire = env.hostile().greeted().transaction()
    assert wire.command("Subject: nul\r\n\r\nbefore\x00after\r\n.")[0] == 250
    assert stored_with(env, b"before\x00after") == 1


@case("bare-cr-in-a-command")
def _(env):
    wire = env.hostile().greeted()
    code, lines = wire.command("NOOP\rMAIL FROM:<smuggled@client.test>")
    assert code == 500 and "control characters" in lines[0]
    assert wire.command("MAIL FROM:<h@client.test>")[0] == 250


@case("bare-cr-dot-does-not-end-the-message", stored=1)
def _(env):
    wire = env.hostile().greeted().transaction()
    wire.send(b"Subject: cr\r\n\r\nbody\r.\rMAIL FROM:<evil@client.test>\r\n.\r\n")
    assert wire.reply()[0] == 250
    assert wire.command("NOOP")[0] == 250
    assert stored_with(env, b"\r.\rMAIL FROM:<evil@client.test>") == 1


@case("ten-megabyte-command-line", rss_mb=40)
def _(env):
    wire = env.hostile().greeted()
    for _ in range(10):
        wire.send(b"N" * MB)
    code, lines = wire.command("")
    assert code == 500 and "512" in lines[0]
    assert wire.command("NOOP")[0] == 250


@case("two-megabyte-message-line", rss_mb=60)
def _(env):
    wire = env.hostile().greeted().transaction()
    wire.send(b"L" * (2 * MB))
    code, lines = wire.command("\r\n.")
    assert code == 500 and "1000" in lines[0]


# ----- leaving at the wrong moment

@case("reset-mid-data")
def _(env):
    wire = env.hostile().greeted().transaction()
    wire.send(b"Subject: half\r\n\r\n" + b"part of a message\r\n" * 1000)
    wire.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    wire.close()
    env.server.wait_for_line(lambda line: "nothing stored" in line)


@case("half-close-after-the-final-dot", stored=1)
def _(env):
    wire = env.hostile().greeted().transaction()
    wire.send(b"Subject: gone\r\n\r\nbody\r\n.\r\n")
    wire.sock.shutdown(socket.SHUT_WR)
    wire.replies_until_closed()
    env.server.wait_for_line(lambda line: " stored" in line and "message" in line)


# ----- a class of 50 with one misbehaving student

@case("class-of-50-with-one-slowloris", "--timeout", "5", stored=49, timeout=120)
def _(env):
    bad = env.hostile().greeted().transaction()
    stop = threading.Event()

    def misbehave():
        try:
            while not stop.is_set() and bad.send_quietly(b"\x00"):
                time.sleep(0.2)
        except OSError:
            pass

    troublemaker = threading.Thread(target=misbehave, daemon=True)
    troublemaker.start()
    barrier = threading.Barrier(49)
    codes = {}

    def student(number):
        wire = Wire(env.port)
        try:
            assert wire.reply()[0] == 220
            barrier.wait(timeout=30)  # all 49 sessions open at once
            assert wire.command(f"EHLO student{number}.test")[0] == 250
            assert wire.command(f"MAIL FROM:<student{number}@client.test>")[0] == 250
            assert wire.command("RCPT TO:<student@practice.test>")[0] == 250
            assert wire.command("DATA")[0] == 354
            codes[number] = wire.command(f"Subject: class {number}\r\n\r\nhomework\r\n.")[0]
            wire.command("QUIT")
        finally:
            wire.close()

    students = [threading.Thread(target=student, args=(n,)) for n in range(49)]
    for thread in students:
        thread.start()
    for thread in students:
        thread.join(timeout=60)
    stop.set()
    assert codes == {n: 250 for n in range(49)}
    senders = sorted(p.read_bytes().split(b"Subject: class ")[1].split(b"\n")[0]
                     for p in maildir_messages(env.maildir) if b"Subject: class " in p.read_bytes())
    assert senders == sorted(b"%d" % n for n in range(49))
    # The trickler's message line never ended: the timeout closed it, nothing stored.
    env.server.wait_for_line(lambda line: "nothing stored" in line, timeout=10)


@pytest.mark.parametrize("hostile", CASES, ids=[c.id for c in CASES])
def test_hostile_client(hostile, practice_server, tmp_path):
    maildir = hostile.maildir(tmp_path) if hostile.maildir else tmp_path / "Maildir"
    server = None
    try:
        server = practice_server("--maildir", str(maildir), *hostile.args, preexec_fn=hostile.preexec)
        env = Env(server, maildir, tmp_path)
        baseline = peak_rss(server.process.pid)
        failures = []

        def act():
            try:
                hostile.act(env)
            except BaseException as error:  # noqa: B902 (reported in the test's thread)
                failures.append(error)

        worker = threading.Thread(target=act, daemon=True)
        worker.start()
        if hostile.during:
            time.sleep(0.3)
            assert deliver(server.port, subject="during", source=GOOD_SOURCE) == 250
        worker.join(timeout=hostile.timeout)
        assert not worker.is_alive(), f"the hostile client still runs after {hostile.timeout}s"
        if failures:
            raise failures[0]
        assert deliver(server.port, subject="after") == 250
        assert server.process.poll() is None, "the server exited:\n" + server.output
        assert "Fatal error" not in server.output

        texts = [path.read_bytes() for path in maildir_messages(maildir)]
        extra = sum(1 for text in texts if b"Subject: meanwhile-" in text)
        assert sum(b"Subject: after\n" in text for text in texts) == 1
        assert sum(b"Subject: during\n" in text for text in texts) == (1 if hostile.during else 0)
        assert len(texts) == hostile.stored + extra + 1 + (1 if hostile.during else 0)
        assert list((maildir / "tmp").iterdir()) == []
        if hostile.rss_mb:
            grown = peak_rss(server.process.pid) - baseline
            print(f"{hostile.id}: peak RSS grew by {grown / MB:.1f} MB")
            assert grown < hostile.rss_mb * MB, f"peak RSS grew by {grown / MB:.1f} MB"
    finally:
        if hostile.maildir:
            if server:
                server.stop()
            subprocess.run(["umount", "-l", str(maildir.parent)], capture_output=True)


# ----- durability: kill -9 leaves no partial message in new/

def complete_messages(maildir, marker=b"END-OF-MESSAGE"):
    """Every file in new/ ends with the marker; returns how many there are."""
    files = maildir_messages(maildir)
    for path in files:
        assert path.read_bytes().rstrip().endswith(marker), f"{path.name} is not complete"
    return len(files)


def test_sigkill_mid_data_leaves_nothing(practice_server, tmp_path):
    maildir = tmp_path / "Maildir"
    server = practice_server("--maildir", str(maildir), "--max-size", str(50 * MB))
    wire = Hostile(server.port).greeted().transaction()
    wire.send(b"Subject: big\r\n\r\n" + (b"b" * 998 + b"\r\n") * 2048)
    server.process.kill()
    server.process.wait(timeout=10)
    assert maildir_messages(maildir) == []
    assert list((maildir / "tmp").iterdir()) == []


def test_sigkill_during_deliveries_leaves_only_complete_messages(practice_server, tmp_path):
    """Four clients deliver 1 MB messages in a loop; SIGKILL lands mid-delivery, often mid-write."""
    maildir = tmp_path / "Maildir"
    server = practice_server("--maildir", str(maildir), "--max-size", str(50 * MB))
    body = b"Subject: big\r\n\r\n" + (b"k" * 998 + b"\r\n") * 1024 + b"END-OF-MESSAGE\r\n.\r\n"
    replies = []

    def sender():
        try:
            while True:
                wire = Hostile(server.port, timeout=30).greeted().transaction()
                wire.send(body)
                replies.append(wire.reply()[0])
                wire.close()
        except (OSError, AssertionError, ValueError):
            return

    senders = [threading.Thread(target=sender, daemon=True) for _ in range(4)]
    for thread in senders:
        thread.start()
    deadline = time.monotonic() + 60
    while len(replies) < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.137)
    server.process.kill()
    server.process.wait(timeout=10)
    for thread in senders:
        thread.join(timeout=10)
    # Every 250 the clients saw is a complete message in new/; nothing half-written is there.
    stored = complete_messages(maildir)
    assert stored >= replies.count(250) >= 8
    # A file a killed writer left in tmp/ (this one's, or one made like it) is gone at the next start.
    killed = maildir_messages(maildir)[0].name
    seconds, rest = killed.split(".", 1)
    writer, host = rest.split(".", 1)
    stale = maildir / "tmp" / f"{seconds}.M1{writer[writer.index('P'):writer.index('Q')]}Q999999.{host}"
    stale.write_bytes(b"Subject: half\r\n\r\nk")
    again = practice_server("--maildir", str(maildir))
    again.wait_for_line(lambda line: line.startswith("removed ") and "unfinished message" in line)
    assert list((maildir / "tmp").iterdir()) == []
    assert complete_messages(maildir) == stored
    assert deliver(again.port, subject="after restart") == 250
