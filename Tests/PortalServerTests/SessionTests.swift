import Accounts
import Foundation
import HTTPTypes
import PortalTestSupport
import Synchronization
import Testing

@Suite struct SessionTests {
    @Test func loginIssuesAnEdDSATokenWithTheRequiredClaims() async throws {
        try await withTestPortal { portal in
            let email = try await portal.signUp()
            let reply = try await portal.request(
                .post, "/v1/sessions", json: ["email": email.uppercased(), "password": TestPortal.password])
            #expect(reply.status == .ok)
            #expect(reply["tokenType"] == "Bearer")
            #expect(reply.json["expiresIn"] as? Int == 900)
            #expect(reply.headers[.cacheControl] == "no-store")
            let token = try #require(reply["accessToken"])
            let parts = token.split(separator: ".").map(String.init)
            let header = try JSONSerialization.jsonObject(with: Data(base64URLEncoded: parts[0])!) as! [String: Any]
            let claims = try JSONSerialization.jsonObject(with: Data(base64URLEncoded: parts[1])!) as! [String: Any]
            #expect(header["alg"] as? String == "EdDSA" && header["kid"] as? String == TestKeys.set.keys[0].kid)
            for claim in ["sub", "sid", "iat", "exp", "iss", "aud", "region"] {
                #expect(claims[claim] != nil, "\(claim)")
            }
            #expect(claims["region"] as? String == "test-region-1")
            #expect(reply["refreshToken"]?.count == 43)
        }
    }

    @Test func wrongPasswordAndUnknownAccountAnswerAlike() async throws {
        try await withTestPortal { portal in
            let email = try await portal.signUp()
            let wrong = try await portal.request(
                .post, "/v1/sessions", json: ["email": email, "password": "wrong password!"])
            let unknown = try await portal.request(
                .post, "/v1/sessions", json: ["email": "nobody@example.com", "password": "wrong password!"])
            #expect(wrong.status == .unauthorized && unknown.status == .unauthorized)
            #expect(wrong["detail"] == unknown["detail"] && wrong["type"] == unknown["type"])
        }
    }

    @Test func refreshRotatesAndReuseRevokesTheSession() async throws {
        try await withTestPortal { portal in
            let email = try await portal.signUp()
            let first = try await portal.logIn(email)
            let rotated = try await portal.request(.post, "/v1/sessions/refresh", json: ["refreshToken": first.refresh])
            #expect(rotated.status == .ok)
            let second = try #require(rotated["refreshToken"])
            #expect(second != first.refresh)
            let access = try #require(rotated["accessToken"])
            #expect(try await portal.request(.get, "/v1/me", token: access).status == .ok)

            // The second token is used, so its answer arrived: the first one again is reuse (not a retry). The
            // whole session dies, the newest refresh token included.
            let third = try #require(
                try await portal.request(.post, "/v1/sessions/refresh", json: ["refreshToken": second])["refreshToken"])
            let reuse = try await portal.request(.post, "/v1/sessions/refresh", json: ["refreshToken": first.refresh])
            #expect(reuse.status == .unauthorized)
            #expect(reuse["type"] == "/problems/refresh-token-reused")
            let afterReuse = try await portal.request(.post, "/v1/sessions/refresh", json: ["refreshToken": third])
            #expect(afterReuse.status == .unauthorized)
            #expect(try await portal.request(.get, "/v1/me", token: access).status == .unauthorized)
        }
    }

    @Test func unknownOrMalformedRefreshTokensAre401() async throws {
        try await withTestPortal { portal in
            for token in ["", "x", String(repeating: "A", count: 43), "'; DROP TABLE refresh_tokens;--"] {
                let reply = try await portal.request(.post, "/v1/sessions/refresh", json: ["refreshToken": token])
                #expect(reply.status == .unauthorized)
            }
        }
    }

    @Test func sessionsAreListedAndLogoutEndsThem() async throws {
        try await withTestPortal { portal in
            let email = try await portal.signUp()
            let phone = try await portal.logIn(email)
            let laptop = try await portal.logIn(email)
            let list = try await portal.request(
                .get, "/v1/sessions", token: laptop.access, headers: [.userAgent: "laptop-browser"])
            let sessions = try #require(list.json["sessions"] as? [[String: Any]])
            #expect(sessions.count == 2)
            #expect(sessions.filter { $0["current"] as? Bool == true }.count == 1)
            #expect(sessions.allSatisfy { $0["region"] as? String == "test-region-1" })

            #expect(
                try await portal.request(.delete, "/v1/sessions/current", token: laptop.access).status == .noContent)
            #expect(try await portal.request(.get, "/v1/me", token: laptop.access).status == .unauthorized)
            let refresh = try await portal.request(
                .post, "/v1/sessions/refresh", json: ["refreshToken": laptop.refresh])
            #expect(refresh.status == .unauthorized)
            #expect(try await portal.request(.get, "/v1/me", token: phone.access).status == .ok)

            let tablet = try await portal.logIn(email)
            #expect(try await portal.request(.delete, "/v1/sessions", token: tablet.access).status == .noContent)
            #expect(try await portal.request(.get, "/v1/me", token: phone.access).status == .unauthorized)
            #expect(try await portal.request(.get, "/v1/me", token: tablet.access).status == .unauthorized)
        }
    }

    @Test func repeatedFailuresAreThrottledWithRetryAfterForRealAndUnknownAccounts() async throws {
        // The production limits, but a lock-out long enough that a loaded machine cannot outlast it mid-test.
        var limits = ThrottleLimits.perAccount
        limits = ThrottleLimits(
            freeFailures: limits.freeFailures, baseDelay: .seconds(120), maximumDelay: .seconds(900),
            forgetAfter: .seconds(3600))
        try await withTestPortal(loginGuard: LoginGuard(clock: ContinuousClock(), accountLimits: limits)) { portal in
            let email = try await portal.signUp()
            for target in [email, "ghost@example.com"] {
                var statuses: [HTTPResponse.Status] = []
                for _ in 0..<7 {
                    let reply = try await portal.request(
                        .post, "/v1/sessions", json: ["email": target, "password": "wrong password!"])
                    statuses.append(reply.status)
                    if reply.status == .tooManyRequests {
                        #expect(Int(reply.headers[.retryAfter] ?? "") ?? 0 >= 1)
                    }
                }
                #expect(statuses.prefix(6).allSatisfy { $0 == .unauthorized })
                #expect(statuses.last == .tooManyRequests)
                if target == email {
                    // Even the right password waits while the account is throttled.
                    let blocked = try await portal.request(
                        .post, "/v1/sessions", json: ["email": email, "password": TestPortal.password])
                    #expect(blocked.status == .tooManyRequests)
                }
            }
        }
    }
}

