import Foundation
import Logging

/// The account use cases: sign-up, login, tokens, sessions, profile, password and e-mail changes, reset,
/// deletion and administration. It holds the rules; the store holds the data; HTTP is someone else's job.
public struct AccountService: Sendable {
    /// Lifetimes and limits of the account rules; every field has a production default.
    public struct Configuration: Sendable {
        public var region: String
        /// The sliding lifetime: each refresh extends the session by this much, up to `sessionLifetime`.
        public var refreshTokenLifetime: Duration = .seconds(30 * 24 * 3600)
        /// The absolute lifetime of a session from its login, however often it is refreshed.
        public var sessionLifetime: Duration = .seconds(90 * 24 * 3600)
        /// A rotated refresh token presented again this soon, before its successor was used, gets the same
        /// successor (the client's answer was lost); later, or once the successor was used, it revokes the session.
        public var refreshGraceWindow: Duration = .seconds(10)
        public var passwordResetLifetime: Duration = .seconds(30 * 60)
        public var emailTokenLifetime: Duration = .seconds(24 * 3600)
        public var passwordPolicy: PasswordPolicy = .standard

        public init(region: String) { self.region = region }
    }

    public let configuration: Configuration
    public let store: any AccountStore
    public let hasher: PasswordHasher
    public let tokens: AccessTokens
    public let loginGuard: LoginGuard<ContinuousClock>
    /// Failed logins and password confirmations, counted once for the whole deployment.
    public let guessBudget: GuessBudget
    private let now: @Sendable () -> Date
    private let decoyHash: String
    private let logger: Logger

    public init(
        configuration: Configuration, store: any AccountStore, hasher: PasswordHasher, tokens: AccessTokens,
        loginGuard: LoginGuard<ContinuousClock> = LoginGuard(clock: ContinuousClock()),
        sharedGuessLedger: (any SharedGuessLedger)? = nil,
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) async throws {
        self.configuration = configuration
        self.store = store
        self.hasher = hasher
        self.tokens = tokens
        self.loginGuard = loginGuard
        self.guessBudget = GuessBudget(local: loginGuard, shared: sharedGuessLedger, now: now, logger: logger)
        self.now = now
        self.decoyHash = try await hasher.makeDecoyHash()
        self.logger = logger
    }

    // MARK: Sign-up and login

    /// Creates a customer account and sends the address a verification e-mail.
    public func signUp(email rawEmail: String, password: String, displayName rawName: String, origin: RequestOrigin)
        async throws -> Account
    {
        let now = self.now()
        let id = UUID()
        let token = OpaqueToken.generate()
        let new = try await validatedAccount(
            id: id, email: rawEmail, password: password, displayName: rawName, role: .customer, now: now)
        let account = try await store.createAccount(
            new,
            verification: NewOneTimeToken(
                hash: token.hash, accountID: id, purpose: .emailVerification, newEmail: nil, createdAt: now,
                expiresAt: now + configuration.emailTokenLifetime),
            mail: Mail.verifyAddress(to: new.email, token: token),
            audit: NewAuditEvent(.signUp, accountID: id, origin: origin))
        return account
    }

