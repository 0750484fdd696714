import Accounts
import Failover
import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

extension PostgresAccountStore {
    /// Runs `body` in a transaction on the writer. Critical writes wait for a standby to apply them when
    /// `criticalWritesRemoteApply` is set. Storage failures become domain errors the server can explain.
    func write<Result: Sendable>(
        critical: Bool, _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        do {
            let epoch = try permittedEpoch()
            let scope = ConsistencyScope.current
            return try await bounded {
                try await writer.withConnection { connection in
                    let result = try await connection.withTransaction(logger: logger) { connection in
                        if let epoch { try await bind(epoch, on: connection, transactionOnly: true) }
                        if critical && criticalWritesRemoteApply {
                            try await connection.query("SET LOCAL synchronous_commit = remote_apply", logger: logger)
                        }
                        let result = try await body(connection)
                        // A portal frozen mid-write must not commit once its lease has run out.
                        try checkWriteGate()
                        return result
                    }
                    // Issue 14, window 4: a COMMIT sent under the lease can complete after it ended (a retransmission,
                    // a partition that held the packets, a synchronous standby answering late). By then another
                    // region may have been promoted without this write: its outcome is unknown, never "done".
                    if writeGate?() == .closed { throw Self.outcomeUnknown(afterLeaseEnded: true) }
                    // The position after the commit: a standby that has replayed it shows this write. The write is
                    // done by now: a failure here (the server stopping right after the commit) only costs the
                    // consistency token, never the answer.
                    if let scope {
                        do {
                            // The insert position: with synchronous_commit off the commit record may not be written yet, and
                            // the write position (pg_current_wal_lsn) would then name a point before it.
                            let rows = try await connection.query(
                                "SELECT pg_current_wal_insert_lsn()::text", logger: logger)
                            for try await lsn in rows.decode(String.self) { scope.recordCommit(lsn) }
                        } catch {
                            logger.warning(
                                "no consistency token after a commit",
                                metadata: ["error": "\(String(reflecting: error))"])
                        }
                    }
                    return result
                }
            }
        } catch let error as PostgresTransactionError {
            // Errors thrown inside the transaction arrive wrapped; a domain error keeps its meaning.
            if let domain = error.closureError as? AccountsError { throw domain }
            if error.closureError == nil, error.beginError == nil, error.commitError != nil {
                // The COMMIT was sent and failed: a server that stops while a commit waits for its synchronous
                // standby ends the session (57P01) although the transaction committed locally, and may have
                // replicated. The outcome is unknown: never "not done".
                throw Self.outcomeUnknown(afterLeaseEnded: false)
            }
            throw Self.domainError(error.closureError ?? error.beginError ?? error)
        } catch let error as AccountsError {
            throw error
        } catch {
            throw Self.domainError(error)
        }
    }

    /// A write whose COMMIT was sent but whose outcome is not known (503): check before retrying.
    static func outcomeUnknown(afterLeaseEnded: Bool) -> AccountsError {
        AccountsError(
            .storageUnavailable,
            (afterLeaseEnded
                ? "The write lease ended while the commit was under way"
                : "The database stopped while committing")
                + "; the change may or may not have been made. Check before retrying.", retryAfter: .seconds(1))
    }

    /// The epoch a write starts under (nil: unmanaged); throws `writesUnavailable` when the write gate is closed.
    func permittedEpoch() throws -> Int? {
        switch writeGate?() ?? .open(epoch: nil) {
        case .closed:
            throw AccountsError(
                .writesUnavailable, "This region holds no write lease (fenced); retry shortly.",
                retryAfter: .seconds(1))
        case .open(let epoch):
            return epoch
        }
    }

    /// Throws `writesUnavailable` when the write gate is closed.
    func checkWriteGate() throws { _ = try permittedEpoch() }

    /// Names `epoch` to the database for the rest of the transaction (or, autocommitting, of the session), so that
    /// it refuses the write unless it is that epoch's primary (migration 4).
    func bind(_ epoch: Int, on connection: PostgresConnection, transactionOnly: Bool) async throws {
        try await connection.query(
            "SELECT set_config('portal.epoch', \(String(epoch)), \(transactionOnly))", logger: logger)
    }

    /// Reads from the region's database; a miss there is retried on the writer, since a row written moments
    /// ago (a new session, say) may not have been replayed on this region's standby yet.
    func readFallingBack<Result: Sendable>(_ body: @escaping @Sendable (PostgresClient) async throws -> Result?)
        async throws
        -> Result?
    {
        if let result = try await read({ try await body(source) }) { return result }
        return source === writer ? nil : try await read { try await body(writer) }
    }

    /// Where reads go: the region's database, or the writer when the request's consistency token is not yet
    /// replayed here.
    var source: PostgresClient { ConsistencyScope.current?.readFromWriter == true ? writer : reader }

    /// Runs a read within the operation timeout, turning storage failures into domain errors.
    func read<Result: Sendable>(_ body: @escaping @Sendable () async throws -> Result) async throws -> Result {
        do {
            return try await bounded(body)
        } catch let error as AccountsError {
            throw error
        } catch {
            throw Self.domainError(error)
        }
    }

    /// Gives up after `operationTimeout` with `storageUnavailable` (503).
    func bounded<Result: Sendable>(_ body: @escaping @Sendable () async throws -> Result) async throws -> Result {
        try await withDeadline(
            operationTimeout,
            orThrow: {
                AccountsError(.storageUnavailable, "The database did not answer in time.", retryAfter: .seconds(1))
            }, timer: EventLoopTimer(), body)
    }

