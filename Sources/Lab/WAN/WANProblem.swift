import Foundation
import Hummingbird

/// An RFC 9457 problem document, the body of every error response of the WAN admin API
/// (`application/problem+json`); `type` is `/problems/<WANError code>`.
public struct WANProblem: Codable, Sendable, Equatable {
    /// `/problems/<code>`.
    public var type: String
    /// The status's reason phrase.
    public var title: String
    /// The HTTP status code.
    public var status: Int
    /// One line that says what is wrong.
    public var detail: String
    /// The request path.
    public var instance: String?

    /// Creates a problem document.
    public init(type: String, title: String, status: Int, detail: String, instance: String? = nil) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.instance = instance
    }

    /// The error code in `type`.
    var code: WANError.Code { WANError.Code(rawValue: String(type.split(separator: "/").last ?? "")) }
}

/// Turns every error thrown by the admin routes (or the router: unknown path, body too large) into a problem
/// response; bad input is a 4xx, and only a fault of the emulator itself is a 500.
struct WANProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as WANError {
            return Self.response(Self.status(of: error.code), error.code, error.message, path: request.uri.path)
        } catch let error as HTTPError {
            let code: WANError.Code = error.status == .notFound ? .notFound : .malformedRequest
            let detail = error.status == .notFound ? "no such endpoint" : error.body ?? error.status.reasonPhrase
            return Self.response(error.status, code, detail, path: request.uri.path)
        } catch {
            context.logger.error("WAN admin request failed", metadata: [WANLogKey.error: "\(error)"])
            let code = WANError.Code(rawValue: "internal-error")
            return Self.response(.internalServerError, code, "the WAN emulator failed", path: request.uri.path)
        }
    }

    static func status(of code: WANError.Code) -> HTTPResponse.Status {
        switch code {
        case .unknownRoute, .unknownNode, .notFound: .notFound
        case .invalidConditions: .unprocessableContent
        case .duplicateRoute: .conflict
        case .shutDown: .serviceUnavailable
        case .listenFailed: .internalServerError
        default: .badRequest
        }
    }

    static func response(_ status: HTTPResponse.Status, _ code: WANError.Code, _ detail: String, path: String)
        -> Response
    {
        let problem = WANProblem(
            type: "/problems/\(code)", title: status.reasonPhrase, status: status.code, detail: detail, instance: path)
        let body = (try? WANJSON.encoder.encode(problem)) ?? Data("{}".utf8)
        return Response(
            status: status, headers: [.contentType: "application/problem+json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// The JSON coders of the admin API and its client.
enum WANJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
    static let decoder = JSONDecoder()
}
