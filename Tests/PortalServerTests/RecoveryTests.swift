import Foundation
import HTTPTypes
import PortalTestSupport
import Testing

/// Recovery really recovers: a password change or reset, an e-mail change and disabling cancel every pending
/// one-time token, and the account's (old) address is told about a password or address change.
@Suite struct RecoveryTests {
    /// Mails a reset token to `email` and starts an e-mail change (whose token goes to a new address); both
    /// tokens, and the new address.
    func pendingTokens(_ portal: TestPortal, email: String, access: String) async throws -> (
        reset: String, change: String, newEmail: String
    ) {
        #expect(try await portal.request(.post, "/v1/password-resets", json: ["email": email]).status == .accepted)
        let reset = try await portal.mailedToken(to: email)
        let newEmail = "moved-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        let change = try await portal.request(
            .post, "/v1/me/email", json: ["newEmail": newEmail, "password": TestPortal.password], token: access)
        #expect(change.status == .accepted, "\(change.text)")
        return (reset, try await portal.mailedToken(to: newEmail), newEmail)
    }

    func templates(_ portal: TestPortal, to email: String) async throws -> [String] {
        let reply = try await portal.request(.get, "/dev/outbox?to=\(email)")
        return (reply.json["messages"] as? [[String: Any]] ?? []).compactMap { $0["template"] as? String }
    }

    func resetWorks(_ portal: TestPortal, _ token: String) async throws -> Bool {
        try await portal.request(
            .post, "/v1/password-resets/confirm", json: ["token": token, "newPassword": "a brand new passphrase"]
        ).status == .noContent
    }

    func changeWorks(_ portal: TestPortal, _ token: String) async throws -> Bool {
        try await portal.request(.post, "/v1/email-verifications", json: ["token": token]).status == .ok
    }

    @Test func aPasswordChangeCancelsPendingTokensAndTellsTheAddress() async throws {
        try await withTestPortal { portal in
            let email = try await portal.signUp()
            let session = try await portal.logIn(email)
            let pending = try await pendingTokens(portal, email: email, access: session.access)
            let changed = try await portal.request(
                .post, "/v1/me/password",
                json: ["currentPassword": TestPortal.password, "newPassword": "changed passphrase"],
                token: session.access)
            #expect(changed.status == .noContent)
            #expect(try await templates(portal, to: email).first == "password-changed")
            #expect(try await !resetWorks(portal, pending.reset))
            #expect(try await !changeWorks(portal, pending.change))
        }
    }

    @Test func aResetCancelsEveryOtherPendingTokenAndTellsTheAddress() async throws {
        try await withTestPortal { portal in
            let email = try await portal.signUp()
            let session = try await portal.logIn(email)
            let pending = try await pendingTokens(portal, email: email, access: session.access)
            #expect(try await resetWorks(portal, pending.reset))
            #expect(try await templates(portal, to: email).first == "password-changed")
            #expect(try await !changeWorks(portal, pending.change))
        }
    }

    @Test func anEmailChangeCancelsWhatWasMailedToTheOldAddressAndTellsIt() async throws {
        try await withTestPortal { portal in
            let email = try await portal.signUp()
            let session = try await portal.logIn(email)
            let pending = try await pendingTokens(portal, email: email, access: session.access)
            #expect(try await changeWorks(portal, pending.change))
            let notices = try await templates(portal, to: email)
            #expect(notices.first == "email-changed", "\(notices)")
            // Whoever reads the old mailbox can no longer reset the password.
            #expect(try await !resetWorks(portal, pending.reset))
            _ = try await portal.logIn(pending.newEmail)
        }
    }

    @Test func disablingCancelsPendingTokensEvenAfterReEnabling() async throws {
        try await withTestPortal { portal in
            let admin = try await portal.adminToken()
            let email = try await portal.signUp()
            let session = try await portal.logIn(email)
            let id = try #require(try await portal.request(.get, "/v1/me", token: session.access)["id"])
            let pending = try await pendingTokens(portal, email: email, access: session.access)
            #expect(try await portal.request(.post, "/v1/admin/accounts/\(id)/disable", token: admin).status == .ok)
            #expect(try await portal.request(.post, "/v1/admin/accounts/\(id)/enable", token: admin).status == .ok)
            #expect(try await !resetWorks(portal, pending.reset))
            #expect(try await !changeWorks(portal, pending.change))
            _ = try await portal.logIn(email)
        }
    }
}

