import Foundation

/// How a control-plane replica answers a portal's lease request (DESIGN.md invariant 1), without asking the leader.
///
/// A replica grants its answer from the control-plane state it last read from etcd (a linearizable read) and only
/// while its own etcd session surely runs. A granted lease ends no later than:
/// - `duration` after the *sending* of the read its state came from: a failover commits its operation to etcd
///   first, so every read sent later sees it, and every lease granted from an earlier read ends within `duration`
///   of the commit;
/// - the replica's session horizon: the sending of its last successful keep-alive plus the etcd lease's TTL, less
///   the clock margin. etcd ends the session no earlier than that, so once the session (and every key attached to
///   it) is gone, every lease the replica granted has ended.
/// The replica records in etcd, attached to its session and before its first grant to a region, that it grants that
/// region's lease; the leader waits for those sessions (or `duration`) before a promotion.
public struct ReplicaLeaseGrant<Instant: InstantProtocol & Sendable>: Sendable where Instant.Duration == Duration {
    /// When the read that returned the state was sent.
    public var stateReadSentAt: Instant
    /// Until when the replica's etcd session surely runs (nil: it has none).
    public var sessionHorizon: Instant?

    public init(stateReadSentAt: Instant, sessionHorizon: Instant?) {
        self.stateReadSentAt = stateReadSentAt
        self.sessionHorizon = sessionHorizon
    }

    /// The session horizon after a keep-alive sent at `sentAt` succeeded with `ttl`.
    public static func horizon(keepAliveSentAt sentAt: Instant, ttl: Duration, clockMargin: Duration) -> Instant {
        sentAt.advanced(by: ttl - clockMargin)
    }

    /// How long a lease granted at `now` may last (zero: none may be granted).
    public func grantable(at now: Instant, duration: Duration) -> Duration {
        guard let sessionHorizon else { return .zero }
        let fresh = fresh(at: now, duration: duration)
        return now < sessionHorizon ? min(fresh, now.duration(to: sessionHorizon)) : .zero
    }

    /// How long an answer given at `now` may stand on the state read alone (zero: that read is too old).
    public func fresh(at now: Instant, duration: Duration) -> Duration {
        let bound = stateReadSentAt.advanced(by: duration)
        return now < bound ? min(duration, now.duration(to: bound)) : .zero
    }

    /// The answer to `region`'s request at `now`, from `state`.
    public func answer(for region: RegionName, state: ControllerState, now: Instant, duration: Duration)
        -> LeaseAnswer
    {
        let (decision, reason) = state.leaseDecision(for: region)
        if decision == .standby {
            // A standby answer ends too (issue 14, window 2): a portal cut off from every replica, or answered from
            // a state read before a failover committed, stops writing through the writer endpoint within `duration`
            // of that commit. It needs no session: a standby answer grants no write on this region's database.
            let fresh = fresh(at: now, duration: duration)
            guard fresh >= .milliseconds(1) else {
                return LeaseAnswer(
                    decision: .fenced, region: region, primary: state.primary, epoch: state.epoch,
                    durationMilliseconds: 0, reason: "this replica's last state read is older than a lease")
            }
            return LeaseAnswer(
                decision: .standby, region: region, primary: state.primary, epoch: state.epoch,
                durationMilliseconds: fresh.wholeMilliseconds)
        }
        guard decision == .granted else {
            return LeaseAnswer(
                decision: decision, region: region, primary: state.primary, epoch: state.epoch,
                durationMilliseconds: 0, reason: reason)
        }
        let grantable = grantable(at: now, duration: duration)
        guard grantable >= .milliseconds(1) else {
            return LeaseAnswer(
                decision: .fenced, region: region, primary: state.primary, epoch: state.epoch, durationMilliseconds: 0,
                reason: "this replica cannot prove a fresh state and a running etcd session")
        }
        return LeaseAnswer(
            decision: .granted, region: region, primary: state.primary, epoch: state.epoch,
            durationMilliseconds: grantable.wholeMilliseconds)
    }
}
