extension EnhancedStatusTable {
    /// The three classes, the first number (RFC 3463 §2).
    public static let classRows: [ClassRow] = [
        ClassRow(
            statusClass: 2,
            title: "Success",
            meaning: "The action worked. The rest of the code may still add something useful, such as that the "
                + "message was converted or relayed on.",
            reference: "RFC 3463 §2"
        ),
        ClassRow(
            statusClass: 4,
            title: "Persistent transient failure",
            meaning: "Something is wrong for now, but the message itself is acceptable: a "
                + "well-behaved sender keeps it queued and tries again later. The same 4xx for days "
                + "points to a real problem worth looking into.",
            reference: "RFC 3463 §2"
        ),
        ClassRow(
            statusClass: 5,
            title: "Permanent failure",
            meaning: "Sending the same message again unchanged will fail again. Something has to change first: the "
                + "address, the message, the sender's setup or the receiver's policy.",
            reference: "RFC 3463 §2"
        ),
    ]

    /// Subjects 0 through 7, the middle number: defined in RFC 3463 §2, each with its codes in
    /// §3.1 (subject 0) through §3.8 (subject 7).
    public static let subjectRows: [SubjectRow] = [
        SubjectRow(
            subject: 0,
            title: "Other or undefined",
            meaning: "No subject-level hint is given; only the class (success, temporary, permanent) tells you "
                + "anything. Read the reply text for the real reason.",
            reference: "RFC 3463 §2, §3.1"
        ),
        SubjectRow(
            subject: 1,
            title: "Addressing",
            meaning: "Something about the sender or recipient address: its syntax, its domain, or whether the mailbox "
                + "exists. Usually the sender can fix it by correcting the address.",
            reference: "RFC 3463 §2, §3.2"
        ),
        SubjectRow(
            subject: 2,
            title: "Mailbox",
            meaning: "The recipient's mailbox exists but has a problem of its own, such as being full or disabled. "
                + "The fix is normally on the recipient's side.",
            reference: "RFC 3463 §2, §3.3"
        ),
        SubjectRow(
            subject: 3,
            title: "Mail system",
            meaning: "The receiving system as a whole is the cause: out of storage, not accepting mail, "
                + "misconfigured, or unable to provide a feature. Its administrator has to act.",
            reference: "RFC 3463 §2, §3.4"
        ),
        SubjectRow(
            subject: 4,
            title: "Network and routing",
            meaning: "Delivery could not get through: a DNS or directory lookup failed, a connection timed out or "
                + "broke, routing looped, or the message waited too long. Check DNS, MX records and connectivity.",
            reference: "RFC 3463 §2, §3.5"
        ),
        SubjectRow(
            subject: 5,
            title: "Mail delivery protocol",
            meaning: "The SMTP conversation itself went wrong: a command was unknown, out of order, malformed or had "
                + "bad arguments. Often a client bug or an extension mismatch.",
            reference: "RFC 3463 §2, §3.6"
        ),
        SubjectRow(
            subject: 6,
            title: "Message content or media",
            meaning: "The message content caused trouble: an unsupported media type, a conversion that could not be "
                + "done, or internationalized addresses or headers the path cannot carry.",
            reference: "RFC 3463 §2, §3.7"
        ),
        SubjectRow(
            subject: 7,
            title: "Security or policy",
            meaning: "A policy or security check refused or deferred the mail: relay rules, spam or reputation "
                + "filters, SMTP AUTH, SPF, DKIM, DMARC, or encryption requirements.",
            reference: "RFC 3463 §2, §3.8"
        ),
    ]

