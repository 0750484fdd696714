import Accounts
import Foundation
import Logging
import PostgresNIO

/// The guess budget in the primary's `login_failures` table: every portal of every region counts there, and the
/// count outlives any process. A failure costs two statements on the writer (one round trip each to the
/// primary's region); a successful login one. Reads that only decide whether to hash at all use the region's
/// own database.
extension PostgresAccountStore: SharedGuessLedger {
    public func retryAfter(_ keys: [ThrottleKey], now: Date) async throws -> Duration? {
        try await read {
            try await Self.longestBlock(of: keys, now: now, on: source, logger: logger)
        }
    }

    public func recordFailure(_ keys: [ThrottleKey], now: Date) async throws -> Duration? {
        let names = keys.map(\.name)
        let free = keys.map(\.limits.freeFailures)
        let base = keys.map(\.limits.baseDelay.timeInterval)
        let maximum = keys.map(\.limits.maximumDelay.timeInterval)
        let forget = keys.map(\.limits.forgetAfter.timeInterval)
        let counted: Int = try await writeOnce { connection in
            try await connection.query(
                """
                INSERT INTO login_failures (key, failures, last_failure)
                SELECT k, 0, \(now) FROM unnest(\(names)::text[]) AS k
                ON CONFLICT (key) DO NOTHING
                """, logger: logger)
            // The check and the count in one statement: the row lock orders parallel guesses, and the
            // blocked_until test is re-evaluated on the newest row version, so no two pass one check. Every
            // right-hand side sees the row as it was, hence the repeated count expression.
            let rows = try await connection.query(
                """
                UPDATE login_failures AS f SET
                    failures = CASE WHEN f.last_failure <= \(now) - make_interval(secs => a.forget) THEN 1
                                    ELSE f.failures + 1 END,
                    last_failure = \(now),
                    blocked_until = CASE
                        WHEN (CASE WHEN f.last_failure <= \(now) - make_interval(secs => a.forget) THEN 1
                                   ELSE f.failures + 1 END) > a.free
                        THEN \(now) + make_interval(secs => least(a.maximum, a.base * power(2, least(30,
                            (CASE WHEN f.last_failure <= \(now) - make_interval(secs => a.forget) THEN 1
                                  ELSE f.failures + 1 END) - a.free - 1))))
                        END
                FROM unnest(\(names)::text[], \(free)::int[], \(base)::float8[], \(maximum)::float8[],
                            \(forget)::float8[]) AS a(key, free, base, maximum, forget)
                WHERE f.key = a.key AND (f.blocked_until IS NULL OR f.blocked_until <= \(now))
                  AND NOT EXISTS (
                    SELECT 1 FROM login_failures b WHERE b.key = ANY(\(names)::text[]) AND b.blocked_until > \(now))
                RETURNING f.key
                """, logger: logger)
            var count = 0
            for try await _ in rows { count += 1 }
            return count
        }
        if UInt8.random(in: .min ... .max) == 0 {
            // About one failure in 256 also sweeps keys that are long forgotten.
            let age = keys.map(\.limits.forgetAfter).max() ?? .seconds(3600)
            try? await forgetGuesses(olderThan: age, now: now)
        }
        if counted == keys.count { return nil }
        let wait = try await writeOnce { connection in
            try await Self.longestBlock(of: keys, now: now, on: connection, logger: logger)
        }
        return wait ?? .seconds(1)
    }

    public func admit(_ keys: [ThrottleKey], clearing: ThrottleKey, now: Date) async throws -> Duration? {
        let names = keys.map(\.name)
        return try await writeOnce { connection in
            // FOR UPDATE waits for a parallel failure of these keys and sees its result: a right guess that
            // arrives after the budget ran out is refused like a wrong one.
            let rows = try await connection.query(
                """
                WITH locked AS (
                    SELECT key, blocked_until FROM login_failures WHERE key = ANY(\(names)::text[]) FOR UPDATE
                ), cleared AS (
                    DELETE FROM login_failures
                    WHERE key = \(clearing.name) AND NOT EXISTS (SELECT 1 FROM locked WHERE blocked_until > \(now))
                    RETURNING 1
                )
                SELECT max(blocked_until) FROM locked WHERE blocked_until > \(now)
                """, logger: logger)
            for try await until in rows.decode(Date?.self) {
                if let until { return .seconds(max(1, until.timeIntervalSince(now))) }
            }
            return nil
        }
    }

    /// Forgets keys that have not failed for `age`: run now and then, so that an attacker cycling through
    /// addresses or e-mails does not grow the table without bound.
    public func forgetGuesses(olderThan age: Duration, now: Date) async throws {
        try await writeOnce { connection in
            try await connection.query(
                """
                DELETE FROM login_failures
                WHERE last_failure < \(now.addingTimeInterval(-age.timeInterval))
                  AND (blocked_until IS NULL OR blocked_until < \(now))
                """, logger: logger)
        }
    }

    static func longestBlock(
        of keys: [ThrottleKey], now: Date, on source: some PostgresQueryRunner, logger: Logger
    ) async throws -> Duration? {
        let rows = try await source.runQuery(
            """
            SELECT max(blocked_until) FROM login_failures
            WHERE key = ANY(\(keys.map(\.name))::text[]) AND blocked_until > \(now)
            """, logger: logger)
        for try await until in rows.decode(Date?.self) {
            if let until { return .seconds(max(1, until.timeIntervalSince(now))) }
        }
        return nil
    }

    /// Autocommitted statements on the writer behind the write gate: no transaction and no consistency token,
    /// since each statement is atomic by itself and the answer that follows is a 4xx.
    func writeOnce<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result)
        async throws -> Result
    {
        do {
            let epoch = try permittedEpoch()
            return try await bounded {
                try await writer.withConnection { connection in
                    // Each statement commits alone: the epoch holds for the session, and every write sets it first.
                    if let epoch { try await bind(epoch, on: connection, transactionOnly: false) }
                    return try await body(connection)
                }
            }
        } catch let error as AccountsError {
            throw error
        } catch {
            throw Self.domainError(error)
        }
    }
}

/// What runs a query: a pooled client or one connection.
protocol PostgresQueryRunner: Sendable {
    func runQuery(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence
}

extension PostgresClient: PostgresQueryRunner {
    func runQuery(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        try await self.query(query, logger: logger)
    }
}

extension PostgresConnection: PostgresQueryRunner {
    func runQuery(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence {
        try await self.query(query, logger: logger)
    }
}
