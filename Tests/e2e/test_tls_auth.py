"""TLS and AUTH, end to end: STARTTLS (typed, /starttls, --starttls) and implicit TLS (--tls)
against real servers with certificates made on the spot, certificate verification and its
failures, /cert, STARTTLS plaintext injection (RFC 3207 §6, CVE-2011-0411), AUTH PLAIN, LOGIN and
CRAM-MD5 (/auth, --user, typed by hand), and secrets never reaching the screen, a transcript or
the history file.

Servers: `ehlo serve` with --tls-cert/--tls-key (tls_practice), aiosmtpd with an ssl_context for
implicit TLS (tls_mta.py), and a scripted server that switches to TLS (tls_scripted_server). All
listen on 127.0.0.1; ehlo connects to 127.0.0.1 and checks names with --sni localhost.
"""

import errno
import json
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

from practice_fixtures import PracticeServer
from tls_fixtures import (  # noqa: F401 (fixtures)
    b64, certs, plain_blob, secret_forms, server_context, tls_mta, tls_practice, tls_scripted_server, valid_from,
    valid_until)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent

# Short enough that a hang fails fast; every run is also bounded by run_ehlo's own timeout.
REPLY_TIMEOUT = "10"
QUICK = 10.0  # seconds: no TLS or AUTH run here should come near it

USER = "student"
PASSWORD = "practice"
PRACTICE_BLOB = "AHN0dWRlbnQAcHJhY3RpY2U="  # base64("\0student\0practice")

TLS_VERIFIED = re.compile(
    r"^\*  TLS established: TLS 1\.[23] \(offered TLS 1\.0–1\.3\), TLS_[A-Z0-9_]+; certificate CN=localhost, "
    r"issued by CN=ehlo test CA, "
    r"valid \S+ to \S+, names localhost; verified: its chain leads to CN=ehlo test CA$")
EHLO_DUE = "#  RFC 3207 §4.2: the server has forgotten this session; capabilities are unknown until EHLO, which is due again"
AUTH_ADVERTISED = "S: 250-AUTH PLAIN LOGIN CRAM-MD5"
CERT_HINT = ("#  --cafile FILE trusts the CA that issued it, --pin sha256:… this one certificate (/cert shows its "
             "fingerprint)")
INSECURE_HINT = "#  --insecure goes on without trust (and says so)"
CLEAR_TEXT_WARNING = "!  AUTH on a connection without TLS: the credentials cross the network readable"
NO_PASSWORD = ("!  no terminal to ask for the password: give --password-file FILE or set EHLO_PASSWORD "
               "(never on the command line)")


@pytest.fixture(autouse=True)
def no_password_in_environment(monkeypatch):
    """A password in the developer's environment must not make a test pass (or fail)."""
    monkeypatch.delenv("EHLO_PASSWORD", raising=False)


@pytest.fixture
def console(run_ehlo):
    """console(port, script, *options, env=None) -> Run: script mode against 127.0.0.1:port."""

    def run(port, script, *options, env=None):
        return run_ehlo("--color", "never", "--no-history", "--timeout", REPLY_TIMEOUT, *options,
                        f"127.0.0.1:{port}", input=script, env=env)

    return run


def trust(certs):
    return ("--cafile", certs.ca, "--sni", "localhost")


def index_of(run, predicate, what, start=0):
    for index, line in enumerate(run.lines[start:], start):
        if predicate(line):
            return index
    raise AssertionError(f"no line {what}:\n{run!r}")


def assert_tls_then_auth_advertised(run):
    """The verified TLS line, the §4.2 annotation, and AUTH advertised only by an EHLO after them."""
    tls = index_of(run, TLS_VERIFIED.match, "TLS established … verified")
    assert run.lines[tls + 1] == EHLO_DUE, run
    auth = index_of(run, lambda line: line == AUTH_ADVERTISED, "advertising AUTH")
    assert auth > tls, run
    assert run.lines.count(AUTH_ADVERTISED) == 1, run  # not before TLS: the server offers AUTH after it only
    # The EHLO that shows AUTH is the one sent after the handshake.
    ehlo = max(i for i, line in enumerate(run.lines[:auth]) if line.startswith("C: EHLO "))
    assert ehlo > tls, run
    return tls


def assert_handshake_right_after_220(run, tls):
    """The handshake happens at once on the 220: no command is sent between the 220 and the report."""
    starttls = max(i for i, line in enumerate(run.lines[:tls]) if line == "C: STARTTLS")
    assert run.lines[starttls + 1].startswith("S: 220 "), run
    assert not [line for line in run.lines[starttls + 1:tls] if line.startswith("C: ")], run


# ============================================================================================
# 1. STARTTLS three ways, verified with --cafile and --sni


def test_starttls_typed_in_a_script(tls_practice, certs, console):
    server = tls_practice()
    run = console(server.port, "EHLO x\nSTARTTLS\nEHLO x\nQUIT\n", *trust(certs))
    assert run.returncode == 0, run
    tls = assert_tls_then_auth_advertised(run)
    assert_handshake_right_after_220(run, tls)
    assert "S: 221 " in run.stdout, run
    assert run.elapsed < QUICK, run


def test_starttls_console_command(tls_practice, certs, console):
    server = tls_practice()
    run = console(server.port, "EHLO x\n/starttls\n/state\nEHLO x\n/state\nQUIT\n", *trust(certs))
    assert run.returncode == 0, run
    tls = assert_tls_then_auth_advertised(run)
    assert_handshake_right_after_220(run, tls)
    assert "/starttls" in run.lines[:tls], run
    states = [line for line in run.lines if line.startswith("TLS:")]
    assert states and all(re.match(r"TLS:\s+yes", line) for line in states), run


def test_starttls_option_does_ehlo_starttls_ehlo(tls_practice, certs, console):
    server = tls_practice()
    run = console(server.port, "QUIT\n", "--starttls", *trust(certs))
    assert run.returncode == 0, run
    said = index_of(run, lambda line: line == "*  --starttls: STARTTLS, then EHLO again", "saying --starttls")
    first_ehlo = index_of(run, lambda line: line.startswith("C: EHLO "), "with the first EHLO")
    assert first_ehlo < said, run
    assert run.lines[said + 1] == "C: STARTTLS", run
    tls = assert_tls_then_auth_advertised(run)
    assert_handshake_right_after_220(run, tls)
    assert len(run.lines_starting("C: EHLO ")) == 2, run


def test_starttls_option_refuses_a_server_without_starttls(practice_server_no_tls, console):
    run = console(practice_server_no_tls.port, "QUIT\n", "--starttls")
    assert run.returncode == 4, run
    assert "--starttls: the server did not advertise STARTTLS; ending the session rather than going on in plaintext" \
        in run.stdout, run
    # Every failure that ends a session says QUIT first.
    assert run.lines_starting("C: ")[-1] == "C: QUIT" and "S: 221 2.0.0 practice.test closing connection" in run.lines


@pytest.fixture(scope="module")
def practice_server_no_tls():
    server = PracticeServer("--no-tls")
    yield server
    server.stop()


# ============================================================================================
# 2. Verification failures: exit 4, one reason, a hint; --insecure goes on and says why


NAME_HINT = "#  connect by a name the certificate is for, or --sni NAME to check another"
EXPIRED_HINT = "#  the certificate is out of date: the server needs a renewed one"
FAILURES = [
    # id, certificate the server presents, options, the one reason, and the hint that fits it
    ("unknown CA", "server", ("--sni", "localhost"),
     "its issuer (CN=ehlo test CA) is not a CA this machine trusts", CERT_HINT),
    ("wrong name", "other", None, "it is for mx.other.test, not localhost", NAME_HINT),
    ("expired", "expired", None, "it expired on {expired_on}", EXPIRED_HINT),
    ("self-signed", "self", None, "it is self-signed", CERT_HINT),
    ("self-signed, no --cafile", "self", ("--sni", "localhost"), "it is self-signed", CERT_HINT),
    ("address instead of a name", "server", ("--cafile", "{ca}"), "it is for localhost, not 127.0.0.1", NAME_HINT),
]


def _options(certs, options):
    if options is None:
        return trust(certs)
    return tuple(option.format(ca=certs.ca) for option in options)


