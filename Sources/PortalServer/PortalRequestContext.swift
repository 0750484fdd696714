import Accounts
import Foundation
import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus the request id, the client's address and,
/// once authenticated, the principal.
public struct PortalRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Accepted from `X-Request-Id` when well-formed, else generated; echoed on the response.
    public var requestID: String = ""
    /// The peer's IP address (the edge's, when behind it).
    public var clientAddress: String?
    /// Set by the authentication middleware.
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress
    }

    public var responseEncoder: JSONEncoder { PortalJSON.encoder }
    public var requestDecoder: JSONDecoder { PortalJSON.decoder }

    /// The principal, or `unauthenticated` on a route that forgot its authentication middleware.
    public func requirePrincipal() throws -> Principal {
        guard let principal else { throw AccountsError(.unauthenticated, "A valid access token is required.") }
        return principal
    }
}

/// The JSON coders of the API: ISO 8601 dates, sorted keys.
enum PortalJSON {
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
