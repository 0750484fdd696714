import Foundation
import Testing

@testable import Accounts

@Suite struct EmailAddressTests {
    @Test func trimsAndComparesCaseInsensitively() throws {
        let email = try EmailAddress("  Ada.Lovelace@Example.COM \n")
        #expect(email.value == "Ada.Lovelace@Example.COM")
        #expect(email.normalized == "ada.lovelace@example.com")
    }

    @Test(arguments: [
        "", "plainaddress", "@example.com", "a@b", "a@@b.com", "a b@example.com", "a@example..com",
        "a@example.com\u{0}", String(repeating: "x", count: 250) + "@example.com",
    ])
    func rejectsMalformedAddresses(_ raw: String) {
        #expect(throws: AccountsError.self) { try EmailAddress(raw) }
    }
}

@Suite struct PasswordPolicyTests {
    let policy = PasswordPolicy(commonPasswords: CommonPasswords.parse("# comment\npassword\nqwerty\nletmein\n"))
    let email = try! EmailAddress("customer@example.com")

    @Test func acceptsALongUncommonPassphrase() throws {
        try policy.check("violet tugboat nine", email: email)
        try policy.check(
            (0..<40).map { String($0 * 7919 % 1000 + $0) }.joined(separator: "-").prefix(128).description, email: email)
    }

    @Test func refusesShortAndOverlongPasswords() {
        #expect(throws: AccountsError.self) { try policy.check("short1!", email: email) }
        #expect(throws: AccountsError.self) { try policy.check(String(repeating: "abcd", count: 33), email: email) }
    }

    @Test(arguments: [
        "Password2024!", "passwordpassword", "QWERTY123456", "letmein!!!!!!", "123456789012", "abcdefghijklm",
        "aaaaaaaaaaaa", "abababababab", "customer@example.com",
    ])
    func refusesCommonAndPredictablePasswords(_ password: String) {
        #expect(throws: AccountsError.self) { try policy.check(password, email: email) }
    }

    @Test func theShippedListIsLoaded() {
        #expect(CommonPasswords.shipped.count > 100)
        #expect(CommonPasswords.shipped.contains("password"))
        #expect(throws: AccountsError.self) { try PasswordPolicy.standard.check("iloveyou2025", email: nil) }
    }

    @Test func errorsNameTheField() {
        do {
            try policy.check("short", email: nil, field: "newPassword")
            Issue.record("expected an error")
        } catch {
            #expect(error.fieldErrors.first?.field == "newPassword")
        }
    }
}

@Suite struct DisplayNameTests {
    @Test func trimsAndLimits() throws {
        #expect(try DisplayName("  Ada  ").value == "Ada")
        #expect(throws: AccountsError.self) { try DisplayName("   ") }
        #expect(throws: AccountsError.self) { try DisplayName(String(repeating: "x", count: 101)) }
        #expect(throws: AccountsError.self) { try DisplayName("bell\u{7}") }
        #expect(try DisplayName("Robert'); DROP TABLE accounts;--").value.hasPrefix("Robert"))
    }
}