@pytest.mark.parametrize("stem, options, reason, expected_hint", [row[1:] for row in FAILURES],
                         ids=[row[0] for row in FAILURES])
def test_untrusted_certificate_fails_with_one_reason(tls_practice, certs, console, stem, options, reason,
                                                     expected_hint):
    server = tls_practice(stem)
    reason = reason.format(expired_on=certs.expired_on)
    run = console(server.port, "EHLO x\nSTARTTLS\nEHLO x\nQUIT\n", *_options(certs, options))
    assert run.returncode == 4, run
    failed = run.lines_starting("!  TLS failed: ")
    assert len(failed) == 1, run
    assert re.fullmatch(r"!  TLS failed: the server's certificate is not trusted: " + re.escape(reason)
                        + (r"T\S+" if stem == "expired" else ""), failed[0]), run
    # The remedy that fits the reason: a name mismatch is not cured by trusting a CA.
    hint = run.lines.index(failed[0]) + 1
    assert run.lines[hint:hint + 2] == [expected_hint, INSECURE_HINT], run  # the way around it last, once
    assert "TLS established" not in run.stdout and AUTH_ADVERTISED not in run.stdout, run
    assert "*  connection closed: the TLS handshake failed" in run.stdout, run
    # The script stops: nothing is sent after the failed handshake.
    assert run.lines_starting("C: ")[-1] == "C: STARTTLS", run
    assert run.elapsed < QUICK, run


@pytest.mark.parametrize("stem, options, reason", [row[1:4] for row in FAILURES], ids=[row[0] for row in FAILURES])
def test_insecure_completes_and_says_why_not_verified(tls_practice, certs, console, stem, options, reason):
    server = tls_practice(stem)
    reason = reason.format(expired_on=certs.expired_on)
    run = console(server.port, "QUIT\n", "--starttls", "--insecure", *_options(certs, options))
    assert run.returncode == 0, run
    established = run.lines_starting("*  TLS established: ")
    assert len(established) == 1, run
    assert "; NOT verified: " + reason in established[0], run
    assert "; verified" not in established[0], run
    assert "!  --insecure: this connection may be intercepted; the certificate was not trusted" in run.lines, run
    assert AUTH_ADVERTISED in run.lines, run


def test_insecure_with_a_trusted_certificate_still_says_verified(tls_practice, certs, console):
    server = tls_practice()
    run = console(server.port, "QUIT\n", "--starttls", "--insecure", *trust(certs))
    assert run.returncode == 0, run
    assert_tls_then_auth_advertised(run)
    assert "--insecure: this connection may be intercepted" not in run.stdout, run


def test_a_self_signed_certificate_given_to_cafile_is_trusted(tls_practice, certs, console):
    server = tls_practice("self")
    run = console(server.port, "QUIT\n", "--starttls", "--cafile", certs.pem("self"), "--sni", "localhost")
    assert run.returncode == 0, run
    established = run.lines_starting("*  TLS established: ")
    assert len(established) == 1 and "; verified: it is the very certificate given to trust" in established[0], run


def test_cafile_that_cannot_be_read_is_a_usage_error_before_connecting(tls_practice, certs, console, tmp_path):
    """A typo in the path is the user's, not the server's: exit 64 and the reason, nothing sent."""
    server = tls_practice()
    missing = tmp_path / "no-such-ca.pem"
    run = console(server.port, "QUIT\n", "--starttls", "--cafile", str(missing), "--sni", "localhost")
    assert run.returncode == 64, run
    assert f"--cafile {missing}: no such file" in run.stderr, run
    assert "connected to" not in run.stdout and "C: " not in run.stdout, run


def test_user_is_not_authenticated_over_an_untrusted_connection(tls_practice, certs, console):
    server = tls_practice("other")
    run = console(server.port, "QUIT\n", "--starttls", *trust(certs), "--user", USER,
                  env={"EHLO_PASSWORD": PASSWORD})
    assert run.returncode == 4, run
    assert "C: AUTH" not in run.stdout and "C: EHLO" in run.stdout, run


def _starttls_server(tls_scripted_server, answer, *after):
    return tls_scripted_server([
        ("send", b"220 evil.test ESMTP\r\n"),
        ("expect", b"EHLO "),
        ("send", b"250-evil.test\r\n250-AUTH PLAIN\r\n250 STARTTLS\r\n"),
        ("expect", b"STARTTLS"),
        ("send", answer),
        *after,
    ])


def test_starttls_option_refused_with_454_says_why_and_stops(tls_scripted_server, certs, console):
    """--starttls "refuses to go on in plaintext": on 454 it stops (exit 4) and sends no AUTH; it
    should also say so, as it does when STARTTLS is not advertised at all."""
    server = _starttls_server(tls_scripted_server, b"454 4.7.0 TLS not available due to temporary reason\r\n",
                              ("sleep", 5))
    run = console(server.port, "NOOP\nQUIT\n", "--starttls", *trust(certs), "--user", USER,
                  env={"EHLO_PASSWORD": PASSWORD})
    assert run.returncode == 4, run
    assert "C: AUTH" not in run.stdout and "C: NOOP" not in run.stdout, run
    assert run.elapsed < QUICK, run
    after = run.lines[index_of(run, lambda line: line.startswith("S: 454 "), "with 454") + 1:]
    assert [line for line in after if line.startswith("!  ")], \
        f"ehlo stopped after the 454 without a word about why (no '!' line after it):\n{run!r}"


def test_starttls_handshake_that_never_comes_times_out(tls_scripted_server, certs, console):
    server = _starttls_server(tls_scripted_server, b"220 go\r\n", ("sleep", 8))
    start = time.monotonic()
    run = console(server.port, "QUIT\n", "--starttls", *trust(certs), "--timeout", "2")
    assert run.returncode == 4, run
    assert "!  TLS failed: no TLS handshake within 2 s" in run.lines, run
    assert time.monotonic() - start < 7, run


def test_server_closing_during_the_handshake_says_why_in_words(tls_scripted_server, certs, console):
    """The server answers 220 to STARTTLS, reads the ClientHello, then closes: exit 4 and a
    reason in words (the server closed the connection during the handshake), not a BoringSSL dump."""
    server = _starttls_server(tls_scripted_server, b"220 go\r\n", ("read_raw",), ("close",))
    run = console(server.port, "QUIT\n", "--starttls", *trust(certs))
    assert run.returncode == 4, run
    failed = run.lines_starting("!  TLS failed: ")
    assert len(failed) == 1, run
    for internal in ("BoringSSL", "NIOSSL", "handshakeFailed"):
        assert internal not in failed[0], f"internal error text {internal!r} in: {failed[0]}"


def test_server_closing_right_after_220_is_a_tls_failure_every_time(tls_scripted_server, certs, console):
    """The 220 to STARTTLS and the server's close arrive together. The handshake ehlo was told to
    do (--starttls) failed: exit 4 with a "TLS failed" line, as when the close comes a moment later
    (test above). It is a race inside ehlo which of the two it reports, so try a few times."""
    outcomes = []
    for _ in range(5):
        server = _starttls_server(tls_scripted_server, b"220 go\r\n", ("close",))
        run = console(server.port, "QUIT\n", "--starttls", *trust(certs))
        server.wait(5)
        assert "TLS established" not in run.stdout and "C: QUIT" not in run.stdout, run
        outcomes.append((run.returncode, bool(run.lines_starting("!  TLS failed: ")), run.lines[-1]))
    assert all(status == 4 and said for status, said, _ in outcomes), \
        "exit status, 'TLS failed' said, last line, per run:\n" + "\n".join(map(str, outcomes))


# ============================================================================================
# 3. /cert and /cert pem


