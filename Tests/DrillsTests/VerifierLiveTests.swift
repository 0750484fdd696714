import Foundation
import PortalTestSupport
import Testing

@testable import Drills

/// The verifier and the checker against a real portal whose state disagrees with a planted history: what the
/// history claims was acknowledged but never happened must come out as findings, read through the API.
@Suite struct VerifierLiveTests {
    @Test(.timeLimit(.minutes(5)))
    func plantedAnomaliesAreFoundThroughTheAPI() async throws {
        try await withTestPortal { portal in
            let (ada, bob, cy, dee) = (
                "ada-\(UUID().uuidString.prefix(6))@example.com", "bob-\(UUID().uuidString.prefix(6))@example.com",
                "cy-\(UUID().uuidString.prefix(6))@example.com", "dee-\(UUID().uuidString.prefix(6))@example.com"
            )
            let first = TestPortal.password
            let second = "violet tugboat nine"

            // What really happened.
            try await portal.signUp(ada)
            let adaFirst = try await portal.logIn(ada)
            let adaSecond = try await portal.logIn(ada)
            try await portal.signUp(cy)
            try await portal.signUp(dee)
            let deeSession = try await portal.logIn(dee)
            let changed = try await portal.request(
                .post, "/v1/me/password", json: ["currentPassword": first, "newPassword": second],
                token: deeSession.access)
            #expect(changed.status == .noContent)

            // What the client's history claims.
            var builder = HistoryBuilder()
            func signUp(_ email: String) {
                builder.record(.signUp, email) {
                    $0.password = first
                    $0.displayName = "Test Customer"
                }
            }
            signUp(ada)
            builder.logIn(ada, password: first, token: adaFirst.refresh)
            builder.update(ada, session: adaFirst.refresh, name: "Ada 2")  // never reached the portal: lost
            builder.logIn(ada, password: first, token: adaSecond.refresh)
            builder.logOut(ada, session: adaSecond.refresh)  // never reached the portal: resurrected
            signUp(bob)  // never reached the portal: lost
            signUp(cy)
            builder.logIn(cy, password: first, token: "unknown-session-token-of-cy-000000000000000")
            builder.record(.refresh, cy, .indeterminate) {
                $0.refreshToken = "unknown-session-token-of-cy-000000000000000"
            }
            builder.changePassword(cy, session: "none", from: first, to: second, .indeterminate)  // did not happen
            signUp(dee)
            builder.logIn(dee, password: first, token: deeSession.refresh)
            builder.changePassword(dee, session: deeSession.refresh, from: first, to: second)
            let history = builder.history

            var configuration = Verifier.Configuration(baseURL: portal.baseURL)
            configuration.requestTimeout = .seconds(60)
            let observations = try await Verifier(configuration: configuration).verify(history)
            let result = Checker.check(history: history, observations: observations)

            #expect(result.lostWrites.compactMap(\.email).sorted() == [ada, bob].sorted(), "\(result.lostWrites)")
            #expect(result.lostWrites.first { $0.email == ada }?.detail.contains("\"Ada 2\"") == true)
            #expect(result.resurrections.compactMap(\.email) == [ada], "\(result.resurrections)")
            #expect(result.resurrections.first?.operation == history.operations.first { $0.kind == .logOut }?.id)
            #expect(result.duplicates.isEmpty && result.readYourWritesFailures.isEmpty && result.inconclusive.isEmpty)

            #expect(observations.accounts[cy]?.workingPassword == first)
            #expect(observations.accounts[dee]?.workingPassword == second)
            #expect(observations.accounts[dee]?.replacedPasswordProbes == [first: .rejected])
            #expect(observations.accounts[bob]?.exists == false)
        }
    }
}
