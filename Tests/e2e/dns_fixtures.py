"""A DNS server on loopback for the --mx and /dns tests, and SMTP servers for its MX hosts.

dns_server (dnslib, in this process, on a free UDP port of 127.0.0.1 or ::1):

    def test_mx(dns_server, run_ehlo):
        dns = dns_server('''
            example.test.      MX   10 mx1.example.test.
            mx1.example.test.  A    127.0.0.2
        ''', servfail=["broken.test"])
        run_ehlo("--resolver", dns.address, "--mx", "example.test:2525", ...)
        assert ("example.test", "MX") in dns.queries

    A name with no record at all is NXDOMAIN; a name with records but none of the type asked is
    NOERROR with no answer (NODATA); a name in `servfail` gets SERVFAIL. The zone is in master
    file form (RFC 1035 §5), one record a line.

mx_hosts (`ehlo serve` on one port at several loopback addresses):

    An MX record carries no port, so the servers of one test share a port at different
    addresses of 127.0.0.0/8, all of which are this machine on Linux:

    def test_walk(mx_hosts):
        hosts = mx_hosts({"127.0.0.2": [], "127.0.0.3": ["--greeting-fail"]})
        hosts.port                   # the port they share; 127.0.0.4:port refuses
        hosts.servers["127.0.0.2"]   # the PracticeServer there

Nothing here ever asks the system's resolver: every test passes --resolver with this server.
"""

import socket
import textwrap
import threading

import pytest

from practice_fixtures import PracticeServer

dnslib = pytest.importorskip("dnslib", reason="the DNS tests run a dnslib server (make deps installs it)")
from dnslib import QTYPE, RCODE, RR  # noqa: E402
from dnslib.server import BaseResolver, DNSLogger, DNSServer  # noqa: E402


class ZoneResolver(BaseResolver):
    """Answers from a list of records; remembers every question as (name, type)."""

    def __init__(self, records, servfail=()):
        self.records = records
        self.servfail = {name.rstrip(".").lower() for name in servfail}
        self.queries = []
        self.lock = threading.Lock()

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        with self.lock:
            self.queries.append((name, QTYPE[request.q.qtype]))
        if name in self.servfail:
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        owned = [rr for rr in self.records if str(rr.rname).rstrip(".").lower() == name]
        if not owned:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for rr in owned:
            if rr.rtype == request.q.qtype:
                reply.add_answer(rr)
        return reply


class LoopbackDNS:
    """A started dnslib server: `address` for --resolver, `queries` it was asked."""

    def __init__(self, zone, servfail=(), ipv6=False):
        self.resolver = ZoneResolver(RR.fromZone(textwrap.dedent(zone)), servfail)
        host = "::1" if ipv6 else "127.0.0.1"
        self.server = DNSServer(self.resolver, address=host, port=0,
                                logger=DNSLogger("-request,-reply,-truncated,-error,-recv,-send,-data"))
        self.server.server.timeout = 1
        self.port = self.server.server.server_address[1]
        self.address = f"[{host}]:{self.port}" if ipv6 else f"{host}:{self.port}"
        self.server.start_thread()

    @property
    def queries(self):
        with self.resolver.lock:
            return list(self.resolver.queries)

    def stop(self):
        self.server.stop()
        self.server.server.server_close()


@pytest.fixture
def dns_server():
    """dns_server(zone, servfail=(), ipv6=False) -> LoopbackDNS; all are stopped after the test."""
    servers = []

    def start(zone, servfail=(), ipv6=False):
        server = LoopbackDNS(zone, servfail, ipv6)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def silent_dns():
    """A loopback UDP port that takes DNS questions and never answers: "127.0.0.1:PORT"."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.fixture
def closed_udp_port():
    """A loopback UDP port with nothing bound to it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


class MXHosts:
    """`ehlo serve` at several loopback addresses, all on `port`."""

    def __init__(self, servers, port):
        self.servers = servers
        self.port = port


def _start_on_one_port(hosts, attempts=5):
    last_error = None
    for _ in range(attempts):
        servers = {}
        try:
            port = 0
            for address, extra in hosts.items():
                server = PracticeServer(*extra, listen=f"{address}:{port}")
                servers[address] = server
                port = server.port
            return MXHosts(servers, port)
        except AssertionError as error:  # the port was taken at a later address: try another
            last_error = error
            for server in servers.values():
                server.stop()
    raise RuntimeError(f"no common port for {list(hosts)}: {last_error}")


@pytest.fixture
def mx_hosts():
    """mx_hosts({"127.0.0.2": [serve options], ...}) -> MXHosts; stopped after the test."""
    started = []

    def start(hosts):
        result = _start_on_one_port(hosts)
        started.append(result)
        return result

    yield start
    for result in started:
        for server in result.servers.values():
            server.stop()
