#!/usr/bin/env python3
"""Benchmarks ehlo against its peers, side by side, on one machine, and prints ratios.

    scripts/bench.py [--rounds 30] [--messages 500]

Against a practice server (`ehlo serve`, loopback, Maildir in a temporary folder) it measures:

  one message per process   ehlo (script mode), swaks, and a raw socket copy (socat) each deliver
                            one message in a fresh process, `--rounds` times; the median is kept.
  many messages, one run    ehlo sends `--messages` messages in one session, each command waiting
                            for its reply, against a bare Python socket doing the same lock-step
                            exchange without parsing or annotating anything: the floor.

Against Postfix's smtp-sink (loopback, each message dumped to a file and counted) it measures:

  a batch, one session      `--batch` messages of 2 KB: smtp-source -m (Postfix's load generator,
                            lock-step: it has no pipelining), ehlo in lock-step, and ehlo with
                            --pipeline (MAIL, RCPT and DATA in one write, the final dot with the
                            next MAIL, RFC 2920); wall time and CPU time of each.

Ratios are against the raw copy or raw socket (lower is better; 1.0x is the floor); every run
checks that each message arrived in the Maildir. Timings are wall-clock on a
shared machine: compare ratios from the same run, not absolute numbers across runs.
"""

import argparse
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MESSAGE = "Subject: bench\r\n\r\nhello\r\n"


