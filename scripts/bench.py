#!/usr/bin/env python3
"""Benchmarks ehlo against its yardsticks, side by side, in one run on one machine, and prints ratios.

    scripts/bench.py [--rounds 9] [--big 256] [--huge 1024] [--batch 1000] [--only ROW]... [--markdown]
                     [--baseline BIN]

Every figure is a ratio against a yardstick run in the same invocation, against the same
Postfix smtp-sink on loopback, so that a busy machine slows both sides alike; each is the
median of `--rounds` runs (the large bodies: of `--big-rounds`). The rows are those of the
performance table in the README:

  start to greeting     ehlo running a script of QUIT, against swaks --quit-after banner.
  /send of a large body a `--big` MiB body, 1 line in 10 starting with a period, sent with
                        `/send` (read, dot-stuffed and written in blocks), against socat copying
                        the whole session, pre-stuffed, from a file: the speed of the wire.
  peak memory           ehlo's peak RSS during that /send, for `--big` and `--huge` MiB, and
                        swaks's for `--big` MiB (it holds the message in memory).
  replay                `ehlo replay` of the transcript of that /send (every body line
                        recorded), against the same socat copy; its time and peak RSS.
  a batch, one session  `--batch` messages of 2 KB: smtp-source -d -m (Postfix's load generator,
                        lock-step: it has no pipelining), ehlo in lock-step, and ehlo with
                        --pipeline (MAIL, RCPT and DATA in one write, the final dot with the
                        next MAIL, RFC 2920); wall time and CPU time of each, round by round,
                        each tool in turn. With --baseline BIN, an earlier build of ehlo too, in
                        lock-step: the ratio of the two builds' CPU per message.
  Tab completion        the in-process benchmark (completion-bench): 10,000 history lines,
                        a 60-line EHLO reply; the slowest Tab over all its cases.

`--only ROW` (repeatable) runs some of them: `greeting`, `send` (the large body's rows: its time,
with `--transcript`, its replay, and peak memory), `batch` (both batch rows) or `completion`.

Every run checks that each message arrived: smtp-sink counts them (-c), and the batch dumps
each to a file that is counted. Nothing here passes or fails on a time.
"""

import argparse
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROWS = ("greeting", "send", "batch", "completion")
SENDER = "bench@example.test"
RECIPIENT = "sink@example.test"


