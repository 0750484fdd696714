import Accounts
import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import PortalServer
import PortalTestSupport
import Testing

/// One guess budget for the whole deployment: counted in PostgreSQL, shared by every portal, kept across
/// restarts, and atomic under parallel guesses.
@Suite struct GuessBudgetTests {
    /// The production allowance (5 free failures per account) with a lock-out long enough that a loaded machine
    /// cannot outlast it mid-test.
    static func lockOut() -> LoginGuard<ContinuousClock> {
        LoginGuard(
            clock: ContinuousClock(),
            accountLimits: ThrottleLimits(
                freeFailures: 5, baseDelay: .seconds(120), maximumDelay: .seconds(900), forgetAfter: .seconds(3600)))
    }

    @Test func aParallelBurstGetsNoMoreGuessesThanTheBudget() async throws {
        try await withTestPortal(loginGuard: Self.lockOut()) { portal in
            let email = try await portal.signUp()
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                // Each on a connection of its own: the test client pipelines every request on one connection,
                // which the server answers one after the other, so its burst was never parallel (and, on a
                // loaded machine, the last of twelve waited past the client's timeout).
                let body = try JSONSerialization.data(withJSONObject: ["email": email, "password": "wrong password!"])
                for _ in 0..<12 {
                    group.addTask {
                        var request = HTTPClientRequest(url: portal.baseURL + "/v1/sessions")
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(ByteBuffer(bytes: body))
                        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
                        _ = try await response.body.collect(upTo: 1 << 16)
                        return HTTPResponse.Status(code: Int(response.status.code))
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            // Five free failures and the sixth, which starts the lock-out: no more, however parallel.
            #expect(statuses.filter { $0 == .unauthorized }.count == 6, "\(statuses)")
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 6)
        }
    }

    @Test func portalsShareTheBudgetAndARestartKeepsIt() async throws {
        let (url, email) = try await withTestPortal(loginGuard: Self.lockOut()) { first in
            let email = try await first.signUp()
            for _ in 0..<3 {
                let reply = try await first.request(
                    .post, "/v1/sessions", json: ["email": email, "password": "wrong password!"])
                #expect(reply.status == .unauthorized)
            }
            return (first.services.configuration.databaseURL, email)
        }
        // Another portal (a new process's memory) on the same database: it knows the three failures.
        try await withTestPortal(configure: { $0.databaseURL = url }, loginGuard: Self.lockOut()) { second in
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<4 {
                statuses.append(
                    try await second.request(
                        .post, "/v1/sessions", json: ["email": email, "password": "wrong password!"]
                    ).status)
            }
            #expect(statuses == [.unauthorized, .unauthorized, .unauthorized, .tooManyRequests])
        }
        // And a third, after both are gone: even the right password waits.
        try await withTestPortal(configure: { $0.databaseURL = url }, loginGuard: Self.lockOut()) { third in
            let reply = try await third.request(
                .post, "/v1/sessions", json: ["email": email, "password": TestPortal.password])
            #expect(reply.status == .tooManyRequests)
            #expect(Int(reply.headers[.retryAfter] ?? "") ?? 0 > 60)
        }
    }

    @Test func passwordConfirmationsSpendTheSameBudget() async throws {
        try await withTestPortal(loginGuard: Self.lockOut()) { portal in
            let email = try await portal.signUp()
            let token = try await portal.logIn(email).access
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<7 {
                statuses.append(
                    try await portal.request(
                        .post, "/v1/me/email", json: ["newEmail": "new@example.com", "password": "wrong password!"],
                        token: token
                    ).status)
            }
            #expect(statuses.prefix(6).allSatisfy { $0 == .unauthorized } && statuses.last == .tooManyRequests)
            // The account is now locked for logins too, and a deletion with the right password waits.
            let login = try await portal.request(
                .post, "/v1/sessions", json: ["email": email, "password": TestPortal.password])
            #expect(login.status == .tooManyRequests)
            let delete = try await portal.request(
                .delete, "/v1/me", json: ["password": TestPortal.password], token: token)
            #expect(delete.status == .tooManyRequests)
            let kinds = try await portal.services.accounts.store.auditEvents(accountID: nil, before: nil, limit: 100)
                .map(\.kind)
            #expect(kinds.filter { $0 == .passwordConfirmationFailed }.count == 6)
            #expect(kinds.contains(.loginThrottled))
        }
    }

    @Test func aRightPasswordClearsTheAccountsFailures() async throws {
        try await withTestPortal(loginGuard: Self.lockOut()) { portal in
            let email = try await portal.signUp()
            for _ in 0..<5 {
                _ = try await portal.request(.post, "/v1/sessions", json: ["email": email, "password": "wrong!"])
            }
            _ = try await portal.logIn(email)
            for _ in 0..<6 {
                let reply = try await portal.request(
                    .post, "/v1/sessions", json: ["email": email, "password": "wrong!"])
                #expect(reply.status == .unauthorized)
            }
        }
    }

    @Test func aFencedRegionStillAnswers401AndCountsInItsOwnMemory() async throws {
        let (url, email) = try await withTestPortal { portal in
            (portal.services.configuration.databaseURL, try await portal.signUp())
        }
        // A controller that never answers: this portal never holds a write lease, so it may not write at all.
        try await withTestPortal(
            configure: {
                $0.databaseURL = url
                $0.writeLeaseURL = "http://127.0.0.1:9"
            }, loginGuard: Self.lockOut()
        ) { fenced in
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<7 {
                statuses.append(
                    try await fenced.request(
                        .post, "/v1/sessions", json: ["email": email, "password": "wrong password!"]
                    ).status)
            }
            #expect(statuses.prefix(6).allSatisfy { $0 == .unauthorized } && statuses.last == .tooManyRequests)
            let right = try await fenced.request(
                .post, "/v1/sessions", json: ["email": email, "password": TestPortal.password])
            #expect(right.status == .tooManyRequests)
        }
    }
}
