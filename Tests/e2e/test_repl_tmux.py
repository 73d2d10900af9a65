"""The interactive REPL, driven for real in a terminal (tmux): completion, history, Ctrl-C,
data mode, and an unsolicited 421 arriving while the user is typing."""

import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

from conftest import wait_for_file

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

POLL_TIMEOUT = 10.0


class Tmux:
    """One private tmux server (its own socket) with one 120x40 window (or `columns` wide) running ehlo."""

    def __init__(self, workdir, ehlo_bin):
        self.socket = f"ehlo-test-{os.getpid()}-{id(self) & 0xFFFFFF:x}"
        self.workdir = Path(workdir)
        self.ehlo_bin = ehlo_bin
        self.home = self.workdir / "home"
        self.home.mkdir(exist_ok=True)
        self.config = self.workdir / "tmux.conf"
        # Keep the pane after ehlo exits, so the last screen and exit status can be read.
        self.config.write_text("set -g remain-on-exit on\nset -g status off\n")
        self.started = False
        self.windows = 0
        # The session's width: set before the first start (80 for a projector font).
        self.columns = 120

    def tmux(self, *args, check=True):
        return subprocess.run(["tmux", "-L", self.socket, "-f", str(self.config), *args],
                              capture_output=True, text=True, timeout=10, check=check)

    def start(self, *ehlo_args, console=True):
        """Starts ehlo in a fresh window (a fresh session the first time) and makes it current.

        ehlo runs under `sh -c`, which writes its exit status to a file when it ends (tmux's own
        #{pane_dead_status} is sometimes filled in only seconds after the pane died). The shell
        catches SIGINT (so Ctrl-C reaches ehlo alone); a caught signal is reset for ehlo by exec.
        """
        self.windows += 1
        self.target = f"ehlo{self.windows}"
        self.status_file = self.workdir / f"status{self.windows}"
        colour = ["--color", "never"] if console else []  # a subcommand puts its options after its name
        command = ["env", "TERM=xterm-256color", f"HOME={self.home}", f"XDG_CONFIG_HOME={self.home / '.config'}",
                   "LANG=C.UTF-8",
                   self.ehlo_bin, *colour, *ehlo_args]
        shell_command = ("sh -c " + _quote('trap : INT; "$@"; echo $? > ' + _quote(self.status_file))
                         + " sh " + " ".join(_quote(part) for part in command))
        if not self.started:
            self.tmux("new-session", "-d", "-x", str(self.columns), "-y", "40", "-s", "ehlo-test",
                      "-n", self.target, "-c", str(self.workdir), shell_command)
            self.started = True
        else:
            self.tmux("new-window", "-t", "ehlo-test", "-n", self.target,
                      "-c", str(self.workdir), shell_command)
        self.target = f"ehlo-test:{self.target}"

    def send(self, *keys):
        self.tmux("send-keys", "-t", self.target, *keys)

    def type(self, text):
        """Types text literally (no key-name lookup)."""
        self.tmux("send-keys", "-t", self.target, "-l", text)

    def screen(self):
        return self.tmux("capture-pane", "-p", "-J", "-t", self.target).stdout

    def lines(self):
        return [line.rstrip() for line in self.screen().splitlines() if line.strip()]

    def last_line(self):
        lines = self.lines()
        return lines[-1] if lines else ""

    def wait_for(self, predicate, what, timeout=POLL_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if predicate(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; screen:\n{screen}")
            time.sleep(0.05)

    def wait_text(self, text, timeout=POLL_TIMEOUT):
        return self.wait_for(lambda screen: text in screen, repr(text), timeout)

    def wait_last_line(self, expected, timeout=POLL_TIMEOUT):
        """Waits until the last non-empty line is exactly `expected` (the prompt and what is typed)."""
        def check(screen):
            lines = [line.rstrip() for line in screen.splitlines() if line.strip()]
            return bool(lines) and lines[-1] == expected.rstrip()
        return self.wait_for(check, f"last line {expected!r}", timeout)

    def wait_exit(self, timeout=POLL_TIMEOUT):
        """Waits for ehlo to end; returns its exit status (128+N if killed by signal N)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.status_file.exists():
                text = self.status_file.read_text().strip()
                if text:
                    return int(text)
            time.sleep(0.05)
        raise AssertionError(f"ehlo did not exit; screen:\n{self.screen()}")

    def kill(self):
        if not self.started:
            return
        socket_path = self.tmux("display-message", "-p", "#{socket_path}", check=False).stdout.strip()
        self.tmux("kill-server", check=False)
        # tmux 3.3 leaves its socket file behind after kill-server.
        if socket_path and Path(socket_path).name == self.socket:
            Path(socket_path).unlink(missing_ok=True)


def _quote(text):
    return "'" + str(text).replace("'", "'\\''") + "'"


@pytest.fixture
def term(tmp_path, ehlo_bin):
    session = Tmux(tmp_path, ehlo_bin)
    try:
        yield session
    finally:
        session.kill()


@pytest.fixture
def history_file(tmp_path):
    return tmp_path / "state" / "ehlo_history"


def start_connected(term, port, history_file):
    history_file.parent.mkdir(parents=True, exist_ok=True)
    term.start("--history", str(history_file), f"127.0.0.1:{port}")
    term.wait_last_line("ehlo 127.0.0.1 [greeted]>")


def test_tab_completes_a_verb(term, mta, history_file):
    port, _ = mta
    start_connected(term, port, history_file)
    term.type("EH")
    term.wait_last_line("ehlo 127.0.0.1 [greeted]> EH")
    term.send("Tab")
    term.wait_for(lambda screen: "[greeted]> EHLO " in screen, "EHLO completed")
    # The completion ends with a space, ready for the domain: typing goes on after it.
    term.type("client.test")
    term.wait_last_line("ehlo 127.0.0.1 [greeted]> EHLO client.test")
    term.send("Enter")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo]>")
    assert "S: 250 HELP" in term.screen()


def test_history_survives_a_restart(term, mta, history_file):
    port, _ = mta
    start_connected(term, port, history_file)
    term.type("NOOP")
    term.send("Enter")
    term.wait_text("after NOOP")
    term.wait_last_line("ehlo 127.0.0.1 [greeted]>")
    term.send("C-d")
    assert term.wait_exit() == 0
    screen = term.screen()
    assert "C: QUIT" in screen and "S: 221" in screen, screen

    assert wait_for_file(history_file)
    mode = stat.S_IMODE(history_file.stat().st_mode)
    assert mode == 0o600, oct(mode)
    assert b"NOOP" in history_file.read_bytes()

    start_connected(term, port, history_file)
    term.send("Up")
    term.wait_last_line("ehlo 127.0.0.1 [greeted]> NOOP")


def test_history_is_saved_after_each_line(term, mta, history_file):
    port, _ = mta
    start_connected(term, port, history_file)
    term.type("HELP")
    term.send("Enter")
    term.wait_last_line("ehlo 127.0.0.1 [greeted]>")
    # ehlo is still running: the line must already be on disk (a crash would keep it).
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if history_file.exists() and b"HELP" in history_file.read_bytes():
            break
        time.sleep(0.05)
    else:
        pytest.fail("HELP is not in the history file while ehlo runs")
    assert stat.S_IMODE(history_file.stat().st_mode) == 0o600


def test_ctrl_c_clears_the_line_and_sends_nothing(term, mta, history_file):
    port, maildir = mta
    start_connected(term, port, history_file)
    term.type("EHLO client.test")
    term.send("Enter")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo]>")
    term.type("MAIL FROM:<x@y>")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo]> MAIL FROM:<x@y>")
    term.send("C-c")
    term.wait_text("^C")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo]>")
    # Nothing was sent: no MAIL reply, and the session is still before MAIL.
    time.sleep(0.3)
    screen = term.screen()
    assert "after MAIL" not in screen, screen
    assert "S: 250 OK" not in screen, screen
    assert term.last_line() == "ehlo 127.0.0.1 [ehlo]>"
    # The console is alive: the next line works, and the state still says no transaction.
    term.type("/state")
    term.send("Enter")
    term.wait_text("phase:")
    assert "sender:" not in term.screen()


def test_data_mode(term, mta, history_file):
    port, maildir = mta
    start_connected(term, port, history_file)
    for line, prompt in [("EHLO client.test", "[ehlo]>"), ("MAIL FROM:<alice@client.test>", "[mail]>"),
                         ("RCPT TO:<bob@mta.test>", "[mail rcpt=1]>")]:
        term.type(line)
        term.send("Enter")
        term.wait_last_line(f"ehlo 127.0.0.1 {prompt}")
    term.type("DATA")
    term.send("Enter")
    term.wait_last_line("data>")
    assert "S: 354" in term.screen()
    for line in ["Subject: typed", "", "hello", ".dot first", "/not a command"]:
        if line:
            term.type(line)
        term.send("Enter")
        term.wait_last_line("data>")
    term.type(".")
    term.send("Enter")
    screen = term.wait_text("S: 250 2.0.0 Ok: queued as 1")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo]>")
    assert wait_for_file(maildir / "1.json")
    assert (maildir / "1.eml").read_bytes() == (
        b"Subject: typed\r\n\r\nhello\r\n.dot first\r\n/not a command\r\n"), screen


def test_unsolicited_421_while_typing(term, scripted_server, history_file):
    server = scripted_server([("send", b"220 hi\r\n"), ("expect", b"EHLO"), ("send", b"250 ok\r\n"),
                              ("sleep", 1.5), ("send", b"421 4.4.2 idle timeout\r\n"), ("close",)],
                             io_timeout=15)
    start_connected(term, server.port, history_file)
    term.type("EHLO client.test")
    term.send("Enter")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo]>")
    term.type("MAIL FR")
    term.wait_last_line("ehlo 127.0.0.1 [ehlo]> MAIL FR")
    screen = term.wait_text("S: 421 4.4.2 idle timeout")
    term.wait_last_line("ehlo 127.0.0.1 [closed]> MAIL FR")
    lines = term.lines()
    # The 421 and its annotation are above the prompt line, which keeps the typed text.
    at = lines.index("S: 421 4.4.2 idle timeout")
    assert at < len(lines) - 1
    assert any(line.startswith("#  421 ") for line in lines[at:])
    assert lines[-1] == "ehlo 127.0.0.1 [closed]> MAIL FR"
    # The half-typed text is not glued into the output lines.
    assert not any("MAIL FR" in line and not line.endswith("> MAIL FR") and "MAIL FROM:<…>" not in line
                   for line in lines), screen
    server.wait()
    assert server.received == [b"EHLO client.test"]


def test_not_connected_prompt_then_connect(term, mta, history_file):
    port, _ = mta
    history_file.parent.mkdir(parents=True, exist_ok=True)
    term.start("--history", str(history_file))
    term.wait_last_line("ehlo>")
    assert "/connect" in term.screen()
    term.type(f"/connect 127.0.0.1:{port}")
    term.send("Enter")
    term.wait_last_line("ehlo 127.0.0.1 [greeted]>")
    assert "S: 220 mta.test" in term.screen()
    term.type("QUIT")
    term.send("Enter")
    term.wait_text("S: 221")
    term.send("C-d")
    assert term.wait_exit() == 0


def test_hostile_greeting_does_not_reach_the_terminal(term, scripted_server, history_file):
    server = scripted_server([("send", b"220 x\x1b]2;pwned\x07\x1b[2J\x1b[31mred\r\n"),
                              ("expect", b"QUIT"), ("send", b"221 bye\r\n"), ("close",)], io_timeout=15)
    start_connected(term, server.port, history_file)
    screen = term.screen()
    assert "S: 220 x\\e]2;pwned\\x07\\e[2J\\e[31mred" in screen, screen
    title = term.tmux("display-message", "-p", "-t", term.target, "#{pane_title}").stdout
    assert "pwned" not in title
    # Still on screen (not cleared by ESC [2J), and nothing turned red.
    assert "*  connected to 127.0.0.1" in term.screen()
    styled = term.tmux("capture-pane", "-p", "-e", "-t", term.target).stdout
    assert "\x1b[31m" not in styled
    term.send("C-d")
    assert term.wait_exit() == 0


def test_ctrl_r_searches_history(term, mta, history_file):
    port, _ = mta
    start_connected(term, port, history_file)
    for line in ("NOOP", "HELP"):
        term.type(line)
        term.send("Enter")
        term.wait_text(f"after {line}")
        term.wait_last_line("ehlo 127.0.0.1 [greeted]>")
    term.send("C-r")
    term.type("NOO")
    # libedit shows the search pattern under the line it found.
    term.wait_for(lambda screen: [line.rstrip() for line in screen.splitlines() if line.strip()][-2:]
                  == ["ehlo 127.0.0.1 [greeted]> NOOP", "bck:NOO"], "Ctrl-R finding NOOP")
    term.send("Enter")
    term.wait_for(lambda screen: screen.count("after NOOP") == 2, "NOOP sent again from the search")


def test_editrc_is_honoured(term, mta, history_file):
    port, _ = mta
    # A key bound in ~/.editrc to a macro that types a whole command.
    (term.home / ".editrc").write_text('bind -s ^G "NOOP"\n')
    start_connected(term, port, history_file)
    term.send("C-g")
    term.wait_last_line("ehlo 127.0.0.1 [greeted]> NOOP")


def test_replay_step_waits_for_enter_and_asks_for_redacted_secrets(term, tmp_path, ehlo_bin):
    """ehlo replay --step: a teacher walks a class through a recorded session, one Enter per command;
    a line recorded redacted is asked for at the terminal, without echo."""
    from practice_fixtures import PracticeServer
    server = PracticeServer("--allow-plain-auth")
    try:
        transcript = tmp_path / "lesson.txt"
        plain = "AHN0dWRlbnQAcHJhY3RpY2U="  # \0student\0practice
        script = f"EHLO class.test\nAUTH PLAIN {plain}\nNOOP\nQUIT\n"
        recorded = subprocess.run([ehlo_bin, "--no-history", "--transcript", str(transcript),
                                   f"127.0.0.1:{server.port}"], input=script.encode(), capture_output=True,
                                  timeout=30)
        assert recorded.returncode == 0, recorded
        assert plain not in transcript.read_text()

        term.start("replay", "--step", "--color", "never", "--explain", "off", str(transcript), console=False)
        term.wait_text("step: Enter sends C: EHLO class.test")
        assert "C: EHLO class.test" not in [line.strip() for line in term.lines()]  # nothing sent yet
        term.send("Enter")
        term.wait_text("S: 250-practice.test")
        term.wait_text("step: Enter sends C: AUTH PLAIN <redacted>")
        term.send("Enter")
        term.wait_text("not echoed:")
        term.type(plain)
        term.send("Enter")
        term.wait_text("S: 235 2.7.0")
        assert plain not in term.screen()
        term.wait_text("step: Enter sends C: NOOP")
        term.send("Enter")
        term.wait_text("step: Enter sends C: QUIT")
        term.send("Enter")
        assert term.wait_exit() == 0
        term.wait_text("every reply matched the recording")
    finally:
        server.stop()
