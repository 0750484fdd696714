import Failover
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// What this process knows of its region's replay position, shared by every request that waits for a
/// consistency token: one poll of the region's database every `interval` while anyone waits (none otherwise),
/// however many requests wait, instead of a poll loop per request.
public final class ReplayWatcher: Sendable {
    struct Waiter {
        var token: LogSequenceNumber
        var deadline: ContinuousClock.Instant
        var continuation: CheckedContinuation<Bool, Never>
    }

    struct State {
        /// The position the region's database had replayed (or written, as a primary) at the last poll. Not the
        /// highest ever seen: after a failover the new timeline's positions may be below the old one's.
        var replayed: LogSequenceNumber?
        /// The newest position the writer was seen at.
        var primary: LogSequenceNumber?
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiter: UInt64 = 0
        var polling = false
        var polls = 0
    }

    private let reader: PostgresClient
    private let writer: PostgresClient
    private let interval: Duration
    private let logger: Logger
    private let state = Mutex(State())

    public init(reader: PostgresClient, writer: PostgresClient, interval: Duration = .milliseconds(5), logger: Logger) {
        self.reader = reader
        self.writer = writer
        self.interval = interval
        self.logger = logger
    }

    /// How often the region's database has been polled for its replay position: one per `interval` of waiting,
    /// whatever the number of waiting requests.
    public var pollCount: Int { state.withLock { $0.polls } }

    /// Whether `token` is at or before the writer's current position. A token ahead of it names a write that
    /// never happened (or was lost in a failover): waiting for it would be for nothing. The writer is asked
    /// only when the token is ahead of every position seen so far; when it cannot be asked, the token is given
    /// the benefit of the doubt.
    public func isPlausible(_ token: LogSequenceNumber, bound: Duration) async -> Bool {
        if let known = state.withLock({ $0.primary }), token <= known { return true }
        guard let position = await position(of: writer, "SELECT pg_current_wal_insert_lsn()::text", bound: bound)
        else { return true }
        state.withLock { $0.primary = max($0.primary ?? position, position) }
        return token <= position
    }

    /// Whether the region's database has replayed `token` within `bound`.
    public func waitForReplay(of token: LogSequenceNumber, bound: Duration) async -> Bool {
        let deadline = ContinuousClock.now + bound
        return await withCheckedContinuation { continuation in
            let startPoller = state.withLock { state in
                state.nextWaiter += 1
                state.waiters[state.nextWaiter] = Waiter(token: token, deadline: deadline, continuation: continuation)
                defer { state.polling = true }
                return !state.polling
            }
            if startPoller { Task { await self.poll() } }
        }
    }

    /// Polls until nobody waits: each round reads the position once and wakes every waiter it satisfies, and
    /// every waiter whose bound has passed (answering false).
    private func poll() async {
        while true {
            let position = await currentReplayPosition()
            let now = ContinuousClock.now
            let (done, more) = state.withLock { state -> ([(CheckedContinuation<Bool, Never>, Bool)], Bool) in
                state.polls += 1
                state.replayed = position
                var done: [(CheckedContinuation<Bool, Never>, Bool)] = []
                for (id, waiter) in state.waiters {
                    if let replayed = state.replayed, waiter.token <= replayed {
                        done.append((waiter.continuation, true))
                    } else if now >= waiter.deadline {
                        done.append((waiter.continuation, false))
                    } else {
                        continue
                    }
                    state.waiters[id] = nil
                }
                if state.waiters.isEmpty { state.polling = false }
                return (done, !state.waiters.isEmpty)
            }
            for (continuation, caughtUp) in done { continuation.resume(returning: caughtUp) }
            guard more else { return }
            try? await Task.sleep(for: interval)
        }
    }

    /// The region database's replayed position (its written one when it is a primary); nil when unknown, also
    /// when it does not answer within 250 ms (a frozen database must not hold the waiters past their bound).
    private func currentReplayPosition() async -> LogSequenceNumber? {
        await position(
            of: reader,
            """
            SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_insert_lsn() END)::text
            """, bound: .milliseconds(250))
    }

    /// A WAL position read with `query` within `bound`; nil when the database fails or does not answer in time.
    private func position(of client: PostgresClient, _ query: PostgresQuery, bound: Duration) async
        -> LogSequenceNumber?
    {
        let logger = self.logger
        do {
            return try await withDeadline(bound, orThrow: { CancellationError() }) {
                let rows = try await client.query(query, logger: logger)
                for try await text in rows.decode(String?.self) { return text.flatMap { LogSequenceNumber($0) } }
                return nil
            }
        } catch {
            logger.debug("WAL position unknown", metadata: ["error": "\(String(reflecting: error))"])
            return nil
        }
    }
}