def test_cert_shows_the_certificate(tls_practice, certs, console):
    from cryptography import x509

    server = tls_practice()
    run = console(server.port, "/cert\nEHLO x\n/starttls\n/cert\nQUIT\n", *trust(certs))
    assert run.returncode == 0, run
    assert "!  no TLS session yet: STARTTLS (or connect with --tls) first" in run.lines, run
    start = run.lines.index("certificate 0 (the server's):")
    block = run.lines[start + 1:start + 8]
    fields = dict(re.match(r"  (\S+):\s+(.*)", line).groups() for line in block if line.startswith("  "))
    leaf = x509.load_pem_x509_certificate(Path(certs.pem("server")).read_bytes())
    assert fields["subject"] == "CN=localhost", run
    assert fields["issuer"] == "CN=ehlo test CA", run
    assert fields["serial"].replace(":", "").lstrip("0") == certs.server_serial, run
    before = valid_from(leaf).strftime("%Y-%m-%dT%H:%M:%S")
    after = valid_until(leaf).strftime("%Y-%m-%dT%H:%M:%S")
    assert re.fullmatch(re.escape(before) + r"(\.\d+)?Z to " + re.escape(after) + r"(\.\d+)?Z", fields["valid"]), run
    assert fields["names"] == "localhost", run
    assert fields["SHA-256"] == certs.server_fingerprint, run
    assert "verified: its chain leads to CN=ehlo test CA" in run.lines, run


def test_cert_pem_is_the_servers_pem(tls_practice, certs, console):
    server = tls_practice()
    run = console(server.port, "/cert pem\nQUIT\n", "--starttls", *trust(certs))
    assert run.returncode == 0, run
    begin = run.lines.index("-----BEGIN CERTIFICATE-----")
    end = run.lines.index("-----END CERTIFICATE-----", begin)
    shown = "\n".join(run.lines[begin:end + 1]) + "\n"
    assert shown == Path(certs.pem("server")).read_text(), run
    assert run.stdout.count("-----BEGIN CERTIFICATE-----") == 1, run  # the server sends its leaf only


# ============================================================================================
# 4. Implicit TLS (--tls) against aiosmtpd with an ssl_context


def test_implicit_tls(tls_mta, certs, console):
    run = console(tls_mta, "EHLO x\n/cert\nQUIT\n", "--tls", *trust(certs))
    assert run.returncode == 0, run
    tls = index_of(run, TLS_VERIFIED.match, "TLS established … verified")
    greeting = index_of(run, lambda line: line.startswith("S: 220 "), "with the greeting")
    assert tls < greeting, run  # the handshake comes first, then the 220 over TLS
    assert EHLO_DUE not in run.lines, run  # nothing was forgotten: no STARTTLS happened
    assert "S: 250-smtps.test" in run.lines and "S: 221 Bye" in run.lines, run
    fingerprint = [line for line in run.lines if line.startswith("  SHA-256:")]
    assert fingerprint == [f"  SHA-256:     {certs.server_fingerprint}"], run


def test_implicit_tls_unknown_ca_fails(tls_mta, certs, console):
    run = console(tls_mta, "EHLO x\nQUIT\n", "--tls", "--sni", "localhost")
    assert run.returncode == 4, run
    assert run.lines_starting("!  TLS failed: ") == [
        "!  TLS failed: the server's certificate is not trusted: its issuer (CN=ehlo test CA) is not a CA "
        "this machine trusts"], run
    assert CERT_HINT in run.lines and "C: EHLO x" not in run.stdout, run


def test_implicit_tls_port_465_is_documented(run_ehlo):
    for args in (("console", "--help"), ("help", "console")):
        run = run_ehlo(*args)
        assert run.returncode == 0, run
        text = " ".join(run.stdout.split())
        assert "--tls Implicit TLS from the first byte (RFC 8314); the port defaults to 465." in text, run
    readme = (REPO / "README.md").read_text()
    assert re.search(r"--tls.*465", readme), "README does not say --tls defaults to port 465"


def test_implicit_tls_against_a_plaintext_server_says_why_in_words(tls_practice, certs, console):
    """--tls to a server that greets in plaintext: the handshake fails (exit 4) and the reason
    should be words (the server does not speak TLS / answered in plaintext), not a BoringSSL dump."""
    server = tls_practice()
    run = console(server.port, "QUIT\n", "--tls", *trust(certs))
    assert run.returncode == 4, run
    failed = run.lines_starting("!  TLS failed: ")
    assert len(failed) == 1, run
    assert "S: 220" not in run.stdout, run  # the plaintext greeting is never shown as a reply
    # The reason must not be an internal error dump with source paths.
    for internal in ("BoringSSL", "NIOSSL", "handshakeFailed", ".build/", "tls_record.cc"):
        assert internal not in failed[0], f"internal error text {internal!r} in: {failed[0]}"


# ============================================================================================
# 5. STARTTLS injection: plaintext after the 220 is discarded, never read as a reply


INJECTIONS = {
    "a whole reply": b"250 injected\r\n",
    "a multiline reply": b"250-injected\r\n250 AUTH PLAIN\r\n",
    "a partial line": b"250 inj",
}


@pytest.mark.parametrize("how", ["typed", "/starttls", "--starttls"])
@pytest.mark.parametrize("injected", list(INJECTIONS.values()), ids=list(INJECTIONS))
def test_starttls_injection_is_discarded(tls_scripted_server, certs, console, how, injected):
    server = tls_scripted_server([
        ("send", b"220 evil.test ESMTP\r\n"),
        ("expect", b"EHLO "),
        ("send", b"250-evil.test\r\n250 STARTTLS\r\n"),
        ("expect", b"STARTTLS"),
        ("send", b"220 go\r\n" + injected),  # one send: the 220 and the injection arrive together
        ("tls", server_context(certs)),
        ("expect", b"EHLO "),
        ("send", b"250-evil.test\r\n250 AUTH PLAIN\r\n"),
        ("expect", b"QUIT"),
        ("send", b"221 bye\r\n"),
        ("close",),
    ])
    if how == "--starttls":
        run = console(server.port, "QUIT\n", "--starttls", *trust(certs))
    else:
        command = "STARTTLS" if how == "typed" else "/starttls"
        run = console(server.port, f"EHLO x\n{command}\nEHLO x\nQUIT\n", *trust(certs))
    server.wait(10)
    assert run.returncode == 0, run
    server.assert_ok()
    assert b"<TLS handshake done>" in server.received, server.received
    warnings = [line for line in run.lines if "discarded" in line]
    assert len(warnings) == 1, run
    warning = warnings[0]
    assert warning.startswith("!  "), run
    assert f"{len(injected)} octets arrived in plaintext after the 220 to STARTTLS" in warning, run
    assert "RFC 3207" in warning and "CVE-2011-0411" in warning, run
    assert "S: 250 injected" not in run.stdout and "S: 250-injected" not in run.stdout, run
    assert not [line for line in run.lines if line.startswith("S: ") and "inj" in line], run
    # The reply to the EHLO over TLS is the real one.
    assert "S: 250 AUTH PLAIN" in run.lines, run


@pytest.mark.parametrize("injected", list(INJECTIONS.values()), ids=list(INJECTIONS))
def test_starttls_injection_is_reported_when_the_handshake_then_fails(tls_scripted_server, console, injected):
    """The injection is reported before the handshake's outcome: here the server closes instead
    of speaking TLS, and the user still learns that it injected plaintext."""
    server = tls_scripted_server([
        ("send", b"220 evil.test ESMTP\r\n"),
        ("expect", b"EHLO "),
        ("send", b"250-evil.test\r\n250 STARTTLS\r\n"),
        ("expect", b"STARTTLS"),
        ("send", b"220 go\r\n" + injected),
        ("sleep", 0.3),
        ("close",),
    ])
    run = console(server.port, "EHLO x\nSTARTTLS\nQUIT\n")
    server.wait(10)
    assert run.returncode == 4, run
    warnings = [line for line in run.lines if "discarded" in line]
    assert len(warnings) == 1, run
    assert warnings[0].startswith("!  "), run
    assert f"{len(injected)} octets arrived in plaintext after the 220 to STARTTLS" in warnings[0], run
    assert not [line for line in run.lines if line.startswith("S: ") and "inj" in line], run


def test_starttls_injection_arriving_late_is_never_shown(tls_scripted_server, certs, console):
    """The injection comes in its own segment after the 220: by then ehlo may be in the handshake
    (the bytes break it: exit 4) or not yet (they are discarded); never are they shown as a reply."""
    server = tls_scripted_server([
        ("send", b"220 evil.test ESMTP\r\n"),
        ("expect", b"EHLO "),
        ("send", b"250-evil.test\r\n250 STARTTLS\r\n"),
        ("expect", b"STARTTLS"),
        ("send", b"220 go\r\n"),
        ("sleep", 0.3),
        ("send", b"250 injected\r\n"),
        ("tls", server_context(certs)),
        ("expect", b"EHLO "),
        ("send", b"250 evil.test\r\n"),
        ("expect", b"QUIT"),
        ("send", b"221 bye\r\n"),
        ("close",),
    ])
    run = console(server.port, "EHLO x\nSTARTTLS\nEHLO x\nQUIT\n", *trust(certs))
    server.wait(10)
    assert not [line for line in run.lines if line.startswith("S: ") and "inj" in line], run
    if run.returncode == 0:
        assert any("discarded" in line and "CVE-2011-0411" in line for line in run.lines), run
    else:
        assert run.returncode == 4 and run.lines_starting("!  TLS failed: "), run
    assert run.elapsed < QUICK, run