def free_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def run_measured(command, stdin_path=None, stdin_bytes=None, timeout=1800):
    """Runs a command to its end: (wall seconds, CPU seconds, peak RSS in MiB), from its own rusage."""
    stdin = open(stdin_path, "rb") if stdin_path else (subprocess.PIPE if stdin_bytes is not None else subprocess.DEVNULL)
    start = time.perf_counter()
    process = subprocess.Popen(command, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if stdin_bytes is not None:
        try:
            process.stdin.write(stdin_bytes)
        except BrokenPipeError:
            pass
        process.stdin.close()
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            process.kill()
            sys.exit(f"{command[0]} took longer than {timeout} s")
        time.sleep(0.002)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if stdin_path:
        stdin.close()
    if process.returncode != 0:
        sys.exit(f"{' '.join(map(str, command))} failed with status {process.returncode}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


class Sink:
    """Postfix's smtp-sink on a free loopback port, counting the messages it receives (-c), and
    with `dump_folder` writing each one to a file there."""

    def __init__(self, folder, dump_folder=None):
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.counter_path = Path(folder) / f"sink-{self.port}.out"
        command = ["smtp-sink", "-c"]
        if os.geteuid() == 0:
            # smtp-sink drops to an unprivileged user, who must reach the dump folder.
            command += ["-u", "nobody"]
        if dump_folder:
            os.chmod(folder, 0o755)
            if os.geteuid() == 0:
                shutil.chown(dump_folder, "nobody")
            command += ["-d", f"{dump_folder}/%H%M%S."]
        self.dump_folder = dump_folder
        self.counter = open(self.counter_path, "w")
        self.process = subprocess.Popen(command + [self.address, "256"], stdout=self.counter,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit("smtp-sink did not start")
                time.sleep(0.05)
        self.expected = 0

    def messages(self):
        counts = re.findall(r"mesg=(\d+)", self.counter_path.read_text())
        return int(counts[-1]) if counts else 0

    def expect(self, name, count):
        """Every message must have arrived; a benchmark that loses messages measures nothing."""
        self.expected += count
        deadline = time.monotonic() + 15
        while self.messages() < self.expected and time.monotonic() < deadline:
            time.sleep(0.02)
        if self.messages() != self.expected:
            sys.exit(f"{name}: smtp-sink counted {self.messages()} messages, {self.expected} expected")
        if self.dump_folder:
            stored = sum(1 for path in Path(self.dump_folder).rglob("*") if path.is_file())
            if stored != self.expected:
                sys.exit(f"{name}: smtp-sink stored {stored} messages, {self.expected} expected")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.counter.close()


def write_body(path, mebibytes):
    """A body of `mebibytes` MiB: lines of 76 octets with LF ends, 1 in 10 starting with a period."""
    plain = b"X" * 75 + b"\n"
    dotted = b"." + b"Y" * 74 + b"\n"
    block = (plain * 9 + dotted) * 1024
    with open(path, "wb") as out:
        written = 0
        while written < mebibytes << 20:
            out.write(block)
            written += len(block)


def write_stuffed_session(body_path, session_path):
    """The whole session socat copies: commands, the body as it goes on the wire (CRLF, stuffed),
    the final dot, QUIT."""
    with open(session_path, "wb") as out, open(body_path, "rb") as body:
        out.write(f"EHLO bench.test\r\nMAIL FROM:<{SENDER}>\r\nRCPT TO:<{RECIPIENT}>\r\nDATA\r\n".encode())
        for line in body:
            line = line.rstrip(b"\n")
            out.write((b"." + line if line.startswith(b".") else line) + b"\r\n")
        out.write(b".\r\nQUIT\r\n")


def send_script(body_path):
    return (f"EHLO bench.test\nMAIL FROM:<{SENDER}>\nRCPT TO:<{RECIPIENT}>\n/send {body_path}\n/expect 250\n"
            "QUIT\n").encode()


def batch_lines(messages):
    """`messages` messages of about 2 KB each (26 lines of 78 octets), in one session."""
    body_line = "X" * 76
    lines = ["EHLO bench.test"]
    for index in range(messages):
        lines += [f"MAIL FROM:<{SENDER}>", f"RCPT TO:<{RECIPIENT}>", "DATA", "Subject: batch %d" % index, ""]
        lines += [body_line] * 26 + ["."]
    return lines + ["QUIT"]


def median_of(rounds, run):
    results = [run() for _ in range(rounds)]
    return tuple(statistics.median(result[i] for result in results) for i in range(len(results[0])))


def machine_description():
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()[0]
    return (f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}, "
            f"load average {load:.1f} at the start")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="runs of each short figure (median)")
    parser.add_argument("--big-rounds", type=int, default=3, help="runs of each large-body figure (median)")
    parser.add_argument("--big", type=int, default=256, help="MiB of the large body")
    parser.add_argument("--huge", type=int, default=1024, help="MiB of the body whose memory is measured too")
    parser.add_argument("--batch", type=int, default=1000, help="messages of the batch")
    parser.add_argument("--batch-rounds", type=int, help="runs of each batch figure (median); default a third of --rounds")
    parser.add_argument("--only", action="append", choices=ROWS, metavar="ROW",
                        help=f"run only this row (repeatable): {', '.join(ROWS)}")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown, for the README")
    parser.add_argument("--ehlo", default=os.environ.get("EHLO_BIN", str(REPO / ".build" / "release" / "ehlo")))
    parser.add_argument("--baseline", metavar="BIN",
                        help="an earlier ehlo build, run beside ehlo in lock-step in the batch (its CPU per message)")
    parser.add_argument("--completion-bench",
                        default=os.environ.get("EHLO_COMPLETION_BENCH",
                                               str(REPO / ".build" / "release" / "completion-bench")))
    options = parser.parse_args()
    only = set(options.only or ROWS)
    binaries = ([options.ehlo] if only != {"completion"} else []) + (
        [options.completion_bench] if "completion" in only else []) + (
        [options.baseline] if options.baseline and "batch" in only else [])
    for binary in binaries:
        if not Path(binary).exists():
            sys.exit(f"{binary} not found: `make release` first (make bench does)")
    tools = ({"swaks"} if only & {"greeting", "send"} else set()) | ({"socat"} if "send" in only else set()) | (
        {"smtp-sink"} if only & {"greeting", "send", "batch"} else set()) | (
        {"smtp-source"} if "batch" in only else set())
    for tool in sorted(tools):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (make bench installs it)")
    batch_rounds = options.batch_rounds or max(options.rounds // 3, 1)
    ehlo = [options.ehlo, "--no-history", "--explain", "off"]
    machine = machine_description()
    rows = []

    with tempfile.TemporaryDirectory(prefix="ehlo-bench-") as folder:
        folder = Path(folder)
        if only & {"greeting", "send"}:
            sink = Sink(folder)
            try:
                if "greeting" in only:
                    # Start to greeting: a whole process that connects, reads the greeting and quits.
                    ehlo_quit = median_of(options.rounds, lambda: run_measured(ehlo + [sink.address], stdin_bytes=b"QUIT\n"))
                    swaks_banner = median_of(options.rounds, lambda: run_measured(
                        ["swaks", "--server", "127.0.0.1", "--port", str(sink.port), "--quit-after", "banner",
                         "--silent", "2"]))
                    rows.append(("start to greeting, `QUIT` script", f"{ehlo_quit[0] * 1000:.0f} ms",
                                 f"swaks `--quit-after banner` {swaks_banner[0] * 1000:.0f} ms",
                                 f"{ehlo_quit[0] / swaks_banner[0]:.2f}×", "≤ 0.5×"))

                if "send" in only:
                    # A large body through /send, and the same session copied raw by socat.
                    body = folder / "body.txt"
                    write_body(body, options.big)
                    session = folder / "session.smtp"
                    write_stuffed_session(body, session)
                    script = folder / "send.script"
                    script.write_bytes(send_script(body))

                    def send_big():
                        result = run_measured(ehlo + ["-x", str(script), sink.address])
                        sink.expect("ehlo /send", 1)
                        return result

                    def copy_big():
                        result = run_measured(["socat", "-t", "30", "-", f"TCP:{sink.address}"], stdin_path=session)
                        sink.expect("socat", 1)
                        return result

                    sent = median_of(options.big_rounds, send_big)
                    copied = median_of(options.big_rounds, copy_big)
                    rows.append((f"{options.big} MiB body, 1 line in 10 starting with a dot, `/send`",
                                 f"{sent[0]:.2f} s ({options.big / sent[0]:.0f} MiB/s)",
                                 f"`socat` copy of the pre-stuffed session {copied[0]:.2f} s",
                                 f"{copied[0] / sent[0]:.2f}× its speed", "≥ 0.8× the raw copy"))
                    session.unlink()

                    transcript = folder / "send.transcript"
                    recorded = run_measured(ehlo + ["-x", str(script), "--transcript", str(transcript), sink.address])
                    sink.expect("ehlo /send --transcript", 1)
                    rows.append((f"the same with `--transcript` (every body line recorded)",
                                 f"{recorded[0]:.2f} s, {recorded[2]:.0f} MiB peak",
                                 f"`socat` {copied[0]:.2f} s", f"{copied[0] / recorded[0]:.2f}× its speed", "—"))

                    # That transcript replayed: its message lines read back from the file as they are sent.
                    replayed = run_measured([options.ehlo, "replay", "--explain", "off", str(transcript), sink.address])
                    sink.expect("ehlo replay", 1)
                    transcript.unlink()
                    rows.append((f"`ehlo replay` of that transcript ({options.big} MiB message)",
                                 f"{replayed[0]:.2f} s, {replayed[2]:.0f} MiB peak",
                                 f"`socat` {copied[0]:.2f} s", f"{copied[0] / replayed[0]:.2f}× its speed",
                                 "memory flat, ≤ 64 MiB"))

                    swaks_big = run_measured(["swaks", "--server", "127.0.0.1", "--port", str(sink.port), "--from", SENDER,
                                              "--to", RECIPIENT, "--body", f"@{body}", "--silent", "2"])
                    sink.expect("swaks", 1)
                    body.unlink()
                    huge_rss = "not run"
                    if options.huge:
                        write_body(body, options.huge)
                        huge = run_measured(ehlo + ["-x", str(script), sink.address])
                        sink.expect("ehlo /send (huge)", 1)
                        body.unlink()
                        huge_rss = f"{huge[2]:.0f} MiB"
                    rows.append((f"peak memory during that `/send`, {options.big} MiB and {options.huge} MiB",
                                 f"{sent[2]:.0f} MiB and {huge_rss}", f"swaks {swaks_big[2]:.0f} MiB ({options.big} MiB)",
                                 f"{sent[2] / swaks_big[2]:.3f}×", "stays flat, ≤ 64 MiB"))
            finally:
                sink.stop()

        if "batch" in only:
            # A batch of messages in one session, every message dumped to a file and counted.
            dumps = folder / "dumps"
            dumps.mkdir()
            sink = Sink(folder, dump_folder=dumps)
            try:
                lines = ("\n".join(batch_lines(options.batch)) + "\n").encode()
                commands = {
                    "smtp-source": ([
                        "smtp-source", "-d", "-s", "1", "-m", str(options.batch), "-l", "2048", "-f", SENDER, "-t",
                        RECIPIENT, sink.address], None),
                    "ehlo": (ehlo + [sink.address], lines),
                    "ehlo --pipeline": (ehlo + ["--pipeline", sink.address], lines),
                }
                if options.baseline:
                    commands["baseline ehlo"] = (
                        [options.baseline, "--no-history", "--explain", "off", sink.address], lines)
                # Round by round, each tool in turn: a machine whose speed drifts over the
                # minutes of the run (another process, the host's load) slows them alike.
                results = {name: [] for name in commands}
                for _ in range(batch_rounds):
                    for name, (command, stdin_bytes) in commands.items():
                        results[name].append(run_measured(command, stdin_bytes=stdin_bytes))
                        sink.expect(name, options.batch)
                batch = {name: tuple(statistics.median(result[i] for result in runs) for i in range(3))
                         for name, runs in results.items()}
            finally:
                sink.stop()
            source_wall, source_cpu, _ = batch["smtp-source"]
            for name in ("ehlo --pipeline", "ehlo"):
                wall, cpu, _ = batch[name]
                rows.append((f"{options.batch:,} messages of 2 KB in one session, `{name}`",
                             f"{wall:.2f} s ({options.batch / wall:.0f} messages/s), CPU {cpu * 1e6 / options.batch:.0f} µs/message",
                             f"`smtp-source -d -m {options.batch}` {source_wall:.2f} s ({options.batch / source_wall:.0f} messages/s),"
                             f" CPU {source_cpu * 1e6 / options.batch:.0f} µs/message",
                             f"{wall / source_wall:.2f}× its time, {cpu / source_cpu:.2f}× its CPU",
                             "≤ 1.0× its time" if "pipeline" in name else
                             "CPU per message halved" + (" (see the --baseline row)" if options.baseline else "")))
            if options.baseline:
                _, cpu, _ = batch["ehlo"]
                _, baseline_cpu, _ = batch["baseline ehlo"]
                rows.append((f"the same, `ehlo` against the `--baseline` build ({Path(options.baseline).name})",
                             f"CPU {cpu * 1e6 / options.batch:.0f} µs/message",
                             f"the baseline's CPU {baseline_cpu * 1e6 / options.batch:.0f} µs/message",
                             f"{cpu / baseline_cpu:.2f}× its CPU", "≤ 0.5×"))

    if "completion" in only:
        completion = subprocess.run([options.completion_bench, "--history", "10000"], capture_output=True, text=True,
                                    check=True).stdout
        median, p99 = re.search(r"slowest case: median ([\d.]+) ms, p99 ([\d.]+) ms", completion).groups()
        rows.append(("Tab completion, 10,000 history entries, long EHLO",
                     f"{float(median):.2f} ms (slowest case's median; p99 {float(p99):.2f} ms)", "—", "—", "≤ 5 ms"))

    header = ("figure", "ehlo", "yardstick, same run", "ratio", "target")
    print(f"machine: {machine}")
    print(f"medians of {options.rounds} runs ({options.big_rounds} for the large bodies, {batch_rounds} for the batch)")
    if options.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        for row in rows:
            print(f"{row[0]}\n    ehlo: {row[1]}\n    yardstick: {row[2]}\n    ratio: {row[3]}   (target {row[4]})")
    if "completion" in only:
        print()
        print(completion.rstrip())


if __name__ == "__main__":
    main()
