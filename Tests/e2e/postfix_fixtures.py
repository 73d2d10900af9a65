"""A private Postfix instance and Postfix's smtp-sink, as fixtures for the end-to-end tests.

Both come from Debian's `postfix` package (`make deps` installs it with debconf's "No
configuration", so no system Postfix is set up or started: Debian's init script exits at once
when /etc/postfix/main.cf is missing). Postfix's master must run as root; without root these
fixtures skip.

The Postfix instance
--------------------
One instance per test session (started on first use, well under a second), entirely under a
temporary directory: its own config_directory (main.cf, master.cf), queue_directory,
data_directory, maillog_file and virtual Maildir base. Its master runs in the foreground
(`master -c DIR -d -e 3600`, in a new session so that its SIGTERM reaches its children) and is
stopped with SIGTERM when the session ends (or exits by itself after an hour if left behind). It never uses port 25, /etc/postfix/main.cf or syslog.

It listens on several 127.0.0.1 ports, one smtpd service per variant, each with its own
`syslog_name` so its log lines can be told apart (`postfix/<variant>/smtpd[PID]: ...`; the
default listener logs as `postfix/smtpd[PID]: ...`):

    default         PIPELINING, CHUNKING (BDAT), SIZE, 8BITMIME, SMTPUTF8, DSN, ... advertised
    no_pipelining   smtpd_discard_ehlo_keywords = pipelining
    no_chunking     smtpd_discard_ehlo_keywords = chunking
    refuse_data     smtpd_data_restrictions = reject
                        DATA -> "554 5.7.1 <DATA>: Data command rejected: Access denied"
    defer_data      smtpd_data_restrictions = defer
                        DATA -> "450 4.3.2 <DATA>: Data command rejected: Try again later"
    relay_defer     smtpd_relay_restrictions = defer_unauth_destination
                        RCPT to another domain -> "454 4.7.1 <x@y>: Relay access denied"
    forbid_pipelining   no PIPELINING, and smtpd_forbid_unauth_pipelining = yes: where the
                        "improper command pipelining" line below is logged, smtpd replies
                        "554 5.5.0 Error: SMTP protocol synchronization" and hangs up
    proxy           smtpd_upstream_proxy_protocol = haproxy: as behind a load balancer, the
                        client first sends a PROXY header (v1 or v2) and smtpd takes the client
                        address from it: `ehlo --proxy v2 --proxy-from 192.0.2.7:4242` is logged
                        as "connect from unknown[192.0.2.7]" (a client without one gets no greeting);
                        smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination,
                        so a client claimed from mynetworks (192.0.2.1) may relay

Everywhere: mail for USERS@example.test is delivered by virtual(8) into
VMAIL/example.test/<user>/new/ (a Maildir); an unknown user of example.test gets
"550 5.1.1 <zed@example.test>: Recipient address rejected: User unknown in virtual mailbox
table"; any other domain gets "554 5.7.1 <x@elsewhere.test>: Relay access denied" (127.0.0.1 is
not in mynetworks, so the client is an outside client), except on relay_defer. Nothing is ever
sent out (default_transport = error). smtpd_peername_lookup = no, so the client is always
`unknown[127.0.0.1]`; smtpd_error_sleep_time = 0s so that error replies are not slowed down.

What the log shows (Postfix 3.7, read from src/smtpd/smtpd.c and smtpd_chat.c and checked by
test_fixtures_postfix.py). Every listener runs `smtpd -v`, so:

  * each command line smtpd receives is logged, exactly as received, as
        postfix/smtpd[PID]: < unknown[127.0.0.1]: MAIL FROM:<a@example.test>
    and each reply line it sends as
        postfix/smtpd[PID]: > unknown[127.0.0.1]: 250 2.1.0 Ok
    (smtpd_chat_query/smtpd_chat_reply under msg_verbose). Message content after "354" and the
    chunk bytes after "BDAT n" are NOT logged this way: only lines read as commands are. So if a
    message line ever arrives as a command it shows up as "< unknown[127.0.0.1]: <the line>".
    A line that looks like a header ("Subject: x") read as a command also gives
        postfix/smtpd[PID]: warning: non-SMTP command from unknown[127.0.0.1]: Subject: x
    after which Postfix replies "221 2.7.0 Error: I can break rules, too. Goodbye." and hangs
    up; other lines get "500 5.5.2 Error: command not recognized".
  * every session ends with a summary line (also without -v), e.g.
        postfix/smtpd[PID]: disconnect from unknown[127.0.0.1] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5
  * "improper command pipelining": smtpd logs
        postfix/smtpd[PID]: improper command pipelining after CMD from unknown[127.0.0.1]: REST
    (REST: up to 100 bytes of what was waiting, C-escaped, e.g. "RCPT TO:<b@example.test>\\r\\n")
    at most ONCE per session (the first time only): when, about to execute CMD, it finds more
    client input already waiting (in its buffer or in the socket). In an EHLO (ESMTP) session it
    checks only before the commands that must end a pipelined group: EHLO, HELO, DATA, NOOP,
    VRFY (and before the greeting: CMD is then "CONNECT"). In a HELO (plain SMTP) session it
    checks before every command. The check does NOT depend on smtpd_discard_ehlo_keywords: the
    no_pipelining listener logs exactly what the default one logs. Consequences, each pinned by
    a smoke test:
      - EHLO session, "MAIL\\r\\nRCPT\\r\\nDATA\\r\\n" in one write: NO line (DATA is last);
      - EHLO session, "NOOP\\r\\nMAIL...": "improper command pipelining after NOOP ...";
      - EHLO session, "DATA\\r\\n" + message in one write: "... after DATA ...";
      - "EHLO x\\r\\nMAIL ..." in one write: "... after EHLO ...";
      - HELO session, "MAIL\\r\\nRCPT\\r\\nDATA\\r\\n" in one write: "... after MAIL ...";
      - the same commands sent one at a time, each after its reply: no line.
    So this line proves "the client did not wait for the reply to CMD", not "one write". To see
    write boundaries use the command-logging server (local_server_fixtures.py), which logs every
    recv().

How a test uses it:

    def test_delivery(postfix):                       # the default listener
        swaks("--server", f"127.0.0.1:{postfix.port}", "--to", "alice@example.test")
        [message] = postfix.delivered(1)              # Paths in the Maildir, waits (bounded)
        postfix.wait_for_disconnect()                 # the session is fully logged now
        assert "MAIL FROM:<...>" in postfix.commands()

`postfix` (and postfix_no_pipelining, postfix_no_chunking, postfix_refuse_data) is a
PostfixView: the session's instance seen from one listener, with a log mark and a Maildir
snapshot taken when the test started (after waiting, bounded, for earlier tests' sessions to end
and their mail to be delivered), so what it returns is only what this test caused:

    view.port                  the listener's port on 127.0.0.1
    view.log()                 every log line since the test started (all Postfix processes)
    view.smtpd_log()           this listener's smtpd lines, without the "... smtpd[PID]: " prefix
    view.sessions()            the same, split into SMTP sessions ("connect from ..." first)
    view.commands()            each command line received, as received (needs -v: on)
    view.replies()             each reply line sent
    view.pipelining_violations()   its "improper command pipelining ..." lines
    view.wait_for_log(regex)   the first matching line of log(), waiting (bounded)
    view.wait_for_disconnect(n)    waits until n sessions ended; call before asserting absence
    view.delivered(n)          Maildir files delivered since the test started (waits, bounded)
    view.position(), view.log_since(mark)   marks inside a test
    view.listener("defer_data")    another listener, with the same mark and snapshot

maildir_user(path) names the user a delivered file belongs to. Another configuration:
PostfixInstance(listeners={...}, main={...}, users=(...)) in a test, then .view(name) and .stop().

smtp-sink
---------
`smtp_sink(**options)` starts `smtp-sink -v -u postfix -d DUMP/%Y%m%d%H%M%S. 127.0.0.1:0 64`
and learns the port it got from /proc (no port race). Options map to smtp-sink flags, e.g.
`smtp_sink(pipelining=False)` adds -p, `lmtp=True` adds -L, `extra=["-r", "RCPT"]` passes
flags through. Each message becomes one file in `sink.dump_dir` (smtp-sink's own headers
X-Client-Addr, X-Client-Proto, X-Helo-Args, X-Mail-Args, X-Rcpt-Args, Received, then the message);
`sink.messages(count)` waits for them. With -v smtp-sink writes each command it receives to
stderr as "/usr/sbin/smtp-sink: MAIL FROM:<a@b>" (and "/usr/sbin/smtp-sink: ." for the end
of data); `sink.commands()` returns those. Note: smtp-sink 3.7 has no CHUNKING at all (it does
not advertise it and answers BDAT with "500 5.5.1 Error: unknown command"), so `chunking=True`
is refused. Its EHLO reply: 250-smtp-sink, PIPELINING (unless -p), 8BITMIME, AUTH PLAIN LOGIN,
XCLIENT NAME HELO, XFORWARD NAME ADDR PROTO HELO, ENHANCEDSTATUSCODES, DSN, and a bare "250 "
as its last line. With lmtp=True it answers LHLO and sends one reply per recipient after the dot.
"""

