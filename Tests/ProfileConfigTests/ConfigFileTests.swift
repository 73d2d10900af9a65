import Foundation
import Testing

@testable import ProfileConfig
@testable import SMTPCore

/// The config file's text into profiles, and each way it can be wrong, with its line.
@Suite struct ConfigFileTests {
    static let path = "/home/alice/.config/ehlo/config.toml"

    static func parse(_ text: String) throws(ConfigError) -> ProfileBook {
        try ConfigFile.parse(text, path: path, home: "/home/alice")
    }

    /// The error `text` gives; fails the test when it parses.
    static func error(_ text: String) -> ConfigError? {
        do {
            _ = try parse(text)
            Issue.record("parsed without an error:\n\(text)")
            return nil
        } catch {
            return error
        }
    }

    @Test func everyKeyIsRead() throws {
        let book = try Self.parse(
            """
            # Sending mail as alice.
            [profile.submission]
            host = "mail.example.test"
            port = 587
            starttls = true
            cafile = "~/ca.pem"
            sni = "mx.example.test"
            user = "alice"
            auth = "plain"
            helo = "laptop.example.test"
            transcripts = "~/ehlo-transcripts"
            lmtp = false
            """)
        #expect(book.names == ["submission"])
        #expect(book.source == Self.path)
        let profile = try book.profile(named: "submission")
        #expect(profile.host == "mail.example.test")
        #expect(profile.port == 587)
        #expect(
            profile.settings
                == ProfileSettings(
                    security: .starttls, caFile: "/home/alice/ca.pem", serverName: "mx.example.test", user: "alice",
                    authMechanism: "PLAIN", heloName: "laptop.example.test",
                    transcriptDirectory: "/home/alice/ehlo-transcripts", speaksLMTP: false))
    }

    @Test func profilesMayBeWrittenInEveryTOMLForm() throws {
        let book = try Self.parse(
            """
            [profile]
            inline = { host = "b.test", tls = true }
            dotted.host = "a.test"
            [profile."quoted"]
            host = "c.test"
            """)
        #expect(book.names == ["dotted", "inline", "quoted"])
        #expect(try book.profile(named: "inline").settings.security == .implicit)
    }

    @Test func relativePathsAreTakenFromTheFilesFolder() throws {
        let book = try Self.parse(
            """
            [profile.lab]
            host = "./lmtp.sock"
            cafile = "certs/ca.pem"
            transcripts = "/var/log/ehlo"
            """)
        let lab = try book.profile(named: "lab")
        #expect(lab.host == "/home/alice/.config/ehlo/lmtp.sock")
        #expect(lab.settings.caFile == "/home/alice/.config/ehlo/certs/ca.pem")
        #expect(lab.settings.transcriptDirectory == "/var/log/ehlo")
    }

    @Test func anEmptyFileHasNoProfiles() throws {
        #expect(try Self.parse("# nothing yet\n").names == [])
    }

    @Test func aSyntaxErrorNamesItsLineAndColumn() throws {
        let error = try #require(
            Self.error(
                """
                [profile.lab]
                host = "127.0.0.1"
                port = = 25
                """))
        #expect(error.line == 3)
        #expect(error.column != nil)
        guard case .syntax = error.problem else {
            Issue.record("not a syntax error: \(error)")
            return
        }
        #expect(error.description.hasPrefix("\(Self.path):3:"))
        #expect(error.description.contains("not valid TOML"))
    }

    @Test func anUnknownKeyNamesItsLineAndTheKnownKeys() throws {
        let error = try #require(
            Self.error(
                """
                [profile.lab]
                host = "127.0.0.1"

                hots = "x"
                """))
        #expect(error.line == 4)
        #expect(error.problem == .unknownKey(profile: "lab", key: "hots", suggestion: "host"))
        #expect(
            error.description
                == "\(Self.path):4: profile lab: unknown key 'hots' (did you mean 'host'?); known keys: host, port, starttls, tls, cafile, sni, user, auth, helo, transcripts, lmtp"
        )
    }

    @Test func aWrongTypeNamesItsLineAndBothTypes() throws {
        let error = try #require(
            Self.error(
                """
                [profile.lab]
                host = "127.0.0.1"
                port = "2525"
                """))
        #expect(error.line == 3)
        #expect(error.description == "\(Self.path):3: profile lab: port must be an integer, not a string")
    }

    @Test func aPasswordIsRefusedWithTheReason() throws {
        let error = try #require(
            Self.error(
                """
                [profile.lab]
                host = "127.0.0.1"
                user = "student"
                password = "practice"
                """))
        #expect(error.line == 4)
        #expect(error.problem == .passwordRefused(profile: "lab", key: "password"))
        #expect(error.message.contains("a secret does not belong in a config file"))
        #expect(error.message.contains("--password-file"))
    }

    @Test func tlsAndStartTLSTogetherAreRefusedAtTheLaterLine() throws {
        let error = try #require(
            Self.error(
                """
                [profile.lab]
                tls = true
                host = "127.0.0.1"
                starttls = true
                """))
        #expect(error.line == 4)
        #expect(error.problem == .tlsAndStartTLS(profile: "lab"))
    }

    @Test func aMissingHostNamesTheProfilesHeader() throws {
        let error = try #require(
            Self.error(
                """
                [profile.lab]
                host = "127.0.0.1"

                [profile.other]
                port = 25
                """))
        #expect(error.line == 4)
        #expect(error.description == "\(Self.path):4: profile other: no host; every profile needs host = \"…\"")
    }

    @Test func theFirstProblemInTheFileIsTheOneReported() throws {
        let error = try #require(
            Self.error(
                """
                [profile.b]
                host = "b.test"
                colour = "red"
                [profile.a]
                host = "a.test"
                port = 70000
                """))
        #expect(error.line == 3)
    }

    @Test(arguments: [
        ("[profile.lab]\nhost = \"a.test:25\"\n", 2, "host 'a.test:25' names a port: write the port as port = 25"),
        ("[profile.lab]\nhost = \"a.test\"\nport = 0\n", 3, "port 0 is not a port number (1–65535)"),
        ("[profile.lab]\nhost = \"a.test\"\nauth = \"gssapi\"\n", 3, "auth 'gssapi' is not a mechanism ehlo speaks"),
        ("[profile.lab]\nhost = \"\"\n", 2, "host is empty"),
        ("[profile.lab]\nhost = \"/run/sock\"\nport = 24\n", 3, "a socket has no port"),
        ("[profile.\"a b\"]\nhost = \"a.test\"\n", 1, "may hold only letters, digits"),
        ("profile = 3\n", 1, "'profile' must be a table"),
        ("[profile]\nlab = \"a.test\"\n", 2, "'profile.lab' must be a table"),
        ("[profiles.lab]\nhost = \"a.test\"\n", 1, "unknown key 'profiles'"),
    ])
    func badValuesNameTheirLine(text: String, line: Int, words: String) throws {
        let error = try #require(Self.error(text))
        #expect(error.line == line)
        #expect(error.message.contains(words), "\(error)")
    }

    @Test func theDefaultPathFollowsTheXDGBaseDirectorySpecification() {
        #expect(
            ConfigFile.defaultPath(environment: ["XDG_CONFIG_HOME": "/x/config", "HOME": "/home/a"])
                == "/x/config/ehlo/config.toml")
        #expect(ConfigFile.defaultPath(environment: ["HOME": "/home/a"]) == "/home/a/.config/ehlo/config.toml")
        // Relative or empty: ignored, as the specification says.
        #expect(
            ConfigFile.defaultPath(environment: ["XDG_CONFIG_HOME": "rel", "HOME": "/home/a"])
                == "/home/a/.config/ehlo/config.toml")
        #expect(
            ConfigFile.defaultPath(environment: ["XDG_CONFIG_HOME": "", "HOME": "/home/a"])
                == "/home/a/.config/ehlo/config.toml")
    }

    @Test func aMissingDefaultFileIsNoProfilesButAMissingNamedFileIsAnError() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ehlo-config-\(UUID())").path
        let book = try ConfigFile.load(explicitPath: nil, environment: ["XDG_CONFIG_HOME": folder])
        #expect(book.names == [] && !book.sourceExists)
        #expect(throws: ConfigError.self) {
            try ConfigFile.load(explicitPath: folder + "/nope.toml", environment: [:])
        }
    }
}
