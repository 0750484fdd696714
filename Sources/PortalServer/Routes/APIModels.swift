import Accounts
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

// The request and response bodies of the HTTP API; `openapi.yaml` documents the same shapes.

struct SignUpRequest: Decodable {
    var email: String
    var password: String
    var displayName: String
}

struct LoginRequest: Decodable {
    var email: String
    var password: String
}

struct RefreshRequest: Decodable {
    var refreshToken: String
}

struct ProfileUpdateRequest: Decodable {
    var displayName: String
}

struct PasswordConfirmation: Decodable {
    var password: String
}

struct PasswordChangeRequest: Decodable {
    var currentPassword: String
    var newPassword: String
}

struct EmailChangeRequest: Decodable {
    var newEmail: String
    var password: String
}

struct TokenRequest: Decodable {
    var token: String
}

struct PasswordResetRequest: Decodable {
    var email: String
}

struct PasswordResetConfirmation: Decodable {
    var token: String
    var newPassword: String
}

struct AccountBody: Encodable, Sendable {
    var id: String
    var email: String
    var displayName: String
    var emailVerified: Bool
    var role: String
    var disabled: Bool
    var createdAt: Date

    init(_ account: Account) {
        id = account.id.uuidString.lowercased()
        email = account.email
        displayName = account.displayName
        emailVerified = account.emailVerified
        role = account.role.rawValue
        disabled = account.disabled
        createdAt = account.createdAt
    }
}

struct TokenBody: Encodable, Sendable {
    var accessToken: String
    var refreshToken: String
    var tokenType = "Bearer"
    var expiresIn: Int

    init(_ pair: TokenPair) {
        accessToken = pair.accessToken
        refreshToken = pair.refreshToken.rawValue
        expiresIn = Int(pair.expiresIn.timeInterval)
    }
}

struct SessionBody: Encodable, Sendable {
    var id: String
    var createdAt: Date
    var lastUsedAt: Date
    var expiresAt: Date
    var userAgent: String?
    var region: String
    var current: Bool
}

struct SessionsBody: Encodable, Sendable {
    var sessions: [SessionBody]
}

struct PendingEmailBody: Encodable, Sendable {
    var pendingEmail: String
}

struct AccountsPageBody: Encodable, Sendable {
    var accounts: [AccountBody]
    var nextCursor: String?
}

struct AuditEventBody: Encodable, Sendable {
    var id: Int64
    var occurredAt: Date
    var kind: String
    var accountId: String?
    var actorId: String?
    var region: String
    var requestId: String?
    var clientAddress: String?
    var userAgent: String?

    init(_ event: AuditEvent) {
        id = event.id
        occurredAt = event.occurredAt
        kind = event.kind.rawValue
        accountId = event.accountID?.uuidString.lowercased()
        actorId = event.actorID?.uuidString.lowercased()
        region = event.region
        requestId = event.requestID
        clientAddress = event.clientAddress
        userAgent = event.userAgent
    }
}

struct AuditPageBody: Encodable, Sendable {
    var events: [AuditEventBody]
    var nextCursor: String?
}

struct OutboxBody: Encodable, Sendable {
    var messages: [OutboxMessage]
}

/// A JSON response with a status and extra headers.
struct JSONResponse<Value: Encodable & Sendable>: ResponseGenerator {
    var status: HTTPResponse.Status = .ok
    var headers: HTTPFields = [:]
    var value: Value

    init(status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], _ value: Value) {
        self.status = status
        self.headers = headers
        self.value = value
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try PortalJSON.encoder.encode(value)
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension PortalRequestContext {
    /// The request's origin, for audit events.
    func origin(_ request: Request, region: String) -> RequestOrigin {
        RequestOrigin(
            requestID: requestID, clientAddress: clientAddress,
            userAgent: request.headers[.userAgent].map { String($0.prefix(512)) }, region: region)
    }
}
