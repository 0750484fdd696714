import Accounts
import Hummingbird

/// Requires `Authorization: Bearer <access token>` and puts the principal on the context; 401 otherwise.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = PortalRequestContext
    let accounts: AccountService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let header = request.headers[.authorization], header.count > 7,
            header.prefix(7).lowercased() == "bearer "
        else { throw AccountsError(.unauthenticated, "A valid access token is required.") }
        var context = context
        context.principal = try await accounts.authenticate(accessToken: String(header.dropFirst(7)))
        return try await next(request, context)
    }
}
