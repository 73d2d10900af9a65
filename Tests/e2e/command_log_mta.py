"""A small SMTP server that logs every command line it receives and, by default, refuses DATA.

For the "refused DATA in a script" tests: it answers EHLO/HELO, MAIL, RCPT, RSET, NOOP, VRFY
and QUIT normally and DATA with a configurable reply (default ``554 5.5.1 Error: no valid
recipients``), and it records

    DIR/commands.log   every line it read as a command, one per line, as received (without the
                       CRLF), written before it answers; after a refused DATA a message line
                       the client sends anyway is read as a command, so it shows up here (and
                       is answered ``502 5.5.2 Error: command not recognized``);
    DIR/reads.log      every recv() as one line: the Python repr of the bytes it returned, so a
                       test can see how the client's writes arrived (on loopback a single small
                       send() arrives in one recv(); two sends can still be merged into one
                       recv() when the server reads late, but one recv() is never split).

Run: ``python3 command_log_mta.py DIR [--data-reply "450 4.3.2 Try later"] [--accept-data]
[--no-pipelining]`` - prints ``PORT <n>`` once listening on 127.0.0.1. ``--accept-data``
answers DATA with 354 and stores each message as DIR/N.eml (its lines are not commands and
are not in commands.log). Recipients whose local part is ``nobody`` get 550 5.1.1 at RCPT.
"""

import argparse
import asyncio
import os
import signal

HOSTNAME = "logging.test"


class Session:
    def __init__(self, options, reader, writer):
        self.options = options
        self.reader = reader
        self.writer = writer
        self.buffer = b""
        self.mail = None
        self.rcpts = []

    def _log(self, name, line):
        with open(os.path.join(self.options.folder, name), "ab") as out:
            out.write(line + b"\n")

    async def _read_line(self):
        while b"\n" not in self.buffer:
            chunk = await self.reader.read(65536)
            if not chunk:
                return None
            self._log("reads.log", repr(chunk).encode())
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line[:-1] if line.endswith(b"\r") else line

    async def reply(self, text):
        self.writer.write(text.encode() + b"\r\n")
        await self.writer.drain()

    async def _data(self):
        await self.reply("354 End data with <CR><LF>.<CR><LF>")
        lines = []
        while True:
            line = await self._read_line()
            if line is None:
                return False
            if line == b".":
                break
            lines.append(line[1:] if line.startswith(b".") else line)
        self.options.count += 1
        path = os.path.join(self.options.folder, "%d.eml" % self.options.count)
        with open(path, "wb") as out:
            out.write(b"".join(line + b"\r\n" for line in lines))
        self.mail, self.rcpts = None, []
        await self.reply("250 2.0.0 Ok: queued as %d" % self.options.count)
        return True

    async def run(self):
        await self.reply(f"220 {HOSTNAME} ESMTP command-logging test server")
        while True:
            line = await self._read_line()
            if line is None:
                return
            self._log("commands.log", line)
            text = line.decode("utf-8", "replace")
            verb, _, arg = text.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                keywords = [HOSTNAME, "8BITMIME", "ENHANCEDSTATUSCODES", "SIZE 10240000"]
                if self.options.pipelining:
                    keywords.insert(1, "PIPELINING")
                for keyword in keywords[:-1]:
                    self.writer.write(b"250-" + keyword.encode() + b"\r\n")
                await self.reply("250 " + keywords[-1])
                self.mail, self.rcpts = None, []
            elif verb == "HELO":
                await self.reply(f"250 {HOSTNAME}")
            elif verb == "MAIL":
                self.mail, self.rcpts = arg, []
                await self.reply("250 2.1.0 Ok")
            elif verb == "RCPT":
                if self.mail is None:
                    await self.reply("503 5.5.1 Error: need MAIL command")
                elif "<nobody@" in arg.lower():
                    await self.reply("550 5.1.1 %s: Recipient address rejected: User unknown"
                                     % arg.split(":", 1)[-1].strip())
                else:
                    self.rcpts.append(arg)
                    await self.reply("250 2.1.5 Ok")
            elif verb == "DATA":
                if not self.rcpts:
                    await self.reply("554 5.5.1 Error: no valid recipients" if self.mail
                                     else "503 5.5.1 Error: need RCPT command")
                elif self.options.accept_data:
                    if not await self._data():
                        return
                else:
                    await self.reply(self.options.data_reply)
            elif verb == "RSET":
                self.mail, self.rcpts = None, []
                await self.reply("250 2.0.0 Ok")
            elif verb == "NOOP":
                await self.reply("250 2.0.0 Ok")
            elif verb == "VRFY":
                await self.reply("252 2.0.0 Cannot VRFY user")
            elif verb == "QUIT":
                await self.reply("221 2.0.0 Bye")
                return
            else:
                await self.reply("502 5.5.2 Error: command not recognized")


async def serve(options):
    loop = asyncio.get_running_loop()

    async def handle(reader, writer):
        try:
            await Session(options, reader, writer).run()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host="127.0.0.1", port=0)
    print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--data-reply", default="554 5.5.1 Error: no valid recipients")
    parser.add_argument("--accept-data", action="store_true")
    parser.add_argument("--no-pipelining", dest="pipelining", action="store_false")
    options = parser.parse_args()
    options.count = 0
    os.makedirs(options.folder, exist_ok=True)
    for name in ("commands.log", "reads.log"):
        open(os.path.join(options.folder, name), "wb").close()
    asyncio.run(serve(options))


if __name__ == "__main__":
    main()