import grp
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

POSTFIX_MASTER = Path("/usr/lib/postfix/sbin/master")
SMTP_SINK = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
DOMAIN = "example.test"
USERS = ("alice", "bob", "carol", "dave", "erin")
START_TIMEOUT = 10

# name -> smtpd -o overrides. Every listener also gets -v and its own syslog_name.
LISTENERS = {
    "default": {},
    "no_pipelining": {"smtpd_discard_ehlo_keywords": "pipelining"},
    "no_chunking": {"smtpd_discard_ehlo_keywords": "chunking"},
    "refuse_data": {"smtpd_data_restrictions": "reject"},
    "defer_data": {"smtpd_data_restrictions": "defer"},
    "relay_defer": {"smtpd_relay_restrictions": "defer_unauth_destination"},
    "forbid_pipelining": {"smtpd_discard_ehlo_keywords": "pipelining",
                          "smtpd_forbid_unauth_pipelining": "yes"},
    "proxy": {"smtpd_upstream_proxy_protocol": "haproxy",
              "smtpd_relay_restrictions": "permit_mynetworks,reject_unauth_destination"},
}

# Postfix's own services, all unchrooted (the whole instance lives in a temporary directory).
MASTER_CF_SERVICES = """\
pickup     unix  n  -  n  60    1  pickup
cleanup    unix  n  -  n  -     0  cleanup
qmgr       unix  n  -  n  300   1  qmgr
rewrite    unix  -  -  n  -     -  trivial-rewrite
bounce     unix  -  -  n  -     0  bounce
defer      unix  -  -  n  -     0  bounce
trace      unix  -  -  n  -     0  bounce
verify     unix  -  -  n  -     1  verify
flush      unix  n  -  n  1000? 0  flush
proxymap   unix  -  -  n  -     -  proxymap
proxywrite unix  -  -  n  -     1  proxymap
smtp       unix  -  -  n  -     -  smtp
relay      unix  -  -  n  -     -  smtp
showq      unix  n  -  n  -     -  showq
error      unix  -  -  n  -     -  error
retry      unix  -  -  n  -     -  error
discard    unix  -  -  n  -     -  discard
virtual    unix  -  n  n  -     -  virtual
anvil      unix  -  -  n  -     1  anvil
scache     unix  -  -  n  -     1  scache
postlog    unix-dgram n  -  n  -  1  postlogd
"""