@Suite struct AccessTokenHTTPTests {
    @Test func expiredForgedNoneAndForeignTokensAre401() async throws {
        let clock = TestDate(Date())
        try await withTestPortal(now: { clock.now }) { portal in
            let email = try await portal.signUp()
            let tokens = try await portal.logIn(email)
            #expect(try await portal.request(.get, "/v1/me", token: tokens.access).status == .ok)

            let parts = tokens.access.split(separator: ".").map(String.init)
            let none = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64URLEncodedString() + "." + parts[1] + "."
            let tampered = parts[0] + "." + parts[1] + "." + String(parts[2].reversed())
            let foreign = try await AccessTokens(
                keySet: SigningKeySet(keys: [.generate()]), issuer: "customer-portal", audience: "customer-portal",
                lifetime: .seconds(900)
            ).issue(accountID: UUID(), sessionID: UUID(), region: "x", now: clock.now)
            for token in [none, tampered, foreign, "garbage", ""] {
                let reply = try await portal.request(.get, "/v1/me", token: token)
                #expect(reply.status == .unauthorized)
                #expect(reply.headers[.wwwAuthenticate] == "Bearer")
            }
            #expect(
                try await portal.request(.get, "/v1/me", headers: [.authorization: "Basic abc"]).status == .unauthorized
            )

            clock.advance(by: 16 * 60)
            #expect(try await portal.request(.get, "/v1/me", token: tokens.access).status == .unauthorized)
            let refreshed = try await portal.request(
                .post, "/v1/sessions/refresh", json: ["refreshToken": tokens.refresh])
            #expect(refreshed.status == .ok)
        }
    }

    @Test func expiredResetTokensAndRefreshTokensAreRefused() async throws {
        let clock = TestDate(Date())
        try await withTestPortal(now: { clock.now }) { portal in
            let email = try await portal.signUp()
            let tokens = try await portal.logIn(email)
            #expect(try await portal.request(.post, "/v1/password-resets", json: ["email": email]).status == .accepted)
            let reset = try await portal.mailedToken(to: email)
            clock.advance(by: 31 * 60)
            let late = try await portal.request(
                .post, "/v1/password-resets/confirm", json: ["token": reset, "newPassword": "a brand new passphrase"])
            #expect(late.status == .badRequest)
            clock.advance(by: 31 * 24 * 3600)
            let refresh = try await portal.request(
                .post, "/v1/sessions/refresh", json: ["refreshToken": tokens.refresh])
            #expect(refresh.status == .unauthorized)
        }
    }
}

/// A settable clock for the service's `now`.
final class TestDate: Sendable {
    private let seconds: Mutex<TimeInterval>
    init(_ date: Date) { seconds = Mutex(date.timeIntervalSince1970) }
    var now: Date { Date(timeIntervalSince1970: seconds.withLock { $0 }) }
    func advance(by interval: TimeInterval) { seconds.withLock { $0 += interval } }
}

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let current = Mutex(Date(timeIntervalSince1970: 1_900_000_000))
    var now: Date { current.withLock { $0 } }
    func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

