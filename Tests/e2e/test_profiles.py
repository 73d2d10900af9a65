"""Profiles, end to end: named servers in $XDG_CONFIG_HOME/ehlo/config.toml, opened with
`ehlo @NAME` and `/connect @NAME`, command-line options over the profile's values, a session
recorded into the profile's transcript folder, the config file's mistakes named by line (exit
64), a password refused, and shell completion of `@NAME`.

Every config file lives in the test's own XDG_CONFIG_HOME (run_ehlo points it into tmp_path);
servers are `ehlo serve` on 127.0.0.1 (practice_server, tls_practice).
"""

import os
import re
import shutil
import stat
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from practice_fixtures import practice_server  # noqa: F401 (fixture)
from test_repl_tmux import Tmux, _quote
from tls_fixtures import certs, tls_practice  # noqa: F401 (fixtures)

USAGE = 64
TRANSCRIPT_NAME = re.compile(r"^lab-\d{8}T\d{6}Z\.txt$")


@pytest.fixture(autouse=True)
def no_password_in_environment(monkeypatch):
    monkeypatch.delenv("EHLO_PASSWORD", raising=False)


@pytest.fixture
def config(tmp_path):
    """config(text) -> Path: writes $XDG_CONFIG_HOME/ehlo/config.toml (as run_ehlo sets it)."""

    def write(text):
        path = tmp_path / "config" / "ehlo" / "config.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    return write


@pytest.fixture
def console(run_ehlo):
    """console(*arguments, input=...) -> Run: script mode, no history, replies within 10 s."""

    def run(*arguments, input="QUIT\n", env=None):
        return run_ehlo("--color", "never", "--no-history", "--timeout", "10", *arguments, input=input, env=env)

    return run


def lab(port, extra=""):
    return f"""
        [profile.lab]
        host = "127.0.0.1"
        port = {port}
        helo = "client.profile.test"
        {extra}
        """


# ============================================================================================
# Opening a profile


def test_at_name_opens_the_profile(practice_server, config, console):
    server = practice_server()
    config(lab(server.port))
    run = console("@lab", input="/state\nQUIT\n")
    assert run.returncode == 0, run
    assert run.lines_starting("S: 220 "), run
    assert f"server:      127.0.0.1:{server.port}" in run.lines, run
    assert run.lines_starting("S: 221 "), run


def test_a_port_after_the_name_overrides_the_profiles(practice_server, config, console, closed_port):
    server = practice_server()
    config(lab(closed_port))
    run = console(f"@lab:{server.port}")
    assert run.returncode == 0, run
    assert run.lines_starting("S: 220 "), run


def test_starttls_user_and_auth_from_the_profile(tls_practice, certs, config, console):
    server = tls_practice()
    config(lab(server.port, f"""
        starttls = true
        cafile = "{certs.ca}"
        sni = "localhost"
        user = "student"
        auth = "cram-md5"
        """))
    run = console("@lab", input="MAIL FROM:<student@practice.test>\nQUIT\n", env={"EHLO_PASSWORD": "practice"})
    assert run.returncode == 0, run
    # The profile's helo goes into the EHLO that --starttls sends.
    assert "C: EHLO client.profile.test" in run.lines, run
    assert any(line.startswith("*  TLS established") and "verified" in line for line in run.lines), run
    assert "C: AUTH CRAM-MD5" in run.lines, run
    assert "*  authenticated as student with CRAM-MD5" in run.lines, run


def test_a_command_line_option_overrides_the_profiles_value(tls_practice, certs, config, console):
    server = tls_practice()
    config(lab(server.port, f"""
        starttls = true
        cafile = "{certs.ca}"
        sni = "wrong.example.test"
        """))
    refused = console("@lab")
    assert refused.returncode == 4, refused  # the certificate is for localhost, not the profile's sni
    run = console("@lab", "--sni", "localhost")
    assert run.returncode == 0, run
    assert any(line.startswith("*  TLS established") and "verified" in line for line in run.lines), run


def test_no_tls_on_the_command_line_overrides_the_profiles_starttls(tls_practice, certs, config, console):
    server = tls_practice()
    config(lab(server.port, "starttls = true"))
    run = console("@lab", "--no-tls")
    assert run.returncode == 0, run
    assert "C: STARTTLS" not in run.lines, run
    assert not any(line.startswith("*  TLS established") for line in run.lines), run


def test_auth_on_the_command_line_takes_the_profiles_user(tls_practice, certs, config, console):
    server = tls_practice()
    config(lab(server.port, f"""
        starttls = true
        cafile = "{certs.ca}"
        sni = "localhost"
        user = "student"
        """))
    run = console("@lab", "--auth", "login", env={"EHLO_PASSWORD": "practice"})
    assert run.returncode == 0, run
    assert "*  authenticated as student with LOGIN" in run.lines, run


