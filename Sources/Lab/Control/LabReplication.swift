import Failover
import Foundation
import LocalPostgres
import Logging
import PostgresNIO

#if canImport(Glibc)
    import Glibc
#endif

/// The lab's `DatabaseReplication` and `FailoverActions`: SQL on each region's PostgreSQL through the
/// controller's WAN routes (so a partitioned region cannot be reached, as in a real outage), writer endpoints
/// moved by the WAN emulator, process checks by recorded pid, and `pg_rewind` / `pg_basebackup` for rejoins.
public struct LabReplication: DatabaseReplication, FailoverActions {
    let deployment: LabDeployment
    let logger: Logger
    let timeout: Duration

    public init(deployment: LabDeployment, logger: Logger, timeout: Duration = .seconds(5)) {
        self.deployment = deployment
        self.logger = logger
        self.timeout = timeout
    }

    struct Timeout: Error, CustomStringConvertible {
        var what: String
        var description: String { "\(what): no answer in time" }
    }

    /// Runs `statements` one after another on `region`'s database server (through the controller's route to it),
    /// in `database` (the portal's, for its epoch row).
    @discardableResult
    func execute(_ statements: [String], on region: RegionName, database: String = "postgres") async throws
        -> [String]
    {
        let port = try deployment.state().region(region).controlDatabasePort
        let logger = self.logger
        let connection = try await connectPostgres(
            port: port, database: database, timeout: timeout, id: 1, logger: logger)
        defer { Task { try? await connection.close() } }
        return try await withDeadline(timeout, orThrow: { Timeout(what: "\(region)'s database") }) {
            var results: [String] = []
            for statement in statements {
                let rows = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                var text = ""
                for try await row in rows {
                    text = (try? row.decode(String?.self)).flatMap { $0 } ?? ""
                }
                results.append(text)
            }
            return results
        }
    }

    static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    // MARK: DatabaseReplication

    public func replicationStatus() async throws -> [ReplicationStatus] {
        let state = try deployment.state()
        var statuses: [ReplicationStatus] = []
        for region in state.regions {
            let answer = try? await execute(
                [
                    "SELECT CASE WHEN pg_is_in_recovery() THEN 'standby' ELSE 'primary' END",
                    "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text",
                ], on: region.name)
            statuses.append(
                ReplicationStatus(
                    region: region.name, role: answer.flatMap { DatabaseRole(rawValue: $0[0]) } ?? .unknown,
                    replayedLSN: answer.flatMap { LogSequenceNumber($0[1]) }))
        }
        return statuses
    }

    /// On one connection (each new one costs round trips across the WAN): replication slots for the other
    /// regions (a standby may hold physical slots, so they come first), `pg_promote`, then the deployment's
    /// durability with the new standby list; the lab state records the new primary. `allowingDataLoss` changes
    /// nothing here: the controller's select step has already checked the target's lag (0 in sync mode).
    public func promote(_ region: RegionName, allowingDataLoss: Bool) async throws {
        let state = try deployment.state()
        let others = state.regions.map(\.name).filter { $0 != region }
        let (names, commit) = state.durability.primarySettings(standbys: others)
        let slots = Self.slotStatements(for: others)
        let results = try await execute(
            slots + [
                "SELECT pg_promote(true, 30)::text",
                "ALTER SYSTEM SET synchronous_standby_names = \(Self.quoted(names))",
                "ALTER SYSTEM SET synchronous_commit = \(Self.quoted(commit))",
                "ALTER SYSTEM RESET default_transaction_read_only",
                "SELECT pg_reload_conf()::text",
            ], on: region)
        guard results[slots.count] == "true" else {
            throw FailoverError(.providerFailure, "pg_promote on \(region) did not finish")
        }
        try LabState.update(in: deployment.directory) { $0.primary = region }
    }

    /// Slots on `target` for the other regions, and every other standby that is in recovery now pointed at it,
    /// within a second each (one that does not answer in time is left alone: the repoint step comes back to it).
    /// The former primary, recorded in the lab state, is not touched.
    ///
    /// A standby that cascades from the target before the promotion crosses the timeline switch on the
    /// connection it already has; pointed there afterwards, it first reconnects across the WAN (about 2 s
    /// between eu-west-1 and ap-southeast-2, measured in the lab's PostgreSQL logs), and in sync mode the first
    /// commit after the failover waits for it.
    public func prepareFailover(to target: RegionName) async throws -> [RegionName] {
        let state = try deployment.state()
        let others = state.regions.map(\.name).filter { $0 != target }
        try await execute(Self.slotStatements(for: others), on: target)
        return await pointStreamingStandbys(others.filter { $0 != state.primary }, at: target)
    }