# The queue directory layout of postfix-files, made here directly: `postfix check` does the
# same but takes seconds (its messages wait for a postlogd that is not running yet).
QUEUE_SUBDIRS = ("active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming",
                 "private", "saved", "trace")


def free_port():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def listening_ports(pid):
    """The TCP ports that process `pid` listens on (from /proc; needs root for other users)."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return set()
    ports = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def stop_group(process, timeout=5):
    """SIGTERM to a process we started in its own session (and so to its group), then SIGKILL."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # leftovers of our own group, if any
    except (ProcessLookupError, PermissionError):
        pass
    if process.poll() is None:
        process.kill()
        process.wait(timeout=timeout)


def require_root(what):
    if os.geteuid() != 0:
        pytest.skip(f"{what} must be started as root")


def require_postfix():
    if not POSTFIX_MASTER.exists() or not Path(SMTP_SINK).exists():
        pytest.fail("Postfix is not installed (master or smtp-sink missing); run `make deps`")


# --------------------------------------------------------------------------------------------
# The Postfix instance


class PostfixInstance:
    """A private Postfix (see the module docstring). `ports[name]` for each of LISTENERS."""

    def __init__(self, listeners=None, users=USERS, domain=DOMAIN, main=None, attempts=3):
        require_root("Postfix's master")
        require_postfix()
        self.listeners = dict(LISTENERS if listeners is None else listeners)
        self.users = tuple(users)
        self.domain = domain
        self.extra_main = dict(main or {})
        # Not under pytest's 0700 temporary directories: virtual(8) writes the Maildir as
        # `nobody`, which must be able to walk down to it.
        self.root = Path(tempfile.mkdtemp(prefix="ehlo-postfix-"))
        self.root.chmod(0o755)
        self.config = self.root / "conf"
        self.queue = self.root / "queue"
        self.data = self.root / "data"
        self.vmail = self.root / "vmail"
        self.maillog = self.root / "maillog"
        self.master_out = self.root / "master.out"
        self.process = None
        self._scanned = 0
        self._open_sessions = 0
        try:
            self._layout()
            for attempt in range(attempts):
                self.ports = {name: free_port() for name in self.listeners}
                self._write_config()
                if self._start():
                    return
            raise RuntimeError(f"Postfix did not start:\n{self.diagnostics()}")
        except BaseException:
            self.stop()
            raise

    # -- setting up

    def _layout(self):
        postfix = pwd.getpwnam("postfix")
        nobody = pwd.getpwnam("nobody")
        postdrop = grp.getgrnam("postdrop").gr_gid
        for path in (self.config, self.queue, self.data, self.vmail):
            path.mkdir()
        for name in QUEUE_SUBDIRS:
            (self.queue / name).mkdir(mode=0o700)
            os.chown(self.queue / name, postfix.pw_uid, 0)
            (self.queue / name).chmod(0o700)
        for name, mode in (("maildrop", 0o730), ("public", 0o710)):
            (self.queue / name).mkdir()
            os.chown(self.queue / name, postfix.pw_uid, postdrop)
            (self.queue / name).chmod(mode)
        (self.queue / "pid").mkdir()
        self.queue.chmod(0o755)
        os.chown(self.data, postfix.pw_uid, 0)
        self.data.chmod(0o700)
        os.chown(self.vmail, nobody.pw_uid, nobody.pw_gid)
        self.uid, self.gid = nobody.pw_uid, nobody.pw_gid

    def _write_config(self):
        mailboxes = ", ".join(f"{user}@{self.domain}={self.domain}/{user}/" for user in self.users)
        main = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.queue),
            "data_directory": str(self.data),
            "maillog_file": str(self.maillog),
            "maillog_file_prefixes": str(self.root),
            "myhostname": "postfix.test",
            "mydomain": "postfix.test",
            "mydestination": "",
            "inet_interfaces": "loopback-only",
            "inet_protocols": "ipv4",
            # 127.0.0.1 is not in mynetworks: the tests' client is an outside client.
            "mynetworks": "192.0.2.1/32",
            "smtpd_relay_restrictions": "reject_unauth_destination",
            "smtpd_peername_lookup": "no",
            "smtpd_error_sleep_time": "0s",
            "alias_maps": "",
            "alias_database": "",
            "virtual_mailbox_domains": self.domain,
            "virtual_mailbox_base": str(self.vmail),
            "virtual_mailbox_maps": "inline:{ %s }" % mailboxes,
            "virtual_uid_maps": f"static:{self.uid}",
            "virtual_gid_maps": f"static:{self.gid}",
            "default_transport": "error:outbound mail is disabled in the tests",
            "relay_transport": "error:outbound mail is disabled in the tests",
            "biff": "no",
        }
        main.update(self.extra_main)
        (self.config / "main.cf").write_text("".join(f"{k} = {v}\n" for k, v in main.items()))
        lines = []
        for name, overrides in self.listeners.items():
            options = {"syslog_name": "postfix" if name == "default" else f"postfix/{name}"}
            options.update(overrides)
            args = " ".join(f"-o {k}={v}" for k, v in options.items())
            lines.append(f"127.0.0.1:{self.ports[name]} inet n - n - - smtpd -v {args}\n")
        (self.config / "master.cf").write_text("".join(lines) + MASTER_CF_SERVICES)
        # Postfix rereads a configuration file until its mtime is in the past (it may still be
        # being written), sleeping 300 ms a time: about 2 s for files written just now.
        past = time.time() - 60
        for name in ("main.cf", "master.cf"):
            os.utime(self.config / name, (past, past))

    def _start(self):
        with open(self.master_out, "ab") as out:
            self.process = subprocess.Popen(
                # -e: a master left behind by a killed test run exits by itself after an hour.
                [str(POSTFIX_MASTER), "-c", str(self.config), "-d", "-e", "3600"],
                stdin=subprocess.DEVNULL,
                stdout=out, stderr=out, cwd=str(self.root), start_new_session=True)
        wanted = set(self.ports.values())
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None  # e.g. "bind ... Address already in use": try new ports
                return False
            if wanted <= listening_ports(self.process.pid):
                return True
            time.sleep(0.02)
        stop_group(self.process)
        self.process = None
        return False

    def stop(self):
        if self.process is not None:
            stop_group(self.process)
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)

    # -- reading what happened

    def diagnostics(self):
        text = []
        for path in (self.master_out, self.maillog):
            if path.exists():
                text.append(f"--- {path.name} (tail) ---\n" + "\n".join(
                    path.read_text(errors="replace").splitlines()[-40:]))
        return "\n".join(text)

    def mark(self):
        """A position in the log; log_since(mark) gives the lines written after it."""
        try:
            return self.maillog.stat().st_size
        except FileNotFoundError:
            return 0

    def _read_from(self, mark):
        """The log's bytes from `mark` to the last complete line."""
        try:
            with open(self.maillog, "rb") as log:
                log.seek(mark)
                data = log.read()
        except FileNotFoundError:
            return b""
        # A line still being written (no newline yet) is left for the next call.
        return data[:data.rfind(b"\n") + 1]

    def log_since(self, mark):
        """The log lines written after `mark` (see mark())."""
        return self._read_from(mark).decode("utf-8", "replace").splitlines()

    def maildir_files(self):
        return {path for path in self.vmail.glob("*/*/new/*") if path.is_file()} | \
               {path for path in self.vmail.glob("*/*/cur/*") if path.is_file()}

    def queue_is_empty(self):
        """No message waiting or being delivered (deferred mail counts as done)."""
        for name in ("maildrop", "incoming", "active"):
            for _dirpath, _dirs, files in os.walk(self.queue / name):
                if files:
                    return False
        return True

    def syslog_name(self, listener):
        return "postfix" if listener == "default" else f"postfix/{listener}"

    def settle(self, timeout=5.0):
        """Waits (bounded) until every smtpd session so far has ended and the queue is empty,
        so that what an earlier test started is not seen as this test's. True if it did."""
        deadline = time.monotonic() + timeout
        while True:
            data = self._read_from(self._scanned)
            self._scanned += len(data)
            for line in data.decode("utf-8", "replace").splitlines():
                if re.search(r"/smtpd\[\d+\]: connect from ", line):
                    self._open_sessions += 1
                elif re.search(r"/smtpd\[\d+\]: disconnect from ", line):
                    self._open_sessions -= 1
            if self._open_sessions <= 0 and self.queue_is_empty():
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def view(self, listener="default", mark=None, snapshot=None):
        """A PostfixView from now on (after settle()), or from the given mark and snapshot."""
        if mark is None:
            self.settle()
            mark = self.mark()
        return PostfixView(self, listener, mark,
                           self.maildir_files() if snapshot is None else snapshot)


