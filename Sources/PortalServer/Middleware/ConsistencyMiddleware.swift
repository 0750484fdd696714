import AccountsPostgres
import Failover
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PostgresNIO

/// Read-your-writes across regions with consistency tokens (DESIGN.md §2).
///
/// A successful write answers with `X-Consistency-Token`: the primary's WAL position after its commit. A later
/// request that presents the token is served from the region's own database once that database has replayed
/// the position; the middleware waits for that up to `waitBound`, and otherwise serves the request from the
/// writer (the primary), which always has it.
struct ConsistencyMiddleware: RouterMiddleware {
    typealias Context = PortalRequestContext
    let reader: PostgresClient
    let separateWriter: Bool
    let waitBound: Duration
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var readFromWriter = false
        if let text = request.headers[.consistencyToken] {
            guard let token = LogSequenceNumber(text.trimmingCharacters(in: .whitespaces)) else {
                throw ProblemError(
                    .badRequest, code: "invalid-consistency-token",
                    detail: "X-Consistency-Token must be a WAL position such as 0/3000060.")
            }
            if separateWriter { readFromWriter = !(await waitForReplay(of: token)) }
        }
        let scope = ConsistencyScope(readFromWriter: readFromWriter)
        var response = try await ConsistencyScope.$current.withValue(scope) {
            try await next(request, context)
        }
        if let lsn = scope.commitLSN, response.status.code < 400 {
            response.headers[.consistencyToken] = lsn
        }
        if readFromWriter { response.headers[.servedFromWriter] = "true" }
        return response
    }

    /// Whether the region's database has replayed `token` (or is the primary) within the bound.
    private func waitForReplay(of token: LogSequenceNumber) async -> Bool {
        let deadline = ContinuousClock.now + waitBound
        while true {
            if let caughtUp = try? await replayed(token), caughtUp { return true }
            if ContinuousClock.now >= deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    private func replayed(_ token: LogSequenceNumber) async throws -> Bool {
        let rows = try await reader.query(
            """
            SELECT NOT pg_is_in_recovery() OR coalesce(pg_last_wal_replay_lsn() >= \(token.description)::pg_lsn, false)
            """, logger: logger)
        for try await caughtUp in rows.decode(Bool.self) { return caughtUp }
        return false
    }
}

extension HTTPField.Name {
    static let consistencyToken = HTTPField.Name("X-Consistency-Token")!
    static let servedFromWriter = HTTPField.Name("X-Served-From-Writer")!
}
