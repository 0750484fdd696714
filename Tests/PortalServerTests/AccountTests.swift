import Foundation
import HTTPTypes
import PortalTestSupport
import Testing

@Suite struct AccountTests {
    @Test func theCustomerReadsAndUpdatesTheirProfile() async throws {
        try await withTestPortal { portal in
            let email = try await portal.signUp()
            let tokens = try await portal.logIn(email)
            let me = try await portal.request(.get, "/v1/me", token: tokens.access)
            #expect(me.status == .ok && me["email"] == email)
            let updated = try await portal.request(
                .patch, "/v1/me", json: ["displayName": "  New Name "], token: tokens.access)
            #expect(updated.status == .ok && updated["displayName"] == "New Name")
            let empty = try await portal.request(.patch, "/v1/me", json: ["displayName": ""], token: tokens.access)
            #expect(empty.status == .unprocessableContent)
            #expect(try await portal.request(.get, "/v1/me").status == .unauthorized)
        }
    }

    @Test func deletingTheAccountNeedsThePasswordEndsEverySessionAndFreesTheAddress() async throws {
        try await withTestPortal { portal in
            let email = try await portal.signUp()
            let tokens = try await portal.logIn(email)
            let other = try await portal.logIn(email)
            let wrong = try await portal.request(
                .delete, "/v1/me", json: ["password": "not my password"], token: tokens.access)
            #expect(wrong.status == .unauthorized)
            let deleted = try await portal.request(
                .delete, "/v1/me", json: ["password": TestPortal.password], token: tokens.access)
            #expect(deleted.status == .noContent)
            #expect(try await portal.request(.get, "/v1/me", token: other.access).status == .unauthorized)
            let refresh = try await portal.request(.post, "/v1/sessions/refresh", json: ["refreshToken": other.refresh])
            #expect(refresh.status == .unauthorized)
            try await portal.signUp(email)
        }
    }

    @Test func changingThePasswordRevokesEveryOtherSession() async throws {
        try await withTestPortal { portal in
            let email = try await portal.signUp()
            let here = try await portal.logIn(email)
            let elsewhere = try await portal.logIn(email)
            let weak = try await portal.request(
                .post, "/v1/me/password", json: ["currentPassword": TestPortal.password, "newPassword": "short"],
                token: here.access)
            #expect(weak.status == .unprocessableContent)
            let wrong = try await portal.request(
                .post, "/v1/me/password",
                json: ["currentPassword": "nope nope nope", "newPassword": "a fresh passphrase"],
                token: here.access)
            #expect(wrong.status == .unauthorized)
            let changed = try await portal.request(
                .post, "/v1/me/password",
                json: ["currentPassword": TestPortal.password, "newPassword": "a fresh passphrase"], token: here.access)
            #expect(changed.status == .noContent)
            #expect(try await portal.request(.get, "/v1/me", token: here.access).status == .ok)
            #expect(try await portal.request(.get, "/v1/me", token: elsewhere.access).status == .unauthorized)
            let old = try await portal.request(
                .post, "/v1/sessions", json: ["email": email, "password": TestPortal.password])
            #expect(old.status == .unauthorized)
            _ = try await portal.logIn(email, password: "a fresh passphrase")
        }
    }

    @Test func anEmailChangeWaitsForConfirmationFromTheNewAddress() async throws {
        try await withTestPortal { portal in
            let email = try await portal.signUp()
            let taken = try await portal.signUp()
            let tokens = try await portal.logIn(email)
            let clash = try await portal.request(
                .post, "/v1/me/email", json: ["newEmail": taken.uppercased(), "password": TestPortal.password],
                token: tokens.access)
            #expect(clash.status == .conflict)
            let newEmail = "moved-\(UUID().uuidString.prefix(6))@example.org"
            let pending = try await portal.request(
                .post, "/v1/me/email", json: ["newEmail": newEmail, "password": TestPortal.password],
                token: tokens.access)
            #expect(pending.status == .accepted && pending["pendingEmail"] == newEmail)
            #expect(try await portal.request(.get, "/v1/me", token: tokens.access)["email"] == email)

            let token = try await portal.mailedToken(to: newEmail)
            let confirmed = try await portal.request(.post, "/v1/email-verifications", json: ["token": token])
            #expect(confirmed.status == .ok && confirmed["email"] == newEmail)
            #expect(confirmed.json["emailVerified"] as? Bool == true)
            _ = try await portal.logIn(newEmail)
            #expect(
                try await portal.request(
                    .post, "/v1/sessions", json: ["email": email, "password": TestPortal.password]
                ).status == .unauthorized)
        }
    }

    @Test func passwordResetIsAlways202AndItsTokenWorksOnceAndRevokesEverySession() async throws {
        try await withTestPortal { portal in
            let email = try await portal.signUp()
            let tokens = try await portal.logIn(email)
            let unknown = try await portal.request(.post, "/v1/password-resets", json: ["email": "nobody@example.com"])
            let garbage = try await portal.request(.post, "/v1/password-resets", json: ["email": "not an address"])
            let known = try await portal.request(.post, "/v1/password-resets", json: ["email": email])
            #expect([unknown.status, garbage.status, known.status] == [.accepted, .accepted, .accepted])
            #expect(unknown.text == known.text)

            let token = try await portal.mailedToken(to: email)
            let weak = try await portal.request(
                .post, "/v1/password-resets/confirm", json: ["token": token, "newPassword": "password"])
            #expect(weak.status == .unprocessableContent)
            let done = try await portal.request(
                .post, "/v1/password-resets/confirm", json: ["token": token, "newPassword": "reset passphrase ok"])
            #expect(done.status == .noContent)
            let twice = try await portal.request(
                .post, "/v1/password-resets/confirm", json: ["token": token, "newPassword": "another passphrase"])
            #expect(twice.status == .badRequest)
            #expect(try await portal.request(.get, "/v1/me", token: tokens.access).status == .unauthorized)
            _ = try await portal.logIn(email, password: "reset passphrase ok")
            let bogus = try await portal.request(
                .post, "/v1/password-resets/confirm", json: ["token": "x", "newPassword": "reset passphrase ok"])
            #expect(bogus.status == .badRequest)
        }
    }
}
