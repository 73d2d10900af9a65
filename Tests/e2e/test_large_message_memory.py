"""A message far larger than ehlo's buffers, sent from a script (DATA and its lines, then
/save-script) and by replaying a transcript that records it, against Postfix's smtp-sink: ehlo's
peak memory stays flat in the message's size, and the message arrives whole, byte for byte.

The message (LARGE_MIB MiB, 16 unless EHLO_LARGE_MIB says otherwise: a debug build sends a
script's lines one at a time, slowly; EHLO_LARGE_MIB=256 with a release build) is made on the
fly, never stored in the repository. The memory bound is a behaviour, not a time: a build that
held the message's lines (as String values, or a plan entry each) went past it at 16 MiB. Peak RSS is the kernel's count for the process
(`/usr/bin/time -f %M`)."""

import hashlib
import os
import subprocess
import time

import pytest

LARGE_MIB = int(os.environ.get("EHLO_LARGE_MIB", "16"))
# ehlo's buffers (read blocks, write water marks, a script's spool threshold) are a few MiB;
# the bound for a message of any size.
PEAK_RSS_MIB = 64
# The first line of the message: where it starts in smtp-sink's dump, after its own headers.
FIRST_LINE = b"Subject: a large message"
RUN_TIMEOUT = 240


def message_lines():
    """The message's lines as typed (not dot-stuffed), LARGE_MIB MiB with their LFs: 1 line in
    10 starts with a period, some hold 8-bit octets; no line is a lone period."""
    block = []
    for index in range(12_000):
        text = b"line %d of a large message " % index + b"x" * (index % 70)
        if index % 10 == 0:
            text = b"." + text
        if index % 13 == 0:
            text += "é ü".encode()
        block.append(text)
    block_octets = sum(len(line) + 1 for line in block)
    lines = [FIRST_LINE, b""]
    for _ in range(LARGE_MIB * 1024 * 1024 // block_octets):
        lines.extend(block)
    return lines


def dumped_form(lines):
    """smtp-sink's dump of the message: each line un-stuffed, LF-terminated, then an empty line."""
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line + b"\n")
    digest.update(b"\n")
    return digest.hexdigest()


