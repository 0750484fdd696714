/// The throttling limits of one kind of key.
public struct ThrottleLimits: Sendable, Equatable {
    public var freeFailures: Int
    public var baseDelay: Duration
    public var maximumDelay: Duration
    public var forgetAfter: Duration

    public init(freeFailures: Int, baseDelay: Duration, maximumDelay: Duration, forgetAfter: Duration) {
        self.freeFailures = freeFailures
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
        self.forgetAfter = forgetAfter
    }

    /// Per account: five free failures, then 1 s, 2 s, 4 s … up to 15 minutes.
    public static let perAccount = ThrottleLimits(
        freeFailures: 5, baseDelay: .seconds(1), maximumDelay: .seconds(900), forgetAfter: .seconds(3600))
    /// Reset requests per e-mail address: three an hour free, then 1, 2, 4 … minutes, up to an hour, so that
    /// nobody can flood a mailbox (or the mail service) with reset codes.
    public static let resetRequestsPerEmail = ThrottleLimits(
        freeFailures: 3, baseDelay: .seconds(60), maximumDelay: .seconds(3600), forgetAfter: .seconds(3600))
    /// Reset requests per client address: more, since many customers may share an address.
    public static let resetRequestsPerClientAddress = ThrottleLimits(
        freeFailures: 20, baseDelay: .seconds(60), maximumDelay: .seconds(3600), forgetAfter: .seconds(3600))
    /// Per client address: more generous, since many customers may share an address.
    public static let perClientAddress = ThrottleLimits(
        freeFailures: 20, baseDelay: .seconds(1), maximumDelay: .seconds(900), forgetAfter: .seconds(3600))
}

/// Failed-login bookkeeping with growing back-off, as a value: methods take the current instant and return
/// decisions; no clock is read and no I/O is done, so every transition is tested with plain instants.
///
/// A key (an e-mail address, a client address) may fail `freeFailures` times; after that every further
/// failure blocks it for `baseDelay · 2^(failures − freeFailures − 1)`, at most `maximumDelay`. A key that
/// has not failed for `forgetAfter` starts over.
public struct LoginThrottle<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    struct Entry: Sendable {
        var failures: Int
        var lastFailure: Instant
        var blockedUntil: Instant?
    }

    private var entries: [String: Entry] = [:]
    /// Bounds memory when an attacker cycles through keys: the oldest entries are dropped beyond it.
    public var capacity: Int

    public init(capacity: Int = 100_000) { self.capacity = capacity }

    /// How long `key` must still wait at `now`, or nil when it may try.
    public func retryAfter(_ key: String, now: Instant) -> Duration? {
        guard let blockedUntil = entries[key]?.blockedUntil, now < blockedUntil else { return nil }
        return now.duration(to: blockedUntil)
    }

    /// Records a failed attempt; returns how long the key is now blocked, if it is.
    @discardableResult
    public mutating func recordFailure(_ key: String, limits: ThrottleLimits, now: Instant) -> Duration? {
        var entry = entries[key] ?? Entry(failures: 0, lastFailure: now, blockedUntil: nil)
        if entry.lastFailure.duration(to: now) >= limits.forgetAfter { entry.failures = 0 }
        entry.failures += 1
        entry.lastFailure = now
        var delay: Duration? = nil
        let excess = entry.failures - limits.freeFailures
        if excess > 0 {
            let factor = Int64(1) << Int64(min(excess - 1, 30))
            delay = min(limits.baseDelay * factor, limits.maximumDelay)
            entry.blockedUntil = now.advanced(by: delay!)
        }
        entries[key] = entry
        if entries.count > capacity { evictOldest() }
        return delay
    }

    /// A successful login clears the key.
    public mutating func recordSuccess(_ key: String) {
        entries[key] = nil
    }

    /// How many keys are tracked.
    public var count: Int { entries.count }

    private mutating func evictOldest() {
        let overflow = entries.count - capacity * 9 / 10
        let oldest = entries.sorted { $0.value.lastFailure < $1.value.lastFailure }.prefix(overflow)
        for (key, _) in oldest { entries[key] = nil }
    }
}

/// The throttle shared by a portal's requests, reading time from an injected clock.
public actor LoginGuard<C: Clock> where C.Duration == Duration {
    private var throttle = LoginThrottle<C.Instant>()
    private let clock: C
    public let accountLimits: ThrottleLimits
    public let addressLimits: ThrottleLimits

    public init(
        clock: C, accountLimits: ThrottleLimits = .perAccount,
        addressLimits: ThrottleLimits = .perClientAddress
    ) {
        self.clock = clock
        self.accountLimits = accountLimits
        self.addressLimits = addressLimits
    }

    /// The longest wait among the request's keys, or nil when the attempt may go ahead.
    public func retryAfter(email: String, clientAddress: String?) -> Duration? {
        let now = clock.now
        let waits = Self.keys(email: email, clientAddress: clientAddress).compactMap {
            throttle.retryAfter($0.key, now: now)
        }
        return waits.max()
    }

    public func recordFailure(email: String, clientAddress: String?) {
        let now = clock.now
        for (key, isAccount) in Self.keys(email: email, clientAddress: clientAddress) {
            throttle.recordFailure(key, limits: isAccount ? accountLimits : addressLimits, now: now)
        }
    }

    public func recordSuccess(email: String) {
        throttle.recordSuccess("account:" + email)
    }

    private static func keys(email: String, clientAddress: String?) -> [(key: String, isAccount: Bool)] {
        var keys = [("account:" + email, true)]
        if let clientAddress { keys.append(("address:" + clientAddress, false)) }
        return keys
    }
}