/// No cheap amplifiers, and what attackers try is audited.
@Suite struct AmplifierTests {
    func auditKinds(_ portal: TestPortal) async throws -> [String] {
        try await portal.services.accounts.store.auditEvents(accountID: nil, before: nil, limit: 100).map(
            \.kind.rawValue)
    }

    @Test func resetRequestsAreThrottledPerEmailWhetherOrNotTheAccountExists() async throws {
        try await withTestPortal { portal in
            let known = try await portal.signUp()
            for email in [known, "nobody-\(UUID().uuidString.prefix(8))@example.com"] {
                var statuses: [HTTPResponse.Status] = []
                for _ in 0..<5 {
                    statuses.append(
                        try await portal.request(.post, "/v1/password-resets", json: ["email": email]).status)
                }
                // Three free, the fourth starts a one-minute wait, the fifth is refused.
                #expect(statuses == [.accepted, .accepted, .accepted, .accepted, .tooManyRequests], "\(statuses)")
            }
            let refused = try await portal.request(.post, "/v1/password-resets", json: ["email": known])
            #expect(refused["type"] == "/problems/too-many-attempts")
            #expect(refused.headers[.retryAfter] != nil)
            let mailed = try await portal.request(.get, "/dev/outbox?to=\(known)")
            #expect(
                (mailed.json["messages"] as? [[String: Any]])?.filter { $0["template"] as? String == "reset-password" }
                    .count == 4)
            // Another address from the same client is not refused (its allowance is larger).
            let other = try await portal.signUp()
            #expect(try await portal.request(.post, "/v1/password-resets", json: ["email": other]).status == .accepted)
        }
    }

    @Test func invalidRefreshAndResetTokensAreAuditedAndAnUnknownResetTokenIsRefusedFirst() async throws {
        try await withTestPortal { portal in
            let unknown = String(repeating: "A", count: 43)
            let hashes = portal.services.accounts.hasher.admittedCount
            let refresh = try await portal.request(.post, "/v1/sessions/refresh", json: ["refreshToken": unknown])
            #expect(refresh.status == .unauthorized)
            let reset = try await portal.request(
                .post, "/v1/password-resets/confirm", json: ["token": unknown, "newPassword": "a brand new passphrase"])
            #expect(reset.status == .badRequest && reset["type"] == "/problems/invalid-token")
            // The unknown reset token cost no bcrypt.
            #expect(portal.services.accounts.hasher.admittedCount == hashes)
            let kinds = try await auditKinds(portal)
            #expect(kinds.contains("refresh-token-invalid") && kinds.contains("reset-token-invalid"), "\(kinds)")
            // Malformed text is refused for free: no audit write on the primary for it.
            #expect(
                try await portal.request(.post, "/v1/sessions/refresh", json: ["refreshToken": "x"]).status
                    == .unauthorized)
            #expect(
                try await portal.request(
                    .post, "/v1/password-resets/confirm", json: ["token": "x", "newPassword": "a brand new passphrase"]
                ).status == .badRequest)
            #expect(try await auditKinds(portal).count == kinds.count)
        }
    }

    @Test func aConsistencyTokenAheadOfThePrimaryIsRefusedAtOnce() async throws {
        try await withTestPortal { portal in
            let email = try await portal.signUp()
            let access = try await portal.logIn(email).access
            let ahead = try await portal.request(
                .get, "/v1/me", token: access, headers: [HTTPField.Name("X-Consistency-Token")!: "FFFFFFFF/0"])
            #expect(ahead.status == .badRequest && ahead["type"] == "/problems/invalid-consistency-token")
            #expect(ahead["detail"]?.contains("ahead") == true)
        }
    }
}