def dumped_message(path):
    """The SHA-256 of what smtp-sink dumped, from the message's first line on, and its size."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as dump:
        head = dump.read(64 * 1024)
        start = head.index(b"\n" + FIRST_LINE) + 1
        digest.update(head[start:])
        size += len(head) - start
        while block := dump.read(4 * 1024 * 1024):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def run_measured(ehlo_bin, args, stdin_path, folder):
    """Runs ehlo with stdin from a file, stdout and stderr to files; returns (exit status, peak
    RSS in MiB, the last lines of stdout, stderr)."""
    environment = dict(os.environ, HOME=str(folder), XDG_STATE_HOME=str(folder / "state"),
                       XDG_CONFIG_HOME=str(folder / "config"), NO_COLOR="1", TERM="dumb")
    out_path, err_path, rss_path = folder / "ehlo.out", folder / "ehlo.err", folder / "ehlo.rss"
    with open(stdin_path, "rb") as stdin, open(out_path, "wb") as out, open(err_path, "wb") as err:
        # Measured by /usr/bin/time, not by this process's wait4: a child's ru_maxrss counts the
        # image it was forked from, and pytest's grows past the bound over a whole run.
        process = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", str(rss_path), ehlo_bin, *args],
                                   stdin=stdin, stdout=out, stderr=err, env=environment, cwd=str(folder))
        deadline = time.monotonic() + RUN_TIMEOUT
        while True:
            pid, status, _ = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                process.wait()
                pytest.fail(f"ehlo {' '.join(args)} took longer than {RUN_TIMEOUT} s")
            time.sleep(0.02)
    with open(out_path, "rb") as out:
        out.seek(max(0, out_path.stat().st_size - 16 * 1024))
        tail = out.read().decode("utf-8", "replace").splitlines()[1:]
    peak_kib = int(rss_path.read_text().split()[-1])
    return os.waitstatus_to_exitcode(status), peak_kib / 1024, tail, err_path.read_text(errors="replace")


def write_script(path, lines, saved):
    with open(path, "wb") as script:
        script.write(b"EHLO client.test\nMAIL FROM:<alice@client.test>\nRCPT TO:<bob@example.test>\nDATA\n")
        script.writelines(line + b"\n" for line in lines)
        script.write(b".\n/expect 250\n/save-script " + str(saved).encode() + b"\nQUIT\n")


def saved_body_digest(path):
    """The SHA-256 of a saved script after its two header lines."""
    digest = hashlib.sha256()
    with open(path, "rb") as script:
        script.readline()
        script.readline()
        while block := script.read(4 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def test_a_script_streams_a_large_message_and_saves_it_as_a_script(ehlo_bin, smtp_sink, tmp_path):
    sink = smtp_sink()
    lines = message_lines()
    saved = tmp_path / "saved.ehlo"
    write_script(tmp_path / "script.ehlo", lines, saved)
    status, peak, tail, errors = run_measured(
        ehlo_bin, ["--no-history", "--color", "never", f"127.0.0.1:{sink.port}"], tmp_path / "script.ehlo", tmp_path)
    assert status == 0, (tail, errors)
    assert any("saved this session as a script" in line for line in tail), tail

    (dump,) = sink.messages(1, timeout=30)
    digest, size = dumped_message(dump)
    assert size > LARGE_MIB * 1024 * 1024 * 0.95
    assert digest == dumped_form(lines)

    # The saved script is the session's lines as typed, each exchange with its /expect.
    expected = hashlib.sha256(b"EHLO client.test\n/expect 250\nMAIL FROM:<alice@client.test>\n/expect 250\n"
                              b"RCPT TO:<bob@example.test>\n/expect 250\nDATA\n/expect 354\n")
    for line in lines:
        expected.update(line + b"\n")
    expected.update(b".\n/expect 250\n")
    assert saved_body_digest(saved) == expected.hexdigest()

    assert peak <= PEAK_RSS_MIB, f"peak RSS {peak:.1f} MiB for a {LARGE_MIB} MiB message"


def test_replaying_a_transcript_of_a_large_message_streams_it(ehlo_bin, smtp_sink, tmp_path):
    sink = smtp_sink()
    # A transcript of a small message, recorded against this sink; its message is then made large.
    small = tmp_path / "small.txt"
    (tmp_path / "small.ehlo").write_bytes(
        b"EHLO client.test\nMAIL FROM:<alice@client.test>\nRCPT TO:<bob@example.test>\nDATA\n"
        + FIRST_LINE + b"\n.\nQUIT\n")
    status, _, tail, errors = run_measured(
        ehlo_bin, ["--no-history", "--color", "never", "--transcript", str(small), f"127.0.0.1:{sink.port}"],
        tmp_path / "small.ehlo", tmp_path)
    assert status == 0, (tail, errors)
    recorded = small.read_bytes().split(b"\n")
    first = recorded.index(b"C: " + FIRST_LINE)
    lines = message_lines()
    transcript = tmp_path / "large.txt"
    with open(transcript, "wb") as large:
        large.writelines(line + b"\n" for line in recorded[:first])
        # As ehlo records message lines: on the wire, dot-stuffed (RFC 5321 §4.5.2); these need no escapes.
        large.writelines(b"C: " + (b"." + line if line.startswith(b".") else line) + b"\n" for line in lines)
        large.write(b"\n".join(recorded[first + 1:]))

    status, peak, tail, errors = run_measured(
        ehlo_bin, ["replay", "--color", "never", str(transcript), f"127.0.0.1:{sink.port}"], os.devnull, tmp_path)
    assert status == 0, (tail, errors)
    assert any("every reply matched the recording" in line for line in tail), tail

    dumps = sink.messages(2, timeout=30)
    digest, size = dumped_message(dumps[-1])
    assert size > LARGE_MIB * 1024 * 1024 * 0.95
    assert digest == dumped_form(lines)

    assert peak <= PEAK_RSS_MIB, f"peak RSS {peak:.1f} MiB replaying a {LARGE_MIB} MiB message"
