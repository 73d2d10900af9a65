import Foundation
import Testing

@testable import SMTPCore

/// A profile's values, the command line over them, and `@NAME[:PORT]`.
@Suite struct ProfileTests {
    static let submission = Profile(
        name: "submission", host: "mail.example.test", port: 587,
        settings: ProfileSettings(
            security: .starttls, caFile: "/home/alice/ca.pem", serverName: "mail.example.test", user: "alice",
            authMechanism: "PLAIN", heloName: "laptop.example.test", transcriptDirectory: "/home/alice/t"))

    @Test func theProfileAloneGivesItsOwnValues() {
        let (address, settings) = Self.submission.session(commandLine: ProfileSettings())
        #expect(address == ServerAddress(host: "mail.example.test", port: 587))
        #expect(settings == Self.submission.settings)
    }

    @Test func eachCommandLineValueOverridesOnlyItsKey() {
        let commandLine = ProfileSettings(serverName: "other.example.test", user: "bob")
        let (_, settings) = Self.submission.session(commandLine: commandLine)
        #expect(settings.serverName == "other.example.test")
        #expect(settings.user == "bob")
        #expect(settings.caFile == "/home/alice/ca.pem")
        #expect(settings.security == .starttls)
        #expect(settings.authMechanism == "PLAIN")
        #expect(settings.heloName == "laptop.example.test")
    }

    @Test(arguments: [
        (ProfileSettings.Security.implicit, ProfileSettings.Security.implicit),
        (.plaintext, .plaintext),
    ])
    func theCommandLinesTLSChoiceReplacesTheProfiles(
        given: ProfileSettings.Security, expected: ProfileSettings.Security
    ) {
        let (_, settings) = Self.submission.session(commandLine: ProfileSettings(security: given))
        #expect(settings.security == expected)
    }

    @Test func aPortAfterTheNameOverridesTheProfilesPort() {
        let (address, _) = Self.submission.session(commandLine: ProfileSettings(), port: 2525)
        #expect(address == ServerAddress(host: "mail.example.test", port: 2525))
    }

    @Test(arguments: [
        (ProfileSettings(), 25),
        (ProfileSettings(security: .implicit), 465),
        (ProfileSettings(speaksLMTP: true), 24),
        (ProfileSettings(security: .implicit, speaksLMTP: true), 465),
    ])
    func withoutAPortTheDefaultFollowsTheMergedSettings(commandLine: ProfileSettings, port: Int) {
        let profile = Profile(name: "lab", host: "127.0.0.1")
        #expect(profile.session(commandLine: commandLine).address.port == port)
    }

    @Test func anIPv6HostAndASocketPathBecomeTheirAddresses() {
        let v6 = Profile(name: "v6", host: "[::1]", port: 2525)
        #expect(v6.session(commandLine: ProfileSettings()).address == ServerAddress(host: "::1", port: 2525))
        let socket = Profile(name: "lmtp", host: "/run/dovecot/lmtp", settings: ProfileSettings(speaksLMTP: true))
        #expect(
            socket.session(commandLine: ProfileSettings()).address
                == ServerAddress(unixSocketPath: "/run/dovecot/lmtp"))
    }

    @Test func transcriptsAreNamedByProfileAndUTCTime() {
        // 2026-12-01 09:30:00 UTC
        let time = 1_796_117_400.75
        #expect(
            Self.submission.transcriptPath(startedAt: time, format: .text)
                == "/home/alice/t/submission-20261201T093000Z.txt")
        #expect(
            Self.submission.transcriptPath(startedAt: time, format: .jsonl, attempt: 2)
                == "/home/alice/t/submission-20261201T093000Z-2.jsonl")
        #expect(Profile(name: "lab", host: "x").transcriptPath(startedAt: time, format: .text) == nil)
    }

    @Test(arguments: [
        ("@lab", ProfileReference(name: "lab")),
        ("@lab:2525", ProfileReference(name: "lab", port: 2525)),
        (" @my-server.2 ", ProfileReference(name: "my-server.2")),
    ])
    func referencesParse(text: String, expected: ProfileReference) throws {
        #expect(try ProfileReference(parsing: text) == expected)
    }

    @Test(arguments: ["@", "@lab:0", "@lab:x", "@a b", "lab"])
    func badReferencesAreRefused(text: String) {
        #expect(throws: ProfileError.self) { try ProfileReference(parsing: text) }
    }

    @Test func anUnknownProfileListsTheKnownNames() {
        let book = ProfileBook(
            profiles: [Profile(name: "submission", host: "a"), Profile(name: "lab", host: "b")], source: "/c.toml")
        #expect(book.names == ["lab", "submission"])
        #expect(
            throws: ProfileError.unknownProfile(
                "nope", known: ["lab", "submission"], source: "/c.toml", sourceExists: true)
        ) {
            try book.profile(named: "nope")
        }
        let error = ProfileError.unknownProfile(
            "nope", known: ["lab", "submission"], source: "/c.toml", sourceExists: true)
        #expect(error.description == "no profile 'nope' in /c.toml; known: lab, submission")
        #expect(
            ProfileError.unknownProfile("x", known: [], source: "/c.toml", sourceExists: false).description
                == "no profile 'x': there is no config file /c.toml (see PROFILES in ehlo(1))")
    }

    @Test func completionsAreTheNamesWithTheirAt() {
        let book = ProfileBook(profiles: [Profile(name: "lab", host: "a"), Profile(name: "lab2", host: "b")])
        #expect(book.completions(for: "") == ["@lab", "@lab2"])
        #expect(book.completions(for: "@lab2") == ["@lab2"])
        #expect(book.completions(for: "@x") == [])
    }

    @Test(
        arguments: [
            ("mail.example.test", nil),
            ("127.0.0.1", nil),
            ("::1", nil),
            ("[::1]", nil),
            ("/run/lmtp", nil),
            ("mail.example.test:587", "host 'mail.example.test:587' names a port: write the port as port = 587"),
            ("[::1]:25", "host '[::1]:25' names a port: write the port as port = 25"),
        ] as [(String, String?)])
    func hostsAreChecked(host: String, problem: String?) {
        #expect(Profile.hostProblem(host) == problem)
    }

    @Test func misspeltKeysGetASuggestion() {
        #expect(ProfileKeyTable.suggestion(for: "hots") == "host")
        #expect(ProfileKeyTable.suggestion(for: "StartTLS") == "starttls")
        #expect(ProfileKeyTable.suggestion(for: "transcript") == "transcripts")
        #expect(ProfileKeyTable.suggestion(for: "colour") == nil)
    }
}