    /// A physical replication slot for each of `regions`, unless it exists.
    static func slotStatements(for regions: [RegionName]) -> [String] {
        regions.map { region in
            let slot = LabDeployment.slotName(region)
            return "SELECT pg_create_physical_replication_slot(\(Self.quoted(slot)))::text "
                + "WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = \(Self.quoted(slot)))"
        }
    }

    /// The standbys among `standbys` that are in recovery, each pointed at `target` within a second; returns those
    /// it pointed.
    private func pointStreamingStandbys(_ standbys: [RegionName], at target: RegionName) async -> [RegionName] {
        await withTaskGroup(of: RegionName?.self) { group in
            for standby in standbys {
                group.addTask {
                    let pointed = try? await withDeadline(
                        .seconds(1), orThrow: { Timeout(what: "\(standby)'s database") }
                    ) { () async throws -> RegionName? in
                        guard try await execute(["SELECT pg_is_in_recovery()::text"], on: standby) == ["true"] else {
                            return nil
                        }
                        try await repoint(standby, to: target)
                        return standby
                    }
                    return pointed ?? nil
                }
            }
            var pointed: [RegionName] = []
            for await standby in group { if let standby { pointed.append(standby) } }
            return pointed
        }
    }

    public func switchover(to region: RegionName) async throws {
        throw FailoverError(
            .notSupported,
            "in the lab a switchover is the controller's plan of steps: run drctl switchover --to \(region)")
    }

