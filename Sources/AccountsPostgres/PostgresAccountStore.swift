import Accounts
import Failover
import Foundation
import Logging
import PostgresNIO

/// The account store on PostgreSQL: reads from the region's own database, writes to the writer endpoint.
///
/// Security-critical writes (revocations, password and e-mail changes, deletion, disabling) can be made to wait
/// until a standby has applied them (`synchronous_commit = remote_apply`), so that no failover brings back a
/// revoked session or an old password.
public struct PostgresAccountStore: AccountStore {
    let reader: PostgresClient
    let writer: PostgresClient
    let criticalWritesRemoteApply: Bool
    let operationTimeout: Duration
    let logger: Logger
    /// Asked before a write starts, just before it commits and after; when it answers closed the write is
    /// refused (the region holds no write lease: DESIGN.md invariant 1). An open gate names the epoch the write is
    /// bound to, which the database checks inside the transaction (migration 4).
    let writeGate: (@Sendable () -> WritePermission)?

    public init(
        reader: PostgresClient, writer: PostgresClient, criticalWritesRemoteApply: Bool = false,
        operationTimeout: Duration = .seconds(5), writeGate: (@Sendable () -> WritePermission)? = nil,
        logger: Logger
    ) {
        self.reader = reader
        self.writer = writer
        self.criticalWritesRemoteApply = criticalWritesRemoteApply
        self.operationTimeout = operationTimeout
        self.writeGate = writeGate
        self.logger = logger
    }

    typealias AccountRow = (UUID, String, String, Bool, String, Bool, Date)

    static func account(_ row: AccountRow) -> Account {
        Account(
            id: row.0, email: row.1, displayName: row.2, emailVerified: row.3,
            role: Account.Role(rawValue: row.4) ?? .customer,
            disabled: row.5, createdAt: row.6)
    }

    // MARK: Reads

    public func credentials(forEmail normalized: String) async throws -> StoredCredentials? {
        try await firstCredentials(
            "SELECT id, email, display_name, email_verified, role, disabled_at IS NOT NULL, created_at, password_hash FROM accounts WHERE email_normalized = \(normalized)"
        )
    }

    public func credentials(forAccount id: UUID) async throws -> StoredCredentials? {
        try await firstCredentials(
            "SELECT id, email, display_name, email_verified, role, disabled_at IS NOT NULL, created_at, password_hash FROM accounts WHERE id = \(id)"
        )
    }

    private func firstCredentials(_ query: PostgresQuery) async throws -> StoredCredentials? {
        try await readFallingBack { client in
            let rows = try await client.query(query, logger: logger)
            for try await row in rows.decode((UUID, String, String, Bool, String, Bool, Date, String).self) {
                return StoredCredentials(
                    account: Self.account((row.0, row.1, row.2, row.3, row.4, row.5, row.6)), passwordHash: row.7)
            }
            return nil
        }
    }

    public func principal(accountID: UUID, sessionID: UUID, now: Date) async throws -> Principal? {
        try await readFallingBack { client in
            let rows = try await client.execute(
                PrincipalStatement(sessionID: sessionID, accountID: accountID, now: now), logger: logger)
            for try await row in rows { return Principal(account: Self.account(row), sessionID: sessionID) }
            return nil
        }
    }

    public func isPendingPasswordReset(tokenHash: [UInt8], now: Date) async throws -> Bool {
        try await readFallingBack { client in
            let rows = try await client.query(
                """
                SELECT true FROM one_time_tokens
                WHERE token_hash = \(Data(tokenHash)) AND purpose = 'password-reset' AND used_at IS NULL
                  AND expires_at > \(now)
                """, logger: logger)
            for try await found in rows.decode(Bool.self) { return found }
            return nil
        } ?? false
    }

    public func activeSessions(accountID: UUID, now: Date) async throws -> [Session] {
        try await read { try await querySessions(accountID: accountID, now: now) }
    }

    private func querySessions(accountID: UUID, now: Date) async throws -> [Session] {
        let rows = try await source.query(
            """
            SELECT id, account_id, created_at, last_used_at, expires_at, user_agent, region FROM sessions
            WHERE account_id = \(accountID) AND revoked_at IS NULL AND expires_at > \(now)
            ORDER BY created_at DESC LIMIT 1000
            """, logger: logger)
        var sessions: [Session] = []
        for try await row in rows.decode((UUID, UUID, Date, Date, Date, String?, String).self) {
            sessions.append(
                Session(
                    id: row.0, accountID: row.1, createdAt: row.2, lastUsedAt: row.3, expiresAt: row.4,
                    userAgent: row.5,
                    region: row.6))
        }
        return sessions
    }

