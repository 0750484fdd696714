import Foundation

/// The controller's answer to a lease request.
public struct LeaseAnswer: Codable, Hashable, Sendable {
    public enum Decision: String, Codable, Sendable {
        /// This region holds the primary: write for `durationMilliseconds` from when the request was sent.
        case granted
        /// This region is a standby region: its writes go through the writer endpoint for `durationMilliseconds`
        /// from when the request was sent (no write on its own database).
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
    /// The request's nonce and the control plane's signature over the answer (`LeaseSignature`).
    public var nonce: String?
    public var signature: String?

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

/// Whether a portal may write now, and in which epoch (issue 14): every write transaction names the epoch to the
/// database it commits to, which refuses it unless it is that epoch's primary (migration 4, `dr_epoch`).
public enum WritePermission: Hashable, Sendable {
    case closed
    /// Writes may start; `epoch` is the control plane's epoch they are bound to (nil: no control plane decides, a
    /// single-region deployment, and the database holds no epoch either).
    case open(epoch: Int?)
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
        /// Standby region: writes go through the writer endpoint until the answer ends, as a lease does.
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
        expiresAt = answer.decision == .fenced ? nil : sentAt.advanced(by: .milliseconds(answer.durationMilliseconds))
    }

    public func state(at now: Instant) -> State {
        guard let answer else { return .unknown }
        switch answer.decision {
        case .fenced: return .fenced
        case .standby, .granted:
            guard expiresAt.map({ now < $0 }) == true else { return .fenced }
            return answer.decision == .granted ? .held : .standby
        }
    }

    /// Whether a write may start (or commit) at `now`.
    public func mayWrite(at now: Instant) -> Bool {
        let state = state(at: now)
        return state == .held || state == .standby
    }

    /// Whether a write may start (or commit) at `now`, bound to the epoch of the answer it stands on.
    public func permission(at now: Instant) -> WritePermission {
        guard mayWrite(at: now), let answer else { return .closed }
        return .open(epoch: answer.epoch)
    }

    /// Time left on a held lease.
    public func remaining(at now: Instant) -> Duration? {
        guard state(at: now) == .held, let expiresAt else { return nil }
        return now.duration(to: expiresAt)
    }

    public var lastAnswer: LeaseAnswer? { answer }
}