# ============================================================================================
# 6. AUTH after STARTTLS


def auth_run(console, server, certs, script, *options, env=None):
    return console(server.port, script, "--starttls", *trust(certs), *options, env=env)


@pytest.mark.parametrize("mechanism", ["plain", "login", "cram-md5"])
def test_auth_command_with_ehlo_password(tls_practice, certs, console, mechanism):
    server = tls_practice()
    run = auth_run(console, server, certs, f"/auth {mechanism} student\nQUIT\n", env={"EHLO_PASSWORD": PASSWORD})
    assert run.returncode == 0, run
    assert run.lines_starting("S: 235 "), run
    assert f"*  authenticated as student with {mechanism.upper()}" in run.lines, run
    auth = index_of(run, lambda line: line.startswith("C: AUTH "), "sending AUTH")
    assert auth > index_of(run, TLS_VERIFIED.match, "TLS established"), run
    if mechanism == "plain":
        assert run.lines[auth] == "C: AUTH PLAIN <redacted>", run
    if mechanism == "login":
        assert '#  334 challenge, base64-decoded: "Username:"' in run.lines, run
        assert '#  334 challenge, base64-decoded: "Password:"' in run.lines, run
        # The user name is no secret: only the password is redacted.
        assert run.lines_starting("C: <redacted>") == ["C: <redacted>"], run
        assert f"C: {b64(USER)}" in run.lines, run
    if mechanism == "cram-md5":
        decoded = [line for line in run.lines if line.startswith("#  334 challenge, base64-decoded: ")]
        assert len(decoded) == 1 and re.fullmatch(r'#  334 challenge, base64-decoded: "<[^>]+@practice\.test>"',
                                                  decoded[0]), run


@pytest.mark.parametrize("mechanism", ["plain", "login", "cram-md5"])
def test_auth_with_password_file(tls_practice, certs, console, tmp_path, mechanism):
    server = tls_practice()
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD + "\nsecond line is ignored\n")
    run = auth_run(console, server, certs, f"/auth {mechanism} student\nQUIT\n", "--password-file",
                   str(password_file))
    assert run.returncode == 0, run
    assert run.lines_starting("S: 235 ") and f"*  authenticated as student with {mechanism.upper()}" in run.lines, run


def test_password_file_may_be_a_pipe_that_is_filled_later(tls_practice, certs, console, tmp_path):
    """A password manager's pipe (`--password-file <(pass show mail)`) gives the password when it
    is ready; the console reads it then, off the connection's thread, and authenticates."""
    server = tls_practice()
    fifo = tmp_path / "password"
    os.mkfifo(fifo)
    written = []

    def fill_when_opened():
        time.sleep(1)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                descriptor = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as error:
                if error.errno != errno.ENXIO:  # no reader yet
                    raise
                time.sleep(0.05)
                continue
            os.write(descriptor, (PASSWORD + "\n").encode())
            os.close(descriptor)
            written.append(True)
            return

    writer = threading.Thread(target=fill_when_opened)
    writer.start()
    run = auth_run(console, server, certs, "/auth plain student\nNOOP\nQUIT\n", "--password-file", str(fifo))
    writer.join()
    assert written, f"the console never opened the pipe: {run}"
    assert run.returncode == 0, run
    assert "*  authenticated as student with PLAIN" in run.lines, run
    assert "C: AUTH PLAIN <redacted>" in run.lines, run
    assert run.lines_starting("S: 250 "), run


def test_a_password_pipe_is_read_once_for_the_run_without_waiting_for_its_end(tls_practice, certs, run_ehlo):
    """`--password-file <(pass show mail)`: a pipe (/dev/fd/N) gives its line once, and its writer
    may stay open after it. The password is kept for the run, so the --user login of a /connect
    with the same --password-file has it too (read again, the pipe would give nothing)."""
    server = tls_practice()
    reader, writer = os.pipe()
    os.write(writer, (PASSWORD + "\n").encode())
    try:
        run = run_ehlo("--color", "never", "--no-history", "--timeout", REPLY_TIMEOUT, "--starttls", *trust(certs),
                       "--user", USER, "--password-file", f"/dev/fd/{reader}", f"127.0.0.1:{server.port}",
                       input=f"NOOP\n/connect 127.0.0.1:{server.port} --starttls {' '.join(trust(certs))} "
                             f"--user {USER} --password-file /dev/fd/{reader}\nNOOP\nQUIT\n", pass_fds=[reader])
    finally:
        os.close(reader)
        os.close(writer)
    assert run.returncode == 0, run
    assert run.lines.count(f"*  authenticated as {USER} with PLAIN") == 2, run
    assert not run.lines_starting("!  "), run
    assert run.elapsed < QUICK, run


def test_a_password_pipe_nobody_writes_is_given_up_after_the_timeout(tls_practice, certs, console, tmp_path):
    """A FIFO that no writer opens: the console says what it waits for, gives up after --timeout,
    sends no credentials, and the session goes on."""
    server = tls_practice()
    fifo = tmp_path / "password"
    os.mkfifo(fifo)
    run = auth_run(console, server, certs, "/auth plain student\nNOOP\nQUIT\n", "--password-file", str(fifo),
                   "--timeout", "3")
    assert f"*  waiting up to 3 s for a line in --password-file {fifo}" in run.lines, run
    assert f"!  no line came in --password-file {fifo} in 3 s: not authenticating" in run.lines, run
    assert not run.lines_starting("C: AUTH"), run
    assert run.lines_starting("S: 250 "), run  # NOOP is answered
    assert run.returncode == 5, run  # the exit status of an AUTH that failed
    assert 3 <= run.elapsed < 3 + QUICK, run


def test_a_password_file_with_crlf_line_ends(tls_practice, certs, console, tmp_path):
    """Saved on Windows: the CR of CR LF is not part of the password."""
    server = tls_practice()
    path = tmp_path / "password"
    path.write_bytes((PASSWORD + "\r\nsecond line\r\n").encode())
    run = auth_run(console, server, certs, "/auth plain student\nQUIT\n", "--password-file", str(path))
    assert f"*  authenticated as {USER} with PLAIN" in run.lines, run


@pytest.mark.parametrize("kind, reason", [("missing", "No such file or directory"),
                                          ("directory", "Is a directory"),
                                          ("latin-1", "it is not UTF-8"),
                                          ("empty", "it is empty"),
                                          ("pipe-closed-without-a-word", "it is empty"),
                                          ("blank-line", "its first line is empty"),
                                          ("no-line-end", "it has no line end in its first 64 KiB")])
def test_an_unreadable_password_file_says_why_and_sends_nothing(tls_practice, certs, console, tmp_path, kind,
                                                                reason):
    server = tls_practice()
    path = tmp_path / "password"
    if kind == "directory":
        path.mkdir()
    elif kind == "latin-1":
        path.write_bytes("pass\xe9\n".encode("latin-1"))
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "pipe-closed-without-a-word":
        # A FIFO whose writer (a password manager that failed) opens it and closes it at once.
        os.mkfifo(path)
        threading.Thread(target=lambda: os.close(os.open(path, os.O_WRONLY)), daemon=True).start()
    elif kind == "blank-line":
        path.write_bytes(b"\n" + PASSWORD.encode() + b"\n")
    elif kind == "no-line-end":
        path.write_bytes(b"x" * (70 * 1024))
    run = auth_run(console, server, certs, "/auth plain student\nNOOP\nQUIT\n", "--password-file", str(path))
    assert f"!  cannot read --password-file {path}: {reason}" in run.lines, run
    assert not run.lines_starting("C: AUTH"), run
    assert run.lines_starting("S: 250 "), run  # the session goes on: NOOP is answered