class PostfixView:
    """The instance from one listener, from a point in time on (see the module docstring)."""

    def __init__(self, instance, listener, mark, snapshot):
        self.instance = instance
        self.name = listener
        self.port = instance.ports[listener]
        self.mark = mark
        self.snapshot = snapshot
        self.domain = instance.domain
        self.users = instance.users
        self._smtpd = re.compile(r"\b%s/smtpd\[\d+\]: " % re.escape(instance.syslog_name(listener)))

    def listener(self, name):
        """The same instance seen from another listener, with this view's mark and snapshot."""
        return self.instance.view(name, self.mark, self.snapshot)

    def log(self):
        """Every log line (all Postfix processes) since the view was made."""
        return self.instance.log_since(self.mark)

    def position(self):
        """The log's current position, for log_since() (a mark inside a test)."""
        return self.instance.mark()

    def log_since(self, mark):
        return self.instance.log_since(mark)

    def sessions(self):
        """This listener's smtpd lines split into SMTP sessions, in the order they connected;
        each a list of lines starting with 'connect from ...'. (An smtpd process serves one
        session at a time, so its PID ties the lines of a session together.)"""
        by_pid, order = {}, []
        pattern = re.compile(r"\b%s/smtpd\[(\d+)\]: (.*)$" % re.escape(
            self.instance.syslog_name(self.name)))
        for line in self.log():
            match = pattern.search(line)
            if not match:
                continue
            pid, text = match.groups()
            if text.startswith("connect from "):
                by_pid[pid] = [text]
                order.append(by_pid[pid])
            elif pid in by_pid:
                by_pid[pid].append(text)
        return order

    def smtpd_log(self):
        """The lines of this listener's smtpd processes, with the prefix up to 'smtpd[PID]: ' cut."""
        out = []
        for line in self.log():
            match = self._smtpd.search(line)
            if match:
                out.append(line[match.end():])
        return out

    def commands(self):
        """Each command line this listener received, in order, as received ("< ..." lines)."""
        return [line.split(": ", 1)[1] for line in self.smtpd_log() if line.startswith("< ")]

    def replies(self):
        """Each reply line this listener sent ("> ..." lines)."""
        return [line.split(": ", 1)[1] for line in self.smtpd_log() if line.startswith("> ")]

    def pipelining_violations(self):
        return [line for line in self.smtpd_log() if line.startswith("improper command pipelining")]

    def wait_for_log(self, pattern, timeout=5.0):
        """The first line of log() that matches the regular expression (waits, bounded)."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log():
                if regex.search(line):
                    return line
            if time.monotonic() > deadline:
                raise AssertionError(f"no log line matching {pattern!r} within {timeout}s:\n"
                                     + "\n".join(self.log()[-60:]))
            time.sleep(0.05)

    def wait_for_disconnect(self, count=1, timeout=5.0):
        """Waits until `count` sessions on this listener have ended and been logged;
        returns smtpd_log(). Call it before asserting that something was NOT logged."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.smtpd_log()
            if sum(line.startswith("disconnect from ") for line in lines) >= count:
                return lines
            if time.monotonic() > deadline:
                raise AssertionError(f"{count} session(s) on {self.name} not ended within "
                                     f"{timeout}s:\n" + "\n".join(lines[-60:]))
            time.sleep(0.05)

    def delivered(self, count=1, timeout=10.0):
        """Maildir files delivered since the view was made, oldest first; waits (bounded) until
        there are at least `count` and the queue is empty (count=0: just until it is empty)."""
        deadline = time.monotonic() + timeout
        while True:
            new = self.instance.maildir_files() - self.snapshot
            if len(new) >= count and self.instance.queue_is_empty():
                return sorted(new, key=lambda path: (path.stat().st_mtime, path.name))
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(new)} of {count} message(s) delivered within "
                                     f"{timeout}s:\n" + "\n".join(self.log()[-60:]))
            time.sleep(0.05)