    /// Checks the password and opens a session. Throttled per account and per client address, with one budget
    /// for the whole deployment; the answer never says whether the e-mail address has an account.
    public func logIn(email rawEmail: String, password: String, origin: RequestOrigin) async throws -> TokenPair {
        let key = rawEmail.trimmingWhitespace().lowercased()
        guard !key.isEmpty, key.utf8.count <= 254, !key.containsControlCharacters, !password.isEmpty,
            password.count <= 1024
        else {
            throw AccountsError.invalidCredentials
        }
        try await auditingThrottle(accountID: nil, origin: origin) {
            try await guessBudget.check(email: key, clientAddress: origin.clientAddress)
        }
        let stored = try await store.credentials(forEmail: key)
        let matches = try await hasher.verify(password, hash: stored?.passwordHash ?? decoyHash)
        guard let stored, matches else {
            try await auditingThrottle(accountID: stored?.account.id, origin: origin) {
                try await guessBudget.recordFailure(email: key, clientAddress: origin.clientAddress)
            }
            await recordAuditBestEffort(NewAuditEvent(.loginFailed, accountID: stored?.account.id, origin: origin))
            throw AccountsError.invalidCredentials
        }
        try await auditingThrottle(accountID: stored.account.id, origin: origin) {
            try await guessBudget.admit(email: key, clientAddress: origin.clientAddress)
        }
        do {
            guard !stored.account.disabled else {
                throw AccountsError(.accountDisabled, "This account is disabled.")
            }
            // Re-hashed at the configured cost when the stored hash has another (the cost was changed).
            // Best effort: a hasher too busy for the extra hash leaves it for a later login.
            let rehash = hasher.hasOtherCost(stored.passwordHash) ? try? await hasher.hash(password) : nil
            return try await openSession(
                for: stored.account, verifiedPasswordHash: stored.passwordHash, rehash: rehash, origin: origin)
        } catch let error as AccountsError where error.code == .accountDisabled {
            // Also when only the primary knew (a standby that served the read had not seen the disabling yet).
            await recordAuditBestEffort(NewAuditEvent(.loginDisabled, accountID: stored.account.id, origin: origin))
            throw error
        }
    }

    /// Runs a guess-budget step; a refusal is audited (best effort) before it is thrown.
    private func auditingThrottle(accountID: UUID?, origin: RequestOrigin, _ body: () async throws -> Void)
        async throws
    {
        do {
            try await body()
        } catch let error as AccountsError where error.code == .tooManyAttempts {
            await recordAuditBestEffort(NewAuditEvent(.loginThrottled, accountID: accountID, origin: origin))
            throw error
        }
    }

    /// Records an audit event of an attempt that fails anyway: a region that cannot write now (fenced, writer
    /// unreachable) still gives the attempt its own answer, and logs that the event is missing.
    private func recordAuditBestEffort(_ event: NewAuditEvent) async {
        do {
            try await store.recordAudit(event)
        } catch {
            logger.warning(
                "audit event not recorded", metadata: ["kind": "\(event.kind.rawValue)", "error": "\(error)"])
        }
    }

    private func openSession(
        for account: Account, verifiedPasswordHash: String, rehash: String?, origin: RequestOrigin
    ) async throws -> TokenPair {
        let now = self.now()
        let refresh = OpaqueToken.generate()
        let session = Session(
            id: UUID(), accountID: account.id, createdAt: now, lastUsedAt: now,
            expiresAt: now + min(configuration.refreshTokenLifetime, configuration.sessionLifetime),
            userAgent: origin.userAgent.map { String($0.prefix(512)) },
            region: origin.region)
        try await store.createSession(
            session, refreshTokenHash: refresh.hash, verifiedPasswordHash: verifiedPasswordHash, rehash: rehash,
            audit: NewAuditEvent(.loginSucceeded, accountID: account.id, origin: origin))
        let access = try await tokens.issue(
            accountID: account.id, sessionID: session.id, region: origin.region, now: now)
        return TokenPair(accessToken: access, refreshToken: refresh, expiresIn: tokens.lifetime, sessionID: session.id)
    }

    /// Rotates a refresh token. A token presented a second time revokes its whole session, unless it comes
    /// within the grace window and its successor was never used: then it gets that same successor again.
    public func refresh(_ rawToken: String, origin: RequestOrigin) async throws -> TokenPair {
        // Malformed text is no token: refused without a word to the database.
        guard rawToken.utf8.count == 43 else { throw Self.invalidRefreshToken }
        let now = self.now()
        let presented = OpaqueToken(rawValue: rawToken)
        let replacement = OpaqueToken.generate()
        switch try await store.rotateRefreshToken(
            hash: presented.hash, replacement: replacement.hash, sealedReplacement: try presented.seal(replacement),
            now: now, newExpiry: now + configuration.refreshTokenLifetime,
            sessionLifetime: configuration.sessionLifetime, graceWindow: configuration.refreshGraceWindow,
            origin: origin)
        {
        case .invalid:
            throw Self.invalidRefreshToken  // audited by the store, in the same transaction
        case .retried(let session, let sealedSuccessor, let rotatedAt):
            guard let successor = presented.open(sealedSuccessor) else { throw Self.invalidRefreshToken }
            // Issued as of the first answer: the same access token (Ed25519 signatures are deterministic).
            let access = try await tokens.issue(
                accountID: session.accountID, sessionID: session.id, region: origin.region, now: rotatedAt)
            let age = Duration.seconds(max(0, now.timeIntervalSince(rotatedAt)))
            return TokenPair(
                accessToken: access, refreshToken: successor, expiresIn: tokens.lifetime - age, sessionID: session.id)
        case .reused(let accountID, let sessionID):
            logger.warning(
                "refresh token reuse detected; session revoked",
                metadata: ["account": "\(accountID)", "session": "\(sessionID)"])
            throw AccountsError(.refreshTokenReused, "The refresh token was already used; the session is revoked.")
        case .rotated(let session):
            let access = try await tokens.issue(
                accountID: session.accountID, sessionID: session.id, region: origin.region, now: now)
            return TokenPair(
                accessToken: access, refreshToken: replacement, expiresIn: tokens.lifetime, sessionID: session.id)
        }
    }

