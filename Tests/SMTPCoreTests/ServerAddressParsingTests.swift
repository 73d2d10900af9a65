import SMTPCore
import Testing

/// `ServerAddress` from what a user types: TCP `HOST[:PORT]` and UNIX-domain socket paths.
@Suite struct ServerAddressParsingTests {
    @Test(arguments: [
        ("mx.example.test", "mx.example.test", 25),
        ("127.0.0.1:2525", "127.0.0.1", 2525),
        ("[::1]:25", "::1", 25),
        ("[::1]", "::1", 25),
        ("::1", "::1", 25),
        ("localhost:24", "localhost", 24),
        ("  host:587 ", "host", 587),
    ])
    func tcpAddressesParseAsBefore(text: String, host: String, port: Int) throws {
        let address = try ServerAddress(parsing: text, defaultPort: 25)
        #expect(address.endpoint == .tcp(host: host, port: port))
        #expect(address.host == host)
        #expect(address.port == port)
        #expect(!address.isUnixSocket)
        #expect(address.socketPath == nil)
    }

    @Test(arguments: [
        ("unix:/tmp/a b", "/tmp/a b"),
        ("/tmp/lmtp", "/tmp/lmtp"),
        ("/var/run/dovecot/lmtp", "/var/run/dovecot/lmtp"),
        ("./sock", "./sock"),
        ("../run/sock", "../run/sock"),
        ("~/mail/lmtp", "~/mail/lmtp"),
        ("unix:sock", "sock"),
        ("unix:25", "25"),
        ("unix:/tmp/x:25", "/tmp/x:25"),
        ("/tmp/[x]:1", "/tmp/[x]:1"),
        ("  /tmp/lmtp ", "/tmp/lmtp"),
    ])
    func pathsParseAsSockets(text: String, path: String) throws {
        let address = try ServerAddress(parsing: text, defaultPort: 25)
        #expect(address.endpoint == .unixSocket(path: path))
        #expect(address.socketPath == path)
        #expect(address.isUnixSocket)
        #expect(address.port == 0)
    }

    /// `host` of a socket is a short name to show; the path is what connects.
    @Test(arguments: [
        ("/var/run/dovecot/lmtp", "lmtp"), ("./sock", "sock"), ("sock", "sock"), ("/tmp/dir/", "dir"), ("/", "/"),
    ])
    func socketHostIsThePathsLastComponent(path: String, host: String) {
        #expect(ServerAddress(unixSocketPath: path).host == host)
    }

    @Test(arguments: [
        ("", ServerAddress.ParseError.empty),
        ("   ", .empty),
        (":25", .empty),
        ("host:0", .badPort("0")),
        ("host:70000", .badPort("70000")),
        ("host:smtp", .badPort("smtp")),
        ("host:", .badPort("")),
        ("host:-1", .badPort("-1")),
        ("[::1]:0", .badPort("0")),
        ("[::1]:", .badPort("")),
        ("[::1]x", .badPort("x")),
        ("[::1", .unclosedBracket("[::1")),
        ("unix:", .emptySocketPath),
    ])
    func rejectsWithTheReason(text: String, error: ServerAddress.ParseError) {
        #expect(throws: error) { try ServerAddress(parsing: text, defaultPort: 25) }
    }

    @Test(arguments: [
        (ServerAddress(host: "mx.example.test", port: 25), "mx.example.test:25"),
        (ServerAddress(host: "::1", port: 25), "[::1]:25"),
        (ServerAddress(unixSocketPath: "/run/lmtp"), "/run/lmtp"),
        (ServerAddress(unixSocketPath: "/tmp/a b"), "/tmp/a b"),
        (ServerAddress(unixSocketPath: "./sock"), "./sock"),
        (ServerAddress(unixSocketPath: "~/sock"), "~/sock"),
        (ServerAddress(unixSocketPath: "sock"), "unix:sock"),
        (ServerAddress(unixSocketPath: "25"), "unix:25"),
        (ServerAddress(unixSocketPath: " lead"), "unix: lead"),
    ])
    func descriptionParsesBackToTheSameAddress(address: ServerAddress, description: String) throws {
        #expect(address.description == description)
        #expect(try ServerAddress(parsing: address.description, defaultPort: 2525) == address)
    }

    @Test(arguments: ["mx.test", "mx.test:587", "[::1]:25", "::1", "unix:/tmp/a b", "/tmp/lmtp", "./sock", "unix:s"])
    func typedTextRoundTrips(text: String) throws {
        let address = try ServerAddress(parsing: text, defaultPort: 25)
        #expect(try ServerAddress(parsing: address.description, defaultPort: 25) == address)
    }

    @Test func socketAndTCPAddressesDiffer() {
        #expect(ServerAddress(unixSocketPath: "/run/lmtp") != ServerAddress(host: "lmtp", port: 0))
    }
}
