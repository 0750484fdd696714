import Failover
import HTTPTypes
import Hummingbird

/// Accepts a well-formed `X-Request-Id` (1–128 of `A-Z a-z 0-9 . _ -`) or makes one, puts it on the context
/// and the logger, and echoes it on every response, error responses included.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = PortalRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var context = context
        let offered = request.headers[.requestID]
        let id = offered.flatMap { Self.isWellFormed($0) ? $0 : nil } ?? RequestID.make()
        context.requestID = id
        context.logger[metadataKey: "request.id"] = .string(id)
        var response = try await next(request, context)
        response.headers[.requestID] = id
        return response
    }

    static func isWellFormed(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2E || byte == 0x5F || byte == 0x2D
            }
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
}