    private static let invalidRefreshToken = AccountsError(.invalidRefreshToken, "The refresh token is not valid.")

    /// The principal behind an access token; `unauthenticated` for a bad, expired or revoked token, or a
    /// disabled or deleted account.
    public func authenticate(accessToken: String) async throws -> Principal {
        let now = self.now()
        let claims = try await tokens.verify(accessToken, now: now)
        guard let accountID = claims.accountID, let sessionID = claims.sessionID,
            let principal = try await store.principal(accountID: accountID, sessionID: sessionID, now: now)
        else { throw AccountsError.unauthenticated }
        return principal
    }

    // MARK: Sessions

    public func sessions(of principal: Principal) async throws -> [Session] {
        try await store.activeSessions(accountID: principal.account.id, now: now())
    }

    public func logOut(_ principal: Principal, everywhere: Bool, origin: RequestOrigin) async throws {
        try await store.revokeSessions(
            accountID: principal.account.id, sessionID: everywhere ? nil : principal.sessionID, keeping: nil,
            now: now(),
            audit: NewAuditEvent(
                everywhere ? .logoutEverywhere : .logout, accountID: principal.account.id, origin: origin))
    }

    // MARK: Profile

    public func updateProfile(_ principal: Principal, displayName rawName: String, origin: RequestOrigin)
        async throws -> Account
    {
        let name = try DisplayName(rawName)
        guard
            let account = try await store.updateDisplayName(
                accountID: principal.account.id, to: name,
                audit: NewAuditEvent(.profileUpdated, accountID: principal.account.id, origin: origin))
        else { throw AccountsError.unauthenticated }
        return account
    }

    /// Deletes the account and every session once the password is confirmed; the e-mail becomes free.
    public func deleteAccount(_ principal: Principal, password: String, origin: RequestOrigin) async throws {
        try await confirmPassword(password, of: principal, field: "password", origin: origin)
        try await store.deleteAccount(
            id: principal.account.id,
            audit: NewAuditEvent(.accountDeleted, accountID: principal.account.id, origin: origin))
    }

    /// Changes the password and revokes every other session.
    public func changePassword(
        _ principal: Principal, currentPassword: String, newPassword: String, origin: RequestOrigin
    ) async throws {
        try configuration.passwordPolicy.check(
            newPassword, email: try? EmailAddress(principal.account.email), field: "newPassword")
        try await confirmPassword(currentPassword, of: principal, field: "currentPassword", origin: origin)
        try await store.changePassword(
            accountID: principal.account.id, passwordHash: try await hasher.hash(newPassword),
            keeping: principal.sessionID, now: now(), notice: Mail.passwordChanged(to: principal.account.email),
            audit: NewAuditEvent(.passwordChanged, accountID: principal.account.id, origin: origin))
    }

