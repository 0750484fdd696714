import Accounts
import AccountsPostgres
import Failover
import Foundation
import Logging
import PortalTestSupport
import PostgresNIO
import Synchronization
import Testing

/// The write gate around a transaction on a real database (DESIGN.md invariant 1; issue 14, window 4): a lease
/// that ends before the COMMIT is sent refuses the write and writes nothing; one that ends while the COMMIT is under
/// way makes the answer "outcome unknown" (503), never success, although the row may be there.
///
/// And the epoch binding (issue 14, windows 3, 5 and 6): a database the control plane bound to an epoch takes only
/// writes that name that epoch, stamps every row with it, and takes nothing once fenced, whatever a session sets.
@Suite struct WriteGateTests {
    /// Runs `body` with a store whose gate answers the n-th question (1-based) with `gate(n)`, and a client on the
    /// same (migrated) database.
    func withGatedStore(
        gate: @escaping @Sendable (Int) -> WritePermission,
        _ body: (PostgresAccountStore, PostgresClient) async throws -> Void
    ) async throws {
        let url = try await TestDatabase.shared.makeDatabase()
        let client = PostgresClient(configuration: try DatabaseURL(url).clientConfiguration())
        let asked = Mutex(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await Migrations.apply(on: client, logger: Logger(label: "m"))
            let store = PostgresAccountStore(
                reader: client, writer: client,
                writeGate: {
                    let n = asked.withLock { count in
                        count += 1
                        return count
                    }
                    return gate(n)
                }, logger: Logger(label: "store"))
            try await body(store, client)
        }
    }

    /// A gate open in `epoch` for the first `questions - 1` questions, closed after.
    func withGatedStore(
        open: @escaping @Sendable (Int) -> Bool, epoch: Int? = nil,
        _ body: (PostgresAccountStore, PostgresClient) async throws -> Void
    ) async throws {
        try await withGatedStore(gate: { open($0) ? .open(epoch: epoch) : .closed }, body)
    }

    func newAccount(_ email: String) throws -> NewAccount {
        NewAccount(
            id: UUID(), email: try EmailAddress(email), displayName: try DisplayName("Gate"), passwordHash: "x",
            role: .customer, createdAt: Date())
    }

    func signUp(_ account: NewAccount, on store: PostgresAccountStore) async throws {
        let origin = RequestOrigin(requestID: "r", clientAddress: nil, userAgent: nil, region: "us-east-1")
        _ = try await store.createAccount(
            account, verification: nil, mail: nil, audit: NewAuditEvent(.signUp, accountID: account.id, origin: origin))
    }

    /// The control plane's bind (as `LabReplication.bindEpoch` does it) and fence, on `client`'s database.
    func bind(_ epoch: Int, fenced: Bool = false, on client: PostgresClient) async throws {
        try await client.query(
            """
            INSERT INTO dr_epoch (id, epoch, fenced) VALUES (true, \(epoch), \(fenced))
            ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch, fenced = excluded.fenced
            """, logger: Logger(label: "t"))
    }

    /// The epochs the rows of `table` were written in, in no order (NULL as 0).
    func writtenEpochs(_ table: String, on client: PostgresClient) async throws -> [Int] {
        let rows = try await client.query(
            PostgresQuery(unsafeSQL: "SELECT coalesce(written_epoch, 0) FROM \(table)"), logger: Logger(label: "t"))
        var epochs: [Int] = []
        for try await epoch in rows.decode(Int.self) { epochs.append(epoch) }
        return epochs
    }

    @Test func aLeaseEndingWhileTheCommitIsUnderWayAnswersOutcomeUnknown() async throws {
        // Asked before the transaction, before the COMMIT, and after it: the lease ends in between the last two.
        try await withGatedStore(open: { $0 < 3 }) { store, _ in
            let account = try newAccount("late-commit@example.com")
            let error = await #expect(throws: AccountsError.self) { try await signUp(account, on: store) }
            #expect(error?.code == .storageUnavailable)
            #expect(error?.detail.contains("may or may not have been made") == true)
            // The commit did complete: the row is there, which is why the answer may not say "not done" either.
            #expect(try await store.credentials(forEmail: account.email.normalized) != nil)
        }
    }

