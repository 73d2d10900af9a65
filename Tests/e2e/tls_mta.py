"""A real SMTP server (aiosmtpd) speaking implicit TLS (SMTPS, RFC 8314) on loopback.

ehlo's end-to-end tests use it for `--tls`: the TLS handshake comes first, before the greeting,
as on port 465. It accepts every recipient and discards messages (the TLS tests send none).
Run: ``python3 tls_mta.py CERT.pem KEY.pem`` — it prints ``PORT <n>`` once listening.
"""

import signal
import socket
import ssl
import sys

from aiosmtpd.controller import Controller


class Accepter:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        return "250 2.0.0 Ok: discarded"


def main():
    certificate, key = sys.argv[1], sys.argv[2]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    # aiosmtpd 1.4 cannot listen on port 0 (its start-up check connects to the port it was
    # given), so ask the kernel for a free port first. With ssl_context, 1.4.6's check speaks
    # TLS itself (without verifying), so the start-up succeeds.
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    # ssl_context on the Controller (not tls_context on SMTP) means implicit TLS: the
    # handshake happens on connect, before the 220 greeting.
    controller = Controller(Accepter(), hostname="127.0.0.1", port=port, ssl_context=context,
                            server_hostname="smtps.test", ident="aiosmtpd implicit-TLS test MTA")
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM, signal.SIGINT])
    controller.start()
    print("PORT %d" % port, flush=True)
    signal.sigwait([signal.SIGTERM, signal.SIGINT])
    controller.stop()


if __name__ == "__main__":
    main()
