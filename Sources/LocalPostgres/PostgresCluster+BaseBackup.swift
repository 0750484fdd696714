import Foundation
import Logging

extension PostgresCluster {
    /// Copies a running primary into a new data directory with `pg_basebackup -R -X stream -c fast`, ready to start
    /// as a streaming standby of it; the returned cluster is not started.
    ///
    /// With a `slot`, the backup creates that physical replication slot on the primary (`-C -S slot`) and the standby
    /// uses it. `-R` writes `primary_conninfo` into `postgresql.auto.conf`; everything else about the standby goes
    /// on its command line, including `wal_retrieve_retry_interval=100ms` (unless `configuration.settings` sets it),
    /// so a promotion right after the primary dies does not wait out the default five seconds.
    public static func makeBaseBackup(
        from primary: PostgresCluster,
        into configuration: PostgresClusterConfiguration,
        slot: String? = nil,
        logger: Logger? = nil
    ) async throws -> PostgresCluster {
        guard primary.pid != nil else {
            throw PostgresClusterError(
                code: .notRunning,
                message: "cannot back up \(primary.configuration.dataDirectory): its server is not running"
            )
        }
        let standby = try await makeBaseBackup(
            fromHost: primary.configuration.host, port: primary.port, superuser: primary.configuration.superuser,
            into: configuration, slot: slot, logger: logger ?? primary.logger)
        // The primary's log, when it lives in its data folder, was copied too; the standby's own log starts empty.
        let primaryLog = primary.configuration.resolvedLogFile as NSString
        if primaryLog.deletingLastPathComponent == (primary.configuration.dataDirectory as NSString).standardizingPath {
            try? FileManager.default.removeItem(
                atPath: (configuration.dataDirectory as NSString).appendingPathComponent(primaryLog.lastPathComponent)
            )
        }
        return standby
    }

    /// Copies the running primary at `host:port` (which this process need not have started) into a new data
    /// directory, as `makeBaseBackup(from:into:slot:logger:)` does. A slot that already exists is reused.
    public static func makeBaseBackup(
        fromHost host: String, port: Int, superuser: String = "postgres",
        into configuration: PostgresClusterConfiguration, slot: String? = nil, logger: Logger
    ) async throws -> PostgresCluster {
        var configuration = configuration
        if configuration.settings["wal_retrieve_retry_interval"] == nil {
            configuration.settings["wal_retrieve_retry_interval"] = "100ms"
        }
        let standby = PostgresCluster(configuration: configuration, logger: logger)
        let tools = try await standby.resolveTools()
        let directory = configuration.dataDirectory
        if let contents = try? FileManager.default.contentsOfDirectory(atPath: directory), !contents.isEmpty {
            throw PostgresClusterError(
                code: .dataDirectoryUnusable,
                message: "cannot back up into \(directory): the folder is not empty"
            )
        }
        try standby.prepareDirectory(directory, runner: tools.runner)
        var arguments = [
            "-D", directory, "-h", host, "-p", String(port), "-U", superuser, "-R", "-X", "stream", "-c", "fast",
        ]
        if let slot {
            let exists = try await PostgresTools.psql(
                "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '\(slot.replacingOccurrences(of: "'", with: "''"))'",
                port: port, host: host, superuser: superuser)
            arguments += exists == "0" ? ["-C", "-S", slot] : ["-S", slot]
        }
        if configuration.fastAndUnsafe { arguments.append("--no-sync") }
        let started = ContinuousClock.now
        let output = try await tools.runner.run(
            try tools.binaries.path("pg_basebackup"),
            arguments,
            asServerUser: true
        )
        guard output.status == 0 else {
            throw PostgresClusterError(
                code: .baseBackupFailed,
                message: "pg_basebackup from port \(port) into \(directory) exited with status "
                    + "\(output.status): \(output.diagnostics)"
            )
        }
        standby.logger.debug("base backup done", metadata: [LogKey.duration: "\(ContinuousClock.now - started)"])
        return standby
    }
}

extension PostgresCluster {
    /// Rewinds this (stopped) cluster onto the timeline of the running server at `host:port` with `pg_rewind`, so
    /// that a former primary can follow the new one as a standby. Writes `standby.signal`. Throws when pg_rewind
    /// fails (then a fresh base backup is the way back).
    public func rewind(fromHost host: String, port: Int, superuser: String = "postgres") async throws {
        let tools = try await resolveTools()
        let output = try await tools.runner.run(
            try tools.binaries.path("pg_rewind"),
            [
                "--target-pgdata", configuration.dataDirectory,
                "--source-server", "host=\(host) port=\(port) user=\(superuser) dbname=postgres connect_timeout=5",
            ],
            asServerUser: true)
        guard output.status == 0 else {
            throw PostgresClusterError(
                code: .commandFailed,
                message: "pg_rewind of \(configuration.dataDirectory) from port \(port) exited with status "
                    + "\(output.status): \(output.diagnostics)")
        }
        let signal = (configuration.dataDirectory as NSString).appendingPathComponent("standby.signal")
        _ = try await tools.runner.run("/usr/bin/touch", [signal], asServerUser: true)
    }
}