def test_user_option_on_the_command_line(tls_practice, certs, console):
    server = tls_practice()
    run = auth_run(console, server, certs, "MAIL FROM:<student@practice.test>\nQUIT\n",
                   "--user", USER, "--auth", "cram-md5", env={"EHLO_PASSWORD": PASSWORD})
    assert run.returncode == 0, run
    tls = assert_tls_then_auth_advertised(run)
    auth = run.lines.index("C: AUTH CRAM-MD5")
    assert auth > tls, run
    assert "*  authenticated as student with CRAM-MD5" in run.lines, run
    assert run.lines.index("C: MAIL FROM:<student@practice.test>") > auth, run


@pytest.mark.parametrize("how", ["/auth", "--user"])
def test_wrong_password_is_535_and_exit_5(tls_practice, certs, console, how):
    server = tls_practice()
    env = {"EHLO_PASSWORD": "not-the-password"}
    if how == "/auth":
        run = auth_run(console, server, certs, "/auth plain student\nNOOP\nQUIT\n", env=env)
    else:
        run = auth_run(console, server, certs, "NOOP\nQUIT\n", "--user", USER, "--auth", "login", env=env)
    assert run.returncode == 5, run
    reply = index_of(run, lambda line: line.startswith("S: 535 "), "with 535")
    after = run.lines[reply + 1:]
    assert any("RFC 4954" in line for line in after[:3]), run
    assert any(line.startswith("#  after AUTH") and "the credentials were rejected" in line for line in after), run
    assert "*  authentication as student failed" in run.lines, run
    assert "C: NOOP" not in run.stdout, run  # the script stops at the failed AUTH
    assert run.elapsed < QUICK, run


def test_auth_plain_typed_by_hand(tls_practice, certs, console):
    server = tls_practice()
    run = auth_run(console, server, certs, f"AUTH PLAIN {PRACTICE_BLOB}\nQUIT\n")
    assert run.returncode == 0, run
    assert "C: AUTH PLAIN <redacted>" in run.lines, run
    assert run.lines_starting("S: 235 "), run
    assert PRACTICE_BLOB not in run.output, run


def test_auth_plain_typed_with_the_blob_after_334(tls_practice, certs, console):
    server = tls_practice()
    run = auth_run(console, server, certs, f"AUTH PLAIN\n{PRACTICE_BLOB}\nQUIT\n")
    assert run.returncode == 0, run
    assert "C: AUTH PLAIN" in run.lines and "C: <redacted>" in run.lines, run
    assert run.lines_starting("S: 235 "), run
    assert PRACTICE_BLOB not in run.output, run


def test_auth_login_answers_typed_by_hand(tls_practice, certs, console):
    server = tls_practice()
    run = auth_run(console, server, certs, f"AUTH LOGIN\n{b64(USER)}\n{b64(PASSWORD)}\nQUIT\n")
    assert run.returncode == 0, run
    assert '#  334 challenge, base64-decoded: "Username:"' in run.lines, run
    assert '#  334 challenge, base64-decoded: "Password:"' in run.lines, run
    # The answer to "Username:" is no secret; the password is.
    assert run.lines_starting("C: <redacted>") == ["C: <redacted>"], run
    assert f"C: {b64(USER)}" in run.lines, run
    assert run.lines_starting("S: 235 "), run
    assert b64(PASSWORD) not in run.output, run


@pytest.mark.parametrize("how", ["/auth", "typed", "--user"])
def test_auth_without_tls_warns_about_clear_text(tls_practice, certs, console, how):
    server = tls_practice("server", "--allow-plain-auth")
    env = {"EHLO_PASSWORD": PASSWORD}
    if how == "/auth":
        run = console(server.port, "EHLO x\n/auth plain student\nQUIT\n", env=env)
    elif how == "typed":
        run = console(server.port, f"EHLO x\nAUTH PLAIN {PRACTICE_BLOB}\nQUIT\n")
    else:
        run = console(server.port, "QUIT\n", "--user", USER, env=env)
    assert run.returncode == 0, run
    assert "TLS established" not in run.stdout, run
    warning = index_of(run, lambda line: line.startswith(CLEAR_TEXT_WARNING), "warning about clear text")
    assert run.lines[warning + 1] == "C: AUTH PLAIN <redacted>", run
    assert run.lines_starting("S: 235 "), run


def test_auth_after_tls_gives_no_clear_text_warning(tls_practice, certs, console):
    server = tls_practice()
    run = auth_run(console, server, certs, "/auth plain student\nQUIT\n", env={"EHLO_PASSWORD": PASSWORD})
    assert run.returncode == 0, run
    assert not [line for line in run.lines if line.startswith(CLEAR_TEXT_WARNING)], run


@pytest.mark.parametrize("how", ["/auth", "--user"])
def test_credentials_are_not_sent_when_auth_is_not_advertised(tls_practice, certs, console, how):
    """Credentials ehlo builds itself go only to a server that asked for them (typed AUTH still goes)."""
    server = tls_practice()  # offers STARTTLS, and AUTH only after it
    env = {"EHLO_PASSWORD": PASSWORD}
    if how == "/auth":
        run = console(server.port, "EHLO x\n/auth plain student\nQUIT\n", env=env)
    else:
        run = console(server.port, "QUIT\n", "--user", USER, "--auth", "plain", env=env)
    assert "C: AUTH PLAIN" not in run.stdout, run
    assert "not sending credentials: the last EHLO did not advertise AUTH" in run.stdout, run
    if how == "--user":
        assert run.returncode == 5, run


@pytest.mark.parametrize("how", ["/auth", "--user"])
def test_no_terminal_and_no_password_says_so_without_hanging(tls_practice, certs, console, how):
    server = tls_practice()
    if how == "/auth":
        run = auth_run(console, server, certs, "/auth login student\nNOOP\nQUIT\n")
    else:
        run = auth_run(console, server, certs, "NOOP\nQUIT\n", "--user", USER)
    assert run.returncode == 5, run
    assert NO_PASSWORD in run.lines, run
    assert "C: AUTH" not in run.stdout, run  # nothing half-sent
    assert run.elapsed < QUICK, run


# ============================================================================================
# 7. Secrets never leak: stdout, transcripts (text and jsonl), history; the terminal in tmux

# A password that appears nowhere else (the default "practice" is part of "practice.test" and of
# the greeting "ehlo practice server", so it could not be searched for).
LEAK_PASSWORD = "Zebra-Quartz-91x!"


def assert_no_secret(text, where, user=USER, password=LEAK_PASSWORD):
    for name, form in secret_forms(user, password).items():
        assert form not in text, f"{name} ({form!r}) found in {where}:\n{text}"


def leak_script(port):
    """Three sessions: PLAIN by /auth, PLAIN typed by hand, LOGIN answers typed by hand; then
    LOGIN by /auth."""
    reconnect = f"/connect 127.0.0.1:{port}\nEHLO x\n/starttls\nEHLO x\n"
    return ("EHLO x\nSTARTTLS\nEHLO x\n/auth plain student\n"
            + reconnect + f"AUTH PLAIN {plain_blob(USER, LEAK_PASSWORD)}\n"
            + reconnect + f"AUTH LOGIN\n{b64(USER)}\n{b64(LEAK_PASSWORD)}\n"
            + reconnect + "/auth login student\n"
            + "QUIT\n")


@pytest.mark.parametrize("transcript", ["session.txt", "session.jsonl"])
def test_secrets_stay_out_of_output_and_transcripts(tls_practice, certs, console, tmp_path, transcript):
    server = tls_practice("server", "--user", f"{USER}:{LEAK_PASSWORD}")
    path = tmp_path / transcript
    run = console(server.port, leak_script(server.port), *trust(certs), "--transcript", str(path),
                  env={"EHLO_PASSWORD": LEAK_PASSWORD})
    assert run.returncode == 0, run
    assert len(run.lines_starting("S: 235 ")) == 4, run  # all four really authenticated
    assert_no_secret(run.stdout, "stdout")
    assert_no_secret(run.stderr, "stderr")
    recorded = path.read_text()
    assert_no_secret(recorded, transcript)
    if transcript.endswith(".jsonl"):
        events = [json.loads(line) for line in recorded.splitlines()]
        assert events[0]["type"] == "header" and events[0]["redacted"] is True, events[0]
        client = [event["line"] for event in events if event["type"] == "client"]
        # Two LOGIN passwords; the LOGIN user names are no secrets.
        assert client.count("AUTH PLAIN <redacted>") == 2 and client.count("<redacted>") == 2, client
        assert client.count(b64(USER)) == 2, client
    else:
        assert "secrets redacted" in recorded.splitlines()[0], recorded
        assert recorded.count("C: AUTH PLAIN <redacted>") == 2 and recorded.count("C: <redacted>") == 2, recorded
        assert recorded.count(f"C: {b64(USER)}") == 2, recorded


