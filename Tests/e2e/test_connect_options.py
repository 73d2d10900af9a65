"""Reaching a server the way the MTA would: `-4`/`-6`, `--source`, `--proxy v1|v2` (with
`--proxy-from`), on the command line and after `/connect HOST [options]`.

The witnesses are servers: a Python receiver that checks the PROXY header byte for byte against
one it builds from the spec and from its own socket (proxy_server.py), Postfix with
`smtpd_upstream_proxy_protocol = haproxy` (its log names the client it took from the header),
and scripted servers that record where a connection came from.
"""

import json
import socket
import threading

import pytest

from proxy_server import proxy_server  # noqa: F401 (a fixture)
from test_repl_tmux import term  # noqa: F401 (a fixture)


def script(*lines):
    return "\n".join(lines) + "\n"


SESSION = script("EHLO client.test", "QUIT")


def ipv6_loopback():
    try:
        probe = socket.socket(socket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
        return True
    except OSError:
        return False


def localhost_has_ipv6():
    try:
        return bool(socket.getaddrinfo("localhost", 25, socket.AF_INET6, socket.SOCK_STREAM))
    except socket.gaierror:
        return False


needs_ipv6 = pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback (::1) here")


def events(run, prefix="*  PROXY"):
    return [line for line in run.lines if line.startswith(prefix)]


# --------------------------------------------------------------------------------------------
# --proxy: the header, byte for byte


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_the_header_describes_the_real_connection(version, proxy_server, run_ehlo):
    server = proxy_server(version)
    run = run_ehlo("--no-history", "--proxy", version, server.address, input=SESSION)
    server.wait()
    server.assert_ok()
    assert run.returncode == 0, run
    assert server.commands == [b"EHLO client.test", b"QUIT"]
    client = f"127.0.0.1:{server.peer[1]}"
    assert events(run) == [f"*  PROXY {version} header sent: client {client}, server 127.0.0.1:{server.port}"], run
    # The header comes first on the connection, the greeting after it.
    lines = run.lines
    assert lines.index(events(run)[0]) < lines.index("S: 220 proxied.test ESMTP behind a load balancer"), run


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_the_header_names_the_client_given_with_proxy_from(version, proxy_server, run_ehlo):
    server = proxy_server(version, claimed=("192.0.2.7", 4242))
    run = run_ehlo("--no-history", "--proxy", version, "--proxy-from", "192.0.2.7:4242", server.address,
                   input=SESSION)
    server.wait()
    server.assert_ok()
    assert run.returncode == 0, run
    assert events(run) == [
        f"*  PROXY {version} header sent: client 192.0.2.7:4242, server 127.0.0.1:{server.port}"], run
    if version == "v1":
        assert server.header == f"PROXY TCP4 192.0.2.7 127.0.0.1 4242 {server.port}\r\n".encode()


@needs_ipv6
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_the_header_over_ipv6(version, proxy_server, run_ehlo):
    server = proxy_server(version, claimed=("2001:db8::7", 4242), family=socket.AF_INET6, host="::1")
    run = run_ehlo("--no-history", "--proxy", version, "--proxy-from", "[2001:db8::7]:4242", server.address,
                   input=SESSION)
    server.wait()
    server.assert_ok()
    assert run.returncode == 0, run
    assert events(run) == [
        f"*  PROXY {version} header sent: client [2001:db8::7]:4242, server [::1]:{server.port}"], run
    if version == "v1":
        assert server.header == f"PROXY TCP6 2001:db8::7 ::1 4242 {server.port}\r\n".encode()
    else:
        assert server.header[12:16] == b"\x21\x21\x00\x24"


@pytest.mark.parametrize("version,word", [("v1", "UNKNOWN"), ("v2", "LOCAL")])
def test_over_a_unix_socket_the_header_has_no_addresses(version, word, proxy_server, run_ehlo, tmp_path):
    path = tmp_path / "smtpd"
    server = proxy_server(version, family=socket.AF_UNIX, path=path)
    run = run_ehlo("--no-history", "--proxy", version, str(path), input=SESSION)
    server.wait()
    server.assert_ok()
    assert run.returncode == 0, run
    assert server.header == (b"PROXY UNKNOWN\r\n" if version == "v1" else b"\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00")
    [event] = events(run)
    assert event.startswith(f"*  PROXY {version} header sent: {word} "), run


def test_proxy_from_without_proxy_is_a_usage_error(run_ehlo):
    run = run_ehlo("--no-history", "--proxy-from", "192.0.2.7:4242", "127.0.0.1:1", input="")
    assert run.returncode == 64, run
    assert "--proxy-from names the client in a PROXY header: give --proxy v1 or --proxy v2 too" in run.stderr


@pytest.mark.parametrize("value,problem", [("192.0.2.7", "has no port"), ("mx.test:25", "is not an IP address")])
def test_proxy_from_takes_an_address_and_a_port(value, problem, run_ehlo):
    run = run_ehlo("--no-history", "--proxy", "v1", "--proxy-from", value, "127.0.0.1:1", input="")
    assert run.returncode == 64, run
    assert "--proxy-from takes ADDR:PORT" in run.stderr and problem in run.stderr, run


def test_the_header_is_an_event_in_the_transcript_not_a_line_sent(proxy_server, run_ehlo, tmp_path):
    server = proxy_server("v2")
    text, jsonl = tmp_path / "session.txt", tmp_path / "session.jsonl"
    run = run_ehlo("--no-history", "--proxy", "v2", "--transcript", str(text), server.address, input=SESSION)
    server.wait()
    server.assert_ok()
    assert run.returncode == 0, run
    recorded = text.read_text().splitlines()
    assert [line for line in recorded if "PROXY" in line and " transcript of " not in line] == [
        f"*  PROXY v2 header sent: client 127.0.0.1:{server.peer[1]}, server 127.0.0.1:{server.port}"], recorded
    # The header says replay must send one too (test_replay.py replays it).
    assert f"transcript of {server.address}, PROXY v2, started" in recorded[0], recorded
    assert [line for line in recorded if line.startswith("C: ")] == ["C: EHLO client.test", "C: QUIT"]

    server = proxy_server("v1")
    run = run_ehlo("--no-history", "--proxy", "v1", "--transcript", str(jsonl), server.address, input=SESSION)
    server.wait()
    server.assert_ok()
    entries = [json.loads(line) for line in jsonl.read_text().splitlines()]
    proxied = [entry for entry in entries if "PROXY" in json.dumps(entry)]
    assert len(proxied) == 1 and proxied[0].get("direction") != "client", proxied
    assert entries[0]["type"] == "header" and entries[0]["proxy"] == "v1", entries[0]


# --------------------------------------------------------------------------------------------
# A real server behind a load balancer: Postfix with smtpd_upstream_proxy_protocol = haproxy


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_postfix_takes_the_client_address_from_the_header(version, postfix, run_ehlo):
    view = postfix.listener("proxy")
    run = run_ehlo("--no-history", "--color", "never", "--proxy", version, "--proxy-from", "192.0.2.7:4242",
                   f"127.0.0.1:{view.port}", input=script("EHLO client.test", "/expect 250", "QUIT"))
    assert run.returncode == 0, run
    view.wait_for_disconnect()
    sessions = [line for line in view.smtpd_log() if line.startswith("connect from ")]
    assert sessions == ["connect from unknown[192.0.2.7]"], view.smtpd_log()
    assert "< unknown[192.0.2.7]: EHLO client.test" in view.smtpd_log()


def test_postfix_applies_its_client_policy_to_the_claimed_client(postfix, run_ehlo):
    """192.0.2.1 is in the instance's mynetworks: as that client the relay check passes (the
    recipient is then refused only because the tests' Postfix sends nothing out), which is how an
    admin checks what a policy does for a given client."""
    view = postfix.listener("proxy")
    rcpt = script("EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<x@elsewhere.test>", "QUIT")
    outside = run_ehlo("--no-history", "--color", "never", "--proxy", "v2", f"127.0.0.1:{view.port}", input=rcpt)
    inside = run_ehlo("--no-history", "--color", "never", "--proxy", "v2", "--proxy-from", "192.0.2.1:4242",
                      f"127.0.0.1:{view.port}", input=rcpt)
    assert outside.returncode == 0 and inside.returncode == 0, (outside, inside)
    assert any(line.startswith("S: 554 5.7.1 <x@elsewhere.test>: Relay access denied") for line in outside.lines), outside
    assert not any("Relay access denied" in line for line in inside.lines), inside
    assert any(line.startswith("S: 550 5.1.1 <x@elsewhere.test>: Recipient address rejected: outbound mail is "
                               "disabled") for line in inside.lines), inside
    view.wait_for_disconnect(2)
    assert [line for line in view.smtpd_log() if line.startswith("connect from ")] == [
        "connect from unknown[127.0.0.1]", "connect from unknown[192.0.2.1]"]


# --------------------------------------------------------------------------------------------
# --source, -4, -6


class PeerRecorder:
    """Accepts one connection on host, records its peer address, greets and answers QUIT."""

    def __init__(self, family=socket.AF_INET, host="127.0.0.1"):
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        self.listener.bind((host, 0))
        self.listener.listen(1)
        self.listener.settimeout(10)
        self.port = self.listener.getsockname()[1]
        self.peer = None
        self.errors = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            connection, peer = self.listener.accept()
            self.peer = peer[:2]
            connection.settimeout(10)
            with connection:
                connection.sendall(b"220 peer.test ESMTP\r\n")
                data = b""
                while b"QUIT" not in data.upper():
                    chunk = connection.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                    if data.endswith(b"\n") and b"QUIT" not in data.upper():
                        connection.sendall(b"250 ok\r\n")
                connection.sendall(b"221 bye\r\n")
        except Exception as error:  # noqa: BLE001 - reported to the test
            self.errors.append(f"{type(error).__name__}: {error}")

    def stop(self):
        self.listener.close()
        self.thread.join(timeout=5)


@pytest.fixture
def peer_recorder():
    recorders = []

    def make(**options):
        recorder = PeerRecorder(**options)
        recorders.append(recorder)
        return recorder

    yield make
    for recorder in recorders:
        recorder.stop()


def test_source_is_the_peer_the_server_sees(peer_recorder, run_ehlo):
    server = peer_recorder()
    run = run_ehlo("--no-history", "--source", "127.0.0.2", f"127.0.0.1:{server.port}", input=script("QUIT"))
    server.thread.join(timeout=10)
    assert run.returncode == 0, run
    assert server.peer[0] == "127.0.0.2", server.peer
    assert f"*  connected to 127.0.0.1 (127.0.0.1:{server.port}) from 127.0.0.2:{server.peer[1]}" in run.lines, run


def test_source_not_of_this_machine_is_a_connection_failure(run_ehlo):
    # TEST-NET-1 (RFC 5737) is on no interface here: bind(2) refuses it before any packet.
    run = run_ehlo("--no-history", "--source", "192.0.2.9", "127.0.0.1:1", input="")
    assert run.returncode == 2, run
    assert "cannot bind the local address 192.0.2.9 (--source)" in run.output, run


def test_source_must_be_an_address(run_ehlo):
    run = run_ehlo("--no-history", "--source", "mx.test", "127.0.0.1:1", input="")
    assert run.returncode == 64, run
    assert "--source takes an IP address of this machine" in run.stderr, run


def test_minus_4_reaches_localhost_over_ipv4(peer_recorder, run_ehlo):
    server = peer_recorder()
    run = run_ehlo("--no-history", "-4", f"localhost:{server.port}", input=script("QUIT"))
    assert run.returncode == 0, run
    assert f"*  connected to localhost (127.0.0.1:{server.port})" in run.lines, run


@needs_ipv6
def test_minus_6_reaches_localhost_over_ipv6_or_says_it_has_no_such_address(peer_recorder, run_ehlo):
    server = peer_recorder(family=socket.AF_INET6, host="::1")
    run = run_ehlo("--no-history", "-6", f"localhost:{server.port}", input=script("QUIT"))
    if localhost_has_ipv6():
        assert run.returncode == 0, run
        assert f"*  connected to localhost ([::1]:{server.port})" in run.lines, run
    else:
        # This machine's /etc/hosts names localhost 127.0.0.1 only.
        assert run.returncode == 2, run
        assert "localhost has no IPv6 address (-6); it has 127.0.0.1" in run.output, run


def test_minus_6_refuses_an_ipv4_address(run_ehlo):
    run = run_ehlo("--no-history", "-6", "127.0.0.1:1", input="")
    assert run.returncode == 2, run
    assert "127.0.0.1 is an IPv4 address, not an IPv6 one (-6)" in run.output, run


def test_minus_4_and_minus_6_exclude_each_other(run_ehlo):
    run = run_ehlo("--no-history", "-4", "-6", "127.0.0.1:1", input="")
    assert run.returncode == 64, run
    assert "-4 and -6 exclude each other" in run.stderr


# --------------------------------------------------------------------------------------------
# /connect HOST[:PORT] [options]


def test_connect_with_proxy_in_a_script(proxy_server, run_ehlo):
    server = proxy_server("v1")
    # Words are split as a shell would (quotes kept together), without expansions.
    run = run_ehlo("--no-history", input=script(f"/connect 127.0.0.1:{server.port} --proxy 'v1'", "EHLO client.test",
                                                "/expect 250", "QUIT"))
    server.wait()
    server.assert_ok()
    assert run.returncode == 0, run
    assert events(run) == [
        f"*  PROXY v1 header sent: client 127.0.0.1:{server.peer[1]}, server 127.0.0.1:{server.port}"], run


def test_connect_options_apply_to_that_connection_only(proxy_server, peer_recorder, run_ehlo):
    proxied = proxy_server("v2", claimed=("192.0.2.7", 4242))
    plain = peer_recorder()
    run = run_ehlo("--no-history", input=script(
        f"/connect 127.0.0.1:{proxied.port} --proxy v2 --proxy-from 192.0.2.7:4242", "EHLO client.test",
        f"/connect 127.0.0.1:{plain.port}", "QUIT"))
    proxied.wait()
    proxied.assert_ok()
    plain.thread.join(timeout=10)
    assert run.returncode == 0, run
    assert len(events(run)) == 1, run  # the second connection sends no header
    assert not plain.errors, plain.errors


def test_connect_without_options_keeps_the_command_lines(proxy_server, run_ehlo):
    server = proxy_server("v2", claimed=("192.0.2.7", 4242))
    run = run_ehlo("--no-history", "--proxy", "v2", "--proxy-from", "192.0.2.7:4242",
                   input=script(f"/connect 127.0.0.1:{server.port}", "QUIT"))
    server.wait()
    server.assert_ok()
    assert run.returncode == 0, run
    assert events(run) == [f"*  PROXY v2 header sent: client 192.0.2.7:4242, server 127.0.0.1:{server.port}"], run


def test_connect_with_source_and_family(peer_recorder, run_ehlo):
    server = peer_recorder()
    run = run_ehlo("--no-history", input=script(f"/connect localhost:{server.port} -4 --source 127.0.0.3", "QUIT"))
    server.thread.join(timeout=10)
    assert run.returncode == 0, run
    assert server.peer[0] == "127.0.0.3", server.peer


def test_a_bad_connect_option_stops_a_script_with_the_parsers_message(peer_recorder, run_ehlo):
    server = peer_recorder()
    run = run_ehlo("--no-history", f"127.0.0.1:{server.port}",
                   input=script("/connect 127.0.0.1:1 --proxy v3", "NOOP"))
    assert run.returncode == 64, run
    warning = [line for line in run.lines if line.startswith("!") and "/connect" in line]
    assert warning and "v3" in warning[0] and "/connect --help lists the options" in warning[0], run
    assert not any(line.startswith("C: NOOP") for line in run.lines), run


def test_an_unclosed_quote_after_connect_is_a_usage_error(run_ehlo):
    run = run_ehlo("--no-history", input=script("/connect 127.0.0.1:1 --sni 'mx.test"))
    assert run.returncode == 64, run
    assert "!  /connect: a quote is not closed" in run.lines, run


def test_connect_help_lists_the_command_lines_options(run_ehlo):
    run = run_ehlo("--no-history", input=script("/connect --help"))
    assert run.returncode == 0, run
    for option in ("--starttls", "--tls", "--cafile", "--sni", "--insecure", "-4", "-6", "--source", "--proxy",
                   "--proxy-from", "--lmtp"):
        assert any(option in line for line in run.lines), (option, run)
    assert any("USAGE: /connect" in line for line in run.lines), run


def test_a_bad_connect_option_at_the_terminal_keeps_the_session(term, peer_recorder):
    server = peer_recorder()
    term.start("--no-history", f"127.0.0.1:{server.port}")
    term.wait_last_line("ehlo 127.0.0.1 [greeted]>")
    term.type("/connect 127.0.0.1:1 --bogus")
    term.send("Enter")
    term.wait_text("/connect --help lists the options")
    term.wait_last_line("ehlo 127.0.0.1 [greeted]>")
    assert "--bogus" in term.screen()
    term.type("NOOP")
    term.send("Enter")
    term.wait_text("S: 250 ok")
    term.send("C-d")
    assert term.wait_exit() == 0
    server.thread.join(timeout=10)
    assert not server.errors, server.errors
