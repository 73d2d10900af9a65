import SMTPCore
import XCTest

@testable import SMTPClient

final class SASLTests: XCTestCase {
    func testPlainIsNULSeparated() {
        XCTAssertEqual(SASL.plain(user: "tim", password: "tanstaaftanstaaf"), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm")
    }

    /// RFC 2195 §2's example exchange.
    func testCRAMMD5MatchesRFC2195() {
        let challenge = Data("<1896.697170952@postoffice.reston.mci.net>".utf8).base64EncodedString()
        let response = SASL.cramMD5(user: "tim", password: "tanstaaftanstaaf", challenge: challenge)
        XCTAssertEqual(
            response.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) },
            "tim b913a602c7eda7a495b4e6e7334d3890")
        XCTAssertNil(SASL.cramMD5(user: "tim", password: "x", challenge: "not base64!"))
    }

    func testLoginAndXOAUTH2() {
        XCTAssertEqual(SASL.login("alice"), "YWxpY2U=")
        XCTAssertEqual(
            Data(base64Encoded: SASL.xoauth2(user: "a@b.test", token: "tok")).map { Array($0) },
            Array("user=a@b.test\u{1}auth=Bearer tok\u{1}\u{1}".utf8))
    }

    /// The client's mechanisms are exactly the knowledge table's rows.
    func testMechanismsMatchTheTable() {
        XCTAssertEqual(SASL.Mechanism.allCases.map(\.rawValue), ExtensionTable.saslMechanisms.map(\.name))
    }
}