def test_auth_without_any_user_is_refused(config, console):
    config(lab(25))
    run = console("@lab", "--auth", "plain")
    assert run.returncode == USAGE, run
    assert "ehlo: --auth needs a user: --user NAME, or user = \"NAME\" in profile lab" in run.stderr, run


def test_config_names_another_file(practice_server, tmp_path, console):
    server = practice_server()
    other = tmp_path / "elsewhere.toml"
    other.write_text(textwrap.dedent(lab(server.port)))
    run = console("--config", str(other), "@lab")
    assert run.returncode == 0, run
    missing = console("--config", str(tmp_path / "missing.toml"), "@lab")
    assert missing.returncode == USAGE, missing
    assert f"ehlo: {tmp_path / 'missing.toml'}: cannot read the config file: no such file" in missing.stderr, missing


def test_an_unknown_profile_lists_the_known_names(config, console):
    path = config("""
        [profile.lab]
        host = "127.0.0.1"
        [profile.submission]
        host = "mail.example.test"
        """)
    run = console("@nope")
    assert run.returncode == USAGE, run
    assert f"ehlo: no profile 'nope' in {path}; known: lab, submission" in run.stderr, run


def test_without_a_config_file_a_profile_says_where_it_looked(console, tmp_path):
    run = console("@lab")
    assert run.returncode == USAGE, run
    assert f"there is no config file {tmp_path}/config/ehlo/config.toml" in run.stderr, run


# ============================================================================================
# /connect @NAME


def test_connect_at_name_in_a_script(practice_server, config, console):
    server = practice_server()
    config(lab(server.port))
    run = console(input="/connect @lab\n/expect 220\nEHLO me.test\n/expect 250\nQUIT\n")
    assert run.returncode == 0, run
    assert run.lines_starting("S: 220 "), run
    assert "C: EHLO me.test" in run.lines, run


def test_connect_to_an_unknown_profile_fails_the_script(config, console):
    config('[profile.lab]\nhost = "127.0.0.1"\n')
    run = console(input="/connect @nope\nQUIT\n")
    assert run.returncode == USAGE, run
    assert any("no profile 'nope'" in line and "known: lab" in line for line in run.lines_starting("!  ")), run


def test_connect_to_a_host_after_a_profile_drops_the_profiles_settings(practice_server, tls_practice, certs, config,
                                                                       console):
    plain = practice_server("--no-tls")
    tls = tls_practice()
    config(lab(tls.port, f"""
        starttls = true
        cafile = "{certs.ca}"
        sni = "localhost"
        """))
    run = console(input=f"/connect @lab\n/connect 127.0.0.1:{plain.port}\n/expect 220\nQUIT\n")
    assert run.returncode == 0, run
    assert run.lines.count("C: STARTTLS") == 1, run  # only for the profile's session


def test_connect_at_name_with_options_puts_them_over_the_profiles(tls_practice, certs, config, console):
    """/connect @NAME takes the command line's options too; they win over the profile's keys."""
    server = tls_practice()
    config(lab(server.port, f"""
        starttls = true
        cafile = "{certs.ca}"
        sni = "wrong.example.test"
        """))
    run = console(input="/connect @lab --sni localhost\nQUIT\n")
    assert run.returncode == 0, run
    assert any(line.startswith("*  TLS established") and "verified" in line for line in run.lines), run
    run = console(input="/connect @lab --no-tls\n/expect 220\nQUIT\n")
    assert run.returncode == 0, run
    assert "C: STARTTLS" not in run.lines, run


def test_connect_alone_opens_the_profiles_session_again_the_same_way(tls_practice, certs, config, console):
    server = tls_practice()
    config(lab(server.port, f"""
        starttls = true
        cafile = "{certs.ca}"
        sni = "localhost"
        """))
    run = console(input="/connect @lab\n/disconnect\n/connect\nQUIT\n")
    assert run.returncode == 0, run
    assert run.lines.count("C: STARTTLS") == 2, run
    assert sum(line.startswith("*  TLS established") for line in run.lines) == 2, run


def test_mx_and_a_profile_exclude_each_other(config, console):
    config(lab(25))
    run = console("--mx", "@lab")
    assert run.returncode == USAGE, run
    assert "@NAME names a profile of the config file" in run.stderr, run


# ============================================================================================
# Transcripts


