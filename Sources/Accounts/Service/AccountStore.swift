import Foundation

/// A new account before it is stored.
public struct NewAccount: Sendable, Equatable {
    public var id: UUID
    public var email: EmailAddress
    public var displayName: DisplayName
    public var passwordHash: String
    public var role: Account.Role
    public var createdAt: Date

    public init(
        id: UUID, email: EmailAddress, displayName: DisplayName, passwordHash: String, role: Account.Role,
        createdAt: Date
    ) {
        self.id = id
        self.email = email
        self.displayName = displayName
        self.passwordHash = passwordHash
        self.role = role
        self.createdAt = createdAt
    }
}

/// What a single-use token sent by e-mail is for.
public enum OneTimeTokenPurpose: String, Sendable, Codable {
    case emailVerification = "email-verification"
    case emailChange = "email-change"
    case passwordReset = "password-reset"
}

/// A single-use token to store (only its hash) together with the e-mail that carries it.
public struct NewOneTimeToken: Sendable, Equatable {
    public var hash: [UInt8]
    public var accountID: UUID
    public var purpose: OneTimeTokenPurpose
    /// For `emailChange`: the address that becomes the account's once confirmed.
    public var newEmail: EmailAddress?
    public var createdAt: Date
    public var expiresAt: Date

    public init(
        hash: [UInt8], accountID: UUID, purpose: OneTimeTokenPurpose, newEmail: EmailAddress?, createdAt: Date,
        expiresAt: Date
    ) {
        self.hash = hash
        self.accountID = accountID
        self.purpose = purpose
        self.newEmail = newEmail
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// The outcome of presenting a refresh token.
public enum RefreshOutcome: Sendable, Equatable {
    /// The token was current: it is now rotated, and the session's new expiry is set.
    case rotated(Session)
    /// The token was rotated within the grace window and its successor never used: the successor again,
    /// sealed with a key that only the presented token gives (`OpaqueToken.open`), and when it was issued.
    case retried(Session, sealedSuccessor: [UInt8], rotatedAt: Date)
    /// The token had already been rotated: the whole session has been revoked.
    case reused(accountID: UUID, sessionID: UUID)
    /// Unknown, expired, revoked, or the account is disabled (audited as `refresh-token-invalid`).
    case invalid
}

/// The persistence the account service needs. Every method is atomic: a write method and the audit event
/// and outbox message it carries commit together or not at all. Reads may be served by a region's replica.
public protocol AccountStore: Sendable {
    // MARK: Reads
    func credentials(forEmail normalized: String) async throws -> StoredCredentials?
    func credentials(forAccount id: UUID) async throws -> StoredCredentials?
    /// The account and session behind an access token, when the session is live and the account enabled.
    func principal(accountID: UUID, sessionID: UUID, now: Date) async throws -> Principal?
    func activeSessions(accountID: UUID, now: Date) async throws -> [Session]
    /// Accounts ordered by id, after `cursor`, whose e-mail or display name contains `query`.
    func accounts(matching query: String?, after cursor: UUID?, limit: Int) async throws -> [Account]
    /// Audit events newest first, older than `cursor`.
    func auditEvents(accountID: UUID?, before cursor: Int64?, limit: Int) async throws -> [AuditEvent]
    func outbox(recipient: String?, limit: Int) async throws -> [OutboxMessage]
    /// Whether a password-reset token with this hash is unused and unexpired (the writer is asked when the
    /// region's database does not know it, since it may be moments old).
    func isPendingPasswordReset(tokenHash: [UInt8], now: Date) async throws -> Bool

    // MARK: Writes
    /// Throws `AccountsError.emailTaken` when the normalized address is in use.
    func createAccount(
        _ account: NewAccount, verification: NewOneTimeToken?, mail: NewOutboxMessage?, audit: NewAuditEvent
    ) async throws -> Account
    /// Makes an existing account an administrator, or creates it as one.
    func createOrPromoteAdmin(_ account: NewAccount, audit: NewAuditEvent) async throws -> Account
    /// Opens a session after a login, re-checking on the primary (never a replica) that the account is still
    /// enabled and that `verifiedPasswordHash` is still its password hash. Throws `invalidCredentials` when the
    /// password changed meanwhile and `accountDisabled` when the account was disabled. `rehash` replaces the
    /// password hash in the same transaction (a hash of the same password at the configured cost).
    func createSession(
        _ session: Session, refreshTokenHash: [UInt8], verifiedPasswordHash: String, rehash: String?,
        audit: NewAuditEvent
    ) async throws
    /// Rotates a current refresh token to `replacement` (keeping `sealedReplacement` for a retry within
    /// `graceWindow`) and extends its session to `newExpiry`, never past `sessionLifetime` after its creation.
    func rotateRefreshToken(
        hash: [UInt8], replacement: [UInt8], sealedReplacement: [UInt8], now: Date, newExpiry: Date,
        sessionLifetime: Duration, graceWindow: Duration, origin: RequestOrigin
    ) async throws -> RefreshOutcome
    /// Revokes one session, or every session of the account except `keeping` when `sessionID` is nil.
    func revokeSessions(accountID: UUID, sessionID: UUID?, keeping: UUID?, now: Date, audit: NewAuditEvent?)
        async throws
    func updateDisplayName(accountID: UUID, to name: DisplayName, audit: NewAuditEvent) async throws -> Account?
    func deleteAccount(id: UUID, audit: NewAuditEvent) async throws
    /// Sets the password hash, revokes every session except `keeping`, cancels every pending one-time token and
    /// puts `notice` (to the account's address) into the outbox.
    func changePassword(
        accountID: UUID, passwordHash: String, keeping: UUID?, now: Date, notice: NewOutboxMessage,
        audit: NewAuditEvent
    ) async throws
    func createOneTimeToken(_ token: NewOneTimeToken, mail: NewOutboxMessage, audit: NewAuditEvent) async throws
    /// Consumes an e-mail verification or change token and applies it; nil when the token is not usable.
    /// A change also tells the old address (`notice(old, new)`) and cancels every other pending token.
    /// Throws `AccountsError.emailTaken` when the new address was taken meanwhile.
    func confirmEmail(
        tokenHash: [UInt8], now: Date, origin: RequestOrigin,
        notice: @escaping @Sendable (_ oldEmail: String, _ newEmail: String) -> NewOutboxMessage
    ) async throws -> Account?
    /// Consumes a password-reset token, sets the password, revokes every session, cancels every other pending
    /// token and mails `notice(address)`; the account id, or nil.
    func resetPassword(
        tokenHash: [UInt8], passwordHash: String, now: Date, origin: RequestOrigin,
        notice: @escaping @Sendable (_ email: String) -> NewOutboxMessage
    ) async throws -> UUID?
    /// Disables (revoking every session and cancelling every pending one-time token) or enables an account; nil when it does not exist.
    func setDisabled(accountID: UUID, disabled: Bool, now: Date, audit: NewAuditEvent) async throws -> Account?
    func recordAudit(_ event: NewAuditEvent) async throws
}
