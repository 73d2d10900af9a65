// Generated from lessons/*.lesson by EHLO_UPDATE_DOCS=1 swift test --filter GeneratedDocs; do not edit.
extension BuiltInLessons {
    static let files: [(name: String, text: String)] = [
        (
            "01-appendix-d.lesson",
            #"""
            # An ehlo lesson (ehlo --practice --lesson FILE). Format: "Name: value" lines; a line that
            # starts with a blank continues the one above; # starts a comment. Title, Reference and Text
            # (one per paragraph) describe the lesson; each Goal: ID starts a goal with Say (what to do),
            # Check (KIND key=value ...), Hint (repeatable) and Requires (another goal first).
            # The kinds and their keys: man ehlo, LESSONS, "Lesson files".

            Title: A whole mail transaction
            Reference: RFC 5321 §3.3 and Appendix D.1
            Text: RFC 5321 Appendix D.1 shows Smith at bar.com sending one message to Jones, Green and
              Brown at foo.com. Green does not exist there, so the server refuses that recipient and the
              message goes to the other two. Play the same scene against the practice server: its domain is
              practice.test, student@ and teacher@ exist, and green@ does not.
            Text: A transaction is MAIL (the sender), one RCPT per recipient, then DATA and the message,
              ended by a line holding only a period (RFC 5321 §3.3).

            Goal: hello
            Say: Introduce yourself with EHLO and get 250
            Check: reply code=250 after=EHLO
            Hint: Type EHLO and a name for your machine: EHLO bar.com
            Hint: RFC 5321 §4.1.1.1: the argument is your domain; any name will do in the lab.

            Goal: sender
            Say: Start a transaction with MAIL FROM and get 250
            Check: reply code=250 after=MAIL
            Hint: MAIL FROM:<Smith@bar.com>
            Hint: The address goes in angle brackets, with no space after the colon (RFC 5321 §4.1.2).

            Goal: recipient
            Say: Add a recipient who exists and get 250
            Check: reply code=250 after=RCPT
            Hint: RCPT TO:<student@practice.test>

            Goal: green
            Say: Add a recipient who does not exist, like Green, and read the 550
            Check: reply code=550 after=RCPT
            Hint: RCPT TO:<Green@practice.test>
            Hint: A refused recipient does not end the transaction: the others still get the message.

            Goal: message
            Say: Send the message to two accepted recipients and get 250 after the final period
            Check: message recipients=2 via=data
            Hint: Add a second recipient who exists (RCPT TO:<teacher@practice.test>), then type DATA.
            Hint: After the 354, type the message lines; a line holding only . ends it (RFC 5321 §4.1.1.4).

            Goal: quit
            Say: Say goodbye with QUIT and read the 221
            Check: reply code=221 after=QUIT
            Hint: QUIT

            """#
        ),
        (
            "02-reply-classes.lesson",
            #"""
            # An ehlo lesson (ehlo --practice --lesson FILE). Format: "Name: value" lines; a line that
            # starts with a blank continues the one above; # starts a comment. Title, Reference and Text
            # (one per paragraph) describe the lesson; each Goal: ID starts a goal with Say (what to do),
            # Check (KIND key=value ...), Hint (repeatable) and Requires (another goal first).
            # The kinds and their keys: man ehlo, LESSONS, "Lesson files".

            Title: The four reply classes
            Reference: RFC 5321 §4.2.1
            Text: The first digit of every reply says how the command went (RFC 5321 §4.2.1): 2 done,
              3 go on (the server wants more), 4 failed for now (try again later), 5 failed for good (do not
              retry this as it is). A client that only reads the first digit already knows what to do.
            Text: The practice server has lab mailboxes that make each class happen on purpose: student@ is
              accepted, busy@ is busy (450), unknown@ does not exist (550). ehlo serve --list-lab lists them all.

            Goal: positive
            Say: Get a 2xx, a positive completion: say EHLO
            Check: reply code=2xx after=EHLO
            Hint: EHLO me.example.test

            Goal: intermediate
            Say: Get a 3xx, a positive intermediate reply: the server waits for more (DATA's 354)
            Check: reply code=3xx
            Hint: 354 comes to DATA once a sender and a recipient are accepted.
            Hint: MAIL FROM:<you@example.test>, RCPT TO:<student@practice.test>, then DATA. End the message with a lone .

            Goal: transient
            Say: Get a 4xx at RCPT, a transient failure: the same command may work later
            Check: reply code=4xx after=RCPT
            Hint: busy@practice.test answers 450 at RCPT.
            Hint: Inside a transaction: RCPT TO:<busy@practice.test>

            Goal: permanent
            Say: Get a 5xx at RCPT, a permanent failure: do not send that again unchanged
            Check: reply code=5xx after=RCPT
            Hint: unknown@practice.test does not exist: RCPT TO:<unknown@practice.test>

            """#
        ),
        (
            "03-command-order.lesson",
            #"""
            # An ehlo lesson (ehlo --practice --lesson FILE). Format: "Name: value" lines; a line that
            # starts with a blank continues the one above; # starts a comment. Title, Reference and Text
            # (one per paragraph) describe the lesson; each Goal: ID starts a goal with Say (what to do),
            # Check (KIND key=value ...), Hint (repeatable) and Requires (another goal first).
            # The kinds and their keys: man ehlo, LESSONS, "Lesson files".

            Title: Commands in order, and the 503
            Reference: RFC 5321 §4.1.4 and §4.3.2
            Text: SMTP commands have an order (RFC 5321 §4.1.4): EHLO first, then MAIL, then at least
              one RCPT, then DATA. A server answers a command out of order with 503, "bad sequence of
              commands" (RFC 5321 §4.3.2 lists which command may get it).
            Text: ehlo warns before it sends a command out of order, and sends it anyway: you are here to see
              what the server does.

            Goal: early-data
            Say: Send DATA too early, before any recipient, and read the 503
            Check: reply code=503 after=DATA
            Hint: After EHLO, type DATA straight away.
            Hint: The 503 must answer DATA itself: a 503 to another command does not count.

            Goal: early-rcpt
            Say: Send RCPT before MAIL and read the 503
            Check: reply code=503 after=RCPT before=MAIL
            Hint: Before any MAIL FROM, type RCPT TO:<student@practice.test>

            Goal: in-order
            Say: Now do it in order and get the message accepted
            Check: message recipients=1
            Requires: early-data
            Hint: MAIL FROM:<you@example.test>, RCPT TO:<student@practice.test>, DATA, a line of text, and a lone .

            """#
        ),
        (
            "04-dot-stuffing.lesson",
            #"""
            # An ehlo lesson (ehlo --practice --lesson FILE). Format: "Name: value" lines; a line that
            # starts with a blank continues the one above; # starts a comment. Title, Reference and Text
            # (one per paragraph) describe the lesson; each Goal: ID starts a goal with Say (what to do),
            # Check (KIND key=value ...), Hint (repeatable) and Requires (another goal first).
            # The kinds and their keys: man ehlo, LESSONS, "Lesson files".

            Title: Dot-stuffing
            Reference: RFC 5321 §4.5.2
            Text: A message ends with a line holding only a period. So what if the message itself has a
              line that starts with a period? RFC 5321 §4.5.2: the client puts one more period in front of
              every such line, and the server takes it off again. This is dot-stuffing (transparency).
            Text: ehlo stuffs the lines you type after DATA's 354; a transcript (/record FILE) and a
              script's C: lines show them as they went on the wire.

            Goal: data
            Say: Get DATA's 354: the server is ready for the message
            Check: reply code=354 after=DATA
            Hint: EHLO, MAIL FROM:<you@example.test>, RCPT TO:<student@practice.test>, then DATA.

            Goal: dot
            Say: Type a message line that starts with a dot: it goes out with two
            Check: dot-line
            Hint: After the 354, type .hello (a period, then text).
            Hint: The line goes out as ..hello; a line holding only . would end the message instead.

            Goal: delivered
            Say: End the message and get 250: the server stored .hello with one dot
            Check: message recipients=1 via=data
            Requires: dot
            Hint: A line holding only . ends the message.

            """#
        ),
        (
            "05-greylisting.lesson",
            #"""
            # An ehlo lesson (ehlo --practice --lesson FILE). Format: "Name: value" lines; a line that
            # starts with a blank continues the one above; # starts a comment. Title, Reference and Text
            # (one per paragraph) describe the lesson; each Goal: ID starts a goal with Say (what to do),
            # Check (KIND key=value ...), Hint (repeatable) and Requires (another goal first).
            # The kinds and their keys: man ehlo, LESSONS, "Lesson files".

            Title: Greylisting: a 450 that goes away
            Reference: RFC 5321 §4.5.4.1 and RFC 6647
            Text: Many servers refuse mail from a sender they have not seen before with a temporary
              failure, 450 or 451, and accept it when the client tries again a little later (RFC 6647).
              Real mail servers retry, as RFC 5321 §4.5.4.1 requires of them; many spam senders do not.
            Text: greylist@practice.test does this. Read the annotation under the 450: the code says
              "try again", and the text says why.

            Goal: refused
            Say: Get a 450 at RCPT TO:<greylist@practice.test> and find out why
            Check: reply code=450 after=RCPT argument=greylist
            Hint: Inside a transaction: RCPT TO:<greylist@practice.test>
            Hint: /explain 450 tells what the code means; the reply's text names the reason.

            Goal: retried
            Say: Try again and get 250 for the same recipient
            Check: reply code=250 after=RCPT argument=greylist
            Requires: refused
            Hint: Type the same RCPT again. If it is refused again, wait a few seconds: the server wants time to pass.

            Goal: delivered
            Say: Send the message through
            Check: message recipients=1
            Requires: retried
            Hint: DATA, a line of text, then a lone .

            """#
        ),
        (
            "06-starttls.lesson",
            #"""
            # An ehlo lesson (ehlo --practice --lesson FILE). Format: "Name: value" lines; a line that
            # starts with a blank continues the one above; # starts a comment. Title, Reference and Text
            # (one per paragraph) describe the lesson; each Goal: ID starts a goal with Say (what to do),
            # Check (KIND key=value ...), Hint (repeatable) and Requires (another goal first).
            # The kinds and their keys: man ehlo, LESSONS, "Lesson files".

            Title: STARTTLS, and what EHLO forgets
            Reference: RFC 3207 §4 and §4.2
            Text: STARTTLS upgrades a plain connection to TLS (RFC 3207). After the 220 the TLS handshake
              starts at once, and then both sides forget everything said before it (RFC 3207 §4.2): the
              server's EHLO list, your EHLO, any transaction. So EHLO comes again, and the server may now
              offer more, such as AUTH.
            Text: The practice server's certificate is its own; ehlo --practice trusts it.

            Goal: offered
            Say: Say EHLO in the clear and find STARTTLS in the list
            Check: reply code=250 after=EHLO text=STARTTLS tls=no
            Hint: EHLO me.example.test

            Goal: upgraded
            Say: Upgrade the connection with STARTTLS
            Check: tls via=starttls
            Requires: offered
            Hint: Type STARTTLS; on 220 ehlo does the handshake.

            Goal: forgotten
            Say: Over TLS, send MAIL before a new EHLO and read the 503: your EHLO was forgotten
            Check: reply code=503 after=MAIL before=EHLO tls=yes
            Hint: MAIL FROM:<you@example.test>, right after the handshake.

            Goal: again
            Say: Say EHLO again over TLS and see AUTH offered now
            Check: reply code=250 after=EHLO text=AUTH tls=yes
            Hint: EHLO me.example.test, and compare the list with the first one (/caps).

            """#
        ),
        (
            "07-auth-plain.lesson",
            #"""
            # An ehlo lesson (ehlo --practice --lesson FILE). Format: "Name: value" lines; a line that
            # starts with a blank continues the one above; # starts a comment. Title, Reference and Text
            # (one per paragraph) describe the lesson; each Goal: ID starts a goal with Say (what to do),
            # Check (KIND key=value ...), Hint (repeatable) and Requires (another goal first).
            # The kinds and their keys: man ehlo, LESSONS, "Lesson files".

            Title: AUTH PLAIN, typed by hand
            Reference: RFC 4954 §4 and RFC 4616 §2
            Text: AUTH PLAIN (RFC 4616) sends three parts in one base64 string: an authorization identity
              (usually empty), the user name and the password, separated by NUL bytes. RFC 4954 §4 lets the
              client put it on the AUTH line, or wait for the server's empty 334 challenge and send it then.
              The practice server's user is student, password practice.
            Text: Base64 is an encoding, not encryption: this is why servers offer AUTH only over TLS.
              /b64 encode \0student\0practice gives the string (\0 stands for a NUL byte).

            Goal: tls
            Say: Protect the connection with STARTTLS first
            Check: tls
            Hint: EHLO me.example.test, then STARTTLS, then EHLO again.

            Goal: refused
            Say: Try a wrong password and read the 535
            Check: reply code=535
            Hint: /b64 encode \0student\0wrong, then AUTH PLAIN and that string.

            Goal: plain
            Say: Authenticate with AUTH PLAIN typed by hand and get 235
            Check: auth mechanism=PLAIN typed=yes
            Hint: /b64 encode \0student\0practice gives AHN0dWRlbnQAcHJhY3RpY2U=
            Hint: Type AUTH PLAIN AHN0dWRlbnQAcHJhY3RpY2U= (or AUTH PLAIN, then the string after the 334).
            Hint: /auth plain does the same for you, but does not count here: type it.

            """#
        ),
        (
            "08-pipelining.lesson",
            #"""
            # An ehlo lesson (ehlo --practice --lesson FILE). Format: "Name: value" lines; a line that
            # starts with a blank continues the one above; # starts a comment. Title, Reference and Text
            # (one per paragraph) describe the lesson; each Goal: ID starts a goal with Say (what to do),
            # Check (KIND key=value ...), Hint (repeatable) and Requires (another goal first).
            # The kinds and their keys: man ehlo, LESSONS, "Lesson files".

            Title: Pipelining
            Reference: RFC 2920 §3 and §3.1
            Text: Every command costs a round trip: wait for its reply, then send the next. A server that
              lists PIPELINING in its EHLO reply lets the client send several commands at once and read the
              replies afterwards, in order (RFC 2920 §3). DATA ends a group: its 354 must come before the
              message (RFC 2920 §3.1).
            Text: In ehlo, /pipe starts a group: the commands you type are held, and sent in one write with
              /go, an empty line, or a command that ends the group such as DATA.

            Goal: offered
            Say: Find PIPELINING in the server's EHLO reply
            Check: reply code=250 after=EHLO text=PIPELINING
            Hint: EHLO me.example.test

            Goal: group
            Say: Pipeline a transaction: MAIL, RCPT and DATA sent before their replies came
            Check: pipelined verbs=MAIL,RCPT,DATA
            Hint: Type /pipe, then MAIL FROM:<you@example.test>, RCPT TO:<student@practice.test> and DATA.
            Hint: DATA ends the group: the three go out in one write, and the three replies come back together.

            Goal: delivered
            Say: Finish the message and get 250
            Check: message recipients=1
            Requires: group
            Hint: Type the message lines after the 354, then a lone .

            """#
        ),
        (
            "09-bdat.lesson",
            #"""
            # An ehlo lesson (ehlo --practice --lesson FILE). Format: "Name: value" lines; a line that
            # starts with a blank continues the one above; # starts a comment. Title, Reference and Text
            # (one per paragraph) describe the lesson; each Goal: ID starts a goal with Say (what to do),
            # Check (KIND key=value ...), Hint (repeatable) and Requires (another goal first).
            # The kinds and their keys: man ehlo, LESSONS, "Lesson files".

            Title: BDAT: a message in chunks
            Reference: RFC 3030 §2 and §4
            Text: DATA ends a message with a lone period, so the whole message must be scanned and stuffed.
              CHUNKING (RFC 3030) offers BDAT instead: BDAT SIZE announces exactly SIZE octets, which follow
              as they are, with no dot-stuffing; BDAT SIZE LAST sends the final chunk and ends the message.
            Text: Count the octets: a line of text is its characters plus two for its CRLF. "Hello" is 7.

            Goal: offered
            Say: Find CHUNKING in the server's EHLO reply
            Check: reply code=250 after=EHLO text=CHUNKING
            Hint: EHLO me.example.test

            Goal: chunk
            Say: After MAIL and RCPT, send a first chunk with BDAT and get 250
            Check: reply code=250 after=BDAT
            Hint: BDAT 7, then type Hello (5 octets and the CRLF).

            Goal: last
            Say: End the message with a second chunk marked LAST and get 250
            Check: bdat-last chunks=2
            Hint: BDAT 7 LAST, then type World
            Hint: A BDAT without LAST leaves the message open: the server waits for more chunks.

            """#
        ),
    ]
}