    /// Starts an e-mail change: the new address must confirm with the token sent to it.
    public func requestEmailChange(
        _ principal: Principal, newEmail rawEmail: String, password: String, origin: RequestOrigin
    )
        async throws -> EmailAddress
    {
        let email = try EmailAddress(rawEmail)
        try await confirmPassword(password, of: principal, field: "password", origin: origin)
        if let existing = try await store.credentials(forEmail: email.normalized),
            existing.account.id != principal.account.id
        {
            throw AccountsError(.emailTaken, "That e-mail address is already in use.")
        }
        let now = self.now()
        let token = OpaqueToken.generate()
        try await store.createOneTimeToken(
            NewOneTimeToken(
                hash: token.hash, accountID: principal.account.id, purpose: .emailChange, newEmail: email,
                createdAt: now, expiresAt: now + configuration.emailTokenLifetime),
            mail: Mail.confirmNewAddress(to: email, token: token),
            audit: NewAuditEvent(.emailChangeRequested, accountID: principal.account.id, origin: origin))
        return email
    }

    /// Confirms an address with the token e-mailed to it (after sign-up or an e-mail change).
    public func verifyEmail(token rawToken: String, origin: RequestOrigin) async throws -> Account {
        guard rawToken.utf8.count == 43,
            let account = try await store.confirmEmail(
                tokenHash: OpaqueToken(rawValue: rawToken).hash, now: now(), origin: origin,
                notice: { Mail.emailChanged(to: $0, newAddress: $1) })
        else { throw AccountsError(.invalidToken, "The verification token is not valid or has expired.") }
        return account
    }

    // MARK: Password reset

    /// Sends a single-use reset token when the address has an enabled account; silent otherwise. Throttled per
    /// e-mail address and per client address (429 `too-many-attempts`), whether or not the account exists.
    public func requestPasswordReset(email rawEmail: String, origin: RequestOrigin) async throws {
        guard let email = try? EmailAddress(rawEmail) else { return }
        try await guessBudget.recordResetRequest(email: email.normalized, clientAddress: origin.clientAddress)
        guard let stored = try await store.credentials(forEmail: email.normalized), !stored.account.disabled
        else { return }
        let now = self.now()
        let token = OpaqueToken.generate()
        try await store.createOneTimeToken(
            NewOneTimeToken(
                hash: token.hash, accountID: stored.account.id, purpose: .passwordReset, newEmail: nil,
                createdAt: now, expiresAt: now + configuration.passwordResetLifetime),
            mail: Mail.resetPassword(to: stored.account.email, token: token),
            audit: NewAuditEvent(.passwordResetRequested, accountID: stored.account.id, origin: origin))
    }

    /// Sets a new password with a reset token and revokes every session. The token is looked up before the new
    /// password is hashed: a guessed token costs a read, never a bcrypt.
    public func confirmPasswordReset(token rawToken: String, newPassword: String, origin: RequestOrigin) async throws {
        try configuration.passwordPolicy.check(newPassword, email: nil, field: "newPassword")
        let token = OpaqueToken(rawValue: rawToken)
        // Malformed text is no token: refused without a word to the database (nor an audit write).
        guard rawToken.utf8.count == 43 else { throw Self.invalidResetToken }
        guard try await store.isPendingPasswordReset(tokenHash: token.hash, now: now()) else {
            throw await invalidResetToken(origin: origin)
        }
        let hash = try await hasher.hash(newPassword)
        guard
            try await store.resetPassword(
                tokenHash: token.hash, passwordHash: hash, now: now(), origin: origin,
                notice: { Mail.passwordChanged(to: $0) }) != nil
        else { throw await invalidResetToken(origin: origin) }
    }

    /// The refusal of an unusable reset token, audited (best effort) as `reset-token-invalid`.
    private func invalidResetToken(origin: RequestOrigin) async -> AccountsError {
        await recordAuditBestEffort(NewAuditEvent(.resetTokenInvalid, accountID: nil, origin: origin))
        return Self.invalidResetToken
    }

    private static let invalidResetToken = AccountsError(
        .invalidToken, "The reset token is not valid or has expired.")

    // MARK: Administration

    /// Creates the first (or another) administrator, or promotes an existing account.
    public func createAdmin(email rawEmail: String, password: String, displayName: String, origin: RequestOrigin)
        async throws -> Account
    {
        let id = UUID()
        return try await store.createOrPromoteAdmin(
            try await validatedAccount(
                id: id, email: rawEmail, password: password, displayName: displayName, role: .admin, now: now()),
            audit: NewAuditEvent(.adminCreated, accountID: id, origin: origin))
    }

