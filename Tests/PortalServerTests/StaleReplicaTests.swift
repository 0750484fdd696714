import Foundation
import HTTPTypes
import LocalPostgres
import Logging
import PortalTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// A portal whose region database is a real streaming standby with its replay paused: every read it serves is
/// stale. Logins must still be decided by the primary's rows.
@Suite struct StaleReplicaTests {
    @Test func aLaggingStandbyCannotLetAnOldPasswordADisabledAccountOrARevokedSessionIn() async throws {
        var primaryConfiguration = PostgresClusterConfiguration.temporary
        primaryConfiguration.fastAndUnsafe = true
        primaryConfiguration.stopWhenParentExits = true
        try await PostgresCluster.withTemporaryCluster(configuration: primaryConfiguration) { primary in
            _ = try await primary.psql("CREATE DATABASE portal")
            let folder = FileManager.default.temporaryDirectory
                .appendingPathComponent("stale-standby-\(getpid())-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            chmod(folder, 0o777)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            var standbyConfiguration = PostgresClusterConfiguration(dataDirectory: folder + "/data")
            standbyConfiguration.fastAndUnsafe = true
            standbyConfiguration.stopWhenParentExits = true
            standbyConfiguration.clusterName = "stale"
            let standby = try await PostgresCluster.makeBaseBackup(from: primary, into: standbyConfiguration)
            try await standby.start()
            do {
                try await runAgainst(primary: primary, standby: standby)
            } catch {
                try? await standby.stop()
                throw error
            }
            try await standby.stop()
        }
    }

    private func runAgainst(primary: PostgresCluster, standby: PostgresCluster) async throws {
        try await withTestPortal(configure: {
            $0.databaseURL = standby.url(database: "portal")
            $0.writerDatabaseURL = primary.url(database: "portal")
        }) { portal in
            // The schema the portal just made on the primary.
            #expect(try await caughtUp(standby, with: primary))
            let admin = try await portal.adminToken()
            let changing = try await portal.signUp()
            let disabled = try await portal.signUp()
            let loggingOut = try await portal.signUp()
            let changingSession = try await portal.logIn(changing)
            let disabledID = try #require(
                try await portal.request(.get, "/v1/me", token: try await portal.logIn(disabled).access)["id"])
            let leaving = try await portal.logIn(loggingOut)
            // Everything so far is on the standby; from now on it serves what it had.
            #expect(try await caughtUp(standby, with: primary))
            _ = try await standby.psql("SELECT pg_wal_replay_pause()", database: "portal")
            // The pause is only requested at first; WAL that comes before it takes hold is still replayed.
            var paused = false
            for _ in 0..<200 where !paused {
                paused =
                    try await standby.psql("SELECT pg_get_wal_replay_pause_state()", database: "portal") == "paused"
                if !paused { try await Task.sleep(for: .milliseconds(25)) }
            }
            #expect(paused)
            defer { Task { _ = try? await standby.psql("SELECT pg_wal_replay_resume()", database: "portal") } }

            let changed = try await portal.request(
                .post, "/v1/me/password",
                json: ["currentPassword": TestPortal.password, "newPassword": "a new one here"],
                token: changingSession.access)
            #expect(changed.status == .noContent, "\(changed.text)")
            // Requests with the change's consistency token wait for the paused standby together: one poll of
            // it per 5 ms for all of them (a poll loop per request would make about 20 × 200), then the writer.
            let token = try #require(changed.headers[HTTPField.Name("X-Consistency-Token")!])
            let polls = portal.services.replayWatcher.pollCount
            // Their own connections (the test client has one, which would take them one at a time).
            let configuration = URLSessionConfiguration.ephemeral
            configuration.httpMaximumConnectionsPerHost = 32
            let session = URLSession(configuration: configuration)
            var request = URLRequest(url: URL(string: portal.baseURL + "/v1/me")!)
            request.setValue("Bearer \(changingSession.access)", forHTTPHeaderField: "Authorization")
            request.setValue(token, forHTTPHeaderField: "X-Consistency-Token")
            let prepared = request
            let reads = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        let (_, response) = try await session.data(for: prepared)
                        let http = response as? HTTPURLResponse
                        return (http?.statusCode ?? 0, http?.value(forHTTPHeaderField: "X-Served-From-Writer"))
                    }
                }
                return try await group.reduce(into: [(Int, String?)]()) { $0.append($1) }
            }
            #expect(reads.allSatisfy { $0.0 == 200 && $0.1 == "true" }, "\(reads)")
            let shared = portal.services.replayWatcher.pollCount - polls
            #expect(shared > 0 && shared <= 600, "\(shared) polls")
            let disabling = try await portal.request(.post, "/v1/admin/accounts/\(disabledID)/disable", token: admin)
            #expect(disabling.status == .ok, "\(disabling.text)")
            let logout = try await portal.request(.delete, "/v1/sessions/current", token: leaving.access)
            #expect(logout.status == .noContent, "\(logout.text)")
            // The standby still has the old hash, the account enabled and the session live.
            let stale = try await standby.psql(
                "SELECT count(*) FROM accounts WHERE disabled_at IS NULL AND email_normalized = '\(disabled)'",
                database: "portal")
            #expect(stale == "1")
            let hashes = "SELECT password_hash FROM accounts WHERE email_normalized = '\(changing)'"
            #expect(
                try await standby.psql(hashes, database: "portal")
                    != (try await primary.psql(hashes, database: "portal")))

            let oldPassword = try await portal.request(
                .post, "/v1/sessions", json: ["email": changing, "password": TestPortal.password])
            #expect(oldPassword.status == .unauthorized, "\(oldPassword.text)")
            #expect(oldPassword["type"] == "/problems/invalid-credentials")
            let disabledLogin = try await portal.request(
                .post, "/v1/sessions", json: ["email": disabled, "password": TestPortal.password])
            #expect(disabledLogin.status == .forbidden, "\(disabledLogin.text)")
            #expect(disabledLogin["type"] == "/problems/account-disabled")
            let revokedRefresh = try await portal.request(
                .post, "/v1/sessions/refresh", json: ["refreshToken": leaving.refresh])
            #expect(revokedRefresh.status == .unauthorized, "\(revokedRefresh.text)")
            let audited = try await primary.psql(
                "SELECT count(*) FROM audit_events WHERE kind = 'login-disabled' AND account_id = '\(disabledID)'",
                database: "portal")
            #expect(audited == "1")
            // An account nobody touched still logs in through the stale standby.
            #expect(
                try await portal.request(
                    .post, "/v1/sessions", json: ["email": loggingOut, "password": TestPortal.password]
                ).status == .ok)
        }
    }

    /// Waits (up to 5 s) until the standby has replayed everything the primary has written so far.
    private func caughtUp(_ standby: PostgresCluster, with primary: PostgresCluster) async throws -> Bool {
        let written = try await primary.psql("SELECT pg_current_wal_lsn()", database: "portal")
        for _ in 0..<200 {
            let replayed = try await standby.psql(
                "SELECT pg_last_wal_replay_lsn() >= '\(written)'::pg_lsn", database: "portal")
            if replayed == "t" { return true }
            try await Task.sleep(for: .milliseconds(25))
        }
        return false
    }
}
