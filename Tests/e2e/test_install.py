"""`make install`: the binary, the man page and the shell completions, where the shells look."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent


def test_install_puts_completions_where_the_shells_find_them(ehlo_bin, tmp_path):
    root = tmp_path / "root"
    completed = subprocess.run(["make", "-s", "install-files", f"INSTALL_BIN={ehlo_bin}", f"DESTDIR={root}",
                                "PREFIX=/usr"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    for path in ("usr/bin/ehlo", "usr/share/man/man1/ehlo.1", "usr/share/bash-completion/completions/ehlo",
                 "usr/share/zsh/site-functions/_ehlo", "usr/share/fish/vendor_completions.d/ehlo.fish"):
        assert (root / path).is_file() and (root / path).stat().st_size > 0, path
    assert os.access(root / "usr/bin/ehlo", os.X_OK)


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_bash_completion_offers_ehlos_options(ehlo_bin, tmp_path):
    script = tmp_path / "ehlo.bash"
    script.write_text(subprocess.run([ehlo_bin, "--generate-completion-script", "bash"], capture_output=True,
                                     text=True, timeout=30, check=True).stdout)
    # bash calls the function with the command, the word being completed and the one before it.
    probe = (f"source {script}; COMP_WORDS=(ehlo console --st); COMP_CWORD=2; COMP_LINE='ehlo console --st'; "
             "COMP_POINT=17; _ehlo ehlo --st console; printf '%s\\n' \"${COMPREPLY[@]}\"")
    completed = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30)
    assert "--starttls" in completed.stdout.split(), completed.stdout + completed.stderr
