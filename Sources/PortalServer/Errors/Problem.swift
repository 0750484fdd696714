import Accounts
import Foundation
import HTTPTypes
import Hummingbird

/// An RFC 9457 problem document, the body of every error response (`application/problem+json`).
public struct Problem: Codable, Sendable, Equatable {
    /// A stable identifier of the kind of problem, relative to the service (`/problems/validation-failed`).
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    public var instance: String?
    public var requestId: String?
    /// Per-field errors, for validation problems.
    public var errors: [AccountsError.FieldError]?

    public init(
        type: String, title: String, status: Int, detail: String, instance: String? = nil, requestId: String? = nil,
        errors: [AccountsError.FieldError]? = nil
    ) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.instance = instance
        self.requestId = requestId
        self.errors = errors
    }
}

/// An error the server answers with a problem document; everything thrown by a handler becomes one.
public struct ProblemError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var detail: String
    public var fieldErrors: [AccountsError.FieldError]?
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status, code: String, detail: String, fieldErrors: [AccountsError.FieldError]? = nil,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.detail = detail
        self.fieldErrors = fieldErrors
        self.headers = headers
    }

    /// The problem for any error: domain errors by their code, Hummingbird's HTTP errors by their status,
    /// anything else as an opaque 500 (the cause is logged, never sent).
    public init(_ error: any Error) {
        switch error {
        case let problem as ProblemError:
            self = problem
        case let error as AccountsError:
            self.init(accountsError: error)
        case let error as HTTPError:
            self.init(error.status, code: Self.code(for: error.status), detail: Self.detail(for: error.status))
        default:
            self.init(.internalServerError, code: "internal-error", detail: "Something went wrong on our side.")
        }
    }

    init(accountsError error: AccountsError) {
        var headers: HTTPFields = [:]
        let status: HTTPResponse.Status
        switch error.code {
        case .validationFailed: status = .unprocessableContent
        case .emailTaken: status = .conflict
        case .invalidCredentials, .unauthenticated, .refreshTokenReused, .invalidRefreshToken:
            status = .unauthorized
            headers[.wwwAuthenticate] = "Bearer"
        case .forbidden, .accountDisabled: status = .forbidden
        case .tooManyAttempts: status = .tooManyRequests
        case .invalidToken, .invalidCursor: status = .badRequest
        case .notFound: status = .notFound
        case .storageUnavailable, .writesUnavailable, .overloaded: status = .serviceUnavailable
        }
        if let retryAfter = error.retryAfter {
            headers[.retryAfter] = String(max(1, Int(retryAfter.timeInterval.rounded(.up))))
        }
        self.init(
            status, code: error.code.rawValue, detail: error.detail,
            fieldErrors: error.fieldErrors.isEmpty ? nil : error.fieldErrors, headers: headers)
    }

    /// The response, with the problem document as body.
    func response(instance: String, requestID: String) -> Response {
        let problem = Problem(
            type: "/problems/\(code)", title: status.reasonPhrase, status: status.code, detail: detail,
            instance: instance, requestId: requestID.isEmpty ? nil : requestID, errors: fieldErrors)
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        let body = (try? PortalJSON.encoder.encode(problem)) ?? Data("{}".utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "not-found"
        case .methodNotAllowed: "method-not-allowed"
        case .contentTooLarge: "body-too-large"
        case .unsupportedMediaType: "unsupported-media-type"
        case .badRequest: "bad-request"
        default: status.code < 500 ? "client-error" : "server-error"
        }
    }

    static func detail(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "No resource at this path."
        case .contentTooLarge: "The request body is too large."
        case .unsupportedMediaType: "The request body must be application/json."
        default: status.reasonPhrase
        }
    }

    static func malformed(_ detail: String) -> ProblemError {
        ProblemError(.badRequest, code: "malformed-request", detail: detail)
    }
}