    /// Every code in the IANA "Enumerated Status Codes" registry (SMTP Enhanced Status Codes).
    ///
    /// `classes` follows the registry's associated basic status codes and the defining text
    /// (e.g. RFC 3463's "only useful as a permanent error"); meanings are our own words.
    public static let rows: [Row] = [
        Row(
            0, 0, classes: [2, 4, 5],
            title: "Undefined status",
            meaning: "The server only says whether it worked, failed for now or failed for good; no more specific "
                + "code applies. Read the reply text for the actual reason.",
            reference: "RFC 3463 §3.1"
        ),

        Row(
            1, 0, classes: [2, 4, 5],
            title: "Other address status",
            meaning: "Something about an address, sender or recipient, is behind this reply, with no more specific "
                + "code. Servers also use 2.1.0 to accept MAIL FROM.",
            reference: "RFC 3463 §3.2"
        ),
        Row(
            1, 1, classes: [4, 5],
            title: "Recipient mailbox does not exist",
            meaning: "The receiving domain has no mailbox by that name: the part before the @ is unknown. Check the "
                + "address for typos; a 4.1.1 usually means the server could not verify the recipient yet.",
            reference: "RFC 3463 §3.2"
        ),
        Row(
            1, 2, classes: [5],
            title: "Recipient domain invalid",
            meaning: "The part after the @ does not exist or cannot receive mail. Check the spelling of the domain "
                + "and whether it has working MX (or A/AAAA) records.",
            reference: "RFC 3463 §3.2"
        ),
        Row(
            1, 3, classes: [5],
            title: "Recipient address syntax invalid",
            meaning: "The recipient address is malformed and cannot be parsed. Look for stray characters, missing "
                + "angle brackets or an illegal local part.",
            reference: "RFC 3463 §3.2"
        ),
        Row(
            1, 4, classes: [4, 5],
            title: "Recipient address ambiguous",
            meaning: "The address matched more than one mailbox on the receiving system, typically because it maps "
                + "names loosely. Use a more exact address.",
            reference: "RFC 3463 §3.2"
        ),
        Row(
            1, 5, classes: [2],
            title: "Recipient address valid",
            meaning: "Positive confirmation that the recipient address was accepted, as in a "
                + "250 reply to RCPT TO. Nothing to fix.",
            reference: "RFC 3463 §3.2"
        ),
        Row(
            1, 6, classes: [5],
            title: "Mailbox moved, no forwarding address",
            meaning: "The address used to work but no longer accepts mail, and no new address is given. "
                + "Update or remove it from your lists.",
            reference: "RFC 3463 §3.2"
        ),
        Row(
            1, 7, classes: [4, 5],
            title: "Sender address syntax invalid",
            meaning: "The MAIL FROM address is malformed. Check what the sending "
                + "software puts in the envelope sender.",
            reference: "RFC 3463 §3.2"
        ),
        Row(
            1, 8, classes: [4, 5],
            title: "Sender domain invalid",
            meaning: "The envelope sender's domain does not exist or cannot receive replies, so bounces "
                + "could not come back. Make sure it resolves and has MX or address records; 4.1.8 "
                + "often means a DNS lookup failed for now.",
            reference: "RFC 3463 §3.2"
        ),
        Row(
            1, 9, classes: [2],
            title: "Relayed to a non-compliant system",
            meaning: "The address was valid, but the message was handed to a system that cannot report further "
                + "status, so no more tracking or delivery information will follow.",
            reference: "RFC 3886; RFC 5248 §2.4"
        ),
        Row(
            1, 10, classes: [5],
            title: "Recipient domain has null MX",
            meaning: "The recipient's domain publishes a null MX (MX 0 \".\"), declaring that it accepts no mail at "
                + "all, so the address is wrong. Microsoft 365 also sends 5.1.10 for a recipient it cannot find.",
            reference: "RFC 7505 §6"
        ),

        Row(
            2, 0, classes: [4, 5],
            title: "Other mailbox status",
            meaning: "The mailbox exists, but something about it that no more specific code describes is behind this "
                + "reply. The reply text usually says what.",
            reference: "RFC 3463 §3.3"
        ),
        Row(
            2, 1, classes: [4, 5],
            title: "Mailbox disabled",
            meaning: "The mailbox exists but is not taking messages, for example a suspended or deactivated account. "
                + "As 4.2.1 it may come back; after a 5.2.1 treat the address as dead.",
            reference: "RFC 3463 §3.3"
        ),
        Row(
            2, 2, classes: [4, 5],
            title: "Mailbox full",
            meaning: "The recipient is over quota and has to free space. The sender can only wait and retry, and "
                + "should stop after repeated 5.2.2 bounces.",
            reference: "RFC 3463 §3.3"
        ),
        Row(
            2, 3, classes: [5],
            title: "Message too large for this mailbox",
            meaning: "The message exceeds a size limit set for this mailbox, lower than the system-wide one. Send a "
                + "smaller message or share large files another way.",
            reference: "RFC 3463 §3.3"
        ),
        Row(
            2, 4, classes: [4, 5],
            title: "Mailing list expansion failed",
            meaning: "The address is a mailing list, and the list could not be expanded into its members. The list "
                + "owner or administrator needs to check the list's setup.",
            reference: "RFC 3463 §3.3"
        ),

        Row(
            3, 0, classes: [2, 4, 5],
            title: "Other mail system status",
            meaning: "The receiving system normally takes mail, but some system-level condition is behind this reply. "
                + "Check the reply text; the receiver's administrator may need to act.",
            reference: "RFC 3463 §3.4"
        ),
        Row(
            3, 1, classes: [4],
            title: "Mail system storage full",
            meaning: "The receiving system as a whole has run out of storage, not just one mailbox. Only its "
                + "administrator can fix this; retry later.",
            reference: "RFC 3463 §3.4"
        ),
        Row(
            3, 2, classes: [4, 5],
            title: "System not accepting mail",
            meaning: "The host is refusing messages at the moment, for example during maintenance, overload or "
                + "shutdown. Retry later; if it persists, contact the receiving site.",
            reference: "RFC 3463 §3.4"
        ),
        Row(
            3, 3, classes: [4, 5],
            title: "Requested feature not supported",
            meaning: "The message asks for something, such as an extension or content type, that the destination "
                + "(often a gateway) cannot provide. Send without it or by another route.",
            reference: "RFC 3463 §3.4"
        ),
        Row(
            3, 4, classes: [5],
            title: "Message too large for the system",
            meaning: "The message exceeds the receiving system's maximum message size. Compare with the SIZE value in "
                + "its EHLO reply and shrink or split the message.",
            reference: "RFC 3463 §3.4"
        ),
        Row(
            3, 5, classes: [4, 5],
            title: "System misconfigured",
            meaning: "The receiving system is not set up in a way that lets it accept this message. This is for "
                + "the receiver's administrator to fix.",
            reference: "RFC 3463 §3.4"
        ),
        Row(
            3, 6, classes: [2],
            title: "Priority was changed",
            meaning: "The message was accepted, but with a different MT-PRIORITY than requested; the reply text gives "
                + "the new value. Nothing failed, only the handling priority differs.",
            reference: "RFC 6710"
        ),

        Row(
            4, 0, classes: [4, 5],
            title: "Other network or routing status",
            meaning: "Something went wrong with networking or routing that no more specific code covers. Check DNS, "
                + "connectivity and the path to the next hop.",
            reference: "RFC 3463 §3.5"
        ),
        Row(
            4, 1, classes: [4],
            title: "No answer from host",
            meaning: "The next hop did not take the connection: it was down, busy or unreachable. Check the MX hosts, "
                + "firewalls and port 25. Microsoft 365 also sends 550 5.4.1 to refuse unknown recipients.",
            reference: "RFC 3463 §3.5"
        ),
        Row(
            4, 2, classes: [4],
            title: "Connection broken",
            meaning: "A connection was made but the transaction did not finish, because of a timeout or a poor link. "
                + "Usually transient; if it repeats, look at network stability and timeouts.",
            reference: "RFC 3463 §3.5"
        ),
        Row(
            4, 3, classes: [4, 5],
            title: "Directory or DNS failure",
            meaning: "A lookup the delivery depends on, typically DNS, could not be completed. Check the sender's "
                + "resolvers and the DNS servers of the domain involved.",
            reference: "RFC 3463 §3.5"
        ),
        Row(
            4, 4, classes: [4, 5],
            title: "Unable to route",
            meaning: "The system could not work out where to send the message next, for example because the domain "
                + "has no usable MX or address records. Check the domain's DNS.",
            reference: "RFC 3463 §3.5"
        ),
        Row(
            4, 5, classes: [4],
            title: "Mail system congestion",
            meaning: "The mail system is too busy to handle the message right now. Retry later; a sender that keeps "
                + "hitting this may need to slow down.",
            reference: "RFC 3463 §3.5"
        ),
        Row(
            4, 6, classes: [4, 5],
            title: "Routing loop detected",
            meaning: "The message went round in circles, for instance through forwarding rules or MX hosts pointing "
                + "at each other, until a hop limit stopped it. Check forwarding and routing setup.",
            reference: "RFC 3463 §3.5"
        ),
        Row(
            4, 7, classes: [4, 5],
            title: "Delivery time expired",
            meaning: "The message waited in a queue longer than allowed, or its requested lifetime ran out, before it "
                + "could be delivered. Look at the earlier deferrals for the underlying cause.",
            reference: "RFC 3463 §3.5"
        ),

        Row(
            5, 0, classes: [2, 4, 5],
            title: "Other protocol status",
            meaning: "Something in the SMTP exchange is behind this reply that no more specific code covers. Servers "
                + "also use 2.5.0 on ordinary successful replies.",
            reference: "RFC 3463 §3.6"
        ),
        Row(
            5, 1, classes: [4, 5],
            title: "Invalid command",
            meaning: "The command is not valid here or came at the wrong point, such as RCPT before MAIL. Check the "
                + "client's command order and the extensions the server advertised.",
            reference: "RFC 3463 §3.6"
        ),
        Row(
            5, 2, classes: [5],
            title: "Syntax error",
            meaning: "The server could not parse the command: an unknown verb or malformed syntax. Check the "
                + "spelling, spacing and CRLF line endings of what was sent.",
            reference: "RFC 3463 §3.6"
        ),
        Row(
            5, 3, classes: [4, 5],
            title: "Too many recipients",
            meaning: "The transaction named more recipients than the server takes at once. Send the rest in another "
                + "transaction; after a 452 the client is expected to retry the remaining ones.",
            reference: "RFC 3463 §3.6"
        ),
        Row(
            5, 4, classes: [4, 5],
            title: "Invalid command arguments",
            meaning: "The command was valid but an argument was not: out of range, unsupported or an unknown "
                + "parameter. Check MAIL and RCPT parameters against the EHLO extensions.",
            reference: "RFC 3463 §3.6"
        ),
        Row(
            5, 5, classes: [4, 5],
            title: "Protocol version mismatch",
            meaning: "The two sides could not agree on a protocol version. Rare with SMTP; check the "
                + "compatibility settings of client and server.",
            reference: "RFC 3463 §3.6"
        ),
        Row(
            5, 6, classes: [4, 5],
            title: "AUTH line too long",
            meaning: "A line sent during SMTP AUTH was longer than the server can buffer for that mechanism. Try "
                + "another mechanism or check that the client encodes its data correctly.",
            reference: "RFC 4954 §4"
        ),

        Row(
            6, 0, classes: [2, 4, 5],
            title: "Other content or media status",
            meaning: "Something about the message content that no more specific code covers is behind this reply. "
                + "Exchange and others also answer 250 2.6.0 when they queue a message.",
            reference: "RFC 3463 §3.7"
        ),
        Row(
            6, 1, classes: [5],
            title: "Media type not supported",
            meaning: "The message contains a media type that the protocol or the next system cannot carry. "
                + "Send the content in another format.",
            reference: "RFC 3463 §3.7"
        ),
        Row(
            6, 2, classes: [4, 5],
            title: "Conversion needed but not allowed",
            meaning: "The content would have to be converted before delivery, but the sender or the site's policy "
                + "forbids it. Send it in a form the next hop accepts as it is.",
            reference: "RFC 3463 §3.7"
        ),
        Row(
            6, 3, classes: [4, 5],
            title: "Conversion needed but not possible",
            meaning: "The content would have to be converted for the next hop and nothing on the path can do it, e.g. "
                + "8-bit data for a 7-bit-only server. Encode it (base64 or quoted-printable) first.",
            reference: "RFC 3463 §3.7"
        ),
        Row(
            6, 4, classes: [2, 5],
            title: "Delivered with lossy conversion",
            meaning: "The message was delivered, but a conversion on the way lost some data. As 5.6.4 it means the "
                + "sender had forbidden lossy conversion, so delivery was refused instead.",
            reference: "RFC 3463 §3.7"
        ),
        Row(
            6, 5, classes: [4, 5],
            title: "Conversion failed",
            meaning: "A conversion of the content was needed and attempted, but it did not succeed. Check the "
                + "message's encoding and MIME structure.",
            reference: "RFC 3463 §3.7"
        ),
        Row(
            6, 6, classes: [4, 5],
            title: "Message content not available",
            meaning: "The server could not fetch the message content from elsewhere, as with BURL submission from an "
                + "IMAP server. Check the URL and the trust between the submission and IMAP servers.",
            reference: "RFC 4468 §5"
        ),
        Row(
            6, 7, classes: [5],
            title: "Non-ASCII address not allowed",
            meaning: "A MAIL or RCPT address uses non-ASCII (internationalized) characters that this server or path "
                + "does not accept. Use an ASCII address or a path that supports SMTPUTF8.",
            reference: "RFC 6531 §3.5"
        ),
        Row(
            6, 8, classes: [2, 5],
            title: "UTF-8 reply needed but not allowed",
            meaning: "Showing the mailbox name, e.g. for VRFY or EXPN, would need UTF-8 in the reply, but the client "
                + "did not ask for it. Repeat the command with the SMTPUTF8 parameter.",
            reference: "RFC 6531 §3.7.4.2"
        ),
        Row(
            6, 9, classes: [5],
            title: "UTF-8 headers cannot be delivered",
            meaning: "The message has internationalized (UTF-8) headers that the path to at least one recipient "
                + "cannot carry, so it was refused after DATA. Send those recipients a version without them.",
            reference: "RFC 6531 §3.5"
        ),
        Row(
            6, 10, classes: [2, 5],
            title: "Duplicate of X.6.8 (deprecated)",
            meaning: "Same meaning as X.6.8 and deprecated in its favour; read it as X.6.8. A server still "
                + "sending it is running old software.",
            reference: "RFC 6531 §4.2"
        ),

        Row(
            7, 0, classes: [2, 4, 5],
            title: "Other security or policy status",
            meaning: "A security or policy condition that no more specific code covers, or that the "
                + "server will not detail. Common: 235 2.7.0 AUTH accepted, 530 5.7.0 AUTH required, "
                + "454 4.7.0 TLS or AUTH failed for now.",
            reference: "RFC 3463 §3.8; RFC 4954 §6"
        ),
        Row(
            7, 1, classes: [4, 5],
            title: "Delivery not authorized, message refused",
            meaning: "The sender may not send to this recipient: relaying denied, a blocklist or spam "
                + "filter, or another local policy. Read the reply text and check the sending IP's "
                + "reputation; 4.7.1 is often greylisting.",
            reference: "RFC 3463 §3.8"
        ),
        Row(
            7, 2, classes: [5],
            title: "Posting to this list not allowed",
            meaning: "The sender is not allowed to send to the mailing list behind this address. Ask "
                + "the list owner about posting rights.",
            reference: "RFC 3463 §3.8"
        ),
        Row(
            7, 3, classes: [5],
            title: "Security conversion not possible",
            meaning: "Delivery needed the message converted from one secure messaging format to another, and that "
                + "cannot be done. Send it in a format the recipient's side supports.",
            reference: "RFC 3463 §3.8"
        ),
        Row(
            7, 4, classes: [5],
            title: "Security feature not supported",
            meaning: "The message or command asked for a security feature that the delivery protocol or server cannot "
                + "provide. Check what the server advertises in its EHLO reply.",
            reference: "RFC 3463 §3.8"
        ),
        Row(
            7, 5, classes: [4, 5],
            title: "Cryptographic failure",
            meaning: "A system that should have verified or decrypted the message could not, because the key it "
                + "needed was missing or invalid. Check keys and certificates on both sides.",
            reference: "RFC 3463 §3.8"
        ),
        Row(
            7, 6, classes: [4, 5],
            title: "Cryptographic algorithm not supported",
            meaning: "A system that should have verified or decrypted the message does not support the algorithm "
                + "used. Use an algorithm both sides support.",
            reference: "RFC 3463 §3.8"
        ),
        Row(
            7, 7, classes: [2, 4, 5],
            title: "Message integrity failure",
            meaning: "Verification showed the message was damaged or altered on the way. Look for "
                + "systems that rewrite messages in transit.",
            reference: "RFC 3463 §3.8"
        ),
        Row(
            7, 8, classes: [5],
            title: "Authentication credentials invalid",
            meaning: "SMTP AUTH failed: wrong user name or password, or credentials that are not enough. Re-check "
                + "them and the mechanism; some providers want an app password or OAuth.",
            reference: "RFC 4954 §6"
        ),
        Row(
            7, 9, classes: [5],
            title: "Authentication mechanism too weak",
            meaning: "The AUTH mechanism chosen is weaker than the server allows for this user. Pick a stronger one "
                + "from the AUTH line of the EHLO reply.",
            reference: "RFC 4954 §6"
        ),
        Row(
            7, 10, classes: [5],
            title: "Encryption needed",
            meaning: "The server wants a secure channel before it accepts this authentication mechanism, typically a "
                + "plaintext password. Run STARTTLS (or use implicit TLS) first, or a stronger mechanism.",
            reference: "RFC 5248 §2.4"
        ),
        Row(
            7, 11, classes: [5],
            title: "Encryption required for this mechanism",
            meaning: "The AUTH mechanism may only be used on an encrypted "
                + "connection. Start TLS before authenticating.",
            reference: "RFC 4954 §6"
        ),
        Row(
            7, 12, classes: [4],
            title: "Password transition needed",
            meaning: "The account has to move to the selected authentication mechanism, usually by logging in once "
                + "with PLAIN over TLS. After that the chosen mechanism should work.",
            reference: "RFC 4954 §6"
        ),
        Row(
            7, 13, classes: [5],
            title: "Account disabled",
            meaning: "Authentication worked, but the account is disabled, for instance for abuse or non-payment. "
                + "Retyping the password will not help; the account holder must contact the administrator.",
            reference: "RFC 5248 §2.4"
        ),
        Row(
            7, 14, classes: [5],
            title: "Trust relationship required",
            meaning: "The submission server needs a configured trust relationship with a third-party server, such as "
                + "the IMAP server used with BURL, to get the content. The administrators must set it up.",
            reference: "RFC 5248 §2.4"
        ),
        Row(
            7, 15, classes: [4, 5],
            title: "Priority too low",
            meaning: "The MT-PRIORITY given is below what the server accepts at the moment, for example while it only "
                + "takes urgent mail. Retry later, or with a higher priority if that is justified.",
            reference: "RFC 6710"
        ),
        Row(
            7, 16, classes: [4, 5],
            title: "Message too large for its priority",
            meaning: "At the requested MT-PRIORITY the server only takes smaller messages. Send a "
                + "smaller message or use another priority.",
            reference: "RFC 6710"
        ),
        Row(
            7, 17, classes: [5],
            title: "Mailbox owner has changed",
            meaning: "The sender asked, with RRVS, for delivery only if the mailbox kept one owner since a given "
                + "time, and it did not. The address now belongs to someone else; update your records.",
            reference: "RFC 7293"
        ),
        Row(
            7, 18, classes: [5],
            title: "Domain owner has changed",
            meaning: "With RRVS, the receiver reports that the recipient's domain changed hands since the given time. "
                + "Recheck addresses at that domain before sending there again.",
            reference: "RFC 7293"
        ),
        Row(
            7, 19, classes: [5],
            title: "RRVS check not possible",
            meaning: "The receiver cannot do the requested RRVS check because it kept no record of when the mailbox "
                + "changed hands. Decide whether to resend without the RRVS requirement.",
            reference: "RFC 7293"
        ),
        Row(
            7, 20, classes: [4, 5],
            title: "No passing DKIM signature",
            meaning: "The message had no DKIM signature that verified, and the receiver requires one. Check that "
                + "outgoing mail is signed and that the public key is published in DNS.",
            reference: "RFC 7372 §3.1"
        ),
        Row(
            7, 21, classes: [4, 5],
            title: "No acceptable DKIM signature",
            meaning: "At least one DKIM signature verified, but none met the receiver's policy, e.g. on which domains "
                + "may sign. Sign with a domain the receiver accepts, usually your own.",
            reference: "RFC 7372 §3.1"
        ),
        Row(
            7, 22, classes: [4, 5],
            title: "No DKIM signature matching the author",
            meaning: "There were valid DKIM signatures, but none from a domain matching the address in the From: "
                + "header. Sign with the domain used in From:.",
            reference: "RFC 7372 §3.1"
        ),
        Row(
            7, 23, classes: [4, 5],
            title: "SPF check failed",
            meaning: "The sending IP is not allowed by the SPF record of the envelope sender's domain, and the "
                + "receiver rejects that. Add the host to the SPF record or send through an authorized server.",
            reference: "RFC 7372 §3.2"
        ),
        Row(
            7, 24, classes: [4, 5],
            title: "SPF check error",
            meaning: "Evaluating SPF produced an error, such as a DNS timeout (temporary) or a broken record "
                + "(permanent). Check the SPF record's syntax and its number of DNS lookups.",
            reference: "RFC 7372 §3.2"
        ),
        Row(
            7, 25, classes: [4, 5],
            title: "Reverse DNS check failed",
            meaning: "The connecting IP has no PTR record, or its PTR name does not resolve back to it, and the "
                + "receiver requires that. Set matching reverse and forward DNS for the sending IP.",
            reference: "RFC 7372 §3.3"
        ),
        Row(
            7, 26, classes: [4, 5],
            title: "Several authentication checks failed",
            meaning: "The message failed more than one authentication check, for example both SPF and DKIM as in a "
                + "DMARC failure, without saying which. Check SPF, DKIM and DMARC alignment.",
            reference: "RFC 7372 §3.4"
        ),
        Row(
            7, 27, classes: [5],
            title: "Sender domain has null MX",
            meaning: "The envelope sender's domain publishes a null MX, so it cannot receive bounces, and the "
                + "receiver refuses such mail. Send from a domain that accepts mail, or drop the null MX.",
            reference: "RFC 7505 §6"
        ),
        Row(
            7, 28, classes: [4, 5],
            title: "Mail flood detected",
            meaning: "The receiver sees this message as part of a flood of similar unwanted mail and is throttling or "
                + "refusing it. Slow down and look for compromised accounts, abused forms or list problems.",
            reference: "draft-levine-mailbomb-header"
        ),
        Row(
            7, 29, classes: [5],
            title: "ARC validation failed",
            meaning: "The message's Authenticated Received Chain did not validate, and the receiver refuses it for "
                + "that. Check the forwarders or lists that add or change ARC headers on the way.",
            reference: "RFC 8617"
        ),
        Row(
            7, 30, classes: [5],
            title: "REQUIRETLS not supported downstream",
            meaning: "The message was sent with REQUIRETLS, but no next-hop server offers REQUIRETLS over a verified "
                + "TLS path, so it could not be passed on. The sender must drop the requirement or use another route.",
            reference: "RFC 8689"
        ),
    ]
}