    public func accounts(matching query: String?, after cursor: UUID?, limit: Int) async throws -> [Account] {
        try await read { try await queryAccounts(matching: query, after: cursor, limit: limit) }
    }

    private func queryAccounts(matching query: String?, after cursor: UUID?, limit: Int) async throws -> [Account] {
        // strpos instead of LIKE: the customer's text is matched literally, '%' and '_' included.
        let needle = (query ?? "").lowercased()
        let rows = try await source.query(
            """
            SELECT id, email, display_name, email_verified, role, disabled_at IS NOT NULL, created_at FROM accounts
            WHERE (\(needle) = '' OR strpos(email_normalized, \(needle)) > 0 OR strpos(lower(display_name), \(needle)) > 0)
              AND (\(cursor)::uuid IS NULL OR id > \(cursor))
            ORDER BY id LIMIT \(limit)
            """, logger: logger)
        var accounts: [Account] = []
        for try await row in rows.decode(AccountRow.self) { accounts.append(Self.account(row)) }
        return accounts
    }

    public func auditEvents(accountID: UUID?, before cursor: Int64?, limit: Int) async throws -> [AuditEvent] {
        try await read { try await queryAuditEvents(accountID: accountID, before: cursor, limit: limit) }
    }

    private func queryAuditEvents(accountID: UUID?, before cursor: Int64?, limit: Int) async throws -> [AuditEvent] {
        let rows = try await source.query(
            """
            SELECT id, occurred_at, kind, account_id, actor_id, region, request_id, client_address, user_agent
            FROM audit_events
            WHERE (\(accountID)::uuid IS NULL OR account_id = \(accountID))
              AND (\(cursor)::bigint IS NULL OR id < \(cursor))
            ORDER BY id DESC LIMIT \(limit)
            """, logger: logger)
        var events: [AuditEvent] = []
        for try await row in rows.decode((Int64, Date, String, UUID?, UUID?, String, String?, String?, String?).self) {
            guard let kind = AuditEvent.Kind(rawValue: row.2) else { continue }
            events.append(
                AuditEvent(
                    id: row.0, occurredAt: row.1, kind: kind, accountID: row.3, actorID: row.4, region: row.5,
                    requestID: row.6, clientAddress: row.7, userAgent: row.8))
        }
        return events
    }

    // MARK: Writes

    public func createAccount(
        _ account: NewAccount, verification: NewOneTimeToken?, mail: NewOutboxMessage?, audit: NewAuditEvent
    ) async throws -> Account {
        try await write(critical: false) { connection in
            let inserted = try await insertAccount(account, on: connection)
            guard let inserted else { throw AccountsError(.emailTaken, "That e-mail address is already in use.") }
            if let verification { try await insert(verification, on: connection) }
            if let mail { try await insert(mail, on: connection) }
            try await insert(audit, on: connection)
            return inserted
        }
    }

    public func createOrPromoteAdmin(_ account: NewAccount, audit: NewAuditEvent) async throws -> Account {
        try await write(critical: true) { connection in
            var result = try await insertAccount(account, on: connection)
            var event = audit
            if result == nil {
                let rows = try await connection.query(
                    """
                    UPDATE accounts SET role = 'admin', updated_at = \(account.createdAt)
                    WHERE email_normalized = \(account.email.normalized)
                    RETURNING id, email, display_name, email_verified, role, disabled_at IS NOT NULL, created_at
                    """, logger: logger)
                for try await row in rows.decode(AccountRow.self) { result = Self.account(row) }
                event.accountID = result?.id
            }
            guard let result else { throw AccountsError(.notFound, "No account has that e-mail address.") }
            try await insert(event, on: connection)
            return result
        }
    }

