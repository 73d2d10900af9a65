"""A server behind a "load balancer": it reads a HAProxy PROXY protocol header first and checks
it byte for byte, then speaks enough SMTP for a session.

The expected header is built here, independently of ehlo, from haproxy's proxy-protocol.txt
(§2.1 for v1, §2.2 for v2) and from what the accepted socket itself says (getpeername for the
client, getsockname for the server), or from the client the test says ehlo claims:

    v1   b"PROXY TCP4 <client> <server> <cport> <sport>\\r\\n"    (TCP6 for IPv6)
         b"PROXY UNKNOWN\\r\\n"                                   (over a UNIX socket)
    v2   b"\\r\\n\\r\\n\\x00\\r\\nQUIT\\n" 0x21 0x11|0x21 length addresses ports
         b"\\r\\n\\r\\n\\x00\\r\\nQUIT\\n" 0x20 0x00 0x0000              (LOCAL, over a UNIX socket)

Like a real receiver (the spec: "The receiver MUST NOT start processing the connection before
it receives a complete and valid PROXY protocol header"), it greets only after the header, so a
client that sent none gets no greeting. One connection per server; every socket operation has a
timeout, so a broken client fails the test instead of hanging it.

    server = proxy_server("v2", claimed=("192.0.2.7", 4242))
    run = run_ehlo("--proxy", "v2", "--proxy-from", "192.0.2.7:4242", server.address, input=...)
    server.wait(); server.assert_ok()
    server.header            # the bytes read as the header
    server.commands          # the SMTP lines read after it
    server.peer              # where the connection came from, as accept() saw it
"""

import ipaddress
import socket
import struct
import threading

import pytest

SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


def canonical(address):
    """RFC 5952 §4 text, hexadecimal groups only (v1 wants no dotted quad inside IPv6, and newer
    Pythons write an IPv4-mapped address with one)."""
    if address.version == 4:
        return str(address)
    groups = struct.unpack("!8H", address.packed)
    best, run = (0, 0), None
    for index, group in enumerate(groups + (1,)):
        if group == 0 and index < 8:
            run = run if run is not None else index
        elif run is not None:
            if index - run >= 2 and index - run > best[1] - best[0]:
                best = (run, index)
            run = None
    text = lambda part: ":".join(f"{group:x}" for group in part)  # noqa: E731
    if best == (0, 0):
        return text(groups)
    return text(groups[:best[0]]) + "::" + text(groups[best[1]:])


def expected_header(version, client, server):
    """The header for a TCP connection from client (host, port) to server (host, port), or for
    no TCP connection (client None): UNKNOWN / LOCAL."""
    if client is None:
        return b"PROXY UNKNOWN\r\n" if version == "v1" else SIGNATURE + b"\x20\x00\x00\x00"
    source, destination = ipaddress.ip_address(client[0]), ipaddress.ip_address(server[0])
    if source.version != destination.version:
        source, destination = (ipaddress.IPv6Address(f"::ffff:{a}") if a.version == 4 else a
                               for a in (source, destination))
    if version == "v1":
        family = "TCP4" if source.version == 4 else "TCP6"
        return f"PROXY {family} {canonical(source)} {canonical(destination)} {client[1]} {server[1]}\r\n".encode()
    block = source.packed + destination.packed + struct.pack("!HH", client[1], server[1])
    family = 0x11 if source.version == 4 else 0x21
    return SIGNATURE + bytes([0x21, family]) + struct.pack("!H", len(block)) + block


class ProxyReceiver:
    """One connection: the PROXY header, checked, then a minimal SMTP server."""

    def __init__(self, version, claimed=None, family=socket.AF_INET, host="127.0.0.1", port=0, path=None,
                 io_timeout=10.0):
        self.version = version
        self.claimed = claimed
        self.io_timeout = io_timeout
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        if family == socket.AF_UNIX:
            self.listener.bind(str(path))
            self.address = str(path)
        else:
            self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.listener.bind((host, port))
            port = self.listener.getsockname()[1]
            self.port = port
            self.address = f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"
        self.listener.listen(1)
        self.listener.settimeout(io_timeout)
        self.header = b""
        self.expected = None
        self.peer = None
        self.commands = []
        self.closed_without_quit = False
        self.errors = []
        self.connection = None
        self._buffer = b""
        self.finished = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _recv(self):
        chunk = self.connection.recv(4096)
        if not chunk:
            raise EOFError("client closed the connection")
        self._buffer += chunk

    def _read_exactly(self, count):
        while len(self._buffer) < count:
            self._recv()
        data, self._buffer = self._buffer[:count], self._buffer[count:]
        return data

    def _read_header(self):
        if self.version == "v1":
            # §2.1: the line ends within 107 characters, with CRLF.
            while b"\r\n" not in self._buffer[:107]:
                if len(self._buffer) >= 107:
                    raise ValueError(f"no CRLF in the first 107 octets: {self._buffer!r}")
                self._recv()
            end = self._buffer.index(b"\r\n") + 2
            return self._read_exactly(end)
        start = self._read_exactly(16)
        (length,) = struct.unpack("!H", start[14:16])
        return start + self._read_exactly(length)

    def _readline(self):
        while b"\n" not in self._buffer:
            self._recv()
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.rstrip(b"\r")

    def _run(self):
        try:
            self.connection, peer = self.listener.accept()
            self.connection.settimeout(self.io_timeout)
            if self.listener.family == socket.AF_UNIX:
                client = server = None
            else:
                self.peer = peer[:2]
                client = self.claimed or self.peer
                server = self.connection.getsockname()[:2]
            self.expected = expected_header(self.version, client, server)
            self.header = self._read_header()
            if self.header != self.expected:
                self.errors.append(f"header {self.header!r}, expected {self.expected!r}")
                return
            if self._buffer:
                self.errors.append(f"the client did not wait for the greeting: {self._buffer!r}")
            self.connection.sendall(b"220 proxied.test ESMTP behind a load balancer\r\n")
            while True:
                try:
                    line = self._readline()
                except EOFError:
                    self.closed_without_quit = True  # /disconnect, or a /connect elsewhere
                    return
                self.commands.append(line)
                if line.upper() == b"QUIT":
                    self.connection.sendall(b"221 2.0.0 Bye\r\n")
                    return
                if line.upper().startswith(b"EHLO"):
                    self.connection.sendall(b"250-proxied.test\r\n250 8BITMIME\r\n")
                else:
                    self.connection.sendall(b"250 2.0.0 Ok\r\n")
        except Exception as error:  # noqa: BLE001 - reported to the test
            self.errors.append(f"{type(error).__name__}: {error}")
        finally:
            self.finished.set()

    def wait(self, timeout=10.0):
        return self.finished.wait(timeout)

    def assert_ok(self):
        assert self.finished.is_set(), "the proxy server is still waiting"
        assert not self.errors, f"proxy server: {self.errors}; header {self.header!r}"

    def stop(self):
        for sock in (self.connection, self.listener):
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass
        self.thread.join(timeout=5)


@pytest.fixture
def proxy_server():
    """proxy_server(version, claimed=None, family=AF_INET, host=..., port=0, path=...) -> a listening
    ProxyReceiver; all are stopped at the end."""
    servers = []

    def make(version, **options):
        server = ProxyReceiver(version, **options)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
