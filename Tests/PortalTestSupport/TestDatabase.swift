import Foundation
import LocalPostgres
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// One throw-away PostgreSQL server per test process, started on first use; each test gets a database of
/// its own on it. The server is stopped by pid when the process exits (an `atexit` handler), and by the
/// cluster's parent watchdog if the process dies without running it.
public actor TestDatabase {
    public static let shared = TestDatabase()

    private var cluster: Task<PostgresCluster, any Error>?
    private var counter = 0

    /// A fresh, empty database; its URL.
    public func makeDatabase() async throws -> String {
        let cluster = try await startedCluster()
        counter += 1
        let name = "test_\(getpid())_\(counter)"
        _ = try await cluster.psql("CREATE DATABASE \(name)")
        return cluster.url(database: name)
    }

    /// The shared server, for tests that need to act on it directly.
    public func startedCluster() async throws -> PostgresCluster {
        // One task, awaited by every caller: the actor is re-entrant across the awaits of start-up.
        if let cluster { return try await cluster.value }
        let task = Task { try await Self.startCluster() }
        cluster = task
        return try await task.value
    }

    private static func startCluster() async throws -> PostgresCluster {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("portal-tests-\(getpid())-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        chmod(folder, 0o777)
        var configuration = PostgresClusterConfiguration(dataDirectory: folder + "/data")
        configuration.fastAndUnsafe = true
        configuration.stopWhenParentExits = true
        configuration.settings["max_connections"] = "300"
        let cluster = PostgresCluster(configuration: configuration, logger: Logger(label: "test-postgres"))
        try await cluster.initialize()
        try await cluster.start()
        ShutdownHook.register(pid: cluster.pid, folder: folder)
        return cluster
    }
}

/// Stops the shared server by pid at process exit and removes its folder.
enum ShutdownHook {
    nonisolated(unsafe) static var pid: Int32 = 0
    nonisolated(unsafe) static var folder = ""

    static func register(pid: Int32?, folder: String) {
        guard let pid else { return }
        Self.pid = pid
        Self.folder = folder
        atexit {
            let pid = ShutdownHook.pid
            guard pid > 0 else { return }
            kill(pid, SIGINT)  // fast shutdown
            for _ in 0..<200 where FileManager.default.fileExists(atPath: "/proc/\(pid)") {
                usleep(25_000)
            }
            if FileManager.default.fileExists(atPath: "/proc/\(pid)") { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(atPath: ShutdownHook.folder)
        }
    }
}