    public func createSession(
        _ session: Session, refreshTokenHash: [UInt8], verifiedPasswordHash: String, rehash: String?,
        audit: NewAuditEvent
    ) async throws {
        try await write(critical: false) { connection in
            // The login's read may have come from a lagging standby: the primary's row decides. The row lock
            // keeps a password change or a disabling from committing between this check and the session.
            let current = try await connection.query(
                "SELECT password_hash, disabled_at IS NOT NULL FROM accounts WHERE id = \(session.accountID) FOR UPDATE",
                logger: logger)
            var found: (String, Bool)?
            for try await row in current.decode((String, Bool).self) { found = row }
            guard let (passwordHash, disabled) = found, passwordHash == verifiedPasswordHash else {
                throw AccountsError.invalidCredentials
            }
            guard !disabled else { throw AccountsError(.accountDisabled, "This account is disabled.") }
            if let rehash {
                try await connection.query(
                    "UPDATE accounts SET password_hash = \(rehash) WHERE id = \(session.accountID)", logger: logger)
            }
            try await connection.query(
                """
                INSERT INTO sessions (id, account_id, created_at, last_used_at, expires_at, user_agent, region)
                VALUES (\(session.id), \(session.accountID), \(session.createdAt), \(session.lastUsedAt),
                        \(session.expiresAt), \(session.userAgent), \(session.region))
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO refresh_tokens (token_hash, session_id, created_at)
                VALUES (\(Data(refreshTokenHash)), \(session.id), \(session.createdAt))
                """, logger: logger)
            try await insert(audit, on: connection)
        }
    }

    public func rotateRefreshToken(
        hash: [UInt8], replacement: [UInt8], sealedReplacement: [UInt8], now: Date, newExpiry: Date,
        sessionLifetime: Duration, graceWindow: Duration, origin: RequestOrigin
    ) async throws -> RefreshOutcome {
        let lifetime = sessionLifetime.timeInterval
        let grace = graceWindow.timeInterval
        // Look the token up with its session and account, locking the token row so that two concurrent uses
        // of one token cannot both rotate it. A retry is a rotated token within the grace window whose
        // successor has not been rotated in turn (its answer never arrived, or the client would have used it).
        let outcome: RefreshOutcome = try await write(critical: false) { connection in
            let rows = try await connection.query(
                """
                SELECT t.rotated_at IS NOT NULL, s.id, s.account_id, s.created_at, s.user_agent, s.region,
                       s.revoked_at IS NOT NULL OR s.expires_at <= \(now) OR a.disabled_at IS NOT NULL
                         OR s.created_at <= \(now) - make_interval(secs => \(lifetime)),
                       coalesce(t.rotated_at > \(now) - make_interval(secs => \(grace))
                         AND t.sealed_successor IS NOT NULL
                         AND NOT EXISTS (SELECT 1 FROM refresh_tokens n
                                         WHERE n.token_hash = t.replaced_by AND n.rotated_at IS NOT NULL), false),
                       t.sealed_successor, t.rotated_at, s.last_used_at, s.expires_at
                FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id JOIN accounts a ON a.id = s.account_id
                WHERE t.token_hash = \(Data(hash))
                FOR UPDATE OF t
                """, logger: logger)
            var found: (Bool, UUID, UUID, Date, String?, String, Bool, Bool, Data?, Date?, Date, Date)?
            for try await row in rows.decode(
                (Bool, UUID, UUID, Date, String?, String, Bool, Bool, Data?, Date?, Date, Date).self)
            {
                found = row
            }
            guard
                let (
                    alreadyRotated, sessionID, accountID, createdAt, userAgent, region, unusable, retry, sealed,
                    rotatedAt, lastUsedAt, expiresAt
                ) = found
            else {
                // Audited in the same transaction: a guessed token costs no second round trip to the primary.
                try await insert(NewAuditEvent(.refreshTokenInvalid, accountID: nil, origin: origin), on: connection)
                return .invalid
            }
            if alreadyRotated, retry, !unusable, let sealed, let rotatedAt {
                try await insert(NewAuditEvent(.refreshRetried, accountID: accountID, origin: origin), on: connection)
                return .retried(
                    Session(
                        id: sessionID, accountID: accountID, createdAt: createdAt, lastUsedAt: lastUsedAt,
                        expiresAt: expiresAt, userAgent: userAgent, region: region),
                    sealedSuccessor: Array(sealed), rotatedAt: rotatedAt)
            }
            if alreadyRotated {
                if !unusable {
                    try await revoke(
                        sessionID: sessionID, accountID: accountID, reason: "refresh-token-reused", now: now,
                        on: connection)
                    try await insert(
                        NewAuditEvent(.refreshTokenReused, accountID: accountID, origin: origin), on: connection)
                }
                return .reused(accountID: accountID, sessionID: sessionID)
            }
            if unusable {
                try await insert(
                    NewAuditEvent(.refreshTokenInvalid, accountID: accountID, origin: origin), on: connection)
                return .invalid
            }
            try await connection.query(
                """
                UPDATE refresh_tokens SET rotated_at = \(now), replaced_by = \(Data(replacement)),
                    sealed_successor = \(Data(sealedReplacement))
                WHERE token_hash = \(Data(hash))
                """, logger: logger)
            // The predecessor's retry is over now that this token is used: its sealed copy of it goes.
            try await connection.query(
                """
                UPDATE refresh_tokens SET sealed_successor = NULL
                WHERE session_id = \(sessionID) AND replaced_by = \(Data(hash))
                """, logger: logger)
            try await connection.query(
                """
                INSERT INTO refresh_tokens (token_hash, session_id, created_at)
                VALUES (\(Data(replacement)), \(sessionID), \(now))
                """, logger: logger)
            let extended = try await connection.query(
                """
                UPDATE sessions SET last_used_at = \(now),
                    expires_at = least(\(newExpiry), created_at + make_interval(secs => \(lifetime)))
                WHERE id = \(sessionID)
                RETURNING expires_at
                """, logger: logger)
            var newExpiresAt = newExpiry
            for try await expiry in extended.decode(Date.self) { newExpiresAt = expiry }
            try await insert(NewAuditEvent(.tokenRefreshed, accountID: accountID, origin: origin), on: connection)
            return .rotated(
                Session(
                    id: sessionID, accountID: accountID, createdAt: createdAt, lastUsedAt: now,
                    expiresAt: newExpiresAt, userAgent: userAgent, region: region))
        }
        return outcome
    }

