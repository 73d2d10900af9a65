"""Forty hostile servers, one table: each row is what the scripted server does, what the user
types, and what ehlo must show. Every row, in script mode, must end within its --timeout and a
few seconds more, crash nothing, say what happened in words, keep raw control bytes off the
terminal, record every line that crossed the wire in the transcript (secrets redacted) and, for
the floods, keep its peak memory bounded: 128 MiB of reply must not add 64 MiB. A subset runs
again in the REPL, in a real terminal (tmux).

One server plays every row: `TLSScriptedServer` (conftest.py, tls_fixtures.py) with its steps.
"""

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import RUN_TIMEOUT, Run, ScriptedServer
from test_hostile import assert_no_crash, assert_terminal_safe
from test_repl_tmux import Tmux
from tls_fixtures import (  # noqa: F401 (fixtures)
    b64, certs, secret_forms, server_context, tls_scripted_server)

TIMEOUT = "2"  # --timeout for every row: the silent servers below are caught by it
GRACE = 3.0  # seconds a run may take beyond its --timeout (a debug build, a loaded machine)
PASSWORD = "hostile-pass-7Q"
USER = "student"
# Peak RSS that a flood may add to an ordinary session's.
RSS_HEADROOM_KIB = 64 * 1024
TLS = "<server TLS context>"  # replaced by the test certificate's context when the row is played
CAP_LINES = 1000  # ReplyParser.maximumLines
CAP_OCTETS = 16 * 1024  # LineFramer.maximumLineLength
FLOOD_OCTETS = 128 * 1024 * 1024  # the floods that prove memory bounded: twice RSS_HEADROOM_KIB


@dataclass(frozen=True)
class Hostile:
    steps: list
    script: str
    shows: tuple = ()  # regular expressions: each must match a whole line of the output
    status: int = 0
    options: tuple = ()
    never: tuple = ()  # substrings that must not be in the output
    seconds: float = 0.0  # the run must end within this; 0: within --timeout and GRACE more
    big: bool = False  # a flood: peak RSS measured and bounded
    secret: bool = False  # EHLO_PASSWORD is set; no form of it may be seen or recorded
    partial_shown: bool = True  # a last line without LF before the close is shown
    most_client_lines: int = 0  # if set: the server reads no more lines than this (a loop was stopped)
    timeout: str = TIMEOUT  # --timeout; a flood takes a debug build on a loaded machine seconds to read

    @property
    def limit(self):
        return self.seconds or float(self.timeout) + GRACE


def greeting(text=b"220 hostile.test ESMTP"):
    return ("send", text + b"\r\n")


def hello(reply=b"250-hostile.test\r\n250 PIPELINING\r\n", verb=b"EHLO"):
    return [("expect", verb), ("send", reply)]


def quit_(code=b"221 2.0.0 bye\r\n"):
    return [("expect", b"QUIT"), ("send", code), ("close",)]


def envelope(*recipients):
    steps = [("expect", b"MAIL"), ("send", b"250 2.1.0 ok\r\n")]
    for _ in recipients:
        steps += [("expect", b"RCPT"), ("send", b"250 2.1.5 ok\r\n")]
    return steps


def message_script(*recipients, mail="MAIL FROM:<a@client.test>"):
    lines = ["EHLO client.test", mail] + [f"RCPT TO:<{r}>" for r in recipients] + ["DATA", "Subject: hostile", "", "body line", "."]
    return "\n".join(lines) + "\n"


def starttls_prelude(after_220):
    return [greeting(), *hello(b"250-hostile.test\r\n250 STARTTLS\r\n"), ("expect", b"STARTTLS"), *after_220]


def keyword(payload):
    """EHLO whose second keyword carries `payload`; /caps lists it."""
    return Hostile([greeting(), *hello(b"250-hostile.test\r\n250-X-" + payload + b" 1\r\n250 SIZE 1000\r\n"),
                    *quit_()], "EHLO client.test\n/caps\n", shows=(r"^S: 250-X-.*\\e",))


def in_greeting(payload):
    return Hostile([greeting(b"220 hostile.test " + payload + b" ESMTP"), *hello(), *quit_()],
                   "EHLO client.test\n", shows=(r"^S: 220 hostile\.test .*\\e",))


OSC8 = b"\x1b]8;;https://evil.test/\x1b\\click me\x1b]8;;\x1b\\"
TITLE = b"\x1b]0;pwned\x07\x1b]2;pwned too\x1b\\"
CLEAR = b"\x1b[2J\x1b[3J\x1bc"
CURSOR = b"\x1b[1A\x1b[2K\x1b[999D\x1b7\x1b8\x1b[10;10H"

