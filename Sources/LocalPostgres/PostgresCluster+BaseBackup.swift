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
        var configuration = configuration
        if configuration.settings["wal_retrieve_retry_interval"] == nil {
            configuration.settings["wal_retrieve_retry_interval"] = "100ms"
        }
        let standby = PostgresCluster(configuration: configuration, logger: logger ?? primary.logger)
        guard primary.pid != nil else {
            throw PostgresClusterError(
                code: .notRunning,
                message: "cannot back up \(primary.configuration.dataDirectory): its server is not running"
            )
        }
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
            "-D", directory, "-h", primary.configuration.host, "-p", String(primary.port),
            "-U", primary.configuration.superuser, "-R", "-X", "stream", "-c", "fast",
        ]
        if let slot { arguments += ["-C", "-S", slot] }
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
                message: "pg_basebackup from port \(primary.port) into \(directory) exited with status "
                    + "\(output.status): \(output.diagnostics)"
            )
        }
        // The primary's log, when it lives in its data folder, was copied too; the standby's own log starts empty.
        let primaryLog = primary.configuration.resolvedLogFile as NSString
        if primaryLog.deletingLastPathComponent == (primary.configuration.dataDirectory as NSString).standardizingPath {
            try? FileManager.default.removeItem(
                atPath: (directory as NSString).appendingPathComponent(primaryLog.lastPathComponent)
            )
        }
        standby.logger.debug("base backup done", metadata: [LogKey.duration: "\(ContinuousClock.now - started)"])
        return standby
    }
}
