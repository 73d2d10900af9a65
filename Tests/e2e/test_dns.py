"""Finding the server through DNS: --mx, --mx-all, mx:DOMAIN, --resolver and /dns.

A dnslib server on loopback holds the zone (dns_fixtures.py); the MX hosts are `ehlo serve`
instances sharing one port at 127.0.0.2, 127.0.0.3, …; 127.0.0.4 refuses. Every run passes
--resolver: no test ever asks the machine's own resolver.
"""

import tempfile
import time
from pathlib import Path

import pytest

from dns_fixtures import closed_udp_port, dns_server, mx_hosts, silent_dns  # noqa: F401
from practice_fixtures import PracticeServer
from tls_fixtures import certs  # noqa: F401

ZONE = """
    example.test.             MX    10 mx1.example.test.
    example.test.             MX    20 mx2.example.test.
    mx1.example.test.         A     127.0.0.2
    mx1.example.test.         AAAA  ::1
    mx2.example.test.         A     127.0.0.3

    walk.test.                MX    10 dead.walk.test.
    walk.test.                MX    20 refusing.walk.test.
    walk.test.                MX    30 ghost.walk.test.
    walk.test.                MX    40 good.walk.test.
    dead.walk.test.           A     127.0.0.4
    refusing.walk.test.       A     127.0.0.3
    good.walk.test.           A     127.0.0.2

    nomail.test.              MX    0 .
    bare.test.                A     127.0.0.2

    2.0.0.127.in-addr.arpa.   PTR   mx1.example.test.
    3.0.0.127.in-addr.arpa.   PTR   mail.elsewhere.test.
    mail.elsewhere.test.      A     127.0.0.9
"""

SCRIPT = "EHLO client.test\n/expect 250\nQUIT\n"


@pytest.fixture
def dns(dns_server):
    return dns_server(ZONE, servfail=["broken.test"])


@pytest.fixture
def console(run_ehlo, dns):
    """console(*arguments, script=SCRIPT, resolver=dns.address) -> Run, in script mode."""

    def run(*arguments, script=SCRIPT, resolver=None, timeout=30):
        return run_ehlo("--color", "never", "--no-history", "--timeout", "5", "--resolver",
                        resolver or dns.address, *arguments, input=script, timeout=timeout)

    return run


def index_of(run, text):
    for index, line in enumerate(run.lines):
        if text in line:
            return index
    raise AssertionError(f"no line with {text!r}:\n{run!r}")


# --------------------------------------------------------------------------------------------
# --mx and mx:DOMAIN


@pytest.mark.parametrize("form", ["--mx", "mx:"])
def test_mx_lists_the_hosts_and_connects_to_the_most_preferred(console, dns, mx_hosts, form):
    hosts = mx_hosts({"127.0.0.2": [], "127.0.0.3": []})
    target = ["--mx", f"example.test:{hosts.port}"] if form == "--mx" else [f"mx:example.test:{hosts.port}"]
    run = console(*target)
    assert run.returncode == 0, run
    header = index_of(run, "MX records of example.test (asked 127.0.0.1:")
    assert run.lines[header].endswith("2 hosts, the most preferred first (RFC 5321 §5.1)"), run
    assert run.lines[header + 1] == "*    MX 10 mx1.example.test: ::1, 127.0.0.2", run
    assert run.lines[header + 2] == "*    MX 20 mx2.example.test: 127.0.0.3", run
    # The best host's addresses in turn (IPv6 first): nothing listens on ::1 at this port.
    ipv6 = index_of(run, f"trying mx1.example.test[::1]:{hosts.port} (MX 10)")
    ipv4 = index_of(run, f"trying mx1.example.test[127.0.0.2]:{hosts.port} (MX 10)")
    assert ipv6 < ipv4, run
    assert f"*  connected to mx1.example.test (127.0.0.2:{hosts.port})" in run.lines, run
    assert "*  expect 250: ok (250)" in run.lines, run
    assert not [line for line in run.lines if "mx2.example.test[" in line], run
    assert ("example.test", "MX") in dns.queries and ("mx2.example.test", "A") in dns.queries


def test_mx_all_walks_the_hosts_like_an_mta_until_one_greets(console, mx_hosts):
    hosts = mx_hosts({"127.0.0.2": [], "127.0.0.3": ["--greeting-fail"]})
    run = console("--mx-all", f"walk.test:{hosts.port}")
    assert run.returncode == 0, run
    port = hosts.port
    refused = index_of(run, f"cannot connect to 127.0.0.4:{port}: connection refused")
    greeted = index_of(run, f"refusing.walk.test[127.0.0.3]:{port} greeted with 554, not 220: trying the next")
    skipped = index_of(run, "skipping ghost.walk.test (MX 30): NXDOMAIN: the name does not exist")
    connected = index_of(run, f"connected to good.walk.test (127.0.0.2:{port})")
    assert refused < greeted < skipped < connected, run
    assert "S: 554 " in run.stdout and "C: QUIT" in run.stdout, run  # the refusing server is left politely
    assert "*  expect 250: ok (250)" in run.lines, run
    assert run.lines[-1].startswith("*  connection closed"), run


