import AccountsPostgres
import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// `/health/live` (the process answers) and `/health/ready` (the region's database answers within a bound
/// and its schema is current), with the database's role from `pg_is_in_recovery()`.
struct HealthRoutes {
    let reader: PostgresClient
    let region: String
    let timeout: Duration
    let logger: Logger

    struct Readiness: Encodable, Sendable {
        struct Database: Encodable, Sendable {
            var reachable: Bool
            var schemaVersion: Int?
            var expectedSchemaVersion: Int
            var error: String?
        }
        var status: String
        var region: String
        var role: String
        var database: Database
    }

    struct Liveness: Encodable, Sendable {
        var status = "live"
        var region: String
    }

    func register(on router: RouterGroup<PortalRequestContext>) {
        router.get("health/live") { _, _ in JSONResponse(Liveness(region: region)) }
        router.get("health/ready") { _, _ in
            let readiness = await check()
            return JSONResponse(status: readiness.status == "ready" ? .ok : .serviceUnavailable, readiness)
        }
    }

    func check() async -> Readiness {
        let expected = Migrations.latestVersion
        do {
            let (inRecovery, version) = try await withTimeout(timeout) { [reader, logger] in
                let rows = try await reader.query(
                    """
                    SELECT pg_is_in_recovery(),
                           (SELECT coalesce(max(version), 0) FROM schema_migrations)::integer
                    """, logger: logger)
                for try await row in rows.decode((Bool, Int).self) { return row }
                return (false, 0)
            }
            let current = version >= expected
            return Readiness(
                status: current ? "ready" : "not-ready", region: region, role: inRecovery ? "standby" : "primary",
                database: .init(
                    reachable: true, schemaVersion: version, expectedSchemaVersion: expected,
                    error: current ? nil : "schema is behind: migrations pending"))
        } catch {
            return Readiness(
                status: "not-ready", region: region, role: "unknown",
                database: .init(
                    reachable: false, schemaVersion: nil, expectedSchemaVersion: expected,
                    error: error is TimeoutError ? "no answer within \(timeout)" : "not reachable"))
        }
    }
}

struct TimeoutError: Error {}

/// Runs `body`, giving up with `TimeoutError` after `duration`.
func withTimeout<T: Sendable>(_ duration: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T
{
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: duration)
            throw TimeoutError()
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