tmux_only = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


@pytest.fixture
def term(tmp_path, ehlo_bin):
    from test_repl_tmux import Tmux

    session = Tmux(tmp_path, ehlo_bin)
    try:
        yield session
    finally:
        session.kill()


def _type_line(term, text):
    term.type(text)
    term.send("Enter")


@tmux_only
def test_interactive_auth_hides_the_password(tls_practice, certs, term, tmp_path):
    server = tls_practice("server", "--user", f"{USER}:{LEAK_PASSWORD}")
    history = tmp_path / "state" / "history"
    history.parent.mkdir(parents=True)
    transcript = tmp_path / "interactive.txt"
    term.start("--history", str(history), "--transcript", str(transcript), "--timeout", REPLY_TIMEOUT,
               "--starttls", *trust(certs), f"127.0.0.1:{server.port}")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo tls]>")

    # /auth plain: the password prompt, no echo, 235.
    _type_line(term, "/auth plain student")
    term.wait_last_line("password for student (not echoed):")
    term.type(LEAK_PASSWORD)
    time.sleep(0.3)  # give an echo (there must be none) time to reach the screen
    assert LEAK_PASSWORD not in term.screen()
    assert term.last_line() == "password for student (not echoed):"
    term.send("Enter")
    term.wait_text("*  authenticated as student with PLAIN")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo tls auth]>")
    assert "S: 235 " in term.screen()
    term.send("Up")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo tls auth]> /auth plain student")
    term.send("Up")
    time.sleep(0.2)
    assert LEAK_PASSWORD not in term.screen()
    term.send("C-c")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo tls auth]>")

    # A second session: LOGIN answers typed at the 334 prompts: the user name shown, the
    # password not echoed.
    _type_line(term, f"/connect 127.0.0.1:{server.port}")
    term.wait_last_line("ehlo 127.0.0.1 [greeted]>")
    _type_line(term, "EHLO x")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo]>")
    _type_line(term, "/starttls")
    term.wait_last_line("ehlo 127.0.0.1 [greeted tls]>")
    _type_line(term, "EHLO x")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo tls]>")
    _type_line(term, "AUTH LOGIN")
    term.wait_last_line("answer to 334 (the user name, base64)>")
    _type_line(term, b64(USER))
    term.wait_last_line("answer to 334 (not echoed)>")
    term.type(b64(LEAK_PASSWORD))
    time.sleep(0.3)
    assert b64(LEAK_PASSWORD) not in term.screen() and b64(USER) in term.screen()
    term.send("Enter")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo tls auth]>")

    # A third: AUTH PLAIN typed by hand (the typed line is on the screen, as typed; it must not
    # reach the history file), and /b64 encode of the blob (memory only too).
    _type_line(term, f"/connect 127.0.0.1:{server.port}")
    term.wait_last_line("ehlo 127.0.0.1 [greeted]>")
    _type_line(term, "EHLO x")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo]>")
    _type_line(term, "/starttls")
    term.wait_last_line("ehlo 127.0.0.1 [greeted tls]>")
    _type_line(term, "EHLO x")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo tls]>")
    _type_line(term, f"/b64 encode \\0{USER}\\0{LEAK_PASSWORD}")
    term.wait_text(plain_blob(USER, LEAK_PASSWORD) + "\n")
    _type_line(term, f"AUTH PLAIN {plain_blob(USER, LEAK_PASSWORD)}")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo tls auth]>")

    term.send("C-d")
    assert term.wait_exit() == 0

    raw = history.read_text(errors="replace")
    # libedit keeps history vis(3)-encoded: a space is \040.
    saved = re.sub(r"\\([0-7]{3})", lambda match: chr(int(match.group(1), 8)), raw)
    assert "/auth plain student" in saved.splitlines(), saved
    assert_no_secret(raw, "the history file")
    assert_no_secret(saved, "the history file (decoded)")
    assert "AUTH PLAIN" not in saved.upper().replace("/AUTH PLAIN", ""), saved
    assert "/b64" not in saved, saved
    recorded = transcript.read_text()
    assert_no_secret(recorded, "the interactive transcript")
    assert recorded.count("S: 235 ") == 3, recorded
    # The LOGIN password is redacted; its user name is no secret.
    assert recorded.count("C: AUTH PLAIN <redacted>") == 2 and recorded.count("C: <redacted>") == 1, recorded
    assert f"C: {b64(USER)}" in recorded, recorded


@tmux_only
def test_password_prompt_takes_backspace_and_ctrl_c_cancels(tls_practice, certs, term, tmp_path):
    server = tls_practice()
    term.start("--no-history", "--timeout", REPLY_TIMEOUT, "--starttls", *trust(certs), f"127.0.0.1:{server.port}")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo tls]>")

    # Ctrl-C at the prompt: nothing is sent, echo comes back, the console goes on.
    _type_line(term, "/auth login student")
    term.wait_last_line("password for student (not echoed):")
    term.type("half-typed")
    term.send("C-c")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo tls]>")
    assert "C: AUTH" not in term.screen() and "half-typed" not in term.screen()
    term.type("NOOP")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo tls]> NOOP")  # typing is echoed again
    term.send("Enter")
    term.wait_text("S: 250 2.0.0 Ok")

    # Backspace corrects a typo in the password.
    _type_line(term, "/auth plain student")
    term.wait_last_line("password for student (not echoed):")
    term.type("practicx")
    term.send("BSpace")
    term.type("e")
    term.send("Enter")
    term.wait_text("*  authenticated as student with PLAIN")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo tls auth]>")
    term.send("C-d")
    assert term.wait_exit() == 0


# ============================================================================================
# 8. TLS controls: files checked before connecting, IPv6 addresses in certificates, --pin,
#    client certificates, --tls-min, /cert after a refusal


NOT_LISTENING = "127.0.0.1:1"  # nothing is reached: every check here runs before connecting


@pytest.mark.parametrize("make_file, why", [
    (lambda tmp_path, certs: tmp_path / "missing.pem", "no such file"),
    (lambda tmp_path, certs: tmp_path, "it is a directory, not a file"),
    (lambda tmp_path, certs: _write(tmp_path / "text.pem", "not a certificate\n"),
     "no PEM certificate in it (-----BEGIN CERTIFICATE-----)"),
    (lambda tmp_path, certs: certs.key("server"), "no PEM certificate in it (-----BEGIN CERTIFICATE-----)"),
], ids=["missing", "a directory", "text", "a key"])
def test_unusable_cafile_is_a_usage_error(run_ehlo, certs, tmp_path, make_file, why):
    path = make_file(tmp_path, certs)
    run = run_ehlo("--no-history", "--starttls", "--cafile", str(path), NOT_LISTENING, input="QUIT\n")
    assert run.returncode == 64, run
    assert f"--cafile {path}: {why}" in run.stderr, run
    assert "connect" not in run.stdout, run