def test_each_session_is_recorded_in_the_profiles_transcript_folder(practice_server, config, console, tmp_path):
    server = practice_server()
    folder = tmp_path / "transcripts" / "lab"
    config(lab(server.port, f'transcripts = "{folder}"'))
    first = console("@lab")
    assert first.returncode == 0, first
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = sorted(folder.iterdir())
    assert len(files) == 1 and TRANSCRIPT_NAME.match(files[0].name), files
    text = files[0].read_text()
    assert "S: 220 " in text and "C: QUIT" in text, text
    # The header names the profile's server, for replay.
    assert f" transcript of 127.0.0.1:{server.port}, started " in text.splitlines()[0], text
    # A second session in the same second gets a name of its own; none is overwritten.
    second = console("@lab")
    assert second.returncode == 0, second
    assert len(list(folder.iterdir())) == 2


def test_transcript_on_the_command_line_wins_over_the_folder(practice_server, config, console, tmp_path):
    server = practice_server()
    folder = tmp_path / "transcripts"
    config(lab(server.port, f'transcripts = "{folder}"'))
    chosen = tmp_path / "chosen.txt"
    run = console("@lab", "--transcript", str(chosen))
    assert run.returncode == 0, run
    assert "S: 220 " in chosen.read_text()
    assert not folder.exists()


def test_connect_at_name_records_into_the_folder_too(practice_server, config, console, tmp_path):
    server = practice_server()
    folder = tmp_path / "t"
    config(lab(server.port, f'transcripts = "{folder}"'))
    run = console(input="/connect @lab\nQUIT\n")
    assert run.returncode == 0, run
    files = list(folder.iterdir())
    assert len(files) == 1 and "S: 220 " in files[0].read_text(), files


# ============================================================================================
# The config file's mistakes: exit 64, the file and the line


def test_a_toml_syntax_error_names_its_line(config, console):
    path = config("""
        [profile.lab]
        host = "127.0.0.1"
        port = = 25
        """)
    run = console("@lab")
    assert run.returncode == USAGE, run
    assert re.search(rf"^ehlo: {re.escape(str(path))}:3:\d+: not valid TOML: ", run.stderr, re.M), run


@pytest.mark.parametrize("body, line, words", [
    ('host = "127.0.0.1"\nhots = "x"\n', 3, "profile lab: unknown key 'hots' (did you mean 'host'?)"),
    ('host = "127.0.0.1"\nport = "25"\n', 3, "profile lab: port must be an integer, not a string"),
    ('host = "127.0.0.1"\nstarttls = "yes"\n', 3, "profile lab: starttls must be a boolean, not a string"),
    ('tls = true\nstarttls = true\nhost = "127.0.0.1"\n', 3, "profile lab: tls and starttls exclude each other"),
    ('port = 25\n', 1, "profile lab: no host"),
])
def test_a_semantic_error_names_its_line(config, console, body, line, words):
    path = config("[profile.lab]\n" + body)
    run = console("@lab")
    assert run.returncode == USAGE, run
    assert f"ehlo: {path}:{line}: {words}" in run.stderr, run


def test_a_password_in_the_file_is_refused_and_says_why(config, console):
    path = config("""
        [profile.lab]
        host = "127.0.0.1"
        user = "student"
        password = "practice"
        """)
    run = console("@lab")
    assert run.returncode == USAGE, run
    assert f"ehlo: {path}:4: profile lab: 'password' is refused: a secret does not belong in a config file" in run.stderr
    assert "--password-file" in run.stderr and "practice" not in run.stderr.replace("practice.test", ""), run


def test_a_broken_config_file_stops_even_a_run_without_a_profile(practice_server, config, console):
    server = practice_server()
    path = config("[profile.lab\n")
    run = console(f"127.0.0.1:{server.port}")
    assert run.returncode == USAGE, run
    assert f"ehlo: {path}:1:" in run.stderr, run


# ============================================================================================
# Shell completion


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_completion_script_asks_ehlo_for_the_server_argument(run_ehlo, shell):
    run = run_ehlo("--generate-completion-script", shell)
    assert run.returncode == 0, run
    assert "---completion console -- positional@0" in run.stdout, run.stdout