    /// A former primary back as a standby: stopped, rewound with `pg_rewind` onto the current primary's timeline
    /// (a fresh `pg_basebackup` when the rewind fails), pointed at the current primary through its WAN route, and
    /// started; returns once it streams.
    public func rejoin(_ region: RegionName) async throws {
        let state = try deployment.state()
        let primary = state.primary
        guard region != primary else { throw FailoverError(.refused, "\(region) is the primary") }
        let target = try state.region(region)
        let routeToPrimary = target.databaseRoutes[primary.rawValue]!
        // Stop it (fast shutdown) and wait until the postmaster is really gone.
        if let record = target.postgres.process ?? LabDeployment.postmaster(in: target.postgres.dataDirectory) {
            kill(record.pid, SIGCONT)
            await DetachedProcess.stop(record, signal: SIGINT, timeout: .seconds(20))
        }
        // The new primary's control file must show its new timeline before a rewind reads it.
        try await execute(["CHECKPOINT"] + Self.slotStatements(for: [region]), on: primary)
        var configuration = LabDeployment.clusterConfiguration(for: target)
        configuration.settings["hot_standby_feedback"] = "on"
        let cluster = PostgresCluster(configuration: configuration, logger: logger)
        do {
            try await cluster.rewind(fromHost: "127.0.0.1", port: routeToPrimary)
            logger.info("rewound", metadata: ["region": "\(region)"])
        } catch {
            logger.warning("pg_rewind failed; cloning afresh", metadata: ["error": "\(error)"])
            try FileManager.default.removeItem(atPath: target.postgres.dataDirectory)
            _ = try await PostgresCluster.makeBaseBackup(
                fromHost: "127.0.0.1", port: routeToPrimary, into: configuration,
                slot: LabDeployment.slotName(region), logger: logger)
        }
        try LabDeployment.appendSettings(
            [
                "primary_conninfo":
                    "host=127.0.0.1 port=\(routeToPrimary) user=postgres application_name=\(region) connect_timeout=2",
                "primary_slot_name": LabDeployment.slotName(region),
                "default_transaction_read_only": "off",
            ], to: target.postgres.dataDirectory)
        let standby = PostgresCluster(configuration: configuration, logger: logger)
        try await standby.start()
        guard let pid = standby.pid else { throw FailoverError(.providerFailure, "\(region)'s database has no pid") }
        try LabState.update(in: deployment.directory) { state in
            let index = state.regions.firstIndex { $0.name == region }!
            state.regions[index].postgres.process = .init(
                pid: pid, executable: "postgres", logFile: configuration.resolvedLogFile)
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let streaming = try? await execute(
                [
                    "SELECT count(*)::text FROM pg_stat_replication WHERE state = 'streaming' AND application_name = "
                        + Self.quoted(region.rawValue)
                ], on: primary)
            if streaming?.first == "1" { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw FailoverError(.providerFailure, "\(region) did not stream from \(primary) within 30 s after rejoining")
    }

    // MARK: FailoverActions

    public func fenceDatabase(_ region: RegionName) async throws {
        try await execute(
            [
                // The epoch row first, which every write checks in its own transaction (issue 14, window 6: a
                // session can turn default_transaction_read_only off, it cannot write past the row). Committed
                // locally: a primary cut off from its standbys would never return a synchronous commit.
                "SET synchronous_commit = local",
                "SET default_transaction_read_only = off",
                """
                DO $$ BEGIN
                    IF NOT pg_is_in_recovery() AND to_regclass('public.dr_epoch') IS NOT NULL THEN
                        UPDATE dr_epoch SET fenced = true, updated_at = now();
                    END IF;
                END $$
                """,
                "ALTER SYSTEM SET default_transaction_read_only = on",
                "SELECT pg_reload_conf()::text",
                // Sessions opened before the reload keep writing: end every client session.
                "SELECT count(pg_terminate_backend(pid))::text FROM pg_stat_activity "
                    + "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
            ], on: region, database: LabDeployment.portalDatabase)
    }

    /// `INSERT … ON CONFLICT` on the epoch row, committed locally (in sync mode a promoted primary whose standbys
    /// have not reconnected yet would hold the commit).
    public func bindEpoch(_ epoch: Int, on region: RegionName) async throws {
        let results = try await execute(
            [
                "SET synchronous_commit = local",
                """
                INSERT INTO dr_epoch (id, epoch, fenced) VALUES (true, \(epoch), false)
                ON CONFLICT (id) DO UPDATE SET epoch = greatest(dr_epoch.epoch, excluded.epoch), fenced = false,
                    updated_at = now()
                RETURNING epoch::text
                """,
            ], on: region, database: LabDeployment.portalDatabase)
        guard let held = results.last.flatMap({ Int($0) }), held >= epoch else {
            throw FailoverError(.providerFailure, "\(region)'s database did not take epoch \(epoch)")
        }
    }

    /// The region's database server is confirmed not running (crashed or stopped, not frozen): nothing can be
    /// written to it.
    public func writersStopped(in region: RegionName) async -> Bool {
        guard let record = try? deployment.state().region(region).postgres.process else { return false }
        return !DetachedProcess.isRunning(record)
    }

    public func repoint(_ standby: RegionName, to primary: RegionName) async throws {
        let route = try deployment.state().region(standby).databaseRoutes[primary.rawValue]!
        try await execute(
            [
                "ALTER SYSTEM SET primary_conninfo = "
                    + Self.quoted(
                        "host=127.0.0.1 port=\(route) user=postgres application_name=\(standby) connect_timeout=2"),
                "ALTER SYSTEM SET primary_slot_name = \(Self.quoted(LabDeployment.slotName(standby)))",
                "SELECT pg_reload_conf()::text",
            ], on: standby)
    }

    public func moveWriterEndpoint(to primary: RegionName) async throws {
        let state = try deployment.state()
        let admin = WANAdminClient(port: state.wan.adminPort)
        let port = try state.region(primary).postgres.port
        // At once: a retarget closes the route's connections, which takes a while on a partitioned link.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for region in state.regions {
                group.addTask {
                    _ = try await admin.retarget(
                        route: WANPlan.RouteName.writer(region.name), to: primary.rawValue, targetPort: port)
                }
            }
            try await group.waitForAll()
        }
    }

    public func setSynchronousCommit(_ enabled: Bool, primary: RegionName) async throws {
        let state = try deployment.state()
        let durability: Durability = enabled ? state.durability : .async
        let (names, _) = durability.primarySettings(standbys: state.regions.map(\.name).filter { $0 != primary })
        try await execute(
            ["ALTER SYSTEM SET synchronous_standby_names = \(Self.quoted(names))", "SELECT pg_reload_conf()::text"],
            on: primary)
    }

    public func synchronousDurability() async -> Bool {
        (try? deployment.state().durability) == .sync
    }
}