def _write(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize("options, message", [
    (("--cert", "{client}"), "--cert and --key go together"),
    (("--cert", "{missing}", "--key", "{client_key}"), "--cert {missing}: no such file"),
    (("--cert", "{client}", "--key", "{client}"), "--key {client}: no unencrypted PEM private key in it"),
    (("--cert", "{client}", "--key", "{server_key}"),
     "--key {server_key}: this key does not belong to the certificate in {client}"),
    (("--pin", "sha256:1234"), "--pin 'sha256:1234': a SHA-256 fingerprint is 64 hex digits after sha256:"),
    (("--pin", "AB" * 32), "is not a fingerprint: write sha256: and 64 hex digits"),
    (("--pin", "sha256:" + "AB" * 32, "--cafile", "{ca}"), "--pin and --cafile exclude each other"),
    (("--pin", "sha256:" + "AB" * 32, "--insecure"), "--pin and --insecure exclude each other"),
    (("--tls-min", "1.4"), "1.4"),
], ids=["cert without key", "missing cert", "key is a certificate", "key of another certificate", "short pin",
        "pin without sha256:", "pin and cafile", "pin and insecure", "tls-min 1.4"])
def test_unusable_tls_options_are_usage_errors(run_ehlo, certs, tmp_path, options, message):
    names = {"client": certs.pem("client"), "client_key": certs.key("client"), "server_key": certs.key("server"),
             "missing": str(tmp_path / "missing.pem"), "ca": certs.ca}
    options = [option.format(**names) for option in options]
    run = run_ehlo("--no-history", "--starttls", *options, NOT_LISTENING, input="QUIT\n")
    assert run.returncode == 64, run
    assert message.format(**names) in run.stderr, run
    assert "connect" not in run.stdout, run


# --- IPv6: an iPAddress name ::1 is the address [::1], however written


def _has_ipv6_loopback():
    import socket
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


ipv6_only = pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback (::1) on this machine")


@pytest.fixture(scope="module")
def ipv6_practice(certs):
    if not _has_ipv6_loopback():
        pytest.skip("no IPv6 loopback (::1) on this machine")
    server = PracticeServer("--tls-cert", certs.pem("ipv6"), "--tls-key", certs.key("ipv6"), listen="[::1]:0")
    yield server
    server.stop()


@ipv6_only
@pytest.mark.parametrize("host", ["[::1]", "[0:0:0:0:0:0:0:1]"])
def test_ipv6_address_in_the_certificate_is_verified(ipv6_practice, certs, run_ehlo, host):
    run = run_ehlo("--color", "never", "--no-history", "--timeout", REPLY_TIMEOUT, "--starttls", "--cafile",
                   certs.ca, f"{host}:{ipv6_practice.port}", input="/cert\nQUIT\n")
    assert run.returncode == 0, run
    established = run.lines_starting("*  TLS established: ")
    assert len(established) == 1, run
    assert ", names ::1; verified: its chain leads to CN=ehlo test CA" in established[0], run
    assert "  names:       ::1" in run.lines, run


@ipv6_only
def test_certificate_for_a_name_at_an_ipv6_address_names_both(certs, run_ehlo):
    server = PracticeServer("--tls-cert", certs.pem("server"), "--tls-key", certs.key("server"), listen="[::1]:0")
    try:
        run = run_ehlo("--color", "never", "--no-history", "--timeout", REPLY_TIMEOUT, "--starttls", "--cafile",
                       certs.ca, f"[0:0::1]:{server.port}", input="QUIT\n")
    finally:
        server.stop()
    assert run.returncode == 4, run
    assert run.lines_starting("!  TLS failed: ") == [
        "!  TLS failed: the server's certificate is not trusted: it is for localhost, not ::1"], run


# --- --pin: the fingerprint `ehlo serve` prints


PIN_LINE = re.compile(r"^STARTTLS certificate: --pin (sha256:(?:[0-9A-F]{2}:){31}[0-9A-F]{2}) \((.*)\)$")


def _printed_pin(server):
    line = server.wait_for_line(lambda line: line.startswith("STARTTLS certificate: "))
    match = PIN_LINE.match(line)
    assert match, line
    return match.group(1), match.group(2)


@pytest.fixture(scope="module")
def generated_practice():
    server = PracticeServer()
    yield server
    server.stop()


def test_serve_prints_the_fingerprint_of_its_generated_certificate(generated_practice):
    pin, origin = _printed_pin(generated_practice)
    assert origin == "generated at start for practice.test, localhost, 127.0.0.1, ::1", generated_practice.output
    listening = generated_practice.lines.index(next(line for line in generated_practice.lines
                                                    if line.startswith("listening on ")))
    assert generated_practice.lines[listening + 2].startswith("STARTTLS certificate: --pin "), \
        generated_practice.output


def test_serve_prints_the_fingerprint_of_the_certificate_file(tls_practice, certs):
    pin, origin = _printed_pin(tls_practice())
    assert pin == "sha256:" + certs.server_fingerprint
    assert origin == f"the certificate in {certs.pem('server')}"


@pytest.mark.parametrize("spelling", ["as printed", "lower case without colons"])
def test_pin_printed_by_serve_is_trusted_whatever_the_name(generated_practice, console, spelling):
    pin, _ = _printed_pin(generated_practice)
    given = pin if spelling == "as printed" else "sha256:" + pin[len("sha256:"):].replace(":", "").lower()
    # 127.0.0.1 is not a name the self-signed certificate carries: the pin alone decides.
    run = console(generated_practice.port, "/cert\nQUIT\n", "--starttls", "--pin", given)
    assert run.returncode == 0, run
    established = run.lines_starting("*  TLS established: ")
    assert len(established) == 1 and established[0].endswith(f"; verified: pinned certificate {pin}"), run
    assert f"  SHA-256:     {pin[len('sha256:'):]}" in run.lines, run
    assert "--insecure" not in run.stdout, run


def test_wrong_pin_fails_with_both_fingerprints(generated_practice, console):
    pin, _ = _printed_pin(generated_practice)
    wrong = "sha256:" + "00:" * 31 + "00"
    run = console(generated_practice.port, "QUIT\n", "--starttls", "--pin", wrong)
    assert run.returncode == 4, run
    failed = run.lines_starting("!  TLS failed: ")
    assert failed == [f"!  TLS failed: the server's certificate is not trusted: it is not the pinned certificate: "
                      f"its fingerprint is {pin}, --pin says {wrong}"], run
    hint = run.lines[run.lines.index(failed[0]) + 1]
    assert hint.startswith("#  the server presents another certificate than the pinned one"), run
    assert "TLS established" not in run.stdout and "C: QUIT" not in run.stdout, run


def test_practice_mode_takes_a_pin_instead_of_its_own_trust(run_ehlo):
    wrong = "sha256:" + "AB" * 32
    run = run_ehlo("--color", "never", "--no-history", "--practice", "--starttls", "--pin", wrong, input="QUIT\n")
    assert run.returncode == 4, run
    assert "it is not the pinned certificate" in run.stdout, run


# --- Client certificates against a Python `ssl` server that requires one


def _client_certificate_server(tls_scripted_server, certs, maximum_version=None):
    return tls_scripted_server([
        ("send", b"220 mutual.test ESMTP\r\n"),
        ("expect", b"EHLO "),
        ("send", b"250-mutual.test\r\n250 STARTTLS\r\n"),
        ("expect", b"STARTTLS"),
        ("send", b"220 go ahead\r\n"),
        ("tls", server_context(certs, require_client_certificate=True, maximum_version=maximum_version)),
        ("expect", b"EHLO "),
        ("send", b"250 mutual.test\r\n"),
        ("expect", b"QUIT"),
        ("send", b"221 bye\r\n"),
        ("close",),
    ])


VERSIONS = {"TLS 1.3": None, "TLS 1.2": __import__("ssl").TLSVersion.TLSv1_2}


@pytest.mark.parametrize("version", list(VERSIONS))
def test_client_certificate_is_offered_to_a_server_that_requires_one(tls_scripted_server, certs, console, version):
    server = _client_certificate_server(tls_scripted_server, certs, VERSIONS[version])
    run = console(server.port, "QUIT\n", "--starttls", *trust(certs), "--cert", certs.pem("client"),
                  "--key", certs.key("client"))
    server.wait(10)
    assert run.returncode == 0, run
    server.assert_ok()
    established = run.lines_starting("*  TLS established: ")
    assert len(established) == 1 and established[0].startswith(f"*  TLS established: {version} "), run
    assert established[0].endswith("; client certificate offered: CN=student"), run
    assert "S: 221 bye" in run.lines, run


@pytest.mark.parametrize("version", list(VERSIONS))
def test_missing_client_certificate_is_named(tls_scripted_server, certs, console, version):
    server = _client_certificate_server(tls_scripted_server, certs, VERSIONS[version])
    run = console(server.port, "QUIT\n", "--starttls", *trust(certs))
    server.wait(10)
    assert run.returncode == 4, run
    failed = run.lines_starting("!  TLS failed: ")
    assert len(failed) == 1, run
    assert failed[0].startswith("!  TLS failed: the server requires a client certificate and none was offered: "
                                "give one with --cert FILE --key FILE ["), run
    assert "C: QUIT" not in run.stdout, run


def test_client_certificate_the_server_does_not_trust_is_named(tls_scripted_server, certs, console):
    server = _client_certificate_server(tls_scripted_server, certs)
    run = console(server.port, "QUIT\n", "--starttls", *trust(certs), "--cert", certs.pem("stranger"),
                  "--key", certs.key("stranger"))
    server.wait(10)
    assert run.returncode == 4, run
    failed = run.lines_starting("!  TLS failed: ")
    assert len(failed) == 1, run
    assert failed[0].startswith(f"!  TLS failed: the server refused the client certificate offered (CN=stranger, "
                                f"--cert {certs.pem('stranger')}): "), run


# --- --tls-min and the versions offered


def test_tls_min_is_offered_and_shown(tls_practice, certs, console):
    run = console(tls_practice().port, "QUIT\n", "--starttls", *trust(certs), "--tls-min", "1.3")
    assert run.returncode == 0, run
    established = run.lines_starting("*  TLS established: ")
    assert len(established) == 1 and established[0].startswith("*  TLS established: TLS 1.3 (offered TLS 1.3 only), ")


def test_tls_min_above_what_the_server_speaks_names_both(tls_scripted_server, certs, console):
    server = tls_scripted_server([
        ("send", b"220 old.test ESMTP\r\n"),
        ("expect", b"EHLO "),
        ("send", b"250-old.test\r\n250 STARTTLS\r\n"),
        ("expect", b"STARTTLS"),
        ("send", b"220 go ahead\r\n"),
        ("tls", server_context(certs, maximum_version=__import__("ssl").TLSVersion.TLSv1_2)),
    ])
    run = console(server.port, "QUIT\n", "--starttls", *trust(certs), "--tls-min", "1.3")
    server.wait(10)
    assert run.returncode == 4, run
    assert run.lines_starting("!  TLS failed: ") == [
        "!  TLS failed: the server accepts none of the TLS versions offered (TLS 1.3 only, --tls-min 1.3); "
        "it may speak only TLS 1.2 or older [TLSV1_ALERT_PROTOCOL_VERSION]"], run


# --- /cert after a refusal (interactive: a script stops at the failed handshake)


@tmux_only
def test_cert_shows_the_refused_chain_and_why(tls_practice, certs, term):
    server = tls_practice("self")
    term.start("--no-history", "--timeout", REPLY_TIMEOUT, "--sni", "localhost", f"127.0.0.1:{server.port}")
    term.wait_last_line("ehlo 127.0.0.1 [greeted]>")
    _type_line(term, "EHLO x")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo]>")
    _type_line(term, "/starttls")
    term.wait_text("!  TLS failed: the server's certificate is not trusted: it is self-signed")
    _type_line(term, "/cert")
    term.wait_text("REJECTED: it is self-signed")
    screen = term.screen()
    assert "certificate 0 (the server's):" in screen and "  subject:     CN=localhost" in screen, screen
    fingerprint = Path(certs.pem("self")).read_bytes()
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    digest = x509.load_pem_x509_certificate(fingerprint).fingerprint(hashes.SHA256())
    assert "  SHA-256:     " + ":".join(f"{byte:02X}" for byte in digest) in screen, screen
    _type_line(term, "/cert pem")
    term.wait_text("-----END CERTIFICATE-----")
    term.send("C-d")
    term.wait_exit()


