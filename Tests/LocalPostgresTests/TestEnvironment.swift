import Foundation
import LocalPostgres

extension PostgresClusterConfiguration {
    /// A temporary cluster without durability: tests need speed, not crash safety.
    static var fastTemporary: PostgresClusterConfiguration {
        var configuration = PostgresClusterConfiguration.temporary
        configuration.fastAndUnsafe = true
        return configuration
    }
}

/// A path under the temporary directory that does not exist yet (so `PostgresCluster` creates it, with traversable
/// parents), removed after `body` whatever happens.
func withScratchFolder<T>(
    isolation: isolated (any Actor)? = #isolation,
    _ body: (String) async throws -> T
) async throws -> T {
    let folder = (FileManager.default.temporaryDirectory.path as NSString)
        .appendingPathComponent("local-postgres-tests-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    return try await body(folder)
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(5), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}

/// Whether a process with this pid exists (a zombie counts: it is not gone until reaped).
func processExists(_ pid: Int32) -> Bool {
    FileManager.default.fileExists(atPath: "/proc/\(pid)")
}

/// Field `index` (1-based, as in proc(5)) of `/proc/PID/stat`; fields after the command name only.
func procStatField(_ pid: Int32, _ index: Int) -> String? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return nil }
    let rest = stat[stat.index(after: close)...].split(separator: " ")
    let position = index - 3
    return rest.indices.contains(position) ? String(rest[position]) : nil
}
