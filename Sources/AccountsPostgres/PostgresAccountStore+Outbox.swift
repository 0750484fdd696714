import Accounts
import Foundation
import Logging
import PostgresNIO

/// The transactional outbox: what the development mailbox reads, and delivery. A message leaves the database in the transaction that hands it over:
/// once delivered it is deleted, so the one-time token it carries is not kept at rest any longer than its mail
/// waits. What nothing delivers is purged once every token it can carry has expired.
extension PostgresAccountStore {
    /// An outbox row as both queries select it: id, created_at, recipient, template, subject, body, token.
    typealias OutboxRow = (Int64, Date, String, String, String, String, String?)

    static func message(_ row: OutboxRow) -> OutboxMessage {
        OutboxMessage(
            id: row.0, createdAt: row.1, recipient: row.2, template: row.3, subject: row.4, body: row.5, token: row.6)
    }

    public func outbox(recipient: String?, limit: Int) async throws -> [OutboxMessage] {
        try await read {
            let rows = try await source.query(
                """
                SELECT id, created_at, recipient, template, subject, body, token FROM outbox
                WHERE (\(recipient)::text IS NULL OR lower(recipient) = lower(\(recipient)))
                ORDER BY id DESC LIMIT \(limit)
                """, logger: logger)
            var messages: [OutboxMessage] = []
            for try await row in rows.decode(OutboxRow.self) { messages.append(Self.message(row)) }
            return messages
        }
    }

    /// Hands up to `limit` pending messages, oldest first, to `deliver` and deletes them in the same transaction
    /// on the primary; the number delivered. `FOR UPDATE SKIP LOCKED` lets every portal of every region deliver
    /// at once without two taking the same message. A `deliver` that throws rolls the whole batch back (the ones
    /// already handed over go again: delivery is at least once, and `MailSpool` names a message's file by its id,
    /// so a second delivery replaces the first).
    public func deliverOutbox(limit: Int = 100, _ deliver: @escaping @Sendable (OutboxMessage) throws -> Void)
        async throws -> Int
    {
        try await write(critical: false) { [logger] connection in
            let rows = try await connection.query(
                """
                SELECT id, created_at, recipient, template, subject, body, token FROM outbox
                ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """, logger: logger)
            var delivered: [Int64] = []
            for try await row in rows.decode(OutboxRow.self) {
                try deliver(Self.message(row))
                delivered.append(row.0)
            }
            if !delivered.isEmpty {
                try await connection.query("DELETE FROM outbox WHERE id = ANY(\(delivered)::bigint[])", logger: logger)
            }
            return delivered.count
        }
    }

    /// Deletes messages that waited longer than `age` undelivered (no spool configured, or one that kept
    /// failing); the number deleted.
    public func purgeOutbox(olderThan age: Duration, now: Date) async throws -> Int {
        try await write(critical: false) { [logger] connection in
            let cutoff = now.addingTimeInterval(-age.timeInterval)
            let rows = try await connection.query(
                "DELETE FROM outbox WHERE created_at < \(cutoff) RETURNING id", logger: logger)
            var count = 0
            for try await _ in rows { count += 1 }
            return count
        }
    }
}
