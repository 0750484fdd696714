import HTTPTypes
import Hummingbird

/// Replaces the request's client address (the TCP peer) with the one a trusted proxy forwarded, before
/// anything (throttles, the audit log, access logs) reads it.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = PortalRequestContext
    let trustedProxies: TrustedProxies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard !trustedProxies.networks.isEmpty else { return try await next(request, context) }
        var context = context
        context.clientAddress = trustedProxies.clientAddress(
            peer: context.clientAddress, forwardedFor: request.headers[values: .forwardedFor])
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
}
