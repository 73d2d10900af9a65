"""An LMTP server (aiosmtpd's LMTP class) for ehlo's end-to-end tests, with one reply per
accepted recipient after the end of data (RFC 2033 section 4.2).

Run: ``python3 lmtp.py DIR`` (TCP, 127.0.0.1, a free port; prints ``PORT <n>``) or
``python3 lmtp.py DIR --unix PATH`` (a UNIX-domain socket; prints ``UNIX <path>``).

What stock aiosmtpd (1.4) does: its ``LMTP`` class (aiosmtpd/lmtp.py) only adds ``LHLO``
(which runs the EHLO code) and answers HELO and EHLO with ``500 Error: command "..." not
recognized``; everything else is the SMTP class. ``SMTP.smtp_DATA`` calls the handler's
``handle_DATA`` once for the whole transaction and pushes exactly what it returns, plus CRLF,
as the reply ("250 OK" if there is no handler) - so by itself it sends ONE reply after the dot,
whatever the number of recipients. Nor does its EHLO/LHLO reply list PIPELINING or
ENHANCEDSTATUSCODES, which RFC 2033 requires of an LMTP server. This handler fixes both:
``handle_EHLO`` adds the two keywords, and ``handle_DATA`` sends the reply of every accepted
recipient but the last itself (``await server.push(...)``), in RCPT order, and returns the
last one for aiosmtpd to send.

Outcomes, by the recipient's local part (split on "+", so ``slow+full@x`` is slow and full):

    nobody   refused at RCPT: 550 5.1.1 (it is then not a recipient and gets no reply after DATA)
    full     after DATA: 452 4.2.2 <addr> Mailbox full
    gone     after DATA: 550 5.1.1 <addr> User unknown (gone)
    slow     its reply after DATA comes LMTP_SLOW_DELAY seconds (default 1.5) after the
             previous reply (or after the dot, for the first recipient); combine with the above
    others   after DATA: 250 2.1.5 <addr> delivered; the message goes to DIR/<local part>/new/
             (a Maildir per local part)

Each reply after DATA is also appended to DIR/replies.jsonl as {"rcpt", "reply", "time"}, and
each transaction's envelope to DIR/transactions.jsonl, so tests can check what was decided.
"""

import asyncio
import json
import mailbox
import os
import signal
import sys
import time

from aiosmtpd.lmtp import LMTP

SLOW_DELAY = float(os.environ.get("LMTP_SLOW_DELAY", "1.5"))


def tokens(address):
    return set(address.rsplit("@", 1)[0].lower().split("+"))


class Deliverer:
    def __init__(self, folder):
        self.folder = folder

    def _append(self, name, record):
        with open(os.path.join(self.folder, name), "a") as out:
            out.write(json.dumps(record) + "\n")

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        # aiosmtpd ends with "250 HELP"; keep it last.
        return responses[:-1] + ["250-PIPELINING", "250-ENHANCEDSTATUSCODES"] + responses[-1:]

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "nobody" in tokens(address):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    def _outcome(self, address, content):
        words = tokens(address)
        if "full" in words:
            return "452 4.2.2 <%s> Mailbox full" % address
        if "gone" in words:
            return "550 5.1.1 <%s> User unknown (gone)" % address
        local = address.rsplit("@", 1)[0].lower()
        box = mailbox.Maildir(os.path.join(self.folder, local), create=True)
        key = box.add(content)
        return "250 2.1.5 <%s> delivered as %s" % (address, key)

    async def handle_DATA(self, server, session, envelope):
        recipients = list(envelope.rcpt_tos)
        self._append("transactions.jsonl", {"from": envelope.mail_from, "to": recipients,
                                            "size": len(envelope.original_content)})
        replies = []
        for index, address in enumerate(recipients):
            if "slow" in tokens(address):
                await asyncio.sleep(SLOW_DELAY)
            reply = self._outcome(address, envelope.original_content)
            self._append("replies.jsonl", {"rcpt": address, "reply": reply, "time": time.time()})
            if index < len(recipients) - 1:
                await server.push(reply)
            replies.append(reply)
        return replies[-1] if replies else "503 5.5.1 Error: no valid recipients"


async def serve(folder, unix_path):
    loop = asyncio.get_running_loop()
    handler = Deliverer(folder)

    def factory():
        return LMTP(handler, hostname="lmtp.test", ident="aiosmtpd LMTP test server",
                    enable_SMTPUTF8=True, loop=loop)

    if unix_path:
        if os.path.exists(unix_path):
            os.unlink(unix_path)
        server = await loop.create_unix_server(factory, unix_path)
        os.chmod(unix_path, 0o666)
        print("UNIX %s" % unix_path, flush=True)
    else:
        server = await loop.create_server(factory, host="127.0.0.1", port=0)
        print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()
    if unix_path and os.path.exists(unix_path):
        os.unlink(unix_path)


def main():
    folder = sys.argv[1]
    unix_path = None
    if len(sys.argv) > 2:
        if sys.argv[2] != "--unix" or len(sys.argv) != 4:
            sys.exit("usage: lmtp.py DIR [--unix PATH]")
        unix_path = sys.argv[3]
    os.makedirs(folder, exist_ok=True)
    asyncio.run(serve(folder, unix_path))


if __name__ == "__main__":
    main()
