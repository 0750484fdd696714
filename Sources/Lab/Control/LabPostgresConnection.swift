import Failover
import Logging
import PostgresNIO

/// Opens a PostgreSQL connection to `127.0.0.1:port` within `timeout`. The attempt runs on as a task of its own:
/// when the deadline passes first, a connection that opens later is closed rather than dropped (PostgresNIO
/// insists that every connection is closed).
func connectPostgres(
    port: Int, database: String = "postgres", timeout: Duration, id: Int, logger: Logger
) async throws -> PostgresConnection {
    let configuration = PostgresConnection.Configuration(
        host: "127.0.0.1", port: port, username: "postgres", password: nil, database: database, tls: .disable)
    let attempt = Task { try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger) }
    do {
        return try await withDeadline(timeout, orThrow: { ConnectTimeout(port: port) }) { try await attempt.value }
    } catch {
        Task { try? await attempt.value.close() }
        throw error
    }
}

struct ConnectTimeout: Error, CustomStringConvertible {
    var port: Int
    var description: String { "no PostgreSQL connection on port \(port) in time" }
}
