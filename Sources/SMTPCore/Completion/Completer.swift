/// What the session offers to Tab completion. The console refreshes it after every reply, so
/// completing never needs the network.
public struct CompletionContext: Sendable {
    public var legalVerbs: [SMTPVerb]
    public var capabilities: EHLOCapabilities?
    /// Addresses used earlier in this run, most recent first.
    public var addresses: [String]
    /// The domain to offer after EHLO and HELO (`--helo`, else this host's name).
    public var heloName: String?
    /// The config file's profiles, offered as `@NAME` after `/connect`.
    public var profileNames: [String]
    /// The practice server's domain, when the session is with it (its greeting said so): its lab
    /// mailboxes (`LabMailboxTable`) are offered after `RCPT TO:<`.
    public var labDomain: String?

    public init(
        legalVerbs: [SMTPVerb] = [], capabilities: EHLOCapabilities? = nil, addresses: [String] = [],
        heloName: String? = nil, profileNames: [String] = [], labDomain: String? = nil
    ) {
        self.legalVerbs = legalVerbs
        self.capabilities = capabilities
        self.addresses = addresses
        self.heloName = heloName
        self.profileNames = profileNames
        self.labDomain = labDomain
    }

    public init(
        session: SessionStateMachine, addresses: [String], heloName: String? = nil, profileNames: [String] = [],
        labDomain: String? = nil
    ) {
        self.init(
            legalVerbs: session.legalCommands.map(\.verb), capabilities: session.capabilities, addresses: addresses,
            heloName: heloName, profileNames: profileNames, labDomain: labDomain)
    }
}

/// What kind of word may come at the cursor (pure syntax; pgcli's `suggest_type`).
public enum Suggestion: Hashable, Sendable {
    case verb
    /// A verb as the argument of HELP: no trailing space.
    case verbName
    case consoleCommand
    case pathKeyword(String)
    case address(closing: Bool)
    /// The address after `RCPT TO:<`: addresses used before, then the lab's mailboxes.
    case recipient
    case parameter(SMTPVerb)
    case parameterValue(keyword: String, verb: SMTPVerb)
    case authMechanism
    case heloDomain
    /// `@NAME` after `/connect`: a profile of the config file.
    case profileName
    case choice([String])
    case filePath
    case helpTopic
    case code
}

/// The result of completing the word before the cursor.
public struct Completion: Hashable, Sendable {
    /// The part of the line the candidates replace (the word being typed).
    public var word: String
    /// Full replacements for `word`; a trailing space means the word is complete.
    public var candidates: [String]
    /// For `.filePath`: the console lists the files, since the core has no file system.
    public var needsFilePaths: Bool

    public init(word: String, candidates: [String], needsFilePaths: Bool = false) {
        self.word = word
        self.candidates = candidates
        self.needsFilePaths = needsFilePaths
    }

    /// The longest prefix the candidates share (what Tab can insert when several match).
    public var commonPrefix: String {
        guard var prefix = candidates.first else { return word }
        for candidate in candidates.dropFirst() {
            while !candidate.hasPrefix(prefix) { prefix.removeLast() }
        }
        return prefix
    }
}

