import AsyncHTTPClient
import Failover
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Probes regions of the lab from one place (the controller, or a region's agent): each region's first portal's
/// readiness over HTTP, and its database's role and WAL positions over a kept-open PostgreSQL connection, both
/// through the WAN routes that lead there from the vantage point, and both bounded by the probe timeout.
public actor LabProber: RegionProber {
    public struct Target: Sendable {
        public var portalURL: String
        public var databasePort: Int
        public init(portalURL: String, databasePort: Int) {
            self.portalURL = portalURL
            self.databasePort = databasePort
        }
    }

    let targets: [RegionName: Target]
    let timeout: Duration
    let logger: Logger
    var connections: [RegionName: PostgresConnection] = [:]
    var connectionIDs = 0

    public init(targets: [RegionName: Target], timeout: Duration, logger: Logger) {
        self.targets = targets
        self.timeout = timeout
        self.logger = logger
    }

    public func close() async {
        let open = connections.values
        connections = [:]
        for connection in open { try? await connection.close() }
    }

    public func probe(_ region: RegionName, vantage: String) async -> ProbeObservation {
        guard let target = targets[region] else {
            return ProbeObservation(
                region: region, vantage: vantage, portalReady: nil, portalAnswered: nil, database: nil,
                databaseProbed: false, latencyMilliseconds: 0)
        }
        let started = ContinuousClock.now
        async let portal = Self.portalReadiness(target.portalURL, timeout: timeout)
        let database = await databaseProbe(region, port: target.databasePort)
        let (ready, answered) = await portal
        return ProbeObservation(
            region: region, vantage: vantage, portalReady: ready, portalAnswered: answered, database: database,
            databaseProbed: true,
            latencyMilliseconds: Double(started.duration(to: .now).wholeMilliseconds))
    }

    static func portalReadiness(_ url: String, timeout: Duration) async -> (ready: Bool, answered: Bool) {
        let request = HTTPClientRequest(url: url + "/health/ready")
        do {
            let response = try await withDeadline(timeout, orThrow: { ProbeTimeout() }) {
                let response = try await HTTPClient.shared.execute(
                    request, timeout: .milliseconds(timeout.wholeMilliseconds))
                _ = try await response.body.collect(upTo: 64 * 1024)
                return response.status.code
            }
            return (response == 200, true)
        } catch {
            return (false, false)
        }
    }

    struct ProbeTimeout: Error {}

    static let probeSQL: PostgresQuery = """
        SELECT pg_is_in_recovery(),
               (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text,
               (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_flush_lsn() END)::text,
               coalesce((SELECT string_agg(application_name, ',') FROM pg_stat_replication
                         WHERE state = 'streaming'), ''),
               coalesce((SELECT string_agg(application_name, ',') FROM pg_stat_replication
                         WHERE state = 'streaming' AND sync_state IN ('sync', 'quorum')), ''),
               current_setting('default_transaction_read_only'),
               (CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                     ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END)::float8
        """

    var databaseProbes: [RegionName: Task<DatabaseProbe?, Never>] = [:]

    /// One database query per region at a time: probes that overlap share the answer of the one in flight
    /// (queued queries on the one connection would otherwise pile up behind a slow link).
    func databaseProbe(_ region: RegionName, port: Int) async -> DatabaseProbe? {
        if let running = databaseProbes[region] { return await running.value }
        let task = Task { await self.queryDatabase(region, port: port) }
        databaseProbes[region] = task
        let result = await task.value
        databaseProbes[region] = nil
        return result
    }

    func queryDatabase(_ region: RegionName, port: Int) async -> DatabaseProbe? {
        do {
            let connection = try await connection(region, port: port)
            let logger = self.logger
            return try await withDeadline(timeout, orThrow: { ProbeTimeout() }) {
                let rows = try await connection.query(Self.probeSQL, logger: logger)
                for try await row in rows.decode((Bool, String?, String?, String, String, String, Double).self) {
                    let split: (String) -> [String] = { $0.split(separator: ",").map(String.init) }
                    return DatabaseProbe(
                        role: row.0 ? .standby : .primary, replayedLSN: row.1.flatMap { LogSequenceNumber($0) },
                        flushedLSN: row.2.flatMap { LogSequenceNumber($0) }, streaming: split(row.3),
                        synchronous: split(row.4), readOnly: row.5 == "on", lagSeconds: row.6)
                }
                return nil
            }
        } catch {
            if let connection = connections.removeValue(forKey: region) {
                Task { try? await connection.close() }
            }
            return nil
        }
    }

    func connection(_ region: RegionName, port: Int) async throws -> PostgresConnection {
        if let connection = connections[region], !connection.isClosed { return connection }
        connectionIDs += 1
        let id = connectionIDs
        let connection = try await connectPostgres(port: port, timeout: timeout, id: id, logger: logger)
        if let raced = connections[region] {
            // Another probe connected meanwhile: keep one.
            Task { try? await connection.close() }
            return raced
        }
        connections[region] = connection
        return connection
    }
}
