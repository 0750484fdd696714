import Foundation
import Synchronization

/// The folder of PostgreSQL programs a cluster uses.
struct PostgresBinaries: Sendable {
    var directory: String

    /// The path of `program` in the folder, or an error naming the folder when it is not there.
    func path(_ program: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent(program)
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw PostgresClusterError(code: .binariesNotFound, message: "\(program) not found in \(directory)")
        }
        return path
    }

    /// A discovered folder, shared by every cluster without an explicit `binDirectory` (it costs a `pg_config` run).
    private static let discovered = Mutex<PostgresBinaries?>(nil)

    /// `configured` if set (and it must hold `initdb` and `postgres`); else `pg_config --bindir`; else the newest
    /// `/usr/lib/postgresql/*/bin`; else the folder of `initdb` in `PATH`.
    static func locate(configured: String?) async throws -> PostgresBinaries {
        if let configured {
            guard hasServerPrograms(configured) else {
                throw PostgresClusterError(
                    code: .binariesNotFound,
                    message: "binDirectory \(configured) has no executable initdb and postgres"
                )
            }
            return PostgresBinaries(directory: configured)
        }
        if let cached = discovered.withLock({ $0 }) { return cached }
        var searched: [String] = []

        if let pgConfig = ProgramRunner.findInPath("pg_config") {
            let runner = ProgramRunner.asCurrentUser
            if let output = try? await runner.run(pgConfig, ["--bindir"], asServerUser: false), output.status == 0 {
                let folder = output.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
                if hasServerPrograms(folder) { return remember(folder) }
                searched.append("\(pgConfig) --bindir (\(folder))")
            } else {
                searched.append("\(pgConfig) --bindir (failed)")
            }
        } else {
            searched.append("pg_config (not in PATH)")
        }

        if let folder = newestDebianFolder() { return remember(folder) }
        searched.append("/usr/lib/postgresql/*/bin")

        if let initdb = ProgramRunner.findInPath("initdb") {
            // /usr/local/bin/initdb may be a lone symlink; the real folder also holds psql and pg_basebackup.
            let folder = (URL(fileURLWithPath: initdb).resolvingSymlinksInPath().path as NSString)
                .deletingLastPathComponent
            if hasServerPrograms(folder) { return remember(folder) }
        }
        searched.append("PATH")
        throw PostgresClusterError(
            code: .binariesNotFound,
            message: "no PostgreSQL programs (initdb, postgres) found; searched \(searched.joined(separator: ", ")); "
                + "install PostgreSQL or set binDirectory"
        )
    }

    private static func remember(_ folder: String) -> PostgresBinaries {
        let binaries = PostgresBinaries(directory: folder)
        discovered.withLock { $0 = binaries }
        return binaries
    }

    private static func hasServerPrograms(_ folder: String) -> Bool {
        ["initdb", "postgres"].allSatisfy {
            FileManager.default.isExecutableFile(atPath: (folder as NSString).appendingPathComponent($0))
        }
    }

    /// The `/usr/lib/postgresql/<version>/bin` with the highest version that has the server programs (Debian layout).
    private static func newestDebianFolder() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        let sorted = versions.sorted {
            $0.compare($1, options: .numeric) == .orderedDescending
        }
        return sorted.map { "\(root)/\($0)/bin" }.first(where: hasServerPrograms)
    }
}
