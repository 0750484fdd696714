import Foundation
import LocalPostgres
import PortalTestSupport
import Testing

/// A server that ends a session while its COMMIT waits for a synchronous standby (pg_terminate_backend, or the
/// postmaster dying) has already committed locally. The portal must not answer "not done" (writes-unavailable):
/// the drill's checker found a deletion reported as failed that had in fact happened.
@Suite struct CommitOutcomeTests {
    @Test func aCommitCutOffWhileWaitingForTheStandbyIsReportedAsUnknown() async throws {
        try await PostgresCluster.withTemporaryCluster { cluster in
            _ = try await cluster.psql("CREATE DATABASE portal")
            try await withTestPortal(configure: { $0.databaseURL = cluster.url(database: "portal") }) { portal in
                _ = try await portal.signUp()  // migrations done, the pool warm
                // Every commit now waits for a standby that does not exist.
                _ = try await cluster.psql("ALTER SYSTEM SET synchronous_standby_names = 'nobody'")
                _ = try await cluster.psql("SELECT pg_reload_conf()")
                let email = "cut-off-\(UUID().uuidString.prefix(8).lowercased())@example.com"
                async let reply = portal.request(
                    .post, "/v1/accounts",
                    json: ["email": email, "password": TestPortal.password, "displayName": "Cut Off"])
                // Once the sign-up's COMMIT waits, end that session.
                var terminated = "0"
                for _ in 0..<200 where terminated == "0" {
                    terminated = try await cluster.psql(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")
                    if terminated == "0" { try await Task.sleep(for: .milliseconds(50)) }
                }
                #expect(terminated == "1")
                let answer = try await reply
                #expect(answer.status == .serviceUnavailable)
                #expect(
                    !answer.text.contains("writes-unavailable"), "answered as if nothing was written: \(answer.text)")
                #expect(answer.text.contains("storage-unavailable"))
                // And indeed it was written.
                _ = try await cluster.psql("ALTER SYSTEM RESET synchronous_standby_names")
                _ = try await cluster.psql("SELECT pg_reload_conf()")
                let rows = try await cluster.psql(
                    "SELECT count(*) FROM accounts WHERE email = '\(email)'", database: "portal")
                #expect(rows == "1")
            }
        }
    }
}
