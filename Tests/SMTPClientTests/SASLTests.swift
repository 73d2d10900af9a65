import Foundation
import NIOCore
import NIOSSL
import SMTPCore
import Testing

@testable import SMTPClient

@Suite struct SASLTests {
    @Test func plainIsNULSeparated() {
        #expect(SASL.plain(user: "tim", password: "tanstaaftanstaaf") == "AHRpbQB0YW5zdGFhZnRhbnN0YWFm")
    }

    /// RFC 2195 §2's example exchange.
    @Test func cramMD5MatchesRFC2195() {
        let challenge = Data("<1896.697170952@postoffice.reston.mci.net>".utf8).base64EncodedString()
        let response = SASL.cramMD5(user: "tim", password: "tanstaaftanstaaf", challenge: challenge)
        #expect(
            response.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }
                == "tim b913a602c7eda7a495b4e6e7334d3890")
        #expect(SASL.cramMD5(user: "tim", password: "x", challenge: "not base64!") == nil)
    }

    @Test func loginIsBase64AndXOAUTH2CarriesUserAndBearerToken() {
        #expect(SASL.login("alice") == "YWxpY2U=")
        #expect(
            Data(base64Encoded: SASL.xoauth2(user: "a@b.test", token: "tok")).map { Array($0) }
                == Array("user=a@b.test\u{1}auth=Bearer tok\u{1}\u{1}".utf8))
    }

    /// The client's mechanisms are exactly the knowledge table's rows.
    @Test func mechanismsMatchTheKnowledgeTable() {
        #expect(SASL.Mechanism.allCases.map(\.rawValue) == ExtensionTable.saslMechanisms.map(\.name))
    }

    /// Found by FuzzSASL: CRAM-MD5 answered a challenge whose length is not a multiple of four.
    @Test func cramMD5RefusesAChallengeThatIsNotBase64() {
        let challenge = "eyJzdGiFMXOd0iI0MdAkLCJzY2hlbWVzIjoiodHRwczovL21haWwuZ58vZ2xlLmNvbS8ifQ=="
        #expect(SASL.cramMD5(user: "tim", password: "x", challenge: challenge) == nil)
    }
}
