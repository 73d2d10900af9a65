"""A real SMTP server (aiosmtpd) on loopback for ehlo's end-to-end tests.

It accepts mail for any address except those whose local part is ``nobody``
(refused with 550 5.1.1), and writes each message to DIR as ``N.eml`` with a
JSON envelope beside it (``N.json``), so tests can check what arrived byte for
byte. Run: ``python3 mta.py DIR`` — it prints ``PORT <n>`` once listening.

Optional: ``MTA_REFUSE=bob,carol`` in the environment refuses those local parts
too (same 550 5.1.1), so a test can run "the same MTA, configured differently".
"""

import json
import os
import signal
import socket
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


class Recorder:
    def __init__(self, folder, refused=("nobody",)):
        self.folder = folder
        self.count = 0
        self.refused = set(refused)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@")[0].lower() in self.refused:
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_VRFY(self, server, session, envelope, address):
        return "252 2.0.0 Cannot VRFY user, but will accept message"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.folder, str(self.count))
        with open(base + ".eml.tmp", "wb") as body:
            body.write(envelope.original_content)
        os.rename(base + ".eml.tmp", base + ".eml")
        with open(base + ".json", "w") as meta:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos}, meta)
        return "250 2.0.0 Ok: queued as %d" % self.count


def main():
    folder = sys.argv[1]
    os.makedirs(folder, exist_ok=True)
    # aiosmtpd 1.4 cannot listen on port 0 (its start-up check connects to the port it was
    # given), so ask the kernel for a free port first.
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    extra = os.environ.get("MTA_REFUSE", "")
    refused = {"nobody"} | {name.strip().lower() for name in extra.split(",") if name.strip()}
    controller = Controller(Recorder(folder, refused), hostname="127.0.0.1", port=port,
                            server_hostname="mta.test", ident="aiosmtpd test MTA")
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM, signal.SIGINT])
    controller.start()
    print("PORT %d" % port, flush=True)
    signal.sigwait([signal.SIGTERM, signal.SIGINT])
    controller.stop()


if __name__ == "__main__":
    main()
