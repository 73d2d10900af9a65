"""PRDR (draft-hall-prdr-00) against the built `ehlo serve`, spoken over a raw socket.

After the final dot of a transaction that asked for PRDR, the server answers 353, then one reply
per accepted recipient in RCPT order, then one reply for the message; only the recipients that
took the message find it in the maildir.
"""

from practice_fixtures import Wire, maildir_messages, practice_server  # noqa: F401 (a fixture)


def open_session(server):
    wire = Wire(server.port)
    assert wire.reply()[0] == 220
    code, lines = wire.command("EHLO prdr.test")
    assert code == 250
    assert "250-PRDR" in lines
    return wire


def test_prdr_transaction_gets_the_exact_reply_sequence_and_stores_for_the_takers(practice_server, tmp_path):
    maildir = tmp_path / "Maildir"
    server = practice_server("--maildir", str(maildir))
    wire = open_session(server)
    assert wire.command("MAIL FROM:<alice@client.test> PRDR") == (
        250, ["250 2.1.0 Sender <alice@client.test> ok, PRDR requested"])
    assert wire.command("RCPT TO:<student@practice.test>")[0] == 250
    assert wire.command("RCPT TO:<busy@practice.test>")[0] == 450  # refused at RCPT: no reply at the end
    assert wire.command("RCPT TO:<reject@practice.test>")[0] == 250
    assert wire.command("RCPT TO:<teacher@practice.test>")[0] == 250
    assert wire.command("DATA")[0] == 354
    wire.send(b"Subject: prdr\r\n\r\n..stuffed line\r\nbody\r\n.\r\n")
    replies = [wire.reply()[1] for _ in range(5)]
    assert replies[:4] == [
        ["353 PRDR content analysis beginning"],
        ["250 2.1.5 <student@practice.test> accepts the message"],
        ["554 5.7.1 <reject@practice.test>: Message content rejected"],
        ["250 2.1.5 <teacher@practice.test> accepts the message"],
    ]
    assert len(replies[4]) == 1
    final = replies[4][0]
    assert final.startswith("250 2.0.0 Ok: queued as ") and final.endswith(" for 2 of 3 recipients"), final
    assert wire.command("QUIT")[0] == 221
    wire.close()

    messages = maildir_messages(maildir)
    assert len(messages) == 1
    stored = messages[0].read_text()
    assert stored.startswith("Return-Path: <alice@client.test>\n")
    assert "Delivered-To: student@practice.test\n" in stored
    assert "Delivered-To: teacher@practice.test\n" in stored
    assert "reject@practice.test" not in stored
    assert stored.endswith("Subject: prdr\n\n.stuffed line\nbody\n")
    assert not list((maildir / "tmp").iterdir())


def test_prdr_with_every_recipient_refusing_stores_nothing(practice_server, tmp_path):
    maildir = tmp_path / "Maildir"
    server = practice_server("--maildir", str(maildir))
    wire = open_session(server)
    # Pipelined up to DATA, then the message and the next command in one write.
    wire.send("MAIL FROM:<alice@client.test> PRDR\r\nRCPT TO:<reject@practice.test>\r\nDATA\r\n")
    assert [wire.reply()[0] for _ in range(3)] == [250, 250, 354]
    wire.send(b"Subject: refused\r\n\r\nbody\r\n.\r\nNOOP\r\n")
    assert [wire.reply()[1] for _ in range(4)] == [
        ["353 PRDR content analysis beginning"],
        ["554 5.7.1 <reject@practice.test>: Message content rejected"],
        ["550 5.0.0 Message rejected for all recipients; nothing was stored"],
        ["250 2.0.0 Ok"],
    ]
    wire.close()
    assert maildir_messages(maildir) == []
    server.wait_for_line(lambda line: "message refused: 550 5.0.0" in line)


def test_without_prdr_one_refusing_recipient_still_refuses_the_message(practice_server, tmp_path):
    maildir = tmp_path / "Maildir"
    server = practice_server("--maildir", str(maildir))
    wire = open_session(server)
    assert wire.command("MAIL FROM:<alice@client.test>")[0] == 250
    assert wire.command("RCPT TO:<student@practice.test>")[0] == 250
    assert wire.command("RCPT TO:<reject@practice.test>")[0] == 250
    assert wire.command("DATA")[0] == 354
    assert wire.command("Subject: whole\r\n\r\nbody\r\n.") == (
        554, ["554 5.7.1 <reject@practice.test>: Message content rejected"])
    wire.close()
    assert maildir_messages(maildir) == []
