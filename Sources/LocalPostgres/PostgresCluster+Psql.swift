import Foundation

extension PostgresCluster {
    /// Runs `sql` with `psql -At -X -v ON_ERROR_STOP=1` over TCP as the superuser and returns its output, trimmed:
    /// one row per line, columns separated by `|`. Throws `commandFailed` with psql's error output on failure.
    ///
    /// This is for setting up and inspecting clusters (tests, the lab), not for application queries: the SQL is
    /// passed as is, so never build it from untrusted input.
    public func psql(_ sql: String, database: String = "postgres") async throws -> String {
        guard pid != nil else {
            throw PostgresClusterError(
                code: .notRunning,
                message: "cannot run psql: the server in \(configuration.dataDirectory) is not running"
            )
        }
        let tools = try await resolveTools()
        let arguments = [
            "-h", configuration.host, "-p", String(port), "-U", configuration.superuser, "-d", database,
            "-At", "-X", "-v", "ON_ERROR_STOP=1", "-c", sql,
        ]
        // psql is a client: it needs no privilege switch even when we are root.
        let output = try await tools.runner.run(try tools.binaries.path("psql"), arguments, asServerUser: false)
        guard output.status == 0 else {
            throw PostgresClusterError(
                code: .commandFailed,
                message: "psql on port \(port) exited with status \(output.status): \(output.diagnostics)"
            )
        }
        return output.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