def test_the_bash_script_offers_the_consoles_completions_after_ehlo_itself(run_ehlo):
    script = run_ehlo("--generate-completion-script", "bash").stdout
    root = script[script.index("_ehlo() {"):script.index("_ehlo_console() {")]
    assert "_ehlo_console\n" in root, root


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completes_at_with_the_profile_names(run_ehlo, ehlo_bin, config, tmp_path):
    config("""
        [profile.lab]
        host = "127.0.0.1"
        [profile.submission]
        host = "mail.example.test"
        [profile.sub2]
        host = "mail2.example.test"
        """)
    script = tmp_path / "ehlo.bash"
    script.write_text(run_ehlo("--generate-completion-script", "bash").stdout)
    folder = Path(ehlo_bin).parent
    environment = dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"),
                       PATH=f"{folder}:{os.environ['PATH']}")

    def complete(*words):
        line = " ".join(words)
        program = (f"source {script}\nCOMP_WORDS=({line})\nCOMP_CWORD={len(words) - 1}\n"
                   f"COMP_LINE='{line}'\nCOMP_POINT=${{#COMP_LINE}}\n"
                   # As bash calls it: the command, the word being completed, the word before it.
                   "_ehlo ehlo \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"\n"
                   "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
        completed = subprocess.run(["bash", "-c", program], capture_output=True, text=True, timeout=30,
                                   env=environment, cwd=str(tmp_path))
        return sorted(line for line in completed.stdout.splitlines() if line)

    assert complete("ehlo", "@") == ["@lab", "@sub2", "@submission"]
    assert complete("ehlo", "@su") == ["@sub2", "@submission"]
    assert complete("ehlo", "--timeout", "5", "@l") == ["@lab"]
    assert complete("ehlo", "console", "@l") == ["@lab"]
    # Options and subcommands are still offered where they were.
    assert "--timeout" in complete("ehlo", "--ti")
    assert complete("ehlo", "ser") == ["serve"]
    # --config on the line names the file the names come from.
    other = tmp_path / "other.toml"
    other.write_text('[profile.elsewhere]\nhost = "127.0.0.1"\n')
    assert complete("ehlo", "--config", str(other), "@") == ["@elsewhere"]


# ============================================================================================
# In a real terminal (tmux): the REPL's Tab, and bash's


needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None or shutil.which("bash") is None,
                                reason="needs tmux and bash")


@needs_tmux
def test_tab_after_connect_offers_the_profiles_in_the_repl(tmp_path, ehlo_bin, practice_server):
    server = practice_server()
    term = Tmux(tmp_path, ehlo_bin)
    try:
        config = term.home / ".config" / "ehlo" / "config.toml"
        config.parent.mkdir(parents=True)
        config.write_text(textwrap.dedent(lab(server.port)) + '[profile.submission]\nhost = "mail.example.test"\n')
        term.start("--no-history")
        term.wait_last_line("ehlo>")
        term.type("/connect @l")
        term.send("Tab")
        term.wait_last_line("ehlo> /connect @lab")
        term.send("Enter")
        term.wait_last_line("ehlo 127.0.0.1 [greeted]>")
        term.type("EHLO ")
        term.send("Tab")  # the profile's helo is the domain offered
        term.wait_last_line("ehlo 127.0.0.1 [greeted]> EHLO client.profile.test")
    finally:
        term.kill()


@needs_tmux
def test_bash_completes_ehlo_at_in_a_real_terminal(tmp_path, ehlo_bin, run_ehlo, config):
    config("""
        [profile.lab]
        host = "127.0.0.1"
        [profile.submission]
        host = "mail.example.test"
        """)
    script = tmp_path / "ehlo.bash"
    script.write_text(run_ehlo("--generate-completion-script", "bash").stdout)
    socket = f"ehlo-bash-{os.getpid()}"

    def tmux(*args):
        return subprocess.run(["tmux", "-L", socket, "-f", "/dev/null", *args], capture_output=True, text=True,
                              timeout=10)

    shell = (f"env -i TERM=xterm HOME={_quote(tmp_path)} XDG_CONFIG_HOME={_quote(tmp_path / 'config')} "
             f"PATH={_quote(str(Path(ehlo_bin).parent) + ':/usr/bin:/bin')} bash --norc --noprofile")
    tmux("new-session", "-d", "-x", "120", "-y", "20", "-s", "bash", shell)
    try:
        def screen_has(text):
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                screen = tmux("capture-pane", "-p", "-t", "bash").stdout
                if text in screen:
                    return True
                time.sleep(0.1)
            raise AssertionError(f"no {text!r} on the screen:\n{screen}")

        tmux("send-keys", "-t", "bash", "-l", f"source {script}; echo sourced\n")
        screen_has("\nsourced")
        tmux("send-keys", "-t", "bash", "-l", "ehlo @s")
        tmux("send-keys", "-t", "bash", "Tab")
        tmux("send-keys", "-t", "bash", "-l", "X")  # the screen drops trailing spaces: show the one added
        screen_has("ehlo @submission X")  # not \@submission, and the word is complete
        tmux("send-keys", "-t", "bash", "C-u")
        tmux("send-keys", "-t", "bash", "-l", "ehlo @")
        tmux("send-keys", "-t", "bash", "Tab", "Tab")
        screen_has("@lab")
        screen_has("@submission")
    finally:
        tmux("kill-server")
