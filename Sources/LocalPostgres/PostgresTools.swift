import Foundation

/// Helpers for servers this process did not start (a lab started by an earlier `drctl` run): a psql query by
/// port, and process launching with signals unblocked.
public enum PostgresTools {
    /// Runs `sql` with psql against the server on `host:port` and returns its trimmed, unaligned output.
    public static func psql(
        _ sql: String, port: Int, host: String = "127.0.0.1", superuser: String = "postgres",
        database: String = "postgres", binDirectory: String? = nil
    ) async throws -> String {
        let binaries = try await PostgresBinaries.locate(configured: binDirectory)
        let arguments = [
            "-h", host, "-p", String(port), "-U", superuser, "-d", database, "-At", "-X", "-v", "ON_ERROR_STOP=1",
            "-c", sql,
        ]
        let output = try await ProgramRunner.asCurrentUser.run(
            try binaries.path("psql"), arguments, asServerUser: false)
        guard output.status == 0 else {
            throw PostgresClusterError(
                code: .commandFailed,
                message: "psql on port \(port) exited with status \(output.status): \(output.diagnostics)")
        }
        return output.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A TCP port on `host` that was free a moment ago.
    public static func freePort(host: String = "127.0.0.1") throws -> Int {
        try FreePort.pick(host: host)
    }

    /// Starts `process` with no signals blocked (Foundation hands a child the spawning thread's mask, and the
    /// concurrency pool's threads block almost every signal, so the child would ignore SIGTERM and SIGINT).
    public static func launch(_ process: Process) throws {
        try ProgramRunner.launch(process)
    }
}