@Suite struct SessionLifetimeTests {
    @Test func aRefreshRetriedWithinTheGraceWindowGetsTheSamePairAndLaterReuseStillRevokes() async throws {
        let clock = TestClock()
        try await withTestPortal(now: { clock.now }) { portal in
            let email = try await portal.signUp()
            let first = try await portal.logIn(email)
            let answer = try await portal.request(.post, "/v1/sessions/refresh", json: ["refreshToken": first.refresh])
            #expect(answer.status == .ok)
            // The answer is lost; the client retries 9 s later with the same token.
            clock.advance(by: 9)
            let retry = try await portal.request(.post, "/v1/sessions/refresh", json: ["refreshToken": first.refresh])
            #expect(retry.status == .ok, "\(retry.text)")
            #expect(retry["refreshToken"] == answer["refreshToken"])
            #expect(retry["accessToken"] == answer["accessToken"])
            #expect((retry.json["expiresIn"] as? Int ?? 0) <= 900 - 9)
            let access = try #require(retry["accessToken"])
            #expect(try await portal.request(.get, "/v1/me", token: access).status == .ok)
            // The new token works, and once it is used the old one is reuse even inside the window.
            let next = try await portal.request(
                .post, "/v1/sessions/refresh", json: ["refreshToken": try #require(retry["refreshToken"])])
            #expect(next.status == .ok)
            let reuse = try await portal.request(.post, "/v1/sessions/refresh", json: ["refreshToken": first.refresh])
            #expect(reuse.status == .unauthorized)
            #expect(reuse["type"] == "/problems/refresh-token-reused")
            let afterReuse = try await portal.request(
                .post, "/v1/sessions/refresh", json: ["refreshToken": try #require(next["refreshToken"])])
            #expect(afterReuse.status == .unauthorized)

            // Outside the window a retry is reuse, and revokes the family.
            let other = try await portal.logIn(email)
            let rotated = try await portal.request(.post, "/v1/sessions/refresh", json: ["refreshToken": other.refresh])
            #expect(rotated.status == .ok)
            clock.advance(by: 11)
            let late = try await portal.request(.post, "/v1/sessions/refresh", json: ["refreshToken": other.refresh])
            #expect(late["type"] == "/problems/refresh-token-reused")
            let newest = try #require(rotated["refreshToken"])
            #expect(
                try await portal.request(.post, "/v1/sessions/refresh", json: ["refreshToken": newest]).status
                    == .unauthorized)
        }
    }

    @Test func aSessionEndsAfterItsAbsoluteLifetimeHoweverOftenItIsRefreshed() async throws {
        let clock = TestClock()
        let day: TimeInterval = 24 * 3600
        try await withTestPortal(now: { clock.now }) { portal in
            let email = try await portal.signUp()
            var refresh = try await portal.logIn(email).refresh
            for _ in 0..<3 {
                clock.advance(by: 29 * day)
                let reply = try await portal.request(.post, "/v1/sessions/refresh", json: ["refreshToken": refresh])
                #expect(reply.status == .ok, "\(reply.text)")
                refresh = try #require(reply["refreshToken"])
            }
            // Day 87: the refresh extended the session to day 90, not 117.
            clock.advance(by: 2 * day)
            let lastDay = try await portal.request(.post, "/v1/sessions/refresh", json: ["refreshToken": refresh])
            #expect(lastDay.status == .ok)
            refresh = try #require(lastDay["refreshToken"])
            clock.advance(by: day + 1)
            let over = try await portal.request(.post, "/v1/sessions/refresh", json: ["refreshToken": refresh])
            #expect(over.status == .unauthorized)
            #expect(over["type"] == "/problems/invalid-refresh-token")
        }
    }

    @Test func aTokenWithoutAKnownKidIs401() async throws {
        try await withTestPortal { portal in
            let email = try await portal.signUp()
            let access = try await portal.logIn(email).access
            var parts = access.split(separator: ".").map(String.init)
            for header in [#"{"alg":"EdDSA","typ":"JWT"}"#, #"{"alg":"EdDSA","typ":"JWT","kid":"unknown"}"#] {
                parts[0] = Data(header.utf8).base64URLEncodedString()
                let reply = try await portal.request(.get, "/v1/me", token: parts.joined(separator: "."))
                #expect(reply.status == .unauthorized)
                #expect(reply.headers[.contentType] == "application/problem+json")
                #expect(reply["type"] == "/problems/unauthenticated")
            }
        }
    }

    @Test func aLoginReHashesThePasswordWhenTheCostChanged() async throws {
        let (url, email) = try await withTestPortal { portal in
            (portal.services.configuration.databaseURL, try await portal.signUp())
        }
        try await withTestPortal(configure: {
            $0.databaseURL = url
            $0.bcryptCost = 5
        }) { portal in
            func storedHash() async throws -> String? {
                try await portal.services.accounts.store.credentials(forEmail: email)?.passwordHash
            }
            #expect(try await storedHash()?.hasPrefix("$2b$04$") == true)
            _ = try await portal.logIn(email)
            #expect(try await storedHash()?.hasPrefix("$2b$05$") == true)
            _ = try await portal.logIn(email)
        }
    }
}
