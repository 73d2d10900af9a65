"""`/send` of a body many blocks long, against a real MTA (aiosmtpd, see mta.py): what arrives is
the file byte for byte (line ends as CRLF, RFC 5321 §4.5.2 transparency undone by the server),
wherever a period line, a CRLF or an 8-bit octet falls against ehlo's read blocks, and the
transcript records every line so that replaying it delivers the same message again."""

import re

from conftest import wait_for_file

# ehlo reads, stuffs and writes the file in blocks of this many octets (Console.sendChunkOctets).
BLOCK = 256 * 1024


def large_body():
    """About 1 MiB: lines of varied length, 1 in 10 starting with a period, LF and CRLF ends,
    8-bit octets and NUL, and lines placed so that block boundaries cut them in the awkward places."""
    body = bytearray()
    index = 0

    def add_lines(until):
        nonlocal index
        while len(body) < until - 300:
            text = b"line %d of a long message " % index + b"x" * (index % 50)
            if index % 10 == 0:
                text = b"." + text
            if index % 13 == 0:
                text += bytes([0xC3, 0xA9, 0x00, 0xFF])  # é in UTF-8, NUL, an octet UTF-8 never uses
            body.extend(text + (b"\n" if index % 2 else b"\r\n"))
            index += 1

    def pad_to(offset):
        """A filler line, so that the next line starts at `offset`."""
        body.extend(b"f" * (offset - len(body) - 1) + b"\n")

    # A period line starting a block.
    add_lines(BLOCK)
    pad_to(BLOCK)
    body.extend(b".starts a block\n")
    # A CRLF cut in two by a block's end.
    add_lines(2 * BLOCK)
    pad_to(2 * BLOCK - 4)
    body.extend(b"abc\r\n")
    # A lone period line ending a block; then a period, the last octet of a block, starting a line.
    add_lines(3 * BLOCK)
    pad_to(3 * BLOCK - 2)
    body.extend(b".\n")
    add_lines(4 * BLOCK)
    pad_to(4 * BLOCK - 1)
    body.extend(b".split\n")
    add_lines(4 * BLOCK + 20_000)
    # A last line without a line end.
    return bytes(body) + b".last line, no newline"


def stored_form(body):
    """What the server stores: every line with CRLF, a CRLF added to the last line if it lacked one."""
    lines = re.split(rb"\r?\n", body)
    if lines[-1] == b"":
        lines.pop()
    return b"".join(line + b"\r\n" for line in lines)


def test_send_of_a_large_file_arrives_byte_for_byte_and_replays(mta, run_script, run_ehlo, tmp_path):
    port, maildir = mta
    body = large_body()
    assert len(body) > 4 * BLOCK
    message = tmp_path / "large.eml"
    message.write_bytes(body)
    transcript = tmp_path / "send.txt"
    script = f"EHLO client.test\nMAIL FROM:<alice@client.test>\nRCPT TO:<bob@mta.test>\n/send {message}\n/expect 250\nQUIT\n"
    run = run_script(port, script, "--transcript", str(transcript), timeout=120)
    assert run.returncode == 0, run
    assert wait_for_file(maildir / "1.eml", timeout=30)
    expected = stored_form(body)
    stored = (maildir / "1.eml").read_bytes()
    assert len(stored) == len(expected)
    assert stored == expected

    # The wire count in the event: every stored line, one more period per line starting with one.
    stuffed = sum(1 for line in expected.split(b"\r\n") if line.startswith(b"."))
    sent = [line for line in run.lines if line.startswith("*  sent ")]
    assert sent and f": {len(expected) + stuffed} octets on the wire" in sent[0], sent

    # The transcript has every body line as it went on the wire (stuffed, escaped), in order.
    recorded = transcript.read_text(encoding="utf-8").splitlines()
    data = recorded.index("C: DATA")
    dot = recorded.index("C: .", data)
    body_lines = [line[3:] for line in recorded[data + 1:dot] if line.startswith("C: ")]
    assert len(body_lines) == expected.count(b"\r\n")
    assert body_lines[0] == "..line 0 of a long message é\\0\\xff"
    assert "..starts a block" in body_lines
    assert "abc" in body_lines
    assert ".." in body_lines
    assert "..split" in body_lines
    assert body_lines[-1] == "..last line, no newline"
    assert any(line.endswith("é\\0\\xff") for line in body_lines)

    # Replaying the transcript sends the same message again, byte for byte.
    replay = run_ehlo("replay", "--color", "never", str(transcript), f"127.0.0.1:{port}", timeout=120)
    assert replay.returncode == 0, replay
    assert wait_for_file(maildir / "2.eml", timeout=30)
    assert (maildir / "2.eml").read_bytes() == expected