public enum Completer {
    /// RFC 4422 §3.1's `sasl-mech`: 1 to 20 upper-case letters, digits, hyphens and underscores.
    static func isMechanismName(_ name: String) -> Bool {
        (1...20).contains(name.utf8.count)
            && name.utf8.allSatisfy {
                (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D || $0 == 0x5F
            }
    }

    /// What may be typed at the end of `text`, and the word being typed there.
    public static func suggest(_ text: String) -> (suggestion: Suggestion?, word: String) {
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let endsInSpace = text.last == " "
        let word = endsInSpace ? "" : (words.last ?? "")
        let index = endsInSpace ? words.count : max(words.count - 1, 0)

        if index == 0 {
            return (word.hasPrefix("/") ? .consoleCommand : .verb, word)
        }
        let first = words[0]
        if first.hasPrefix("/") {
            guard index == 1, let row = ConsoleCommandTable.row(String(first.dropFirst())) else { return (nil, word) }
            switch row.argument {
            case .filePath: return (.filePath, word)
            case .choice(let options): return (.choice(options), word)
            case .helpTopic: return (.helpTopic, word)
            case .code: return (.code, word)
            case .host where word.isEmpty || word.hasPrefix("@"): return (.profileName, word)
            default: return (nil, word)
            }
        }
        guard let verb = SMTPVerb(rawValue: first.uppercased()) else { return (nil, word) }
        switch verb {
        case .mail, .rcpt:
            let keyword = verb == .mail ? "FROM:" : "TO:"
            if index == 1 {
                let upper = word.uppercased()
                if upper.hasPrefix(keyword + "<") {
                    let addressStart = word.index(word.firstIndex(of: "<")!, offsetBy: 1)
                    return (verb == .rcpt ? .recipient : .address(closing: true), String(word[addressStart...]))
                }
                return (.pathKeyword(keyword + "<"), word)
            }
            if let equals = word.firstIndex(of: "=") {
                return (
                    .parameterValue(keyword: word[..<equals].uppercased(), verb: verb),
                    String(word[word.index(after: equals)...])
                )
            }
            return (.parameter(verb), word)
        case .auth:
            return index == 1 ? (.authMechanism, word) : (nil, word)
        case .ehlo, .helo:
            return index == 1 ? (.heloDomain, word) : (nil, word)
        case .vrfy, .expn:
            return index == 1 ? (.address(closing: false), word) : (nil, word)
        case .help:
            return index == 1 ? (.verbName, word) : (nil, word)
        default:
            return (nil, word)
        }
    }

    /// Candidates for the word before the cursor, from the session's context.
    public static func complete(_ text: String, context: CompletionContext) -> Completion {
        let (suggestion, word) = suggest(text)
        guard let suggestion else { return Completion(word: word, candidates: []) }
        let lowercase = !word.isEmpty && word == word.lowercased() && word != word.uppercased()
        func matching(_ options: [String]) -> [String] {
            var seen = Set<String>()
            return options.filter { $0.uppercased().hasPrefix(word.uppercased()) && seen.insert($0).inserted }
        }
        func cased(_ option: String) -> String { lowercase ? option.lowercased() : option }

        switch suggestion {
        case .verb, .verbName:
            // Verbs legal now come first, in table order; the rest follow.
            let ordered = context.legalVerbs + SMTPVerb.allCases.filter { !context.legalVerbs.contains($0) }
            let names = ordered.map { verb in
                let takesArgument = CommandTable.spec(verb).syntax.contains(" ")
                return suggestion == .verb && takesArgument ? verb.rawValue + " " : verb.rawValue
            }
            return Completion(word: word, candidates: matching(names).map(cased))
        case .consoleCommand:
            let names = ConsoleCommandTable.rows.map { $0.arguments.isEmpty ? "/\($0.name)" : "/\($0.name) " }
            return Completion(word: word, candidates: matching(names))
        case .pathKeyword(let keyword):
            return Completion(word: word, candidates: matching([keyword]).map(cased))
        case .address(let closing):
            return Completion(
                word: word, candidates: matchingAddresses(context.addresses, word: word, closing: closing))
        case .recipient:
            let lab = context.labDomain.map { domain in LabMailboxTable.rows.map { "\($0.localPart)@\(domain)" } } ?? []
            return Completion(
                word: word, candidates: matchingAddresses(context.addresses + lab, word: word, closing: true))
        case .parameter(let verb):
            let advertised = ExtensionTable.parameters.filter { parameter in
                parameter.verb == verb && context.capabilities?.has(parameter.extensionKeyword) == true
            }
            let names = advertised.map { $0.takesValue ? $0.keyword + "=" : $0.keyword + " " }
            return Completion(word: word, candidates: matching(names))
        case .parameterValue(let keyword, let verb):
            guard let parameter = ExtensionTable.parameter(keyword, of: verb) else {
                return Completion(word: word, candidates: [])
            }
            var values = parameter.values
            if keyword == "BODY", context.capabilities?.has("BINARYMIME") == true { values.append("BINARYMIME") }
            if keyword == "SIZE", let limit = context.capabilities?.maximumMessageSize { values = [String(limit)] }
            return Completion(word: word, candidates: matching(values).map { $0 + " " })
        case .authMechanism:
            // RFC 4422 §3.1: a mechanism name is 1 to 20 of A-Z, 0-9, - and _; anything else the
            // server listed is not offered, so completion never types its bytes onto the terminal.
            let offered = (context.capabilities?.authMechanisms ?? []).filter(isMechanismName)
            let mechanisms = offered.isEmpty ? ExtensionTable.saslMechanisms.map(\.name) : offered
            return Completion(word: word, candidates: matching(mechanisms).map { $0 + " " })
        case .choice(let options):
            return Completion(word: word, candidates: matching(options).map { $0 + " " })
        case .heloDomain:
            return Completion(word: word, candidates: matching(context.heloName.map { [$0] } ?? []))
        case .profileName:
            // Names are matched as typed: a profile's name is case-sensitive, as TOML keys are.
            let names = context.profileNames.map { "@" + $0 }
            return Completion(
                word: word, candidates: names.filter { $0.hasPrefix(word.isEmpty ? "@" : word) }.map { $0 + " " })
        case .filePath:
            return Completion(word: word, candidates: [], needsFilePaths: true)
        case .helpTopic:
            let topics =
                ConsoleCommandTable.topics + SMTPVerb.allCases.map { $0.rawValue.lowercased() }
                + ConsoleCommandTable.rows.map { "/" + $0.name }
            return Completion(word: word, candidates: matching(topics))
        case .code:
            return Completion(word: word, candidates: matching(ReplyCodeTable.rows.map { String($0.code) }))
        }
    }
}

/// The addresses that `word` starts, ignoring case, each once, with `>` after each when `closing`.
///
/// Thousands of addresses after a long session: each is matched without a copy of it.
func matchingAddresses(_ addresses: [String], word: String, closing: Bool) -> [String] {
    let typed = Array(word.utf8)
    var seen = Set<String>()
    var candidates: [String] = []
    for address in addresses where hasCaseInsensitivePrefix(address, typed, closing: closing) {
        if seen.insert(address).inserted { candidates.append(closing ? address + ">" : address) }
    }
    return candidates
}

/// Whether `typed` starts `address` (followed by `>` when `closing`), ignoring ASCII case, as
/// `lowercased().hasPrefix` would for ASCII; other text is compared that way.
func hasCaseInsensitivePrefix(_ address: String, _ typed: [UInt8], closing: Bool) -> Bool {
    var octets = address.utf8.makeIterator()
    var isClosed = false
    for expected in typed {
        let octet: UInt8
        if let next = octets.next() {
            octet = next
        } else if closing, !isClosed {
            isClosed = true
            octet = UInt8(ascii: ">")
        } else {
            return false
        }
        if octet >= 0x80 || expected >= 0x80 {
            let full = closing ? address + ">" : address
            return full.lowercased().hasPrefix(String(decoding: typed, as: UTF8.self).lowercased())
        }
        if lowercaseASCII(octet) != lowercaseASCII(expected) { return false }
    }
    return true
}

private func lowercaseASCII(_ octet: UInt8) -> UInt8 {
    (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(octet) ? octet + 32 : octet
}
