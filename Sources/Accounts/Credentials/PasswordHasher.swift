import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix
import Synchronization

/// Hashes and verifies passwords with bcrypt on a NIO thread pool, never on Swift's cooperative pool.
///
/// bcrypt reads at most 72 bytes and stops at a NUL byte, while the policy allows 128 characters of any
/// Unicode; so the password is first reduced with SHA-256 and base64 (44 ASCII bytes), which bcrypt then hashes.
///
/// At most `maximumPending` hashes wait or run at once: past that a login or sign-up is shed at once with
/// `overloaded` (503, `Retry-After`) instead of queueing work whose client may have given up long before it runs.
/// A hash that waited in the queue longer than `maximumWait` is shed too when its turn comes: under sustained
/// overload the queue then holds about `maximumWait` of work, and clients get a quick 503 to back off from
/// rather than a timeout after which they log in again (a retry storm that outlives the overload).
public struct PasswordHasher: Sendable {
    /// bcrypt's cost factor (log2 of the rounds), 4...31; 12 by default.
    public let cost: UInt8
    /// How many hashes may be queued or running at once.
    public let maximumPending: Int
    /// How long a hash may wait for a thread before it is shed.
    public let maximumWait: Duration
    private let threadPool: NIOThreadPool
    private let pending: PendingCount

    public init(
        cost: UInt8 = 12, maximumPending: Int = 64, maximumWait: Duration = .seconds(1),
        threadPool: NIOThreadPool = .singleton
    ) {
        self.cost = cost
        self.maximumPending = max(1, maximumPending)
        self.maximumWait = maximumWait
        self.threadPool = threadPool
        self.pending = PendingCount()
    }

    /// The bcrypt hash of `password`, in modular crypt format (`$2b$12$…`).
    public func hash(_ password: String) async throws -> String {
        let input = Self.prehash(password)
        let cost = self.cost
        return try await admitted { queued in
            try await threadPool.runIfActive { try Self.unlessStale(queued) { Bcrypt.hash(input, cost: cost) } }
        }
    }

    /// Whether `password` matches `hash`; `false` for a malformed hash.
    public func verify(_ password: String, hash: String) async throws -> Bool {
        let input = Self.prehash(password)
        return try await admitted { queued in
            try await threadPool.runIfActive { try Self.unlessStale(queued) { Bcrypt.verify(input, hash: hash) } }
        }
    }

    /// Whether `hash` is a bcrypt hash made at another cost than this hasher's (`$2b$NN$…`): a login with
    /// the right password then stores a new hash at this cost. A hash whose cost cannot be read is left alone.
    public func hasOtherCost(_ hash: String) -> Bool {
        let fields = hash.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 4, fields[0].isEmpty, let stored = UInt8(fields[2]) else { return false }
        return stored != cost
    }

    /// Hashes queued or running now.
    var pendingCount: Int { pending.value }

    /// Hashes and verifications admitted since start, by this hasher and its copies: what a request cost.
    public var admittedCount: Int { pending.admitted }

    /// Runs `body` if fewer than `maximumPending` hashes are under way, else throws `overloaded`. The body gets
    /// the instant after which its hash is too stale to run.
    private func admitted<T>(_ body: (ContinuousClock.Instant) async throws -> T) async throws -> T {
        guard pending.enter(limit: maximumPending) else { throw Self.overloaded }
        defer { pending.leave() }
        return try await body(.now + maximumWait)
    }

    /// Runs `hash` on the pool's thread unless its wait ran past `deadline`.
    private static func unlessStale<T>(_ deadline: ContinuousClock.Instant, _ hash: () -> T) throws -> T {
        guard ContinuousClock.now <= deadline else { throw overloaded }
        return hash()
    }

    private static var overloaded: AccountsError {
        AccountsError(.overloaded, "Too many logins are being processed; retry shortly.", retryAfter: .seconds(1))
    }

    /// A valid hash of a random password at this cost, verified against when an account does not exist, so
    /// that a failed login takes the same time whether or not the e-mail address is registered.
    public func makeDecoyHash() async throws -> String {
        try await hash(OpaqueToken.generate().rawValue)
    }

    static func prehash(_ password: String) -> String {
        Data(SHA256.hash(data: Data(password.utf8))).base64EncodedString()
    }
}

/// The number of hashes under way, shared by copies of a hasher.
final class PendingCount: Sendable {
    private let count = Atomic<Int>(0)
    private let total = Atomic<Int>(0)

    func enter(limit: Int) -> Bool {
        if count.add(1, ordering: .relaxed).newValue <= limit {
            total.add(1, ordering: .relaxed)
            return true
        }
        count.subtract(1, ordering: .relaxed)
        return false
    }

    func leave() { count.subtract(1, ordering: .relaxed) }

    var value: Int { count.load(ordering: .relaxed) }

    var admitted: Int { total.load(ordering: .relaxed) }
}
