import Failover
import Hummingbird

/// Lets a request through only with `Authorization: Bearer <token>`; compares in constant time so the
/// answer's timing does not reveal how much of a guess was right.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]

    init(token: String) { self.token = Array(token.utf8) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let header = request.headers[.authorization] ?? ""
        let prefix = "bearer "
        guard header.count > prefix.count, header.lowercased().hasPrefix(prefix),
            ConstantTime.equal(Array(header.utf8.dropFirst(prefix.utf8.count)), token)
        else {
            throw EdgeProblem(
                status: .unauthorized, code: "unauthorized",
                detail: "The admin API needs Authorization: Bearer with the edge's admin token.")
        }
        return try await next(request, context)
    }
}
