/// An error of the account domain: a stable code, a human-readable detail and, for validation, per-field errors.
/// Only the HTTP server maps these to status codes.
public struct AccountsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable, machine-readable error code; the server turns it into a problem `type`.
    public enum Code: String, Sendable, CaseIterable {
        case validationFailed = "validation-failed"
        case emailTaken = "email-taken"
        case invalidCredentials = "invalid-credentials"
        case unauthenticated = "unauthenticated"
        case forbidden = "forbidden"
        case accountDisabled = "account-disabled"
        case tooManyAttempts = "too-many-attempts"
        case invalidToken = "invalid-token"
        case invalidRefreshToken = "invalid-refresh-token"
        case refreshTokenReused = "refresh-token-reused"
        case notFound = "not-found"
        case invalidCursor = "invalid-cursor"
        case storageUnavailable = "storage-unavailable"
        case writesUnavailable = "writes-unavailable"
        case overloaded
    }

    /// One invalid input field.
    public struct FieldError: Sendable, Equatable, Codable {
        public var field: String
        public var message: String
        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }
    }

    public var code: Code
    public var detail: String
    public var fieldErrors: [FieldError]
    /// For `tooManyAttempts` and `writesUnavailable`: how long the client should wait.
    public var retryAfter: Duration?

    public init(_ code: Code, _ detail: String, fieldErrors: [FieldError] = [], retryAfter: Duration? = nil) {
        self.code = code
        self.detail = detail
        self.fieldErrors = fieldErrors
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code.rawValue): \(detail)" }

    static func invalid(_ field: String, _ message: String) -> AccountsError {
        AccountsError(
            .validationFailed, "The request has an invalid field.",
            fieldErrors: [FieldError(field: field, message: message)])
    }

    public static let invalidCredentials = AccountsError(
        .invalidCredentials, "The e-mail address or password is wrong.")
    static let unauthenticated = AccountsError(.unauthenticated, "A valid access token is required.")
}

/// Collects field errors so that one response names every invalid field at once.
struct FieldValidator {
    private(set) var errors: [AccountsError.FieldError] = []

    mutating func check<T>(_ field: String, _ body: () throws -> T) -> T? {
        do {
            return try body()
        } catch let error as AccountsError where error.code == .validationFailed {
            errors.append(contentsOf: error.fieldErrors.map { .init(field: field, message: $0.message) })
            return nil
        } catch {
            errors.append(.init(field: field, message: "\(error)"))
            return nil
        }
    }

    func throwIfInvalid() throws {
        if !errors.isEmpty {
            throw AccountsError(.validationFailed, "The request has invalid fields.", fieldErrors: errors)
        }
    }
}