    public func revokeSessions(accountID: UUID, sessionID: UUID?, keeping: UUID?, now: Date, audit: NewAuditEvent?)
        async throws
    {
        try await write(critical: true) { connection in
            if let sessionID {
                try await revoke(sessionID: sessionID, accountID: accountID, reason: "logout", now: now, on: connection)
            } else {
                try await revokeAll(
                    accountID: accountID, keeping: keeping, reason: "logout-everywhere", now: now, on: connection)
            }
            if let audit { try await insert(audit, on: connection) }
        }
    }

    public func updateDisplayName(accountID: UUID, to name: DisplayName, audit: NewAuditEvent) async throws -> Account?
    {
        try await write(critical: false) { connection in
            let rows = try await connection.query(
                """
                UPDATE accounts SET display_name = \(name.value), updated_at = now() WHERE id = \(accountID)
                RETURNING id, email, display_name, email_verified, role, disabled_at IS NOT NULL, created_at
                """, logger: logger)
            var account: Account?
            for try await row in rows.decode(AccountRow.self) { account = Self.account(row) }
            if account != nil { try await insert(audit, on: connection) }
            return account
        }
    }

    public func deleteAccount(id: UUID, audit: NewAuditEvent) async throws {
        try await write(critical: true) { connection in
            try await connection.query("DELETE FROM accounts WHERE id = \(id)", logger: logger)
            try await insert(audit, on: connection)
        }
    }

    public func changePassword(
        accountID: UUID, passwordHash: String, keeping: UUID?, now: Date, notice: NewOutboxMessage,
        audit: NewAuditEvent
    ) async throws {
        try await write(critical: true) { connection in
            try await connection.query(
                "UPDATE accounts SET password_hash = \(passwordHash), updated_at = \(now) WHERE id = \(accountID)",
                logger: logger)
            try await revokeAll(
                accountID: accountID, keeping: keeping, reason: "password-changed", now: now, on: connection)
            try await cancelPendingTokens(accountID: accountID, now: now, on: connection)
            try await insert(notice, on: connection)
            try await insert(audit, on: connection)
        }
    }

    public func createOneTimeToken(_ token: NewOneTimeToken, mail: NewOutboxMessage, audit: NewAuditEvent) async throws
    {
        try await write(critical: false) { connection in
            try await insert(token, on: connection)
            try await insert(mail, on: connection)
            try await insert(audit, on: connection)
        }
    }