    public func listAccounts(_ principal: Principal, query: String?, cursor: String?, limit: Int) async throws
        -> Page<Account>
    {
        try requireAdmin(principal)
        let after = try cursor.map { text throws(AccountsError) -> UUID in
            guard let id = UUID(uuidString: text) else {
                throw AccountsError(.invalidCursor, "The cursor is not valid.")
            }
            return id
        }
        let items = try await store.accounts(matching: query, after: after, limit: limit)
        return Page(items: items, nextCursor: items.count == limit ? items.last?.id.uuidString.lowercased() : nil)
    }

    public func setDisabled(_ principal: Principal, accountID: UUID, disabled: Bool, origin: RequestOrigin)
        async throws -> Account
    {
        try requireAdmin(principal)
        guard
            let account = try await store.setDisabled(
                accountID: accountID, disabled: disabled, now: now(),
                audit: NewAuditEvent(
                    disabled ? .accountDisabled : .accountEnabled, accountID: accountID,
                    actorID: principal.account.id, origin: origin))
        else { throw AccountsError(.notFound, "No account has that id.") }
        return account
    }

    public func auditLog(_ principal: Principal, accountID: UUID?, cursor: String?, limit: Int) async throws
        -> Page<AuditEvent>
    {
        try requireAdmin(principal)
        let before = try cursor.map { text throws(AccountsError) -> Int64 in
            guard let id = Int64(text), id > 0 else { throw AccountsError(.invalidCursor, "The cursor is not valid.") }
            return id
        }
        let items = try await store.auditEvents(accountID: accountID, before: before, limit: limit)
        return Page(items: items, nextCursor: items.count == limit ? items.last.map { String($0.id) } : nil)
    }

    // MARK: Helpers

    /// Checks every field of a new account at once (so that one answer names every bad field) and hashes the
    /// password.
    private func validatedAccount(
        id: UUID, email rawEmail: String, password: String, displayName rawName: String, role: Account.Role,
        now: Date
    ) async throws -> NewAccount {
        var validator = FieldValidator()
        let email = validator.check("email") { try EmailAddress(rawEmail) }
        let name = validator.check("displayName") { try DisplayName(rawName) }
        _ = validator.check("password") { try configuration.passwordPolicy.check(password, email: email) }
        try validator.throwIfInvalid()
        guard let email, let name else { throw AccountsError.invalid("email", "is required") }
        return NewAccount(
            id: id, email: email, displayName: name, passwordHash: try await hasher.hash(password), role: role,
            createdAt: now)
    }

    private func requireAdmin(_ principal: Principal) throws {
        guard principal.account.role == .admin else {
            throw AccountsError(.forbidden, "This needs an administrator.")
        }
    }

    /// Checks the password of a signed-in customer (deletion, password and e-mail change) against the same
    /// guess budget as logins: a stolen access token does not buy unlimited guesses.
    private func confirmPassword(_ password: String, of principal: Principal, field: String, origin: RequestOrigin)
        async throws
    {
        let key = principal.account.email.lowercased()
        try await auditingThrottle(accountID: principal.account.id, origin: origin) {
            try await guessBudget.check(email: key, clientAddress: origin.clientAddress)
        }
        guard let stored = try await store.credentials(forAccount: principal.account.id) else {
            throw AccountsError.unauthenticated
        }
        guard password.count <= 1024, try await hasher.verify(password, hash: stored.passwordHash) else {
            try await auditingThrottle(accountID: principal.account.id, origin: origin) {
                try await guessBudget.recordFailure(email: key, clientAddress: origin.clientAddress)
            }
            await recordAuditBestEffort(
                NewAuditEvent(.passwordConfirmationFailed, accountID: principal.account.id, origin: origin))
            throw AccountsError(
                .invalidCredentials, "The password is wrong.",
                fieldErrors: [.init(field: field, message: "is wrong")])
        }
        try await auditingThrottle(accountID: principal.account.id, origin: origin) {
            try await guessBudget.admit(email: key, clientAddress: origin.clientAddress)
        }
    }
}

extension Date {
    static func + (date: Date, duration: Duration) -> Date { date.addingTimeInterval(duration.timeInterval) }
}
