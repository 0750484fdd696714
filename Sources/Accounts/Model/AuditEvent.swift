import Foundation

/// A security event in the audit log.
public struct AuditEvent: Sendable, Equatable, Codable {
    /// The kinds of security event that are recorded.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case signUp = "sign-up"
        case loginSucceeded = "login-succeeded"
        case loginFailed = "login-failed"
        case loginThrottled = "login-throttled"
        /// The right password of a disabled account.
        case loginDisabled = "login-disabled"
        /// A wrong password given to confirm a deletion, password change or e-mail change.
        case passwordConfirmationFailed = "password-confirmation-failed"
        case tokenRefreshed = "token-refreshed"
        case refreshTokenReused = "refresh-token-reused"
        /// A rotated refresh token presented again within the grace window: it got the same successor.
        case refreshRetried = "refresh-retried"
        /// An unknown, expired or revoked refresh token (or one of a disabled account).
        case refreshTokenInvalid = "refresh-token-invalid"
        /// An unknown, used or expired password-reset token.
        case resetTokenInvalid = "reset-token-invalid"
        case logout
        case logoutEverywhere = "logout-everywhere"
        case passwordChanged = "password-changed"
        case passwordResetRequested = "password-reset-requested"
        case passwordReset = "password-reset"
        case emailChangeRequested = "email-change-requested"
        case emailChanged = "email-changed"
        case emailVerified = "email-verified"
        case profileUpdated = "profile-updated"
        case accountDeleted = "account-deleted"
        case accountDisabled = "account-disabled"
        case accountEnabled = "account-enabled"
        case adminCreated = "admin-created"
    }

    public var id: Int64
    public var occurredAt: Date
    public var kind: Kind
    public var accountID: UUID?
    /// The administrator who acted, for admin actions.
    public var actorID: UUID?
    public var region: String
    public var requestID: String?
    public var clientAddress: String?
    public var userAgent: String?

    public init(
        id: Int64, occurredAt: Date, kind: Kind, accountID: UUID?, actorID: UUID?, region: String,
        requestID: String?, clientAddress: String?, userAgent: String?
    ) {
        self.id = id
        self.occurredAt = occurredAt
        self.kind = kind
        self.accountID = accountID
        self.actorID = actorID
        self.region = region
        self.requestID = requestID
        self.clientAddress = clientAddress
        self.userAgent = userAgent
    }
}

/// An audit event before it is stored.
public struct NewAuditEvent: Sendable, Equatable {
    public var kind: AuditEvent.Kind
    public var accountID: UUID?
    public var actorID: UUID?
    public var origin: RequestOrigin

    public init(_ kind: AuditEvent.Kind, accountID: UUID?, actorID: UUID? = nil, origin: RequestOrigin) {
        self.kind = kind
        self.accountID = accountID
        self.actorID = actorID
        self.origin = origin
    }
}

/// An e-mail waiting in the transactional outbox.
public struct OutboxMessage: Sendable, Equatable, Codable {
    public var id: Int64
    public var createdAt: Date
    public var recipient: String
    public var template: String
    public var subject: String
    public var body: String
    /// The token the message carries (verification or reset), for development and drills only.
    public var token: String?

    public init(
        id: Int64, createdAt: Date, recipient: String, template: String, subject: String, body: String,
        token: String?
    ) {
        self.id = id
        self.createdAt = createdAt
        self.recipient = recipient
        self.template = template
        self.subject = subject
        self.body = body
        self.token = token
    }
}

/// An e-mail to put into the outbox in the same transaction as the change that sends it.
public struct NewOutboxMessage: Sendable, Equatable {
    public var recipient: String
    public var template: String
    public var subject: String
    public var body: String
    public var token: String?

    public init(recipient: String, template: String, subject: String, body: String, token: String?) {
        self.recipient = recipient
        self.template = template
        self.subject = subject
        self.body = body
        self.token = token
    }
}

/// One page of a keyset-paginated listing.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    /// Pass back to get the next page; `nil` on the last page.
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}