# ============================================================================================
# 9. /b64


def test_b64_encode_and_decode(run_ehlo):
    script = ("/b64 encode \\0student\\0practice\n/b64 decode VXNlcm5hbWU6\n/b64 decode UGFzc3dvcmQ6\n"
              f"/b64 decode {PRACTICE_BLOB}\n/b64 decode !!\n/b64 encode\n")
    run = run_ehlo("--color", "never", "--no-history", input=script)
    assert run.returncode == 0, run
    assert run.lines[1] == PRACTICE_BLOB, run
    assert run.lines[3] == "Username:", run
    assert run.lines[5] == "Password:", run
    assert run.lines[7] == "\\0student\\0practice", run  # NULs shown escaped, never raw
    assert "\0" not in run.stdout, run
    assert run.lines[9] == "!  not base64: !!", run
    assert run.lines[11].startswith("!  usage: /b64 encode TEXT | /b64 decode BASE64"), run


# ============================================================================================
# 9. Replaying sessions over TLS: the header says how, the replay's options say what to trust


def replay_summary(run):
    [line] = [line for line in run.lines if line.startswith("*  replay of ")]
    return line


def test_a_starttls_session_replays_over_tls_verified_as_the_replay_says(tls_practice, certs, console, run_ehlo,
                                                                         tmp_path, ehlo_bin):
    server = tls_practice()
    path = tmp_path / "starttls.txt"
    run = console(server.port, "EHLO x\nSTARTTLS\nEHLO x\nAUTH PLAIN " + PRACTICE_BLOB + "\nQUIT\n",
                  *trust(certs), "--transcript", str(path))
    assert run.returncode == 0, run
    recorded = path.read_text()
    assert f"transcript of 127.0.0.1:{server.port}, SNI localhost, started" in recorded.splitlines()[0], recorded
    assert PRACTICE_BLOB not in recorded
    env = {"EHLO_SECRET_1": PRACTICE_BLOB}
    # The SNI name comes from the header; the trust from --cafile, given to the replay.
    run = run_ehlo("replay", "--color", "never", "--timeout", REPLY_TIMEOUT, "--check", "--auth-from-env",
                   "--cafile", certs.ca, str(path), env=env, input="")
    assert run.returncode == 0, run
    assert any(TLS_VERIFIED.match(line) for line in run.lines), run
    assert replay_summary(run).endswith("every reply matched the recording"), run
    # --pin trusts the one certificate instead.
    run = run_ehlo("replay", "--color", "never", "--timeout", REPLY_TIMEOUT, "--check", "--auth-from-env",
                   "--pin", f"sha256:{certs.server_fingerprint}", str(path), env=env, input="")
    assert run.returncode == 0, run
    assert any(line.startswith("*  TLS established") and "verified: pinned certificate" in line
               for line in run.lines), run
    # Without them the certificate is not trusted: the replay says so and stops, failing --check.
    run = run_ehlo("replay", "--color", "never", "--timeout", REPLY_TIMEOUT, "--check", "--auth-from-env",
                   str(path), env=env, input="")
    assert run.returncode == 4, run
    assert any(line.startswith("!  TLS failed") for line in run.lines), run
    assert "C: AUTH PLAIN <redacted>" not in run.lines, run  # nothing goes on in plaintext


def test_an_implicit_tls_session_replays_with_tls_from_the_first_byte(tls_mta, certs, console, run_ehlo, tmp_path):
    path = tmp_path / "smtps.jsonl"
    run = console(tls_mta, "EHLO x\nNOOP\nQUIT\n", "--tls", *trust(certs), "--transcript", str(path))
    assert run.returncode == 0, run
    header = json.loads(path.read_text().splitlines()[0])
    assert header["tls"] == "implicit" and header["sni"] == "localhost", header
    run = run_ehlo("replay", "--color", "never", "--timeout", REPLY_TIMEOUT, "--check", "--cafile", certs.ca,
                   str(path), input="")
    assert run.returncode == 0, run
    tls = next(index for index, line in enumerate(run.lines) if TLS_VERIFIED.match(line))
    greeting = next(index for index, line in enumerate(run.lines) if line.startswith("S: 220 "))
    assert tls < greeting, run
    assert replay_summary(run).endswith("every reply matched the recording"), run


def test_replay_tls_options_are_checked_before_connecting(run_ehlo, tmp_path, closed_port):
    path = tmp_path / "t.txt"
    path.write_text(f"*  ehlo 0.1.0 transcript of 127.0.0.1:{closed_port}, started 2026-12-01T00:00:00.000Z, "
                    "secrets redacted\nC: QUIT\nS: 221 Bye\n")
    run = run_ehlo("replay", "--cafile", str(tmp_path / "missing.pem"), str(path), input="")
    assert run.returncode == 64, run
    run = run_ehlo("replay", "--pin", "sha256:00", "--cafile", str(path), str(path), input="")
    assert run.returncode == 64, run
