import Crypto
import Foundation
import Logging

/// One key of the guess budget (an account, a client address) with the limits it gets.
public struct ThrottleKey: Sendable, Equatable {
    /// Hex SHA-256 of `account:<e-mail>` or `address:<ip>`: fixed length, no customer text at rest, and safe
    /// for any storage whatever bytes a client sent.
    public let name: String
    public let limits: ThrottleLimits

    public init(_ raw: String, limits: ThrottleLimits) {
        self.name = SHA256.hash(data: Data(raw.utf8)).map { String(format: "%02x", $0) }.joined()
        self.limits = limits
    }
}

/// Failed-guess counting shared by every portal of every region (PostgreSQL on the primary). Each method is
/// atomic on the store's side, so parallel guesses cannot pass one check together.
public protocol SharedGuessLedger: Sendable {
    /// The longest wait among `keys` at `now`, from a read that may lag; nil when none is blocked.
    func retryAfter(_ keys: [ThrottleKey], now: Date) async throws -> Duration?
    /// Counts a wrong guess unless a key is already blocked; nil when counted (the guess was within the
    /// budget), else how long the keys are still blocked (the guess was over it and is not counted).
    func recordFailure(_ keys: [ThrottleKey], now: Date) async throws -> Duration?
    /// Admits a right guess unless a key is blocked, clearing `clearing`; nil when admitted, else the wait.
    func admit(_ keys: [ThrottleKey], clearing: ThrottleKey, now: Date) async throws -> Duration?
}

/// The guess budget of logins and password confirmations: the shared ledger when there is one, and this
/// process's own throttle as the fallback while the ledger cannot be written (a fenced region, an
/// unreachable writer), so that a wrong password is still a 401 and is still counted, if only here.
public struct GuessBudget: Sendable {
    public let local: LoginGuard<ContinuousClock>
    public let shared: (any SharedGuessLedger)?
    private let now: @Sendable () -> Date
    private let logger: Logger

    public init(
        local: LoginGuard<ContinuousClock>, shared: (any SharedGuessLedger)?, now: @escaping @Sendable () -> Date,
        logger: Logger
    ) {
        self.local = local
        self.shared = shared
        self.now = now
        self.logger = logger
    }

    /// The keys of a guess: the account (by normalized e-mail) and, when known, the client's address.
    public func keys(email: String, clientAddress: String?) -> [ThrottleKey] {
        var keys = [ThrottleKey("account:" + email, limits: local.accountLimits)]
        if let clientAddress { keys.append(ThrottleKey("address:" + clientAddress, limits: local.addressLimits)) }
        return keys
    }

    /// Throws `tooManyAttempts` when a key is blocked; cheap (this process, then a read of the region's
    /// database), so a blocked guess costs no password hash.
    public func check(email: String, clientAddress: String?) async throws {
        var wait = await local.retryAfter(email: email, clientAddress: clientAddress)
        if let shared,
            let sharedWait = try await shared.retryAfter(keys(email: email, clientAddress: clientAddress), now: now())
        {
            wait = max(wait ?? .zero, sharedWait)
        }
        if let wait { throw Self.throttled(wait) }
    }

    /// Counts a wrong guess. Throws `tooManyAttempts` when the guess turned out to be over the budget (a
    /// parallel guess was counted first): the caller answers 429 instead of 401, so the guess taught nothing.
    public func recordFailure(email: String, clientAddress: String?) async throws {
        if let shared {
            do {
                if let wait = try await shared.recordFailure(
                    keys(email: email, clientAddress: clientAddress), now: now())
                {
                    throw Self.throttled(wait)
                }
                return
            } catch let error as AccountsError
                where error.code == .writesUnavailable || error.code == .storageUnavailable
            {
                logger.warning(
                    "guess budget not writable; counting this failure in this process only",
                    metadata: ["error": "\(error.code.rawValue)"])
            }
        }
        await local.recordFailure(email: email, clientAddress: clientAddress)
    }

    /// Admits a right guess: throws `tooManyAttempts` when a parallel wrong guess blocked a key meanwhile;
    /// otherwise the account's failures are cleared.
    public func admit(email: String, clientAddress: String?) async throws {
        let keys = keys(email: email, clientAddress: clientAddress)
        if let shared, let wait = try await shared.admit(keys, clearing: keys[0], now: now()) {
            throw Self.throttled(wait)
        }
        await local.recordSuccess(email: email)
    }

    /// Counts a password-reset request against its e-mail address's and client address's allowances, in the
    /// same shared ledger as failed logins (under other keys); throws `tooManyAttempts` once over. Counted
    /// whether or not the address has an account, so the answer says nothing about that. Without a writable
    /// ledger nothing is counted: the request itself cannot be written then either.
    public func recordResetRequest(email: String, clientAddress: String?) async throws {
        var keys = [ThrottleKey("reset-account:" + email, limits: .resetRequestsPerEmail)]
        if let clientAddress {
            keys.append(ThrottleKey("reset-address:" + clientAddress, limits: .resetRequestsPerClientAddress))
        }
        if let shared, let wait = try await shared.recordFailure(keys, now: now()) {
            throw AccountsError(
                .tooManyAttempts, "Too many password-reset requests; try again later.", retryAfter: wait)
        }
    }

    static func throttled(_ wait: Duration) -> AccountsError {
        AccountsError(.tooManyAttempts, "Too many failed attempts; try again later.", retryAfter: wait)
    }
}
