import Crypto
import Foundation
import HummingbirdBcrypt
import NIOPosix

/// Hashes and verifies passwords with bcrypt on a NIO thread pool, never on Swift's cooperative pool.
///
/// bcrypt reads at most 72 bytes and stops at a NUL byte, while the policy allows 128 characters of any
/// Unicode; so the password is first reduced with SHA-256 and base64 (44 ASCII bytes), which bcrypt then hashes.
public struct PasswordHasher: Sendable {
    /// bcrypt's cost factor (log2 of the rounds), 4...31; 12 by default.
    public let cost: UInt8
    private let threadPool: NIOThreadPool

    public init(cost: UInt8 = 12, threadPool: NIOThreadPool = .singleton) {
        self.cost = cost
        self.threadPool = threadPool
    }

    /// The bcrypt hash of `password`, in modular crypt format (`$2b$12$…`).
    public func hash(_ password: String) async throws -> String {
        let input = Self.prehash(password)
        let cost = self.cost
        return try await threadPool.runIfActive { Bcrypt.hash(input, cost: cost) }
    }

    /// Whether `password` matches `hash`; `false` for a malformed hash.
    public func verify(_ password: String, hash: String) async throws -> Bool {
        let input = Self.prehash(password)
        return try await threadPool.runIfActive { Bcrypt.verify(input, hash: hash) }
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
