import Accounts
import AccountsPostgres
import Foundation
import Logging
import PortalTestSupport
import PostgresNIO
import Synchronization
import Testing

/// The write gate around a transaction on a real database (DESIGN.md invariant 1; issue 14, window 4): a lease
/// that ends before the COMMIT is sent refuses the write and writes nothing; one that ends while the COMMIT is under
/// way makes the answer "outcome unknown" (503), never success, although the row may be there.
@Suite struct WriteGateTests {
    /// Runs `body` with a store whose gate answers the n-th question (1-based) with `open(n)`.
    func withGatedStore(
        open: @escaping @Sendable (Int) -> Bool, _ body: (PostgresAccountStore) async throws -> Void
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
                    return open(n)
                }, logger: Logger(label: "store"))
            try await body(store)
        }
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

    @Test func aLeaseEndingWhileTheCommitIsUnderWayAnswersOutcomeUnknown() async throws {
        // Asked before the transaction, before the COMMIT, and after it: the lease ends in between the last two.
        try await withGatedStore(open: { $0 < 3 }) { store in
            let account = try newAccount("late-commit@example.com")
            let error = await #expect(throws: AccountsError.self) { try await signUp(account, on: store) }
            #expect(error?.code == .storageUnavailable)
            #expect(error?.detail.contains("may or may not have been made") == true)
            // The commit did complete: the row is there, which is why the answer may not say "not done" either.
            #expect(try await store.credentials(forEmail: account.email.normalized) != nil)
        }
    }

    @Test func aLeaseEndingBeforeTheCommitWritesNothing() async throws {
        try await withGatedStore(open: { $0 < 2 }) { store in
            let account = try newAccount("no-commit@example.com")
            let error = await #expect(throws: AccountsError.self) { try await signUp(account, on: store) }
            #expect(error?.code == .writesUnavailable)
            #expect(try await store.credentials(forEmail: account.email.normalized) == nil)
        }
    }

    @Test func anOpenGateWrites() async throws {
        try await withGatedStore(open: { _ in true }) { store in
            let account = try newAccount("open@example.com")
            try await signUp(account, on: store)
            #expect(try await store.credentials(forEmail: account.email.normalized) != nil)
        }
    }
}
