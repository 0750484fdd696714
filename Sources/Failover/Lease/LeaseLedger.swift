import Foundation

/// The controller's record of the write lease it grants to the primary region's portals (DESIGN.md invariant 1).
///
/// A holder measures its lease from the moment it *sent* its request, so it always ends no later than
/// `grantedAt + duration` as the controller sees it. The controller therefore knows that every lease it granted
/// has ended once `lastGrant + duration + clockMargin` has passed. A controller that (re)starts begins from the
/// last grant its previous life recorded (`LeaseGrantRecord`), or counts its own start as a grant without one.
public struct LeaseLedger<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    public private(set) var lastGrant: Instant
    public private(set) var holder: RegionName?
    public let duration: Duration
    public let clockMargin: Duration

    public init(startedAt: Instant, duration: Duration, clockMargin: Duration) {
        self.lastGrant = startedAt
        self.duration = duration
        self.clockMargin = clockMargin
    }

    /// Records a grant to `region` at `now`.
    public mutating func grant(to region: RegionName, at now: Instant) {
        holder = region
        if now > lastGrant { lastGrant = now }
    }

    /// When the last lease surely ended (every holder's clock agrees it did).
    public var surelyExpiredAt: Instant { lastGrant.advanced(by: duration + clockMargin) }

    /// Whether no lease granted so far can still be in force at `now`.
    public func surelyExpired(at now: Instant) -> Bool { now >= surelyExpiredAt }

    /// Whether the holder's lease still runs at `now` by the controller's clock (without the margin).
    public func held(at now: Instant) -> Bool { holder != nil && now < lastGrant.advanced(by: duration) }
}

/// The wall-clock time of the controller's latest grant, written (atomically) before each grant is answered, so
/// that a restarted controller knows when the leases of its previous life end instead of waiting a whole lease
/// from its own start.
public struct LeaseGrantRecord: Codable, Hashable, Sendable {
    public var lastGrantAt: Date

    public init(lastGrantAt: Date) { self.lastGrantAt = lastGrantAt }

    /// The record in `path`; nil when there is none or it cannot be read (the caller then assumes the worst).
    public static func load(from path: String) -> LeaseGrantRecord? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return try? decoder.decode(LeaseGrantRecord.self, from: data)
    }

    public func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Where a ledger starting at `now` (wall clock `wallNow`) puts the last grant: `record`'s grant, as long
    /// ago as the wall clock says; the start itself when there is no record or the wall clock went backwards.
    public static func lastGrant<Instant: InstantProtocol>(
        _ record: LeaseGrantRecord?, wallNow: Date, now: Instant
    ) -> Instant where Instant.Duration == Duration {
        guard let record, wallNow >= record.lastGrantAt else { return now }
        let ago = Duration.milliseconds(Int64((wallNow.timeIntervalSince(record.lastGrantAt) * 1000).rounded(.down)))
        return now.advanced(by: .zero - ago)
    }
}

/// The controller's answer to a lease request.
public struct LeaseAnswer: Codable, Hashable, Sendable {
    public enum Decision: String, Codable, Sendable {
        /// This region holds the primary: write for `durationMilliseconds` from when the request was sent.
        case granted
        /// This region is a standby region: its writes go through the writer endpoint, no lease needed.
        case standby
        /// This region must not write at all (a former primary awaiting rejoin, or a primary being failed over).
        case fenced
    }
    public var decision: Decision
    public var region: RegionName
    public var primary: RegionName
    public var epoch: Int
    public var durationMilliseconds: Int64
    public var reason: String?

    public init(
        decision: Decision, region: RegionName, primary: RegionName, epoch: Int, durationMilliseconds: Int64,
        reason: String? = nil
    ) {
        self.decision = decision
        self.region = region
        self.primary = primary
        self.epoch = epoch
        self.durationMilliseconds = durationMilliseconds
        self.reason = reason
    }
}

/// The portal's side of the lease: whether it may write now. A value type driven by an injected clock.
///
/// Before any answer the portal may not write. A granted lease runs from the moment its request was sent;
/// a frozen (SIGSTOP) portal that wakes up finds its lease expired, because the clock kept running.
public struct WriteLeaseHolder<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    public enum State: String, Sendable {
        /// No answer from the controller yet.
        case unknown
        /// A lease runs.
        case held
        /// Standby region: writes go through the writer endpoint, no lease needed.
        case standby
        /// A lease ran out, or the controller said fenced.
        case fenced
    }

    private var answer: LeaseAnswer?
    private var expiresAt: Instant?

    public init() {}

    /// Records the controller's answer to a request sent at `sentAt`.
    public mutating func record(_ answer: LeaseAnswer, requestSentAt sentAt: Instant) {
        self.answer = answer
        expiresAt = answer.decision == .granted ? sentAt.advanced(by: .milliseconds(answer.durationMilliseconds)) : nil
    }

    public func state(at now: Instant) -> State {
        guard let answer else { return .unknown }
        switch answer.decision {
        case .standby: return .standby
        case .fenced: return .fenced
        case .granted: return expiresAt.map { now < $0 } == true ? .held : .fenced
        }
    }

    /// Whether a write may start (or commit) at `now`.
    public func mayWrite(at now: Instant) -> Bool {
        let state = state(at: now)
        return state == .held || state == .standby
    }

    /// Time left on a held lease.
    public func remaining(at now: Instant) -> Duration? {
        guard state(at: now) == .held, let expiresAt else { return nil }
        return now.duration(to: expiresAt)
    }

    public var lastAnswer: LeaseAnswer? { answer }
}