def test_mx_without_all_stops_at_the_most_preferred_host(console, mx_hosts):
    hosts = mx_hosts({"127.0.0.2": [], "127.0.0.3": ["--greeting-fail"]})
    run = console("--mx", f"walk.test:{hosts.port}")
    assert run.returncode == 2, run
    assert f"!  cannot connect to 127.0.0.4:{hosts.port}: connection refused" in run.lines, run
    assert ("!  dead.walk.test, the most preferred mail server of walk.test, took no connection; "
            "--mx-all tries the other 3 as an MTA would") in run.lines, run
    assert "C: EHLO client.test" not in run.lines, run


def test_mx_all_says_so_when_no_host_takes_the_session(console, mx_hosts):
    hosts = mx_hosts({"127.0.0.3": ["--greeting-fail"]})
    run = console("--mx-all", f"walk.test:{hosts.port}", script="QUIT\n")
    assert run.returncode == 2, run
    assert run.lines[-1] == ("!  no mail server of walk.test took the session (3 addresses tried); "
                             "an MTA would keep the mail and try again later"), run


def test_a_domain_without_mx_uses_its_own_address_as_the_implicit_mx(console, mx_hosts):
    hosts = mx_hosts({"127.0.0.2": []})
    run = console("--mx", f"bare.test:{hosts.port}")
    assert run.returncode == 0, run
    assert any(line.startswith("*  bare.test has no MX record (asked 127.0.0.1:") and
               "the implicit MX with preference 0 (RFC 5321 §5.1)" in line for line in run.lines), run
    assert "*    MX 0 bare.test: 127.0.0.2" in run.lines, run
    assert f"*  trying bare.test[127.0.0.2]:{hosts.port} (implicit MX)" in run.lines, run
    assert "*  expect 250: ok (250)" in run.lines, run


def test_a_null_mx_is_said_and_nothing_is_connected(console, dns):
    run = console("--mx", "nomail.test:2525")
    assert run.returncode == 2, run
    assert ("!  nomail.test publishes a null MX (0 .): it accepts no mail (RFC 7505 §3), "
            "so there is nothing to connect to") in run.lines, run
    assert not [line for line in run.lines if "trying" in line or "connected" in line], run
    # RFC 7505: no fall back to the domain's own address.
    assert ("nomail.test", "A") not in dns.queries


def test_nxdomain_is_said_in_words(console, dns):
    run = console("--mx", "missing.test")
    assert run.returncode == 2, run
    assert (f"!  missing.test does not exist (NXDOMAIN from {dns.address}): mail to it fails at once, "
            "it is not retried (RFC 5321 §5.1)") in run.lines, run


def test_servfail_is_said_in_words(console, dns):
    run = console("--mx", "broken.test")
    assert run.returncode == 2, run
    [line] = [line for line in run.lines if line.startswith("!  no MX answer for broken.test")]
    assert f"from {dns.address}: SERVFAIL: it could not get an answer" in line, run
    assert line.endswith("an MTA would keep the mail and try again later (RFC 5321 §5.1)"), run


def test_a_resolver_on_ipv6_loopback(console, dns_server, mx_hosts):
    dns6 = dns_server(ZONE, ipv6=True)
    hosts = mx_hosts({"127.0.0.3": []})
    run = console("--mx", f"example.test:{hosts.port}", resolver=dns6.address, script="QUIT\n")
    assert any(f"(asked {dns6.address})" in line for line in run.lines), run
    # mx1 (the best) has no server here: the session needs --mx-all to reach mx2.
    assert run.returncode == 2, run
    run = console("--mx-all", f"example.test:{hosts.port}", resolver=dns6.address)
    assert run.returncode == 0, run
    assert f"*  connected to mx2.example.test (127.0.0.3:{hosts.port})" in run.lines, run


def test_a_closed_resolver_port_fails_at_once(console, closed_udp_port):
    run = console("--mx", "example.test", resolver=f"127.0.0.1:{closed_udp_port}")
    assert run.returncode == 2, run
    assert (f"!  no MX answer for example.test from 127.0.0.1:{closed_udp_port}: 127.0.0.1:{closed_udp_port} "
            "does not answer DNS (its port is closed: connection refused); an MTA would keep the mail and "
            "try again later (RFC 5321 §5.1)") in run.lines, run
    assert run.elapsed < 10, run


def test_a_silent_resolver_does_not_hang_ehlo(run_ehlo, silent_dns):
    started = time.monotonic()
    run = run_ehlo("--color", "never", "--no-history", "--timeout", "2", "--resolver", silent_dns,
                   "--mx", "example.test", input="QUIT\n", timeout=20)
    assert run.returncode == 2, run
    assert f"no response from {silent_dns} within 2 s" in run.stdout, run
    assert time.monotonic() - started < 10, run


