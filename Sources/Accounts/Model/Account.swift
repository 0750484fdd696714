import Foundation

/// A customer's (or an administrator's) account.
public struct Account: Sendable, Equatable, Codable {
    /// What an account may do.
    public enum Role: String, Sendable, Codable {
        case customer
        case admin
    }

    public var id: UUID
    public var email: String
    public var displayName: String
    public var emailVerified: Bool
    public var role: Role
    public var disabled: Bool
    public var createdAt: Date

    public init(
        id: UUID, email: String, displayName: String, emailVerified: Bool, role: Role, disabled: Bool,
        createdAt: Date
    ) {
        self.id = id
        self.email = email
        self.displayName = displayName
        self.emailVerified = emailVerified
        self.role = role
        self.disabled = disabled
        self.createdAt = createdAt
    }
}

/// An account together with its password hash: never leaves the domain and storage layers.
public struct StoredCredentials: Sendable {
    public var account: Account
    public var passwordHash: String

    public init(account: Account, passwordHash: String) {
        self.account = account
        self.passwordHash = passwordHash
    }
}

/// A login session: one refresh-token family on one device.
public struct Session: Sendable, Equatable, Codable {
    public var id: UUID
    public var accountID: UUID
    public var createdAt: Date
    public var lastUsedAt: Date
    public var expiresAt: Date
    public var userAgent: String?
    public var region: String

    public init(
        id: UUID, accountID: UUID, createdAt: Date, lastUsedAt: Date, expiresAt: Date, userAgent: String?,
        region: String
    ) {
        self.id = id
        self.accountID = accountID
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.expiresAt = expiresAt
        self.userAgent = userAgent
        self.region = region
    }
}

/// An access and refresh token pair handed to a client at login and refresh.
public struct TokenPair: Sendable, Equatable {
    public var accessToken: String
    public var refreshToken: OpaqueToken
    public var expiresIn: Duration
    public var sessionID: UUID

    public init(accessToken: String, refreshToken: OpaqueToken, expiresIn: Duration, sessionID: UUID) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresIn = expiresIn
        self.sessionID = sessionID
    }
}

/// The identity an authenticated request acts as.
public struct Principal: Sendable, Equatable {
    public var account: Account
    public var sessionID: UUID

    public init(account: Account, sessionID: UUID) {
        self.account = account
        self.sessionID = sessionID
    }
}

/// Who made a request and from where: written into every audit event.
public struct RequestOrigin: Sendable, Equatable {
    public var requestID: String
    public var clientAddress: String?
    public var userAgent: String?
    public var region: String

    public init(requestID: String, clientAddress: String?, userAgent: String?, region: String) {
        self.requestID = requestID
        self.clientAddress = clientAddress
        self.userAgent = userAgent
        self.region = region
    }
}
