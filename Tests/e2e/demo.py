"""Start the test MTA on a free loopback port and open ehlo on it (``make demo``).

Messages you send are kept in a temporary folder, printed when you leave.
"""

import os
import subprocess
import sys
import tempfile


def main():
    binary = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    maildir = tempfile.mkdtemp(prefix="ehlo-demo-")
    server = subprocess.Popen([sys.executable, os.path.join(here, "mta.py"), maildir],
                              stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        if not line.startswith("PORT "):
            sys.exit("the demo server did not start")
        port = line.split()[1]
        print("A test SMTP server (aiosmtpd) listens on 127.0.0.1:%s; try EHLO, MAIL, RCPT, DATA." % port)
        print("Recipients named nobody@… are refused. Messages land in %s" % maildir)
        status = subprocess.call([binary, "127.0.0.1:" + port] + sys.argv[2:])
    finally:
        server.terminate()
        server.wait()
    print("Messages received: %s" % (sorted(os.listdir(maildir)) or "none"))
    sys.exit(status)


if __name__ == "__main__":
    main()