    public func confirmEmail(
        tokenHash: [UInt8], now: Date, origin: RequestOrigin,
        notice: @escaping @Sendable (_ oldEmail: String, _ newEmail: String) -> NewOutboxMessage
    ) async throws -> Account? {
        try await write(critical: true) { connection in
            guard
                let (accountID, purpose, newEmail) = try await consume(
                    tokenHash, purposes: ["email-verification", "email-change"], now: now, on: connection)
            else { return nil }
            let rows: PostgresRowSequence
            if purpose == OneTimeTokenPurpose.emailChange.rawValue, let newEmail {
                let taken = try await connection.query(
                    "SELECT 1 FROM accounts WHERE email_normalized = \(newEmail.lowercased()) AND id <> \(accountID)",
                    logger: logger)
                for try await _ in taken { throw AccountsError(.emailTaken, "That e-mail address is already in use.") }
                // The old address is told, and what was mailed to it (a reset, another change) stops working.
                for try await oldEmail in try await connection.query(
                    "SELECT email FROM accounts WHERE id = \(accountID)", logger: logger
                ).decode(String.self) {
                    try await insert(notice(oldEmail, newEmail), on: connection)
                }
                try await cancelPendingTokens(accountID: accountID, now: now, on: connection)
                rows = try await connection.query(
                    """
                    UPDATE accounts SET email = \(newEmail), email_normalized = \(newEmail.lowercased()),
                        email_verified = true, updated_at = \(now)
                    WHERE id = \(accountID)
                    RETURNING id, email, display_name, email_verified, role, disabled_at IS NOT NULL, created_at
                    """, logger: logger)
            } else {
                rows = try await connection.query(
                    """
                    UPDATE accounts SET email_verified = true, updated_at = \(now) WHERE id = \(accountID)
                    RETURNING id, email, display_name, email_verified, role, disabled_at IS NOT NULL, created_at
                    """, logger: logger)
            }
            var account: Account?
            for try await row in rows.decode(AccountRow.self) { account = Self.account(row) }
            let kind: AuditEvent.Kind =
                purpose == OneTimeTokenPurpose.emailChange.rawValue ? .emailChanged : .emailVerified
            try await insert(NewAuditEvent(kind, accountID: accountID, origin: origin), on: connection)
            return account
        }
    }

    public func resetPassword(
        tokenHash: [UInt8], passwordHash: String, now: Date, origin: RequestOrigin,
        notice: @escaping @Sendable (_ email: String) -> NewOutboxMessage
    ) async throws -> UUID? {
        try await write(critical: true) { connection in
            guard
                let (accountID, _, _) = try await consume(
                    tokenHash, purposes: ["password-reset"], now: now, on: connection)
            else { return nil }
            let updated = try await connection.query(
                """
                UPDATE accounts SET password_hash = \(passwordHash), updated_at = \(now) WHERE id = \(accountID)
                RETURNING email
                """, logger: logger)
            for try await email in updated.decode(String.self) { try await insert(notice(email), on: connection) }
            try await revokeAll(accountID: accountID, keeping: nil, reason: "password-reset", now: now, on: connection)
            // Every other outstanding token dies with this one.
            try await cancelPendingTokens(accountID: accountID, now: now, on: connection)
            try await insert(NewAuditEvent(.passwordReset, accountID: accountID, origin: origin), on: connection)
            return accountID
        }
    }

    public func setDisabled(accountID: UUID, disabled: Bool, now: Date, audit: NewAuditEvent) async throws -> Account? {
        try await write(critical: true) { connection in
            let disabledAt: Date? = disabled ? now : nil
            let rows = try await connection.query(
                """
                UPDATE accounts SET disabled_at = \(disabledAt), updated_at = \(now) WHERE id = \(accountID)
                RETURNING id, email, display_name, email_verified, role, disabled_at IS NOT NULL, created_at
                """, logger: logger)
            var account: Account?
            for try await row in rows.decode(AccountRow.self) { account = Self.account(row) }
            guard account != nil else { return nil }
            if disabled {
                try await revokeAll(
                    accountID: accountID, keeping: nil, reason: "account-disabled", now: now, on: connection)
                try await cancelPendingTokens(accountID: accountID, now: now, on: connection)
            }
            try await insert(audit, on: connection)
            return account
        }
    }

    public func recordAudit(_ event: NewAuditEvent) async throws {
        try await write(critical: false) { connection in try await insert(event, on: connection) }
    }
}

/// The read behind every authenticated request (the session is live, the account enabled), prepared once per
/// connection: parsed and planned once instead of per request.
struct PrincipalStatement: PostgresPreparedStatement {
    typealias Row = PostgresAccountStore.AccountRow
    static let sql = """
        SELECT a.id, a.email, a.display_name, a.email_verified, a.role, a.disabled_at IS NOT NULL, a.created_at
        FROM sessions s JOIN accounts a ON a.id = s.account_id
        WHERE s.id = $1 AND a.id = $2 AND s.revoked_at IS NULL AND s.expires_at > $3 AND a.disabled_at IS NULL
        """
    var sessionID: UUID
    var accountID: UUID
    var now: Date

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(sessionID)
        bindings.append(accountID)
        bindings.append(now)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
