import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension PostgresCluster {
    /// Runs `body` with a fresh cluster in a new temporary folder, then stops the server and removes the folder,
    /// whether `body` returns or throws.
    ///
    /// `configuration.dataDirectory` is replaced by `<new temporary folder>/data`; start from `.temporary` and change
    /// what you need (e.g. `fastAndUnsafe` for tests).
    public static func withTemporaryCluster<T>(
        configuration: PostgresClusterConfiguration = .temporary,
        logger: Logger = Logger(label: "LocalPostgres"),
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresCluster) async throws -> T
    ) async throws -> T {
        let folder = try makeTemporaryFolder()
        var configuration = configuration
        configuration.dataDirectory = (folder as NSString).appendingPathComponent("data")
        let cluster = PostgresCluster(configuration: configuration, logger: logger)

        let result: Result<T, any Error>
        do {
            if let user = try SystemUser.forPostgres(named: configuration.systemUser) {
                // mkdtemp makes the folder 0700 root; the server user must own it to create the data folder inside.
                try user.takeOwnership(of: folder)
                try user.checkTraversable(folder)
            }
            try await cluster.initialize()
            try await cluster.start()
            result = .success(try await body(cluster))
        } catch {
            result = .failure(error)
        }
        var stopError: (any Error)? = nil
        do {
            try await cluster.stop()
        } catch {
            stopError = error
        }
        do {
            try FileManager.default.removeItem(atPath: folder)
        } catch {
            logger.warning("cannot remove temporary cluster folder", metadata: [LogKey.dataDirectory: "\(folder)"])
        }
        let value = try result.get()
        if let stopError { throw stopError }
        return value
    }

    /// A new, empty folder under the temporary directory (`TMPDIR`, else `/tmp`).
    static func makeTemporaryFolder() throws -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((base as NSString).appendingPathComponent("local-postgres-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw PostgresClusterError(
                code: .dataDirectoryUnusable,
                message: "cannot create a temporary folder in \(base): \(String(cString: strerror(errno)))"
            )
        }
        return String(cString: made)
    }
}