    @Test func aLeaseEndingBeforeTheCommitWritesNothing() async throws {
        try await withGatedStore(open: { $0 < 2 }) { store, _ in
            let account = try newAccount("no-commit@example.com")
            let error = await #expect(throws: AccountsError.self) { try await signUp(account, on: store) }
            #expect(error?.code == .writesUnavailable)
            #expect(try await store.credentials(forEmail: account.email.normalized) == nil)
        }
    }

    @Test func anUnmanagedDatabaseTakesWritesWithoutAnEpoch() async throws {
        try await withGatedStore(open: { _ in true }) { store, client in
            let account = try newAccount("open@example.com")
            try await signUp(account, on: store)
            #expect(try await store.credentials(forEmail: account.email.normalized) != nil)
            #expect(try await writtenEpochs("accounts", on: client) == [0])
        }
    }

    /// Windows 3 and 5: the database checks the epoch inside the write's transaction. A portal holding the new
    /// epoch's lease whose writer endpoint still leads to the old primary writes nothing there, and a former
    /// primary back from a crash takes nothing from a portal of the old epoch, nor a write that names none.
    @Test func aBoundDatabaseTakesOnlyWritesOfItsEpochAndStampsEveryRow() async throws {
        let epoch = Mutex<Int?>(3)
        try await withGatedStore(gate: { _ in .open(epoch: epoch.withLock { $0 }) }) { store, client in
            try await bind(3, on: client)
            try await signUp(try newAccount("epoch3@example.com"), on: store)
            #expect(try await writtenEpochs("accounts", on: client) == [3])
            #expect(try await writtenEpochs("audit_events", on: client) == [3])
            // The login throttle's autocommitted statements are bound too.
            let key = ThrottleKey("account:epoch3@example.com", limits: .perAccount)
            _ = try await store.recordFailure([key], now: Date())
            #expect(try await writtenEpochs("login_failures", on: client) == [3])

            for stale in [2, 4, nil] as [Int?] {
                epoch.withLock { $0 = stale }
                let account = try newAccount("epoch-\(stale ?? 0)@example.com")
                let error = await #expect(throws: AccountsError.self) { try await signUp(account, on: store) }
                #expect(error?.code == .writesUnavailable, "epoch \(stale ?? 0)")
                #expect(try await store.credentials(forEmail: account.email.normalized) == nil)
                await #expect(throws: AccountsError.self) { _ = try await store.recordFailure([key], now: Date()) }
            }
            #expect(try await writtenEpochs("accounts", on: client) == [3])
        }
    }

    /// Window 6: the fence is the epoch row, not only `default_transaction_read_only`, which any session may turn
    /// off; and a migration does not pass it either.
    @Test func aFencedDatabaseTakesNoWriteWhateverASessionSetsAndNoMigration() async throws {
        try await withGatedStore(open: { _ in true }, epoch: 3) { store, client in
            try await bind(3, fenced: true, on: client)
            let error = await #expect(throws: AccountsError.self) {
                try await signUp(try newAccount("fenced@example.com"), on: store)
            }
            #expect(error?.code == .writesUnavailable)
            // A session of its own, read-only turned off and the right epoch named: still refused, by the row.
            let refused = await #expect(throws: PSQLError.self) {
                try await client.withConnection { connection in
                    try await connection.query("SET default_transaction_read_only = off", logger: Logger(label: "t"))
                    try await connection.query(
                        "SELECT set_config('portal.epoch', '3', false)", logger: Logger(label: "t"))
                    try await connection.query(
                        """
                        INSERT INTO audit_events (kind, region) VALUES ('sign-up', 'us-east-1')
                        """, logger: Logger(label: "t"))
                }
            }
            #expect(refused?.serverInfo?[.sqlState] == "DR001")
            #expect(try await writtenEpochs("audit_events", on: client).isEmpty)
            // A migration that is still to run on a fenced database is refused before it changes anything.
            try await client.query("DELETE FROM schema_migrations WHERE version = 4", logger: Logger(label: "t"))
            await #expect(throws: Migrations.MigrationRefused.self) {
                try await Migrations.apply(on: client, logger: Logger(label: "m"))
            }
        }
    }
}
