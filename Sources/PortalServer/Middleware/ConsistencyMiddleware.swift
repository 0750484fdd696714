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
///
/// A token ahead of the writer's current position is refused at once (400): no write made it, so waiting for
/// it would only hold the request. Waiting is shared: every waiting request of the process is woken by one
/// poller (`ReplayWatcher`).
struct ConsistencyMiddleware: RouterMiddleware {
    typealias Context = PortalRequestContext
    let watcher: ReplayWatcher
    let separateWriter: Bool
    let waitBound: Duration

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
            guard await watcher.isPlausible(token, bound: waitBound) else {
                throw ProblemError(
                    .badRequest, code: "invalid-consistency-token",
                    detail: "X-Consistency-Token is ahead of the primary's current WAL position: no write gave it.")
            }
            if separateWriter {
                readFromWriter = !(await watcher.waitForReplay(of: token, bound: waitBound))
            }
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
}

extension HTTPField.Name {
    static let consistencyToken = HTTPField.Name("X-Consistency-Token")!
    static let servedFromWriter = HTTPField.Name("X-Served-From-Writer")!
}
