"""Fixtures for the TLS and AUTH end-to-end tests: certificates made on the spot, `ehlo serve`
with them, an implicit-TLS MTA (tls_mta.py) and a scripted server that can switch to TLS.

Certificates (made once per test session with `cryptography`, in a temporary directory):

    ca.pem                      a CA, "ehlo test CA"
    server.pem / server.key     CN=localhost, SAN localhost, signed by the CA
    self.pem / self.key         CN=localhost, SAN localhost, self-signed
    expired.pem / expired.key   CN=localhost, SAN localhost, signed by the CA, expired 30 days ago
    other.pem / other.key       CN=mx.other.test, SAN mx.other.test, signed by the CA
    ipv6.pem / ipv6.key         CN=ipv6 loopback, SAN IP ::1 (an iPAddress name), signed by the CA
    client.pem / client.key     CN=student, a client certificate (clientAuth), signed by the CA
    stranger.pem / stranger.key CN=stranger, a client certificate from a CA nobody trusts

Everything listens on 127.0.0.1 only and every wait is bounded.
"""

import base64
import datetime
import hashlib
import ipaddress
import ssl
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import ScriptedServer, scripted_servers, stop_process
from local_server_fixtures import start_script
from practice_fixtures import PracticeServer

HERE = Path(__file__).resolve().parent
TLS_MTA_SCRIPT = HERE / "tls_mta.py"


# --------------------------------------------------------------------------------------------
# Certificates