def maildir_user(path):
    """The user whose Maildir a delivered message file is in (VMAIL/domain/USER/new/file)."""
    return Path(path).parent.parent.name


@pytest.fixture(scope="session")
def postfix_instance():
    """The session's PostfixInstance (started on first use, stopped at the end)."""
    instance = PostfixInstance()
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture
def postfix(postfix_instance):
    """The default listener, as a PostfixView from the start of this test."""
    return postfix_instance.view("default")


@pytest.fixture
def postfix_no_pipelining(postfix_instance):
    """The listener that does not advertise PIPELINING."""
    return postfix_instance.view("no_pipelining")


@pytest.fixture
def postfix_no_chunking(postfix_instance):
    """The listener that does not advertise CHUNKING."""
    return postfix_instance.view("no_chunking")


@pytest.fixture
def postfix_refuse_data(postfix_instance):
    """The listener whose DATA is refused: 554 5.7.1 <DATA>: Data command rejected: Access denied."""
    return postfix_instance.view("refuse_data")


# --------------------------------------------------------------------------------------------
# smtp-sink


class SmtpSink:
    """`smtp-sink` on a loopback port (see the module docstring)."""

    def __init__(self, pipelining=True, chunking=False, lmtp=False, hostname="smtp-sink",
                 extra=()):
        require_root("smtp-sink (it switches to the postfix user)")
        require_postfix()
        if chunking:
            raise ValueError("smtp-sink (Postfix 3.7) does not implement CHUNKING/BDAT")
        # Not under pytest's 0700 temporary directories: smtp-sink writes as `postfix`.
        self.folder = Path(tempfile.mkdtemp(prefix="ehlo-smtp-sink-"))
        self.folder.chmod(0o755)
        self.dump_dir = self.folder / "dump"
        self.dump_dir.mkdir()
        postfix = pwd.getpwnam("postfix")
        os.chown(self.dump_dir, postfix.pw_uid, postfix.pw_gid)
        self.stderr_path = self.folder / "smtp-sink.stderr"
        args = [SMTP_SINK, "-v", "-u", "postfix", "-h", hostname,
                "-d", str(self.dump_dir) + "/%Y%m%d%H%M%S."]
        if not pipelining:
            args.append("-p")
        if lmtp:
            args.append("-L")
        args += [*extra, "127.0.0.1:0", "64"]
        self.args = args
        with open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=err,
                                            start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            ports = listening_ports(self.process.pid)
            if ports:
                self.port = ports.pop()
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                error = self.stderr_path.read_text(errors="replace")
                self.stop()
                raise RuntimeError(f"smtp-sink did not start: {args}\n{error}")
            time.sleep(0.02)

    def commands(self):
        """The command lines smtp-sink received, in order ("." for the end of data)."""
        out = []
        for line in self.stderr_path.read_text(errors="replace").splitlines():
            prefix = re.match(r"(\S*/)?smtp-sink: ", line)
            if prefix:
                text = line[prefix.end():]
                if re.match(r"([A-Za-z]{4}\b|\.$)", text) and not text.startswith(
                        ("name_mask", "trying", "connect", "vstream_", "smtp_stream",
                         "disconnect", "fd=")):
                    out.append(text)
        return out

    def messages(self, count=1, timeout=10.0):
        """The dump files of finished messages, oldest first; waits until there are `count`.

        A dump file is created at MAIL and closed when "." arrives, before the "." is logged
        and answered, so the files are counted only as far as logged "." commands."""
        deadline = time.monotonic() + timeout
        while True:
            dots = self.commands().count(".")
            files = sorted(self.dump_dir.iterdir(), key=lambda p: (p.stat().st_mtime, p.name))
            if dots >= count and len(files) >= count:
                return files
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(files)} of {count} message(s) in {timeout}s; "
                                     f"stderr:\n{self.stderr_path.read_text(errors='replace')}")
            time.sleep(0.05)

    def stop(self):
        stop_group(self.process)
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def smtp_sink():
    """smtp_sink(pipelining=True, lmtp=False, extra=()) -> a started SmtpSink; stopped after."""
    sinks = []

    def start(**options):
        sink = SmtpSink(**options)
        sinks.append(sink)
        return sink

    yield start
    for sink in sinks:
        sink.stop()