def start_server(ehlo, maildir):
    """`ehlo serve` on a free port; its log goes to a file (an unread pipe would fill and stall it)."""
    log_path = maildir.parent / "serve.log"
    log = open(log_path, "w")
    server = subprocess.Popen([ehlo, "serve", "--listen", "127.0.0.1:0", "--maildir", str(maildir)],
                              stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        first = log_path.read_text().split("\n", 1)[0]
        if first.startswith("listening on "):
            return server, int(first.rsplit(":", 1)[1])
        time.sleep(0.05)
    server.kill()
    sys.exit(f"ehlo serve did not start: {log_path.read_text()!r}")


def session_lines(messages):
    lines = ["EHLO bench.test"]
    for index in range(messages):
        lines += ["MAIL FROM:<bench@example.test>", "RCPT TO:<student@practice.test>", "DATA",
                  "Subject: bench %d" % index, "", "hello", "."]
    return lines + ["QUIT"]


def lock_step(port, lines):
    """The floor for a console that waits for every reply: a bare socket, no parsing beyond the
    last reply line, no annotation. Returns the seconds it took."""
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        # Without it Nagle holds each body line for the server's delayed ACK (40 ms a message).
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = connection.makefile("rb")

        def reply():
            while True:
                line = reader.readline()
                if len(line) < 4 or line[3:4] != b"-":
                    return line

        reply()  # greeting
        in_data = False
        for line in lines:
            connection.sendall(line.encode() + b"\r\n")
            if in_data and line != ".":
                continue
            in_data = reply().startswith(b"354")
    return time.perf_counter() - start


def timed(command, stdin=b""):
    return timed_with_cpu(command, stdin)[0]


def timed_with_cpu(command, stdin=b""):
    """(wall seconds, CPU seconds of the process: user and system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = subprocess.run(command, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               timeout=300)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        sys.exit(f"{command[0]} failed with status {completed.returncode}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def free_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


BODY_LINE = "X" * 76


def batch_lines(messages):
    """`messages` messages of about 2 KB each (26 lines of 78 octets), in one session."""
    lines = ["EHLO bench.test"]
    for index in range(messages):
        lines += ["MAIL FROM:<bench@example.test>", "RCPT TO:<sink@example.test>", "DATA",
                  "Subject: batch %d" % index, ""] + [BODY_LINE] * 26 + ["."]
    return lines + ["QUIT"]


def batch_against_smtp_sink(ehlo, messages):
    """{name: (wall, cpu)} for smtp-source and ehlo against one smtp-sink; every message counted."""
    for tool in ("smtp-sink", "smtp-source"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (apt-get install postfix)")
    results = {}
    with tempfile.TemporaryDirectory(prefix="ehlo-sink-") as folder:
        dumps = Path(folder) / "dumps"
        dumps.mkdir()
        user = []
        if os.geteuid() == 0:
            # smtp-sink drops to an unprivileged user, who must reach the dump folder.
            os.chmod(folder, 0o755)
            shutil.chown(dumps, "nobody")
            user = ["-u", "nobody"]
        port = free_port()
        sink = subprocess.Popen(["smtp-sink", *user, "-d", f"{dumps}/%H%M%S.", f"127.0.0.1:{port}", "256"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        sys.exit("smtp-sink did not start")
                    time.sleep(0.05)
            counted = 0

            def check(name):
                nonlocal counted
                counted += messages
                deadline = time.monotonic() + 10
                while sum(1 for _ in dumps.rglob("*") if _.is_file()) < counted and time.monotonic() < deadline:
                    time.sleep(0.05)
                stored = sum(1 for _ in dumps.rglob("*") if _.is_file())
                if stored != counted:
                    sys.exit(f"{name}: smtp-sink has {stored} messages, {counted} expected")

            address = f"127.0.0.1:{port}"
            results["smtp-source"] = timed_with_cpu(
                ["smtp-source", "-d", "-s", "1", "-m", str(messages), "-l", "2048", "-f", "bench@example.test",
                 "-t", "sink@example.test", address])
            check("smtp-source")
            script = ("\n".join(batch_lines(messages)) + "\n").encode()
            results["ehlo"] = timed_with_cpu([ehlo, "--no-history", "--explain", "off", address], script)
            check("ehlo")
            results["ehlo --pipeline"] = timed_with_cpu(
                [ehlo, "--no-history", "--explain", "off", "--pipeline", address], script)
            check("ehlo --pipeline")
        finally:
            sink.terminate()
            sink.wait(timeout=10)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--ehlo", default=os.environ.get("EHLO_BIN", str(REPO / ".build" / "release" / "ehlo")))
    options = parser.parse_args()
    if not Path(options.ehlo).exists():
        sys.exit(f"{options.ehlo} not found: `swift build -c release` first, or give --ehlo")
    for tool in ("swaks", "socat"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (apt-get install {tool})")

    with tempfile.TemporaryDirectory(prefix="ehlo-bench-") as folder:
        maildir = Path(folder) / "Maildir"
        server, port = start_server(options.ehlo, maildir)

        def delivered():
            return len(list((maildir / "new").iterdir())) if (maildir / "new").exists() else 0

        def check(name, expected_total):
            # A benchmark that loses messages measures nothing: count what arrived.
            deadline = time.monotonic() + 10
            while delivered() < expected_total and time.monotonic() < deadline:
                time.sleep(0.05)
            if delivered() != expected_total:
                sys.exit(f"{name}: {delivered()} messages stored, {expected_total} expected")

        address = f"127.0.0.1:{port}"
        try:
            one = "\n".join(session_lines(1)) + "\n"
            raw_one = "\r\n".join(session_lines(1)).encode() + b"\r\n"
            single = {
                "ehlo": lambda: timed([options.ehlo, "--no-history", "--explain", "off", address], one.encode()),
                "swaks": lambda: timed(["swaks", "--server", "127.0.0.1", "--port", str(port), "--from",
                                        "bench@example.test", "--to", "student@practice.test", "--silent", "2"]),
                "raw copy": lambda: timed(["socat", "-t", "2", "-", f"TCP:{address}"], raw_one),
            }
            medians = {}
            expected = 0
            for name, run in single.items():
                run()  # warm up
                medians[name] = statistics.median(run() for _ in range(options.rounds))
                expected += options.rounds + 1
                check(name, expected)

            many = "\n".join(session_lines(options.messages)) + "\n"
            bulk = {"ehlo": timed([options.ehlo, "--no-history", "--explain", "off", address], many.encode())}
            expected += options.messages
            check("ehlo", expected)
            bulk["raw socket"] = lock_step(port, session_lines(options.messages))
            expected += options.messages
            check("raw socket", expected)
        finally:
            server.terminate()
            server.wait(timeout=10)

    batch = batch_against_smtp_sink(options.ehlo, options.batch)

    print(f"one message per process (median of {options.rounds}):")
    for name, seconds in medians.items():
        print(f"  {name:10} {seconds * 1000:8.1f} ms   {seconds / medians['raw copy']:5.2f}x raw copy")
    print(f"{options.messages} messages in one session, every command waiting for its reply:")
    for name, seconds in bulk.items():
        print(f"  {name:10} {seconds:8.2f} s    {seconds / bulk['raw socket']:5.2f}x raw socket"
              f"   ({options.messages / seconds:.0f} messages/s)")
    print(f"{options.batch} messages of 2 KB in one session, into smtp-sink:")
    source_wall, source_cpu = batch["smtp-source"]
    for name, (wall, cpu) in batch.items():
        print(f"  {name:16} {wall:6.2f} s  {wall / source_wall:5.2f}x smtp-source"
              f"   ({options.batch / wall:5.0f} messages/s)"
              f"   CPU {cpu * 1e6 / options.batch:6.0f} µs/message  {cpu / source_cpu:5.2f}x smtp-source")


if __name__ == "__main__":
    main()
