"""Time on the screen: each reply's latency, and what ehlo is waiting for while a server is silent."""

import re
import shutil
import time

import pytest

from test_repl_tmux import term  # noqa: F401 (a fixture)

LATENCY = re.compile(r"\((\d+) ms\)$")

SLOW_NOOP = [
    ("send", b"220 slow.test ESMTP\r\n"),
    ("expect", b"EHLO"), ("send", b"250 slow.test\r\n"),
    ("expect", b"NOOP"), ("sleep", 2.5), ("send", b"250 2.0.0 ok, finally\r\n"),
    ("expect", b"QUIT"), ("send", b"221 bye\r\n"), ("close",),
]


def latency_after(lines, server_line):
    index = lines.index(server_line)
    for line in lines[index + 1:]:
        match = LATENCY.search(line)
        if match:
            return int(match.group(1))
    raise AssertionError(f"no latency after {server_line!r}: {lines}")


def test_timing_shows_each_replys_latency_in_a_script(scripted_server, run_script):
    server = scripted_server(SLOW_NOOP)
    run = run_script(server.port, "EHLO client.test\nNOOP\nQUIT\n", "--timing", "--explain", "brief")
    assert run.returncode == 0, run
    assert 2400 <= latency_after(run.lines, "S: 250 2.0.0 ok, finally") < 6000, run
    assert latency_after(run.lines, "S: 250 slow.test") < 2000, run


def test_no_timing_in_a_script_unless_asked(scripted_server, run_script):
    server = scripted_server(SLOW_NOOP)
    run = run_script(server.port, "EHLO client.test\nNOOP\nQUIT\n", "--explain", "off")
    assert not any(LATENCY.search(line) for line in run.lines), run
    server = scripted_server(SLOW_NOOP)
    run = run_script(server.port, "EHLO client.test\nNOOP\nQUIT\n", "--timing", "--explain", "off")
    assert any(re.fullmatch(r"#  \d+ ms", line) for line in run.lines), run


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_a_silent_server_shows_what_is_awaited_and_the_latency(term, scripted_server):
    server = scripted_server(SLOW_NOOP)
    term.start("--no-history", "--explain", "brief", f"127.0.0.1:{server.port}")
    term.wait_last_line("ehlo 127.0.0.1 [greeted]>")
    term.type("EHLO client.test")
    term.send("Enter")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo]>")
    term.type("NOOP")
    term.send("Enter")
    term.wait_text("*  waiting 1 s for the reply to NOOP…")
    term.wait_text("*  waiting 2 s for the reply to NOOP…")
    screen = term.wait_last_line("ehlo 127.0.0.1 [ehlo]>")
    lines = [line.rstrip() for line in screen.splitlines()]
    # The waiting line went when the reply came; the reply says how long it took.
    assert not any("waiting" in line for line in lines), lines
    assert 2400 <= latency_after(lines, "S: 250 2.0.0 ok, finally") < 6000, lines
    term.type("/timing off")
    term.send("Enter")
    term.wait_text("timing is off")
    term.type("QUIT")
    term.send("Enter")
    term.wait_text("S: 221 bye")
    time.sleep(0.2)
    lines = [line.rstrip() for line in term.screen().splitlines()]
    assert not LATENCY.search(lines[lines.index("S: 221 bye") + 1]), lines