def test_starttls_through_mx_checks_the_certificate_against_the_mx_name(console, dns_server, mx_hosts, certs,
                                                                         tmp_path, run_ehlo):
    # tls_fixtures' "other" certificate is for mx.other.test, issued by the test CA.
    zone = "other.test. MX 10 mx.other.test.\nmx.other.test. A 127.0.0.2\n"
    dns = dns_server(zone)
    hosts = mx_hosts({"127.0.0.2": ["--tls-cert", certs.pem("other"), "--tls-key", certs.key("other")]})
    path = tmp_path / "mx.txt"
    run = console("--starttls", "--cafile", certs.ca, "--transcript", str(path), "--mx", f"other.test:{hosts.port}",
                  resolver=dns.address, script="QUIT\n")
    assert run.returncode == 0, run
    [established] = [line for line in run.lines if line.startswith("*  TLS established")]
    assert "verified" in established and "NOT verified" not in established, run
    # The transcript names the address reached and the name checked, so a replay checks it too.
    headers = [line.split(" transcript of ")[1] for line in path.read_text().splitlines() if " transcript of " in line]
    assert headers[-1].startswith(f"127.0.0.2:{hosts.port}, SNI mx.other.test, started"), headers
    replay = run_ehlo("replay", "--color", "never", "--check", "--cafile", certs.ca, str(path), input="")
    assert replay.returncode == 0, replay
    assert any(line.startswith("*  TLS established") and "NOT verified" not in line for line in replay.lines), replay


@pytest.mark.parametrize("arguments, message", [
    (["--mx", "127.0.0.1"], "--mx needs a mail domain"),
    (["--mx"], "need a mail DOMAIN[:PORT]"),
    (["--mx", "/tmp/socket"], "--mx needs a mail domain"),
    (["--resolver", "dns.example.test", "--mx", "example.test"], "is not an IP address"),
    (["--practice", "--mx-all"], "--practice connects to its own server"),
])
def test_bad_mx_usage_is_refused(run_ehlo, arguments, message):
    run = run_ehlo("--no-history", *arguments, input="")
    assert run.returncode == 64, run
    assert message in run.stderr, run


# --------------------------------------------------------------------------------------------
# /dns


def test_dns_shows_a_forward_confirmed_ptr(console, mx_hosts):
    hosts = mx_hosts({"127.0.0.2": []})
    run = console(f"127.0.0.2:{hosts.port}", script="/dns\nQUIT\n")
    assert run.returncode == 0, run
    start = run.lines.index("/dns")
    assert run.lines[start + 1].startswith("reverse DNS of 127.0.0.2 (PTR 2.0.0.127.in-addr.arpa, asked 127.0.0.1:"), run
    assert run.lines[start + 2] == "  mx1.example.test resolves to ::1, 127.0.0.2: forward-confirmed", run
    assert run.lines[start + 3] == "forward-confirmed reverse DNS: yes, as mx1.example.test", run


def test_dns_shows_a_ptr_that_does_not_lead_back(console, mx_hosts):
    hosts = mx_hosts({"127.0.0.3": []})
    run = console(f"127.0.0.3:{hosts.port}", script="/dns\nQUIT\n")
    assert run.returncode == 0, run
    assert ("  mail.elsewhere.test resolves to 127.0.0.9: not forward-confirmed "
            "(127.0.0.3 is not among its addresses)") in run.lines, run
    [verdict] = [line for line in run.lines if line.startswith("forward-confirmed reverse DNS:")]
    assert verdict.startswith("forward-confirmed reverse DNS: no.") and "reject_unknown_client_hostname" in verdict


def test_dns_of_an_address_without_a_name_while_not_connected(console, dns):
    run = console(script="/dns 127.0.0.5\n/dns [::1]\n/dns mx1.example.test\n")
    assert f"reverse DNS of 127.0.0.5 (PTR 5.0.0.127.in-addr.arpa, asked {dns.address}):" in run.lines, run
    assert "  no name: NXDOMAIN: the name does not exist" in run.lines, run
    reverse_v6 = "1." + "0." * 31 + "ip6.arpa"
    assert f"reverse DNS of ::1 (PTR {reverse_v6}, asked {dns.address}):" in run.lines, run
    assert "!  usage: /dns [ADDRESS]; 'mx1.example.test' is not an IP address" in run.lines, run
    assert run.returncode == 64, run


def test_dns_over_a_unix_socket_does_not_apply(console):
    # A socket path must be short (108 bytes on Linux): not under pytest's tmp_path.
    with tempfile.TemporaryDirectory(prefix="ehlo-dns-") as folder:
        path = Path(folder) / "smtp.sock"
        with PracticeServer(unix_socket=path):
            run = console(str(path), script="/dns\nQUIT\n")
    assert run.returncode == 0, run
    assert (f"/dns: {path} is a UNIX-domain socket: it has no IP address, "
            "so reverse DNS does not apply") in run.lines, run