    static func domainError(_ error: any Error) -> AccountsError {
        // 25006 and 57P0x before a COMMIT mean nothing was written: the portal says so (writes-unavailable).
        if let psql = error as? PSQLError, let state = psql.serverInfo?[.sqlState] {
            // The epoch check (migration 4): DR001 a fenced database, DR002 the primary of another epoch.
            if state.hasPrefix("DR") {
                return AccountsError(
                    .writesUnavailable,
                    "This database is not the primary of the current epoch (fenced, or superseded by a failover); "
                        + "retry shortly.", retryAfter: .seconds(1))
            }
            // 25006: read_only_sql_transaction (a standby, or a fenced primary); 57P0x: shutting down.
            if state == "25006" || state.hasPrefix("57P") {
                return AccountsError(
                    .writesUnavailable, "Writes are not accepted here right now; retry shortly.",
                    retryAfter: .seconds(1))
            }
        }
        return AccountsError(.storageUnavailable, "The database is not reachable right now.", retryAfter: .seconds(1))
    }

    /// Inserts the account unless the normalized e-mail is taken; nil when it is.
    func insertAccount(_ account: NewAccount, on connection: PostgresConnection) async throws -> Account? {
        let rows = try await connection.query(
            """
            INSERT INTO accounts (id, email, email_normalized, display_name, password_hash, role, created_at, updated_at)
            VALUES (\(account.id), \(account.email.value), \(account.email.normalized), \(account.displayName.value),
                    \(account.passwordHash), \(account.role.rawValue), \(account.createdAt), \(account.createdAt))
            ON CONFLICT (email_normalized) DO NOTHING
            RETURNING id, email, display_name, email_verified, role, disabled_at IS NOT NULL, created_at
            """, logger: logger)
        for try await row in rows.decode(AccountRow.self) { return Self.account(row) }
        return nil
    }

    func insert(_ token: NewOneTimeToken, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO one_time_tokens (token_hash, account_id, purpose, new_email, created_at, expires_at)
            VALUES (\(Data(token.hash)), \(token.accountID), \(token.purpose.rawValue), \(token.newEmail?.value),
                    \(token.createdAt), \(token.expiresAt))
            """, logger: logger)
    }

    func insert(_ mail: NewOutboxMessage, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO outbox (created_at, recipient, template, subject, body, token)
            VALUES (now(), \(mail.recipient), \(mail.template), \(mail.subject), \(mail.body), \(mail.token))
            """, logger: logger)
    }

    func insert(_ event: NewAuditEvent, on connection: PostgresConnection) async throws {
        let origin = event.origin
        try await connection.query(
            """
            INSERT INTO audit_events (kind, account_id, actor_id, region, request_id, client_address, user_agent)
            VALUES (\(event.kind.rawValue), \(event.accountID), \(event.actorID), \(origin.region), \(origin.requestID),
                    \(origin.clientAddress), \(origin.userAgent.map { String($0.prefix(512)) }))
            """, logger: logger)
    }

    func revoke(sessionID: UUID, accountID: UUID, reason: String, now: Date, on connection: PostgresConnection)
        async throws
    {
        try await connection.query(
            """
            UPDATE sessions SET revoked_at = \(now), revoked_reason = \(reason)
            WHERE id = \(sessionID) AND account_id = \(accountID) AND revoked_at IS NULL
            """, logger: logger)
    }

    func revokeAll(accountID: UUID, keeping: UUID?, reason: String, now: Date, on connection: PostgresConnection)
        async throws
    {
        try await connection.query(
            """
            UPDATE sessions SET revoked_at = \(now), revoked_reason = \(reason)
            WHERE account_id = \(accountID) AND revoked_at IS NULL AND (\(keeping)::uuid IS NULL OR id <> \(keeping))
            """, logger: logger)
    }

    /// Ends every pending one-time token of the account (reset, e-mail change, verification), as a password
    /// change or reset, an e-mail change and disabling do: what was mailed before stops working.
    func cancelPendingTokens(accountID: UUID, now: Date, on connection: PostgresConnection) async throws {
        try await connection.query(
            "UPDATE one_time_tokens SET used_at = \(now) WHERE account_id = \(accountID) AND used_at IS NULL",
            logger: logger)
    }

    /// Marks an unexpired, unused token of one of `purposes` used; its account, purpose and new e-mail.
    func consume(_ hash: [UInt8], purposes: [String], now: Date, on connection: PostgresConnection) async throws
        -> (UUID, String, String?)?
    {
        let rows = try await connection.query(
            """
            UPDATE one_time_tokens SET used_at = \(now)
            WHERE token_hash = \(Data(hash)) AND used_at IS NULL AND expires_at > \(now) AND purpose = ANY(\(purposes))
            RETURNING account_id, purpose, new_email
            """, logger: logger)
        for try await row in rows.decode((UUID, String, String?).self) { return row }
        return nil
    }
}

/// A deadline on one of NIO's event loops, which the database clients keep awake anyway: no task and no Dispatch
/// timer per query.
struct EventLoopTimer: DeadlineTimer {
    func schedule(after duration: Duration, _ fire: @escaping @Sendable () -> Void) -> @Sendable () -> Void {
        let scheduled = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: TimeAmount(duration)) { fire() }
        return { scheduled.cancel() }
    }
}
