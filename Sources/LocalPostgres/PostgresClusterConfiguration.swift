import Foundation

/// Where and how a local PostgreSQL cluster lives and runs.
///
/// Every field but the data directory has a default. Per-server settings (port, `cluster_name`, `settings`) are passed
/// on the `postgres` command line, never written into the cluster's configuration files, so that `pg_basebackup` and
/// `pg_rewind` (which copy those files between servers) cannot carry one server's identity to another.
public struct PostgresClusterConfiguration: Sendable {
    /// The folder to `initdb` into; created (with its parents) if missing.
    public var dataDirectory: String
    /// The TCP port to listen on; `nil` picks a free loopback port (and retries another one if it gets taken).
    public var port: Int?
    /// The address to listen on and connect to. Keep it on loopback.
    public var host: String = "127.0.0.1"
    /// The superuser created by `initdb`; every connection made by this library uses it (trust authentication).
    public var superuser: String = "postgres"
    /// `cluster_name`: shows in process titles, and is the name a standby reports to its primary
    /// (so `synchronous_standby_names` can name it).
    public var clusterName: String? = nil
    /// Extra `-c key=value` settings for the `postgres` command line; they override this library's defaults.
    public var settings: [String: String] = [:]
    /// The folder holding `initdb`, `postgres`, `psql`, `pg_basebackup`; `nil` discovers it
    /// (`pg_config --bindir`, then the newest `/usr/lib/postgresql/*/bin`, then `PATH`).
    public var binDirectory: String? = nil
    /// The server log (stdout and stderr of `postgres`); `nil` means `<dataDirectory>/postgres.log`.
    public var logFile: String? = nil
    /// Trades durability for speed, for tests: `initdb --no-sync`, `fsync=off`, `synchronous_commit=off`
    /// (`full_page_writes` stays on, because `pg_rewind` needs it).
    public var fastAndUnsafe: Bool = false
    /// Starts a small watchdog process that stops the server with a fast shutdown when this process exits
    /// without stopping it (a crash, a killed test run), so no orphaned server keeps running.
    public var stopWhenParentExits: Bool = true
    /// The system user that runs the PostgreSQL programs when this process runs as root (PostgreSQL refuses root).
    public var systemUser: String = "postgres"
    /// How long `start()` waits for the server to accept connections.
    public var startTimeout: Duration = .seconds(30)
    /// How long `stop(mode:)` waits before escalating to an immediate shutdown and then `SIGKILL`.
    public var stopTimeout: Duration = .seconds(15)

    /// A configuration for a cluster in `dataDirectory`, with defaults for everything else.
    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    /// The starting point for `PostgresCluster.withTemporaryCluster`, which fills in the data directory.
    public static var temporary: PostgresClusterConfiguration {
        PostgresClusterConfiguration(dataDirectory: "")
    }

    /// The log file in use: `logFile`, or `postgres.log` inside the data directory.
    public var resolvedLogFile: String {
        logFile ?? (dataDirectory as NSString).appendingPathComponent("postgres.log")
    }
}
