/// The health of one endpoint as a state machine: probe results in, transitions out, no I/O.
///
/// An endpoint starts healthy (a new edge serves at once), turns unhealthy after `failureThreshold`
/// consecutive failed probes and healthy again after `recoveryThreshold` consecutive successful ones.
/// The time of each probe comes with the event, so tests drive it with plain values.
public struct EndpointHealthDetector<Instant: InstantProtocol>: Sendable where Instant: Sendable {
    /// The endpoint's health verdict.
    public enum Status: String, Sendable, Hashable {
        case healthy
        case unhealthy
    }

    /// A probe's result at a moment.
    public enum Event: Sendable {
        case probeSucceeded(at: Instant)
        case probeFailed(reason: String, at: Instant)
    }

    /// A change of verdict, returned for the caller to log, count and act on.
    public enum Transition: Sendable, Equatable {
        case becameUnhealthy(at: Instant, reason: String)
        case becameHealthy(at: Instant)
    }

    public let failureThreshold: Int
    public let recoveryThreshold: Int
    public private(set) var status: Status = .healthy
    public private(set) var consecutiveFailures = 0
    public private(set) var consecutiveSuccesses = 0
    /// When the current status began; `nil` while the endpoint is in its initial state.
    public private(set) var since: Instant?
    /// The reason of the last failed probe.
    public private(set) var lastFailure: String?

    /// A healthy endpoint with no probes yet; thresholds below 1 count as 1.
    public init(failureThreshold: Int, recoveryThreshold: Int) {
        self.failureThreshold = max(1, failureThreshold)
        self.recoveryThreshold = max(1, recoveryThreshold)
    }

    /// Records a probe result; returns the transition it causes, if any.
    public mutating func handle(_ event: Event) -> Transition? {
        switch event {
        case .probeSucceeded(let instant):
            consecutiveSuccesses += 1
            consecutiveFailures = 0
            guard status == .unhealthy, consecutiveSuccesses >= recoveryThreshold else { return nil }
            status = .healthy
            since = instant
            return .becameHealthy(at: instant)
        case .probeFailed(let reason, let instant):
            consecutiveFailures += 1
            consecutiveSuccesses = 0
            lastFailure = reason
            guard status == .healthy, consecutiveFailures >= failureThreshold else { return nil }
            status = .unhealthy
            since = instant
            return .becameUnhealthy(at: instant, reason: reason)
        }
    }
}
