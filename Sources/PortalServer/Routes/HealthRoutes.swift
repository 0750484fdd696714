import AccountsPostgres
import Failover
import Foundation
import Hummingbird
import Logging
import PostgresNIO

/// `/health/live` (the process answers), `/health/ready` (the region's database answers within a bound
/// and its schema is current), with the database's role from `pg_is_in_recovery()`, and `/health/region`
/// (replication position and lag, durability mode, where the writer endpoint leads).
struct HealthRoutes {
    let reader: PostgresClient
    let writer: PostgresClient
    let writerEndpoint: String
    let region: String
    let writeLease: WriteLease
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

    /// What the edge and load balancers probe: live and ready.
    func registerPublic(on router: RouterGroup<PortalRequestContext>) {
        router.get("health/live") { _, _ in JSONResponse(Liveness(region: region)) }
        router.get("health/ready") { _, _ in
            let readiness = await check()
            return JSONResponse(status: readiness.status == "ready" ? .ok : .serviceUnavailable, readiness)
        }
    }

    /// The internal listener's: replication state and the write lease, which tell an attacker too much.
    func registerInternal(on router: RouterGroup<PortalRequestContext>) {
        router.get("health/region") { _, _ in
            let report = await regionReport()
            return JSONResponse(status: report.role == "unknown" ? .serviceUnavailable : .ok, report)
        }
        router.get("health/lease") { _, _ in JSONResponse(writeLease.report)
        }
    }

    struct RegionReport: Encodable, Sendable {
        struct Writer: Encodable, Sendable {
            var endpoint: String
            var reachable: Bool
            /// The writer's `cluster_name`, which the lab sets to its region.
            var region: String?
            var currentLsn: String?
        }
        var region: String
        var role: String
        var replayLsn: String?
        var lagBytes: UInt64?
        var lagSeconds: Double?
        /// `sync`, `async` or `critical-sync`, from the writer's settings; nil when the writer is unreachable.
        var durability: String?
        var writer: Writer
        /// `fenced` when this portal may not write (no running lease), else `allowed`.
        var writes: String
        var lease: WriteLease.Report
    }

    func regionReport() async -> RegionReport {
        let local = try? await withTimeout(timeout) { [reader, logger] in
            let rows = try await reader.query(
                """
                SELECT pg_is_in_recovery(),
                       (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text,
                       CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                            ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END::float8
                """, logger: logger)
            for try await row in rows.decode((Bool, String?, Double).self) { return row }
            return nil
        }
        let primary = try? await withTimeout(timeout) { [writer, logger] in
            let rows = try await writer.query(
                """
                SELECT current_setting('cluster_name'), pg_current_wal_lsn()::text,
                       current_setting('synchronous_standby_names'), current_setting('synchronous_commit')
                """, logger: logger)
            for try await row in rows.decode((String, String, String, String).self) { return row }
            return nil
        }
        let lease = writeLease.report
        var report = RegionReport(
            region: region, role: "unknown",
            writer: .init(endpoint: writerEndpoint, reachable: primary != nil), writes: lease.writes, lease: lease)
        if let local {
            report.role = local.0 ? "standby" : "primary"
            report.replayLsn = local.1
            report.lagSeconds = local.2
        }
        if let primary {
            report.writer.region = primary.0.isEmpty ? nil : primary.0
            report.writer.currentLsn = primary.1
            report.durability = primary.2.isEmpty ? "async" : (primary.3 == "local" ? "critical-sync" : "sync")
            if let replay = report.replayLsn.flatMap({ LogSequenceNumber($0) }),
                let current = LogSequenceNumber(primary.1)
            {
                report.lagBytes = current.bytes(after: replay)
            }
        }
        return report
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
    try await withDeadline(duration, orThrow: { TimeoutError() }, body)
}