def _make_certificates(folder):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder = Path(folder)
    now = datetime.datetime.now(datetime.timezone.utc)

    def name(common_name):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    def write(stem, certificate, key):
        (folder / f"{stem}.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        if key is not None:
            (folder / f"{stem}.key").write_bytes(key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption()))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder()
          .subject_name(name("ehlo test CA")).issuer_name(name("ehlo test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=365))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    write("ca", ca, None)

    def leaf(stem, dns_name, signed_by_ca=True, not_before=None, not_after=None, names=None,
             usage=ExtendedKeyUsageOID.SERVER_AUTH):
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (x509.CertificateBuilder()
                   .subject_name(name(dns_name))
                   .issuer_name(ca.subject if signed_by_ca else name(dns_name))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(not_before or now - datetime.timedelta(days=1))
                   .not_valid_after(not_after or now + datetime.timedelta(days=90))
                   .add_extension(x509.SubjectAlternativeName(names or [x509.DNSName(dns_name)]), critical=False)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
        if signed_by_ca:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        certificate = builder.sign(ca_key if signed_by_ca else key, hashes.SHA256())
        write(stem, certificate, key)
        return certificate

    server = leaf("server", "localhost")
    leaf("self", "localhost", signed_by_ca=False)
    expired = leaf("expired", "localhost", not_before=now - datetime.timedelta(days=60),
                   not_after=now - datetime.timedelta(days=30))
    leaf("other", "mx.other.test")
    leaf("ipv6", "ipv6 loopback", names=[x509.IPAddress(ipaddress.ip_address("::1"))])
    leaf("client", "student", names=[x509.DNSName("student.test")], usage=ExtendedKeyUsageOID.CLIENT_AUTH)
    leaf("stranger", "stranger", signed_by_ca=False, names=[x509.DNSName("stranger.test")],
         usage=ExtendedKeyUsageOID.CLIENT_AUTH)

    server_der = server.public_bytes(serialization.Encoding.DER)
    fingerprint = ":".join(f"{byte:02X}" for byte in hashlib.sha256(server_der).digest())
    return SimpleNamespace(
        folder=folder,
        ca=str(folder / "ca.pem"),
        pem=lambda stem: str(folder / f"{stem}.pem"),
        key=lambda stem: str(folder / f"{stem}.key"),
        server_fingerprint=fingerprint,
        server_serial=f"{server.serial_number:X}",
        expired_on=valid_until(expired).strftime("%Y-%m-%d"),
    )


def valid_from(certificate):
    """notBefore in UTC: `not_valid_before_utc` is cryptography 42's; Debian 12 has 38."""
    if hasattr(certificate, "not_valid_before_utc"):
        return certificate.not_valid_before_utc
    return certificate.not_valid_before.replace(tzinfo=datetime.timezone.utc)


def valid_until(certificate):
    """notAfter in UTC, as `valid_from`."""
    if hasattr(certificate, "not_valid_after_utc"):
        return certificate.not_valid_after_utc
    return certificate.not_valid_after.replace(tzinfo=datetime.timezone.utc)


@pytest.fixture(scope="session")
def certs(tmp_path_factory):
    pytest.importorskip("cryptography", reason="the TLS tests make certificates with `cryptography`")
    return _make_certificates(tmp_path_factory.mktemp("certs"))


# --------------------------------------------------------------------------------------------
# `ehlo serve` with those certificates (one server per certificate, shared by a module)


@pytest.fixture(scope="module")
def tls_practice(certs):
    """tls_practice(stem="server", *extra) -> PracticeServer with --tls-cert STEM.pem --tls-key
    STEM.key (and the extra `ehlo serve` options); started once per module and arguments."""
    started = {}

    def start(stem="server", *extra):
        key = (stem, *extra)
        if key not in started:
            started[key] = PracticeServer("--tls-cert", certs.pem(stem), "--tls-key", certs.key(stem), *extra)
        return started[key]

    yield start
    for server in started.values():
        server.stop()


# --------------------------------------------------------------------------------------------
# Implicit TLS: aiosmtpd with an ssl_context


@pytest.fixture(scope="module")
def tls_mta(tmp_path_factory, certs):
    """tls_mta.py with server.pem: yields its port (implicit TLS from the first byte)."""
    log_path = tmp_path_factory.mktemp("tls_mta") / "tls_mta.log"
    try:
        process, port = start_script([TLS_MTA_SCRIPT, certs.pem("server"), certs.key("server")], log_path)
    except RuntimeError as error:
        pytest.fail(str(error))
    try:
        yield int(port)
    finally:
        stop_process(process)


# --------------------------------------------------------------------------------------------
# A scripted server that can turn to TLS in the middle (for STARTTLS injection)


class TLSScriptedServer(ScriptedServer):
    """ScriptedServer plus a ("tls", SSLContext) step: wraps the connection (server side) and does
    the handshake; the steps after it run over TLS. ("read_raw",) reads once, whatever arrived
    (e.g. a ClientHello), so that a following ("close",) is a clean FIN rather than a reset. Whatever the client sent in plaintext after
    the last line read is an error (nothing may be buffered when the handshake starts)."""

    def _play(self, step):
        if step[0] == "tls":
            if self._buffer:
                self.errors.append(f"plaintext after STARTTLS: {self._buffer!r}")
                return False
            self.connection = step[1].wrap_socket(self.connection, server_side=True)
            self.connection.settimeout(self.io_timeout)
            self.received.append(b"<TLS handshake done>")
            return True
        if step[0] == "read_raw":
            # One read of whatever arrived (a ClientHello, say), kept raw, not as a line.
            self.received.append(self.connection.recv(65536))
            return True
        return super()._play(step)


@pytest.fixture
def tls_scripted_server():
    """tls_scripted_server([steps]) -> TLSScriptedServer (listening already); stopped at the end."""
    yield from scripted_servers(TLSScriptedServer)


def server_context(certs, stem="server", require_client_certificate=False, maximum_version=None):
    """A server-side SSLContext with STEM's certificate; optionally one that requires a client
    certificate issued by the test CA, or that speaks at most `maximum_version`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certs.pem(stem), certs.key(stem))
    if require_client_certificate:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(certs.ca)
    if maximum_version is not None:
        context.maximum_version = maximum_version
    return context


# --------------------------------------------------------------------------------------------
# Secrets and their encodings


def plain_blob(user, password):
    return base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()


def b64(text):
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def secret_forms(user, password):
    """Every string that would betray the password: itself, the PLAIN blob, LOGIN's base64 of it,
    and the aligned middles of base64 at each of the three offsets (whatever base64 stream the
    password sits in, at any position, contains one of them)."""
    raw = password.encode()
    forms = {"password": password, "PLAIN blob": plain_blob(user, password), "base64(password)": b64(raw)}
    for offset in range(3):
        whole = raw[offset:offset + 3 * ((len(raw) - offset) // 3)]
        if len(whole) >= 6:
            forms[f"base64 middle at offset {offset}"] = b64(whole)
    return forms