SIZE_OVERFLOW = b"99999999999999999999999"

CASES = {
    # ---- floods: memory bounded, the session goes on
    "reply-1mb": Hostile(
        [greeting(), ("expect", b"EHLO"),
         ("send", b"".join(b"250-%04d " % i + b"x" * 495 + b"\r\n" for i in range(2100)) + b"250 end\r\n"),
         ("expect", b"NOOP"), ("send", b"250 fine\r\n"), *quit_()],
        "EHLO client.test\nNOOP\n/expect 250\n", shows=(r"^!  .*further lines were dropped", r"^S: 250 fine$"),
        big=True, timeout="15"),
    "reply-100000-lines": Hostile(
        [greeting(), ("expect", b"EHLO"),
         ("send", b"".join(b"250-line %d\r\n" % i for i in range(100_000)) + b"250 end\r\n"),
         ("expect", b"NOOP"), ("send", b"250 fine\r\n"), *quit_()],
        "EHLO client.test\nNOOP\n/expect 250\n", shows=(r"^!  .*further lines were dropped", r"^S: 250 fine$"),
        big=True, timeout="15"),
    # 128 MiB, twice the headroom: memory that grew with the flood would fail the bound.
    "reply-128mib": Hostile(
        [greeting(), ("expect", b"EHLO"), ("send", b"250-first\r\n"),
         ("repeat", b"250-" + b"y" * 506 + b"\r\n", FLOOD_OCTETS // 512), ("send", b"250 end\r\n"),
         ("expect", b"NOOP"), ("send", b"250 fine\r\n"), *quit_()],
        "EHLO client.test\nNOOP\n/expect 250\n", shows=(r"^!  .*further lines were dropped", r"^S: 250 fine$"),
        big=True, timeout="15"),
    "line-128mib-without-lf": Hostile(
        [greeting(), ("expect", b"EHLO"), ("send", b"250 "), ("repeat", b"z" * 65536, FLOOD_OCTETS // 65536),
         ("send", b"\r\n"), ("expect", b"NOOP"), ("send", b"250 fine\r\n"), *quit_()],
        "EHLO client.test\nNOOP\n/expect 250\n", shows=(r"^!  .*dropped", r"^S: 250 fine$"),
        big=True, timeout="15"),
    "ehlo-10000-keywords": Hostile(
        [greeting(), ("expect", b"EHLO"),
         ("send", b"250-hostile.test\r\n" + b"".join(b"250-X-KEY%d ARG\r\n" % i for i in range(10_000))
          + b"250 SIZE 1000\r\n"),
         *envelope(), *quit_()],
        "EHLO client.test\n/caps\nMAIL FROM:<a@client.test>\n/expect 250\n",
        shows=(r"^!  .*further lines were dropped", r"X-KEY1 ARG"), big=True, timeout="15"),
    # ---- reply codes that are not three digits
    "code-2-digits": Hostile(
        [greeting(), ("expect", b"EHLO"), ("send", b"25 two digits\r\n250 ok\r\n"), *quit_()],
        "EHLO client.test\n/expect 250\n", shows=(r"^S: 25 two digits$", r"^!  .*code")),
    "code-4-digits": Hostile(
        [greeting(), ("expect", b"EHLO"), ("send", b"2500 four digits\r\n250 ok\r\n"), *quit_()],
        "EHLO client.test\n/expect 250\n", shows=(r"^S: 2500 four digits$", r"^!  .*code")),
    "code-letters": Hostile(
        [greeting(), ("expect", b"EHLO"), ("send", b"ABC letters\r\n25x mixed\r\n250 ok\r\n"), *quit_()],
        "EHLO client.test\n/expect 250\n", shows=(r"^S: ABC letters$", r"^S: 25x mixed$", r"^!  .*code")),
    "continuation-then-close": Hostile(
        [greeting(), ("expect", b"EHLO"), ("send", b"250-\r\n"), ("close",)],
        "EHLO client.test\nNOOP\n", status=3,
        shows=(r"^S: 250-$", r"^\*  connection closed by the server$", r"^!  .*EHLO"), never=("C: NOOP",)),
    # ---- bytes a terminal would act on
    "bare-cr": Hostile(
        [greeting(), ("expect", b"EHLO"), ("send", b"250-hidden\rshown\r\n250 ok\r\n"), *quit_()],
        "EHLO client.test\n", shows=(r"^S: 250-hidden\\rshown$",)),
    "nul-bytes": Hostile(
        [greeting(b"220 nul\x00\x00here ESMTP"), ("expect", b"EHLO"), ("send", b"250-a\x00b\r\n250 ok\r\n"),
         *quit_()],
        "EHLO client.test\n", shows=(r"^S: 220 nul\\0\\0here ESMTP$", r"^S: 250-a\\0b$")),
    "greeting-osc8-link": in_greeting(OSC8),
    "greeting-title": in_greeting(TITLE),
    "greeting-clear-screen": in_greeting(CLEAR),
    "greeting-cursor-moves": in_greeting(CURSOR),
    "keyword-osc8-link": keyword(OSC8),
    "keyword-title": keyword(TITLE),
    "keyword-clear-screen": keyword(CLEAR),
    "keyword-cursor-moves": keyword(CURSOR),
    # ---- time
    "greeting-drip-fed": Hostile(
        [("drip", b"220 drip.test ESMTP\r\n", 0.1), *hello(), *quit_()],
        "EHLO client.test\n/expect 250\n", timeout="6",
        shows=(r"^S: 220 drip\.test ESMTP$",), never=("timeout",)),
    # A byte a second (8 s): slow, but within the time the greeting is given, so it is waited for.
    "greeting-a-byte-a-second": Hostile(
        [("drip", b"220 ok\r\n", 1.0), *hello(), *quit_()],
        "EHLO client.test\n/expect 250\n", timeout="15", shows=(r"^S: 220 ok$",), never=("timeout",)),
    "greeting-drip-past-timeout": Hostile(
        [("drip", b"220 " + b"s" * 60, 0.1)],
        "EHLO client.test\n", timeout="1", status=2,
        shows=(r"^\*  timeout: no greeting from 127\.0\.0\.1 after 1 s",), never=("C: EHLO",),
        partial_shown=False),
    "silence-after-final-dot": Hostile(
        [greeting(), *hello(), *envelope("b@hostile.test"), ("expect", b"DATA"), ("send", b"354 go\r\n"),
         ("until", b"."), ("sleep", 6)],
        message_script("b@hostile.test") + "NOOP\n", status=3,
        shows=(r"^\*  timeout: no reply to end of data after 2 s",), never=("C: NOOP",)),
    # ---- replies nobody asked for
    "two-greetings": Hostile(
        [("send", b"220 first\r\n220 second\r\n"), *hello(), *quit_()],
        "EHLO client.test\n/expect 250\n", shows=(r"^S: 220 second$", r"^!  unsolicited reply")),
    "reply-before-command": Hostile(
        [greeting(), *hello(b"250 ok\r\n250 2.0.0 surprise\r\n"), ("expect", b"NOOP"), ("send", b"250 noop\r\n"),
         *quit_()],
        "EHLO client.test\nNOOP\n/expect 250\n", shows=(r"^S: 250 2\.0\.0 surprise$", r"^!  unsolicited reply")),
    "421-while-idle": Hostile(
        [greeting(), *hello(b"250 ok\r\n421 4.3.2 shutting down\r\n"), ("close",)],
        "EHLO client.test\nNOOP\n", status=3, shows=(r"^S: 421 4\.3\.2 shutting down$",), never=("C: NOOP",)),
    "extra-reply-after-221": Hostile(
        [greeting(), *hello(), ("expect", b"QUIT"), ("send", b"221 bye\r\n250 one more thing\r\n"), ("close",)],
        "EHLO client.test\nQUIT\n", shows=(r"^S: 221 bye$", r"^S: 250 one more thing$", r"^!  unsolicited reply")),
    # ---- 421 and resets in the middle
    "421-mid-transaction": Hostile(
        [greeting(), *hello(), *envelope(), ("expect", b"RCPT"), ("send", b"421 4.4.2 timeout exceeded\r\n"),
         ("close",)],
        message_script("b@hostile.test", "c@hostile.test"), status=3,
        shows=(r"^S: 421 4\.4\.2 timeout exceeded$",), never=("C: RCPT TO:<c@", "C: DATA", "body line")),
    # The 421 is in before the close: the next line meets a session that is ending, not yet closed.
    "421-mid-transaction-close-later": Hostile(
        [greeting(), *hello(), *envelope(), ("expect", b"RCPT"), ("send", b"421 4.4.2 timeout exceeded\r\n"),
         ("sleep", 1.5), ("close",)],
        message_script("b@hostile.test", "c@hostile.test"), status=3,
        shows=(r"^S: 421 4\.4\.2 timeout exceeded$", r"^!  not sent: the server ended the session"),
        never=("C: RCPT TO:<c@", "C: DATA", "body line")),
    "421-mid-pipelined-group": Hostile(
        [greeting(), *hello(), ("expect", b"MAIL"), ("expect", b"RCPT"), ("expect", b"RCPT"), ("expect", b"DATA"),
         ("send", b"250 2.1.0 ok\r\n421 4.7.0 too many errors\r\n"), ("close",)],
        message_script("b@hostile.test", "c@hostile.test"), options=("--pipeline",), status=3,
        shows=(r"^S: 421 4\.7\.0 too many errors$",
               r"^!  no reply will come to RCPT TO:<c@hostile\.test>, DATA: 421 ends the session"),
        never=("C: Subject", "C: body line")),
    "rst-mid-reply": Hostile(
        [greeting(), ("expect", b"EHLO"), ("send", b"250-first\r\n250-sec"), ("sleep", 0.2), ("rst",)],
        "EHLO client.test\nNOOP\n", status=3, shows=(r"^S: 250-first$", r"^\*  connection lost: .*reset"),
        never=("C: NOOP",), partial_shown=False),
    "rst-instead-of-reply": Hostile(
        [greeting(), *hello(), ("expect", b"MAIL"), ("rst",)],
        message_script("b@hostile.test"), status=3, shows=(r"^\*  connection lost: .*reset", r"^!  .*MAIL"),
        never=("C: RCPT",)),
    # ---- STARTTLS and TLS
    "starttls-injection-handshake-succeeds": Hostile(
        starttls_prelude([("send", b"220 go\r\n", b"250-injected\r\n250 AUTH PLAIN\r\n"), ("tls", TLS),
                          ("expect", b"EHLO"), ("send", b"250-hostile.test\r\n250 SIZE 1000\r\n"), *quit_()]),
        "EHLO client.test\nSTARTTLS\nEHLO client.test\n", options=("--insecure",),
        shows=(r"^!  30 octets arrived in plaintext after the 220 to STARTTLS and were discarded",
               r"^\*  TLS established"), never=("injected",)),
    "starttls-injection-handshake-fails": Hostile(
        starttls_prelude([("send", b"220 go\r\n", b"250 injected\r\n"), ("sleep", 0.3), ("close",)]),
        "EHLO client.test\nSTARTTLS\nEHLO client.test\n", status=4,
        shows=(r"^!  14 octets arrived in plaintext after the 220 to STARTTLS and were discarded",
               r"^!  TLS failed"), never=("S: 250 injected",)),
    "tls-handshake-stalls": Hostile(
        starttls_prelude([("send", b"220 go\r\n"), ("read_raw",), ("sleep", 6)]),
        "EHLO client.test\nSTARTTLS\nEHLO client.test\n", status=4,
        shows=(r"^!  TLS failed: no TLS handshake within 2 s",), never=("C: EHLO client.test\nC: EHLO",)),
    "tls-garbage-instead-of-server-hello": Hostile(
        starttls_prelude([("send", b"220 go\r\n"), ("read_raw",),
                          ("inject", b"HTTP/1.1 400 Bad Request\r\n\r\n\x00\xff\x1b[2J" * 8), ("sleep", 1)]),
        "EHLO client.test\nSTARTTLS\nEHLO client.test\n", status=4, shows=(r"^!  TLS failed: ",),
        never=("BoringSSL", "NIOSSL", "HTTP/1.1")),
    "implicit-tls-garbage": Hostile(
        [("read_raw",), ("inject", b"220 plaintext\r\n\x1b]0;t\x07\x00\xff" * 8), ("sleep", 1)],
        "EHLO client.test\n", options=("--tls",), status=4, shows=(r"^!  TLS failed: ",),
        never=("BoringSSL", "NIOSSL", "S: 220")),
    # ---- AUTH
    "auth-334-invalid-base64": Hostile(
        [greeting(), *hello(b"250-hostile.test\r\n250 AUTH CRAM-MD5\r\n"), ("expect", b"AUTH CRAM-MD5"),
         ("send", b"334 !!not*base64!!\r\n"), ("expect", b"*"), ("send", b"501 5.7.0 cancelled\r\n"), *quit_()],
        f"EHLO client.test\n/auth cram-md5 {USER}\n", status=5, secret=True,
        shows=(r"^!  the CRAM-MD5 challenge is not base64; cancelling$",)),
    "auth-login-334-invalid-base64": Hostile(
        [greeting(), *hello(b"250-hostile.test\r\n250 AUTH LOGIN\r\n"), ("expect", b"AUTH LOGIN"),
         ("send", b"334 @@@\r\n"), ("read",), ("send", b"334 UGFzc3dvcmQ6\r\n"), ("read",),
         ("send", b"535 5.7.8 no\r\n"), *quit_()],
        f"EHLO client.test\n/auth login {USER}\n", status=5, secret=True, shows=(r"^!  .*base64",)),
    "auth-endless-334-login": Hostile(
        [greeting(), *hello(b"250-hostile.test\r\n250 AUTH LOGIN\r\n"), ("expect", b"AUTH LOGIN"),
         ("send", b"334 VXNlcm5hbWU6\r\n"), ("answer", b"334 UGFzc3dvcmQ6\r\n", 30)],
        f"EHLO client.test\n/auth login {USER}\nNOOP\n", status=5, secret=True, most_client_lines=5,
        shows=(r"^!  the server answered 334 again after LOGIN had sent all it has: the exchange is cancelled with \*",
               r"^!  the server answered the \* with 334 again", r"^\*  connection closed: the AUTH exchange would never end")),
    "auth-endless-334-plain": Hostile(
        [greeting(), *hello(b"250-hostile.test\r\n250 AUTH PLAIN\r\n"), ("expect", b"AUTH PLAIN"),
         ("send", b"334 \r\n"), ("answer", b"334 \r\n", 30)],
        f"EHLO client.test\n/auth plain {USER}\nNOOP\n", status=5, secret=True, most_client_lines=4,
        shows=(r"^!  the server answered 334 again after PLAIN had sent all it has: the exchange is cancelled with \*",
               r"^!  the server answered the \* with 334 again", r"^\*  connection closed: the AUTH exchange would never end")),
    # ---- EHLO capabilities that make no sense
    "size-overflow": Hostile(
        [greeting(), *hello(b"250-hostile.test\r\n250 SIZE " + SIZE_OVERFLOW + b"\r\n"), *envelope(), *quit_()],
        "EHLO client.test\n/caps\nMAIL FROM:<a@client.test> SIZE=1000\n/expect 250\n",
        shows=(r"^!  .*SIZE",)),
    "size-negative": Hostile(
        [greeting(), *hello(b"250-hostile.test\r\n250 SIZE -1\r\n"), *envelope(), *quit_()],
        "EHLO client.test\n/caps\nMAIL FROM:<a@client.test> SIZE=1000\n/expect 250\n", shows=(r"^!  .*SIZE",)),
    "size-letters": Hostile(
        [greeting(), *hello(b"250-hostile.test\r\n250 SIZE abc\r\n"), *envelope(), *quit_()],
        "EHLO client.test\n/caps\nMAIL FROM:<a@client.test> SIZE=1000\n/expect 250\n", shows=(r"^!  .*SIZE",)),
    # ---- 354 where no message was asked for
    "354-to-rcpt": Hostile(
        [greeting(), *hello(), *envelope(), ("expect", b"RCPT"), ("send", b"354 go ahead\r\n"),
         ("expect", b"NOOP"), ("send", b"250 noop\r\n"), *quit_()],
        "EHLO client.test\nMAIL FROM:<a@client.test>\nRCPT TO:<b@hostile.test>\nNOOP\n/expect 250\n",
        shows=(r"^S: 354 go ahead$", r"^!  .*354", r"^S: 250 noop$")),
    "354-to-noop": Hostile(
        [greeting(), *hello(), ("expect", b"NOOP"), ("send", b"354 send it\r\n"), ("expect", b"RSET"),
         ("send", b"250 reset\r\n"), *quit_()],
        "EHLO client.test\nNOOP\nRSET\n/expect 250\n",
        shows=(r"^S: 354 send it$", r"^!  .*354", r"^S: 250 reset$")),
    # ---- per-recipient replies that do not add up
    "lmtp-more-replies-than-recipients": Hostile(
        [greeting(b"220 hostile.test LMTP"), *hello(b"250-hostile.test\r\n250 PIPELINING\r\n", verb=b"LHLO"),
         *envelope("b", "c"), ("expect", b"DATA"), ("send", b"354 go\r\n"), ("until", b"."),
         ("send", b"250 2.1.5 b ok\r\n250 2.1.5 c ok\r\n250 2.1.5 who is this for\r\n"), *quit_()],
        message_script("b@hostile.test", "c@hostile.test").replace("EHLO", "LHLO"), options=("--lmtp",),
        shows=(r"^S: 250 2\.1\.5 who is this for$", r"^!  unsolicited reply")),
    "lmtp-fewer-replies-than-recipients": Hostile(
        [greeting(b"220 hostile.test LMTP"), *hello(b"250-hostile.test\r\n250 PIPELINING\r\n", verb=b"LHLO"),
         *envelope("b", "c"), ("expect", b"DATA"), ("send", b"354 go\r\n"), ("until", b"."),
         ("send", b"250 2.1.5 b ok\r\n"), ("sleep", 0.3), ("close",)],
        message_script("b@hostile.test", "c@hostile.test").replace("EHLO", "LHLO") + "NOOP\n", options=("--lmtp",),
        status=3, shows=(r"^!  no reply came to .*: the connection ended first; RFC 2033 §5",), never=("C: NOOP",)),
    "prdr-skips-353": Hostile(
        [greeting(), *hello(b"250-hostile.test\r\n250 PRDR\r\n"), *envelope("b", "c"), ("expect", b"DATA"),
         ("send", b"354 go\r\n"), ("until", b"."), ("send", b"250 2.0.0 queued for all\r\n"),
         ("expect", b"NOOP"), ("send", b"250 noop\r\n"), *quit_()],
        message_script("b@hostile.test", "c@hostile.test", mail="MAIL FROM:<a@client.test> PRDR")
        + "NOOP\n/expect 250\n",
        shows=(r"^#  .*no 353",)),
}

# The rows also played in the REPL, in a terminal: everything escaped, the session survives.
REPL_CASES = [
    "greeting-osc8-link", "greeting-title", "greeting-clear-screen", "greeting-cursor-moves", "keyword-title",
    "bare-cr", "nul-bytes", "code-letters", "two-greetings", "extra-reply-after-221", "421-mid-transaction",
    "rst-mid-reply", "354-to-noop", "silence-after-final-dot", "lmtp-more-replies-than-recipients",
    "reply-100000-lines", "reply-128mib", "line-128mib-without-lf", "ehlo-10000-keywords",
    "starttls-injection-handshake-succeeds", "starttls-injection-handshake-fails", "tls-handshake-stalls",
    "size-overflow", "lmtp-fewer-replies-than-recipients", "prdr-skips-353",
]


# --------------------------------------------------------------------------------------------
# What every row must leave behind


# What VisibleText.isControl escapes beyond ASCII: C1 controls, bidi controls, zero-width
# characters, the line and paragraph separators and the byte order mark.
INVISIBLE = re.compile("[\u0080-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def visible(line):
    """The Python twin of SMTPCore's VisibleText.escape: how a wire line is shown and recorded."""
    out = []
    index = 0
    while index < len(line):
        byte = line[index]
        if byte < 0x80:
            out.append({0x5C: "\\\\", 0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r", 0x1B: "\\e", 0x00: "\\0"}.get(
                byte, chr(byte) if 0x20 <= byte < 0x7F else f"\\x{byte:02x}"))
            index += 1
            continue
        length = 2 if 0xC2 <= byte <= 0xDF else 3 if 0xE0 <= byte <= 0xEF else 4 if 0xF0 <= byte <= 0xF4 else 1
        try:
            scalar = line[index:index + length].decode("utf-8") if length > 1 else None
        except UnicodeDecodeError:
            scalar = None
        if scalar and len(scalar) == 1 and not INVISIBLE.match(scalar):
            out.append(scalar)
            index += length
        else:
            out.append(f"\\x{byte:02x}")
            index += 1
    return "".join(out)


def sent(step):
    """What a send, drip or repeat step writes, as far as ehlo keeps it: of a repeat, enough to
    pass the limits of a line and of a reply (ehlo drops the rest); of a send, not step[2]. A
    repeat is taken to be lines of one reply, or a piece of one line: of a repeat of whole
    replies, ehlo would show more than this, which `assert_in_order` lets pass unchecked."""
    if step[0] != "repeat":
        return step[1]
    chunk, count = step[1], step[2]
    enough = CAP_LINES + 2 if b"\n" in chunk else CAP_OCTETS // len(chunk) + 2
    return chunk * min(count, enough)


def server_lines(case):
    """The lines the server sent that ehlo must show and record: the bytes of its send and drip
    steps, cut at LF, as ehlo's limits keep them (16 KiB a line, 1,000 lines a reply)."""
    stream = b"".join(sent(step) for step in case.steps if step[0] in ("send", "drip", "repeat"))
    pieces = stream.split(b"\n")
    last = pieces.pop()
    lines = [piece[:-1] if piece.endswith(b"\r") else piece for piece in pieces]
    if last and case.partial_shown:
        lines.append(last)
    kept, in_reply = [], 0
    for line in lines:
        line = line[:CAP_OCTETS]
        if re.match(rb"\d{3}([- ]|$)", line):
            if in_reply < CAP_LINES:
                kept.append(line)
            in_reply = in_reply + 1 if line[3:4] == b"-" else 0
        else:
            kept.append(line)
    return kept


def client_lines(server):
    """What the server read, as lines: without the TLS marker and any raw ClientHello."""
    return [line for line in server.received
            if line != b"<TLS handshake done>" and not line.startswith(b"\x16\x03")]


def assert_in_order(expected, recorded, what):
    """Each expected line is among `recorded`, in order (anything may come between)."""
    position = 0
    for line in expected:
        try:
            position = recorded.index(line, position) + 1
        except ValueError:
            near = recorded[max(0, position - 3):position + 3]
            raise AssertionError(f"{what}: {line[:200]!r} is missing (after line {position}; near {near})")


def assert_transcript_complete(case, server, transcript, shown):
    """Every server line and every client line is in the transcript, in order; the lines that
    carried a secret are there as <redacted>; the screen's wire lines are the transcript's."""
    text = transcript.read_text(encoding="utf-8")
    lines = text.splitlines()
    recorded_server = [line for line in lines if line.startswith("S: ")]
    assert_in_order([f"S: {visible(line)}" for line in server_lines(case)], recorded_server, "server line")
    recorded_client = [line for line in lines if line.startswith("C: ")]
    position = 0
    for line in client_lines(server):
        for index in range(position, len(recorded_client)):
            got = recorded_client[index]
            if got == f"C: {visible(line)}" or (case.secret and "<redacted>" in got):
                position = index + 1
                break
        else:
            raise AssertionError(f"client line {line!r} is not in the transcript:\n{text[-3000:]}")
    if shown is not None:
        on_screen = [line for line in shown if line.startswith(("S: ", "C: "))]
        assert on_screen == recorded_server + recorded_client or sorted(on_screen) == sorted(
            recorded_server + recorded_client), "the screen and the transcript disagree"


def assert_no_secret(case, *texts):
    if not case.secret:
        return
    for name, form in secret_forms(USER, PASSWORD).items():
        for text in texts:
            assert form not in text, f"{name} ({form!r}) is in the output or transcript"


def prepared(case, certs):
    return [(step[0], server_context(certs)) if step == ("tls", TLS) else step for step in case.steps]


def peak_rss_kib(path):
    text = Path(path).read_text()
    assert "signal" not in text, text
    return int(text.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------
# Script mode


def run_measured(ehlo_bin, folder, arguments, script, secret):
    """ehlo in script mode under /usr/bin/time: (Run, peak RSS in KiB)."""
    environment = {key: value for key, value in os.environ.items() if key != "EHLO_PASSWORD"}
    environment.update({"HOME": str(folder), "XDG_STATE_HOME": str(folder / "state"),
                        "XDG_CONFIG_HOME": str(folder / "config"), "NO_COLOR": "1", "TERM": "dumb"})
    if secret:
        environment["EHLO_PASSWORD"] = PASSWORD
    rss = folder / "rss"
    start = time.monotonic()
    completed = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(rss), ehlo_bin, *arguments],
                               input=script.encode(), capture_output=True, timeout=RUN_TIMEOUT,
                               env=environment, cwd=str(folder))
    return Run(completed, time.monotonic() - start), peak_rss_kib(rss)


@pytest.fixture(scope="module")
def baseline_rss(ehlo_bin, tmp_path_factory):
    """Peak RSS of an ordinary short session: the greeting, EHLO, QUIT."""
    server = ScriptedServer([greeting(), *hello(), *quit_()])
    try:
        _, rss = run_measured(ehlo_bin, tmp_path_factory.mktemp("baseline"),
                              ("--no-history", "--color", "never", f"127.0.0.1:{server.port}"),
                              "EHLO client.test\n", secret=False)
        return rss
    finally:
        server.stop()


pytestmark = pytest.mark.skipif(not os.access("/usr/bin/time", os.X_OK), reason="/usr/bin/time measures peak RSS")


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_server_in_a_script(name, tls_scripted_server, certs, ehlo_bin, tmp_path, baseline_rss):
    case = CASES[name]
    server = tls_scripted_server(prepared(case, certs))
    transcript = tmp_path / "session.txt"
    arguments = ("--color", "never", "--no-history", "--timeout", case.timeout, *case.options,
                 "--transcript", str(transcript), f"127.0.0.1:{server.port}")
    run, peak = run_measured(ehlo_bin, tmp_path, arguments, case.script, case.secret)
    server.wait(5)
    assert_no_crash(run)
    assert_terminal_safe(run)
    assert run.elapsed < case.limit, f"took {run.elapsed:.1f} s: {run!r}"
    assert run.returncode == case.status, run
    for pattern in case.shows:
        assert any(re.search(pattern, line) for line in run.output.splitlines()), \
            f"no line matches {pattern!r}:\n{run!r}"
    for text in case.never:
        assert text not in run.output, f"{text!r} was shown:\n{run!r}"
    assert_transcript_complete(case, server, transcript, None if case.big else run.lines)
    assert_no_secret(case, run.output, transcript.read_text())
    if case.most_client_lines:
        assert len(client_lines(server)) <= case.most_client_lines, server.received
    if case.big:
        print(f"{name}: peak RSS {peak / 1024:.1f} MiB (baseline {baseline_rss / 1024:.1f} MiB)")
        assert peak - baseline_rss < RSS_HEADROOM_KIB, f"peak RSS {peak} KiB, baseline {baseline_rss} KiB"


# --------------------------------------------------------------------------------------------
# The REPL, in a terminal


PROMPT_TEXT = r"(ehlo( \S+)?( \[[^]]*\])?|data|bdat \d+/\d+)>"
PROMPT = re.compile(f"^{PROMPT_TEXT}$")  # a prompt waiting for a line
TYPED = re.compile(f"^{PROMPT_TEXT} ")  # a line typed at one


def control_contexts(case):
    """Short stretches of server bytes around each control byte: none may reach the terminal raw."""
    contexts = set()
    for line in server_lines(case):
        for index, byte in enumerate(line):
            if byte < 0x20 or byte == 0x7F:
                contexts.add(line[max(0, index - 2):index + 3])
    return contexts


def wait_for_prompt(term, timeout):
    """Until the last line is a prompt with nothing typed after it, or ehlo has ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if term.status_file.exists():
            return
        lines = term.lines()
        if lines and PROMPT.match(lines[-1]):
            return
        time.sleep(0.05)
    raise AssertionError(f"no prompt; screen:\n{term.screen()}")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
@pytest.mark.parametrize("name", REPL_CASES)
def test_hostile_server_in_the_repl(name, tls_scripted_server, certs, ehlo_bin, tmp_path, baseline_rss):
    case = CASES[name]
    server = tls_scripted_server(prepared(case, certs))
    transcript = tmp_path / "session.txt"
    raw, rss, go = tmp_path / "raw", tmp_path / "rss", tmp_path / "go"
    # ehlo starts only once the pane's raw output is being captured, and runs under /usr/bin/time.
    wrapper = tmp_path / "ehlo-measured"
    wrapper.write_text(f"#!/bin/sh\nwhile [ ! -e '{go}' ]; do sleep 0.02; done\n"
                       f"exec /usr/bin/time -f %M -o '{rss}' '{ehlo_bin}' \"$@\"\n")
    wrapper.chmod(0o755)
    term = Tmux(tmp_path, str(wrapper))
    term.config.write_text(term.config.read_text() + "set -g history-limit 100000\n")
    try:
        start = time.monotonic()
        term.start("--no-history", "--timeout", case.timeout, *case.options, "--transcript", str(transcript),
                   f"127.0.0.1:{server.port}")
        term.tmux("pipe-pane", "-t", term.target, f"cat > '{raw}'")
        title = term.tmux("display-message", "-p", "-t", term.target, "#{pane_title}").stdout
        go.touch()
        wait_for_prompt(term, case.limit)
        for line in case.script.splitlines():
            if term.status_file.exists():
                break
            term.type(line)
            term.send("Enter")
            time.sleep(0.05)
            wait_for_prompt(term, case.limit)
        if not term.status_file.exists():
            term.send("C-d")
        status = term.wait_exit(case.limit)
        elapsed = time.monotonic() - start
        screen = term.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", term.target).stdout
        assert term.tmux("display-message", "-p", "-t", term.target, "#{pane_title}").stdout == title
    finally:
        term.kill()
    server.wait(5)
    if os.environ.get("SHOW_SCREEN"):
        print(screen)
    assert status < 128, f"killed by signal {status - 128}:\n{screen}"
    # The typing and the waits for each prompt come on top.
    assert elapsed < case.limit + 5, f"took {elapsed:.1f} s:\n{screen}"
    for marker in ("Fatal error", "Stack dump", "Segmentation fault"):
        assert marker not in screen, screen
    for pattern in case.shows:
        assert any(re.search(pattern, line.rstrip()) for line in screen.splitlines()), \
            f"no line matches {pattern!r}:\n{screen}"
    # What ehlo showed, without what was typed at its prompts.
    shown = "\n".join(line for line in screen.splitlines() if not TYPED.match(line))
    for text in case.never:
        assert text not in shown, f"{text!r} was shown:\n{screen}"
    output = raw.read_bytes()
    for context in control_contexts(case):
        assert context not in output, f"{context!r} reached the terminal raw"
    assert_transcript_complete(case, server, transcript, None)
    if case.big:
        peak = peak_rss_kib(rss)
        print(f"{name} (REPL): peak RSS {peak / 1024:.1f} MiB (baseline {baseline_rss / 1024:.1f} MiB)")
        assert peak - baseline_rss < RSS_HEADROOM_KIB, f"peak RSS {peak} KiB, baseline {baseline_rss} KiB"
