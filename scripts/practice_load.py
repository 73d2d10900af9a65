#!/usr/bin/env python3
"""Load test for the practice server: many concurrent SMTP sessions, many messages, none lost.

    scripts/practice_load.py --sessions 50 --messages 10000          # starts its own `ehlo serve`
    scripts/practice_load.py --port 2525 --sessions 20 --messages 500 # against a running server

Each session connects, says EHLO, then sends messages (MAIL, RCPT and DATA pipelined, RFC 2920)
until the run's total is reached, and QUITs. Every message carries a unique X-Load-Id header.
With its own server the script stores into a temporary Maildir and checks afterwards that every
message accepted with 250 is in new/ exactly once and nothing is left in tmp/. Only loopback
addresses are used; every socket operation has a timeout and the whole run a deadline.

Exit status 0 when every message was accepted and (with its own server) found; 1 otherwise.
"""

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STEP_TIMEOUT = 30


class Counter:
    def __init__(self, total):
        self.total = total
        self.next = 0

    def take(self):
        if self.next >= self.total:
            return None
        self.next += 1
        return self.next


async def read_reply(reader):
    lines = []
    while True:
        raw = await asyncio.wait_for(reader.readline(), STEP_TIMEOUT)
        if not raw:
            raise ConnectionError("connection closed by the server")
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        lines.append(line)
        if len(line) < 4 or line[3] != "-":
            return int(line[:3]), lines


async def session(number, host, port, counter, body_size, results):
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), STEP_TIMEOUT)
    try:
        code, _ = await read_reply(reader)
        if code != 220:
            raise RuntimeError(f"greeting {code}")
        writer.write(f"EHLO load{number}.test\r\n".encode())
        code, _ = await read_reply(reader)
        if code != 250:
            raise RuntimeError(f"EHLO {code}")
        filler = ("x" * 70 + "\r\n") * max(0, body_size // 72)
        while (message := counter.take()) is not None:
            load_id = f"load-{message}"
            writer.write(b"MAIL FROM:<load@client.test>\r\nRCPT TO:<student@practice.test>\r\nDATA\r\n")
            codes = [(await read_reply(reader))[0] for _ in range(3)]
            if codes != [250, 250, 354]:
                results["errors"].append(f"{load_id}: MAIL/RCPT/DATA got {codes}")
                writer.write(b"RSET\r\n")
                await read_reply(reader)
                continue
            writer.write(f"Subject: {load_id}\r\nX-Load-Id: {load_id}\r\n\r\n{filler}.\r\n".encode())
            code, lines = await read_reply(reader)
            if code == 250:
                results["accepted"].add(load_id)
            else:
                results["errors"].append(f"{load_id}: end of data got {lines}")
        writer.write(b"QUIT\r\n")
        await read_reply(reader)
    finally:
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), STEP_TIMEOUT)
        except (OSError, asyncio.TimeoutError):
            pass


async def run(host, port, sessions, messages, body_size, deadline):
    counter = Counter(messages)
    results = {"accepted": set(), "errors": []}

    async def guarded(number):
        try:
            await session(number, host, port, counter, body_size, results)
        except Exception as error:  # noqa: BLE001 - every failure is a result to report
            results["errors"].append(f"session {number}: {type(error).__name__}: {error}")

    await asyncio.wait_for(asyncio.gather(*(guarded(n) for n in range(sessions))), deadline)
    return results


def start_server(binary, maildir):
    process = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0", "--maildir", str(maildir)],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    first = process.stdout.readline().decode()
    match = re.match(r"listening on (.+):(\d+)", first)
    if not match:
        process.kill()
        raise SystemExit(f"the server did not start: {first!r}")
    # Drain the log so the server never blocks on a full pipe.
    import threading
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    return process, int(match.group(2))


def check_maildir(maildir, accepted):
    """Messages accepted with 250 that are missing from new/, found twice, or left in tmp/."""
    found = {}
    for path in (Path(maildir) / "new").iterdir():
        match = re.search(rb"^X-Load-Id: (\S+)$", path.read_bytes(), re.MULTILINE)
        key = match.group(1).decode() if match else f"(no id) {path.name}"
        found[key] = found.get(key, 0) + 1
    missing = sorted(accepted - set(found))
    duplicated = sorted(key for key, count in found.items() if count > 1)
    leftovers = list((Path(maildir) / "tmp").iterdir())
    return missing, duplicated, leftovers, len(found)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="a running server's port; without it, start one")
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--size", type=int, default=1000, help="approximate body size in octets")
    parser.add_argument("--deadline", type=float, default=900, help="seconds for the whole run")
    parser.add_argument("--ehlo", default=os.environ.get("EHLO_BIN", str(REPO / ".build" / "debug" / "ehlo")))
    args = parser.parse_args()
    if args.host not in ("127.0.0.1", "localhost", "::1") and not args.host.startswith("127."):
        raise SystemExit("only loopback addresses are allowed")

    process = None
    maildir = None
    port = args.port
    temporary = tempfile.TemporaryDirectory(prefix="ehlo-load-")
    if port is None:
        maildir = Path(temporary.name) / "Maildir"
        process, port = start_server(args.ehlo, maildir)
    started = time.monotonic()
    try:
        results = asyncio.run(run(args.host, port, args.sessions, args.messages, args.size, args.deadline))
    finally:
        elapsed = time.monotonic() - started
        if process:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    accepted = results["accepted"]
    print(f"sessions {args.sessions}, messages {args.messages}, accepted {len(accepted)}, "
          f"errors {len(results['errors'])}, {elapsed:.1f} s, {len(accepted) / max(elapsed, 1e-9):.0f} messages/s")
    for error in results["errors"][:10]:
        print("  error:", error)
    ok = len(accepted) == args.messages and not results["errors"]
    if maildir is not None:
        missing, duplicated, leftovers, stored = check_maildir(maildir, accepted)
        print(f"maildir: {stored} stored, {len(missing)} missing, {len(duplicated)} duplicated, "
              f"{len(leftovers)} left in tmp/")
        ok = ok and not missing and not duplicated and not leftovers and stored == args.messages
    temporary.cleanup()
    print("load test: " + ("ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
