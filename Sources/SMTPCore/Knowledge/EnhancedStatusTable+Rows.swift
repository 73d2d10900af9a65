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
            plain:
                "No more specific code applies: the reply code alone says whether it worked, failed for now or failed for good.",
            advice: "Read the reply text for the actual reason.",
            reference: "RFC 3463 §3.1",
            success: Success(title: "Success", plain: "The server did what was asked; nothing more specific to report.")
        ),

        Row(
            1, 0, classes: [2, 4, 5],
            title: "Other address status",
            plain:
                "Something about an address, the sender's or a recipient's, is behind this reply, and no more specific code fits.",
            advice: "Read the reply text, then check the address.",
            reference: "RFC 3463 §3.2",
            success: Success(
                title: "Sender accepted",
                plain: "The address is fine: servers answer MAIL FROM with 250 2.1.0 when they accept the sender.")
        ),
        Row(
            1, 1, classes: [4, 5],
            title: "Recipient mailbox does not exist",
            plain: "There is no mailbox by that name at the receiving domain: the part before the @ is unknown there.",
            advice:
                "Check the address for typos (a 4.1.1 only means the server could not check it yet: try again later).",
            reference: "RFC 3463 §3.2"
        ),
        Row(
            1, 2, classes: [5],
            title: "Recipient domain invalid",
            plain: "The part after the @ does not exist or cannot receive mail.",
            advice: "Check the spelling of the domain and whether it has working MX (or A/AAAA) records.",
            reference: "RFC 3463 §3.2"
        ),
        Row(
            1, 3, classes: [5],
            title: "Recipient address syntax invalid",
            plain: "The recipient address is malformed and cannot be parsed.",
            advice: "Look for stray characters, missing angle brackets or an illegal local part.",
            reference: "RFC 3463 §3.2"
        ),
        Row(
            1, 4, classes: [4, 5],
            title: "Recipient address ambiguous",
            plain:
                "The address matched more than one mailbox on the receiving system, typically because it maps names loosely.",
            advice: "Use a more exact address.",
            reference: "RFC 3463 §3.2"
        ),
        Row(
            1, 5, classes: [2],
            title: "Recipient address valid",
            plain: "The recipient address is valid and the server accepts mail for it.",
            advice: nil,
            reference: "RFC 3463 §3.2",
            success: Success(
                title: "Recipient accepted",
                plain: "The server will take mail for this recipient (250 2.1.5 to RCPT TO).")
        ),
        Row(
            1, 6, classes: [5],
            title: "Mailbox moved, no forwarding address",
            plain: "The address used to work, but the mailbox has moved and the server gives no new address.",
            advice: "Find the person's new address another way, and update your lists.",
            reference: "RFC 3463 §3.2"
        ),
        Row(
            1, 7, classes: [4, 5],
            title: "Sender address syntax invalid",
            plain: "The MAIL FROM address is malformed.",
            advice: "Check what the sending software puts in the envelope sender.",
            reference: "RFC 3463 §3.2"
        ),
        Row(
            1, 8, classes: [4, 5],
            title: "Sender domain invalid",
            plain:
                "The envelope sender's domain does not exist or cannot receive replies, so bounces could not come back.",
            advice:
                "Make sure the domain exists and has MX or address records; 4.1.8 often means a DNS lookup failed for now.",
            reference: "RFC 3463 §3.2"
        ),
        Row(
            1, 9, classes: [2],
            title: "Relayed to a non-compliant system",
            plain:
                "The address was valid, but the message was handed to a system that cannot report further status, so no more tracking or delivery information will follow.",
            advice: nil,
            reference: "RFC 3886; RFC 5248 §2.4",
            success: Success(
                title: "Relayed, no further status",
                plain: "The message was passed to a system that will not report what happens next.")
        ),
        Row(
            1, 10, classes: [5],
            title: "Recipient domain has null MX",
            plain:
                "The recipient's domain publishes a null MX (MX 0 \".\"), declaring that it accepts no mail at all, so the address is wrong.",
            advice:
                "Check the domain for typos: mail to it can never be delivered. (Microsoft 365 also sends 5.1.10 for a recipient it cannot find.)",
            reference: "RFC 7505 §6"
        ),

        Row(
            2, 0, classes: [4, 5],
            title: "Other mailbox status",
            plain:
                "The mailbox exists, but something about it that no more specific code describes is behind this reply.",
            advice: "Read the reply text for what is wrong with the mailbox; as 4.2.0, try again later.",
            reference: "RFC 3463 §3.3"
        ),
        Row(
            2, 1, classes: [4, 5],
            title: "Mailbox disabled",
            plain:
                "The mailbox exists but is switched off: it is not taking messages, for example a suspended account.",
            advice: "As 4.2.1 it may come back, so try later; after a 5.2.1 treat the address as dead.",
            reference: "RFC 3463 §3.3"
        ),
        Row(
            2, 2, classes: [4, 5],
            title: "Mailbox full",
            plain: "The recipient's mailbox is full: it is over its storage quota.",
            advice: "Only the recipient can free space; wait and retry, and stop after repeated 5.2.2 bounces.",
            reference: "RFC 3463 §3.3"
        ),
        Row(
            2, 3, classes: [5],
            title: "Message too large for this mailbox",
            plain: "The message exceeds a size limit set for this mailbox, lower than the system-wide one.",
            advice: "Send a smaller message or share large files another way.",
            reference: "RFC 3463 §3.3"
        ),
        Row(
            2, 4, classes: [4, 5],
            title: "Mailing list expansion failed",
            plain: "The address is a mailing list, and the list could not be expanded into its members.",
            advice: "The list owner or administrator needs to check the list's setup.",
            reference: "RFC 3463 §3.3"
        ),

        Row(
            3, 0, classes: [2, 4, 5],
            title: "Other mail system status",
            plain: "The receiving system normally takes mail, but some system-level condition is behind this reply.",
            advice: "Read the reply text; the receiver's administrator may need to act.",
            reference: "RFC 3463 §3.4",
            success: Success(
                title: "Accepted by the mail system",
                plain: "The receiving system took the message; nothing more specific to report.")
        ),
        Row(
            3, 1, classes: [4],
            title: "Mail system storage full",
            plain: "The receiving system as a whole has run out of storage, not just one mailbox.",
            advice: "Only its administrator can fix this; retry later.",
            reference: "RFC 3463 §3.4"
        ),
        Row(
            3, 2, classes: [4, 5],
            title: "System not accepting mail",
            plain: "The host is refusing messages at the moment, for example during maintenance, overload or shutdown.",
            advice: "Retry later; if it persists, contact the receiving site.",
            reference: "RFC 3463 §3.4"
        ),
        Row(
            3, 3, classes: [4, 5],
            title: "Requested feature not supported",
            plain:
                "The message asks for something, such as an extension or content type, that the destination (often a gateway) cannot provide.",
            advice: "Send without it or by another route.",
            reference: "RFC 3463 §3.4"
        ),
        Row(
            3, 4, classes: [5],
            title: "Message too large for the system",
            plain: "The message exceeds the receiving system's maximum message size.",
            advice: "Compare with the SIZE value in its EHLO reply and shrink or split the message.",
            reference: "RFC 3463 §3.4"
        ),
        Row(
            3, 5, classes: [4, 5],
            title: "System misconfigured",
            plain: "The receiving system is not set up in a way that lets it accept this message.",
            advice: "This is for the receiver's administrator to fix.",
            reference: "RFC 3463 §3.4"
        ),
        Row(
            3, 6, classes: [2],
            title: "Priority was changed",
            plain:
                "The message was accepted, but with a different MT-PRIORITY than requested; the reply text gives the new value.",
            advice: nil,
            reference: "RFC 6710",
            success: Success(
                title: "Accepted, priority changed",
                plain: "The message was accepted with a different MT-PRIORITY than asked; the text gives the new one.")
        ),

        Row(
            4, 0, classes: [4, 5],
            title: "Other network or routing status",
            plain: "Something went wrong with networking or routing that no more specific code covers.",
            advice: "Check DNS, connectivity and the path to the next hop.",
            reference: "RFC 3463 §3.5"
        ),
        Row(
            4, 1, classes: [4],
            title: "No answer from host",
            plain: "The next hop did not take the connection: it was down, busy or unreachable.",
            advice:
                "Check the MX hosts, firewalls and port 25; Microsoft 365 also sends 550 5.4.1 to refuse unknown recipients.",
            reference: "RFC 3463 §3.5"
        ),
        Row(
            4, 2, classes: [4],
            title: "Connection broken",
            plain: "A connection was made but the transaction did not finish, because of a timeout or a poor link.",
            advice: "Usually transient; if it repeats, look at network stability and timeouts.",
            reference: "RFC 3463 §3.5"
        ),
        Row(
            4, 3, classes: [4, 5],
            title: "Directory or DNS failure",
            plain: "A lookup the delivery depends on, typically DNS, could not be completed.",
            advice: "Check the sender's resolvers and the DNS servers of the domain involved.",
            reference: "RFC 3463 §3.5"
        ),
        Row(
            4, 4, classes: [4, 5],
            title: "Unable to route",
            plain:
                "The system could not work out where to send the message next, for example because the domain has no usable MX or address records.",
            advice: "Check the domain's DNS.",
            reference: "RFC 3463 §3.5"
        ),
        Row(
            4, 5, classes: [4],
            title: "Mail system congestion",
            plain: "The mail system is too busy to handle the message right now.",
            advice: "Retry later; a sender that keeps hitting this may need to slow down.",
            reference: "RFC 3463 §3.5"
        ),
        Row(
            4, 6, classes: [4, 5],
            title: "Routing loop detected",
            plain:
                "The message went round in circles, for instance through forwarding rules or MX hosts pointing at each other, until a hop limit stopped it.",
            advice: "Check forwarding and routing setup.",
            reference: "RFC 3463 §3.5"
        ),
        Row(
            4, 7, classes: [4, 5],
            title: "Delivery time expired",
            plain:
                "The message waited in a queue longer than allowed, or its requested lifetime ran out, before it could be delivered.",
            advice: "Look at the earlier deferrals for the underlying cause.",
            reference: "RFC 3463 §3.5"
        ),

        Row(
            5, 0, classes: [2, 4, 5],
            title: "Other protocol status",
            plain: "Something in the SMTP exchange is behind this reply that no more specific code covers.",
            advice: "Read the reply text; the SMTP conversation itself is the subject.",
            reference: "RFC 3463 §3.6",
            success: Success(
                title: "Command accepted",
                plain: "The server accepted the command; some servers put 2.5.0 on every ordinary success.")
        ),
        Row(
            5, 1, classes: [4, 5],
            title: "Invalid command",
            plain: "The command is not valid here, or came at the wrong point, such as RCPT before MAIL.",
            advice: "Check the order of your commands (/next) and the extensions the server advertised (/caps).",
            reference: "RFC 3463 §3.6"
        ),
        Row(
            5, 2, classes: [5],
            title: "Syntax error",
            plain: "The server could not read the command: an unknown word or a malformed line.",
            advice: "Check the spelling and spacing, e.g. MAIL FROM:<you@example.test> with the angle brackets.",
            reference: "RFC 3463 §3.6"
        ),
        Row(
            5, 3, classes: [4, 5],
            title: "Too many recipients",
            plain: "The transaction named more recipients than the server takes at once.",
            advice:
                "Send the rest in another transaction; after a 452 the client is expected to retry the remaining ones.",
            reference: "RFC 3463 §3.6"
        ),
        Row(
            5, 4, classes: [4, 5],
            title: "Invalid command arguments",
            plain: "The command was valid but an argument was not: out of range, unsupported or an unknown parameter.",
            advice: "Check MAIL and RCPT parameters against the EHLO extensions.",
            reference: "RFC 3463 §3.6"
        ),
        Row(
            5, 5, classes: [4, 5],
            title: "Protocol version mismatch",
            plain: "The two sides could not agree on a protocol version.",
            advice: "Rare with SMTP; check the compatibility settings of client and server.",
            reference: "RFC 3463 §3.6"
        ),
        Row(
            5, 6, classes: [4, 5],
            title: "AUTH line too long",
            plain: "A line sent during SMTP AUTH was longer than the server can buffer for that mechanism.",
            advice: "Try another mechanism or check that the client encodes its data correctly.",
            reference: "RFC 4954 §4"
        ),

        Row(
            6, 0, classes: [2, 4, 5],
            title: "Other content or media status",
            plain: "Something about the message content that no more specific code covers is behind this reply.",
            advice: "Read the reply text for what is wrong with the content.",
            reference: "RFC 3463 §3.7",
            success: Success(
                title: "Message accepted",
                plain: "The message was accepted; Exchange and others answer 250 2.6.0 when they queue it.")
        ),
        Row(
            6, 1, classes: [5],
            title: "Media type not supported",
            plain: "The message contains a media type that the protocol or the next system cannot carry.",
            advice: "Send the content in another format.",
            reference: "RFC 3463 §3.7"
        ),
        Row(
            6, 2, classes: [4, 5],
            title: "Conversion needed but not allowed",
            plain:
                "The content would have to be converted before delivery, but the sender or the site's policy forbids it.",
            advice: "Send it in a form the next hop accepts as it is.",
            reference: "RFC 3463 §3.7"
        ),
        Row(
            6, 3, classes: [4, 5],
            title: "Conversion needed but not possible",
            plain:
                "The content would have to be converted for the next hop and nothing on the path can do it, such as 8-bit data for a 7-bit-only server.",
            advice: "Encode it (base64 or quoted-printable) first.",
            reference: "RFC 3463 §3.7"
        ),
        Row(
            6, 4, classes: [2, 5],
            title: "Delivered with lossy conversion",
            plain: "The message was delivered, but a conversion on the way lost some data.",
            advice:
                "As 5.6.4 it means the sender had forbidden lossy conversion, so delivery was refused; send a form the path can carry.",
            reference: "RFC 3463 §3.7",
            success: Success(
                title: "Delivered, with a lossy conversion",
                plain: "The message was delivered, but a conversion on the way lost some data.")
        ),
        Row(
            6, 5, classes: [4, 5],
            title: "Conversion failed",
            plain: "A conversion of the content was needed and attempted, but it did not succeed.",
            advice: "Check the message's encoding and MIME structure.",
            reference: "RFC 3463 §3.7"
        ),
        Row(
            6, 6, classes: [4, 5],
            title: "Message content not available",
            plain:
                "The server could not fetch the message content from elsewhere, as with BURL submission from an IMAP server.",
            advice: "Check the URL and the trust between the submission and IMAP servers.",
            reference: "RFC 4468 §5"
        ),
        Row(
            6, 7, classes: [5],
            title: "Non-ASCII address not allowed",
            plain:
                "A MAIL or RCPT address uses non-ASCII (internationalized) characters that this server or path does not accept.",
            advice: "Use an ASCII address or a path that supports SMTPUTF8.",
            reference: "RFC 6531 §3.5"
        ),
        Row(
            6, 8, classes: [2, 5],
            title: "UTF-8 reply needed but not allowed",
            plain:
                "Showing the mailbox name, e.g. for VRFY or EXPN, would need UTF-8 in the reply, but the client did not ask for it.",
            advice: "Repeat the command with the SMTPUTF8 parameter.",
            reference: "RFC 6531 §3.7.4.2",
            success: Success(
                title: "Accepted, UTF-8 reply",
                plain: "The mailbox name in this reply needed UTF-8, which SMTPUTF8 allowed.")
        ),
        Row(
            6, 9, classes: [5],
            title: "UTF-8 headers cannot be delivered",
            plain:
                "The message has internationalized (UTF-8) headers that the path to at least one recipient cannot carry, so it was refused after DATA.",
            advice: "Send those recipients a version without them.",
            reference: "RFC 6531 §3.5"
        ),
        Row(
            6, 10, classes: [2, 5],
            title: "Duplicate of X.6.8 (deprecated)",
            plain: "Same meaning as X.6.8 and deprecated in its favour; read it as X.6.8.",
            advice: "A server still sending it is running old software.",
            reference: "RFC 6531 §4.2",
            success: Success(
                title: "Accepted, UTF-8 reply (deprecated code)",
                plain: "Read it as 2.6.8: the reply needed UTF-8, which SMTPUTF8 allowed.")
        ),

        Row(
            7, 0, classes: [2, 4, 5],
            title: "Other security or policy status",
            plain:
                "A security or policy condition that no more specific code covers, or that the server will not detail.",
            advice: "Read the reply text; common: 530 5.7.0 log in first, 454 4.7.0 TLS or login failed for now.",
            reference: "RFC 3463 §3.8; RFC 4954 §6",
            success: Success(
                title: "Security step passed",
                plain: "A security step succeeded, e.g. 235 2.7.0 login accepted or 220 2.7.0 ready to start TLS.")
        ),
        Row(
            7, 1, classes: [4, 5],
            title: "Delivery not authorized, message refused",
            plain:
                "A policy says no: you may not send this here, for example relaying is denied, your IP is on a block list, or a spam filter refused it.",
            advice: "Read the reply text for which policy; 4.7.1 is often greylisting, so try again in a few minutes.",
            reference: "RFC 3463 §3.8"
        ),
        Row(
            7, 2, classes: [5],
            title: "Posting to this list not allowed",
            plain: "The sender is not allowed to send to the mailing list behind this address.",
            advice: "Ask the list owner about posting rights.",
            reference: "RFC 3463 §3.8"
        ),
        Row(
            7, 3, classes: [5],
            title: "Security conversion not possible",
            plain:
                "Delivery needed the message converted from one secure messaging format to another, and that cannot be done.",
            advice: "Send it in a format the recipient's side supports.",
            reference: "RFC 3463 §3.8"
        ),
        Row(
            7, 4, classes: [5],
            title: "Security feature not supported",
            plain:
                "The message or command asked for a security feature that the delivery protocol or server cannot provide.",
            advice: "Check what the server advertises in its EHLO reply.",
            reference: "RFC 3463 §3.8"
        ),
        Row(
            7, 5, classes: [4, 5],
            title: "Cryptographic failure",
            plain:
                "A system that should have verified or decrypted the message could not, because the key it needed was missing or invalid.",
            advice: "Check keys and certificates on both sides.",
            reference: "RFC 3463 §3.8"
        ),
        Row(
            7, 6, classes: [4, 5],
            title: "Cryptographic algorithm not supported",
            plain: "A system that should have verified or decrypted the message does not support the algorithm used.",
            advice: "Use an algorithm both sides support.",
            reference: "RFC 3463 §3.8"
        ),
        Row(
            7, 7, classes: [2, 4, 5],
            title: "Message integrity failure",
            plain: "Verification showed the message was damaged or altered on the way.",
            advice: "Look for systems that rewrite messages in transit.",
            reference: "RFC 3463 §3.8",
            success: Success(title: "Integrity verified", plain: "Verification showed the message arrived unaltered.")
        ),
        Row(
            7, 8, classes: [5],
            title: "Authentication credentials invalid",
            plain: "SMTP AUTH failed: wrong user name or password, or credentials that are not enough.",
            advice: "Re-check them and the mechanism; some providers want an app password or OAuth.",
            reference: "RFC 4954 §6"
        ),
        Row(
            7, 9, classes: [5],
            title: "Authentication mechanism too weak",
            plain: "The AUTH mechanism chosen is weaker than the server allows for this user.",
            advice: "Pick a stronger one from the AUTH line of the EHLO reply.",
            reference: "RFC 4954 §6"
        ),
        Row(
            7, 10, classes: [5],
            title: "Encryption needed",
            plain:
                "The server wants a secure channel before it accepts this authentication mechanism, typically a plaintext password.",
            advice: "Run STARTTLS (or use implicit TLS) first, or a stronger mechanism.",
            reference: "RFC 5248 §2.4"
        ),
        Row(
            7, 11, classes: [5],
            title: "Encryption required for this mechanism",
            plain: "The AUTH mechanism may only be used on an encrypted connection.",
            advice: "Start TLS before authenticating.",
            reference: "RFC 4954 §6"
        ),
        Row(
            7, 12, classes: [4],
            title: "Password transition needed",
            plain:
                "The account has to move to the selected authentication mechanism, usually by logging in once with PLAIN over TLS.",
            advice: "After that the chosen mechanism should work.",
            reference: "RFC 4954 §6"
        ),
        Row(
            7, 13, classes: [5],
            title: "Account disabled",
            plain: "Authentication worked, but the account is disabled, for instance for abuse or non-payment.",
            advice: "Retyping the password will not help; the account holder must contact the administrator.",
            reference: "RFC 5248 §2.4"
        ),
        Row(
            7, 14, classes: [5],
            title: "Trust relationship required",
            plain:
                "The submission server needs a configured trust relationship with a third-party server, such as the IMAP server used with BURL, to get the content.",
            advice: "The administrators must set it up.",
            reference: "RFC 5248 §2.4"
        ),
        Row(
            7, 15, classes: [4, 5],
            title: "Priority too low",
            plain:
                "The MT-PRIORITY given is below what the server accepts at the moment, for example while it only takes urgent mail.",
            advice: "Retry later, or with a higher priority if that is justified.",
            reference: "RFC 6710"
        ),
        Row(
            7, 16, classes: [4, 5],
            title: "Message too large for its priority",
            plain: "At the requested MT-PRIORITY the server only takes smaller messages.",
            advice: "Send a smaller message or use another priority.",
            reference: "RFC 6710"
        ),
        Row(
            7, 17, classes: [5],
            title: "Mailbox owner has changed",
            plain:
                "The sender asked, with RRVS, for delivery only if the mailbox kept one owner since a given time, and it did not.",
            advice: "The address now belongs to someone else; update your records.",
            reference: "RFC 7293"
        ),
        Row(
            7, 18, classes: [5],
            title: "Domain owner has changed",
            plain: "With RRVS, the receiver reports that the recipient's domain changed hands since the given time.",
            advice: "Recheck addresses at that domain before sending there again.",
            reference: "RFC 7293"
        ),
        Row(
            7, 19, classes: [5],
            title: "RRVS check not possible",
            plain:
                "The receiver cannot do the requested RRVS check because it kept no record of when the mailbox changed hands.",
            advice: "Decide whether to resend without the RRVS requirement.",
            reference: "RFC 7293"
        ),
        Row(
            7, 20, classes: [4, 5],
            title: "No passing DKIM signature",
            plain: "The message had no DKIM signature that verified, and the receiver requires one.",
            advice: "Check that outgoing mail is signed and that the public key is published in DNS.",
            reference: "RFC 7372 §3.1"
        ),
        Row(
            7, 21, classes: [4, 5],
            title: "No acceptable DKIM signature",
            plain:
                "At least one DKIM signature verified, but none met the receiver's policy, e.g. on which domains may sign.",
            advice: "Sign with a domain the receiver accepts, usually your own.",
            reference: "RFC 7372 §3.1"
        ),
        Row(
            7, 22, classes: [4, 5],
            title: "No DKIM signature matching the author",
            plain: "There were valid DKIM signatures, but none from a domain matching the address in the From: header.",
            advice: "Sign with the domain used in From:.",
            reference: "RFC 7372 §3.1"
        ),
        Row(
            7, 23, classes: [4, 5],
            title: "SPF check failed",
            plain:
                "The sending IP is not allowed by the SPF record of the envelope sender's domain, and the receiver rejects that.",
            advice: "Add the host to the SPF record or send through an authorized server.",
            reference: "RFC 7372 §3.2"
        ),
        Row(
            7, 24, classes: [4, 5],
            title: "SPF check error",
            plain:
                "Evaluating SPF produced an error, such as a DNS timeout (temporary) or a broken record (permanent).",
            advice: "Check the SPF record's syntax and its number of DNS lookups.",
            reference: "RFC 7372 §3.2"
        ),
        Row(
            7, 25, classes: [4, 5],
            title: "Reverse DNS check failed",
            plain:
                "The connecting IP has no PTR record, or its PTR name does not resolve back to it, and the receiver requires that.",
            advice: "Set matching reverse and forward DNS for the sending IP.",
            reference: "RFC 7372 §3.3"
        ),
        Row(
            7, 26, classes: [4, 5],
            title: "Several authentication checks failed",
            plain:
                "The message failed more than one authentication check, for example both SPF and DKIM as in a DMARC failure, without saying which.",
            advice: "Check SPF, DKIM and DMARC alignment.",
            reference: "RFC 7372 §3.4"
        ),
        Row(
            7, 27, classes: [5],
            title: "Sender domain has null MX",
            plain:
                "The envelope sender's domain publishes a null MX, so it cannot receive bounces, and the receiver refuses such mail.",
            advice: "Send from a domain that accepts mail, or drop the null MX.",
            reference: "RFC 7505 §6"
        ),
        Row(
            7, 28, classes: [4, 5],
            title: "Mail flood detected",
            plain:
                "The receiver sees this message as part of a flood of similar unwanted mail and is throttling or refusing it.",
            advice: "Slow down and look for compromised accounts, abused forms or list problems.",
            reference: "draft-levine-mailbomb-header"
        ),
        Row(
            7, 29, classes: [5],
            title: "ARC validation failed",
            plain: "The message's Authenticated Received Chain did not validate, and the receiver refuses it for that.",
            advice: "Check the forwarders or lists that add or change ARC headers on the way.",
            reference: "RFC 8617"
        ),
        Row(
            7, 30, classes: [5],
            title: "REQUIRETLS not supported downstream",
            plain:
                "The message was sent with REQUIRETLS, but no next-hop server offers REQUIRETLS over a verified TLS path, so it could not be passed on.",
            advice: "The sender must drop the requirement or use another route.",
            reference: "RFC 8689"
        ),
    ]
}
